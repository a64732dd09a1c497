import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Flask (builder/spa.py) serves the build: index.html for the SPA's deep links and
// the hashed files under /assets/. `npm run dev` proxies the API to `overture serve`.
const backend = process.env.OVERTURE_BACKEND ?? 'http://127.0.0.1:5000';

export default defineConfig({
  plugins: [react()],
  base: '/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../builder/static/app', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    // elkjs alone is ~1.4 MB: the layout worker's script, and a chunk the page loads only
    // where the worker cannot run (lib/layout.ts).
    chunkSizeWarningLimit: 1600,
  },
  server: {
    proxy: {
      '/api': backend,
      '/ws': { target: backend, ws: true },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});

// The front end's lint: `npm run lint` (ESLint, then Prettier's check), part of `make test`.
// Layout is Prettier's alone (.prettierrc.json); eslint-config-prettier, last, turns off
// any rule that would argue with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  // The build goes to ../builder/static/app, outside this folder; dist/ and coverage/ are
  // what a stray `vite build --outDir` or `vitest --coverage` would leave here.
  globalIgnores(['dist/', 'coverage/']),
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // The type-aware rules read the types that `npm run build` checks: tsconfig.json for
      // src/, tsconfig.node.json for vite.config.ts (which the project service cannot find
      // by itself, its tsconfig having another name).
      parserOptions: {
        projectService: { allowDefaultProject: ['vite.config.ts'], defaultProject: 'tsconfig.node.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `_name` marks what is left out on purpose: a destructured key dropped from the rest
      // (`const { ui: _ui, ...data } = node`), an argument a signature requires.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // React ignores what an event handler returns; an async handler (a form's submit)
      // catches its own failures and shows them. Promises passed anywhere else still count.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    // A stub of an async API (fetch, a socket) is `async` so that it returns a promise as
    // the real one does, whether or not it awaits anything itself.
    files: ['src/**/*.test.{ts,tsx}'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
    rules: {
      // A missing dependency is a stale closure: a bug, not a matter of taste.
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
  },
  prettier,
]);

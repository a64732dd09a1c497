/** The one Node API a test uses (reading a stylesheet as text); the app never imports it. */
declare module 'node:fs' {
  export function readFileSync(path: URL, encoding: 'utf8'): string;
}

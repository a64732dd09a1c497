/**
 * Text contrast of both themes, from the stylesheets themselves: every text colour on
 * every background it is drawn on reaches WCAG AA (4.5:1). axe checks the pages it is
 * shown; this also covers colours only an overlay shows (test coverage, diffs).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Read as files: vitest hands CSS imports (even ?raw) to tests as empty strings.
const styles = readFileSync(new URL('./styles.css', import.meta.url), 'utf8');
const testsPanel = readFileSync(new URL('./tests-panel.css', import.meta.url), 'utf8');

/** The custom properties set in the first block whose selector matches `selector`. */
function variables(css: string, selector: RegExp): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [, selectors = '', body = ''] of css.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    if (!selector.test(selectors.trim())) continue;
    for (const [, name = '', value = ''] of body.matchAll(/(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})/g)) found[name] = value;
    break;
  }
  return found;
}

function luminance(hex: string): number {
  const [r = 0, g = 0, b = 0] = [1, 3, 5]
    .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [light = 0, dark = 0] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

const THEMES = {
  light: { ...variables(styles, /^:root$/), ...variables(testsPanel, /^:root$/) },
  dark: {
    ...variables(styles, /^:root\[data-theme='dark'\]$/),
    ...variables(testsPanel, /^:root\[data-theme='dark'\]$/),
  },
};

/** Text colours and the backgrounds they are drawn on (pages, panels, stages, decisions; labels on badges). */
const TEXT_ON = [
  ...['--ink', '--muted', '--untested', '--covered', '--error', '--warning', '--accent'].flatMap((text) =>
    ['--paper', '--wash', '--stage', '--decision'].map((background) => [text, background]),
  ),
  ...['--accent', '--error', '--added', '--removed', '--changed'].map((background) => ['--on-accent', background]),
  ['--hot-ink', '--hot'],
  // The builder's "Version N is active" (toolbar on the page and panels).
  ['--added', '--paper'],
  ['--added', '--wash'],
];

describe.each(Object.entries(THEMES))('the %s theme', (_name, colours) => {
  it.each(TEXT_ON)('%s on %s reads at 4.5:1 or more', (text = '', background = '') => {
    const [fore, back] = [colours[text], colours[background]];
    expect(fore, text).toBeDefined();
    expect(back, background).toBeDefined();
    expect(contrast(fore ?? '', back ?? '')).toBeGreaterThanOrEqual(4.5);
  });
});

it('measures as WCAG does', () => {
  expect(contrast('#64748b', '#f1f5f9')).toBeCloseTo(4.34, 2);
  expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
});

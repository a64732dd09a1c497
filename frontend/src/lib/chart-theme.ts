/**
 * Colours of what draws on a canvas (uPlot's charts, React Flow's minimap), per theme.
 * CSS variables cannot reach a canvas, so the two palettes live here, next to the
 * CSS ones they match (styles.css: --ink, --muted, --line, --accent...).
 */
import type { PathNodeState } from './run-events';

/** A chart series' colour by what it means, not by its hue. */
export type Tone = 'accent' | 'middle' | 'high';

export type ChartColours = {
  /** Axis labels and ticks: readable on the page's background. */
  axis: string;
  grid: string;
  tones: Record<Tone, string>;
};

const LIGHT: ChartColours = {
  axis: '#475569',
  grid: '#e2e8f0',
  tones: { accent: '#4f46e5', middle: '#d97706', high: '#dc2626' },
};

const DARK: ChartColours = {
  axis: '#cbd5e1',
  grid: '#1e293b',
  tones: { accent: '#818cf8', middle: '#fbbf24', high: '#f87171' },
};

export function chartColours(dark: boolean): ChartColours {
  return dark ? DARK : LIGHT;
}

/** The minimap's node colours; the mask dims what is outside the view. */
export type MinimapColours = { stage: string; decision: string; step: string; mask: string; background: string };

const MINIMAP_LIGHT: MinimapColours = {
  stage: '#c7d2fe',
  decision: '#fcd34d',
  step: '#94a3b8',
  mask: 'rgba(241, 245, 249, 0.6)',
  background: '#ffffff',
};
const MINIMAP_DARK: MinimapColours = {
  stage: '#4338ca',
  decision: '#b45309',
  step: '#475569',
  mask: 'rgba(2, 6, 23, 0.6)',
  background: '#0f172a',
};

export function minimapColours(dark: boolean): MinimapColours {
  return dark ? MINIMAP_DARK : MINIMAP_LIGHT;
}

/** The colour of a node on the minimap by its type. */
export function minimapNodeColour(type: string | undefined, dark: boolean): string {
  const colours = minimapColours(dark);
  if (type === 'stage') return colours.stage;
  if (type === 'decision') return colours.decision;
  return colours.step;
}

/** The minimap's heat grades 0–5 (monitor.css --heat-n) and a run's path, per theme. */
const HEAT_LIGHT = ['#e2e8f0', '#fef3c7', '#fde68a', '#fdba74', '#f87171', '#dc2626'];
const HEAT_DARK = ['#334155', '#422006', '#713f12', '#7c2d12', '#7f1d1d', '#b91c1c'];
const PATH_LIGHT: Record<PathNodeState, string> = {
  visited: '#86efac',
  current: '#3b82f6',
  waiting: '#f59e0b',
  error: '#dc2626',
};
const PATH_DARK: Record<PathNodeState, string> = {
  visited: '#166534',
  current: '#2563eb',
  waiting: '#b45309',
  error: '#b91c1c',
};

export function minimapHeatColour(grade: number, dark: boolean): string {
  const scale = dark ? HEAT_DARK : HEAT_LIGHT;
  return scale[Math.max(0, Math.min(grade, scale.length - 1))]!;
}

export function minimapPathColour(state: PathNodeState, dark: boolean): string {
  return (dark ? PATH_DARK : PATH_LIGHT)[state];
}

/**
 * A small bar chart (uPlot) over named categories. Its legend says each series' value
 * without a cursor over the chart (a total or the highest bar), the hovered bar's when
 * there is one; the numbers are also in a table for screen readers. The canvas takes its
 * colours from the theme and is drawn again when the theme changes.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { chartColours, type Tone } from '../lib/chart-theme';
import { useIsDark } from '../store/theme-store';

export type BarSeries = { label: string; values: (number | null)[]; tone: Tone };

/** What the legend says of a series when no bar is hovered: the sum (counts) or the highest bar (durations). */
export type Summary = 'total' | 'highest';

type ChartInput = {
  categories: string[];
  series: BarSeries[];
  axisFormat: (value: number) => string;
  width: number;
  height: number;
  dark: boolean;
  /** Counts: ticks on whole numbers only (no "0.25 runs"). */
  counts?: boolean;
};

const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

/** One bar per category for one series; side by side (left and right of the tick) for two. */
function barsFor(index: number, count: number) {
  if (count === 1) return uPlot.paths.bars?.({ size: [0.7, 48] });
  return uPlot.paths.bars?.({ size: [0.35, 24], align: index === 0 ? -1 : 1 });
}

function canDraw(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

/** The uPlot options for a chart in the given theme (exported for the tests: a canvas cannot be read there). */
export function chartOptions({
  categories,
  series,
  axisFormat,
  width,
  height,
  dark,
  counts = false,
}: ChartInput): uPlot.Options {
  const colours = chartColours(dark);
  const axis = {
    stroke: colours.axis,
    grid: { stroke: colours.grid, width: 1 },
    ticks: { stroke: colours.grid, width: 1 },
  };
  return {
    width,
    height,
    legend: { show: false }, // the legend is ours, below the chart
    scales: { x: { time: false, range: [-0.5, Math.max(categories.length - 0.5, 0.5)] } },
    axes: [
      {
        ...axis,
        values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (categories[t] ?? '') : '')),
        gap: 4,
        size: 40,
      },
      {
        ...axis,
        values: (_u, ticks) => ticks.map((t) => axisFormat(t)),
        size: 64,
        ...(counts ? { incrs: WHOLE_STEPS } : {}),
      },
    ],
    series: [
      { label: 'Of' },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: colours.tones[s.tone],
        fill: `${colours.tones[s.tone]}aa`,
        paths: barsFor(i, series.length),
        points: { show: false },
      })),
    ],
  };
}

/** The legend's words for one series: the hovered category's value, else the summary. */
export function legendValue(
  values: (number | null)[],
  categories: string[],
  format: (value: number) => string,
  summary: Summary,
  hovered: number | null,
): string {
  if (hovered !== null) {
    const value = values[hovered];
    return `${categories[hovered] ?? ''}: ${value === null || value === undefined ? '–' : format(value)}`;
  }
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return 'none yet';
  if (summary === 'total') return `${format(known.reduce((a, b) => a + b, 0))} in all`;
  const highest = Math.max(...known);
  return `highest ${format(highest)} (${categories[values.indexOf(highest)] ?? ''})`;
}

export function BarChart({
  title,
  categories,
  series,
  format = String,
  axisFormat = format,
  summary = 'total',
  counts = false,
  height = 200,
}: {
  title: string;
  categories: string[];
  series: BarSeries[];
  /** A value with its unit, for the legend and the table. */
  format?: (value: number) => string;
  /** A value on the axis, where the title gives the unit. */
  axisFormat?: (value: number) => string;
  summary?: Summary;
  counts?: boolean;
  height?: number;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const dark = useIsDark();
  const [hovered, setHovered] = useState<number | null>(null);
  const key = JSON.stringify([categories, series]);
  useEffect(() => {
    const element = holder.current;
    // Without a canvas to draw on (a test DOM), the legend and the table still say it all.
    if (!element || typeof window.matchMedia !== 'function' || !canDraw()) return;
    const width = Math.max(280, element.getBoundingClientRect().width || 480);
    const options = chartOptions({ categories, series, axisFormat, width, height, dark, counts });
    options.hooks = { setCursor: [(u) => setHovered(u.cursor.idx ?? null)] };
    const plot = new uPlot(
      options,
      [categories.map((_, i) => i), ...series.map((s) => s.values)] as uPlot.AlignedData,
      element,
    );
    return () => {
      plot.destroy();
      setHovered(null);
    };
    // The key holds categories and series.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, height, dark, counts]);
  const colours = chartColours(dark);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} className="chart__plot" aria-hidden="true" />
      <ul className="chart__legend" aria-label={`${title}: legend`}>
        {series.map((s) => (
          <li key={s.label}>
            <span className="chart__swatch" style={{ background: colours.tones[s.tone] }} aria-hidden="true" />
            {s.label}:{' '}
            <strong className="chart__value">{legendValue(s.values, categories, format, summary, hovered)}</strong>
          </li>
        ))}
      </ul>
      <table className="visually-hidden">
        <thead>
          <tr>
            <th scope="col">Category</th>
            {series.map((s) => (
              <th key={s.label} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {categories.map((c, i) => (
            <tr key={c}>
              <th scope="row">{c}</th>
              {series.map((s) => (
                <td key={s.label}>{s.values[i] === null ? '–' : format(s.values[i] as number)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

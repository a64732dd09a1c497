/** A small bar chart (uPlot) over named categories; the numbers are also in a table for screen readers. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export type BarSeries = { label: string; values: (number | null)[]; colour: string };

/** One bar per category for one series; side by side (left and right of the tick) for two. */
function barsFor(index: number, count: number) {
  if (count === 1) return uPlot.paths.bars?.({ size: [0.7, 48] });
  return uPlot.paths.bars?.({ size: [0.35, 24], align: index === 0 ? -1 : 1 });
}

export function BarChart({ title, categories, series, format = String, height = 200 }: {
  title: string;
  categories: string[];
  series: BarSeries[];
  format?: (value: number) => string;
  height?: number;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([categories, series]);
  useEffect(() => {
    const element = holder.current;
    if (!element || typeof window.matchMedia !== 'function' || !element.getBoundingClientRect) return;
    const width = Math.max(280, element.getBoundingClientRect().width || 480);
    const x = categories.map((_, i) => i);
    const plot = new uPlot(
      {
        width,
        height,
        legend: { show: series.length > 1 },
        scales: { x: { time: false, range: [-0.5, Math.max(categories.length - 0.5, 0.5)] } },
        axes: [
          { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? categories[t] ?? '' : '')), gap: 4, size: 40 },
          { values: (_u, ticks) => ticks.map((t) => format(t)), size: 64 },
        ],
        series: [{ label: 'Of', value: (_u, i) => (i === null ? '' : categories[i] ?? '') }, ...series.map((s, i) => ({
          label: s.label, stroke: s.colour, fill: `${s.colour}aa`, paths: barsFor(i, series.length), points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
        }))],
      },
      [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
      element,
    );
    return () => plot.destroy();
    // The key holds categories and series.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, height]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} className="chart__plot" aria-hidden="true" />
      <table className="visually-hidden">
        <thead><tr><th scope="col">Category</th>{series.map((s) => <th key={s.label} scope="col">{s.label}</th>)}</tr></thead>
        <tbody>
          {categories.map((c, i) => (
            <tr key={c}><th scope="row">{c}</th>{series.map((s) => <td key={s.label}>{s.values[i] === null ? '–' : format(s.values[i] as number)}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

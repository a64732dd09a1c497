// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { chartColours, minimapHeatColour, minimapNodeColour, minimapPathColour } from '../lib/chart-theme';
import { useThemeStore } from '../store/theme-store';
import { BarChart, chartOptions, legendValue } from './bar-chart';

afterEach(() => {
  cleanup();
  act(() => useThemeStore.getState().setTheme('system'));
});

const series = [{ label: 'Runs started', values: [2, null, 5], tone: 'accent' as const }];
const input = { categories: ['12-01', '12-02', '12-03'], series, axisFormat: String, width: 400, height: 200 };

describe('chart colours', () => {
  it('draws axes, grid and bars in the colours of the theme', () => {
    const light = chartOptions({ ...input, dark: false });
    const dark = chartOptions({ ...input, dark: true });
    for (const [options, colours] of [
      [light, chartColours(false)],
      [dark, chartColours(true)],
    ] as const) {
      for (const axis of options.axes ?? []) {
        expect(axis.stroke).toBe(colours.axis);
        expect(axis.grid?.stroke).toBe(colours.grid);
      }
      expect(options.series[1]!.stroke).toBe(colours.tones.accent);
      expect(options.legend?.show).toBe(false); // ours says the values without a cursor
    }
    expect(chartOptions({ ...input, dark: false, counts: true }).axes?.[1]?.incrs).toEqual(
      expect.arrayContaining([1, 2, 5]),
    );
    expect(chartOptions({ ...input, dark: false }).axes?.[1]?.incrs).toBeUndefined();
    expect(chartColours(true).axis).not.toBe(chartColours(false).axis);
    expect(chartColours(true).tones.accent).not.toBe(chartColours(false).tones.accent);
  });

  it('gives the minimap darker nodes, heat and path on a dark page', () => {
    for (const type of ['stage', 'decision', 'interactive'])
      expect(minimapNodeColour(type, true)).not.toBe(minimapNodeColour(type, false));
    for (let grade = 0; grade <= 5; grade++)
      expect(minimapHeatColour(grade, true)).not.toBe(minimapHeatColour(grade, false));
    expect(minimapHeatColour(9, false)).toBe(minimapHeatColour(5, false)); // past the scale: its top
    for (const state of ['visited', 'current', 'waiting', 'error'] as const)
      expect(minimapPathColour(state, true)).not.toBe(minimapPathColour(state, false));
  });
});

describe('the legend', () => {
  const categories = ['Legal', 'Finance'];
  it('says a total, or the highest bar, without hovering; the hovered bar when there is one', () => {
    expect(legendValue([2, null, 5], input.categories, (v) => `${v} runs`, 'total', null)).toBe('7 runs in all');
    expect(legendValue([60, 3600], categories, (v) => `${v} s`, 'highest', null)).toBe('highest 3600 s (Finance)');
    expect(legendValue([60, 3600], categories, (v) => `${v} s`, 'highest', 0)).toBe('Legal: 60 s');
    expect(legendValue([null, null], categories, String, 'total', null)).toBe('none yet');
    expect(legendValue([null, 4], categories, String, 'total', 0)).toBe('Legal: –');
  });

  it('shows each series with its value, and its swatch follows the theme live', () => {
    render(
      <BarChart
        title="Runs started per day"
        categories={input.categories}
        series={series}
        format={(v) => `${v} runs`}
      />,
    );
    const legend = screen.getByRole('list', { name: 'Runs started per day: legend' });
    expect(legend.textContent).toBe('Runs started: 7 runs in all');
    const swatch = legend.querySelector<HTMLElement>('.chart__swatch')!;
    act(() => useThemeStore.getState().setTheme('light'));
    const light = swatch.style.background;
    act(() => useThemeStore.getState().setTheme('dark'));
    expect(swatch.style.background).not.toBe(light);
    expect(document.documentElement.getAttribute('data-theme')).toBe('dark');
  });
});

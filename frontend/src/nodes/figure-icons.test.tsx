// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { EMPTY_NODE } from '../lib/live-figures';
import { useOverlayStore } from '../store/overlay-store';
import { FiguresBadge } from './node-badges';

afterEach(() => {
  cleanup();
  useOverlayStore.getState().clear();
});

describe('the node counters', () => {
  it('draw their icons as SVG, never as emoji a plain Linux has no font for', () => {
    useOverlayStore.setState({
      figures: { review: { ...EMPTY_NODE, active: 1, waiting: 2, completed: 3, error: 1, overdue: 4 } },
    });
    render(<FiguresBadge nodeId="review" />);
    const badge = screen.getByTestId('figures-review');
    expect(badge.textContent).not.toMatch(/[\u23F8\u23F0\u25B6\u2713\u2717]/u);
    expect([...badge.querySelectorAll('svg[data-icon]')].map((i) => i.getAttribute('data-icon'))).toEqual([
      'active',
      'waiting',
      'completed',
      'error',
      'overdue',
    ]);
    expect(badge.querySelector('[data-figure="waiting"]')).toHaveProperty('title', 'Waiting now');
  });
});

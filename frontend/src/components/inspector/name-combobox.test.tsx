// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ExpressionName } from '../../lib/expression-scope';
import { NameCombobox } from './name-combobox';

afterEach(cleanup);

const MANY: ExpressionName[] = Array.from({ length: 1200 }, (_, i) => ({
  name: `steps.s${i}.outcome`,
  label: `Step ${i} › Outcome`,
  type: 'string',
}));

describe('name combobox', () => {
  it('asks for the names only when it opens, shows the first 50 and narrows as you type', () => {
    const names = vi.fn(() => MANY);
    const onChange = vi.fn();
    render(
      <>
        <label htmlFor="f">Field</label>
        <NameCombobox id="f" value="" onChange={onChange} names={names} />
      </>,
    );
    expect(names).not.toHaveBeenCalled();
    const box = screen.getByRole('combobox', { name: 'Field' });
    fireEvent.focus(box);
    expect(names).toHaveBeenCalledTimes(1);
    expect(screen.getAllByRole('option')).toHaveLength(50);
    expect(screen.getByText('The first 50 names: type to narrow them.')).toBeTruthy();
    fireEvent.change(box, { target: { value: 'step 1199' } });
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Step 1199 › Outcometextsteps.s1199.outcome',
    ]);
    expect(screen.queryByText(/type to narrow/)).toBeNull();
    fireEvent.click(screen.getByRole('option'));
    expect(onChange).toHaveBeenLastCalledWith('steps.s1199.outcome');
    expect(box.getAttribute('aria-expanded')).toBe('false');
    // Closed by leaving it; the names are asked again when it opens again (the draft may have changed).
    fireEvent.focus(box);
    fireEvent.blur(box);
    expect(box.getAttribute('aria-expanded')).toBe('false');
    expect(names).toHaveBeenCalledTimes(2);
  });

  it('says when nothing matches', () => {
    render(
      <>
        <label htmlFor="f">Field</label>
        <NameCombobox id="f" value="" onChange={() => undefined} names={() => MANY.slice(0, 3)} />
      </>,
    );
    const box = screen.getByRole('combobox', { name: 'Field' });
    fireEvent.change(box, { target: { value: 'zzz' } });
    expect(screen.queryAllByRole('option')).toHaveLength(0);
    expect(screen.getByText('No name in scope matches.')).toBeTruthy();
  });
});

// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react';
import { useLayoutEffect, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { useOnChange } from './use-on-change';

afterEach(cleanup);

/** A draft that starts again from `id` whenever `id` changes; each committed pair is kept. */
function Draft({ id, committed, adjust }: { id: string; committed: string[]; adjust?: (id: string) => void }) {
  const [draft, setDraft] = useState(`draft of ${id}`);
  useOnChange(id, (next) => {
    adjust?.(next);
    setDraft(`draft of ${next}`);
  });
  useLayoutEffect(() => {
    committed.push(`${id}: ${draft}`);
  });
  return <p>{draft}</p>;
}

describe('useOnChange', () => {
  it('adjusts state in the render where the value changed, so no commit pairs the new value with the old state', () => {
    const committed: string[] = [];
    const adjust = vi.fn();
    const view = render(<Draft id="a" committed={committed} adjust={adjust} />);
    expect(adjust).not.toHaveBeenCalled();
    view.rerender(<Draft id="b" committed={committed} adjust={adjust} />);
    expect(adjust).toHaveBeenCalledTimes(1);
    expect(adjust).toHaveBeenCalledWith('b');
    expect(committed).toEqual(['a: draft of a', 'b: draft of b']);
  });

  it('leaves the state alone while the value stays the same', () => {
    const committed: string[] = [];
    const adjust = vi.fn();
    const view = render(<Draft id="a" committed={committed} adjust={adjust} />);
    view.rerender(<Draft id="a" committed={committed} adjust={adjust} />);
    expect(adjust).not.toHaveBeenCalled();
    expect(committed).toEqual(['a: draft of a', 'a: draft of a']);
  });
});

import { describe, expect, it } from 'vitest';

import { firstPage, MAX_PAGE, refreshSize, shownOf, WORK_PAGE, withPage, workQuery } from './work-paging';

const item = (id: string) => ({ id });

describe('My work, a page at a time', () => {
  it('asks the server for the orchestration and the status chosen', () => {
    expect(workQuery({ orchestration: '', status: '' })).toBe('mine=1');
    expect(workQuery({ orchestration: 'contract approval', status: 'open' })).toBe(
      'mine=1&orchestration=contract+approval&status=open',
    );
    expect(workQuery({ orchestration: '', status: 'claimed' })).toBe('mine=1&status=claimed');
    expect(workQuery({ orchestration: 'x', status: 'overdue' })).toBe('mine=1&orchestration=x&overdue=1');
  });

  it('adds each next page after what is loaded, without showing an item twice', () => {
    const first = firstPage({ items: [item('a'), item('b')], next_cursor: 'c1', total: 4 });
    expect(first).toEqual({ items: [item('a'), item('b')], cursor: 'c1', total: 4 });
    // b moved while the person read (its due date changed): the next page has it again.
    const second = withPage(first, { items: [item('b'), item('c')], next_cursor: 'c2' });
    expect(second).toEqual({ items: [item('a'), item('b'), item('c')], cursor: 'c2', total: 4 });
    const last = withPage(second, { items: [item('d')], next_cursor: null });
    expect(last.items.map((i) => i.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(last.cursor).toBeNull();
  });

  it('says how many are shown of how many', () => {
    expect(shownOf(firstPage({ items: [item('a'), item('b')], next_cursor: 'c', total: 6000 }))).toBe(
      '2 of 6,000 shown',
    );
    expect(shownOf(firstPage({ items: [item('a')], next_cursor: null }))).toBe('1 shown');
  });

  it('reads back what is loaded on a refresh, a page at least, the API’s most at most', () => {
    const loaded = (n: number) =>
      firstPage({ items: Array.from({ length: n }, (_, i) => item(String(i))), next_cursor: null });
    expect(refreshSize(null)).toBe(WORK_PAGE);
    expect(refreshSize(loaded(3))).toBe(WORK_PAGE);
    expect(refreshSize(loaded(120))).toBe(120);
    expect(refreshSize(loaded(900))).toBe(MAX_PAGE);
  });
});

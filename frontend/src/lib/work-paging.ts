/**
 * My work, a page at a time: the server filters, sorts and pages (soonest due first), the
 * page keeps what it has loaded and asks for the next page on "Load more".
 */
import type { WorkFilter } from './work-guide';

/** Items per page of My work. */
export const WORK_PAGE = 50;
/** The most the API gives in one page (the server's MAX_LIMIT): a refresh reads back at most this many. */
export const MAX_PAGE = 200;

/** What the server filters: the orchestration, and open / claimed / overdue. */
export type ServerFilter = Pick<WorkFilter, 'orchestration' | 'status'>;

/** The query string (without `?`) of My work's server-side filters. */
export function workQuery(filter: ServerFilter): string {
  const params = new URLSearchParams({ mine: '1' });
  if (filter.orchestration) params.set('orchestration', filter.orchestration);
  if (filter.status === 'open' || filter.status === 'claimed') params.set('status', filter.status);
  if (filter.status === 'overdue') params.set('overdue', '1');
  return params.toString();
}

export type Page<T> = { items: T[]; next_cursor: string | null; total?: number | null };
/** What My work has loaded: the items in order, the cursor of the next page (null: no more), how many there are in all. */
export type Pages<T> = { items: T[]; cursor: string | null; total: number | null };

/** The first page, as read (the list starts again). */
export function firstPage<T>(page: Page<T>): Pages<T> {
  return { items: page.items, cursor: page.next_cursor, total: page.total ?? null };
}

/**
 * The next page added after what is loaded. An item seen already (it moved while the person
 * read: claimed, due date changed) is not shown twice; the total stays the first page's.
 */
export function withPage<T extends { id: string }>(loaded: Pages<T>, page: Page<T>): Pages<T> {
  const seen = new Set(loaded.items.map((i) => i.id));
  return {
    items: [...loaded.items, ...page.items.filter((i) => !seen.has(i.id))],
    cursor: page.next_cursor,
    total: page.total ?? loaded.total,
  };
}

/** How many a refresh reads back so the list keeps its length: what is loaded, at least a page, at most the API's page. */
export function refreshSize(loaded: Pages<unknown> | null): number {
  return Math.min(MAX_PAGE, Math.max(WORK_PAGE, loaded?.items.length ?? 0));
}

/** "50 of 6,000 shown" (or "50 shown" when the total is not known). */
export function shownOf(loaded: Pages<unknown>): string {
  const count = loaded.items.length.toLocaleString('en');
  return loaded.total === null ? `${count} shown` : `${count} of ${loaded.total.toLocaleString('en')} shown`;
}

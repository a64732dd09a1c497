import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';

import { ApiError, claimWorkItem, getRecord, getRunFilters, listMyWorkPage } from '../lib/api';
import { itemPath, recordPath } from '../lib/notification-link';
import {
  assignedTo,
  filterWorkItems,
  isOverdue,
  personName,
  recordName,
  waitedFor,
  type WorkFilter,
} from '../lib/work-guide';
import { firstPage, refreshSize, shownOf, WORK_PAGE, withPage, workQuery, type Pages } from '../lib/work-paging';
import type { WorkItem } from '../lib/work-schemas';
import { useInboxStore } from '../store/inbox-store';
import { useSessionStore } from '../store/session-store';

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));
const recordKey = (item: WorkItem) => (item.record ? `${item.record.object}/${item.record.id}` : '');

/**
 * `/work`: the open work items for me and my groups and queues, soonest due first, a page at
 * a time (the server filters by orchestration and status, sorts and pages; "Load more" adds
 * the next page).
 */
export function WorkPage() {
  const user = useSessionStore((s) => s.user);
  const changes = useInboxStore((s) => s.changes);
  const [loaded, setLoaded] = useState<{ query: string; pages: Pages<WorkItem> } | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [offered, setOffered] = useState<[string, string][]>([]);
  const [filter, setFilter] = useState<WorkFilter>({ orchestration: '', status: '', search: '' });
  const now = new Date();
  const query = workQuery(filter);
  const pages = loaded?.query === query ? loaded.pages : null;
  const items = pages?.items ?? null;
  // The answer to the latest first-page read wins; an older one (filters changed since) is dropped.
  const latest = useRef(0);
  const current = useRef(loaded);
  useEffect(() => {
    current.current = loaded;
  }, [loaded]);

  const load = useCallback(() => {
    const ask = ++latest.current;
    const before = current.current?.query === query ? current.current.pages : null;
    listMyWorkPage(query, null, refreshSize(before)) // a refresh keeps what was loaded in view
      .then((page) => {
        if (ask !== latest.current) return;
        setLoaded({ query, pages: firstPage(page) });
        setError(null);
      })
      .catch((failure: unknown) => ask === latest.current && setError(message(failure)));
  }, [query]);
  useEffect(load, [load, changes]);

  const more = async () => {
    if (!pages?.cursor) return;
    const ask = latest.current;
    setLoadingMore(true);
    try {
      const page = await listMyWorkPage(query, pages.cursor, WORK_PAGE);
      if (ask === latest.current)
        setLoaded((l) => (l && l.query === query ? { query, pages: withPage(l.pages, page) } : l));
    } catch (failure) {
      setError(message(failure));
    } finally {
      setLoadingMore(false);
    }
  };

  // The orchestrations to filter by: those with an active version (once per page).
  useEffect(() => {
    getRunFilters().then(
      (found) => setOffered(found.orchestrations.map((o) => [o.key, o.label] as [string, string])),
      () => setOffered([]),
    );
  }, []);

  // The records the items concern, by name (one read per record, kept while the page is open).
  useEffect(() => {
    const wanted = [...new Set((items ?? []).map(recordKey).filter((k) => k && !(k in names)))];
    if (wanted.length === 0) return;
    void Promise.all(
      wanted.map(async (key) => {
        const [object, id] = key.split('/') as [string, string];
        try {
          return [key, recordName(object, id, (await getRecord(object, id)).fields)] as const;
        } catch {
          return [key, recordName(object, id)] as const;
        }
      }),
    ).then((found) => setNames((before) => ({ ...before, ...Object.fromEntries(found) })));
  }, [items, names]);

  const label = useCallback(
    (item: WorkItem) => names[recordKey(item)] ?? (item.record ? recordName(item.record.object, item.record.id) : ''),
    [names],
  );
  // Key -> label, for the filter: the active orchestrations and those of the items loaded.
  const orchestrations = useMemo(
    () =>
      [
        ...new Map([
          ...offered,
          ...(items ?? []).map((i) => [i.orchestration, i.orchestration_label ?? i.orchestration] as [string, string]),
        ]).entries(),
      ].sort((a, b) => a[1].localeCompare(b[1])),
    [items, offered],
  );
  // The server filtered by orchestration and status; the search looks through what is loaded.
  const shown = items
    ? filterWorkItems(items, { orchestration: '', status: '', search: filter.search }, now, label)
    : [];
  const filtered = filter.orchestration !== '' || filter.status !== '';

  const claim = async (item: WorkItem, take: boolean) => {
    setBusy(item.id);
    try {
      await claimWorkItem(item.id, take);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 409 ? `${item.label}: ${failure.message}` : message(failure),
      );
    } finally {
      setBusy(null);
      load();
    }
  };

  return (
    <main className="page page--wide">
      <h1>My work</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Orchestration{' '}
          <select
            value={filter.orchestration}
            onChange={(e) => setFilter({ ...filter, orchestration: e.target.value })}
          >
            <option value="">All</option>
            {orchestrations.map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select
            value={filter.status}
            onChange={(e) => setFilter({ ...filter, status: e.target.value as WorkFilter['status'] })}
          >
            <option value="">All open</option>
            <option value="open">Not claimed</option>
            <option value="claimed">Claimed</option>
            <option value="overdue">Overdue</option>
          </select>
        </label>
        <label>
          Search{' '}
          <input
            type="search"
            value={filter.search}
            placeholder="Step or record"
            onChange={(e) => setFilter({ ...filter, search: e.target.value })}
          />
        </label>
      </form>
      {error ? (
        <p role="alert" className="problem">
          {error}
        </p>
      ) : null}
      {items === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {items?.length === 0 && !filtered ? <p>Nothing to do. New work shows up here as it arrives.</p> : null}
      {items && (filtered || items.length > 0) && shown.length === 0 ? (
        <p>No work item matches these filters.</p>
      ) : null}
      {shown.length > 0 ? (
        <table className="work-table">
          <thead>
            <tr>
              <th>Step</th>
              <th>Record</th>
              <th>Orchestration</th>
              <th>Due</th>
              <th>Waiting</th>
              <th>Assigned to</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((item) => {
              const late = isOverdue(item, now);
              const shared = item.assignee.type !== 'user';
              const mine = item.claimed_by === user?.username;
              const recordLink = item.record ? recordPath(item.record.object, item.record.id) : null;
              return (
                <tr
                  key={item.id}
                  data-testid={`work-item-${item.id}`}
                  className={late ? 'work-row work-row--overdue' : 'work-row'}
                >
                  <td>
                    <Link to={itemPath(item.id)}>{item.label}</Link>
                  </td>
                  <td>
                    {recordLink ? <Link to={recordLink}>{label(item)}</Link> : <span className="muted">none</span>}
                  </td>
                  <td>{item.orchestration_label ?? item.orchestration}</td>
                  <td>
                    {item.due_at ? new Date(item.due_at).toLocaleString() : <span className="muted">no due date</span>}
                    {late ? <span className="tag tag--overdue">Overdue</span> : null}
                  </td>
                  <td>{waitedFor(item.created_at, now)}</td>
                  <td>
                    {assignedTo(item, user?.username ?? '')}
                    {item.on_behalf_of ? ` (for ${item.on_behalf_of_name ?? item.on_behalf_of})` : null}
                    {item.claimed_by ? (
                      <span className="muted">
                        {' '}
                        · claimed by {personName(item.claimed_by, item.claimed_by_name, user?.username ?? '')}
                      </span>
                    ) : null}
                  </td>
                  <td className="item-buttons">
                    {shared && item.status === 'open' ? (
                      <button
                        type="button"
                        className="small"
                        disabled={busy === item.id}
                        onClick={() => void claim(item, true)}
                      >
                        Claim
                      </button>
                    ) : null}
                    {shared && mine ? (
                      <button
                        type="button"
                        className="small"
                        disabled={busy === item.id}
                        onClick={() => void claim(item, false)}
                      >
                        Release
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {pages && pages.items.length > 0 ? (
        <p className="list-more">
          <span aria-live="polite" data-testid="work-shown">
            {shownOf(pages)}
            {filter.search && pages.cursor ? ' (the search looks through those loaded)' : ''}
          </span>{' '}
          {pages.cursor ? (
            <button type="button" onClick={() => void more()} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Load more'}
            </button>
          ) : null}
        </p>
      ) : null}
    </main>
  );
}

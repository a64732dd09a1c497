/** The audit log: who did what, when, from where, and what changed; filtered (the filters are the
 * page's query string, so a filtered view is a link), newest first, exported as CSV or JSON lines. */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';

import { useOnChange } from '../../hooks/use-on-change';
import { usePeople } from '../../hooks/use-people';
import {
  AUDIT_FILTERS,
  auditCatalogue,
  auditExportUrl,
  listAudit,
  type AuditCatalogue,
  type AuditEntry,
  type AuditFilters,
} from '../../lib/audit-api';
import { AdminMessages, AdminTable } from './admin-table';
import { FormField, failureMessage } from './form-field';

const when = (iso: string) => new Date(iso).toLocaleString();

/** `run.step_skipped` -> "Run step skipped". */
export function actionLabel(action: string): string {
  const text = action.replace(/[._]/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function shown(value: unknown): string {
  if (value === undefined) return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A document's change summary (`draft.saved`, `version.activated`): "nodes added a, b; fields label". */
export function describeChanges(changes: unknown): string {
  if (!isObject(changes)) return shown(changes);
  const parts: string[] = [];
  for (const [part, kinds] of Object.entries(changes)) {
    if (Array.isArray(kinds)) parts.push(`${part} ${kinds.join(', ')}`);
    else if (isObject(kinds))
      for (const [kind, ids] of Object.entries(kinds))
        parts.push(`${part} ${kind} ${Array.isArray(ids) ? ids.join(', ') : shown(ids)}`);
  }
  return parts.length ? parts.join('; ') : 'nothing';
}

/** One line per field that changed: `field: before → after` (a field only on one side shows — on the other). */
export function changeLines(before: unknown, after: unknown): string[] {
  if (before == null && after == null) return [];
  if ((isObject(before) || before == null) && (isObject(after) || after == null)) {
    const old = before ?? {};
    const now = after ?? {};
    return [...new Set([...Object.keys(old), ...Object.keys(now)])].map((key) =>
      key === 'changes' && !(key in old)
        ? `changed: ${describeChanges(now[key])}`
        : `${key}: ${shown(old[key])} → ${shown(now[key])}`,
    );
  }
  return [`${shown(before)} → ${shown(after)}`];
}

/** For an activation: the visual diff from the version it replaced (the builder's `?compare=a..b`). */
function activationLinks(entry: AuditEntry) {
  if (entry.action !== 'version.activated' || !entry.object_id) return null;
  const [key, number] = [entry.object_id.replace(/:\d+$/, ''), entry.object_id.replace(/^.*:/, '')];
  const previous = isObject(entry.before) ? entry.before.active_version : null;
  const base = `/builder/${encodeURIComponent(key)}`;
  return typeof previous === 'number' ? (
    <Link to={`${base}?compare=${previous}..${number}`}>
      Show changes from version {previous} to {number}
    </Link>
  ) : (
    <Link to={`${base}?version=${number}`}>Open version {number}</Link>
  );
}

function filtersOf(params: URLSearchParams): AuditFilters {
  const found: AuditFilters = {};
  for (const name of AUDIT_FILTERS) {
    const value = params.get(name);
    if (value) found[name] = value;
  }
  return found;
}

/** A `datetime-local` value (the browser's time zone) as ISO-8601 in UTC, and back. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
function toLocal(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

export function AuditTab() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersOf(params), [params]);
  const filterKey = JSON.stringify(filters);
  const people = usePeople();
  const [catalogue, setCatalogue] = useState<AuditCatalogue | null>(null);
  const [draft, setDraft] = useState<AuditFilters>(filters);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    auditCatalogue().then(setCatalogue, () => setCatalogue({ actions: [], object_types: [] }));
  }, []);

  // New filters (a submitted form, a link, Back): the form shows them, the list reads again.
  useOnChange(filterKey, (key) => {
    setEntries(null);
    setError(null);
    setDraft(JSON.parse(key) as AuditFilters);
  });

  useEffect(() => {
    let live = true;
    listAudit(JSON.parse(filterKey) as AuditFilters).then(
      (page) => {
        if (!live) return;
        setEntries(page.items);
        setCursor(page.next_cursor);
      },
      (failure: unknown) => live && setError(failureMessage(failure)),
    );
    return () => {
      live = false;
    };
  }, [filterKey]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of AUDIT_FILTERS) if (draft[name]) next.set(name, draft[name]);
    setParams(next);
  };

  const more = () => {
    if (!cursor) return;
    listAudit(filters, cursor).then(
      (page) => {
        setEntries((e) => [...(e ?? []), ...page.items]);
        setCursor(page.next_cursor);
      },
      (failure: unknown) => setError(failureMessage(failure)),
    );
  };

  const set = (name: keyof AuditFilters) => (value: string) => setDraft((d) => ({ ...d, [name]: value }));
  const filtered = Object.keys(filters).length > 0;

  return (
    <>
      <form className="admin-form admin-form--inline" onSubmit={apply} aria-label="Filter the audit log">
        <FormField label="Who">
          <select value={draft.actor ?? ''} onChange={(e) => set('actor')(e.target.value)}>
            <option value="">Anyone</option>
            {draft.actor && !people.some((p) => p.username === draft.actor) ? (
              <option value={draft.actor}>{draft.actor}</option>
            ) : null}
            {people.map((p) => (
              <option key={p.username} value={p.username}>
                {p.display_name || p.username}
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Action">
          <select value={draft.action ?? ''} onChange={(e) => set('action')(e.target.value)}>
            <option value="">Any action</option>
            {(catalogue?.actions ?? (draft.action ? [draft.action] : [])).map((a) => (
              <option key={a} value={a}>
                {actionLabel(a)}
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Object">
          <select value={draft.object_type ?? ''} onChange={(e) => set('object_type')(e.target.value)}>
            <option value="">Anything</option>
            {(catalogue?.object_types ?? (draft.object_type ? [draft.object_type] : [])).map((t) => (
              <option key={t} value={t}>
                {actionLabel(t)}
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Since">
          <input
            type="datetime-local"
            value={toLocal(draft.since)}
            onChange={(e) => set('since')(toIso(e.target.value))}
          />
        </FormField>
        <FormField label="Until">
          <input
            type="datetime-local"
            value={toLocal(draft.until)}
            onChange={(e) => set('until')(toIso(e.target.value))}
          />
        </FormField>
        <button type="submit" className="primary">
          Show entries
        </button>
        {filtered ? (
          <button type="button" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        ) : null}
      </form>
      <p className="audit-exports">
        <a href={auditExportUrl('csv', filters)} download>
          Export as CSV
        </a>
        <a href={auditExportUrl('jsonl', filters)} download>
          Export as JSON lines
        </a>
        {filters.object ? (
          <span className="muted">
            Only the entries of one {actionLabel(filters.object_type ?? 'object').toLowerCase()}
          </span>
        ) : null}
      </p>
      <AdminMessages error={error} />
      <AdminTable
        caption="Audit log, newest first"
        columns={['When', 'Who', 'Action', 'Object', 'Change']}
        rows={entries}
        failed={!!error}
        empty={filtered ? 'No entry matches these filters.' : 'Nothing has been audited yet.'}
      >
        {(entry) => (
          <tr key={entry.id} data-action={entry.action}>
            <td>{when(entry.at)}</td>
            <td>
              {entry.actor_name ?? <span className="muted">Someone not signed in</span>}
              {entry.address ? (
                <>
                  <br />
                  <small className="muted">from {entry.address}</small>
                </>
              ) : null}
            </td>
            <td>{actionLabel(entry.action)}</td>
            <td title={entry.object_id ?? undefined}>
              {entry.object_label ?? <span className="muted">—</span>}
              <br />
              <small className="muted">{actionLabel(entry.object_type)}</small>
            </td>
            <td>
              <ul className="audit-change">
                {changeLines(entry.before, entry.after).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
              {activationLinks(entry)}
            </td>
            <td />
          </tr>
        )}
      </AdminTable>
      {cursor ? (
        <button type="button" onClick={more}>
          Show older entries
        </button>
      ) : null}
    </>
  );
}

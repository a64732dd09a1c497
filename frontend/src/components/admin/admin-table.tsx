/** What every administration tab shows around its list: the last outcome, a failure,
 * "Loading…", an empty message, and the table itself with an Actions column. */
import type { ReactNode } from 'react';

export function AdminMessages({ notice, error }: { notice?: string | null; error: string | null }) {
  return (
    <>
      {notice ? (
        <p className="notice notice--done" role="status">
          {notice}
        </p>
      ) : null}
      {error ? (
        <p className="problem" role="alert">
          {error}
        </p>
      ) : null}
    </>
  );
}

interface AdminTableProps<T> {
  /** Read by screen readers: what the table lists. */
  caption: string;
  /** Column headings, before the Actions column. */
  columns: string[];
  /** Null while loading. */
  rows: T[] | null;
  /** Loading failed (the failure is shown by AdminMessages): no "Loading…". */
  failed: boolean;
  /** Shown instead of an empty table; without it an empty table shows its headings. */
  empty?: string;
  /** One table row (a `<tr>`) per item. */
  children: (row: T) => ReactNode;
}

export function AdminTable<T>({ caption, columns, rows, failed, empty, children }: AdminTableProps<T>) {
  if (rows === null) return failed ? null : <p aria-busy="true">Loading…</p>;
  if (rows.length === 0 && empty !== undefined) return <p>{empty}</p>;
  return (
    <table className="work-table admin-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th scope="col" key={c}>
              {c}
            </th>
          ))}
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>{rows.map((row) => children(row))}</tbody>
    </table>
  );
}

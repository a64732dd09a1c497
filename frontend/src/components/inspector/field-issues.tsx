/** The server's issues about one field, shown under it (node null: the document's own fields). */
import type { Issue } from '../../lib/api-schemas';
import { useShallow } from 'zustand/react/shallow';

import { useIssuesStore } from '../../store/issues-store';

/** Where a field is in the document, as the server's issues name it: [node id or null, field path]. */
export type FieldAt = readonly [node: string | null, field: string];

/**
 * `onChange` that first clears the field's issues: what the server said of the old value
 * must not stay under the new one until the next check.
 */
export function withIssuesCleared<A extends unknown[]>(
  at: FieldAt | undefined,
  onChange: (...args: A) => void,
): (...args: A) => void {
  return (...args) => {
    if (at) useIssuesStore.getState().clearField(at[0], at[1]);
    onChange(...args);
  };
}

export function useFieldIssues(node: string | null, field: string): Issue[] {
  return useIssuesStore(useShallow((s) => s.issues.filter((i) => i.node === node && i.field === field && !i.edge)));
}

/** Issue lines for a field; `id` lets the input point at them with aria-describedby. */
export function FieldIssues({ issues, id }: { issues: Issue[]; id: string }) {
  if (issues.length === 0) return null;
  return (
    <ul className="field-issues" id={id}>
      {issues.map((issue, index) => (
        // The alert inside the item: an <li> given role="alert" is no list item any more (axe: list).
        <li key={index} className={`field-issue field-issue--${issue.severity}`}>
          <span role={issue.severity === 'error' ? 'alert' : undefined}>
            {issue.message}
            {issue.column !== undefined && !/column \d+/.test(issue.message) ? ` (column ${issue.column})` : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

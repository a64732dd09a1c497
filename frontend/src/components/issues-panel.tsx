/** The server's validation issues; choosing one selects the node (or edge) it is about. */
import { useReactFlow } from '@xyflow/react';

import type { Issue } from '../lib/api-schemas';
import { useIssuesStore } from '../store/issues-store';
import { flowStore } from '../store/use-flow-store';

function where(issue: Issue): string {
  const at = issue.edge ? `edge ${issue.edge}` : issue.node ? issue.node : 'document';
  const column = issue.column !== undefined ? `, column ${issue.column}` : '';
  return `${at} · ${issue.field}${column}`;
}

export function IssuesPanel() {
  const issues = useIssuesStore((s) => s.issues);
  const { fitView } = useReactFlow();
  const errors = issues.filter((i) => i.severity === 'error').length;

  const show = (issue: Issue) => {
    const { nodes, edges, select } = flowStore.getState();
    if (issue.edge && edges.some((e) => e.id === issue.edge)) {
      const edge = edges.find((e) => e.id === issue.edge);
      select([], [issue.edge]);
      if (edge) void fitView({ nodes: [{ id: edge.source }, { id: edge.target }], duration: 300, maxZoom: 1.2 });
      return;
    }
    if (issue.node && nodes.some((n) => n.id === issue.node)) {
      select([issue.node]);
      void fitView({ nodes: [{ id: issue.node }], duration: 300, maxZoom: 1.2 });
    }
  };

  return (
    <section className="issues" aria-labelledby="issues-title">
      <h2 id="issues-title" className="panel-title">
        Issues{' '}
        <span className="issues__count">
          {issues.length === 0 ? 'none' : `${errors} errors, ${issues.length - errors} warnings`}
        </span>
      </h2>
      {issues.length === 0 ? (
        <p className="issues__empty">The server found nothing to fix.</p>
      ) : (
        <ul className="issues__list">
          {issues.map((issue, index) => (
            <li key={`${index}-${issue.node}-${issue.field}`}>
              <button type="button" className={`issue issue--${issue.severity}`} onClick={() => show(issue)}>
                <span className="issue__where">{where(issue)}</span>
                <span className="issue__message">{issue.message}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The two versions side by side, read only, with the mapping drawn on them: the two ends of a
 * pair carry the same number and colour; a source node without a place says "removed — map it";
 * a target node nothing maps to says "(new)"; explicit choices are outlined.
 */
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';

import type { OrchestrationDocument } from '../lib/document-schema';
import type { FlowNode } from '../lib/document';
import { markedLabel, type Marking } from '../lib/migration';
import { readOnlyFlow, type ReadOnlyFlow } from '../lib/read-only-flow';
import { ReadOnlyCanvas } from './read-only-canvas';

/** The class a marking gives a node's box (colours in migrate.css; 8 colours, then again). */
export function markingClass(marking: Marking | undefined): string {
  if (!marking) return 'migration-node';
  if (marking.state === 'matched' || marking.state === 'explicit')
    return `migration-node migration-node--${marking.state} migration-node--c${(marking.number - 1) % 8}`;
  return `migration-node migration-node--${marking.state}`;
}

function MarkedCanvas({
  document,
  marks,
  title,
}: {
  document: OrchestrationDocument;
  marks: Record<string, Marking>;
  title: string;
}) {
  const [flow, setFlow] = useState<ReadOnlyFlow | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    readOnlyFlow(document).then(
      (f) => !cancelled && setFlow(f),
      (failure: unknown) => !cancelled && setError(failure instanceof Error ? failure.message : String(failure)),
    );
    return () => {
      cancelled = true;
    };
  }, [document]);
  const nodes = useMemo(
    () =>
      (flow?.nodes ?? []).map((node): FlowNode => {
        const marking = marks[node.id];
        if (node.type === 'start') return node;
        const label = ('label' in node.data && typeof node.data.label === 'string' && node.data.label) || node.id;
        return {
          ...node,
          className: markingClass(marking),
          data: { ...node.data, label: markedLabel(label, marking) },
        };
      }),
    [flow, marks],
  );
  return (
    <figure className="migration-canvas" aria-label={title}>
      <figcaption>{title}</figcaption>
      {error ? <p role="alert">{error}</p> : null}
      {flow ? (
        <ReactFlowProvider>
          <ReadOnlyCanvas nodes={nodes} edges={flow.edges} />
        </ReactFlowProvider>
      ) : !error ? (
        <p aria-busy="true">Drawing version…</p>
      ) : null}
    </figure>
  );
}

export function MigrationCanvases({
  source,
  target,
  sourceTitle,
  targetTitle,
  marks,
  stacked = false,
}: {
  source: OrchestrationDocument;
  target: OrchestrationDocument;
  sourceTitle: string;
  targetTitle: string;
  marks: { source: Record<string, Marking>; target: Record<string, Marking> };
  /** One above the other (each as wide as the page), rather than side by side. */
  stacked?: boolean;
}) {
  return (
    <div className={`migration-canvases${stacked ? ' migration-canvases--stacked' : ''}`}>
      <MarkedCanvas document={source} marks={marks.source} title={sourceTitle} />
      <MarkedCanvas document={target} marks={marks.target} title={targetTitle} />
    </div>
  );
}

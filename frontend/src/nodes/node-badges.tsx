/** What a node shows besides its own content: its issues and (on the monitor) its live figures. */
import { useNodeSeverity } from '../store/issues-store';
import { useNodeFigures } from '../store/overlay-store';
import { useNodeDiff, useViewStore } from '../store/view-store';

export function IssueMark({ nodeId }: { nodeId: string }) {
  const severity = useNodeSeverity(nodeId);
  if (!severity) return null;
  return (
    <span className={`issue-mark issue-mark--${severity}`} title={severity === 'error' ? 'Has errors' : 'Has warnings'}>
      {severity === 'error' ? '!' : '?'}
    </span>
  );
}

export function FiguresBadge({ nodeId }: { nodeId: string }) {
  const figures = useNodeFigures(nodeId);
  if (!figures) return null;
  return (
    <span className="figures-badge" title={`${figures.active} active, ${figures.waiting} waiting, ${figures.error} in error`}>
      {figures.active + figures.waiting}
      {figures.error > 0 && <strong> · {figures.error}</strong>}
    </span>
  );
}

/** Comparing versions: the node's class for its change, '' when it did not change. */
export function useDiffClass(nodeId: string): string {
  const status = useNodeDiff(nodeId);
  return status ? ` diff diff--${status}` : '';
}

/** Comparing versions: the change in words too, not only in colour. */
export function DiffMark({ nodeId }: { nodeId: string }) {
  const status = useNodeDiff(nodeId);
  const fields = useViewStore((s) => (status === 'changed' ? s.diff?.nodeFields[nodeId]?.join(', ') : undefined));
  if (!status) return null;
  return (
    <span className={`diff-mark diff-mark--${status}`} title={fields ? `Changed: ${fields}` : undefined} data-testid={`diff-${nodeId}`}>
      {status}
    </span>
  );
}

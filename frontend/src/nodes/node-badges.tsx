/** What a node shows besides its own content: its issues and (on the monitor) its live figures. */
import { useNodeSeverity } from '../store/issues-store';
import { useNodeFigures } from '../store/overlay-store';

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

/** What a node shows besides its own content: its issues, (on the monitor) its live figures, (in the builder) its test coverage. */
import { useNodeSeverity } from '../store/issues-store';
import { formatSeconds } from '../lib/heat';
import { useIsBottleneck, useNodeFigures, useNodeFlag, useNodeHeat } from '../store/overlay-store';
import { FigureIcon } from './figure-icons';
import { usePathNode } from '../store/run-path-store';
import { coverageWords } from '../lib/coverage';
import { useNodeCoverage } from '../store/coverage-store';
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

/** The monitor's live figures of one node (nothing elsewhere). */
export function FiguresBadge({ nodeId }: { nodeId: string }) {
  const figures = useNodeFigures(nodeId);
  const bottleneck = useIsBottleneck(nodeId);
  if (!figures) return null;
  const { active, waiting, completed, error, overdue, p50, p95 } = figures;
  return (
    <span className="figures" data-testid={`figures-${nodeId}`}>
      {bottleneck ? <strong className="figures__bottleneck">Bottleneck</strong> : null}
      <span title="Active now" data-figure="active">
        <FigureIcon kind="active" /> {active}
      </span>
      <span title="Waiting now" data-figure="waiting">
        <FigureIcon kind="waiting" /> {waiting}
      </span>
      <span title="Completed in the window" data-figure="completed">
        <FigureIcon kind="completed" /> {completed}
      </span>
      {error > 0 ? (
        <span className="figures__error" title="In error now" data-figure="error">
          <FigureIcon kind="error" /> {error}
        </span>
      ) : null}
      {overdue > 0 ? (
        <span className="figures__overdue" title="Overdue work items" data-figure="overdue">
          <FigureIcon kind="overdue" /> {overdue}
        </span>
      ) : null}
      {p50 !== null ? (
        <span title="Time spent: median / 95th percentile">
          {formatSeconds(p50)} / {formatSeconds(p95)}
        </span>
      ) : null}
    </span>
  );
}

/** Where one run went (the run detail): visits, and whether the run is here now. */
export function PathMark({ nodeId }: { nodeId: string }) {
  const step = usePathNode(nodeId);
  if (!step) return null;
  const words = { visited: 'visited', current: 'here now', waiting: 'waiting here', error: 'failed here' }[step.state];
  return (
    <span
      className={`path-mark path-mark--${step.state}`}
      data-testid={`path-${nodeId}`}
      title={`${words}, ${step.visits} time(s)`}
    >
      {step.state === 'visited' ? '✓' : step.state === 'error' ? '✗' : '●'}
      {step.visits > 1 ? ` ×${step.visits}` : ''}
    </span>
  );
}

/** The builder's test coverage of one node (the Tests panel's overlay), with production's count next to it. */
export function CoverageMark({ nodeId }: { nodeId: string }) {
  const coverage = useNodeCoverage(nodeId);
  if (!coverage) return null;
  const { mark, title } = coverageWords(coverage);
  return (
    <span
      className={`coverage-mark coverage-mark--${coverage.state}`}
      data-testid={`coverage-node-${nodeId}`}
      data-coverage={coverage.state}
      title={title}
    >
      {mark}
      {coverage.traffic !== null ? <span data-figure="production"> · {coverage.traffic} in prod.</span> : null}
    </span>
  );
}

/** A node's classes for the overlays: heat grade on the monitor, path state on a run, test coverage in the builder. */
export function useOverlayClass(nodeId: string): string {
  const heat = useNodeHeat(nodeId);
  const flag = useNodeFlag(nodeId);
  const step = usePathNode(nodeId);
  const bottleneck = useIsBottleneck(nodeId);
  const coverage = useNodeCoverage(nodeId);
  let classes = heat !== undefined ? ` heat heat--${heat}` : '';
  if (bottleneck) classes += ' heat--bottleneck';
  if (flag) classes += ` heat--${flag}`;
  if (step) classes += ` path path--${step.state}`;
  if (coverage) classes += ` coverage coverage--${coverage.state}`;
  return classes;
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
    <span
      className={`diff-mark diff-mark--${status}`}
      title={fields ? `Changed: ${fields}` : undefined}
      data-testid={`diff-${nodeId}`}
    >
      {status}
    </span>
  );
}

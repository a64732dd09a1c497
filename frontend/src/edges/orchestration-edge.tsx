import { BaseEdge, EdgeLabelRenderer, getSmoothStepPath, useNodesData, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';

import { DEFAULT_OUTCOME, ERROR_HANDLE, type FlowEdge, type FlowNode, type NodeContent } from '../lib/document';
import { edgeWeight } from '../lib/heat';
import { coverageWords } from '../lib/coverage';
import { useEdgeCoverage } from '../store/coverage-store';
import { useEdgeTaken, useOverlayStore } from '../store/overlay-store';
import { usePathEdge } from '../store/run-path-store';
import { useEdgeDiff } from '../store/view-store';
import { routePath } from '../lib/edge-route';
import { useLoop } from './use-loop';
import { useRoute } from './use-route';

/** What an edge says on the canvas: its own label, else the outcome it stands for, else nothing. */
function edgeLabel(edge: Pick<FlowEdge, 'data' | 'sourceHandle'>, source: NodeContent | null): string | null {
  if (edge.data?.label) return edge.data.label;
  if (source?.type === 'stage' && edge.sourceHandle === ERROR_HANDLE) return 'On error';
  if (source?.type === 'decision') {
    if (edge.sourceHandle === DEFAULT_OUTCOME) return 'Otherwise';
    const outcome = source.data.outcomes?.find((o) => o.id === edge.sourceHandle);
    return outcome ? outcome.label || outcome.id : null;
  }
  return null;
}

/**
 * Every edge of the document: along the route the layout found around the nodes while its
 * ends stay where the layout put them, else a smooth step path; labelled with its outcome;
 * error edges dashed red; loops (back edges) dashed, marked ↺, drawn (without a route)
 * under the nodes they pass.
 */
function OrchestrationEdge(props: EdgeProps<FlowEdge>) {
  const {
    id,
    source,
    sourceX,
    sourceY,
    targetX,
    targetY,
    sourcePosition,
    targetPosition,
    sourceHandleId,
    data,
    markerEnd,
    selected,
  } = props;
  // Reads the source node's data only: the edge re-renders when that node's outcomes change, not on every drag.
  const sourceNode = useNodesData<FlowNode>(source);
  const from = { x: sourceX, y: sourceY };
  const to = { x: targetX, y: targetY };
  const route = useRoute(id, source, props.target);
  const loop = useLoop(id, source, props.target, from, to, route === null);
  const [path, labelX, labelY] =
    (route ? routePath(route, from, to) : undefined) ??
    loop?.path ??
    getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 8 });
  const label = edgeLabel({ data, sourceHandle: sourceHandleId }, sourceNode);
  const isError = sourceNode?.type === 'stage' && sourceHandleId === ERROR_HANDLE;
  const diff = useEdgeDiff(id);
  // Overlays: how often the path was taken (monitor), whether this run took it (run detail).
  const taken = useEdgeTaken(id);
  const busiest = useOverlayStore((s) => s.busiestEdge);
  const ranHere = usePathEdge(id);
  const coverage = useEdgeCoverage(id); // the builder's Tests panel
  const classes = [
    isError ? 'edge--error' : selected ? 'edge--selected' : '',
    loop ? 'edge--loop' : '',
    diff ? `edge--diff-${diff}` : '',
    ranHere !== undefined ? (ranHere > 0 ? 'edge--taken' : 'edge--not-taken') : '',
    coverage ? `edge--coverage-${coverage.state}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const style = taken !== undefined ? { strokeWidth: edgeWeight(taken, busiest) } : undefined;
  const count = taken ?? (ranHere ? ranHere : undefined);
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        className={classes || undefined}
        style={style}
        data-back-edge={loop ? 'true' : undefined}
      />
      {count !== undefined ? (
        <EdgeLabelRenderer>
          <span
            className="edge-count"
            data-testid={`taken-${id}`}
            title={taken !== undefined ? `Taken ${taken} times in the window` : `This run took it ${count} time(s)`}
            style={{ transform: `translate(-50%, 0) translate(${labelX}px, ${labelY + 8}px)` }}
          >
            {taken !== undefined ? count : `×${count}`}
          </span>
        </EdgeLabelRenderer>
      ) : null}
      {coverage ? (
        <EdgeLabelRenderer>
          <span
            className={`edge-coverage edge-coverage--${coverage.state}`}
            data-testid={`coverage-edge-${id}`}
            data-coverage={coverage.state}
            title={coverageWords(coverage).title}
            style={{ transform: `translate(-50%, 0) translate(${labelX}px, ${labelY + 10}px)` }}
          >
            {coverageWords(coverage).mark}
            {coverage.traffic !== null ? ` · ${coverage.traffic} in prod.` : ''}
          </span>
        </EdgeLabelRenderer>
      ) : null}
      {label || loop ? (
        <EdgeLabelRenderer>
          <span
            className={`edge-label${isError ? ' edge-label--error' : ''}${loop ? ' edge-label--loop' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            {label}
          </span>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
}

export default memo(OrchestrationEdge);

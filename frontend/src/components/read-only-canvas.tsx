/** The canvas without editing, for the monitor (heat overlay) and the run detail (the run's path). Wiring only. */
import { Background, BackgroundVariant, MiniMap, ReactFlow, type NodeMouseHandler } from '@xyflow/react';
import { useCallback, useEffect } from 'react';

import { edgeTypes } from '../edges/edge-types';
import { useFitWhenMeasured } from '../hooks/use-readable-fit';
import type { FlowEdge, FlowNode } from '../lib/document';
import { nodeTypes } from '../nodes/node-types';
import { useOverlayStore } from '../store/overlay-store';
import { useRunPathStore } from '../store/run-path-store';
import { useThemeStore } from '../store/theme-store';
import { useViewStore } from '../store/view-store';
import { ReadableControls } from './readable-controls';

const HEAT_COLOURS = ['#e2e8f0', '#fef3c7', '#fde68a', '#fdba74', '#f87171', '#dc2626'];
const PATH_COLOURS = { visited: '#86efac', current: '#3b82f6', waiting: '#f59e0b', error: '#dc2626' } as const;

/** The minimap mirrors the overlay: the heat on the monitor, the run's path on a run. Only it re-renders with them. */
function OverlayMiniMap() {
  const heat = useOverlayStore((s) => s.heat);
  const path = useRunPathStore((s) => s.path);
  const colour = useCallback(
    (node: FlowNode) => {
      const step = path?.nodes[node.id];
      if (step) return PATH_COLOURS[step.state];
      const grade = heat[node.id];
      if (grade !== undefined) return HEAT_COLOURS[grade] ?? '#e2e8f0';
      return node.type === 'stage' ? '#c7d2fe' : '#94a3b8';
    },
    [heat, path],
  );
  return <MiniMap<FlowNode> pannable zoomable nodeColor={colour} ariaLabel="Overview of the orchestration" />;
}

export function ReadOnlyCanvas({ nodes, edges, onNodeClick }: { nodes: FlowNode[]; edges: FlowEdge[]; onNodeClick?: (id: string) => void }) {
  const colorMode = useThemeStore((s) => s.theme);
  // Nodes ask the view store whether they may be edited; a read-only canvas is never the draft.
  useEffect(() => useViewStore.getState().setView({ mode: 'version', version: 0 }), []);
  useFitWhenMeasured();
  const click: NodeMouseHandler<FlowNode> = useCallback((_event, node) => onNodeClick?.(node.id), [onNodeClick]);
  return (
    <div className="canvas">
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        colorMode={colorMode}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        edgesReconnectable={false}
        deleteKeyCode={null}
        onNodeClick={onNodeClick ? click : undefined}
        minZoom={0.1}
      >
        <Background variant={BackgroundVariant.Dots} gap={16} />
        <OverlayMiniMap />
        <ReadableControls />
      </ReactFlow>
    </div>
  );
}

/** The canvas without editing, for the monitor (heat overlay) and the run detail (the run's path). Wiring only. */
import { Background, BackgroundVariant, MiniMap, ReactFlow, type NodeMouseHandler } from '@xyflow/react';
import { useCallback, useEffect } from 'react';

import { edgeTypes } from '../edges/edge-types';
import { useFitWhenMeasured } from '../hooks/use-readable-fit';
import { minimapColours, minimapHeatColour, minimapNodeColour, minimapPathColour } from '../lib/chart-theme';
import type { FlowEdge, FlowNode } from '../lib/document';
import { nodeTypes } from '../nodes/node-types';
import { useOverlayStore } from '../store/overlay-store';
import { useRunPathStore } from '../store/run-path-store';
import { useIsDark, useThemeStore } from '../store/theme-store';
import { useViewStore } from '../store/view-store';
import { ReadableControls } from './readable-controls';

/** The minimap mirrors the overlay: the heat on the monitor, the run's path on a run. Only it re-renders with them. */
function OverlayMiniMap() {
  const heat = useOverlayStore((s) => s.heat);
  const path = useRunPathStore((s) => s.path);
  const dark = useIsDark();
  const colour = useCallback(
    (node: FlowNode) => {
      const step = path?.nodes[node.id];
      if (step) return minimapPathColour(step.state, dark);
      const grade = heat[node.id];
      if (grade !== undefined) return minimapHeatColour(grade, dark);
      return minimapNodeColour(node.type, dark);
    },
    [heat, path, dark],
  );
  const { mask, background } = minimapColours(dark);
  return (
    <MiniMap<FlowNode>
      pannable
      zoomable
      nodeColor={colour}
      maskColor={mask}
      bgColor={background}
      ariaLabel="Overview of the orchestration"
    />
  );
}

export function ReadOnlyCanvas({
  nodes,
  edges,
  onNodeClick,
}: {
  nodes: FlowNode[];
  edges: FlowEdge[];
  onNodeClick?: (id: string) => void;
}) {
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

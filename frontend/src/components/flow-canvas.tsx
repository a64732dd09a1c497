/** The canvas: React Flow wired to the flow store. Behaviour lives in hooks/, store/, nodes/ and edges/. */
import { Background, BackgroundVariant, Controls, MiniMap, ReactFlow, useNodesInitialized, useReactFlow } from '@xyflow/react';
import { useEffect, useRef } from 'react';

import { edgeTypes } from '../edges/edge-types';
import { useCanvasHandlers } from '../hooks/use-canvas-handlers';
import type { FlowEdge, FlowNode } from '../lib/document';
import { nodeTypes } from '../nodes/node-types';
import { useThemeStore } from '../store/theme-store';
import { useFlowStore } from '../store/use-flow-store';
import { useReadOnly } from '../store/view-store';

const GRID: [number, number] = [16, 16];
const FIT_VIEW_OPTIONS = { padding: 0.15 };
const DELETE_KEYS = ['Backspace', 'Delete'];

function minimapColour(node: FlowNode): string {
  if (node.type === 'stage') return '#c7d2fe';
  if (node.type === 'decision') return '#fcd34d';
  return '#94a3b8';
}

/** Fits the view when a document is loaded or laid out, once React Flow has measured its nodes. */
function useFitOnArrange(): void {
  const arrangements = useFlowStore((s) => s.arrangements);
  const initialized = useNodesInitialized();
  const { fitView } = useReactFlow();
  const fitted = useRef(-1);
  useEffect(() => {
    if (!initialized || fitted.current === arrangements) return;
    fitted.current = arrangements;
    // Two frames: nodes whose handles changed are measured again first.
    requestAnimationFrame(() => requestAnimationFrame(() => void fitView(FIT_VIEW_OPTIONS)));
  }, [arrangements, initialized, fitView]);
}

export function FlowCanvas() {
  const nodes = useFlowStore((s) => s.nodes);
  const edges = useFlowStore((s) => s.edges);
  const readOnly = useReadOnly();
  const colorMode = useThemeStore((s) => s.theme);
  const handlers = useCanvasHandlers();
  useFitOnArrange();

  return (
    <div className="canvas" onDragOver={readOnly ? undefined : handlers.onDragOver} onDrop={readOnly ? undefined : handlers.onDrop}>
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        colorMode={colorMode}
        onNodesChange={handlers.onNodesChange}
        onEdgesChange={handlers.onEdgesChange}
        onConnect={handlers.onConnect}
        isValidConnection={handlers.isValidConnection}
        onDelete={handlers.onDelete}
        onNodeDragStart={handlers.onNodeDragStart}
        onNodeDragStop={handlers.onNodeDragStop}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={false}
        deleteKeyCode={readOnly ? null : DELETE_KEYS}
        snapToGrid
        snapGrid={GRID}
        minZoom={0.1}
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID} />
        <MiniMap<FlowNode> pannable zoomable nodeColor={minimapColour} ariaLabel="Overview of the orchestration" />
        <Controls showInteractive={false} fitViewOptions={FIT_VIEW_OPTIONS} />
      </ReactFlow>
    </div>
  );
}

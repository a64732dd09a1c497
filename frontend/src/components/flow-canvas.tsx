/** The canvas: React Flow wired to the flow store. Behaviour lives in hooks/, store/, nodes/ and edges/. */
import { Background, BackgroundVariant, Controls, MiniMap, ReactFlow } from '@xyflow/react';

import { edgeTypes } from '../edges/edge-types';
import { useCanvasHandlers } from '../hooks/use-canvas-handlers';
import type { FlowEdge, FlowNode } from '../lib/document';
import { nodeTypes } from '../nodes/node-types';
import { useFlowStore } from '../store/use-flow-store';

const GRID: [number, number] = [16, 16];
const FIT_VIEW_OPTIONS = { padding: 0.15 };
const DELETE_KEYS = ['Backspace', 'Delete'];

function minimapColour(node: FlowNode): string {
  if (node.type === 'stage') return '#c7d2fe';
  if (node.type === 'decision') return '#fcd34d';
  return '#94a3b8';
}

export function FlowCanvas() {
  const nodes = useFlowStore((s) => s.nodes);
  const edges = useFlowStore((s) => s.edges);
  const handlers = useCanvasHandlers();

  return (
    <div className="canvas" onDragOver={handlers.onDragOver} onDrop={handlers.onDrop}>
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={handlers.onNodesChange}
        onEdgesChange={handlers.onEdgesChange}
        onConnect={handlers.onConnect}
        isValidConnection={handlers.isValidConnection}
        onDelete={handlers.onDelete}
        onNodeDragStart={handlers.onNodeDragStart}
        onNodeDragStop={handlers.onNodeDragStop}
        deleteKeyCode={DELETE_KEYS}
        snapToGrid
        snapGrid={GRID}
        fitView
        fitViewOptions={FIT_VIEW_OPTIONS}
        minZoom={0.1}
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID} />
        <MiniMap<FlowNode> pannable zoomable nodeColor={minimapColour} ariaLabel="Overview of the orchestration" />
        <Controls showInteractive={false} fitViewOptions={FIT_VIEW_OPTIONS} />
      </ReactFlow>
    </div>
  );
}

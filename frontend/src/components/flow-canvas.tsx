/** The canvas: React Flow wired to the flow store. Behaviour lives in hooks/, store/, nodes/ and edges/. */
import { Background, BackgroundVariant, Controls, MiniMap, ReactFlow, useNodesInitialized, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';

import { edgeTypes } from '../edges/edge-types';
import { useCanvasHandlers } from '../hooks/use-canvas-handlers';
import { minimapColours, minimapNodeColour } from '../lib/chart-theme';
import type { FlowEdge, FlowNode } from '../lib/document';
import { nodeTypes } from '../nodes/node-types';
import { useIsDark, useThemeStore } from '../store/theme-store';
import { useFlowStore } from '../store/use-flow-store';
import { useReadOnly } from '../store/view-store';

const GRID: [number, number] = [16, 16];
const FIT_VIEW_OPTIONS = { padding: 0.15 };
const DELETE_KEYS = ['Backspace', 'Delete'];

/** The minimap's colours follow the theme: it draws in SVG with colours given, not the page's CSS. */
function useMinimapColours() {
  const dark = useIsDark();
  const nodeColor = useCallback((node: FlowNode) => minimapNodeColour(node.type, dark), [dark]);
  const { mask, background } = minimapColours(dark);
  return { nodeColor, maskColor: mask, bgColor: background };
}

/**
 * Fits the view when a document is loaded or laid out, once React Flow has measured its
 * nodes. Not the document the canvas opens with: React Flow's own `fitView` fits that as
 * soon as it has measured the nodes, in the same task (a frame or two sooner).
 */
function useFitOnArrange(): void {
  const arrangements = useFlowStore((s) => s.arrangements);
  const initialized = useNodesInitialized();
  const { fitView } = useReactFlow();
  const fitted = useRef(arrangements);
  useEffect(() => {
    if (!initialized || fitted.current === arrangements) return;
    fitted.current = arrangements;
    // Two frames: nodes whose handles changed are measured again first.
    requestAnimationFrame(() => requestAnimationFrame(() => void fitView(FIT_VIEW_OPTIONS)));
  }, [arrangements, initialized, fitView]);
}

/** How long after the nodes are measured the minimap comes, and at the latest (nothing measures: a test DOM). */
const MINIMAP_DELAY_MS = 50;
const MINIMAP_LATEST_MS = 1000;

/**
 * Whether to draw the minimap: once React Flow has measured the nodes and fitted them.
 * A 500-node canvas draws them twice more in the minimap, so it waits until the canvas shows.
 */
function useMinimapShown(): boolean {
  const initialized = useNodesInitialized();
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (shown) return undefined;
    const timer = setTimeout(() => setShown(true), initialized ? MINIMAP_DELAY_MS : MINIMAP_LATEST_MS);
    return () => clearTimeout(timer);
  }, [initialized, shown]);
  return shown;
}

export function FlowCanvas() {
  const nodes = useFlowStore((s) => s.nodes);
  const edges = useFlowStore((s) => s.edges);
  const readOnly = useReadOnly();
  const colorMode = useThemeStore((s) => s.theme);
  const handlers = useCanvasHandlers();
  const minimap = useMinimapShown();
  const minimapProps = useMinimapColours();
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
        fitView
        fitViewOptions={FIT_VIEW_OPTIONS}
      >
        <Background variant={BackgroundVariant.Dots} gap={GRID} />
        {minimap ? <MiniMap<FlowNode> pannable zoomable {...minimapProps} ariaLabel="Overview of the orchestration" /> : null}
        <Controls showInteractive={false} fitViewOptions={FIT_VIEW_OPTIONS} />
      </ReactFlow>
    </div>
  );
}

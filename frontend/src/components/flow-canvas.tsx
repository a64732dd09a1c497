/** The canvas: React Flow wired to the flow store. Behaviour lives in hooks/, store/, nodes/ and edges/. */
import { Background, BackgroundVariant, MiniMap, ReactFlow, useNodesInitialized } from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';

import { edgeTypes } from '../edges/edge-types';
import { useCanvasHandlers } from '../hooks/use-canvas-handlers';
import { useFitWhenMeasured, useReadableFit } from '../hooks/use-readable-fit';
import { minimapColours, minimapNodeColour } from '../lib/chart-theme';
import type { FlowEdge, FlowNode } from '../lib/document';
import { nodeTypes } from '../nodes/node-types';
import { useIsDark, useThemeStore } from '../store/theme-store';
import { useFlowStore } from '../store/use-flow-store';
import { useReadOnly } from '../store/view-store';
import { ReadableControls } from './readable-controls';

const GRID: [number, number] = [16, 16];
const DELETE_KEYS = ['Backspace', 'Delete'];

/** The minimap's colours follow the theme: it draws in SVG with colours given, not the page's CSS. */
function useMinimapColours() {
  const dark = useIsDark();
  const nodeColor = useCallback((node: FlowNode) => minimapNodeColour(node.type, dark), [dark]);
  const { mask, background } = minimapColours(dark);
  return { nodeColor, maskColor: mask, bgColor: background };
}

/**
 * Fits the view readably (lib/fit.ts) when the canvas opens, once React Flow has measured
 * its nodes, and when a document is loaded or laid out.
 */
function useFitOnArrange(): void {
  const arrangements = useFlowStore((s) => s.arrangements);
  const opened = useFitWhenMeasured();
  const fit = useReadableFit();
  const fitted = useRef(arrangements);
  useEffect(() => {
    if (!opened || fitted.current === arrangements) return;
    fitted.current = arrangements;
    // Two frames: nodes whose handles changed are measured again first.
    requestAnimationFrame(() => requestAnimationFrame(() => fit({ duration: 300 })));
  }, [arrangements, opened, fit]);
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
    <div
      className="canvas"
      onDragOver={readOnly ? undefined : handlers.onDragOver}
      onDrop={readOnly ? undefined : handlers.onDrop}
    >
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
        {minimap ? (
          <MiniMap<FlowNode> pannable zoomable {...minimapProps} ariaLabel="Overview of the orchestration" />
        ) : null}
        <ReadableControls />
      </ReactFlow>
    </div>
  );
}

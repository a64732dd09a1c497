/** The canvas's event handlers: each hands the event to the flow store. */
import { useReactFlow, type Connection, type OnNodeDrag } from '@xyflow/react';
import { useMemo, type DragEvent } from 'react';

import { isValidConnection } from '../lib/connection-rules';
import { isStep, type FlowEdge, type FlowNode } from '../lib/document';
import { isPaletteType, PALETTE_MIME } from '../lib/palette';
import { useNoticeStore } from '../store/notice-store';
import { flowStore } from '../store/use-flow-store';

export function useCanvasHandlers() {
  const { screenToFlowPosition } = useReactFlow<FlowNode, FlowEdge>();
  const show = useNoticeStore((s) => s.show);

  return useMemo(() => {
    const store = () => flowStore.getState();
    // Only a step dragged on its own may change stage; a multi-selection moves as it is.
    const draggedStep = (nodes: FlowNode[]) => (nodes.length === 1 && nodes[0] && isStep(nodes[0]) ? nodes[0] : null);

    const onNodeDragStart: OnNodeDrag<FlowNode> = (_event, _node, nodes) => {
      store().beginGesture();
      const step = draggedStep(nodes);
      if (step) store().releaseStep(step.id);
    };
    const onNodeDragStop: OnNodeDrag<FlowNode> = (_event, _node, nodes) => {
      const step = draggedStep(nodes);
      if (step) store().dropStep(step.id);
      store().endGesture();
    };

    return {
      onNodesChange: store().applyNodeChanges,
      onEdgesChange: store().applyEdgeChanges,
      onConnect: (connection: Connection) => {
        const problem = store().connect(connection);
        if (problem) show(problem);
      },
      isValidConnection: (connection: Connection | FlowEdge) =>
        isValidConnection(connection, store().nodes, store().edges),
      onDelete: ({ nodes, edges }: { nodes: FlowNode[]; edges: FlowEdge[] }) =>
        store().removeElements(
          nodes.map((n) => n.id),
          edges.map((e) => e.id),
        ),
      onNodeDragStart,
      onNodeDragStop,
      onDragOver: (event: DragEvent) => {
        if (!event.dataTransfer.types.includes(PALETTE_MIME)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
      },
      onDrop: (event: DragEvent) => {
        const type = event.dataTransfer.getData(PALETTE_MIME);
        if (!isPaletteType(type)) return;
        event.preventDefault();
        const result = store().addNode(type, screenToFlowPosition({ x: event.clientX, y: event.clientY }));
        if ('problem' in result) show(result.problem);
      },
    };
  }, [screenToFlowPosition, show]);
}

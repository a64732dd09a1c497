/** Node types to drag onto the canvas; a click adds one at the centre of the view. */
import { useStoreApi } from '@xyflow/react';
import type { DragEvent } from 'react';

import { PALETTE, PALETTE_MIME, type PaletteType } from '../lib/palette';
import { useNoticeStore } from '../store/notice-store';
import { flowStore, useFlowStore } from '../store/use-flow-store';

export function Palette() {
  const reactFlow = useStoreApi();
  const show = useNoticeStore((s) => s.show);
  const hasStart = useFlowStore((s) => s.nodes.some((n) => n.type === 'start'));

  const onDragStart = (event: DragEvent, type: PaletteType) => {
    event.dataTransfer.setData(PALETTE_MIME, type);
    event.dataTransfer.effectAllowed = 'copy';
  };

  const addAtCentre = (type: PaletteType) => {
    const { width, height, transform } = reactFlow.getState();
    const [x, y, zoom] = transform;
    const centre = { x: (width / 2 - x) / zoom, y: (height / 2 - y) / zoom };
    const result = flowStore.getState().addNode(type, centre);
    if ('problem' in result) show(result.problem);
  };

  return (
    <nav className="palette" aria-label="Add to the orchestration">
      <h2 className="panel-title">Add</h2>
      <p className="palette__hint">
        Drag onto the canvas, or click to add in the middle of the view. Steps go inside a stage.
      </p>
      <ul>
        {PALETTE.filter((item) => item.type !== 'start' || !hasStart).map((item) => (
          <li key={item.type}>
            <button
              type="button"
              draggable
              className={`palette__item palette__item--${item.type}`}
              onDragStart={(event) => onDragStart(event, item.type)}
              onClick={() => addAtCentre(item.type)}
              title={item.hint}
            >
              {item.label}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** What the palette offers, in the document's words. */
import type { FlowNode } from './document';

export type PaletteType = FlowNode['type'];

/** The drag-and-drop data type that carries a palette item's node type. */
export const PALETTE_MIME = 'application/x-overture-node';

export const PALETTE: ReadonlyArray<{ type: PaletteType; label: string; hint: string }> = [
  { type: 'stage', label: 'Stage', hint: 'A phase; its steps run inside it' },
  { type: 'interactive', label: 'Interactive step', hint: 'Work for a person: a form with outcomes' },
  { type: 'background', label: 'Background step', hint: 'Runs an action' },
  { type: 'wait', label: 'Wait step', hint: 'Waits for a condition, an event or a timer' },
  { type: 'decision', label: 'Decision', hint: 'Chooses the next stage by its outcomes' },
  { type: 'end', label: 'End', hint: 'Where a run finishes' },
  { type: 'start', label: 'Start', hint: 'Where a run begins (one per orchestration)' },
];

const TYPES = new Set<string>(PALETTE.map((item) => item.type));

export function isPaletteType(value: string): value is PaletteType {
  return TYPES.has(value);
}

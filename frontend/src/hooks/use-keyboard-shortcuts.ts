/**
 * The builder's keyboard: Ctrl/⌘ + Z, Shift+Z or Y, C, V, D, S; `?` for the help;
 * `[` and `]` collapse or expand the side panels; arrow keys move the selected nodes (Shift: four times as far). Nothing happens
 * while typing into a field; editing keys do nothing on a read-only canvas.
 */
import { useEffect } from 'react';

import { usePanelsStore, type Panel } from '../store/panels-store';
import { flowStore } from '../store/use-flow-store';
import { isReadOnly } from '../store/view-store';

/** One arrow press moves a node by the canvas's grid. */
export const MOVE_STEP = 16;

export type Shortcut = { keys: string; what: string };

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'Ctrl/⌘ + Z', what: 'Undo' },
  { keys: 'Ctrl/⌘ + Shift + Z, Ctrl/⌘ + Y', what: 'Redo' },
  { keys: 'Ctrl/⌘ + C', what: 'Copy the selected nodes' },
  { keys: 'Ctrl/⌘ + V', what: 'Paste' },
  { keys: 'Ctrl/⌘ + D', what: 'Duplicate the selected nodes' },
  { keys: 'Ctrl/⌘ + S', what: 'Save the draft now (it also saves by itself)' },
  { keys: 'Delete, Backspace', what: 'Delete the selected nodes and edges' },
  { keys: 'Arrow keys', what: `Move the selected nodes (${MOVE_STEP} px)` },
  { keys: 'Shift + arrow keys', what: `Move them further (${MOVE_STEP * 4} px)` },
  { keys: 'Tab, Enter', what: 'Go from node to node; Enter selects the focused one' },
  { keys: 'T', what: 'Show or hide the Tests panel (scenarios and coverage)' },
  { keys: 'R', what: 'Show or hide the Test run panel (walk the draft as its personas)' },
  { keys: '[', what: 'Collapse or expand the left panel (palette and versions)' },
  { keys: ']', what: 'Collapse or expand the right panel (properties, tests, test run)' },
  { keys: 'Escape', what: 'Close this help' },
  { keys: '?', what: 'Show this help' },
];

const PANEL_KEYS: Record<string, Panel> = { '[': 'left', ']': 'right' };

const ARROWS: Record<string, [number, number]> = {
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
};

export function typingInto(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

/** React Flow moves a focused node (or a focused selection box) with the arrows itself. */
function reactFlowMoves(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && target.closest('.react-flow__node, .react-flow__nodesselection') !== null;
}

export function useKeyboardShortcuts(onSave: () => void, onHelp: () => void): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (typingInto(event.target) || event.altKey) return;
      const readOnly = isReadOnly();
      const flow = flowStore.getState();
      if (!(event.ctrlKey || event.metaKey)) {
        if (event.key === '?') {
          event.preventDefault();
          onHelp();
          return;
        }
        const panel = PANEL_KEYS[event.key];
        if (panel) {
          event.preventDefault();
          usePanelsStore.getState().toggle(panel);
          return;
        }
        const arrow = ARROWS[event.key];
        if (arrow && !readOnly && !reactFlowMoves(event.target) && flow.nodes.some((n) => n.selected)) {
          event.preventDefault();
          const step = event.shiftKey ? MOVE_STEP * 4 : MOVE_STEP;
          flow.moveSelected(arrow[0] * step, arrow[1] * step);
        }
        return;
      }
      const history = flowStore.temporal.getState();
      const key = event.key.toLowerCase();
      // An inspector edit still open (focus on one of its buttons) is recorded before undo/redo.
      if (key === 'z' || key === 'y') flow.endGesture();
      const editing: Record<string, () => void> = {
        z: () => (event.shiftKey ? history.redo() : history.undo()),
        y: () => history.redo(),
        v: () => flow.paste(),
        d: () => flow.duplicate(),
        s: onSave,
      };
      const action = key === 'c' ? () => flow.copy() : readOnly ? undefined : editing[key];
      if (!action) {
        if (key === 's') event.preventDefault(); // not the browser's "save page" on a read-only canvas
        return;
      }
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [onSave, onHelp]);
}

/** Undo, redo, copy, paste, duplicate and save from the keyboard (Ctrl or ⌘), outside text fields. */
import { useEffect } from 'react';

import { flowStore } from '../store/use-flow-store';

function typingInto(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export function useKeyboardShortcuts(onSave: () => void): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || typingInto(event.target)) return;
      const flow = flowStore.getState();
      const history = flowStore.temporal.getState();
      const key = event.key.toLowerCase();
      const actions: Record<string, () => void> = {
        z: () => (event.shiftKey ? history.redo() : history.undo()),
        y: () => history.redo(),
        c: () => flow.copy(),
        v: () => flow.paste(),
        d: () => flow.duplicate(),
        s: onSave,
      };
      const action = actions[key];
      if (!action) return;
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [onSave]);
}

/**
 * Which of the builder's side panels are collapsed: the left (palette and versions) and
 * the right (properties, tests, test run). On a small screen both give the canvas their
 * width; the choice is kept in localStorage, like the theme.
 */
import { create } from 'zustand';

export type Panel = 'left' | 'right';

const KEY = 'overture.builder.collapsed';

/** What was chosen last, both open when nothing was. */
export function storedCollapsed(): Record<Panel, boolean> {
  try {
    const value: unknown = JSON.parse(globalThis.localStorage?.getItem(KEY) ?? 'null');
    if (value && typeof value === 'object') {
      const { left, right } = value as Record<string, unknown>;
      return { left: left === true, right: right === true };
    }
  } catch {
    // unreadable or not JSON: both open
  }
  return { left: false, right: false };
}

type PanelsState = {
  collapsed: Record<Panel, boolean>;
  toggle: (panel: Panel) => void;
  expand: (panel: Panel) => void;
};

export const usePanelsStore = create<PanelsState>()((set, get) => {
  const save = (collapsed: Record<Panel, boolean>) => {
    try {
      globalThis.localStorage?.setItem(KEY, JSON.stringify(collapsed));
    } catch {
      // private mode: the choice lasts for this page only
    }
    set({ collapsed });
  };
  return {
    collapsed: storedCollapsed(),
    toggle: (panel) => save({ ...get().collapsed, [panel]: !get().collapsed[panel] }),
    expand: (panel) => {
      if (get().collapsed[panel]) save({ ...get().collapsed, [panel]: false });
    },
  };
});

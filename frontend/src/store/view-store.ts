/**
 * What the builder's canvas shows: the draft (editable), an earlier version (read
 * only) or a comparison of two versions (read only, changes highlighted). The
 * diff lives here, apart from `nodes`: a node reads its own status with a narrow
 * selector. The draft is read only too for someone who may not change it (ops).
 */
import { create } from 'zustand';

import type { DiffStatus, DocumentDiff } from '../lib/document-diff';
import { may } from '../lib/permissions';
import { useSessionStore } from './session-store';

/** A version number, or the draft. */
export type VersionRef = number | 'draft';

export type BuilderView =
  { mode: 'draft' } | { mode: 'version'; version: number } | { mode: 'diff'; from: VersionRef; to: VersionRef };

type ViewState = {
  view: BuilderView;
  diff: DocumentDiff | null;
  setView: (view: BuilderView, diff?: DocumentDiff | null) => void;
};

export const useViewStore = create<ViewState>()((set) => ({
  view: { mode: 'draft' },
  diff: null,
  setView: (view, diff = null) => set({ view, diff }),
}));

/** Someone known to be signed in without the right to change drafts (the server would answer 403). */
export function mayNotDesign(role: string | null | undefined): boolean {
  return role != null && !may(role, 'design');
}

/** Whether the canvas may not be changed now (outside a hook: `isReadOnly()`). */
export function useReadOnly(): boolean {
  const role = useSessionStore((s) => s.user?.role);
  return useViewStore((s) => s.view.mode !== 'draft') || mayNotDesign(role);
}

export function isReadOnly(): boolean {
  return useViewStore.getState().view.mode !== 'draft' || mayNotDesign(useSessionStore.getState().user?.role);
}

export function useNodeDiff(nodeId: string): DiffStatus | undefined {
  return useViewStore((s) => s.diff?.nodes[nodeId]);
}

export function useEdgeDiff(edgeId: string): DiffStatus | undefined {
  return useViewStore((s) => s.diff?.edges[edgeId]);
}

export function versionLabel(ref: VersionRef): string {
  return ref === 'draft' ? 'the draft' : `version ${ref}`;
}

/** The server's validation issues for the document on the canvas, and which nodes they name. */
import { create } from 'zustand';

import type { Issue } from '../lib/api-schemas';

type IssuesState = {
  issues: Issue[];
  /** When the issues were found: they may be out of date once the canvas changes. */
  checkedAt: Date | null;
  setIssues: (issues: Issue[]) => void;
  /**
   * Someone edited this field: its issues (and those of the fields inside it) go at once,
   * not a save later. The next check brings back whatever still holds.
   */
  clearField: (node: string | null, field: string) => void;
};

/** Whether an issue is about this field or a field inside it (`assignee` holds `assignee.value`). */
export function isAbout(issue: Issue, node: string | null, field: string): boolean {
  if (issue.edge || issue.node !== node) return false;
  return issue.field === field || issue.field.startsWith(`${field}.`);
}

export const useIssuesStore = create<IssuesState>()((set, get) => ({
  issues: [],
  checkedAt: null,
  setIssues: (issues) => set({ issues, checkedAt: new Date() }),
  clearField: (node, field) => {
    const { issues } = get();
    const kept = issues.filter((i) => !isAbout(i, node, field));
    if (kept.length !== issues.length) set({ issues: kept });
  },
}));

/** The worst severity among the issues naming this node: a node re-renders only when it changes. */
export function useNodeSeverity(nodeId: string): 'error' | 'warning' | null {
  return useIssuesStore((s) => {
    let worst: 'error' | 'warning' | null = null;
    for (const issue of s.issues) {
      if (issue.node !== nodeId) continue;
      if (issue.severity === 'error') return 'error';
      worst = 'warning';
    }
    return worst;
  });
}

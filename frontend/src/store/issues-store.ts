/** The server's validation issues for the document on the canvas, and which nodes they name. */
import { create } from 'zustand';

import type { Issue } from '../lib/api-schemas';

type IssuesState = {
  issues: Issue[];
  /** When the issues were found: they may be out of date once the canvas changes. */
  checkedAt: Date | null;
  setIssues: (issues: Issue[]) => void;
};

export const useIssuesStore = create<IssuesState>()((set) => ({
  issues: [],
  checkedAt: null,
  setIssues: (issues) => set({ issues, checkedAt: new Date() }),
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

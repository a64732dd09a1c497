/** What "New orchestration → blank canvas" starts from: a start and an end, nothing between. */
import type { OrchestrationDocument } from './document-schema';

export function blankDocument(key: string, label: string): OrchestrationDocument {
  return {
    format: 1,
    key,
    label,
    trigger: { type: 'manual' },
    nodes: [
      { id: 'start', type: 'start', ui: { x: 0, y: 80 } },
      { id: 'end', type: 'end', label: 'End', ui: { x: 480, y: 80 } },
    ],
    edges: [],
  };
}

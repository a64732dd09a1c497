import { describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { countChanges, diffDocuments, mergeForDiff } from './document-diff';
import { parseDocument, type OrchestrationDocument } from './document-schema';

const BEFORE = parseDocument({
  format: 1,
  key: 'k',
  label: 'K',
  nodes: [
    { id: 'start', type: 'start', ui: { x: 0, y: 0 } },
    { id: 'review', type: 'stage', label: 'Review', ui: { x: 100, y: 0, width: 320, height: 200 } },
    { id: 'ask', type: 'interactive', stage: 'review', label: 'Ask', due: 'P2D', ui: { x: 20, y: 56 } },
    { id: 'old', type: 'wait', stage: 'review', label: 'Old', timer: { duration: 'P1D' }, ui: { x: 20, y: 124 } },
    { id: 'done', type: 'end', ui: { x: 800, y: 0 } },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'review' },
    { id: 'e2', source: 'review', target: 'done' },
  ],
});

function after(): OrchestrationDocument {
  const doc = structuredClone(BEFORE);
  doc.label = 'K2';
  doc.nodes = doc.nodes.filter((n) => n.id !== 'old');
  const ask = doc.nodes.find((n) => n.id === 'ask');
  if (ask?.type === 'interactive') ask.due = 'P3D';
  const start = doc.nodes.find((n) => n.id === 'start');
  if (start) start.ui = { x: 500, y: 500 }; // moved: not a change
  doc.nodes.push({ id: 'fail', type: 'end', label: 'Failed', ui: { x: 800, y: 300 } });
  doc.edges.push({ id: 'e3', source: 'review', target: 'fail', kind: 'error' });
  doc.edges[1] = { id: 'e2', source: 'review', target: 'fail' };
  return doc;
}

describe('diffDocuments', () => {
  it('finds added, removed and changed nodes and edges, ignoring moves', () => {
    const diff = diffDocuments(BEFORE, after());
    expect(diff.nodes).toEqual({ old: 'removed', ask: 'changed', fail: 'added' });
    expect(diff.nodeFields).toEqual({ ask: ['due'] });
    expect(diff.edges).toEqual({ e2: 'changed', e3: 'added' });
    expect(diff.meta).toEqual(['label']);
    expect(countChanges(diff)).toEqual({ added: 1, removed: 1, changed: 1 });
  });

  it('finds nothing between a document and itself', () => {
    const template = parseDocument(structuredClone(contractApproval));
    const diff = diffDocuments(template, parseDocument(structuredClone(contractApproval)));
    expect(diff).toEqual({ nodes: {}, edges: {}, nodeFields: {}, meta: [] });
  });

  it('is symmetric: what one side added the other removed', () => {
    const diff = diffDocuments(after(), BEFORE);
    expect(diff.nodes).toEqual({ old: 'added', ask: 'changed', fail: 'removed' });
  });
});

describe('mergeForDiff', () => {
  it('draws the newer document plus what only the older one had', () => {
    const merged = mergeForDiff(BEFORE, after());
    expect(merged.label).toBe('K2');
    expect(merged.nodes.map((n) => n.id)).toEqual(['start', 'review', 'ask', 'done', 'fail', 'old']);
    expect(merged.nodes.find((n) => n.id === 'old')).toMatchObject({ stage: 'review' });
    expect(merged.edges.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
  });

  it('keeps a removed edge only when both its ends are drawn', () => {
    const before = structuredClone(BEFORE);
    before.edges.push({ id: 'gone', source: 'review', target: 'nowhere' });
    expect(mergeForDiff(before, after()).edges.map((e) => e.id)).not.toContain('gone');
  });
});

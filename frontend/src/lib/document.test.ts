import { describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import projectMilestones from '../../../runtime/templates/project_milestones.json';
import serviceRequest from '../../../runtime/templates/service_request.json';
import {
  DEFAULT_OUTCOME,
  canonicalJson,
  ERROR_HANDLE,
  NEXT_HANDLE,
  documentToFlow,
  flowToDocument,
  needsLayout,
  type FlowNode,
} from './document';
import { DocumentShapeError, parseDocument, type OrchestrationDocument } from './document-schema';

const TEMPLATES = {
  contract_approval: contractApproval,
  project_milestones: projectMilestones,
  service_request: serviceRequest,
};

/** The document without the `ui` the canvas added where the original had none. */
function withoutAddedUi(document: OrchestrationDocument, original: OrchestrationDocument): OrchestrationDocument {
  const hadUi = new Set(original.nodes.filter((n) => n.ui !== undefined).map((n) => n.id));
  return {
    ...document,
    nodes: document.nodes.map((node) => {
      if (hadUi.has(node.id)) return node;
      const { ui: _ui, ...rest } = node;
      return rest;
    }),
  };
}

function node(nodes: FlowNode[], id: string): FlowNode {
  const found = nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

describe('document ⇄ flow', () => {
  it.each(Object.entries(TEMPLATES))('round-trips the %s template', (_name, template) => {
    const original = parseDocument(structuredClone(template));
    const back = flowToDocument(documentToFlow(original));
    expect(withoutAddedUi(back, original)).toEqual(template);
    expect(back.nodes.map((n) => n.id)).toEqual(template.nodes.map((n) => n.id));
  });

  it('maps stages to parents and steps to their children', () => {
    const { nodes } = documentToFlow(parseDocument(structuredClone(contractApproval)));
    const legal = node(nodes, 'legal');
    expect(legal.type).toBe('stage');
    expect(legal.width).toBeGreaterThan(0);
    expect(legal.height).toBeGreaterThan(0);
    const review = node(nodes, 'legal_review');
    expect(review).toMatchObject({ type: 'interactive', parentId: 'legal', extent: 'parent' });
    expect(review.data).not.toHaveProperty('stage');
    expect(review.data).toMatchObject({ label: 'Review contract terms', due: 'P2D' });
    // Parents come before their children, as React Flow needs.
    nodes.forEach((n, index) => {
      if (n.parentId) expect(nodes.findIndex((p) => p.id === n.parentId)).toBeLessThan(index);
    });
  });

  it('puts a step listed before its stage after it', () => {
    const document = parseDocument({
      format: 1,
      key: 'k',
      label: 'K',
      nodes: [
        { id: 'ask', type: 'interactive', stage: 'review', label: 'Ask' },
        { id: 'review', type: 'stage', label: 'Review' },
      ],
      edges: [],
    });
    const { nodes } = documentToFlow(document);
    expect(nodes.map((n) => n.id)).toEqual(['review', 'ask']);
    expect(node(nodes, 'ask').parentId).toBe('review');
  });

  it('reads and writes ui: stage sizes, positions and extra keys', () => {
    const document = parseDocument({
      format: 1,
      key: 'k',
      label: 'K',
      ui: { viewport: { zoom: 1 } },
      nodes: [
        { id: 'start', type: 'start', ui: { x: -100, y: 40 } },
        { id: 'review', type: 'stage', label: 'Review', ui: { x: 10, y: 20, width: 400, height: 300, colour: 'teal' } },
        { id: 'ask', type: 'interactive', stage: 'review', label: 'Ask', ui: { x: 16, y: 64 } },
        { id: 'done', type: 'end', ui: { x: 600, y: 40 } },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'review', ui: { bend: 3 } },
        { id: 'e2', source: 'review', target: 'done', label: 'then' },
      ],
    });
    const flow = documentToFlow(document);
    expect(node(flow.nodes, 'review')).toMatchObject({ position: { x: 10, y: 20 }, width: 400, height: 300 });
    expect(node(flow.nodes, 'ask').position).toEqual({ x: 16, y: 64 });
    expect(needsLayout(document)).toBe(false);
    expect(flowToDocument(flow)).toEqual(document);
  });

  it('keeps fields the canvas does not know', () => {
    const document = parseDocument({
      format: 1,
      key: 'k',
      label: 'K',
      future: true,
      nodes: [{ id: 'start', type: 'start', colour: 'red' }],
      edges: [],
    });
    const back = flowToDocument(documentToFlow(document));
    expect(back).toMatchObject({ future: true, nodes: [{ id: 'start', colour: 'red' }] });
  });

  it('writes the stage of a re-parented step from its parent', () => {
    const flow = documentToFlow(parseDocument(structuredClone(contractApproval)));
    const nodes = flow.nodes.map((n) => (n.id === 'legal_review' ? { ...n, parentId: 'finance' } : n));
    const moved = flowToDocument({ ...flow, nodes }).nodes.find((n) => n.id === 'legal_review');
    expect(moved).toMatchObject({ type: 'interactive', stage: 'finance' });
  });

  it('maps decision outcomes to source handles and back to edges with outcome', () => {
    const flow = documentToFlow(parseDocument(structuredClone(contractApproval)));
    const fromDealSize = flow.edges.filter((e) => e.source === 'deal_size');
    expect(fromDealSize.map((e) => [e.sourceHandle, e.target])).toEqual([
      ['big', 'vp'],
      [DEFAULT_OUTCOME, 'executive'],
    ]);
    expect(fromDealSize.every((e) => !('outcome' in (e.data ?? {})))).toBe(true);
    expect(flow.edges.find((e) => e.id === 'e_start')?.sourceHandle).toBe(NEXT_HANDLE);
    expect(flow.edges.find((e) => e.id === 'e_legal')?.sourceHandle).toBe(NEXT_HANDLE);

    // A new edge from a decision's outcome handle becomes an edge with that outcome.
    const edges = [
      ...flow.edges,
      { id: 'e_new', source: 'legal_ok', target: 'signed', sourceHandle: 'sent_back', targetHandle: null },
    ];
    const back = flowToDocument({ ...flow, edges });
    expect(back.edges.find((e) => e.id === 'e_new')).toEqual({
      id: 'e_new',
      source: 'legal_ok',
      target: 'signed',
      outcome: 'sent_back',
    });
  });

  it('maps a stage error edge to the error handle and back to kind error', () => {
    const document = parseDocument({
      format: 1,
      key: 'k',
      label: 'K',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'work', type: 'stage', label: 'Work' },
        { id: 'done', type: 'end' },
        { id: 'failed', type: 'end' },
      ],
      edges: [
        { id: 'e1', source: 'start', target: 'work' },
        { id: 'e2', source: 'work', target: 'done' },
        { id: 'e3', source: 'work', target: 'failed', kind: 'error' },
      ],
    });
    const flow = documentToFlow(document);
    expect(flow.edges.map((e) => e.sourceHandle)).toEqual([NEXT_HANDLE, NEXT_HANDLE, ERROR_HANDLE]);
    expect(flowToDocument(flow).edges).toEqual(document.edges);
  });

  it('lays out documents without ui, and says so', () => {
    const document = parseDocument(structuredClone(serviceRequest));
    expect(needsLayout(document)).toBe(true);
    const { nodes } = documentToFlow(document);
    const topLevel = nodes.filter((n) => !n.parentId);
    expect(new Set(topLevel.map((n) => n.position.x)).size).toBe(topLevel.length);
  });
});

describe('canonicalJson', () => {
  it('is the same for the same document whatever the key order, so a reload is not a change', () => {
    const document = parseDocument(structuredClone(contractApproval));
    const flow = documentToFlow(document);
    const back = flowToDocument(flow);
    expect(canonicalJson(flowToDocument(documentToFlow(back)))).toBe(canonicalJson(back));
    expect(canonicalJson({ b: [{ y: 1, x: 2 }], a: null })).toBe('{"a":null,"b":[{"x":2,"y":1}]}');
  });
});

describe('parseDocument', () => {
  it('accepts an incomplete draft the server stored', () => {
    const draft = {
      format: 1,
      key: 'expense',
      label: 'Expense',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'ask', type: 'interactive' },
      ],
      edges: [],
    };
    expect(parseDocument(draft).nodes).toHaveLength(2);
  });

  it('refuses what the canvas cannot draw, naming where', () => {
    const bad = {
      key: 'k',
      nodes: [
        { id: 'x', type: 'teleport' },
        { id: 3, type: 'start' },
      ],
      edges: [{ id: 'e' }],
    };
    expect(() => parseDocument(bad)).toThrow(DocumentShapeError);
    try {
      parseDocument(bad);
    } catch (error) {
      const problems = (error as DocumentShapeError).problems.join('\n');
      expect(problems).toMatch(/nodes\.0\.type/);
      expect(problems).toMatch(/nodes\.1\.id/);
      expect(problems).toMatch(/edges\.0\.source/);
    }
    expect(() => parseDocument('nope')).toThrow(DocumentShapeError);
  });
});

import { describe, expect, it } from 'vitest';

import contractApproval from '../../../runtime/templates/contract_approval.json';
import { documentToFlow } from './document';
import { parseDocument } from './document-schema';
import { layout } from './layout';

describe('layout', () => {
  it('places every node, keeps steps inside their stage and orders them by start.after', async () => {
    const { nodes, edges } = documentToFlow(parseDocument(structuredClone(contractApproval)));
    const placements = await layout(nodes, edges);
    expect([...placements.keys()].sort()).toEqual(nodes.map((n) => n.id).sort());

    const revise = placements.get('revise');
    const apply = placements.get('apply_revision');
    const reviseContract = placements.get('revise_contract');
    expect(revise?.width).toBeGreaterThan(0);
    expect(apply && reviseContract && apply.y > reviseContract.y).toBe(true);
    for (const step of nodes.filter((n) => n.parentId === 'revise')) {
      const p = placements.get(step.id);
      expect(p && revise && p.x >= 0 && p.y >= 0 && p.x < (revise.width ?? 0) && p.y < (revise.height ?? 0)).toBe(true);
    }
    // Left to right: start before the first stage, the first stage before its decision.
    const x = (id: string) => placements.get(id)?.x ?? Number.NaN;
    expect(x('start')).toBeLessThan(x('legal'));
    expect(x('legal')).toBeLessThan(x('legal_ok'));
  });
});

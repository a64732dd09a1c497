/** Names a CEL expression may use here (FORMAT.md "Expressions"), offered as suggestions in a <datalist>. */
import { useMemo } from 'react';

import { isStep } from '../../lib/document';
import { useFlowStore } from '../../store/use-flow-store';

export const NAMES_LIST_ID = 'cel-names';
export const TRIGGER_NAMES_LIST_ID = 'cel-trigger-names';

const RECORD_NAMES = ['record.id', 'record.owner', 'record.object', 'record.status'];
const RUN_NAMES = ['run.id', 'run.started_by', 'run.started_at', 'now'];

export function useExpressionNames(): string[] {
  const nodes = useFlowStore((s) => s.nodes);
  const inputs = useFlowStore((s) => s.meta.inputs);
  const variables = useFlowStore((s) => s.meta.variables);
  return useMemo(() => {
    const names = [
      ...(inputs ?? []).map((i) => `inputs.${i.name}`),
      ...(variables ?? []).map((v) => `vars.${v.name}`),
      ...RECORD_NAMES,
    ];
    for (const node of nodes) {
      if (isStep(node)) names.push(`steps.${node.id}.outcome`, `steps.${node.id}.status`, `steps.${node.id}.completed_by`);
      if (node.type === 'stage') names.push(`stages.${node.id}.status`, `stages.${node.id}.visits`);
    }
    return [...names, ...RUN_NAMES];
  }, [nodes, inputs, variables]);
}

/** The suggestion lists, rendered once in the inspector. */
export function ExpressionNameLists() {
  const names = useExpressionNames();
  return (
    <>
      <datalist id={NAMES_LIST_ID}>
        {names.map((n) => <option key={n} value={n} />)}
      </datalist>
      <datalist id={TRIGGER_NAMES_LIST_ID}>
        {[...RECORD_NAMES, 'now'].map((n) => <option key={n} value={n} />)}
      </datalist>
    </>
  );
}

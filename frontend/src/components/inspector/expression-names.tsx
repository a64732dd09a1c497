/** Names a CEL expression may use here (FORMAT.md "Expressions"), offered as suggestions in a <datalist>. */
import { useEffect, useMemo, useState } from 'react';

import { isStep, type FlowNode } from '../../lib/document';
import { useFlowStore } from '../../store/use-flow-store';

export const NAMES_LIST_ID = 'cel-names';
export const TRIGGER_NAMES_LIST_ID = 'cel-trigger-names';

const RECORD_NAMES = ['record.id', 'record.owner', 'record.object', 'record.status'];
const RUN_NAMES = ['run.id', 'run.started_by', 'run.started_at', 'now'];

/** The steps' and stages' names, one string: it changes when one is added, removed or renamed, not when a node moves. */
function nodeNames(nodes: readonly FlowNode[]): string {
  const names: string[] = [];
  for (const node of nodes) {
    if (isStep(node)) names.push(`steps.${node.id}.outcome`, `steps.${node.id}.status`, `steps.${node.id}.completed_by`);
    if (node.type === 'stage') names.push(`stages.${node.id}.status`, `stages.${node.id}.visits`);
  }
  return names.join('\n');
}

export function useExpressionNames(): string[] {
  const fromNodes = useFlowStore((s) => nodeNames(s.nodes));
  const inputs = useFlowStore((s) => s.meta.inputs);
  const variables = useFlowStore((s) => s.meta.variables);
  return useMemo(() => [
    ...(inputs ?? []).map((i) => `inputs.${i.name}`),
    ...(variables ?? []).map((v) => `vars.${v.name}`),
    ...RECORD_NAMES,
    ...(fromNodes ? fromNodes.split('\n') : []),
    ...RUN_NAMES,
  ], [fromNodes, inputs, variables]);
}

/** How long the suggestions may wait for an idle moment after the inspector shows. */
const LISTS_LATEST_MS = 1000;

/** True once the page has had an idle moment since mounting (at the latest after {@link LISTS_LATEST_MS}). */
function useAfterIdle(): boolean {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    if (typeof requestIdleCallback === 'function') {
      const handle = requestIdleCallback(() => setIdle(true), { timeout: LISTS_LATEST_MS });
      return () => cancelIdleCallback(handle);
    }
    const timer = setTimeout(() => setIdle(true), 0);
    return () => clearTimeout(timer);
  }, []);
  return idle;
}

/**
 * The suggestion lists, rendered once in the inspector: when the page is idle, since a
 * 500-node draft has over a thousand names, and drawing them is not what opening it waits for.
 */
export function ExpressionNameLists() {
  const idle = useAfterIdle();
  return idle ? <NameLists /> : null;
}

function NameLists() {
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

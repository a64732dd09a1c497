/**
 * Names a CEL expression may use here (FORMAT.md "Expressions"): for conditions, the names
 * in the condition's scope with labels and types (lib/expression-scope.ts), computed when
 * a person opens the suggestions; for other expressions, a flat <datalist>.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';

import { isStep, type Flow, type FlowNode } from '../../lib/document';
import { describeName, namesInScope, type ExpressionName, type NameScope } from '../../lib/expression-scope';
import { useDirectoryStore } from '../../store/directory-store';
import { flowStore, useFlowStore } from '../../store/use-flow-store';

export const NAMES_LIST_ID = 'cel-names';

function currentFlow(): Flow {
  const { meta, nodes, edges } = flowStore.getState();
  return { meta, nodes, edges };
}

/**
 * The names in `scope`, as a function to call when the suggestions open, and what one name is.
 * Neither subscribes to the flow: a condition field does not re-render when a node moves.
 */
export function useNamesInScope(scope: NameScope): {
  names: () => ExpressionName[];
  describe: (name: string) => ExpressionName | null;
} {
  const recordTypes = useDirectoryStore((s) => s.recordTypes);
  // Keyed by the scope's parts: an object literal prop is new on every render.
  const place = typeof scope === 'string' ? scope : null;
  const node = typeof scope === 'string' ? '' : scope.node;
  const field = typeof scope === 'string' ? undefined : scope.field;
  const names = useCallback(
    () => namesInScope(currentFlow(), recordTypes, place ?? (field ? { node, field } : { node })),
    [place, node, field, recordTypes],
  );
  const describe = useCallback((name: string) => describeName(currentFlow(), recordTypes, name), [recordTypes]);
  return { names, describe };
}

const RECORD_NAMES = ['record.id', 'record.owner', 'record.object', 'record.status'];
const RUN_NAMES = ['run.id', 'run.started_by', 'run.started_at', 'now'];

/** The steps' and stages' names, one string: it changes when one is added, removed or renamed, not when a node moves. */
function nodeNames(nodes: readonly FlowNode[]): string {
  const names: string[] = [];
  for (const node of nodes) {
    if (isStep(node))
      names.push(`steps.${node.id}.outcome`, `steps.${node.id}.status`, `steps.${node.id}.completed_by`);
    if (node.type === 'stage') names.push(`stages.${node.id}.status`, `stages.${node.id}.visits`);
  }
  return names.join('\n');
}

export function useExpressionNames(): string[] {
  const fromNodes = useFlowStore((s) => nodeNames(s.nodes));
  const inputs = useFlowStore((s) => s.meta.inputs);
  const variables = useFlowStore((s) => s.meta.variables);
  return useMemo(
    () => [
      ...(inputs ?? []).map((i) => `inputs.${i.name}`),
      ...(variables ?? []).map((v) => `vars.${v.name}`),
      ...RECORD_NAMES,
      ...(fromNodes ? fromNodes.split('\n') : []),
      ...RUN_NAMES,
    ],
    [fromNodes, inputs, variables],
  );
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
    <datalist id={NAMES_LIST_ID}>
      {names.map((n) => (
        <option key={n} value={n} />
      ))}
    </datalist>
  );
}

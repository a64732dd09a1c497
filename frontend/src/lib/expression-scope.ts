/**
 * The names a condition may read where it is written (FORMAT.md "Expressions"), each with
 * what a person reads: a label ("Legal review › Approved?") and a type ("yes/no", "one of
 * refund, exchange"). Only the steps that can have finished before the condition is
 * evaluated are offered: those of the stages upstream of it in the flow, and the other
 * steps of its own stage. A trigger condition reads only `record` and `now`.
 *
 * Pure: the caller passes the flow and the record types, and computes a list only when
 * a person opens the suggestions (a 500-node draft has thousands of names).
 */
import { isStep, type Flow, type FlowNode, type StepNode } from './document';

/** The CEL type of a name, as far as the document says; `options` makes a string enumerated. */
export type NameType = 'string' | 'number' | 'boolean' | 'timestamp' | 'list' | 'map' | 'unknown';

export type ExpressionName = { name: string; label: string; type: NameType; options?: readonly string[] };

/** Where a condition is written: a node's field, the trigger, or anywhere (the whole document). */
export type NameScope = { node: string; field?: 'entry' | 'exit' } | 'trigger' | 'document';

export type RecordTypeFields = {
  name: string;
  label?: string | null;
  fields: ReadonlyArray<{ name: string; type: string; label?: string; options?: readonly string[] }>;
};

/** "yes/no", "number", "one of refund, exchange"… */
export function typeLabel(entry: Pick<ExpressionName, 'type' | 'options'>): string {
  if (entry.options && entry.options.length > 0) {
    const shown = entry.options.slice(0, 4).join(', ');
    return `one of ${shown}${entry.options.length > 4 ? ', …' : ''}`;
  }
  return {
    string: 'text',
    number: 'number',
    boolean: 'yes/no',
    timestamp: 'date and time',
    list: 'list',
    map: 'map',
    unknown: 'any',
  }[entry.type];
}

/** A form field's, input's or record field's declared type as a CEL type. */
export function nameType(declared: string | undefined): NameType {
  switch (declared) {
    case 'string':
    case 'text':
    case 'textarea':
    case 'email':
    case 'select':
    case 'date':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'datetime':
      return 'timestamp';
    case 'list':
    case 'multiselect':
      return 'list';
    case 'map':
      return 'map';
    default:
      return 'unknown';
  }
}

function readable(name: string): string {
  return name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function labelOf(node: FlowNode): string {
  return node.data.label?.trim() || node.id;
}

// ------------------------------------------------------------------ which steps are upstream

/** The stages a node can be reached from (itself excluded unless a cycle leads back to it). */
function stagesBefore(flow: Flow, nodeId: string): Set<string> {
  const incoming = new Map<string, string[]>();
  for (const e of flow.edges) incoming.set(e.target, [...(incoming.get(e.target) ?? []), e.source]);
  const seen = new Set<string>();
  const queue = [...(incoming.get(nodeId) ?? [])];
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(incoming.get(id) ?? []));
  }
  const stages = new Set<string>();
  for (const node of flow.nodes) if (node.type === 'stage' && seen.has(node.id)) stages.add(node.id);
  return stages;
}

/** The steps and stages whose state a condition at `scope` can see change. */
export function upstream(flow: Flow, scope: NameScope): { steps: StepNode[]; stages: FlowNode[] } {
  if (scope === 'trigger') return { steps: [], stages: [] };
  if (scope === 'document') {
    return { steps: flow.nodes.filter(isStep), stages: flow.nodes.filter((n) => n.type === 'stage') };
  }
  const node = flow.nodes.find((n) => n.id === scope.node);
  if (!node) return { steps: [], stages: [] };
  // A step's condition is evaluated inside its stage: what comes before the stage, plus its siblings.
  const home = isStep(node) ? node.parentId : node.type === 'stage' && scope.field !== 'entry' ? node.id : undefined;
  const stages = stagesBefore(flow, home ?? node.id);
  if (home !== undefined) stages.add(home);
  const steps = flow.nodes.filter(
    (n): n is StepNode => isStep(n) && n.id !== node.id && n.parentId !== undefined && stages.has(n.parentId),
  );
  return { steps, stages: flow.nodes.filter((n) => stages.has(n.id)) };
}

// ------------------------------------------------------------------ the names

function stepNames(step: StepNode): ExpressionName[] {
  const label = labelOf(step);
  const base = `steps.${step.id}`;
  const names: ExpressionName[] = [];
  if (step.type === 'interactive') {
    const outcomes = (step.data.form?.outcomes ?? []).map((o) => o.value).filter((v) => v !== '');
    names.push({
      name: `${base}.outcome`,
      label: `${label} › Outcome`,
      type: 'string',
      ...(outcomes.length > 0 ? { options: outcomes } : {}),
    });
    for (const field of step.data.form?.fields ?? []) {
      if (!field.name) continue;
      const options =
        field.type === 'select' && field.options && field.options.length > 0 ? { options: field.options } : {};
      names.push({
        name: `${base}.outputs.${field.name}`,
        label: `${label} › ${field.label?.trim() || readable(field.name)}`,
        type: nameType(field.type),
        ...options,
      });
    }
  }
  names.push(
    { name: `${base}.status`, label: `${label} › Status`, type: 'string' },
    { name: `${base}.completed_by`, label: `${label} › Completed by`, type: 'string' },
  );
  return names;
}

const RECORD_BUILT_IN: readonly ExpressionName[] = [
  { name: 'record.id', label: 'Record › Id', type: 'string' },
  { name: 'record.owner', label: 'Record › Owner', type: 'string' },
  { name: 'record.object', label: 'Record › Record type', type: 'string' },
];

/**
 * `record.<field>` of the trigger's record type; only the built-in fields when it has none or
 * it is unknown (a run started by hand may still be bound to a record of any type).
 */
export function recordNames(flow: Flow, recordTypes: readonly RecordTypeFields[]): ExpressionName[] {
  const trigger = flow.meta.trigger;
  const type = trigger?.type === 'record' ? recordTypes.find((t) => t.name === trigger.object) : undefined;
  if (!type) return [...RECORD_BUILT_IN];
  const title = type.label?.trim() || readable(type.name);
  const own = type.fields
    .filter((f) => !RECORD_BUILT_IN.some((b) => b.name === `record.${f.name}`))
    .map((f): ExpressionName => ({
      name: `record.${f.name}`,
      label: `${title} › ${f.label?.trim() || readable(f.name)}`,
      type: nameType(f.type),
      ...(f.options && f.options.length > 0 ? { options: f.options } : {}),
    }));
  return [...own, ...RECORD_BUILT_IN.map((b) => ({ ...b, label: b.label.replace('Record', title) }))];
}

const NOW: ExpressionName = { name: 'now', label: 'Now', type: 'timestamp' };
const RUN_NAMES: readonly ExpressionName[] = [
  { name: 'run.started_by', label: 'Run › Started by', type: 'string' },
  { name: 'run.started_at', label: 'Run › Started at', type: 'timestamp' },
  { name: 'run.id', label: 'Run › Id', type: 'string' },
];

function declaredNames(flow: Flow, kind: 'inputs' | 'vars'): ExpressionName[] {
  const title = kind === 'inputs' ? 'Input' : 'Variable';
  return ((kind === 'inputs' ? flow.meta.inputs : flow.meta.variables) ?? []).map((v): ExpressionName => ({
    name: `${kind}.${v.name}`,
    label: `${title} › ${v.label?.trim() || readable(v.name)}`,
    type: nameType(v.type),
  }));
}

function stageNames(stage: FlowNode): ExpressionName[] {
  return [
    { name: `stages.${stage.id}.status`, label: `${labelOf(stage)} › Status`, type: 'string' },
    { name: `stages.${stage.id}.visits`, label: `${labelOf(stage)} › Visits`, type: 'number' },
  ];
}

/** Every name a condition at `scope` may read, in the order a person looks for them. */
export function namesInScope(flow: Flow, recordTypes: readonly RecordTypeFields[], scope: NameScope): ExpressionName[] {
  const record = recordNames(flow, recordTypes);
  if (scope === 'trigger') return [...record, NOW];
  const { steps, stages } = upstream(flow, scope);
  return [
    ...steps.flatMap(stepNames),
    ...record,
    ...declaredNames(flow, 'inputs'),
    ...declaredNames(flow, 'vars'),
    ...stages.flatMap(stageNames),
    ...RUN_NAMES,
    NOW,
  ];
}

/**
 * What the document says about one name, wherever it is: the condition builder asks for
 * the field of each row, so it needs no list of every name to render.
 */
export function describeName(
  flow: Flow,
  recordTypes: readonly RecordTypeFields[],
  name: string,
): ExpressionName | null {
  const [root, id] = name.split('.');
  switch (root) {
    case 'steps': {
      const step = flow.nodes.find((n): n is StepNode => n.id === id && isStep(n));
      return step ? (stepNames(step).find((n) => n.name === name) ?? null) : null;
    }
    case 'record':
      return recordNames(flow, recordTypes).find((n) => n.name === name) ?? null;
    case 'inputs':
    case 'vars':
      return declaredNames(flow, root).find((n) => n.name === name) ?? null;
    case 'stages': {
      const stage = flow.nodes.find((n) => n.id === id && n.type === 'stage');
      return stage ? (stageNames(stage).find((n) => n.name === name) ?? null) : null;
    }
    default:
      return [...RUN_NAMES, NOW].find((n) => n.name === name) ?? null;
  }
}

/** The names matching what was typed, on the name or the label (case-insensitive), at most `limit`. */
export function filterNames(names: readonly ExpressionName[], typed: string, limit = 50): ExpressionName[] {
  const words = typed.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const matches: ExpressionName[] = [];
  for (const entry of names) {
    const haystack = `${entry.name} ${entry.label}`.toLowerCase();
    if (words.every((w) => haystack.includes(w))) matches.push(entry);
    if (matches.length >= limit) break;
  }
  return matches;
}

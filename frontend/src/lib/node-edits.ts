/**
 * Pure edits the inspector makes to the document: each takes a node's data (or the
 * nodes and edges, or the document's other fields) and returns the changed copy.
 * They keep the rules of FORMAT.md that a form cannot show on its own: `options` only
 * on select fields, `quorum` only with the quorum policy, exactly one of a wait
 * step's until/event/timer, a decision outcome's edge following its id.
 */
import { isIdentifier, uniqueId } from './ids';
import { isStep, type FlowEdge, type FlowNode } from './document';
import type { BackgroundData, DocumentMeta, InteractiveData, StageData, WaitData } from './document-schema';

// ------------------------------------------------------------------ lists and fields

export function replaceAt<T>(list: readonly T[], index: number, item: T): T[] {
  return list.map((current, i) => (i === index ? item : current));
}

export function removeAt<T>(list: readonly T[], index: number): T[] {
  return list.filter((_item, i) => i !== index);
}

/** The list with the item at `index` moved by `delta` places (clamped to the list). */
export function moveItem<T>(list: readonly T[], index: number, delta: number): T[] {
  const target = Math.min(Math.max(index + delta, 0), list.length - 1);
  if (target === index || index < 0 || index >= list.length) return [...list];
  const copy = [...list];
  const [item] = copy.splice(index, 1) as [T];
  copy.splice(target, 0, item);
  return copy;
}

/** `object` with `key` set to `value`, or without `key` when `value` is undefined. */
export function withField<T extends object, K extends string>(object: T, key: K, value: unknown): T {
  const copy = { ...object } as Record<string, unknown>;
  if (value === undefined) delete copy[key];
  else copy[key] = value;
  return copy as T;
}

// ------------------------------------------------------------------ stages and steps

export type StageExit = NonNullable<StageData['exit']>;

export function withEntry(data: StageData, entry: 'none' | 'condition'): StageData {
  if (entry === 'none') return { ...data, entry: null };
  return { ...data, entry: { condition: data.entry?.condition ?? '' } };
}

export function withExit(data: StageData, when: 'all_steps' | 'condition'): StageData {
  if (when === 'all_steps') return { ...data, exit: { when } };
  return { ...data, exit: { when, condition: data.exit?.condition ?? '' } };
}

type StepData = InteractiveData | BackgroundData | WaitData;
export type StartWhen = 'stage_start' | 'after' | 'condition';

export function withStart<T extends StepData>(data: T, when: StartWhen): T {
  if (when === 'stage_start') return { ...data, start: { when } };
  if (when === 'after') return { ...data, start: { when, steps: data.start?.steps ?? [] } };
  return { ...data, start: { when, condition: data.start?.condition ?? '' } };
}

/** Adds or removes `stepId` from the steps this step starts after. */
export function toggleAfter<T extends StepData>(data: T, stepId: string, on: boolean): T {
  const steps = data.start?.steps ?? [];
  const next = on ? (steps.includes(stepId) ? steps : [...steps, stepId]) : steps.filter((s) => s !== stepId);
  return { ...data, start: { when: 'after', steps: next } };
}

/** The other steps of the step's stage: what `start.after` may name. */
export function stageMates(nodes: readonly FlowNode[], stepId: string): FlowNode[] {
  const step = nodes.find((n) => n.id === stepId);
  if (!step || step.parentId === undefined) return [];
  return nodes.filter((n) => n.id !== stepId && n.parentId === step.parentId && isStep(n));
}

// ------------------------------------------------------------------ `set` assignments

export type Assignments = Record<string, string>;

/** Renames an assignment's variable, keeping the order of the others. */
export function renameAssignment(set: Assignments, from: string, to: string): Assignments {
  if (from === to || to in set) return set;
  return Object.fromEntries(Object.entries(set).map(([name, expression]) => [name === from ? to : name, expression]));
}

export function withAssignments<T extends StepData>(data: T, set: Assignments): T {
  return withField(data, 'set', Object.keys(set).length > 0 ? set : undefined);
}

// ------------------------------------------------------------------ interactive steps

export type Assignee = NonNullable<InteractiveData['assignee']>;
export type AssigneeType = 'user' | 'group' | 'queue' | 'expression';
export type Form = NonNullable<InteractiveData['form']>;
export type FormField = NonNullable<Form['fields']>[number];
export type FormOutcome = NonNullable<Form['outcomes']>[number];
export type Approval = NonNullable<InteractiveData['approval']>;
export type Escalation = NonNullable<InteractiveData['escalation']>;

export const FIELD_TYPES = [
  'text',
  'textarea',
  'number',
  'integer',
  'boolean',
  'date',
  'datetime',
  'email',
  'select',
  'multiselect',
] as const;
export const CHOICE_TYPES = new Set(['select', 'multiselect']);

/** A field of the new type: `options` kept (or started) for select/multiselect, dropped otherwise. */
export function withFieldType(field: FormField, type: string): FormField {
  const changed = { ...field, type };
  if (CHOICE_TYPES.has(type)) return { ...changed, options: field.options ?? [] };
  return withField(changed, 'options', undefined);
}

export function newFormField(fields: readonly FormField[]): FormField {
  const name = uniqueId('field_1', new Set(fields.map((f) => f.name)));
  return { name, type: 'text', label: '', required: false };
}

export function newFormOutcome(outcomes: readonly FormOutcome[]): FormOutcome {
  const value = uniqueId('outcome_1', new Set(outcomes.map((o) => o.value)));
  return { value, label: '' };
}

export function withForm(data: InteractiveData, form: Partial<Form>): InteractiveData {
  return { ...data, form: { fields: [], outcomes: [], ...data.form, ...form } };
}

/** Renaming a form outcome also renames the approval's approve outcome when it named it. */
export function renameFormOutcome(data: InteractiveData, index: number, value: string): InteractiveData {
  const outcomes = data.form?.outcomes ?? [];
  const old = outcomes[index];
  if (!old) return data;
  const next = withForm(data, { outcomes: replaceAt(outcomes, index, { ...old, value }) });
  if (data.approval?.approve_outcome === old.value)
    return { ...next, approval: { ...data.approval, approve_outcome: value } };
  return next;
}

export type ApprovalPolicy = 'none' | 'any' | 'all' | 'quorum';

export function withApprovalPolicy(data: InteractiveData, policy: ApprovalPolicy): InteractiveData {
  if (policy === 'none') return withField(data, 'approval', undefined);
  const approval: Approval = { ...data.approval, policy };
  if (policy === 'quorum') return { ...data, approval: { ...approval, quorum: data.approval?.quorum ?? 1 } };
  return { ...data, approval: withField(approval, 'quorum', undefined) };
}

export function withDue(data: InteractiveData, due: string | undefined): InteractiveData {
  return withField(data, 'due', due === '' ? undefined : due);
}

export function withEscalation(data: InteractiveData, escalation: Escalation | undefined): InteractiveData {
  return withField(data, 'escalation', escalation);
}

export function withEscalationAction(escalation: Escalation, action: 'notify' | 'reassign'): Escalation {
  if (action === 'reassign') return { ...escalation, action, to: escalation.to ?? { type: 'user', value: '' } };
  return { ...escalation, action };
}

/** An assignee of another type; a name typed for one kind is not a name of another. */
export function withAssigneeType(assignee: Assignee | undefined, type: AssigneeType): Assignee {
  if (assignee?.type === type) return assignee;
  return { type, value: type === 'expression' ? 'record.owner' : '' };
}

// ------------------------------------------------------------------ background steps

export type ActionInput = { name: string; type: string; required: boolean; description?: string };

/** Another action: inputs it declares are kept, required ones it lacks are added empty. */
export function withAction(
  data: BackgroundData,
  action: string,
  declared: readonly ActionInput[] | undefined,
): BackgroundData {
  if (!declared) return { ...data, action };
  const names = new Set(declared.map((i) => i.name));
  const inputs: Record<string, string> = {};
  for (const [name, expression] of Object.entries(data.inputs ?? {})) if (names.has(name)) inputs[name] = expression;
  for (const input of declared) if (input.required && !(input.name in inputs)) inputs[input.name] = '';
  return { ...data, action, inputs };
}

/** An input's expression set, or the input left out when its expression is emptied (optional inputs). */
export function withActionInput(
  data: BackgroundData,
  name: string,
  expression: string,
  required: boolean,
): BackgroundData {
  const inputs = { ...data.inputs };
  if (expression === '' && !required) delete inputs[name];
  else inputs[name] = expression;
  return { ...data, inputs };
}

export type Retry = NonNullable<BackgroundData['retry']>;

export function withRetry(data: BackgroundData, retry: Retry): BackgroundData {
  const cleaned = Object.fromEntries(Object.entries(retry).filter(([, v]) => v !== undefined && v !== '')) as Retry;
  return withField(data, 'retry', Object.keys(cleaned).length > 0 ? cleaned : undefined);
}

// ------------------------------------------------------------------ wait steps

export type WaitKind = 'until' | 'event' | 'timer_duration' | 'timer_at';

export function waitKindOf(data: WaitData): WaitKind | null {
  if (data.until !== undefined) return 'until';
  if (data.event !== undefined) return 'event';
  if (data.timer?.at !== undefined) return 'timer_at';
  if (data.timer !== undefined) return 'timer_duration';
  return null;
}

/** Exactly one of until, event, timer. */
export function withWaitKind(data: WaitData, kind: WaitKind): WaitData {
  const { until, event, timer, ...rest } = data;
  switch (kind) {
    case 'until':
      return { ...rest, until: until ?? '' };
    case 'event':
      return { ...rest, event: event ?? { name: '', correlation: 'record.id' } };
    case 'timer_duration':
      return { ...rest, timer: { duration: timer?.duration ?? 'P1D' } };
    case 'timer_at':
      return { ...rest, timer: { at: timer?.at ?? '' } };
  }
}

// ------------------------------------------------------------------ decisions

type Graph = { nodes: FlowNode[]; edges: FlowEdge[] };

function outcomesOf(nodes: readonly FlowNode[], nodeId: string) {
  const node = nodes.find((n) => n.id === nodeId);
  return node?.type === 'decision' ? (node.data.outcomes ?? []) : null;
}

function withOutcomes(
  nodes: FlowNode[],
  nodeId: string,
  outcomes: NonNullable<ReturnType<typeof outcomesOf>>,
): FlowNode[] {
  return nodes.map((n) => (n.id === nodeId && n.type === 'decision' ? { ...n, data: { ...n.data, outcomes } } : n));
}

export function addDecisionOutcome(graph: Graph, nodeId: string): Graph {
  const outcomes = outcomesOf(graph.nodes, nodeId);
  if (!outcomes) return graph;
  const id = uniqueId('outcome_1', new Set([...outcomes.map((o) => o.id), 'default']));
  return { ...graph, nodes: withOutcomes(graph.nodes, nodeId, [...outcomes, { id, label: '', condition: '' }]) };
}

/** Renames an outcome; its edge (the one leaving its handle) follows. */
export function renameDecisionOutcome(graph: Graph, nodeId: string, index: number, id: string): Graph {
  const outcomes = outcomesOf(graph.nodes, nodeId);
  const old = outcomes?.[index];
  if (!outcomes || !old || old.id === id) return graph;
  return {
    nodes: withOutcomes(graph.nodes, nodeId, replaceAt(outcomes, index, { ...old, id })),
    edges: graph.edges.map((e) => (e.source === nodeId && e.sourceHandle === old.id ? { ...e, sourceHandle: id } : e)),
  };
}

/** Removes an outcome and its edge. */
export function removeDecisionOutcome(graph: Graph, nodeId: string, index: number): Graph {
  const outcomes = outcomesOf(graph.nodes, nodeId);
  const old = outcomes?.[index];
  if (!outcomes || !old) return graph;
  return {
    nodes: withOutcomes(graph.nodes, nodeId, removeAt(outcomes, index)),
    edges: graph.edges.filter((e) => !(e.source === nodeId && e.sourceHandle === old.id)),
  };
}

export function updateDecisionOutcome(
  graph: Graph,
  nodeId: string,
  index: number,
  change: { label?: string; condition?: string },
): Graph {
  const outcomes = outcomesOf(graph.nodes, nodeId);
  const old = outcomes?.[index];
  if (!outcomes || !old) return graph;
  return { ...graph, nodes: withOutcomes(graph.nodes, nodeId, replaceAt(outcomes, index, { ...old, ...change })) };
}

export function moveDecisionOutcome(graph: Graph, nodeId: string, index: number, delta: number): Graph {
  const outcomes = outcomesOf(graph.nodes, nodeId);
  if (!outcomes) return graph;
  return { ...graph, nodes: withOutcomes(graph.nodes, nodeId, moveItem(outcomes, index, delta)) };
}

// ------------------------------------------------------------------ document settings

export type Trigger = { type: string; object?: string; on?: string[]; condition?: string; [key: string]: unknown };
export type DeclaredValue = NonNullable<DocumentMeta['inputs']>[number];

export const VALUE_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'list', 'map'] as const;

export function withTriggerType(meta: DocumentMeta, type: 'manual' | 'record'): DocumentMeta {
  if (type === 'manual') return { ...meta, trigger: { type } };
  const old = meta.trigger ?? { type };
  return {
    ...meta,
    trigger: {
      type,
      object: old.object ?? '',
      on: old.on ?? ['create'],
      ...(old.condition ? { condition: old.condition } : {}),
    },
  };
}

export function toggleTriggerOn(meta: DocumentMeta, event: 'create' | 'update', on: boolean): DocumentMeta {
  const trigger = meta.trigger ?? { type: 'record' };
  const events = new Set(trigger.on ?? []);
  if (on) events.add(event);
  else events.delete(event);
  return { ...meta, trigger: { ...trigger, on: (['create', 'update'] as const).filter((e) => events.has(e)) } };
}

/**
 * A default typed in a text box, as the JSON value of its type: a number for
 * number/integer, true/false for boolean, parsed JSON for list/map; undefined when
 * the text is empty (no default) and the text itself when it does not parse (the
 * server then says what is wrong).
 */
export function parseDefault(type: string, text: string): unknown {
  if (text.trim() === '') return undefined;
  if (type === 'number' || type === 'integer') {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (type === 'list' || type === 'map') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export function defaultText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function newDeclaredValue(list: readonly DeclaredValue[], base: string): DeclaredValue {
  return { name: uniqueId(base, new Set(list.map((v) => v.name))), type: 'string' };
}

/** A value of another type: a default that no longer fits is dropped, and so is `max_items` unless a list or map. */
export function withValueType(value: DeclaredValue, type: string): DeclaredValue {
  const changed =
    type === 'list' || type === 'map' ? { ...value, type } : withField({ ...value, type }, 'max_items', undefined);
  if (!('default' in value) || value.default === undefined) return changed;
  const reparsed = parseDefault(type, defaultText(value.default));
  const fits =
    (type === 'number' && typeof reparsed === 'number') ||
    (type === 'integer' && Number.isInteger(reparsed)) ||
    (type === 'boolean' && typeof reparsed === 'boolean') ||
    (type === 'list' && Array.isArray(reparsed)) ||
    (type === 'map' && typeof reparsed === 'object' && reparsed !== null && !Array.isArray(reparsed)) ||
    (['string', 'date', 'datetime'].includes(type) && typeof reparsed === 'string');
  return fits ? { ...changed, default: reparsed } : withField(changed, 'default', undefined);
}

/** Every string in `value` (node data: conditions, inputs, form values...) with `steps.<from>`/`stages.<from>` made `<to>`. */
function renamedReferences(value: unknown, pattern: RegExp, to: string): unknown {
  if (typeof value === 'string') return value.replace(pattern, (_m, root: string) => `${root}.${to}`);
  if (Array.isArray(value)) return value.map((v) => renamedReferences(v, pattern, to));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renamedReferences(v, pattern, to)]));
  }
  return value;
}

/**
 * A node's id changed to `to`, and everything that names it: its edges' ends, a stage's
 * steps, and expressions reading `steps.<id>` or `stages.<id>`. Unchanged when `to` is
 * not an identifier or is another node's id (the inspector says why first: `nodeIdProblem`).
 */
export function renameNode(graph: Graph, from: string, to: string): Graph {
  if (from === to || nodeIdProblem(graph.nodes, from, to)) return graph;
  const pattern = new RegExp(`\\b(steps|stages)\\.${from}\\b`, 'g');
  return {
    nodes: graph.nodes.map(
      (n) =>
        ({
          ...n,
          id: n.id === from ? to : n.id,
          ...(n.parentId === from ? { parentId: to } : {}),
          data: renamedReferences(n.data, pattern, to),
        }) as FlowNode,
    ),
    edges: graph.edges.map((e) =>
      e.source === from || e.target === from
        ? { ...e, source: e.source === from ? to : e.source, target: e.target === from ? to : e.target }
        : e,
    ),
  };
}

/** Why `to` cannot be node `from`'s id, or null. */
export function nodeIdProblem(nodes: readonly FlowNode[], from: string, to: string): string | null {
  if (!isIdentifier(to)) return 'An id is letters, digits and _, not starting with a digit (at most 64).';
  if (to !== from && nodes.some((n) => n.id === to)) return `Another node is ${to}.`;
  return null;
}

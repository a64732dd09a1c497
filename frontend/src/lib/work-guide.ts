/**
 * The Work Guide's pure parts: a step's form checked before it is sent (the rules of
 * runtime/values.py, so the person sees the server's verdict next to each field
 * without a round trip), the progress of a run through its stages, and the order of
 * My work.
 */
import type { OrchestrationDocument } from './document-schema';
import { display } from './record-values';
import type { FormDefinition, FormField, Run, WorkItem, WorkItemDetail } from './work-schemas';

// ------------------------------------------------------------------ forms

/** What an input holds: text for most fields, a tick for a boolean, ticks for a multiselect. */
export type FieldInput = string | boolean | string[];
export type FormInputs = Record<string, FieldInput>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
const EMAIL = /^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$/;

/** The inputs a form starts with: each field's `default`, else empty. */
export function initialInputs(form: FormDefinition): FormInputs {
  const inputs: FormInputs = {};
  for (const field of form.fields) {
    const given = field.default;
    if (field.type === 'boolean') inputs[field.name] = given === true;
    else if (field.type === 'multiselect')
      inputs[field.name] = Array.isArray(given) ? given.filter((v): v is string => typeof v === 'string') : [];
    else if (field.type === 'datetime' && typeof given === 'string') inputs[field.name] = toLocalInput(given);
    else inputs[field.name] = display(given);
  }
  return inputs;
}

/** An ISO instant as a `datetime-local` input shows it (local time, minutes). */
export function toLocalInput(iso: string): string {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
}

function isEmpty(input: FieldInput | undefined): boolean {
  return input === undefined || input === '' || (Array.isArray(input) && input.length === 0);
}

/** One field's input as the value the API takes, or the message the server would give. */
function readField(field: FormField, input: FieldInput): { value: unknown } | { error: string } {
  const options = field.options ?? [];
  switch (field.type) {
    case 'text':
    case 'textarea':
      return { value: String(input) };
    case 'email':
      return typeof input === 'string' && input.length <= 254 && EMAIL.test(input.trim())
        ? { value: input.trim() }
        : { error: 'must be an email address (name@example.com)' };
    case 'number': {
      const n = Number(String(input).trim());
      return String(input).trim() !== '' && Number.isFinite(n) ? { value: n } : { error: 'must be a number' };
    }
    case 'integer': {
      const n = Number(String(input).trim());
      return String(input).trim() !== '' && Number.isInteger(n) ? { value: n } : { error: 'must be an integer' };
    }
    case 'boolean':
      return { value: input === true };
    case 'date':
      return typeof input === 'string' && DATE.test(input) && !Number.isNaN(Date.parse(`${input}T00:00:00Z`))
        ? { value: input }
        : { error: 'must be a date (YYYY-MM-DD)' };
    case 'datetime': {
      // A datetime-local input has no offset: it means the browser's time zone.
      const text = String(input);
      const moment = DATETIME.test(text)
        ? new Date(text)
        : new Date(text.length === 16 || text.length === 19 ? text : 'x');
      return Number.isNaN(moment.getTime()) ? { error: 'must be a date and time' } : { value: moment.toISOString() };
    }
    case 'select':
      return typeof input === 'string' && options.includes(input)
        ? { value: input }
        : { error: `must be one of: ${options.join(', ') || '(none)'}` };
    case 'multiselect': {
      const picked = Array.isArray(input) ? input : [];
      const stray = picked.find((p) => !options.includes(p));
      if (stray !== undefined) return { error: `contains ${stray}, which is not one of: ${options.join(', ')}` };
      return { value: [...new Set(picked)] };
    }
  }
}

export type FormCheck = { values: Record<string, unknown>; errors: Record<string, string> };

/**
 * The values to send for these inputs, and a message per field that does not fit
 * ("is required", "must be a number"). Empty optional fields are left out, as the
 * server leaves them out.
 */
export function checkForm(form: FormDefinition, inputs: FormInputs): FormCheck {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of form.fields) {
    const input = inputs[field.name];
    if (isEmpty(input) || (field.type === 'boolean' && input === false && field.required)) {
      if (field.required) errors[field.name] = 'is required';
      continue;
    }
    const read = readField(field, input as FieldInput);
    if ('error' in read) errors[field.name] = read.error;
    else values[field.name] = read.value;
  }
  return { values, errors };
}

/** The per-field messages of a 422 from `POST /api/work-items/<id>/complete` (`details.fields`). */
export function serverFieldErrors(details: unknown): Record<string, string> {
  if (typeof details !== 'object' || details === null) return {};
  const fields = (details as { fields?: unknown }).fields;
  if (typeof fields !== 'object' || fields === null) return {};
  return Object.fromEntries(
    Object.entries(fields).map(([name, message]) => [
      name,
      Array.isArray(message) ? message.join(' ') : String(message),
    ]),
  );
}

// ------------------------------------------------------------------ a run's inputs

/** An input the orchestration declares (runtime/FORMAT.md, "inputs and variables"). */
export type DeclaredInput = {
  name: string;
  type: string;
  label?: string;
  description?: string;
  required?: boolean;
  default?: unknown;
};

const INPUT_FIELD_TYPES: Record<string, FormField['type']> = {
  string: 'text',
  number: 'number',
  integer: 'integer',
  boolean: 'boolean',
  date: 'date',
  datetime: 'datetime',
  list: 'textarea',
  map: 'textarea',
};

/**
 * A run's inputs as a form the Work Guide's fields can show: each input's type as a
 * field type (a list or map is JSON in a text box), its label, description as help,
 * required mark and default.
 */
export function inputsForm(inputs: readonly DeclaredInput[]): FormDefinition {
  return {
    outcomes: [],
    fields: inputs.map((input) => {
      const json = input.type === 'list' || input.type === 'map';
      const help = [
        input.description,
        json ? (input.type === 'list' ? 'A JSON list, e.g. ["a", "b"].' : 'A JSON object, e.g. {"a": 1}.') : null,
      ]
        .filter(Boolean)
        .join(' ');
      return {
        name: input.name,
        type: INPUT_FIELD_TYPES[input.type] ?? 'text',
        label: input.label ?? input.name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
        required: input.required === true,
        ...(help ? { help } : {}),
        ...(input.default === undefined || input.default === null
          ? {}
          : { default: json ? JSON.stringify(input.default) : input.default }),
      };
    }),
  };
}

/**
 * The inputs to send and a message per input that does not fit, by the rules of the
 * server's `_check_inputs` (runtime/values.py `check_type`): empty optional inputs are
 * left out (the server gives them their default), a boolean is a value even unticked,
 * lists and maps are JSON.
 */
export function checkInputs(inputs: readonly DeclaredInput[], values: FormInputs): FormCheck {
  const form = inputsForm(inputs);
  const checked = checkForm(
    { ...form, fields: form.fields.map((f) => (f.type === 'boolean' ? { ...f, required: false } : f)) },
    values,
  );
  for (const input of inputs) {
    if (input.type === 'boolean') checked.values[input.name] = values[input.name] === true;
    if ((input.type !== 'list' && input.type !== 'map') || !(input.name in checked.values)) continue;
    try {
      const parsed: unknown = JSON.parse(String(checked.values[input.name]));
      const fits =
        input.type === 'list'
          ? Array.isArray(parsed)
          : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      if (!fits) throw new Error('not this type');
      checked.values[input.name] = parsed;
    } catch {
      delete checked.values[input.name];
      checked.errors[input.name] = input.type === 'list' ? 'must be a list' : 'must be an object (a map)';
    }
  }
  return checked;
}

/** The per-input messages of a 422 from `POST /api/runs` (`details.inputs`). */
export function serverInputErrors(details: unknown): Record<string, string> {
  if (typeof details !== 'object' || details === null) return {};
  return serverFieldErrors({ fields: (details as { inputs?: unknown }).inputs });
}

// ------------------------------------------------------------------ progress

export type StageRef = { id: string; label: string };
export type Progress = {
  /** Stage visits that ended, oldest first (a stage visited twice appears twice). */
  done: Array<StageRef & { visit: number; status: string }>;
  current: StageRef | null;
  /** Where the run can go after the current stage (the likeliest, a decision's default, first). */
  next: StageRef[];
  /** The end the run reached, when it did. */
  ended: StageRef | null;
  status: string;
};

/**
 * Stages reachable from `from` through decisions only (not through another stage):
 * a decision's default path first, then its other outcomes in the document's order.
 */
export function nextStages(document: OrchestrationDocument | null, from: string): StageRef[] {
  if (!document) return [];
  const byId = new Map(document.nodes.map((n) => [n.id, n]));
  const found: StageRef[] = [];
  const seen = new Set<string>([from]);
  const visit = (source: string) => {
    const edges = document.edges.filter((e) => e.source === source && (e as { kind?: string }).kind !== 'error');
    const rank = (e: (typeof edges)[number]) => ((e as { outcome?: string }).outcome === 'default' ? 0 : 1);
    for (const edge of [...edges].sort((a, b) => rank(a) - rank(b))) {
      if (seen.has(edge.target)) continue;
      seen.add(edge.target);
      const node = byId.get(edge.target);
      if (!node) continue;
      if (node.type === 'stage') found.push({ id: node.id, label: (node as { label?: string }).label ?? node.id });
      else if (node.type === 'decision') visit(node.id);
      else if (node.type === 'end')
        found.push({ id: node.id, label: `End: ${(node as { label?: string }).label ?? node.id}` });
    }
  };
  visit(from);
  return found;
}

/** Where a run stands: stages done, the current one, and what may come next. */
export function progressOf(run: Run, document: OrchestrationDocument | null): Progress {
  const label = (id: string) => run.stages.find((s) => s.id === id)?.label ?? id;
  const currentVisit = run.current_stage ? run.history.filter((h) => h.stage === run.current_stage).at(-1) : undefined;
  const done = run.history
    .filter((h) => h !== currentVisit && !['in_progress', 'waiting'].includes(h.status))
    .map((h) => ({ id: h.stage, label: label(h.stage), visit: h.visit, status: h.status }));
  const current = run.current_stage ? { id: run.current_stage, label: label(run.current_stage) } : null;
  const endNode = document?.nodes.find((n) => n.id === run.current_node && n.type === 'end');
  const ended = endNode ? { id: endNode.id, label: (endNode as { label?: string }).label ?? endNode.id } : null;
  const next = current && run.status === 'in_progress' ? nextStages(document, current.id) : [];
  return { done, current, next, ended, status: run.status };
}

// ------------------------------------------------------------------ My work

/** Open for this person: not done, and not claimed by a colleague (as the `/ws/inbox` count). */
export function isMine(item: WorkItem, user: string): boolean {
  return (
    (item.status === 'open' || item.status === 'claimed') && (item.claimed_by === null || item.claimed_by === user)
  );
}

export function isOverdue(item: WorkItem, now: Date): boolean {
  return (
    item.due_at !== null &&
    (item.status === 'open' || item.status === 'claimed') &&
    Date.parse(item.due_at) < now.getTime()
  );
}

/** Soonest due first, then those without a due date, oldest first (the engine's order). */
export function sortWorkItems(items: WorkItem[]): WorkItem[] {
  const key = (i: WorkItem) =>
    [i.due_at === null ? 1 : 0, Date.parse(i.due_at ?? i.created_at), Date.parse(i.created_at)] as const;
  return [...items].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || a.id.localeCompare(b.id);
  });
}

/** "3 min", "5 h", "2 days": how long something has been waiting. */
export function waitedFor(since: string, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

export type WorkFilter = { orchestration: string; status: '' | 'open' | 'claimed' | 'overdue'; search: string };

/** My work after its filters; `recordLabel` names an item's record for the search. */
export function filterWorkItems(
  items: WorkItem[],
  filter: WorkFilter,
  now: Date,
  recordLabel: (item: WorkItem) => string,
): WorkItem[] {
  const words = filter.search.trim().toLowerCase();
  return items.filter((item) => {
    if (filter.orchestration && item.orchestration !== filter.orchestration) return false;
    if (filter.status === 'overdue' && !isOverdue(item, now)) return false;
    if ((filter.status === 'open' || filter.status === 'claimed') && item.status !== filter.status) return false;
    if (words && !`${item.label} ${recordLabel(item)}`.toLowerCase().includes(words)) return false;
    return true;
  });
}

/** A record's name for people: its title, name or customer field, else its type and short id. */
export function recordName(object: string, id: string, fields?: Record<string, unknown> | null): string {
  for (const key of ['title', 'name', 'customer', 'subject']) {
    const value = fields?.[key];
    if (typeof value === 'string' && value.trim()) return value;
  }
  return `${object} ${id.slice(0, 8)}`;
}

// ------------------------------------------------------------------ one step

/** How a step is named to people: its step's label, else the item's. */
export const stepLabel = (item: Pick<WorkItemDetail, 'label' | 'step_label'>) => item.step_label ?? item.label;

/** An outcome's label on the step's form, else its value. */
export function outcomeLabel(form: FormDefinition, outcome: string | null | undefined): string {
  return form.outcomes.find((o) => o.value === outcome)?.label ?? outcome ?? 'done';
}

/** A person as the page shows them: "you", else their display name, else their user name. */
export function personName(user: string | null | undefined, name: string | null | undefined, me: string): string {
  if (!user) return 'someone';
  return user === me ? 'you' : (name ?? user);
}

/** Who an item is for: "you", "Sue Smith", or "the Finance group". */
export function assignedTo(item: WorkItem, me: string): string {
  const { type, value } = item.assignee;
  if (type === 'user') return personName(value, item.assignee_name, me);
  return `the ${item.assignee_name ?? value} ${type}`;
}

/** Whether this person can fill in the form now (the server has the last word: 403/409). */
export function mayAct(item: WorkItem, me: string): boolean {
  if (item.status !== 'open' && item.status !== 'claimed') return false;
  if (item.claimed_by !== null && item.claimed_by !== me) return false;
  return item.assignee.type !== 'user' || item.assignee.value === me;
}

/** What the page says when the server refused an answer with a 409, read from the item as it is now. */
export function conflictNotice(item: WorkItemDetail, now: WorkItem | null, me: string, reason: string): string {
  if (now?.completed_by) {
    return `${personName(now.completed_by, now.completed_by_name, me)} completed this step meanwhile (${outcomeLabel(item.form, now.outcome)}); your answer was not recorded.`;
  }
  if (now?.claimed_by && now.claimed_by !== me) {
    return `${personName(now.claimed_by, now.claimed_by_name, me)} has claimed this step meanwhile; your answer was not recorded.`;
  }
  return `This step changed meanwhile and your answer was not recorded: ${reason}`;
}

/** What the page says when a colleague completed the step the person has open. */
export function takenNotice(now: WorkItem): string {
  const who = now.completed_by_name ?? now.completed_by ?? 'Someone else';
  return `${who} completed this step meanwhile; there is nothing more for you to do on it.`;
}

/** The label of the outcome a step of this version ended with (the step's form has it), else the outcome. */
export function stepOutcomeLabel(
  document: OrchestrationDocument | null,
  stepId: string,
  outcome: string | null,
): string {
  const node = document?.nodes.find((n) => n.id === stepId) as { form?: FormDefinition } | undefined;
  return node?.form ? outcomeLabel(node.form, outcome) : (outcome ?? 'done');
}

/** A record's main fields for a summary: the type's first few with a value, in the type's order. */
export function mainFields(fields: Record<string, unknown>, order: string[], count = 6): string[] {
  const hidden = new Set(['id', 'object', 'owner']);
  const known = order.filter((k) => k in fields);
  const rest = Object.keys(fields).filter((k) => !hidden.has(k) && !order.includes(k));
  return [...known, ...rest]
    .filter((k) => fields[k] !== null && fields[k] !== undefined && fields[k] !== '')
    .slice(0, count);
}

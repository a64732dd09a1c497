/**
 * A run's event log (GET /api/runs/<id>/events, /ws/runs/<id>), and what the run
 * detail draws from it: the path the run took on the canvas and a timeline of every
 * stage visit and step run.
 */
import { z } from 'zod';

export const runEventSchema = z.looseObject({
  seq: z.number().int(),
  run_id: z.string(),
  type: z.string(),
  at: z.string(),
  node: z.string().nullable(),
  visit: z.number().int().nullable(),
  by: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).catch({}),
});

export type RunEvent = z.infer<typeof runEventSchema>;

export const runStreamMessageSchema = z.looseObject({
  type: z.enum(['history', 'events']),
  run_id: z.string(),
  seq: z.number().int(),
  events: z.array(runEventSchema),
});

/** Events added to those held, in seq order, none twice (a reconnect sends the history again). */
export function addEvents(held: readonly RunEvent[], incoming: readonly RunEvent[]): RunEvent[] {
  const seen = new Set(held.map((e) => e.seq));
  const fresh = incoming.filter((e) => !seen.has(e.seq) && (seen.add(e.seq), true));
  if (fresh.length === 0) return held as RunEvent[];
  return [...held, ...fresh].sort((a, b) => a.seq - b.seq);
}

// ------------------------------------------------------------------ the path

export type PathNodeState = 'visited' | 'current' | 'waiting' | 'error';

export type RunPath = {
  /** Per node: how many times it was entered, and where the run is now. */
  nodes: Record<string, { visits: number; state: PathNodeState }>;
  /** Per edge: how many times this run took it. */
  edges: Record<string, number>;
  /** Per decision: the outcomes taken, in order. */
  outcomes: Record<string, string[]>;
  /** Where the run is (a stage, decision or end), null before it leaves start or once it ended elsewhere. */
  current: string | null;
};

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The path a run took, from its events: edges and decision outcomes taken, visits, where it is now. */
export function runPath(events: readonly RunEvent[]): RunPath {
  const path: RunPath = { nodes: {}, edges: {}, outcomes: {}, current: null };
  const mark = (node: string, state: PathNodeState, visit?: number | null) => {
    const n = (path.nodes[node] ??= { visits: 0, state });
    // Stage and step events carry their visit number; a decision or an end counts each time.
    n.visits = visit === undefined ? n.visits + 1 : Math.max(n.visits, visit ?? 1);
    n.state = state;
  };
  const set = (node: string, state: PathNodeState) => {
    const n = (path.nodes[node] ??= { visits: 1, state });
    n.state = state;
  };
  for (const e of events) {
    const node = e.node;
    switch (e.type) {
      case 'edge.taken': {
        const edge = str(e.data.edge);
        if (edge) path.edges[edge] = (path.edges[edge] ?? 0) + 1;
        break;
      }
      case 'decision.taken': {
        if (!node) break;
        const outcome = str(e.data.outcome);
        if (outcome) (path.outcomes[node] ??= []).push(outcome);
        mark(node, 'visited');
        break;
      }
      case 'stage.waiting':
      case 'stage.started':
        if (!node) break;
        mark(node, e.type === 'stage.waiting' ? 'waiting' : 'current', e.visit);
        path.current = node;
        break;
      case 'step.waiting':
      case 'step.started':
        if (node) mark(node, e.type === 'step.waiting' ? 'waiting' : 'current', e.visit);
        break;
      case 'stage.completed':
      case 'step.completed':
      case 'step.discontinued':
        if (node) set(node, 'visited');
        if (node && path.current === node) path.current = null;
        break;
      case 'step.error':
      case 'stage.error':
      case 'run.error':
        if (node) set(node, 'error');
        break;
      case 'end.reached':
        if (node) mark(node, 'current');
        path.current = node;
        break;
      case 'run.retried':
        for (const n of Object.values(path.nodes)) if (n.state === 'error') n.state = 'current';
        break;
      case 'run.migrated': {
        // Moved to another version: nodes it renamed take their new ids (the canvas shows that version).
        const renamed = mappingOf(e);
        const rename = <T>(held: Record<string, T>) =>
          Object.fromEntries(Object.entries(held).map(([id, v]) => [renamed[id] ?? id, v]));
        path.nodes = rename(path.nodes);
        path.outcomes = rename(path.outcomes);
        if (path.current) path.current = renamed[path.current] ?? path.current;
        break;
      }
      default:
        break;
    }
  }
  return path;
}

/** A ``run.migrated`` event's renamed nodes: old id -> new id. */
function mappingOf(e: RunEvent): Record<string, string> {
  const raw = e.data.mapping;
  if (!raw || typeof raw !== 'object') return {};
  return Object.fromEntries(
    Object.entries(raw as Record<string, unknown>).filter((kv): kv is [string, string] => typeof kv[1] === 'string'),
  );
}

// ------------------------------------------------------------------ the timeline

export type TimelineEntry = {
  key: string;
  kind: 'stage' | 'step';
  node: string;
  visit: number;
  stage: string | null;
  status: 'waiting' | 'in_progress' | 'completed' | 'error' | 'discontinued';
  waitingSince: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** Seconds from start (or waiting) to the end, null while open. */
  seconds: number | null;
  /** Seconds spent waiting before it started. */
  waitedSeconds: number | null;
  /** Who completed it, by name (`nameOf`). */
  by: string | null;
  outcome: string | null;
  assignee: string | null;
  error: string | null;
  /** Repairs ops made while the step was in error: who, and what changed (old → new). */
  repairs: string[];
  /** The values a person entered to complete the step (its form's values). */
  values: Record<string, unknown> | null;
};

const between = (a: string | null, b: string | null): number | null =>
  a && b ? Math.max(0, (Date.parse(b) - Date.parse(a)) / 1000) : null;

/** Every stage visit and step run, in the order they began, with who, when and how long. */
const text = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? '—'));

/** A person's, group's or queue's name for people to read (a display name, a label) from its id. */
export type NameOf = (type: string, value: string) => string;

const asIs: NameOf = (_type, value) => value;

/** Who a step went to: "Alice Adams", "group Finance". */
export function assigneeText(type: string, value: string, nameOf: NameOf): string {
  return type === 'user' ? nameOf(type, value) : `${type} ${nameOf(type, value)}`;
}

/** A repair as the timeline reads it: "inputs edited by Otto Ops: fields {…} → {…}". */
function repairText(e: RunEvent, nameOf: NameOf): string {
  const by = e.by ? nameOf('user', e.by) : 'someone';
  if (e.type === 'step.skipped')
    return `skipped by ${by}${e.data.outcome ? ` with outcome ${text(e.data.outcome)}` : ''}`;
  const changes = Array.isArray(e.data.changes)
    ? (e.data.changes as { name?: unknown; old?: unknown; new?: unknown }[])
    : [];
  const shown = (v: unknown) =>
    v && typeof v === 'object' && 'expression' in v ? `the expression ${text(v.expression)}` : text(v);
  return `inputs edited by ${by}: ${changes.map((c) => `${text(c.name)} ${shown(c.old)} → ${shown(c.new)}`).join('; ')}`;
}

export function buildTimeline(
  events: readonly RunEvent[],
  stageOf: Readonly<Record<string, string>> = {},
  nameOf: NameOf = asIs,
): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const open = new Map<string, TimelineEntry>(); // "<kind>:<node>" -> the entry still open
  const entryFor = (e: RunEvent, kind: 'stage' | 'step'): TimelineEntry => {
    const id = `${kind}:${e.node}`;
    let entry = open.get(id);
    if (!entry || (e.visit !== null && entry.visit !== e.visit)) {
      entry = {
        key: `${id}:${e.visit ?? 0}:${e.seq}`,
        kind,
        node: e.node ?? '',
        visit: e.visit ?? 1,
        stage: kind === 'step' ? (stageOf[e.node ?? ''] ?? null) : null,
        status: 'in_progress',
        waitingSince: null,
        startedAt: null,
        endedAt: null,
        seconds: null,
        waitedSeconds: null,
        by: null,
        outcome: null,
        assignee: null,
        error: null,
        repairs: [],
        values: null,
      };
      entries.push(entry);
      open.set(id, entry);
    }
    return entry;
  };
  /** The run moved to another version: renamed nodes take their new ids, and the stage it is in says so. */
  const moved = (e: RunEvent) => {
    const renamed = mappingOf(e);
    for (const entry of entries) {
      entry.node = renamed[entry.node] ?? entry.node;
      if (entry.kind === 'step')
        entry.stage = stageOf[entry.node] ?? (entry.stage && (renamed[entry.stage] ?? entry.stage));
    }
    for (const [id, entry] of [...open]) {
      open.delete(id);
      open.set(`${entry.kind}:${entry.node}`, entry);
    }
    const by = e.by ? ` by ${nameOf('user', e.by)}` : '';
    const note = `moved from version ${text(e.data.from)} to version ${text(e.data.to)}${by}`;
    const here = [...open.values()].find((entry) => entry.kind === 'stage') ?? entries[entries.length - 1];
    here?.repairs.push(note);
  };
  for (const e of events) {
    const [kind, what] = e.type.split('.', 2) as [string, string];
    if (e.type === 'run.migrated') {
      moved(e);
      continue;
    }
    if (!e.node) continue;
    if (e.type === 'step.inputs_edited' || e.type === 'step.skipped') {
      open.get(`step:${e.node}`)?.repairs.push(repairText(e, nameOf));
    } else if (kind === 'stage' || kind === 'step') {
      const entry = entryFor(e, kind);
      if (what === 'waiting') {
        entry.status = 'waiting';
        entry.waitingSince = e.at;
      } else if (what === 'started') {
        entry.status = 'in_progress';
        entry.startedAt = e.at;
        entry.waitedSeconds = between(entry.waitingSince, e.at);
      } else if (what === 'completed' || what === 'discontinued' || what === 'error') {
        entry.status = what === 'completed' ? 'completed' : what === 'error' ? 'error' : 'discontinued';
        // A stage in error holds the run (it has not ended) unless its fault path took the run on.
        if (kind === 'stage' && what === 'error' && !e.data.fault_path) {
          entry.error = str(e.data.error) ?? 'failed';
          continue;
        }
        entry.endedAt = e.at;
        const duration = typeof e.data.duration === 'number' ? e.data.duration : null;
        entry.seconds = duration ?? between(entry.waitingSince ?? entry.startedAt, e.at);
        entry.by = e.by ? nameOf('user', e.by) : entry.by;
        entry.outcome = str(e.data.outcome) ?? entry.outcome;
        const outputs = e.data.outputs;
        if (kind === 'step' && e.by && outputs && typeof outputs === 'object' && Object.keys(outputs).length)
          entry.values = outputs as Record<string, unknown>;
        entry.error = what === 'error' ? (str(e.data.message) ?? str(e.data.error) ?? 'failed') : null;
        if (what !== 'error') open.delete(`${kind}:${e.node}`);
      }
    } else if (e.type === 'work_item.created' || e.type === 'work_item.reassigned') {
      const entry = open.get(`step:${e.node}`);
      const to = (e.data.assignee ?? e.data.to) as { type?: unknown; value?: unknown } | undefined;
      if (entry && to && typeof to.value === 'string')
        entry.assignee = assigneeText(typeof to.type === 'string' ? to.type : '', to.value, nameOf);
    } else if (e.type === 'work_item.claimed') {
      const entry = open.get(`step:${e.node}`);
      if (entry && e.by) entry.assignee = `claimed by ${nameOf('user', e.by)}`;
    } else if (e.type === 'run.retried') {
      for (const entry of open.values()) if (entry.status === 'error') entry.status = 'in_progress';
    }
  }
  return entries;
}

/** Node id -> outcome value -> its label on the step's form (the timeline names outcomes, not their codes). */
export function outcomeLabels(nodes: readonly { id: string; data: unknown }[]): Record<string, Record<string, string>> {
  const labels: Record<string, Record<string, string>> = {};
  for (const node of nodes) {
    const outcomes = (node.data as { form?: { outcomes?: unknown } } | null)?.form?.outcomes;
    if (!Array.isArray(outcomes)) continue;
    for (const o of outcomes as { value?: unknown; label?: unknown }[]) {
      if (typeof o.value === 'string' && typeof o.label === 'string' && o.label)
        (labels[node.id] ??= {})[o.value] = o.label;
    }
  }
  return labels;
}

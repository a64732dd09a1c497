/**
 * The "Move runs to another version" wizard's logic (pages/migrate-page.tsx): which node of
 * a source version lands on which node of the target (the default mapping the engine uses:
 * same id and same kind; explicit choices for the others), how the canvases mark it, the
 * plan sent to POST /api/orchestrations/<key>/migrations, and the API's answers read back.
 */
import { z } from 'zod';

import type { OrchestrationDocument } from './document-schema';

// ------------------------------------------------------------------ nodes and the mapping

/** A node a run can sit on (the engine's kinds: stage, decision, end, or a step's type). */
export type MigrationNode = { id: string; kind: string; label: string; stage: string | null };

export const KIND_LABELS: Record<string, string> = {
  stage: 'Stage',
  interactive: 'Work step',
  background: 'Background step',
  wait: 'Wait step',
  decision: 'Decision',
  end: 'End',
};

/** The nodes of a version that runs can sit on (the start is not one), in the document's order. */
export function migrationNodes(document: OrchestrationDocument): MigrationNode[] {
  const nodes: MigrationNode[] = [];
  for (const node of document.nodes) {
    if (node.type === 'start') continue;
    const label = typeof node.label === 'string' && node.label.trim() ? node.label : node.id;
    const stage = 'stage' in node && typeof node.stage === 'string' ? node.stage : null;
    nodes.push({ id: node.id, kind: node.type, label, stage });
  }
  return nodes;
}

/** How one source node maps: `same` (same id and kind in the target), `explicit` (chosen), or none (`removed`, `retyped`). */
export type MappedHow = 'same' | 'explicit' | 'removed' | 'retyped';
export type MappedNode = { node: MigrationNode; to: MigrationNode | null; how: MappedHow };

/**
 * Each source node -> its node in the target, as the engine will map it: an explicit
 * choice first, else the node with the same id and kind, else none (the runs sitting
 * there cannot move). Source nodes seen in several source versions appear once.
 */
export function resolveMapping(
  sources: MigrationNode[],
  target: MigrationNode[],
  explicit: Record<string, string>,
): MappedNode[] {
  const byId = new Map(target.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const mapped: MappedNode[] = [];
  for (const node of sources) {
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    const chosen = explicit[node.id];
    if (chosen !== undefined) {
      mapped.push({ node, to: byId.get(chosen) ?? null, how: 'explicit' });
      continue;
    }
    const same = byId.get(node.id);
    if (same && same.kind === node.kind) mapped.push({ node, to: same, how: 'same' });
    else mapped.push({ node, to: null, how: same ? 'retyped' : 'removed' });
  }
  return mapped;
}

/** The target's nodes a source node may map to: those of its kind (the engine refuses others). */
export function candidates(node: MigrationNode, target: MigrationNode[]): MigrationNode[] {
  return target.filter((n) => n.kind === node.kind);
}

/**
 * The mapping after the person picks `to` for `node` in the select: the default (same id)
 * is not sent as an explicit choice; an empty choice drops the explicit one.
 */
export function chooseMapping(
  explicit: Record<string, string>,
  node: MigrationNode,
  to: string,
  target: MigrationNode[],
): Record<string, string> {
  const next = { ...explicit };
  const same = target.find((n) => n.id === node.id && n.kind === node.kind);
  if (!to || (same && to === same.id)) delete next[node.id];
  else next[node.id] = to;
  return next;
}

/** A guess for nodes without a counterpart: a target node of the same kind and the same label, not otherwise taken. */
export function suggestedMapping(sources: MigrationNode[], target: MigrationNode[]): Record<string, string> {
  const mapped = resolveMapping(sources, target, {});
  const taken = new Set(mapped.flatMap((m) => (m.to ? [m.to.id] : [])));
  const suggested: Record<string, string> = {};
  for (const m of mapped) {
    if (m.to) continue;
    const twin = target.find(
      (n) =>
        n.kind === m.node.kind &&
        !taken.has(n.id) &&
        n.label.trim().toLowerCase() === m.node.label.trim().toLowerCase(),
    );
    if (twin) {
      suggested[m.node.id] = twin.id;
      taken.add(twin.id);
    }
  }
  return suggested;
}

/** What the canvases draw on a node: a number shared by both ends of a pair, or why it has none. */
export type Marking =
  | { state: 'matched' | 'explicit'; number: number }
  | { state: 'removed' | 'retyped' }
  | { state: 'new' }
  | { state: 'unmapped' };

/**
 * Markings of both canvases: pair i (1-based, in the source's order) is numbered i on
 * both sides; source nodes without a target say "removed — map it"; target nodes that no
 * source node maps to are new.
 */
export function markings(mapped: MappedNode[], target: MigrationNode[]) {
  const source: Record<string, Marking> = {};
  const onTarget: Record<string, Marking> = {};
  let number = 0;
  for (const m of mapped) {
    if (m.to) {
      number += 1;
      const state = m.how === 'explicit' ? 'explicit' : 'matched';
      source[m.node.id] = { state, number };
      if (!onTarget[m.to.id]) onTarget[m.to.id] = { state, number };
    } else {
      source[m.node.id] = { state: m.how === 'retyped' ? 'retyped' : 'removed' };
    }
  }
  for (const n of target) if (!onTarget[n.id]) onTarget[n.id] = { state: 'new' };
  return { source, target: onTarget };
}

/** The words a marking adds to a node's label on the canvas. */
export function markedLabel(label: string, marking: Marking | undefined): string {
  if (!marking) return label;
  switch (marking.state) {
    case 'matched':
      return `${marking.number} · ${label}`;
    case 'explicit':
      return `${marking.number} · ${label} (mapped)`;
    case 'removed':
      return `${label} — removed, map it`;
    case 'retyped':
      return `${label} — changed kind, map it`;
    case 'new':
      return `${label} (new)`;
    case 'unmapped':
      return label;
  }
}

/** Two explicit choices on one target node: the engine refuses it, so the wizard says so first. */
export function mappingClashes(mapped: MappedNode[]): Record<string, string> {
  const owners = new Map<string, MappedNode[]>();
  for (const m of mapped) if (m.to) owners.set(m.to.id, [...(owners.get(m.to.id) ?? []), m]);
  const clashes: Record<string, string> = {};
  for (const [, list] of owners) {
    if (list.length < 2) continue;
    for (const m of list) {
      const others = list.filter((o) => o !== m).map((o) => o.node.label);
      clashes[m.node.id] = `${m.to?.label} is already the place of ${others.join(', ')}; give each its own node`;
    }
  }
  return clashes;
}

// ------------------------------------------------------------------ the plan

export type WizardOptions = {
  sources: number[];
  target: number;
  stages: string[];
  mapping: Record<string, string>;
  recompute: ('assignee' | 'due')[];
  timers: 'keep' | 'recompute';
};

/** The body of POST …/migrations (empty filters left out). */
export function planBody(options: WizardOptions, dryRun: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { target: options.target, dry_run: dryRun, timers: options.timers };
  if (options.sources.length) body.sources = [...options.sources].sort((a, b) => a - b);
  if (options.stages.length) body.stages = options.stages;
  if (Object.keys(options.mapping).length) body.mapping = options.mapping;
  if (options.recompute.length) body.recompute = options.recompute;
  return body;
}

/**
 * A 400's details as one message per field (`mapping` as one per node): the API gives
 * a message, a list of them, or (for the mapping) an object of them.
 */
export function fieldErrors(details: unknown): { fields: Record<string, string>; mapping: Record<string, string> } {
  const fields: Record<string, string> = {};
  const mapping: Record<string, string> = {};
  if (!details || typeof details !== 'object') return { fields, mapping };
  const text = (value: unknown): string =>
    Array.isArray(value)
      ? value.map(text).join('; ')
      : value && typeof value === 'object'
        ? Object.entries(value)
            .map(([k, v]) => `${k}: ${text(v)}`)
            .join('; ')
        : String(value);
  for (const [field, value] of Object.entries(details as Record<string, unknown>)) {
    if (field === 'mapping' && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [node, message] of Object.entries(value as Record<string, unknown>)) mapping[node] = text(message);
    } else {
      fields[field] = text(value);
    }
  }
  return { fields, mapping };
}

// ------------------------------------------------------------------ the API's answers

const reasonSchema = z.looseObject({ code: z.string(), node: z.string().nullable().optional(), message: z.string() });

export const dryRunSchema = z.looseObject({
  orchestration: z.string(),
  target: z.number(),
  sources: z.array(z.number()),
  total: z.number(),
  movable: z.number(),
  refused: z.number(),
  skipped: z.number(),
  summary: z.string(),
  groups: z.array(
    reasonSchema.extend({
      count: z.number(),
      runs: z.array(z.string()).optional(),
      names: z.array(z.string()).optional(),
    }),
  ),
  notes: z.array(z.looseObject({ message: z.string(), count: z.number() })),
  runs: z.array(
    z.looseObject({
      run_id: z.string(),
      name: z.string().nullable().optional(),
      version: z.number(),
      at: z.string().nullable().optional(),
      at_label: z.string().nullable().optional(),
      status: z.string(),
      movable: z.boolean(),
      reasons: z.array(reasonSchema),
      notes: z.array(z.string()),
    }),
  ),
  runs_truncated: z.boolean().optional(),
});
export type DryRun = z.infer<typeof dryRunSchema>;

export const MIGRATION_STATUSES = ['queued', 'running', 'completed', 'cancelled'] as const;

export const migrationSchema = z.looseObject({
  id: z.string(),
  orchestration: z.string(),
  target: z.number().nullable().optional(),
  sources: z.array(z.number()).optional(),
  status: z.string(),
  created_at: z.string().nullable().optional(),
  created_by: z.string().nullable().optional(),
  ended_at: z.string().nullable().optional(),
  total: z.number(),
  handled: z.number(),
  moved: z.number(),
  refused: z.number(),
  skipped: z.number(),
  failed: z.number(),
  summary: z.string().optional(),
  groups: z.array(reasonSchema.extend({ count: z.number() })).optional(),
  runs: z
    .array(
      z.looseObject({
        run_id: z.string(),
        name: z.string().nullable().optional(),
        outcome: z.string(),
        from_version: z.number().nullable().optional(),
        at: z.string().nullable().optional(),
        at_label: z.string().nullable().optional(),
        reasons: z.array(reasonSchema).optional(),
        notes: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  runs_truncated: z.boolean().optional(),
});
export type Migration = z.infer<typeof migrationSchema>;

/** Whether a migration is still under way (the wizard polls it; it can be cancelled). */
export function underWay(migration: Pick<Migration, 'status'>): boolean {
  return migration.status === 'queued' || migration.status === 'running';
}

/** "moved 150 of 412" (and what else happened so far). */
export function progressText(m: Migration): string {
  const parts = [`moved ${m.moved.toLocaleString('en')} of ${m.total.toLocaleString('en')}`];
  if (m.refused) parts.push(`${m.refused.toLocaleString('en')} could not move`);
  if (m.failed) parts.push(`${m.failed.toLocaleString('en')} failed`);
  if (m.skipped) parts.push(`${m.skipped.toLocaleString('en')} already on the target`);
  return parts.join(', ');
}

/** "20 sit on Budget check, …" for the engine's "sits on Budget check, …" (said of one run). */
export function countedMessage(count: number, message: string): string {
  if (count === 1) return `1 ${message}`;
  const plural: Record<string, string> = { sits: 'sit', is: 'are', has: 'have', waits: 'wait' };
  const [first, ...rest] = message.split(' ');
  const verb = first ? plural[first] : undefined;
  return `${count.toLocaleString('en')} ${verb ? [verb, ...rest].join(' ') : message}`;
}

/** What a migration that ended did, in one line: "3 runs moved to version 2; 1 could not move: …". */
export function resultText(m: Migration): string {
  const target = m.target ?? '?';
  let text = `${m.moved.toLocaleString('en')} run${m.moved === 1 ? '' : 's'} moved to version ${target}`;
  const stayed = m.refused + m.failed;
  if (stayed) {
    const why = (m.groups ?? []).map((g) => countedMessage(g.count, g.message)).join('; ');
    text += `; ${stayed.toLocaleString('en')} stayed where ${stayed === 1 ? 'it was' : 'they were'}${why ? `: ${why}` : ''}`;
  }
  if (m.skipped) text += `; ${m.skipped.toLocaleString('en')} already on version ${target}`;
  if (m.status === 'cancelled') text += ' (cancelled before the end)';
  return `${text}.`;
}

/** A run's name as the report gives it, else the first 8 characters of its id. */
export function runName(run: { run_id: string; name?: string | null }): string {
  return run.name || run.run_id.slice(0, 8);
}

/** The stage of a node, by name, for "sits on …" lines: `label` or, for a step, "Step (in Stage)". */
export function placeLabel(id: string | null | undefined, label: string | null | undefined, nodes: MigrationNode[]) {
  if (!id) return '—';
  const node = nodes.find((n) => n.id === id);
  const name = label || node?.label || id;
  const stage = node?.stage ? nodes.find((n) => n.id === node.stage) : undefined;
  return stage ? `${name} (in ${stage.label})` : name;
}

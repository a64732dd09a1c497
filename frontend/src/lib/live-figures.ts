/**
 * The /ws/live protocol (builder/LIVE.md): a snapshot, then deltas, each labelled with
 * the `seq` it counts every event up to. Figures are absolute values: a delta is
 * merged field by field (`{...old, ...new}`), never added, so a figure received twice
 * counts nothing twice.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative().nullable();

export const nodeFiguresSchema = z.looseObject({
  active: count,
  waiting: count,
  error: count,
  completed: count,
  failed: count,
  overdue: count,
  p50: seconds,
  p95: seconds,
});

export const edgeFiguresSchema = z.looseObject({ taken: count });

export type NodeFigures = z.infer<typeof nodeFiguresSchema>;
export type EdgeFigures = z.infer<typeof edgeFiguresSchema>;

export const WINDOWS = ['hour', 'day', 'week', 'all'] as const;
export type LiveWindow = (typeof WINDOWS)[number];

export const snapshotMessageSchema = z.looseObject({
  type: z.literal('snapshot'),
  seq: z.number().int(),
  orchestration: z.string(),
  version: z.number().nullable(),
  window: z.enum(WINDOWS),
  at: z.string(),
  nodes: z.record(z.string(), nodeFiguresSchema),
  edges: z.record(z.string(), edgeFiguresSchema),
});

export const deltaMessageSchema = z.looseObject({
  type: z.literal('delta'),
  seq: z.number().int(),
  resumed: z.boolean().optional(),
  nodes: z.record(z.string(), nodeFiguresSchema.partial()).default({}),
  edges: z.record(z.string(), edgeFiguresSchema.partial()).default({}),
});

export const liveMessageSchema = z.discriminatedUnion('type', [snapshotMessageSchema, deltaMessageSchema]);

export type SnapshotMessage = z.infer<typeof snapshotMessageSchema>;
export type DeltaMessage = z.infer<typeof deltaMessageSchema>;
export type LiveMessage = z.infer<typeof liveMessageSchema>;

export type LiveFigures = {
  seq: number | null;
  nodes: Readonly<Record<string, NodeFigures>>;
  edges: Readonly<Record<string, EdgeFigures>>;
};

export const EMPTY_NODE: NodeFigures = {
  active: 0,
  waiting: 0,
  error: 0,
  completed: 0,
  failed: 0,
  overdue: 0,
  p50: null,
  p95: null,
};

/** A text frame, checked; null for anything that does not fit the protocol. */
export function parseLiveMessage(text: string): LiveMessage | null {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = liveMessageSchema.safeParse(payload);
  return parsed.success ? parsed.data : null;
}

function mergeRecord<T extends object>(
  held: Readonly<Record<string, T>>,
  changed: Record<string, Partial<T>>,
  empty: T,
): Record<string, T> {
  const next: Record<string, T> = { ...held };
  for (const [id, figures] of Object.entries(changed)) {
    // Only fields the delta carries overwrite: an overdue-only delta keeps the rest.
    const defined = Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)) as Partial<T>;
    next[id] = { ...(held[id] ?? empty), ...defined };
  }
  return next;
}

/**
 * The figures after a message. A snapshot replaces everything; a delta overwrites
 * the fields it carries. A delta not newer than what is held is dropped (a message
 * from a stream being replaced), so nothing goes backwards.
 */
export function applyLiveMessage(held: LiveFigures, message: LiveMessage): LiveFigures {
  if (message.type === 'snapshot') return { seq: message.seq, nodes: message.nodes, edges: message.edges };
  if (held.seq !== null && message.seq < held.seq) return held;
  const changedEdges = message.edges as Record<string, Partial<EdgeFigures>>;
  return {
    seq: message.seq,
    nodes: mergeRecord(held.nodes, message.nodes as Record<string, Partial<NodeFigures>>, EMPTY_NODE),
    edges: mergeRecord(held.edges, changedEdges, { taken: 0 }),
  };
}

/** The /ws/live URL for a page on `location`; `after` resumes a dropped stream. */
export function liveUrl(
  location: Pick<Location, 'protocol' | 'host'>,
  options: { orchestration: string; version: number | null; window: LiveWindow; after?: number | null },
): string {
  const params = new URLSearchParams({ orchestration: options.orchestration });
  if (options.version !== null) params.set('version', String(options.version));
  if (options.window !== 'all') params.set('window', options.window);
  if (options.after !== undefined && options.after !== null) params.set('after', String(options.after));
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/live?${params.toString()}`;
}

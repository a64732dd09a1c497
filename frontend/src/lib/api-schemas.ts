/** What the API (DESIGN §4) answers, checked before the app uses it. */
import { z } from 'zod';

import { orchestrationDocumentSchema } from './document-schema';

export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const userSchema = z.looseObject({
  username: z.string(),
  role: z.enum(['admin', 'ops', 'member']),
  display_name: z.string().nullable().optional(),
  active: z.boolean().optional(),
  /** Group names, or (newer servers) `{name, kind}` per group: either is read as the names. */
  groups: z.array(z.union([z.string(), z.looseObject({ name: z.string() }).transform((g) => g.name)])).optional(),
});

export const sessionSchema = z.object({ user: userSchema, csrf_token: z.string() });

/** One problem the server found in a document (FORMAT.md, "Validation errors"). */
export const issueSchema = z.looseObject({
  node: z.string().nullable(),
  field: z.string(),
  message: z.string(),
  edge: z.string().optional(),
  column: z.number().optional(),
  severity: z.enum(['error', 'warning']).catch('error'),
});

/**
 * A draft as the server keeps it. The document is checked separately (and may not
 * fit the canvas), so that the page can say what is wrong with it.
 */
export const draftSchema = z.looseObject({
  key: z.string(),
  document: z.unknown(),
  revision: z.number(),
  updated_at: z.string().optional(),
  updated_by: z.string().nullable().optional(),
  issues: z.array(issueSchema),
  valid: z.boolean(),
});

export const orchestrationSchema = z.looseObject({
  key: z.string(),
  label: z.string(),
  active_version: z.number().nullable(),
  draft: draftSchema,
  versions: z.array(z.looseObject({ number: z.number(), created_at: z.string(), created_by: z.string().nullable().optional() })),
});

export const validationSchema = z.looseObject({ key: z.string(), valid: z.boolean(), issues: z.array(issueSchema) });

export const activationSchema = z.looseObject({ key: z.string(), version: z.number(), active_version: z.number() });

export const versionSchema = z.looseObject({
  key: z.string(),
  number: z.number(),
  document: orchestrationDocumentSchema,
  active: z.boolean(),
});

export const orchestrationListSchema = z.looseObject({
  items: z.array(z.looseObject({
    key: z.string(),
    label: z.string(),
    active_version: z.number().nullable(),
    has_draft: z.boolean(),
    updated_at: z.string().optional(),
  })),
  next_cursor: z.string().nullable(),
});

export type User = z.infer<typeof userSchema>;
export type Session = z.infer<typeof sessionSchema>;
export type Issue = z.infer<typeof issueSchema>;
export type Draft = z.infer<typeof draftSchema>;
export type Orchestration = z.infer<typeof orchestrationSchema>;
export type OrchestrationSummary = z.infer<typeof orchestrationListSchema>['items'][number];

/** A page of a listing (`?cursor=` for the next one). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.looseObject({ items: z.array(item), next_cursor: z.string().nullable() });
}

export const groupSchema = z.looseObject({
  name: z.string(),
  kind: z.string().catch('group'),
  label: z.string().nullable().optional(),
});

export const actionFieldSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  required: z.boolean().catch(false),
  description: z.string().optional(),
});

export const actionSchema = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  inputs: z.array(actionFieldSchema),
  outputs: z.array(actionFieldSchema).optional(),
  open_inputs: z.boolean().optional(),
});

export const templateSummarySchema = z.looseObject({
  name: z.string(),
  key: z.string(),
  label: z.string(),
  description: z.string().nullable().optional(),
});

export const templateSchema = templateSummarySchema.extend({ document: orchestrationDocumentSchema });

export type Group = z.infer<typeof groupSchema>;
export type Action = z.infer<typeof actionSchema>;
export type TemplateSummary = z.infer<typeof templateSummarySchema>;
export type Version = z.infer<typeof versionSchema>;
export type VersionSummary = Orchestration['versions'][number];

// ------------------------------------------------------------------ runs (the Monitor)

export const RUN_STATUSES = ['in_progress', 'suspended', 'error', 'completed', 'cancelled'] as const;

export const ballSchema = z.looseObject({
  type: z.string(),
  value: z.string(),
  step: z.string().optional(),
  work_item: z.string().optional(),
  claimed_by: z.string().nullable().optional(),
});

export const runErrorSchema = z.looseObject({
  message: z.string(),
  node: z.string().nullable().optional(),
  field: z.string().nullable().optional(),
});

export const runSummarySchema = z.looseObject({
  id: z.string(),
  orchestration: z.string(),
  version: z.number(),
  status: z.enum(RUN_STATUSES),
  current_node: z.string().nullable(),
  started_by: z.string().nullable(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  updated_at: z.string().optional(),
  record: z.looseObject({ object: z.string(), id: z.string() }).nullable(),
  error: runErrorSchema.nullable(),
  ball: z.array(ballSchema).optional(),
});

export const workItemSchema = z.looseObject({
  id: z.string(),
  run_id: z.string(),
  step_id: z.string(),
  stage_id: z.string().nullable().optional(),
  label: z.string().nullable().optional(),
  assignee: z.looseObject({ type: z.string(), value: z.string() }),
  status: z.string(),
  claimed_by: z.string().nullable().optional(),
  created_at: z.string(),
  due_at: z.string().nullable().optional(),
  overdue: z.boolean().optional(),
});

export const runSchema = runSummarySchema.extend({
  label: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  vars: z.record(z.string(), z.unknown()),
  current_stage: z.string().nullable(),
  stages: z.array(z.looseObject({ id: z.string(), label: z.string().nullable().optional(), status: z.string(), visits: z.number() })),
  steps: z.array(z.looseObject({
    id: z.string(),
    stage: z.string(),
    type: z.string(),
    label: z.string().nullable().optional(),
    status: z.string(),
    error: z.string().nullable().optional(),
    attempts: z.number().optional(),
    completed_by: z.string().nullable().optional(),
  })),
  work_items: z.array(workItemSchema),
  ball: z.array(ballSchema),
});

export const metricsSchema = z.looseObject({
  orchestration: z.string(),
  version: z.number().nullable(),
  runs: z.number(),
  by_status: z.record(z.string(), z.number()),
  average_run_seconds: z.number().nullable(),
  completion_rate: z.number().nullable(),
  failed_runs: z.number(),
  started_per_day: z.array(z.looseObject({ day: z.string(), runs: z.number() })),
  stages: z.array(z.looseObject({
    id: z.string(),
    label: z.string(),
    completed: z.number(),
    average_seconds: z.number().nullable(),
    total_seconds: z.number(),
    p50: z.number().nullable(),
    p95: z.number().nullable(),
  })),
});

export type RunStatus = (typeof RUN_STATUSES)[number];
export type RunSummary = z.infer<typeof runSummarySchema>;
export type Run = z.infer<typeof runSchema>;
export type WorkItem = z.infer<typeof workItemSchema>;
export type Metrics = z.infer<typeof metricsSchema>;

/** What the API (ARCHITECTURE §4) answers, checked before the app uses it. */
import { z } from 'zod';

import { orchestrationDocumentSchema, triggerSchema } from './document-schema';
import { edgeFiguresSchema, nodeFiguresSchema } from './live-figures';

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
export const signedOutSchema = z.object({ signed_out: z.string() });

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

/** One element of an imported BPMN file: what it became (`node`), or why it was not taken over. */
export const bpmnEntrySchema = z.looseObject({
  bpmn_id: z.string(),
  bpmn_type: z.string(),
  name: z.string().nullable(),
  where: z.string(),
  node: z.string().nullable(),
  detail: z.string(),
  bounds: z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() }).nullable(),
});

/** What a BPMN import did with every element of the file. */
export const bpmnReportSchema = z.looseObject({
  round_trip: z.boolean(),
  counts: z.object({ mapped: z.number(), unmapped: z.number() }),
  mapped: z.array(bpmnEntrySchema),
  unmapped: z.array(bpmnEntrySchema),
  notes: z.array(z.string()),
});

export const bpmnImportSchema = z.looseObject({
  key: z.string(),
  draft: draftSchema,
  report: bpmnReportSchema,
  issues: z.array(issueSchema),
  valid: z.boolean(),
});

export const orchestrationSchema = z.looseObject({
  key: z.string(),
  label: z.string(),
  active_version: z.number().nullable(),
  draft: draftSchema,
  versions: z.array(
    z.looseObject({ number: z.number(), created_at: z.string(), created_by: z.string().nullable().optional() }),
  ),
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
  items: z.array(
    z.looseObject({
      key: z.string(),
      label: z.string(),
      active_version: z.number().nullable(),
      has_draft: z.boolean(),
      /** How runs of the active version start (null: no version is active). */
      trigger: triggerSchema.nullable().optional(),
      updated_at: z.string().optional(),
    }),
  ),
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
  /** Its inputs may read `secrets.<name>` (it sends them on to another system). */
  secrets: z.boolean().optional(),
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
  /** Display names (the runs list names people and groups, not their ids). */
  name: z.string().optional(),
  claimed_by_name: z.string().nullable().optional(),
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
  /** Names for people, on the runs list: the orchestration's label, the node's, the record's, the starter's. */
  label: z.string().optional(),
  current_node_label: z.string().nullable().optional(),
  record_name: z.string().nullable().optional(),
  started_by_name: z.string().nullable().optional(),
});

/** GET /api/runs/filters: what the runs list's pick lists offer. */
export const runFilterOptionsSchema = z.looseObject({
  orchestrations: z.array(
    z.looseObject({
      key: z.string(),
      label: z.string(),
      stages: z.array(z.looseObject({ id: z.string(), label: z.string() })),
    }),
  ),
  assignees: z.array(z.looseObject({ type: z.string(), value: z.string(), name: z.string() })),
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
  /** Display names of the assignee and of who claimed it. */
  assignee_name: z.string().optional(),
  claimed_by_name: z.string().nullable().optional(),
});

export const runSchema = runSummarySchema.extend({
  label: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  vars: z.record(z.string(), z.unknown()),
  current_stage: z.string().nullable(),
  stages: z.array(
    z.looseObject({ id: z.string(), label: z.string().nullable().optional(), status: z.string(), visits: z.number() }),
  ),
  steps: z.array(
    z.looseObject({
      id: z.string(),
      stage: z.string(),
      type: z.string(),
      label: z.string().nullable().optional(),
      status: z.string(),
      error: z.string().nullable().optional(),
      attempts: z.number().optional(),
      completed_by: z.string().nullable().optional(),
    }),
  ),
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
  stages: z.array(
    z.looseObject({
      id: z.string(),
      label: z.string(),
      completed: z.number(),
      average_seconds: z.number().nullable(),
      total_seconds: z.number(),
      p50: z.number().nullable(),
      p95: z.number().nullable(),
    }),
  ),
});

export type RunStatus = (typeof RUN_STATUSES)[number];
export type RunSummary = z.infer<typeof runSummarySchema>;
export type RunFilterOptions = z.infer<typeof runFilterOptionsSchema>;
export type Run = z.infer<typeof runSchema>;
export type WorkItem = z.infer<typeof workItemSchema>;
export type Metrics = z.infer<typeof metricsSchema>;

// ------------------------------------------------------------------ scenario tests (runtime/testing/SCENARIOS.md)

export const scenarioItemSchema = z.looseObject({
  name: z.string(),
  source: z.string(),
  updated_at: z.string().nullable().optional(),
  updated_by: z.string().nullable().optional(),
});

export const scenarioListSchema = z.looseObject({ items: z.array(scenarioItemSchema) });

/** One problem of a scenario file (a 422's `details.problems`); lines are 1-based. */
export const scenarioProblemSchema = z.looseObject({
  line: z
    .number()
    .int()
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  path: z
    .string()
    .nullable()
    .optional()
    .transform((v) => v ?? ''),
  message: z.string(),
});

export const scenarioFailureSchema = z.looseObject({
  step: z.number().int().nullable(),
  line: z.number().int().nullable(),
  kind: z.string(),
  message: z.string(),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
  diff: z.string().nullable().optional(),
});

/** Covered / total of one kind of element (nodes, outcomes or edges), and which ones. */
export const coverageCountsSchema = z.looseObject({
  covered: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  percent: z.number().nullable(),
  missed: z.array(z.string()),
  hits: z.record(z.string(), z.number()),
});

const keyCoverageSchema = z.looseObject({
  nodes: coverageCountsSchema,
  outcomes: coverageCountsSchema,
  edges: coverageCountsSchema,
});

/**
 * `Coverage.report()` for one orchestration. Read whether the server sends the
 * report's section for the key or the whole report (`{"orchestrations": {key: ...}}`):
 * the whole report is narrowed to its single orchestration.
 */
export const coverageReportSchema = z
  .union([
    keyCoverageSchema,
    z
      .looseObject({ orchestrations: z.record(z.string(), keyCoverageSchema) })
      .refine((r) => Object.keys(r.orchestrations).length <= 1, 'a report of several orchestrations')
      .transform((r) => Object.values(r.orchestrations)[0] ?? null),
  ])
  .nullable();

export const scenarioResultSchema = z.looseObject({
  name: z.string(),
  source: z.string().nullable().optional(),
  orchestration: z.string().optional(),
  passed: z.boolean(),
  failures: z.array(scenarioFailureSchema),
  duration_ms: z.number().nonnegative(),
  steps_run: z.number().int().nonnegative().optional(),
  run_id: z.string().nullable().optional(),
  path: z.array(z.string()).optional(),
});

export const testTargetSchema = z.union([z.literal('draft'), z.literal('active'), z.number().int().positive()]);

export const testRunSchema = z.looseObject({
  target: testTargetSchema,
  results: z.array(scenarioResultSchema),
  summary: z.looseObject({ passed: z.number().int(), failed: z.number().int(), duration_ms: z.number() }),
  coverage: coverageReportSchema,
});

/** A decision's outcome on a generated path: a `[decision, outcome]` pair (or an object naming both). */
const pathDecisionSchema = z.union([
  z.tuple([z.string(), z.string()]).transform(([decision, outcome]) => ({ decision, outcome })),
  z.looseObject({ decision: z.string(), outcome: z.string() }),
]);

/** A condition the solver left open: text, or an object whose `condition` (and where) says it. */
const unsolvedSchema = z.union([
  z.string(),
  z
    .looseObject({
      node: z.string().nullable().optional(),
      decision: z.string().nullable().optional(),
      condition: z.string(),
    })
    .transform((u) => `${u.decision ?? u.node ?? ''}${(u.decision ?? u.node) ? ': ' : ''}${u.condition}`),
]);

export const generatedPathSchema = z.looseObject({
  name: z.string(),
  source: z.string(),
  stages: z.array(z.string()),
  decisions: z.array(pathDecisionSchema),
  unsolved: z.array(unsolvedSchema),
  /** `stages` and `decisions` by their labels ("Legal approved? → Sent back"). */
  stage_labels: z.array(z.string()).optional(),
  path: z.array(z.string()).optional(),
});

export const generatedListSchema = z.looseObject({ items: z.array(generatedPathSchema) });

export type ScenarioItem = z.infer<typeof scenarioItemSchema>;
export type ScenarioProblem = z.infer<typeof scenarioProblemSchema>;
export type ScenarioFailure = z.infer<typeof scenarioFailureSchema>;
export type ScenarioResult = z.infer<typeof scenarioResultSchema>;
export type CoverageCounts = z.infer<typeof coverageCountsSchema>;
export type KeyCoverage = z.infer<typeof keyCoverageSchema>;
export type TestTarget = z.infer<typeof testTargetSchema>;
export type TestRun = z.infer<typeof testRunSchema>;
export type GeneratedPath = z.infer<typeof generatedPathSchema>;

/** `GET /api/orchestrations/<key>/insights`: production figures per node and edge (builder/LIVE.md). */
export const insightsSchema = z.looseObject({
  nodes: z.record(z.string(), nodeFiguresSchema),
  edges: z.record(z.string(), edgeFiguresSchema),
});

export type Insights = z.infer<typeof insightsSchema>;
export type BpmnEntry = z.infer<typeof bpmnEntrySchema>;
export type BpmnReport = z.infer<typeof bpmnReportSchema>;
export type BpmnImport = z.infer<typeof bpmnImportSchema>;

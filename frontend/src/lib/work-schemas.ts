/** What the Work Guide's API calls answer (work items, runs, records, notifications), checked before use. */
import { z } from 'zod';

export const assigneeSchema = z.looseObject({ type: z.string(), value: z.string() });

export const workItemSchema = z.looseObject({
  id: z.string(),
  run_id: z.string(),
  orchestration: z.string(),
  /** The orchestration's label (the API names it; pages show it, not the key). */
  orchestration_label: z.string().optional(),
  step_id: z.string(),
  stage_id: z.string(),
  label: z.string(),
  assignee: assigneeSchema,
  status: z.enum(['open', 'claimed', 'completed', 'cancelled']),
  claimed_by: z.string().nullable(),
  created_at: z.string(),
  due_at: z.string().nullable(),
  overdue: z.boolean(),
  escalated_at: z.string().nullable().optional(),
  completed_at: z.string().nullable().optional(),
  completed_by: z.string().nullable().optional(),
  outcome: z.string().nullable().optional(),
  record: z.looseObject({ object: z.string(), id: z.string() }).nullable(),
  /** The person out of office this work was meant for (the assignee is their delegate). */
  on_behalf_of: z.string().nullable().optional(),
  /** Display names of the assignee (a person, group or queue) and of who claimed and completed it. */
  assignee_name: z.string().optional(),
  claimed_by_name: z.string().nullable().optional(),
  completed_by_name: z.string().nullable().optional(),
  on_behalf_of_name: z.string().nullable().optional(),
  comment: z.string().nullable().optional(),
});

export const formFieldSchema = z.looseObject({
  name: z.string(),
  type: z.enum([
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
  ]),
  label: z.string().optional(),
  required: z.boolean().optional(),
  options: z.array(z.string()).optional(),
  help: z.string().optional(),
  default: z.unknown().optional(),
});

export const formSchema = z.looseObject({
  fields: z.array(formFieldSchema),
  outcomes: z.array(z.looseObject({ value: z.string(), label: z.string() })),
});

/** The run an item belongs to, as the person doing it needs to know it (`context` of an item). */
export const workContextSchema = z.looseObject({
  run: z.looseObject({
    id: z.string(),
    orchestration: z.string(),
    version: z.number(),
    label: z.string(),
    status: z.string(),
    started_by: z.string().nullable(),
    started_by_name: z.string().nullable().optional(),
    started_at: z.string().nullable(),
  }),
  inputs: z.record(z.string(), z.unknown()),
  steps: z.array(
    z.looseObject({
      id: z.string(),
      label: z.string(),
      outcome: z.string().nullable(),
      outputs: z.unknown(),
      completed_by: z.string().nullable(),
      completed_by_name: z.string().nullable().optional(),
      ended_at: z.string().nullable(),
    }),
  ),
});

export const workItemDetailSchema = workItemSchema.extend({
  form: formSchema,
  step_label: z.string().optional(),
  run_status: z.string().optional(),
  /** The record's fields with its `id`, `object` and `owner`, or null for a run without one. */
  record: z.looseObject({ id: z.string(), object: z.string() }).nullable(),
  context: workContextSchema.optional(),
});

export const runStageSchema = z.looseObject({
  id: z.string(),
  label: z.string(),
  status: z.string(),
  visits: z.number(),
});

export const runSchema = z.looseObject({
  id: z.string(),
  orchestration: z.string(),
  version: z.number(),
  status: z.string(),
  label: z.string(),
  current_node: z.string().nullable(),
  current_stage: z.string().nullable(),
  stages: z.array(runStageSchema),
  history: z.array(z.looseObject({ stage: z.string(), visit: z.number(), status: z.string() })),
  work_items: z.array(workItemSchema),
  started_at: z.string().nullable().optional(),
});

export const recordTypeSchema = z.looseObject({
  name: z.string(),
  label: z.string().nullable().optional(),
  fields: z.array(
    z.looseObject({
      name: z.string(),
      type: z.enum(['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'list', 'map']),
      required: z.boolean().optional(),
      label: z.string().optional(),
      /** The only values a string field takes (an enumerated field). */
      options: z.array(z.string()).optional(),
    }),
  ),
});

export const recordSchema = z.looseObject({
  id: z.string(),
  object: z.string(),
  owner: z.string().nullable(),
  fields: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
  revision: z.number(),
});

export const recordDetailSchema = recordSchema.extend({
  runs: z.array(
    z.looseObject({
      id: z.string(),
      orchestration: z.string(),
      status: z.string(),
      started_at: z.string().nullable().optional(),
    }),
  ),
  /** The fields the signed-in person may change (the owner and admins: all; an open step: its form's). */
  editable_fields: z.array(z.string()).default([]),
});

export const startedRunSchema = z.looseObject({ id: z.string(), orchestration: z.string(), label: z.string() });

/** A saved record and the runs the save started (`started`: named, for people). */
export const savedRecordSchema = recordSchema.extend({
  started_runs: z.array(z.string()),
  started: z.array(startedRunSchema).optional(),
});

export const notificationSchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  subject: z.string(),
  body: z.string(),
  run_id: z.string().nullable(),
  work_item_id: z.string().nullable(),
  created_at: z.string(),
  /** The record the notification's run concerns (when the reader may see it). */
  record: z.object({ object: z.string(), id: z.string() }).nullable().optional(),
  /** Named for people: "Refund for Rita Ruiz" (the orchestration's label and the record's name). */
  title: z.string().optional(),
  record_name: z.string().nullable().optional(),
  /** Marked read with "Mark all read" (kept on the person, in every browser). */
  read: z.boolean().optional(),
});

/** The answer to "Mark all read": the moment up to which notifications are read. */
export const notificationsReadSchema = z.looseObject({ read_at: z.string().nullable() });

/** A message of `/ws/inbox` (builder/LIVE.md). */
export const inboxMessageSchema = z.looseObject({
  type: z.literal('inbox'),
  open: z.number(),
  overdue: z.number(),
  notifications: z.number(),
  latest_notification_at: z.string().nullable(),
  notifications_read_at: z.string().nullable().optional(),
});

export type WorkItem = z.infer<typeof workItemSchema>;
export type WorkItemDetail = z.infer<typeof workItemDetailSchema>;
export type WorkContext = z.infer<typeof workContextSchema>;
export type FormDefinition = z.infer<typeof formSchema>;
export type FormField = z.infer<typeof formFieldSchema>;
export type Run = z.infer<typeof runSchema>;
export type RecordType = z.infer<typeof recordTypeSchema>;
export type RecordField = RecordType['fields'][number];
export type OvRecord = z.infer<typeof recordSchema>;
export type RecordDetail = z.infer<typeof recordDetailSchema>;
export type SavedRecord = z.infer<typeof savedRecordSchema>;
export type StartedRun = z.infer<typeof startedRunSchema>;
export type Notification = z.infer<typeof notificationSchema>;
export type InboxMessage = z.infer<typeof inboxMessageSchema>;

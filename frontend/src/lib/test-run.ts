/**
 * The builder's Test run: what `POST /api/orchestrations/<key>/test-run` answers (checked
 * with zod) and the panel's pure parts. The server keeps nothing: the panel holds the
 * scenario steps played so far (runtime/testing/SCENARIOS.md) and sends them all with
 * each new one; a step the server refuses is not kept.
 */
import { z } from 'zod';

import { display } from './record-values';
import { runEventSchema } from './run-events';
import { formSchema, runSchema, workItemSchema } from './work-schemas';

export const trialSourceSchema = z.union([z.literal('draft'), z.literal('active'), z.number().int().positive()]);

export const personaSchema = z.looseObject({
  user: z.string().optional(),
  groups: z.array(z.string()).optional(),
  queues: z.array(z.string()).optional(),
});

export const trialStepSchema = z.looseObject({
  id: z.string(),
  label: z.string(),
  stage: z.string(),
  type: z.string(),
  status: z.string(),
  outcome: z.string().nullable(),
  error: z.string().nullable().optional(),
});

export const trialSchema = z.looseObject({
  source: trialSourceSchema,
  personas: z.record(z.string(), personaSchema),
  run: runSchema
    .extend({
      vars: z.record(z.string(), z.unknown()),
      steps: z.array(trialStepSchema),
      error: z.looseObject({ node: z.string().nullable().optional(), message: z.string() }).nullable().optional(),
    })
    .nullable(),
  work_items: z.array(workItemSchema.extend({ personas: z.array(z.string()), form: formSchema.nullable() })),
  events: z.array(runEventSchema),
  now: z.string(),
  next_timer: z.string().nullable(),
  /** The steps as a scenario test (YAML) asserting the state reached; null before any step. */
  scenario: z.string().nullable(),
});

export type TrialSource = z.infer<typeof trialSourceSchema>;
export type Trial = z.infer<typeof trialSchema>;
export type TrialItem = Trial['work_items'][number];
/** One scenario step: `{start: ...}`, `{as, complete, outcome, values}`, `{advance}`, `{event}`, `{mock}`. */
export type TrialStep = Record<string, unknown>;

/** What a 422 of the test run says: which step (0-based), why, and a background step waiting for an answer. */
export type Refusal = { message: string; step: number | null; unanswered: { step: string; action: string } | null };

export function refusalOf(message: string, details: unknown): Refusal {
  const d = typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
  const step = typeof d.step === 'number' ? d.step : null;
  const u = d.unanswered as { step?: unknown; action?: unknown } | null | undefined;
  const unanswered =
    u && typeof u.step === 'string' && typeof u.action === 'string' ? { step: u.step, action: u.action } : null;
  return { message, step, unanswered };
}

/**
 * The steps with an answer for a background step put just before the step that ran it
 * (`index`), so replaying them answers it in time. A later answer for the same step replaces it.
 */
export function withAnswer(steps: readonly TrialStep[], index: number, mock: Record<string, unknown>): TrialStep[] {
  const before = steps
    .slice(0, index)
    .filter((s) => !(isMock(s) && (s.mock as Record<string, unknown>).step === mock.step));
  return [...before, { mock }, ...steps.slice(index)];
}

function isMock(step: TrialStep): boolean {
  return typeof step.mock === 'object' && step.mock !== null;
}

/** An ISO-8601 duration the clock can move by (`PT4H`, `P2D`, `P1W`). */
export function isDuration(text: string): boolean {
  return /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/.test(text.trim());
}

const compact = (values: unknown) => {
  const text = JSON.stringify(values);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

/** A step in words for the panel's log; `label` names a step id. */
export function describeStep(step: TrialStep, label: (id: string) => string = (id) => id): string {
  if (step.start && typeof step.start === 'object') {
    const start = step.start as {
      inputs?: Record<string, unknown>;
      record?: { object?: string; fields?: Record<string, unknown> };
    };
    if (start.record)
      return `Started on a new ${start.record.object ?? 'record'} ${compact(start.record.fields ?? {})}`;
    const inputs = start.inputs ?? {};
    return Object.keys(inputs).length ? `Started with ${compact(inputs)}` : 'Started';
  }
  if (typeof step.complete === 'string') {
    const values = step.values && Object.keys(step.values).length ? ` ${compact(step.values)}` : '';
    return `${String(step.as)} completed ${label(step.complete)}${step.outcome ? `: ${display(step.outcome)}` : ''}${values}`;
  }
  if (typeof step.advance === 'string')
    return step.advance === 'next' ? 'Clock moved to the next timer' : `Clock moved by ${step.advance}`;
  if (step.event && typeof step.event === 'object') {
    const event = step.event as { name?: string; correlation?: unknown };
    return `Event ${event.name ?? ''} delivered${event.correlation !== undefined ? ` (correlation ${compact(event.correlation)})` : ''}`;
  }
  if (isMock(step)) {
    const mock = step.mock as { step?: string; result?: unknown; fail?: string };
    return mock.fail !== undefined
      ? `${label(mock.step ?? '')} answers: fails with "${mock.fail}"`
      : `${label(mock.step ?? '')} answers ${compact(mock.result ?? {})}`;
  }
  return compact(step);
}

/** A scenario name as a stored scenario's slug (`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`). */
export function scenarioSlug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 100)
      .replace(/[-.]+$/, '') || 'test-run'
  );
}

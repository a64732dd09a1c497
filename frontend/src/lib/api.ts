/**
 * The HTTP API (ARCHITECTURE §4): JSON in, JSON out, every answer checked with a schema.
 * Writes carry the session's CSRF token (`X-CSRF-Token`), which `POST /api/session`
 * and `GET /api/session` give.
 */
import { z } from 'zod';

import {
  actionSchema,
  activationSchema,
  groupSchema,
  pageOf,
  templateSchema,
  templateSummarySchema,
  userSchema,
  versionSchema,
  apiErrorSchema,
  orchestrationListSchema,
  orchestrationSchema,
  sessionSchema,
  signedOutSchema,
  validationSchema,
  draftSchema,
  bpmnImportSchema,
  type Action,
  type BpmnImport,
  type Draft,
  type Group,
  type Orchestration,
  type Session,
  type TemplateSummary,
  type User,
  type Version,
  metricsSchema,
  runSchema,
  runFilterOptionsSchema,
  runSummarySchema,
  workItemSchema,
  type Metrics,
  type Run,
  type RunStatus,
  type RunSummary,
  generatedListSchema,
  insightsSchema,
  scenarioItemSchema,
  scenarioListSchema,
  scenarioProblemSchema,
  testRunSchema,
  type GeneratedPath,
  type Insights,
  type ScenarioItem,
  type ScenarioProblem,
  type TestRun,
  type TestTarget,
} from './api-schemas';
import { dropPrefetched, prefetchedResponse } from './prefetch';
import { runEventSchema, type RunEvent } from './run-events';
import type { OrchestrationDocument } from './document-schema';
import { trialSchema, type Trial, type TrialSource, type TrialStep } from './test-run';
import * as guide from './work-schemas';
import type {
  Notification,
  RecordDetail,
  RecordType,
  Run as GuideRun,
  SavedRecord,
  WorkItem as WorkGuideItem,
  WorkItemDetail,
} from './work-schemas';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;

/** Told when the server answers 401 (the session ended, timed out or never was), with its error code. */
let unauthenticatedListener: ((code: string) => void) | null = null;

export function onUnauthenticated(listener: ((code: string) => void) | null): void {
  unauthenticatedListener = listener;
}

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** `body` goes as JSON; `raw` as it is, with its own Content-Type (a BPMN file's XML). */
type Options = { body?: unknown; raw?: { data: string; type: string }; headers?: Record<string, string> };

export async function call<S extends z.ZodType>(
  method: string,
  path: string,
  schema: S,
  options: Options = {},
): Promise<{ data: z.infer<S>; response: Response }> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.raw !== undefined) headers['Content-Type'] = options.raw.type;
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (method !== 'GET') dropPrefetched();
  const response =
    (method === 'GET' ? await prefetchedResponse(path) : null) ??
    (await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body:
        options.raw !== undefined
          ? options.raw.data
          : options.body === undefined
            ? undefined
            : JSON.stringify(options.body),
    }));
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) throw failure(method, path, response.status, payload);
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new ApiError(
      response.status,
      'unexpected_response',
      `${method} ${path} answered something the app does not understand`,
      parsed.error.issues,
    );
  }
  return { data: parsed.data, response };
}

/** The error of an answer that is not 2xx; a 401 about the session tells the listener (sign in again). */
function failure(method: string, path: string, status: number, payload: unknown): ApiError {
  const error = apiErrorSchema.safeParse(payload);
  // A wrong password at sign-in is a 401 too, but about the attempt, not about a session.
  if (status === 401 && !(method === 'POST' && path === '/api/session')) {
    unauthenticatedListener?.(error.success ? error.data.error.code : 'unauthenticated');
  }
  if (!error.success) return new ApiError(status, 'http_error', `${method} ${path} answered ${status}`);
  const { code, message, details } = error.data.error;
  return new ApiError(status, code, message, details);
}

export async function signIn(username: string, password: string): Promise<Session> {
  const { data } = await call('POST', '/api/session', sessionSchema, { body: { username, password } });
  setCsrfToken(data.csrf_token);
  return data;
}

/** Ends the session (with the CSRF token, as every write); the cookie no longer opens anything. */
export async function signOut(): Promise<void> {
  try {
    await call('DELETE', '/api/session', signedOutSchema);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error; // already over: nothing to end
  }
  setCsrfToken(null);
}

/** The signed-in person, or null when nobody is. */
export async function currentSession(): Promise<Session | null> {
  try {
    const { data } = await call('GET', '/api/session', sessionSchema);
    setCsrfToken(data.csrf_token);
    return data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function listOrchestrations() {
  return (await call('GET', '/api/orchestrations', orchestrationListSchema)).data;
}

const path = (key: string) => `/api/orchestrations/${encodeURIComponent(key)}`;

export async function getOrchestration(key: string): Promise<Orchestration> {
  return (await call('GET', path(key), orchestrationSchema)).data;
}

/** Saves the draft; `revision` is the one this canvas loaded (409 if someone saved since). */
export async function saveDraft(key: string, document: OrchestrationDocument, revision: number): Promise<Draft> {
  const headers = { 'If-Match': `"${revision}"` };
  return (await call('PUT', `${path(key)}/draft`, draftSchema, { body: document, headers })).data;
}

/** The server's issues with this document, without saving it. */
export async function validateDocument(key: string, document: OrchestrationDocument) {
  return (await call('POST', `${path(key)}/validate`, validationSchema, { body: document })).data;
}

export async function activate(key: string, revision: number) {
  return (await call('POST', `${path(key)}/activate`, activationSchema, { headers: { 'If-Match': `"${revision}"` } }))
    .data;
}

/** Every item of a paged listing, page after page. */
export async function listAll<S extends z.ZodType>(basePath: string, item: S): Promise<z.infer<S>[]> {
  const schema = pageOf(item);
  const items: z.infer<S>[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `${basePath.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: z.infer<typeof schema> = (await call('GET', `${basePath}${query}`, schema)).data;
    items.push(...(page.items as z.infer<S>[]));
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** Creates an orchestration with `document` as its draft (409 when its key is taken). */
export async function createOrchestration(document: OrchestrationDocument): Promise<Draft> {
  return (await call('POST', '/api/orchestrations', draftSchema, { body: document })).data;
}

/**
 * Creates an orchestration from a BPMN 2.0 file: its draft and the report of every element,
 * mapped or not. `key` and `label` are the admin's choice (409 when the key is taken).
 */
export async function importBpmn(xml: string, choice: { key: string; label: string }): Promise<BpmnImport> {
  const query = new URLSearchParams({ key: choice.key, label: choice.label });
  const raw = { data: xml, type: 'application/xml' };
  return (await call('POST', `/api/orchestrations/import/bpmn?${query}`, bpmnImportSchema, { raw })).data;
}

/** The draft (saved) or a version as a BPMN 2.0 file, with the server's message when it cannot be made. */
export async function fetchBpmn(key: string, ref: number | 'draft'): Promise<Blob> {
  const url = `${path(key)}/${ref === 'draft' ? 'draft' : `versions/${ref}`}/bpmn`;
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw failure('GET', url, response.status, await response.json().catch(() => null));
  return response.blob();
}

export async function getVersion(key: string, number: number): Promise<Version> {
  return (await call('GET', `${path(key)}/versions/${number}`, versionSchema)).data;
}

export function listUsers(): Promise<User[]> {
  return listAll('/api/users', userSchema);
}

export function listGroups(): Promise<Group[]> {
  return listAll('/api/groups', groupSchema);
}

export function listActions(): Promise<Action[]> {
  return listAll('/api/actions', actionSchema);
}

export function listTemplates(): Promise<TemplateSummary[]> {
  return listAll('/api/templates', templateSummarySchema);
}

export async function getTemplate(name: string) {
  return (await call('GET', `/api/templates/${encodeURIComponent(name)}`, templateSchema)).data;
}

// ------------------------------------------------------------------ runs (the Monitor)

export type RunFilters = {
  orchestration?: string;
  version?: number;
  status?: RunStatus[];
  stage?: string;
  assignee?: string;
  started_after?: string;
  started_before?: string;
};

/** The query string of GET /api/runs for these filters (empty ones left out). */
export function runQuery(filters: RunFilters, cursor?: string | null, limit = 50): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    params.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

/** One page of runs, newest first. */
export async function listRuns(filters: RunFilters, cursor?: string | null, limit = 50) {
  return (await call('GET', `/api/runs?${runQuery(filters, cursor, limit)}`, pageOf(runSummarySchema))).data;
}

/** The runs list's pick lists: orchestrations with their stages, and the assignees (named). */
export async function getRunFilters() {
  return (await call('GET', '/api/runs/filters', runFilterOptionsSchema)).data;
}

/** Starts a run of the active version of `key` (a 422's `details.inputs` name the inputs that do not fit). */
export async function startRun(key: string, inputs: Record<string, unknown>): Promise<GuideRun> {
  return (await call('POST', '/api/runs', guide.runSchema, { body: { orchestration: key, inputs } })).data;
}

export async function getRun(id: string): Promise<Run> {
  return (await call('GET', `/api/runs/${encodeURIComponent(id)}`, runSchema)).data;
}

/** Every event of a run, oldest first. */
export async function getRunEvents(id: string): Promise<RunEvent[]> {
  const schema = z.looseObject({ items: z.array(runEventSchema), next_after: z.number().nullable() });
  const events: RunEvent[] = [];
  let after: number | null = 0;
  while (after !== null) {
    const page: z.infer<typeof schema> = (
      await call('GET', `/api/runs/${encodeURIComponent(id)}/events?after=${after}&limit=200`, schema)
    ).data;
    events.push(...page.items);
    after = page.next_after;
  }
  return events;
}

export type RunControl = 'cancel' | 'suspend' | 'resume' | 'retry';

export async function controlRun(id: string, control: RunControl): Promise<RunSummary> {
  return (await call('POST', `/api/runs/${encodeURIComponent(id)}/${control}`, runSummarySchema, { body: {} })).data;
}

/** Repairing a run in error (ops, admins): `retry` in the answer says what a retry or skip led to. */
const repairedSchema = runSummarySchema.extend({
  retry: z
    .looseObject({
      result: z.enum(['failed', 'completed', 'running']),
      status: z.string(),
      error: z.looseObject({ message: z.string() }).nullable(),
    })
    .optional(),
});

export async function editStepInputs(id: string, step: string, inputs: Record<string, unknown>): Promise<void> {
  await call('PATCH', `/api/runs/${encodeURIComponent(id)}/steps/${encodeURIComponent(step)}/inputs`, repairedSchema, {
    body: { inputs },
  });
}

export async function editRunVariables(id: string, values: Record<string, unknown>): Promise<void> {
  await call('PATCH', `/api/runs/${encodeURIComponent(id)}/variables`, repairedSchema, { body: { values } });
}

export async function skipStep(
  id: string,
  step: string,
  outcome: string | null,
): Promise<z.infer<typeof repairedSchema>> {
  return (
    await call('POST', `/api/runs/${encodeURIComponent(id)}/steps/${encodeURIComponent(step)}/skip`, repairedSchema, {
      body: { outcome },
    })
  ).data;
}

export async function retryRun(id: string): Promise<z.infer<typeof repairedSchema>> {
  return (await call('POST', `/api/runs/${encodeURIComponent(id)}/retry`, repairedSchema, { body: {} })).data;
}

/** Where the run downloads as a scenario test that replays it (a `*.scenario.yaml` file; ops and admins). */
export function runScenarioUrl(id: string): string {
  return `/api/runs/${encodeURIComponent(id)}/scenario`;
}

export async function reassignWorkItem(id: string, to: { type: 'user' | 'group' | 'queue'; value: string }) {
  return (await call('POST', `/api/work-items/${encodeURIComponent(id)}/reassign`, workItemSchema, { body: { to } }))
    .data;
}

export async function getMetrics(key: string, version: number | null): Promise<Metrics> {
  return (await call('GET', `${path(key)}/metrics${version !== null ? `?version=${version}` : ''}`, metricsSchema))
    .data;
}

// ------------------------------------------------------------------ the Work Guide (My work, records)

/**
 * The signed-in person's open work items (theirs, their groups' and queues'), soonest
 * due first; only those of one run or of the runs on one record when asked.
 */
export function listMyWork(only: { run?: string; record?: string } = {}): Promise<WorkGuideItem[]> {
  const query = Object.entries(only)
    .filter(([, v]) => v)
    .map(([k, v]) => `&${k}=${encodeURIComponent(v)}`)
    .join('');
  return listAll(`/api/work-items?mine=1${query}`, guide.workItemSchema);
}

/**
 * One page of My work (`query`: {@link workQuery}'s server-side filters), soonest due first:
 * `limit` items after `cursor`; the first page (no cursor) also says how many there are in all.
 */
export async function listMyWorkPage(query: string, cursor: string | null, limit: number) {
  const schema = pageOf(guide.workItemSchema).extend({ total: z.number().optional() });
  const paging = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '&total=1';
  return (await call('GET', `/api/work-items?${query}&limit=${limit}${paging}`, schema)).data;
}

export async function getWorkItem(id: string): Promise<WorkItemDetail> {
  return (await call('GET', `/api/work-items/${encodeURIComponent(id)}`, guide.workItemDetailSchema)).data;
}

export async function claimWorkItem(id: string, claim: boolean): Promise<WorkGuideItem> {
  return (
    await call(
      'POST',
      `/api/work-items/${encodeURIComponent(id)}/${claim ? 'claim' : 'release'}`,
      guide.workItemSchema,
      { body: {} },
    )
  ).data;
}

export async function completeWorkItem(
  id: string,
  body: { outcome: string; values: Record<string, unknown>; comment: string | null },
): Promise<WorkGuideItem> {
  return (await call('POST', `/api/work-items/${encodeURIComponent(id)}/complete`, guide.workItemSchema, { body }))
    .data;
}

/** A run with its stages and their visits, for the Work Guide's progress. */
export async function getRunProgress(id: string): Promise<GuideRun> {
  return (await call('GET', `/api/runs/${encodeURIComponent(id)}`, guide.runSchema)).data;
}

export function listRecordTypes(): Promise<RecordType[]> {
  return listAll('/api/record-types', guide.recordTypeSchema);
}

const recordsPath = (object: string) => `/api/records/${encodeURIComponent(object)}`;

export async function listRecords(object: string, cursor?: string | null) {
  const query = `?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  return (await call('GET', `${recordsPath(object)}${query}`, pageOf(guide.recordSchema))).data;
}

export async function getRecord(object: string, id: string): Promise<RecordDetail> {
  return (await call('GET', `${recordsPath(object)}/${encodeURIComponent(id)}`, guide.recordDetailSchema)).data;
}

/** Creates a record; `started_runs` are the record-triggered runs it started. */
export async function createRecord(object: string, fields: Record<string, unknown>): Promise<SavedRecord> {
  return (await call('POST', recordsPath(object), guide.savedRecordSchema, { body: { fields } })).data;
}

export async function updateRecord(object: string, id: string, fields: Record<string, unknown>): Promise<SavedRecord> {
  return (
    await call('PATCH', `${recordsPath(object)}/${encodeURIComponent(id)}`, guide.savedRecordSchema, {
      body: { fields },
    })
  ).data;
}

/** The newest notifications (assignments, escalations, reassignments) for the signed-in person. */
export async function listNotifications(): Promise<Notification[]> {
  return (await call('GET', '/api/notifications?limit=30', pageOf(guide.notificationSchema))).data.items;
}

/** Marks every notification the signed-in person has now as read; the moment it did. */
export async function markNotificationsRead(): Promise<string | null> {
  return (await call('POST', '/api/notifications/read', guide.notificationsReadSchema)).data.read_at;
}

// ------------------------------------------------------------------ scenario tests (the builder's Tests panel)

const scenariosPath = (key: string) => `${path(key)}/scenarios`;

/** The orchestration's stored scenarios (runtime/testing/SCENARIOS.md, "In the builder"). */
export async function listScenarios(key: string): Promise<ScenarioItem[]> {
  return (await call('GET', scenariosPath(key), scenarioListSchema)).data.items;
}

/** Stores a scenario file under `name`; a 422's `details.problems` say what is wrong, by line. */
export async function saveScenario(key: string, name: string, source: string): Promise<ScenarioItem> {
  return (
    await call('PUT', `${scenariosPath(key)}/${encodeURIComponent(name)}`, scenarioItemSchema, { body: { source } })
  ).data;
}

export async function deleteScenario(key: string, name: string): Promise<void> {
  await call('DELETE', `${scenariosPath(key)}/${encodeURIComponent(name)}`, z.unknown());
}

/** Runs the stored scenarios (all, or those named) against the draft, the active version or a version. */
export async function runScenarios(key: string, target: TestTarget, names?: string[]): Promise<TestRun> {
  const body = names === undefined ? { target } : { target, names };
  return (await call('POST', `${path(key)}/tests`, testRunSchema, { body })).data;
}

/**
 * Replays `steps` on a fresh in-memory engine running the draft (or a version) and answers
 * with the state after the last one; nothing is stored. A step it cannot apply is a 422
 * (see `refusalOf`).
 */
export async function testRun(
  key: string,
  body: { source: TrialSource; steps: TrialStep[]; name?: string },
): Promise<Trial> {
  return (await call('POST', `${path(key)}/test-run`, trialSchema, { body })).data;
}

/** Path tests the server proposes (one scenario per path from start to an end); nothing is saved. */
export async function generatePathTests(key: string, target: TestTarget, maxVisits = 2): Promise<GeneratedPath[]> {
  const body = { target, max_visits: maxVisits, save: false };
  return (await call('POST', `${scenariosPath(key)}/generate`, generatedListSchema, { body })).data.items;
}

/** Production figures of every version added up per node and edge, all time (the monitor's, once). */
export async function getInsights(key: string): Promise<Insights> {
  return (await call('GET', `${path(key)}/insights`, insightsSchema)).data;
}

/** The problems (with lines) of a scenario file the server refused, or null for any other failure. */
export function scenarioProblems(error: unknown): ScenarioProblem[] | null {
  if (!(error instanceof ApiError) || error.status !== 422) return null;
  const details = z.looseObject({ problems: z.array(scenarioProblemSchema) }).safeParse(error.details);
  return details.success ? details.data.problems : [{ line: null, path: '', message: error.message }];
}

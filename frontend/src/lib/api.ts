/**
 * The HTTP API (DESIGN §4): JSON in, JSON out, every answer checked with a schema.
 * Writes carry the session's CSRF token (`X-CSRF-Token`), which `POST /api/session`
 * and `GET /api/session` give.
 */
import type { z } from 'zod';

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
  validationSchema,
  draftSchema,
  type Action,
  type Draft,
  type Group,
  type Orchestration,
  type Session,
  type TemplateSummary,
  type User,
  type Version,
} from './api-schemas';
import type { OrchestrationDocument } from './document-schema';

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

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type Options = { body?: unknown; headers?: Record<string, string> };

async function call<S extends z.ZodType>(method: string, path: string, schema: S, options: Options = {}): Promise<{ data: z.infer<S>; response: Response }> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = apiErrorSchema.safeParse(payload);
    if (error.success) {
      const { code, message, details } = error.data.error;
      throw new ApiError(response.status, code, message, details);
    }
    throw new ApiError(response.status, 'http_error', `${method} ${path} answered ${response.status}`);
  }
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new ApiError(response.status, 'unexpected_response', `${method} ${path} answered something the app does not understand`, parsed.error.issues);
  }
  return { data: parsed.data, response };
}

export async function signIn(username: string, password: string): Promise<Session> {
  const { data } = await call('POST', '/api/session', sessionSchema, { body: { username, password } });
  setCsrfToken(data.csrf_token);
  return data;
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
  return (await call('POST', `${path(key)}/activate`, activationSchema, { headers: { 'If-Match': `"${revision}"` } })).data;
}

/** Every item of a paged listing, page after page. */
async function listAll<S extends z.ZodType>(basePath: string, item: S): Promise<z.infer<S>[]> {
  const schema = pageOf(item);
  const items: z.infer<S>[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
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

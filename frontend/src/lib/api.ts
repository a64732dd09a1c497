/**
 * The HTTP API (DESIGN §4): JSON in, JSON out, every answer checked with a schema.
 * Writes carry the session's CSRF token (`X-CSRF-Token`), which `POST /api/session`
 * and `GET /api/session` give.
 */
import type { z } from 'zod';

import {
  activationSchema,
  apiErrorSchema,
  orchestrationListSchema,
  orchestrationSchema,
  sessionSchema,
  validationSchema,
  draftSchema,
  type Draft,
  type Orchestration,
  type Session,
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

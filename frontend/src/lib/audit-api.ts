/** The audit log (`GET /api/audit`, admins only): entries checked, filters as the API takes them. */
import { z } from 'zod';

import { call } from './api';
import { pageOf } from './api-schemas';

export const auditEntrySchema = z.looseObject({
  id: z.string(),
  at: z.string(),
  actor: z.string().nullable(),
  actor_kind: z.enum(['user', 'token', 'anonymous']),
  actor_name: z.string().nullable(),
  address: z.string().nullable(),
  action: z.string(),
  object_type: z.string(),
  object_id: z.string().nullable(),
  object_label: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

const auditPageSchema = pageOf(auditEntrySchema);
export type AuditPage = z.infer<typeof auditPageSchema>;

const catalogueSchema = z.looseObject({ actions: z.array(z.string()), object_types: z.array(z.string()) });
export type AuditCatalogue = z.infer<typeof catalogueSchema>;

/** The filters of the page, as the query string of the API (and of the page's own URL). */
export const AUDIT_FILTERS = ['actor', 'action', 'object_type', 'object', 'since', 'until'] as const;
export type AuditFilters = Partial<Record<(typeof AUDIT_FILTERS)[number], string>>;

export function auditQuery(filters: AuditFilters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const name of AUDIT_FILTERS) {
    const value = filters[name];
    if (value) params.set(name, value);
  }
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export async function listAudit(filters: AuditFilters, cursor?: string | null): Promise<AuditPage> {
  const extra: Record<string, string> = { limit: '50' };
  if (cursor) extra.cursor = cursor;
  return (await call('GET', `/api/audit${auditQuery(filters, extra)}`, auditPageSchema)).data;
}

export async function auditCatalogue(): Promise<AuditCatalogue> {
  return (await call('GET', '/api/audit/actions', catalogueSchema)).data;
}

/** Where the export of the entries these filters match downloads from. */
export function auditExportUrl(format: 'csv' | 'jsonl', filters: AuditFilters): string {
  return `/api/audit/export.${format}${auditQuery(filters)}`;
}

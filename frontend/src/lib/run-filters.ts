/** Run list filters ⇄ the URL's query string (a deep link keeps them). */
import { RUN_STATUSES, type RunStatus } from './api-schemas';
import type { RunFilters } from './api';

export const FILTER_PARAMS = ['orchestration', 'version', 'status', 'stage', 'assignee', 'from', 'to'] as const;

/** `from`/`to` are dates (YYYY-MM-DD) in the URL; the API takes instants: from the start of `from` to the end of `to`. */
export function filtersFromParams(params: URLSearchParams, fixedOrchestration?: string): RunFilters {
  const filters: RunFilters = {};
  const orchestration = fixedOrchestration ?? params.get('orchestration') ?? '';
  if (orchestration) filters.orchestration = orchestration;
  const version = Number(params.get('version'));
  if (Number.isInteger(version) && version > 0) filters.version = version;
  const statuses = (params.get('status') ?? '').split(',').filter((s): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s));
  if (statuses.length) filters.status = statuses;
  const stage = params.get('stage');
  if (stage) filters.stage = stage;
  const assignee = params.get('assignee');
  if (assignee) filters.assignee = assignee;
  const from = params.get('from');
  if (from && /^\d{4}-\d{2}-\d{2}$/.test(from)) filters.started_after = `${from}T00:00:00Z`;
  const to = params.get('to');
  if (to && /^\d{4}-\d{2}-\d{2}$/.test(to)) {
    const next = new Date(`${to}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    filters.started_before = next.toISOString().replace('.000Z', 'Z');
  }
  return filters;
}

/** The URL's parameters with one filter changed (an empty value removes it). */
export function withFilter(params: URLSearchParams, name: (typeof FILTER_PARAMS)[number], value: string): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value) next.set(name, value);
  else next.delete(name);
  return next;
}

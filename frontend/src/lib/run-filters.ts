/** Run list filters ⇄ the URL's query string (a deep link keeps them). */
import { RUN_STATUSES, type RunFilterOptions, type RunStatus } from './api-schemas';
import type { RunFilters } from './api';

export const FILTER_PARAMS = ['orchestration', 'version', 'status', 'stage', 'assignee', 'from', 'to'] as const;

/** `from`/`to` are dates (YYYY-MM-DD) in the URL; the API takes instants: from the start of `from` to the end of `to`. */
export function filtersFromParams(params: URLSearchParams, fixedOrchestration?: string): RunFilters {
  const filters: RunFilters = {};
  const orchestration = fixedOrchestration ?? params.get('orchestration') ?? '';
  if (orchestration) filters.orchestration = orchestration;
  const version = Number(params.get('version'));
  if (Number.isInteger(version) && version > 0) filters.version = version;
  const statuses = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s));
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
export function withFilter(
  params: URLSearchParams,
  name: (typeof FILTER_PARAMS)[number],
  value: string,
): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value) next.set(name, value);
  else next.delete(name);
  return next;
}

type Choice = { value: string; label: string };

/**
 * The current-stage pick list: the stages of the chosen orchestration, or of every one (each
 * labelled with its orchestration's, as two may share a stage id); a stage in the URL that
 * no orchestration offers any more stays pickable under its id, so the select shows it.
 */
export function stageChoices(
  options: RunFilterOptions | null,
  orchestration: string | undefined,
  current: string | undefined,
): Choice[] {
  const from = (options?.orchestrations ?? []).filter((o) => !orchestration || o.key === orchestration);
  const seen = new Map<string, string>();
  for (const o of from) {
    for (const s of o.stages) {
      const label = orchestration ? s.label : `${s.label} (${o.label})`;
      seen.set(s.id, seen.has(s.id) ? `${seen.get(s.id)}; ${label}` : label);
    }
  }
  if (current && !seen.has(current)) seen.set(current, current);
  return [...seen].map(([value, label]) => ({ value, label }));
}

/** The assignee pick list: people first, then groups and queues, by name; one in the URL not offered stays pickable. */
export function assigneeChoices(options: RunFilterOptions | null, current: string | undefined): Choice[] {
  const choices = (options?.assignees ?? []).map((a) => ({
    value: a.value,
    label: a.type === 'user' ? a.name : `${a.name} (${a.type})`,
  }));
  if (current && !choices.some((c) => c.value === current)) choices.push({ value: current, label: current });
  return choices;
}

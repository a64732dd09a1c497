/**
 * Runs, newest first, filtered by orchestration, version, status, current stage,
 * assignee and start date (all kept in the URL), with who holds the ball; ops and admins
 * cancel, suspend or resume several at once after a confirmation (members are not offered it).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';

import { useOnChange } from '../hooks/use-on-change';
import { ApiError, controlRun, getRunFilters, listRuns, type RunControl, type RunFilters } from '../lib/api';
import { RUN_STATUSES, type RunFilterOptions, type RunSummary } from '../lib/api-schemas';
import type { NameOf } from '../lib/run-events';
import { recordPath } from '../lib/notification-link';
import { may } from '../lib/permissions';
import { assigneeChoices, filtersFromParams, stageChoices, withFilter } from '../lib/run-filters';
import { useSessionStore } from '../store/session-store';
import { ConfirmDialog } from './confirm-dialog';

export const STATUS_LABELS: Record<string, string> = {
  in_progress: 'In progress',
  suspended: 'Suspended',
  error: 'In error',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

const BULK: { control: RunControl; label: string; allowed: readonly string[] }[] = [
  { control: 'suspend', label: 'Suspend', allowed: ['in_progress'] },
  { control: 'resume', label: 'Resume', allowed: ['suspended'] },
  { control: 'cancel', label: 'Cancel', allowed: ['in_progress', 'suspended', 'error'] },
];

/** Who holds the ball, by name (the API's names, else `nameOf` the directory's; ids only if neither knows). */
export function ballText(run: RunSummary, nameOf: NameOf = (_type, value) => value): string {
  const ball = run.ball ?? [];
  if (ball.length === 0) return run.status === 'in_progress' ? 'the system' : '—';
  return ball
    .map((b) => {
      if (b.claimed_by) return `${b.claimed_by_name ?? nameOf('user', b.claimed_by)} (claimed)`;
      if (b.type === 'system') return `the system (${b.name ?? b.value})`; // a background or wait step under way
      return `${b.type === 'user' ? '' : `${b.type} `}${b.name ?? nameOf(b.type, b.value)}`;
    })
    .join(', ');
}

type Props = {
  /** The monitor's orchestration: its filter is fixed. */
  orchestration?: string;
  /** Stage id -> label, for the stage filter (else the stages the API offers). */
  stageLabels?: Record<string, string>;
  /** Node id -> label, for the current stage column (else the API's `current_node_label`). */
  nodeLabels?: Record<string, string>;
  /** Changes when the runs should be read again (the monitor's live figures moved). */
  refresh?: number;
  /** Its own "Runs" heading (false where the page's heading says it already). */
  titled?: boolean;
};

export function RunsList({
  orchestration,
  stageLabels = {},
  nodeLabels = stageLabels,
  refresh = 0,
  titled = true,
}: Props) {
  const mayControl = may(
    useSessionStore((s) => s.user?.role),
    'controlRuns',
  );
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromParams(params, orchestration), [params, orchestration]);
  const filterKey = JSON.stringify(filters);
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [asking, setAsking] = useState<(typeof BULK)[number] | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const [options, setOptions] = useState<RunFilterOptions | null>(null);

  useEffect(() => {
    // Once per page: the monitor's live `refresh` would read them again at every figure.
    getRunFilters().then(setOptions, () => setOptions({ orchestrations: [], assignees: [] }));
  }, []);

  // Each read starts without the last one's error.
  useOnChange(`${filterKey}\u0000${reloads}\u0000${refresh}`, () => setError(null));

  useEffect(() => {
    let cancelled = false;
    listRuns(JSON.parse(filterKey) as RunFilters)
      .then((page) => {
        if (cancelled) return;
        setRuns(page.items);
        setCursor(page.next_cursor);
        setSelected((s) => new Set([...s].filter((id) => page.items.some((r) => r.id === id))));
      })
      .catch(
        (failure: unknown) => !cancelled && setError(failure instanceof Error ? failure.message : String(failure)),
      );
    return () => {
      cancelled = true;
    };
  }, [filterKey, reloads, refresh]);

  const more = async () => {
    if (!cursor) return;
    const page = await listRuns(filters, cursor);
    setRuns((r) => [...(r ?? []), ...page.items]);
    setCursor(page.next_cursor);
  };

  const setFilter = (name: Parameters<typeof withFilter>[1], value: string) =>
    setParams(withFilter(params, name, value), { replace: true });
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const chosen = (runs ?? []).filter((r) => selected.has(r.id));
  const apply = useCallback(
    async (bulk: (typeof BULK)[number]) => {
      setAsking(null);
      const targets = (runs ?? []).filter((r) => selected.has(r.id) && bulk.allowed.includes(r.status));
      const results = await Promise.allSettled(targets.map((r) => controlRun(r.id, bulk.control)));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      const skipped = selected.size - targets.length;
      setOutcome(
        `${bulk.label}: ${targets.length - failed.length} of ${selected.size} run(s) done` +
          (skipped
            ? `, ${skipped} skipped (not ${bulk.allowed.map((s) => STATUS_LABELS[s]?.toLowerCase()).join(' or ')})`
            : '') +
          (failed.length
            ? `, ${failed.length} refused: ${failed.map((f) => (f.reason instanceof ApiError ? f.reason.message : String(f.reason))).join('; ')}`
            : '') +
          '.',
      );
      setSelected(new Set());
      setReloads((n) => n + 1);
    },
    [runs, selected],
  );

  const statuses = new Set<string>(filters.status ?? []);
  const toggleStatus = (status: string) => {
    const next = new Set(statuses);
    if (next.has(status)) next.delete(status);
    else next.add(status);
    setFilter('status', [...next].join(','));
  };

  return (
    <section
      className="runs"
      aria-labelledby={titled ? 'runs-title' : undefined}
      aria-label={titled ? undefined : 'Runs'}
    >
      {titled ? <h2 id="runs-title">Runs</h2> : null}
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter runs">
        {orchestration ? null : (
          <label>
            Orchestration
            <select value={filters.orchestration ?? ''} onChange={(e) => setFilter('orchestration', e.target.value)}>
              <option value="">All</option>
              {(options?.orchestrations ?? []).map((o) => (
                <option key={o.key} value={o.key}>
                  {o.label}
                </option>
              ))}
              {filters.orchestration &&
              options &&
              !options.orchestrations.some((o) => o.key === filters.orchestration) ? (
                <option value={filters.orchestration}>{filters.orchestration}</option>
              ) : null}
            </select>
          </label>
        )}
        {orchestration ? null : (
          <label>
            Version
            <input
              type="number"
              min={1}
              value={params.get('version') ?? ''}
              onChange={(e) => setFilter('version', e.target.value)}
            />
          </label>
        )}
        <fieldset className="filters__statuses">
          <legend>Status</legend>
          {RUN_STATUSES.map((s) => (
            <label key={s}>
              <input type="checkbox" checked={statuses.has(s)} onChange={() => toggleStatus(s)} /> {STATUS_LABELS[s]}
            </label>
          ))}
        </fieldset>
        <label>
          Current stage
          <select value={filters.stage ?? ''} onChange={(e) => setFilter('stage', e.target.value)}>
            <option value="">Any</option>
            {(Object.keys(stageLabels).length
              ? Object.entries(stageLabels).map(([value, label]) => ({ value, label }))
              : stageChoices(options, filters.orchestration, filters.stage)
            ).map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Assignee
          <select value={filters.assignee ?? ''} onChange={(e) => setFilter('assignee', e.target.value)}>
            <option value="">Anyone</option>
            {assigneeChoices(options, filters.assignee).map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Started from
          <input type="date" value={params.get('from') ?? ''} onChange={(e) => setFilter('from', e.target.value)} />
        </label>
        <label>
          to
          <input type="date" value={params.get('to') ?? ''} onChange={(e) => setFilter('to', e.target.value)} />
        </label>
      </form>

      {mayControl ? (
        <div className="runs__actions" role="toolbar" aria-label="Selected runs">
          <span>{selected.size} selected</span>
          {BULK.map((b) => (
            <button
              key={b.control}
              type="button"
              disabled={!chosen.some((r) => b.allowed.includes(r.status))}
              onClick={() => setAsking(b)}
            >
              {b.label} selected
            </button>
          ))}
        </div>
      ) : null}
      {outcome ? <p role="status">{outcome}</p> : null}
      {error ? <p role="alert">{error}</p> : null}
      {runs === null && !error ? <p aria-busy="true">Loading runs…</p> : null}
      {runs?.length === 0 ? <p>No runs match.</p> : null}
      {runs && runs.length > 0 ? (
        <table className="runs__table">
          <thead>
            <tr>
              {mayControl ? (
                <th scope="col">
                  <span className="visually-hidden">Select</span>
                </th>
              ) : null}
              <th scope="col">Run</th>
              {orchestration ? null : <th scope="col">Orchestration</th>}
              <th scope="col">Record</th>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Current stage</th>
              <th scope="col">Ball with</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} data-testid={`run-${run.id}`}>
                {mayControl ? (
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select run ${run.id.slice(0, 8)}`}
                      checked={selected.has(run.id)}
                      onChange={() => toggle(run.id)}
                    />
                  </td>
                ) : null}
                <td>
                  <Link to={`/runs/${run.id}`}>{run.id.slice(0, 8)}</Link>
                </td>
                {orchestration ? null : <td>{run.label ?? run.orchestration}</td>}
                <td>
                  {run.record ? (
                    <Link to={recordPath(run.record.object, run.record.id)}>
                      {run.record_name ?? run.record.id.slice(0, 8)}
                    </Link>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{run.version}</td>
                <td>
                  <span className={`status status--${run.status}`}>{STATUS_LABELS[run.status]}</span>
                </td>
                <td>
                  {run.current_node
                    ? (nodeLabels[run.current_node] ?? run.current_node_label ?? run.current_node)
                    : '—'}
                </td>
                <td>{ballText(run)}</td>
                <td>
                  {new Date(run.started_at).toLocaleString()}
                  {run.started_by ? ` · ${run.started_by_name ?? run.started_by}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => void more()}>
          More runs
        </button>
      ) : null}
      {asking ? (
        <ConfirmDialog
          title={`${asking.label} ${chosen.length} run(s)?`}
          message={`${chosen.filter((r) => asking.allowed.includes(r.status)).length} of the selected runs can be ${asking.control === 'cancel' ? 'cancelled' : asking.control === 'suspend' ? 'suspended' : 'resumed'}; the others are left as they are.${asking.control === 'cancel' ? ' Cancelling cannot be undone.' : ''}`}
          confirm={`${asking.label} runs`}
          onConfirm={() => void apply(asking)}
          onCancel={() => setAsking(null)}
        />
      ) : null}
    </section>
  );
}

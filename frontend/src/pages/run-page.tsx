import '../monitor.css';
import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';

import { Breadcrumbs } from '../components/breadcrumbs';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ReadOnlyCanvas } from '../components/read-only-canvas';
import { RunRepair } from '../components/run-repair';
import { ballText, STATUS_LABELS } from '../components/runs-list';
import { useOrchestrationLabel } from '../hooks/use-orchestration-label';
import { useGroups, useNameOf, usePeople } from '../hooks/use-people';
import { useRunStream } from '../hooks/use-run-stream';
import { nodeLabels, useVersionFlow } from '../hooks/use-version-flow';
import { ApiError, controlRun, getRun, retryRun, reassignWorkItem, runScenarioUrl, type RunControl } from '../lib/api';
import { itemPath } from '../lib/notification-link';
import type { Run, WorkItem } from '../lib/api-schemas';
import { formatSeconds } from '../lib/heat';
import { may } from '../lib/permissions';
import { buildTimeline, outcomeLabels, runPath, type TimelineEntry } from '../lib/run-events';
import { retryNotice } from '../lib/run-repair';
import { useOverlayStore } from '../store/overlay-store';
import { useRunPathStore } from '../store/run-path-store';
import { useSessionStore } from '../store/session-store';

const CONTROLS: { control: RunControl; label: string; allowed: readonly string[]; ask: string }[] = [
  {
    control: 'suspend',
    label: 'Suspend',
    allowed: ['in_progress'],
    ask: 'Suspend this run? Nothing moves until it is resumed.',
  },
  { control: 'resume', label: 'Resume', allowed: ['suspended'], ask: 'Resume this run?' },
  { control: 'retry', label: 'Retry', allowed: ['error'], ask: 'Retry this run? Failed steps start again.' },
  {
    control: 'cancel',
    label: 'Cancel run',
    allowed: ['in_progress', 'suspended', 'error'],
    ask: 'Cancel this run? This cannot be undone.',
  },
];

/** A background step's action inputs as its version's document writes them (name → expression). */
function stepInputs(flow: ReturnType<typeof useVersionFlow>['flow'], step: string): Record<string, string> {
  const data = flow?.nodes.find((n) => n.id === step)?.data as { inputs?: Record<string, string> } | undefined;
  return data?.inputs ?? {};
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

function Timeline({
  entries,
  labels,
  outcomes,
}: {
  entries: TimelineEntry[];
  labels: Record<string, string>;
  outcomes: Record<string, Record<string, string>>;
}) {
  if (entries.length === 0) return <p>Nothing has happened yet.</p>;
  return (
    <ol className="timeline" aria-label="Timeline">
      {entries.map((e) => (
        <li
          key={e.key}
          className={`timeline__entry timeline__entry--${e.kind} timeline__entry--${e.status}`}
          data-testid={`timeline-${e.node}`}
        >
          <span className="timeline__what">
            {e.kind === 'stage' ? 'Stage' : 'Step'} <strong>{labels[e.node] ?? e.node}</strong>
            {e.visit > 1 ? ` (visit ${e.visit})` : ''}
          </span>
          <span className={`status status--${e.status}`}>{e.status.replace('_', ' ')}</span>
          <span className="timeline__times">
            {e.waitingSince
              ? `waited from ${when(e.waitingSince)}${e.waitedSeconds !== null ? ` (${formatSeconds(e.waitedSeconds)})` : ''} · `
              : ''}
            {e.startedAt ? `started ${when(e.startedAt)}` : ''}
            {e.endedAt ? ` · ended ${when(e.endedAt)}` : ''}
            {e.seconds !== null ? ` · took ${formatSeconds(e.seconds)}` : ''}
          </span>
          {e.by || e.assignee || e.outcome ? (
            <span className="timeline__who">
              {e.by ? `by ${e.by}` : e.assignee ? `with ${e.assignee}` : ''}
              {e.outcome ? ` · outcome ${outcomes[e.node]?.[e.outcome] ?? e.outcome}` : ''}
            </span>
          ) : null}
          {e.values ? (
            <dl className="values timeline__values" aria-label="Values entered">
              {Object.entries(e.values).map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                </div>
              ))}
            </dl>
          ) : null}
          {e.repairs.map((r, i) => (
            <span key={i} className="timeline__repair">
              {r}
            </span>
          ))}
          {e.error ? (
            <span className="timeline__error" role="alert">
              {e.error}
            </span>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

type AssigneeKind = 'user' | 'group' | 'queue';
type Choice = { value: string; label: string };

/** Who work can go to, by name: people by display name, groups and queues by label. */
function useChoices(): Record<AssigneeKind, Choice[]> {
  const people = usePeople();
  const groups = useGroups();
  return useMemo(() => {
    const byLabel = (a: Choice, b: Choice) => a.label.localeCompare(b.label);
    const ofKind = (kind: string) =>
      groups
        .filter((g) => (g.kind ?? 'group') === kind)
        .map((g) => ({ value: g.name, label: g.label || g.name }))
        .sort(byLabel);
    return {
      user: people.map((p) => ({ value: p.username, label: p.display_name || p.username })).sort(byLabel),
      group: ofKind('group'),
      queue: ofKind('queue'),
    };
  }, [people, groups]);
}

/** Reassigning a work item: a kind, then a name picked from a list (never an id to type). */
function Reassign({
  item,
  choices,
  onDone,
}: {
  item: WorkItem;
  choices: Record<AssigneeKind, Choice[]>;
  onDone: (message: string) => void;
}) {
  const [type, setType] = useState<AssigneeKind>('user');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await reassignWorkItem(item.id, { type, value });
      const name = choices[type].find((c) => c.value === value)?.label ?? value;
      onDone(`${item.label ?? item.step_id} reassigned to ${type === 'user' ? name : `${type} ${name}`}.`);
      setValue('');
    } catch (failure) {
      onDone(failure instanceof ApiError ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="reassign" onSubmit={(e) => void submit(e)} aria-label={`Reassign ${item.label ?? item.step_id}`}>
      <label>
        Reassign to
        <select
          value={type}
          onChange={(e) => {
            setType(e.target.value as AssigneeKind);
            setValue('');
          }}
        >
          <option value="user">a person</option>
          <option value="group">a group</option>
          <option value="queue">a queue</option>
        </select>
      </label>
      <label>
        Name
        <select value={value} onChange={(e) => setValue(e.target.value)} required>
          <option value="">— choose —</option>
          {choices[type].map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={busy || !value}>
        Reassign
      </button>
    </form>
  );
}

function Values({ title, values }: { title: string; values: Record<string, unknown> }) {
  const entries = Object.entries(values);
  return (
    <section>
      <h3>{title}</h3>
      {entries.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <dl className="values">
          {entries.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

/** /runs/<id>: one run on its version's canvas with its path, a live timeline, its data and the ops controls. */
export function RunPage() {
  const { runId = '' } = useParams();
  const role = useSessionStore((s) => s.user?.role);
  const staff = may(role, 'controlRuns');
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [asking, setAsking] = useState<(typeof CONTROLS)[number] | null>(null);
  const { events, live } = useRunStream(runId);
  const { flow } = useVersionFlow(run?.orchestration ?? null, run?.version ?? null);
  const choices = useChoices();
  const nameOf = useNameOf();
  const orchestrationLabel = useOrchestrationLabel(run?.orchestration ?? null);

  const load = useCallback(() => {
    getRun(runId).then(
      (r) => (setRun(r), setError(null)),
      (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)),
    );
  }, [runId]);
  useEffect(load, [load]);
  // The run's state follows its events.
  const lastSeq = events.length ? events[events.length - 1]!.seq : 0;
  useEffect(() => {
    if (lastSeq) load();
  }, [lastSeq, load]);

  const path = useMemo(() => runPath(events), [events]);
  useEffect(() => {
    useOverlayStore.getState().clear();
    useRunPathStore.getState().setPath(path);
  }, [path]);
  useEffect(() => () => useRunPathStore.getState().setPath(null), []);
  const timeline = useMemo(() => buildTimeline(events, flow?.stageOf ?? {}, nameOf), [events, flow, nameOf]);
  const labels = useMemo(() => nodeLabels(flow), [flow]);
  const outcomes = useMemo(() => outcomeLabels(flow?.nodes ?? []), [flow]);

  const control = async (c: (typeof CONTROLS)[number]) => {
    setAsking(null);
    try {
      if (c.control === 'retry') setNotice(retryNotice(c.label, (await retryRun(runId)).retry));
      else {
        await controlRun(runId, c.control);
        setNotice(`${c.label}: done.`);
      }
    } catch (failure) {
      setNotice(failure instanceof ApiError ? failure.message : String(failure));
    }
    load();
  };

  if (error) {
    return (
      <main className="page-message">
        <h1>Run {runId.slice(0, 8)} cannot be shown</h1>
        <p role="alert">{error}</p>
        <p>
          <Link to="/runs">Back to the runs</Link>
        </p>
      </main>
    );
  }
  if (!run)
    return (
      <main className="page-message" aria-busy="true">
        Loading run…
      </main>
    );
  const failing = run.error?.node ? run.steps.find((s) => s.id === run.error?.node) : undefined;
  return (
    <main className="run-detail">
      <Breadcrumbs
        trail={[
          { label: may(role, 'controlRuns') ? 'Runs' : 'My runs', to: '/runs' },
          {
            label: orchestrationLabel ?? run.orchestration,
            to: `/runs?orchestration=${encodeURIComponent(run.orchestration)}`,
          },
          // A run is often labelled as its orchestration: then its short id tells it apart.
          {
            label:
              run.label && run.label !== (orchestrationLabel ?? run.orchestration)
                ? run.label
                : `Run ${run.id.slice(0, 8)}`,
          },
        ]}
      />
      <header className="run-detail__header">
        <h1>
          Run {run.id.slice(0, 8)} · {run.label}
        </h1>
        <span className={`status status--${run.status}`} data-testid="run-status">
          {STATUS_LABELS[run.status]}
        </span>
        <span className="muted">
          version {run.version} · started {when(run.started_at)}
          {run.started_by ? ` by ${run.started_by_name ?? nameOf('user', run.started_by)}` : ''}
          {run.ended_at ? ` · ended ${when(run.ended_at)}` : ''} · {live ? 'live' : 'not live'}
        </span>
        {may(role, 'monitor') ? (
          <Link to={`/monitor/${encodeURIComponent(run.orchestration)}`}>
            Monitor {orchestrationLabel ?? run.orchestration}
          </Link>
        ) : null}
        {staff ? (
          <div className="run-detail__controls" role="toolbar" aria-label="Run controls">
            {CONTROLS.filter((c) => c.allowed.includes(run.status)).map((c) => (
              <button key={c.control} type="button" onClick={() => setAsking(c)}>
                {c.label}
              </button>
            ))}
            {/* The server names the file (<orchestration>-<run>.scenario.yaml). */}
            <a
              href={runScenarioUrl(run.id)}
              download
              title="A scenario file that replays this run: same people, values, events and clock"
            >
              Download as test
            </a>
          </div>
        ) : null}
      </header>
      {notice ? (
        <p role="status" data-testid="run-notice">
          {notice}
        </p>
      ) : null}
      {run.error ? (
        <section className="run-error" role="alert" data-testid="run-error">
          <h2>This run is in error</h2>
          <p>{run.error.message}</p>
          {run.error.node ? (
            <p>
              Failing step:{' '}
              <strong data-testid="failing-step">{failing?.label ?? labels[run.error.node] ?? run.error.node}</strong>
              {failing
                ? ` (${failing.type}, stage ${labels[failing.stage] ?? failing.stage}, ${failing.attempts ?? 0} attempt(s))`
                : ''}
              {run.error.field ? ` · field ${run.error.field}` : ''}
            </p>
          ) : null}
        </section>
      ) : null}
      {staff && run.status === 'error' && failing && failing.status === 'error' ? (
        <RunRepair
          runId={run.id}
          step={failing.id}
          stepLabel={failing.label ?? labels[failing.id] ?? failing.id}
          inputs={failing.type === 'background' ? stepInputs(flow, failing.id) : null}
          overrides={(failing.input_overrides as Record<string, unknown> | null | undefined) ?? {}}
          vars={run.vars}
          onDone={(message) => {
            setNotice(message);
            load();
          }}
        />
      ) : null}
      <div className="run-detail__body">
        <div className="run-detail__canvas">
          {flow ? (
            <ReactFlowProvider>
              <ReadOnlyCanvas nodes={flow.nodes} edges={flow.edges} />
            </ReactFlowProvider>
          ) : (
            <p aria-busy="true">Loading the canvas…</p>
          )}
        </div>
        <aside className="run-detail__side">
          <section>
            <h2>Now</h2>
            <p>
              {run.current_stage || !run.current_node ? 'Current stage' : 'At'}:{' '}
              <strong data-testid="current-stage">
                {run.current_node ? (labels[run.current_node] ?? run.current_node) : '—'}
              </strong>{' '}
              · ball with {ballText(run, nameOf)}
            </p>
          </section>
          <section aria-labelledby="work-title">
            <h2 id="work-title">Open work items</h2>
            {run.work_items.length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <ul className="work-items">
                {run.work_items.map((item) => (
                  <li key={item.id}>
                    <Link to={itemPath(item.id)}>
                      <strong>{item.label ?? item.step_id}</strong>
                    </Link>{' '}
                    · with {item.assignee.type === 'user' ? '' : `${item.assignee.type} `}
                    {item.assignee_name ?? nameOf(item.assignee.type, item.assignee.value)}
                    {item.claimed_by ? ` · claimed by ${item.claimed_by_name ?? nameOf('user', item.claimed_by)}` : ''}
                    {item.due_at ? ` · due ${when(item.due_at)}` : ''}
                    {item.overdue ? <strong className="overdue"> · overdue</strong> : null}
                    {may(role, 'reassign') ? (
                      <Reassign
                        item={item}
                        choices={choices}
                        onDone={(m) => {
                          setNotice(m);
                          load();
                        }}
                      />
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <Values title="Inputs" values={run.inputs} />
          <Values title="Variables" values={run.vars} />
          <section>
            <h3>Record</h3>
            {run.record ? (
              <Link to={`/records/${run.record.object}/${run.record.id}`}>
                {run.record_name ?? `${run.record.object} ${run.record.id.slice(0, 8)}`}
              </Link>
            ) : (
              <p className="muted">None.</p>
            )}
          </section>
        </aside>
      </div>
      <section className="run-detail__timeline" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline entries={timeline} labels={labels} outcomes={outcomes} />
      </section>
      {asking ? (
        <ConfirmDialog
          title={`${asking.label}?`}
          message={asking.ask}
          confirm={asking.label}
          onConfirm={() => void control(asking)}
          onCancel={() => setAsking(null)}
        />
      ) : null}
    </main>
  );
}

/**
 * /orchestrations/<key>/migrate: move runs that have not ended to another version, in four
 * steps — versions, mapping (both versions drawn side by side), dry run, apply (with
 * progress). `?migration=<id>` shows one under way or done (the page can be reloaded).
 */
import '../monitor.css';
import '../migrate.css';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';

import { Breadcrumbs } from '../components/breadcrumbs';
import { ConfirmDialog } from '../components/confirm-dialog';
import { MigrationCanvases } from '../components/migration-canvases';
import { MigrationReport } from '../components/migration-report';
import { ApiError, getOrchestration, getVersion } from '../lib/api';
import type { Orchestration } from '../lib/api-schemas';
import type { OrchestrationDocument } from '../lib/document-schema';
import {
  KIND_LABELS,
  candidates,
  chooseMapping,
  fieldErrors,
  mappingClashes,
  markings,
  migrationNodes,
  progressText,
  resolveMapping,
  resultText,
  runName,
  suggestedMapping,
  underWay,
  type DryRun,
  type Migration,
  type MigrationNode,
  type WizardOptions,
} from '../lib/migration';
import {
  cancelMigration,
  dryRunMigration,
  getMigration,
  startMigration,
  versionsWithLiveRuns,
} from '../lib/migration-api';
import { may } from '../lib/permissions';
import { useOverlayStore } from '../store/overlay-store';
import { useRunPathStore } from '../store/run-path-store';
import { useSessionStore } from '../store/session-store';

const STEPS = ['Versions', 'Mapping', 'Dry run', 'Apply'] as const;
const POLL_MS = 500;
/** The window width from which the two versions are drawn side by side by default. */
const SIDE_BY_SIDE_PX = 1800;

type Errors = { message: string; fields: Record<string, string>; mapping: Record<string, string> } | null;

function errorsOf(failure: unknown): NonNullable<Errors> {
  if (failure instanceof ApiError) return { message: failure.message, ...fieldErrors(failure.details) };
  return { message: failure instanceof Error ? failure.message : String(failure), fields: {}, mapping: {} };
}

const FIELD_LABELS: Record<string, string> = {
  target: 'To version',
  sources: 'From versions',
  stages: 'Current stage',
  runs: 'Runs',
  statuses: 'Statuses',
  mapping: 'Mapping',
  recompute: 'Work out again',
  timers: 'Timers',
};

function FieldError({ errors, field }: { errors: Errors; field: string }) {
  const message = errors?.fields[field];
  return message ? (
    <span className="field-error" role="alert">
      {FIELD_LABELS[field] ?? field}: {message}
    </span>
  ) : null;
}

function Stepper({
  step,
  reachable,
  go,
}: {
  step: number;
  reachable: (n: number) => boolean;
  go: (n: number) => void;
}) {
  return (
    <nav aria-label="Steps" className="wizard-steps">
      <ol>
        {STEPS.map((label, i) => (
          <li key={label} className={i === step ? 'wizard-steps__current' : undefined}>
            <button
              type="button"
              aria-current={i === step ? 'step' : undefined}
              disabled={!reachable(i)}
              onClick={() => go(i)}
            >
              {i + 1}. {label}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}

export function MigratePage() {
  const { key = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const allowed = may(
    useSessionStore((s) => s.user?.role),
    'controlRuns',
  );
  const [orchestration, setOrchestration] = useState<Orchestration | null>(null);
  const [live, setLive] = useState<number[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [documents, setDocuments] = useState<Record<number, OrchestrationDocument>>({});
  const [chosenStep, setStep] = useState(0);
  const [options, setOptions] = useState<WizardOptions | null>(null);
  const [shownSource, setShownSource] = useState<number | null>(null);
  // Side by side when the window has room for two readable canvases; else one above the other.
  const [stacked, setStacked] = useState(() => typeof window === 'undefined' || window.innerWidth < SIDE_BY_SIDE_PX);
  const [report, setReport] = useState<{ plan: string; report: DryRun } | null>(null);
  const [checking, setChecking] = useState(false);
  const [errors, setErrors] = useState<Errors>(null);
  const [confirming, setConfirming] = useState(false);
  const [migration, setMigration] = useState<Migration | null>(null);
  const migrationId = params.get('migration');
  const step = migrationId ? 3 : chosenStep;

  useEffect(() => {
    // The monitor's heat and a run's path are not this page's.
    useOverlayStore.getState().clear();
    useRunPathStore.getState().setPath(null);
  }, []);

  // The orchestration, and the versions whose runs have not all ended.
  useEffect(() => {
    if (!allowed) return;
    let cancelled = false;
    (async () => {
      const o = await getOrchestration(key);
      const withRuns = await versionsWithLiveRuns(o, null);
      if (cancelled) return;
      setOrchestration(o);
      setLive(withRuns);
      const target = o.active_version ?? o.versions.at(-1)?.number ?? 1;
      setOptions(
        (current) =>
          current ?? {
            target,
            sources: withRuns.filter((v) => v !== target),
            stages: [],
            mapping: {},
            recompute: [],
            timers: 'keep',
          },
      );
    })().catch((failure: unknown) => !cancelled && setLoadError(errorsOf(failure).message));
    return () => {
      cancelled = true;
    };
  }, [key, allowed]);

  // The documents of the versions in the plan.
  const wanted = useMemo(() => (options ? [...new Set([...options.sources, options.target])] : []), [options]);
  useEffect(() => {
    for (const v of wanted) {
      if (documents[v]) continue;
      getVersion(key, v).then(
        (version) => setDocuments((d) => ({ ...d, [v]: version.document })),
        (failure: unknown) => setLoadError(errorsOf(failure).message),
      );
    }
  }, [key, wanted, documents]);

  // A migration under way: read again every half second until it ends.
  useEffect(() => {
    if (!migrationId) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = () =>
      getMigration(key, migrationId).then(
        (m) => {
          if (cancelled) return;
          setMigration(m);
          if (underWay(m)) timer = setTimeout(() => void read(), POLL_MS);
        },
        (failure: unknown) => {
          if (cancelled) return;
          setErrors(errorsOf(failure));
          timer = setTimeout(() => void read(), POLL_MS * 4);
        },
      );
    void read();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [key, migrationId]);

  // A new step takes the focus (the button that led there is gone); not on the first one.
  const stepSection = useRef<HTMLElement>(null);
  const shownStep = useRef(step);
  useEffect(() => {
    if (shownStep.current === step) return;
    shownStep.current = step;
    stepSection.current?.focus();
  });

  const sourceNodes = useMemo(
    () =>
      (options?.sources ?? []).flatMap((v) => {
        const document = documents[v];
        return document ? migrationNodes(document) : [];
      }),
    [options, documents],
  );
  const targetNodes = useMemo(() => {
    const document = options ? documents[options.target] : undefined;
    return document ? migrationNodes(document) : [];
  }, [options, documents]);
  const mapped = useMemo(
    () => resolveMapping(sourceNodes, targetNodes, options?.mapping ?? {}),
    [sourceNodes, targetNodes, options],
  );
  const clashes = useMemo(() => mappingClashes(mapped), [mapped]);
  const marks = useMemo(() => markings(mapped, targetNodes), [mapped, targetNodes]);
  const planKey = JSON.stringify(options);
  const fresh = report !== null && report.plan === planKey;

  const update = (change: Partial<WizardOptions>) => {
    setOptions((o) => (o ? { ...o, ...change } : o));
    setErrors(null);
  };

  const check = useCallback(async () => {
    if (!options) return;
    setChecking(true);
    setErrors(null);
    try {
      const answer = await dryRunMigration(key, options);
      setReport({ plan: JSON.stringify(options), report: answer });
    } catch (failure) {
      setErrors(errorsOf(failure));
    } finally {
      setChecking(false);
    }
  }, [key, options]);

  const apply = async () => {
    setConfirming(false);
    if (!options) return;
    try {
      const started = await startMigration(key, options);
      setMigration(started);
      setParams({ migration: started.id }, { replace: false });
    } catch (failure) {
      setErrors(errorsOf(failure));
    }
  };
  const cancel = async () => {
    if (!migration) return;
    try {
      await cancelMigration(key, migration.id);
      setMigration(await getMigration(key, migration.id));
    } catch (failure) {
      setErrors(errorsOf(failure));
    }
  };

  const label = orchestration?.label ?? key;
  const trail = (
    <Breadcrumbs
      trail={[
        { label: 'Runs', to: `/runs?orchestration=${encodeURIComponent(key)}` },
        { label, to: `/monitor/${encodeURIComponent(key)}` },
        { label: 'Move runs' },
      ]}
    />
  );
  if (!allowed) {
    return (
      <main className="page-message">
        {trail}
        <h1>Move runs of {label}</h1>
        <p role="alert">Only admins and ops move runs to another version.</p>
      </main>
    );
  }
  if (loadError) {
    return (
      <main className="page-message">
        {trail}
        <h1>Move runs of {label}</h1>
        <p role="alert">{loadError}</p>
      </main>
    );
  }
  if (!orchestration || !options || live === null) {
    return (
      <main className="page page--wide">
        {trail}
        <p aria-busy="true">Loading versions…</p>
      </main>
    );
  }

  const versions = orchestration.versions.map((v) => v.number);
  const fromChoices = live.filter((v) => v !== options.target);
  const stageChoices = new Map<string, string>();
  for (const n of sourceNodes) if (n.kind === 'stage' && !stageChoices.has(n.id)) stageChoices.set(n.id, n.label);
  const removed = mapped.filter((m) => !m.to);
  const added = targetNodes.filter((n) => marks.target[n.id]?.state === 'new');
  const leftVersion =
    shownSource !== null && options.sources.includes(shownSource) ? shownSource : (options.sources[0] ?? null);
  const leftDocument = leftVersion !== null ? documents[leftVersion] : undefined;
  const targetDocument = documents[options.target];
  const movable = fresh ? report.report.movable : 0;
  const reachable = (n: number) => {
    if (migration) return n === 3;
    if (n === 0) return true;
    if (options.sources.length === 0) return false;
    if (n === 1) return true;
    if (Object.keys(clashes).length) return false;
    if (n === 2) return true;
    return fresh && movable > 0;
  };
  // Reaching the dry run step runs it (again, when the plan changed since).
  const go = (n: number) => {
    if (!reachable(n)) return;
    setStep(n);
    if (n === 2 && !fresh && !checking) void check();
  };
  const backToRuns = `/runs?orchestration=${encodeURIComponent(key)}`;

  const nodeOption = (n: MigrationNode) => (
    <option key={n.id} value={n.id}>
      {n.label}
      {n.stage ? ` (in ${targetNodes.find((t) => t.id === n.stage)?.label ?? n.stage})` : ''}
    </option>
  );

  return (
    <main className="page page--wide migrate">
      {trail}
      <h1>
        Move runs of {label} to version {migration?.target ?? options.target}
      </h1>
      <p className="muted">
        Runs stay on the version they started on until they are moved. Nothing changes before you apply, and you can
        check first what would happen to each run.
      </p>
      <Stepper step={step} reachable={reachable} go={go} />
      {errors ? (
        <div className="migrate__errors" role="alert">
          <p>
            <strong>{errors.message}</strong>
          </p>
          {Object.keys(errors.fields).length || Object.keys(errors.mapping).length ? (
            <ul>
              {Object.entries(errors.fields).map(([field, message]) => (
                <li key={field}>
                  {FIELD_LABELS[field] ?? field}: {message}
                </li>
              ))}
              {Object.entries(errors.mapping).map(([node, message]) => (
                <li key={node}>
                  {sourceNodes.find((n) => n.id === node)?.label ?? node}: {message}{' '}
                  {step !== 1 ? (
                    <button type="button" className="link" onClick={() => setStep(1)}>
                      Fix the mapping
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}

      {step === 0 ? (
        <section aria-labelledby="versions-title" className="migrate__step" ref={stepSection} tabIndex={-1}>
          <h2 id="versions-title">Which runs move, and where to</h2>
          <label>
            To version
            <select
              value={options.target}
              onChange={(e) => {
                const target = Number(e.target.value);
                update({ target, sources: live.filter((v) => v !== target), mapping: {}, stages: [] });
              }}
            >
              {versions.map((v) => (
                <option key={v} value={v}>
                  Version {v}
                  {v === orchestration.active_version ? ' (active)' : ''}
                </option>
              ))}
            </select>
            <FieldError errors={errors} field="target" />
          </label>
          <fieldset>
            <legend>From versions (with runs that have not ended)</legend>
            {fromChoices.length === 0 ? (
              <p>No run that has not ended is on another version: there is nothing to move.</p>
            ) : (
              fromChoices.map((v) => (
                <label key={v} className="migrate__check">
                  <input
                    type="checkbox"
                    checked={options.sources.includes(v)}
                    onChange={(e) =>
                      update({
                        sources: e.target.checked
                          ? [...options.sources, v].sort((a, b) => a - b)
                          : options.sources.filter((s) => s !== v),
                        stages: [],
                      })
                    }
                  />{' '}
                  Version {v}
                </label>
              ))
            )}
            <FieldError errors={errors} field="sources" />
          </fieldset>
          <label>
            Only runs currently in stage
            <select
              value={options.stages[0] ?? ''}
              onChange={(e) => update({ stages: e.target.value ? [e.target.value] : [] })}
            >
              <option value="">Any stage</option>
              {[...stageChoices].map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </select>
            <FieldError errors={errors} field="stages" />
          </label>
          <div className="migrate__nav">
            <Link to={backToRuns}>Back to the runs</Link>
            <button type="button" className="primary" disabled={!reachable(1)} onClick={() => go(1)}>
              Next: mapping
            </button>
          </div>
        </section>
      ) : null}

      {step === 1 ? (
        <section aria-labelledby="mapping-title" className="migrate__step" ref={stepSection} tabIndex={-1}>
          <h2 id="mapping-title">Where each node lands</h2>
          <p className="muted">
            A node keeps its place when version {options.target} has a node with the same id and kind (the same number
            on both sides). Runs sitting on a node marked <strong>removed — map it</strong> cannot move until you choose
            where they go.
          </p>
          <button type="button" onClick={() => setStacked((v) => !v)}>
            {stacked ? 'Show side by side' : 'Show one above the other'}
          </button>
          {options.sources.length > 1 ? (
            <label>
              Version shown on the left
              <select value={leftVersion ?? ''} onChange={(e) => setShownSource(Number(e.target.value))}>
                {options.sources.map((v) => (
                  <option key={v} value={v}>
                    Version {v}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          {leftDocument && targetDocument ? (
            <MigrationCanvases
              source={leftDocument}
              target={targetDocument}
              sourceTitle={`Version ${leftVersion} (now)`}
              targetTitle={`Version ${options.target} (after the move)`}
              marks={marks}
              stacked={stacked}
            />
          ) : (
            <p aria-busy="true">Loading the versions…</p>
          )}
          <ul className="migration-legend" aria-label="What the marks mean">
            <li>
              <span className="migration-swatch migration-node--matched migration-node--c0" aria-hidden="true" /> Same
              number: the same node in both versions
            </li>
            <li>
              <span className="migration-swatch migration-node--explicit" aria-hidden="true" /> Mapped by you
            </li>
            <li>
              <span className="migration-swatch migration-node--removed" aria-hidden="true" /> Removed — map it
            </li>
            <li>
              <span className="migration-swatch migration-node--new" aria-hidden="true" /> New in version{' '}
              {options.target}
            </li>
          </ul>
          {added.length > 0 ? (
            <p data-testid="new-nodes">
              New in version {options.target}: {added.map((n) => n.label).join(', ')}.
            </p>
          ) : null}
          {removed.length > 0 ? (
            <p className="migrate__warning" data-testid="unmapped">
              {removed.length} node{removed.length === 1 ? '' : 's'} of version {options.sources.join(', ')}{' '}
              {removed.length === 1 ? 'has' : 'have'} no place in version {options.target}.{' '}
              {Object.keys(suggestedMapping(sourceNodes, targetNodes)).length ? (
                <button
                  type="button"
                  onClick={() =>
                    update({ mapping: { ...suggestedMapping(sourceNodes, targetNodes), ...options.mapping } })
                  }
                >
                  Map those with the same name
                </button>
              ) : null}
            </p>
          ) : null}
          <table className="runs__table migrate__mapping">
            <caption className="visually-hidden">Mapping of version nodes</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">In version {options.sources.join(', ')}</th>
                <th scope="col">Kind</th>
                <th scope="col">In version {options.target}</th>
              </tr>
            </thead>
            <tbody>
              {mapped.map((m) => {
                const marking = marks.source[m.node.id];
                const problem = clashes[m.node.id] ?? errors?.mapping[m.node.id];
                return (
                  <tr key={m.node.id} className={`migrate__row migrate__row--${marking?.state ?? 'none'}`}>
                    <td>
                      {marking && 'number' in marking ? (
                        <span className={`migration-number migration-node--c${(marking.number - 1) % 8}`}>
                          {marking.number}
                        </span>
                      ) : (
                        '—'
                      )}
                    </td>
                    <th scope="row">{m.node.label}</th>
                    <td>{KIND_LABELS[m.node.kind] ?? m.node.kind}</td>
                    <td>
                      <select
                        aria-label={`Where ${m.node.label} goes in version ${options.target}`}
                        value={m.to?.id ?? ''}
                        onChange={(e) =>
                          update({ mapping: chooseMapping(options.mapping, m.node, e.target.value, targetNodes) })
                        }
                        aria-invalid={problem ? true : undefined}
                      >
                        <option value="">{m.how === 'retyped' ? 'Changed kind — map it' : 'Removed — map it'}</option>
                        {candidates(m.node, targetNodes).map(nodeOption)}
                      </select>
                      {m.how === 'explicit' ? <span className="migrate__explicit"> mapped by you</span> : null}
                      {problem ? (
                        <span className="field-error" role="alert">
                          {' '}
                          {problem}
                        </span>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div className="migrate__nav">
            <button type="button" onClick={() => go(0)}>
              Back: versions
            </button>
            <button type="button" className="primary" disabled={!reachable(2)} onClick={() => go(2)}>
              Next: dry run
            </button>
          </div>
        </section>
      ) : null}

      {step === 2 ? (
        <section aria-label="Dry run and options" className="migrate__step" ref={stepSection} tabIndex={-1}>
          {checking ? <p aria-busy="true">Checking each run…</p> : null}
          {report ? <MigrationReport report={report.report} nodes={sourceNodes} onMap={() => go(1)} /> : null}
          {fresh && movable === 0 && !checking ? (
            <p className="migrate__warning">No run can move with this plan: there is nothing to apply.</p>
          ) : null}
          <h2 id="dry-run-options">Options</h2>
          <p className="muted">Change them, or the mapping, then run the dry run again.</p>
          <fieldset className="migrate__options">
            <legend>Open work items</legend>
            {(['assignee', 'due'] as const).map((what) => (
              <label key={what} className="migrate__check">
                <input
                  type="checkbox"
                  checked={options.recompute.includes(what)}
                  onChange={(e) =>
                    update({
                      recompute: e.target.checked
                        ? [...options.recompute, what]
                        : options.recompute.filter((r) => r !== what),
                    })
                  }
                />{' '}
                Work out the {what === 'assignee' ? 'assignee' : 'due date'} again from version {options.target}
              </label>
            ))}
            <FieldError errors={errors} field="recompute" />
          </fieldset>
          <fieldset className="migrate__options">
            <legend>Timers of steps under way</legend>
            <label className="migrate__check">
              <input
                type="radio"
                name="timers"
                checked={options.timers === 'keep'}
                onChange={() => update({ timers: 'keep' })}
              />{' '}
              Keep them as they are
            </label>
            <label className="migrate__check">
              <input
                type="radio"
                name="timers"
                checked={options.timers === 'recompute'}
                onChange={() => update({ timers: 'recompute' })}
              />{' '}
              Set them again from version {options.target}
            </label>
            <FieldError errors={errors} field="timers" />
          </fieldset>
          {report && !fresh && !checking ? (
            <p className="migrate__warning">The plan changed since this dry run.</p>
          ) : null}
          <button type="button" onClick={() => void check()} disabled={checking}>
            Run the dry run again
          </button>
          <div className="migrate__nav">
            <button type="button" onClick={() => go(1)}>
              Back: mapping
            </button>
            <button type="button" className="primary" disabled={!reachable(3)} onClick={() => go(3)}>
              Next: apply
            </button>
          </div>
        </section>
      ) : null}

      {step === 3 ? (
        <section aria-labelledby="apply-title" className="migrate__step" ref={stepSection} tabIndex={-1}>
          <h2 id="apply-title">Apply</h2>
          {!migration && !migrationId ? (
            fresh ? (
              <>
                <p>{report.report.summary}</p>
                <p>
                  {movable.toLocaleString('en')} run{movable === 1 ? '' : 's'} will move to version {options.target},
                  each on its own; runs that cannot move stay where they are. People working on them carry on: their
                  open work stays theirs.
                </p>
                <div className="migrate__nav">
                  <button type="button" onClick={() => go(2)}>
                    Back: dry run
                  </button>
                  <button type="button" className="primary" onClick={() => setConfirming(true)}>
                    Move {movable.toLocaleString('en')} run{movable === 1 ? '' : 's'}…
                  </button>
                </div>
              </>
            ) : (
              <p>
                Run the dry run first.{' '}
                <button type="button" onClick={() => go(2)}>
                  Back: dry run
                </button>
              </p>
            )
          ) : migration ? (
            <MigrationProgress migration={migration} onCancel={() => void cancel()} />
          ) : (
            <p aria-busy="true">Reading the migration…</p>
          )}
          {!migration ? null : (
            <p>
              <Link to={`/runs?orchestration=${encodeURIComponent(key)}&version=${migration.target ?? options.target}`}>
                See the runs on version {migration.target ?? options.target}
              </Link>{' '}
              · <Link to={backToRuns}>All runs of {label}</Link>
            </p>
          )}
        </section>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={`Move ${movable.toLocaleString('en')} run${movable === 1 ? '' : 's'} to version ${options.target}?`}
          message={`Each run moves in its own transaction and continues on version ${options.target}; this cannot be undone by the app. Runs that cannot move stay on their version.`}
          confirm="Move runs"
          onConfirm={() => void apply()}
          onCancel={() => setConfirming(false)}
        />
      ) : null}
    </main>
  );
}

const OUTCOME_LABELS: Record<string, string> = {
  moved: 'Moved',
  refused: 'Could not move',
  skipped: 'Already there',
  failed: 'Failed',
};

function MigrationProgress({ migration, onCancel }: { migration: Migration; onCancel: () => void }) {
  const going = underWay(migration);
  const total = Math.max(migration.total, 1);
  return (
    <div className="migrate__progress" data-testid="migration-progress">
      <p role="status" aria-live="polite">
        <strong>
          {migration.status === 'queued'
            ? 'Waiting for a worker…'
            : migration.status === 'running'
              ? 'Moving runs…'
              : migration.status === 'completed'
                ? 'Done.'
                : 'Cancelled.'}
        </strong>{' '}
        {progressText(migration)}
      </p>
      <progress
        max={total}
        value={migration.handled}
        aria-label={`Runs handled: ${migration.handled} of ${migration.total}`}
      />
      {going ? (
        <button type="button" onClick={onCancel}>
          Cancel the migration
        </button>
      ) : null}
      {!going ? <p data-testid="migration-summary">{resultText(migration)}</p> : null}
      {!going && migration.runs && migration.runs.length ? (
        <table className="runs__table">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">From version</th>
              <th scope="col">Outcome</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {migration.runs.map((r) => (
              <tr key={r.run_id}>
                <td>
                  <Link to={`/runs/${r.run_id}`}>{runName(r)}</Link>
                </td>
                <td>{r.from_version ?? '—'}</td>
                <td>{OUTCOME_LABELS[r.outcome] ?? r.outcome}</td>
                <td>{[...(r.reasons ?? []).map((x) => x.message), ...(r.notes ?? [])].join('; ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

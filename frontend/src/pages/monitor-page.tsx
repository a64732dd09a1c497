import '../monitor.css';
import { ReactFlowProvider } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';

import { Breadcrumbs } from '../components/breadcrumbs';
import { MigrationAction } from '../components/migration-action';
import { MetricsPanel } from '../components/metrics-panel';
import { ReadOnlyCanvas } from '../components/read-only-canvas';
import { RunsList } from '../components/runs-list';
import { useLiveFigures } from '../hooks/use-live-figures';
import { useStartLink } from '../hooks/use-start-link';
import { nodeLabels, stageLabels, useVersionFlow } from '../hooks/use-version-flow';
import { getOrchestration } from '../lib/api';
import type { Orchestration } from '../lib/api-schemas';
import { formatSeconds } from '../lib/heat';
import { FIGURES, FigureIcon } from '../nodes/figure-icons';
import { WINDOWS, type LiveWindow } from '../lib/live-figures';
import { useOverlayStore } from '../store/overlay-store';
import { useRunPathStore } from '../store/run-path-store';

const WINDOW_LABELS: Record<LiveWindow, string> = {
  hour: 'Last hour',
  day: 'Last day',
  week: 'Last week',
  all: 'All time',
};
const LIVE_WORDS = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  refused: 'Not live — retrying',
} as const;

function Bottleneck({ labels }: { labels: Record<string, string> }) {
  const bottleneck = useOverlayStore((s) => s.bottleneck);
  if (!bottleneck) return <p className="bottleneck bottleneck--none">No time spent yet in this window.</p>;
  return (
    <p className="bottleneck" data-testid="bottleneck">
      Worst bottleneck: <strong>{labels[bottleneck.node] ?? bottleneck.node}</strong>
      {bottleneck.step ? <> (mostly {labels[bottleneck.step] ?? bottleneck.step})</> : null} —{' '}
      {Math.round(bottleneck.share * 100)} % of the time spent in stages, about {formatSeconds(bottleneck.seconds)} in
      all.
    </p>
  );
}

/** Nodes that need ops now, whatever their time spent: runs in error there, or overdue work. */
function Flagged({ labels }: { labels: Record<string, string> }) {
  const flags = useOverlayStore((s) => s.flags);
  const figures = useOverlayStore((s) => s.figures);
  const ids = Object.keys(flags)
    .filter((id) => id in labels)
    .sort((a, b) => (flags[a] === flags[b] ? a.localeCompare(b) : flags[a] === 'error' ? -1 : 1));
  if (ids.length === 0) return null;
  return (
    <p className="flagged" data-testid="flagged">
      Needs attention:{' '}
      {ids.map((id, i) => (
        <span key={id} className={`flagged__node flagged__node--${flags[id]}`}>
          {i > 0 ? ' · ' : ''}
          <strong>{labels[id]}</strong>{' '}
          {flags[id] === 'error' ? `${figures[id]?.error ?? 0} in error` : `${figures[id]?.overdue ?? 0} overdue`}
        </span>
      ))}
    </p>
  );
}

/** What the figures on the nodes and the overlay's colours mean. */
function Legend() {
  return (
    <ul className="figures-legend" aria-label="Legend">
      {FIGURES.map((f) => (
        <li key={f.kind} className={`figures-legend__${f.kind}`}>
          <FigureIcon kind={f.kind} /> {f.label}
        </li>
      ))}
      <li>
        <span className="figures-legend__swatch figures-legend__swatch--heat" aria-hidden="true" /> Heat: time spent
        (darker: more)
      </li>
      <li>
        <span className="figures-legend__swatch figures-legend__swatch--error" aria-hidden="true" /> Runs in error here
      </li>
      <li>
        <span className="figures-legend__swatch figures-legend__swatch--stuck" aria-hidden="true" /> Stuck: overdue work
      </li>
    </ul>
  );
}

/** /monitor/<key>: the canvas with live figures per node (a heat map of time spent), metrics and the runs. */
export function MonitorPage() {
  const { key = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const [orchestration, setOrchestration] = useState<Orchestration | null>(null);
  const [error, setError] = useState<string | null>(null);
  const chosenVersion = Number(params.get('version')) || null;
  const span = (WINDOWS as readonly string[]).includes(params.get('window') ?? '')
    ? (params.get('window') as LiveWindow)
    : 'all';

  useEffect(() => {
    useRunPathStore.getState().setPath(null);
    getOrchestration(key).then(setOrchestration, (failure: unknown) =>
      setError(failure instanceof Error ? failure.message : String(failure)),
    );
  }, [key]);

  const drawn = chosenVersion ?? orchestration?.active_version ?? null;
  const startLink = useStartLink(key, orchestration?.active_version);
  const { flow, error: flowError } = useVersionFlow(orchestration ? key : null, drawn);
  useEffect(() => {
    if (flow) useOverlayStore.getState().setStructure({ stages: flow.stages, stageOf: flow.stageOf });
  }, [flow]);
  const live = useLiveFigures(key, chosenVersion, span);
  const sequence = useOverlayStore((s) => s.sequence);
  // Metrics and runs are read again when the figures move, at most every 5 s.
  const [refresh, setRefresh] = useState(0);
  const lastRefresh = useRef(0);
  useEffect(() => {
    lastRefresh.current = Date.now();
  }, []);
  useEffect(() => {
    if (sequence === null || Date.now() - lastRefresh.current < 5000) return;
    lastRefresh.current = Date.now();
    setRefresh((n) => n + 1);
  }, [sequence]);
  const labels = useMemo(() => nodeLabels(flow), [flow]);
  const stages = useMemo(() => stageLabels(flow), [flow]);

  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const filterStage = useCallback(
    (id: string) => {
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          if (flow?.stages.has(id)) next.set('stage', id);
          return next;
        },
        { replace: true },
      );
    },
    [flow, setParams],
  );

  if (error) {
    return (
      <main className="page-message">
        <h1>{key} cannot be monitored</h1>
        <p role="alert">{error}</p>
      </main>
    );
  }
  return (
    <main className="monitor">
      <Breadcrumbs
        trail={[
          { label: 'Orchestrations', to: '/' },
          { label: orchestration?.label ?? key, to: `/builder/${encodeURIComponent(key)}` },
          { label: 'Monitor' },
        ]}
      />
      <header className="monitor__header">
        <h1>Monitor: {orchestration?.label ?? key}</h1>
        <span className={`live-state live-state--${live}`} data-testid="live-state" role="status">
          {LIVE_WORDS[live]}
        </span>
        <label>
          Version
          <select value={chosenVersion ?? ''} onChange={(e) => set('version', e.target.value)}>
            <option value="">All versions</option>
            {orchestration?.versions.map((v) => (
              <option key={v.number} value={v.number}>
                Version {v.number}
                {v.number === orchestration.active_version ? ' (active)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Time window
          <select value={span} onChange={(e) => set('window', e.target.value === 'all' ? '' : e.target.value)}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                {WINDOW_LABELS[w]}
              </option>
            ))}
          </select>
        </label>
        <Link to={`/builder/${encodeURIComponent(key)}`}>Open in the builder</Link>
        {startLink ? (
          <Link to={startLink} className="button">
            Start run
          </Link>
        ) : null}
      </header>
      {orchestration ? <MigrationAction orchestration={key} known={orchestration} /> : null}
      <Bottleneck labels={labels} />
      <Flagged labels={labels} />
      <Legend />
      <div className="monitor__canvas">
        {flowError ? <p role="alert">{flowError}</p> : null}
        {flow ? (
          <ReactFlowProvider>
            <ReadOnlyCanvas nodes={flow.nodes} edges={flow.edges} onNodeClick={filterStage} />
          </ReactFlowProvider>
        ) : !flowError ? (
          <p aria-busy="true">Loading the canvas…</p>
        ) : null}
      </div>
      <div className="monitor__panels">
        <MetricsPanel orchestration={key} version={chosenVersion} refresh={refresh} />
        <RunsList orchestration={key} stageLabels={stages} nodeLabels={labels} refresh={refresh} />
      </div>
    </main>
  );
}

import { useEffect, useState } from 'react';
import { Link } from 'react-router';

import { NewOrchestration } from '../components/new-orchestration';
import { listOrchestrations } from '../lib/api';
import { isManual } from '../lib/trigger-words';
import type { OrchestrationSummary } from '../lib/api-schemas';
import { may } from '../lib/permissions';
import { useSessionStore } from '../store/session-store';

/** `/`: the orchestrations, each opening in the builder. */
export function HomePage() {
  const [items, setItems] = useState<OrchestrationSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const role = useSessionStore((s) => s.user?.role);
  const design = may(role, 'design');
  const open = may(role, 'openBuilder');
  const monitor = may(role, 'monitor');

  useEffect(() => {
    listOrchestrations()
      .then((page) => setItems(page.items))
      .catch((failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  }, []);

  return (
    <main className="page">
      <h1>Orchestrations</h1>
      {design && creating ? <NewOrchestration onCancel={() => setCreating(false)} /> : null}
      {design && !creating ? (
        <div className="page-actions">
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New orchestration
          </button>
        </div>
      ) : null}
      {error ? <p role="alert">{error}</p> : null}
      {items === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {items?.length === 0 ? <p>No orchestrations yet.</p> : null}
      <ul className="orchestrations">
        {items?.map((o) => (
          <li key={o.key}>
            {open ? <Link to={`/builder/${encodeURIComponent(o.key)}`}>{o.label}</Link> : <strong>{o.label}</strong>}{' '}
            <span className="muted">
              {o.key} · {o.active_version === null ? 'never activated' : `version ${o.active_version} active`}
              {o.has_draft ? ' · draft with changes' : ''}
            </span>
            {monitor && o.active_version !== null ? (
              <>
                {' '}
                ·{' '}
                <Link to={`/monitor/${encodeURIComponent(o.key)}`} aria-label={`Monitor ${o.label}`}>
                  Monitor
                </Link>
              </>
            ) : null}
            <HowItStarts orchestration={o} />
          </li>
        ))}
      </ul>
    </main>
  );
}

/** "Start run" for an active orchestration started by hand; for a record-triggered one, the records that start it. */
function HowItStarts({ orchestration: o }: { orchestration: OrchestrationSummary }) {
  if (o.active_version === null || !o.trigger) return null;
  if (isManual(o.trigger)) {
    return (
      <>
        {' '}
        ·{' '}
        <Link to={`/orchestrations/${encodeURIComponent(o.key)}/start`}>
          Start run<span className="visually-hidden"> of {o.label}</span>
        </Link>
      </>
    );
  }
  if (o.trigger.type === 'record' && o.trigger.object) {
    return (
      <>
        {' '}
        ·{' '}
        <Link to={`/orchestrations/${encodeURIComponent(o.key)}/start`}>
          Starts on a {o.trigger.object.replace(/_/g, ' ')} record<span className="visually-hidden"> ({o.label})</span>
        </Link>
      </>
    );
  }
  return null;
}

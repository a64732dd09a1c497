import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';

import { Breadcrumbs } from '../components/breadcrumbs';
import { StartRunForm } from '../components/start-run-form';
import { getVersion, listMyWork, listOrchestrations, listRecordTypes, startRun } from '../lib/api';
import type { OrchestrationDocument } from '../lib/document-schema';
import { may } from '../lib/permissions';
import { isManual, recordTriggerWords } from '../lib/trigger-words';
import type { Run, WorkItem } from '../lib/work-schemas';
import { useSessionStore } from '../store/session-store';

type Loaded =
  | { state: 'loading' }
  | { state: 'failed'; message: string }
  | { state: 'inactive'; label: string }
  | { state: 'ready'; label: string; document: OrchestrationDocument; typeLabel: string | null };

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));

/**
 * `/orchestrations/<key>/start`: a form from the active version's inputs that starts a
 * run, then opens it (or says so when the starter now has a work item on it). A
 * record-triggered orchestration says instead which record save starts it.
 */
export function StartRunPage() {
  const { key = '' } = useParams();
  const navigate = useNavigate();
  const role = useSessionStore((s) => s.user?.role);
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [started, setStarted] = useState<{ run: Run; item: WorkItem } | null>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      const summary = (await listOrchestrations()).items.find((o) => o.key === key);
      if (!summary) throw new Error(`There is no orchestration ${key}.`);
      if (summary.active_version === null) return { state: 'inactive', label: summary.label } as const;
      const { document } = await getVersion(key, summary.active_version);
      let typeLabel: string | null = null;
      if (document.trigger?.type === 'record' && document.trigger.object) {
        const object = document.trigger.object;
        const type = (await listRecordTypes()).find((t) => t.name === object);
        typeLabel = type?.label ?? object;
      }
      return { state: 'ready', label: document.label ?? summary.label, document, typeLabel } as const;
    })().then(
      (l) => live && setLoaded(l),
      (failure: unknown) => live && setLoaded({ state: 'failed', message: message(failure) }),
    );
    return () => {
      live = false;
    };
  }, [key]);

  const start = async (inputs: Record<string, unknown>) => {
    const run = await startRun(key, inputs);
    // The starter may hold the first step themselves: then say so, with where to do it.
    const item = (await listMyWork({ run: run.id }).catch(() => [] as WorkItem[])).find((i) => i.run_id === run.id);
    if (item) setStarted({ run, item });
    else void navigate(`/runs/${encodeURIComponent(run.id)}`);
  };

  const title = loaded.state === 'ready' || loaded.state === 'inactive' ? loaded.label : key;
  const howItStarts = loaded.state === 'ready' && !isManual(loaded.document.trigger);
  return (
    <main className="page">
      <Breadcrumbs
        trail={[
          { label: 'Orchestrations', to: '/' },
          { label: title, to: may(role, 'openBuilder') ? `/builder/${encodeURIComponent(key)}` : undefined },
          { label: howItStarts ? 'How it starts' : 'Start a run' },
        ]}
      />
      <h1>{howItStarts ? `How ${title} starts` : `Start a run: ${title}`}</h1>
      {loaded.state === 'loading' ? <p aria-busy="true">Loading…</p> : null}
      {loaded.state === 'failed' ? (
        <p role="alert" className="problem">
          {loaded.message}
        </p>
      ) : null}
      {loaded.state === 'inactive' ? (
        <p>{loaded.label} has no active version yet, so no run can start. Activate it in the builder first.</p>
      ) : null}
      {loaded.state === 'ready' && !isManual(loaded.document.trigger) && loaded.document.trigger ? (
        <RecordTriggered document={loaded.document} typeLabel={loaded.typeLabel ?? ''} />
      ) : null}
      {loaded.state === 'ready' && isManual(loaded.document.trigger) && !started ? (
        <>
          {loaded.document.description ? <p>{loaded.document.description}</p> : null}
          <StartRunForm inputs={loaded.document.inputs ?? []} submitLabel="Start run" onStart={start} />
        </>
      ) : null}
      {started ? (
        <div role="status" data-testid="started-with-work">
          <p>
            The run started, and its first step is yours: <strong>{started.item.label}</strong>.
          </p>
          <p>
            {started.item.record ? (
              <Link
                to={`/records/${encodeURIComponent(started.item.record.object)}/${encodeURIComponent(started.item.record.id)}`}
              >
                Do it now
              </Link>
            ) : (
              <Link to="/work">Do it in My work</Link>
            )}
            {' · '}
            <Link to={`/runs/${encodeURIComponent(started.run.id)}`}>See the run</Link>
          </p>
        </div>
      ) : null}
      <p>
        <Link to="/">Back to the orchestrations</Link>
      </p>
    </main>
  );
}

function RecordTriggered({ document, typeLabel }: { document: OrchestrationDocument; typeLabel: string }) {
  const trigger = document.trigger!;
  const words = recordTriggerWords(trigger, typeLabel);
  return (
    <div data-testid="record-trigger">
      <p>
        {words.when}
        {words.condition ? (
          <>
            {' '}
            with <code>{words.condition}</code>
          </>
        ) : null}
        ; it is not started by hand.
      </p>
      <p>
        <Link to={`/records/${encodeURIComponent(trigger.object ?? '')}`}>Create a {typeLabel.toLowerCase()}</Link>
      </p>
    </div>
  );
}

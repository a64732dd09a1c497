import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';

import { Breadcrumbs } from '../components/breadcrumbs';
import { RunProgress } from '../components/run-progress';
import { WorkGuideStep } from '../components/work-guide-step';
import { useRunProgress } from '../hooks/use-run-progress';
import { useWorkStep } from '../hooks/use-work-step';
import { listMyWork, listRecordTypes } from '../lib/api';
import { itemPath, recordPath } from '../lib/notification-link';
import { display, fieldLabel } from '../lib/record-values';
import {
  isMine,
  mainFields,
  personName,
  recordName,
  sortWorkItems,
  stepLabel,
  stepOutcomeLabel,
} from '../lib/work-guide';
import type { RecordType, WorkItem } from '../lib/work-schemas';
import { useSessionStore } from '../store/session-store';

/**
 * `/work/<item id>`: one work item's Work Guide — the step and its form, what the run
 * knows (its inputs, its record, the steps done before), and where the run stands.
 * Any item opens here, with a record or without.
 */
export function ItemPage() {
  const { itemId = '' } = useParams();
  const me = useSessionStore((s) => s.user?.username ?? '');
  const step = useWorkStep(itemId, me);
  const { item } = step;
  const { run, document, progress } = useRunProgress(item?.run_id ?? null, step.onRunEvents);
  const [type, setType] = useState<RecordType | null>(null);
  const [next, setNext] = useState<WorkItem | null>(null);
  const objectName = item?.record?.object ?? null;

  useEffect(() => {
    if (!objectName) return;
    listRecordTypes()
      .then((types) => setType(types.find((t) => t.name === objectName) ?? null))
      .catch(() => setType(null));
  }, [objectName]);

  // Once done, the next step of mine on the same run, if the run has one for me now.
  const runId = item?.run_id ?? null;
  useEffect(() => {
    if (!step.completedWith || !runId) return;
    listMyWork({ run: runId })
      .then((found) => setNext(sortWorkItems(found.filter((w) => w.id !== itemId && isMine(w, me)))[0] ?? null))
      .catch(() => setNext(null));
  }, [step.completedWith, runId, itemId, me]);

  if (item === undefined) {
    return (
      <main className="page page--wide">
        <Breadcrumbs trail={[{ label: 'My work', to: '/work' }, { label: 'Work item' }]} />
        {step.error ? (
          <>
            <h1>Work item</h1>
            <p role="alert" className="problem">
              {step.error}
            </p>
          </>
        ) : (
          <p aria-busy="true">Loading…</p>
        )}
      </main>
    );
  }
  if (item === null) {
    return (
      <main className="page page--wide">
        <Breadcrumbs trail={[{ label: 'My work', to: '/work' }, { label: 'Not found' }]} />
        <h1>Work item not found</h1>
        <p role="alert" className="problem" data-testid="item-not-found">
          This work item does not exist, or it is not yours: only the people it is assigned to (and those who completed
          it) can open it.
        </p>
        <p>
          <Link to="/work">Back to My work</Link>
        </p>
      </main>
    );
  }

  const record = item.record;
  const context = item.context;
  const orchestration = run?.label ?? context?.run.label ?? item.orchestration;
  const shown = record ? mainFields(record, type?.fields.map((f) => f.name) ?? []) : [];
  const inputs = Object.entries(context?.inputs ?? {});
  // Those that ended before this step was given out: not this step itself once it is done.
  const earlier = (context?.steps ?? []).filter(
    (s) => !s.ended_at || Date.parse(s.ended_at) <= Date.parse(item.created_at),
  );
  const labelOf = (name: string) => fieldLabel(type?.fields.find((f) => f.name === name) ?? { name });

  return (
    <main className="page page--wide item-page">
      <Breadcrumbs trail={[{ label: 'My work', to: '/work' }, { label: stepLabel(item) }]} />
      <h1>{stepLabel(item)}</h1>
      <p className="muted" data-testid="item-orchestration">
        {orchestration}
        {record ? (
          <>
            {' '}
            · on <Link to={recordPath(record.object, record.id)}>{recordName(record.object, record.id, record)}</Link>
          </>
        ) : null}
        {context?.run.started_at
          ? ` · started${context.run.started_by ? ` by ${personName(context.run.started_by, context.run.started_by_name, me)}` : ''} on ${new Date(context.run.started_at).toLocaleString()}`
          : ''}
      </p>
      <section className="work-guide" aria-label="Work Guide">
        <WorkGuideStep step={step} />
        {step.completedWith ? (
          <nav className="item-page__onward" aria-label="Where next">
            <Link to="/work">Back to My work</Link>
            {next ? (
              <>
                {' '}
                · <Link to={itemPath(next.id)}>Next step on this run: {next.label}</Link>
              </>
            ) : null}
          </nav>
        ) : null}
      </section>
      <div className="item-page__context">
        {record ? (
          <section aria-labelledby="item-record">
            <h2 id="item-record">
              {type?.label ?? record.object}: {recordName(record.object, record.id, record)}
            </h2>
            <dl className="record-fields">
              {shown.map((k) => (
                <div key={k}>
                  <dt>{labelOf(k)}</dt>
                  <dd>{display(record[k])}</dd>
                </div>
              ))}
            </dl>
            <p>
              <Link to={recordPath(record.object, record.id)}>
                Open the {(type?.label ?? record.object).toLowerCase()}
              </Link>
            </p>
          </section>
        ) : null}
        {inputs.length > 0 ? (
          <section aria-labelledby="item-inputs">
            <h2 id="item-inputs">What the run was started with</h2>
            <dl className="record-fields">
              {inputs.map(([k, v]) => (
                <div key={k}>
                  <dt>{fieldLabel({ name: k })}</dt>
                  <dd>{display(v)}</dd>
                </div>
              ))}
            </dl>
          </section>
        ) : null}
        <section aria-labelledby="item-earlier">
          <h2 id="item-earlier">Steps done before</h2>
          {earlier.length > 0 ? (
            <ol className="item-page__steps" data-testid="item-earlier-steps">
              {earlier.map((s, i) => (
                <li key={`${s.id}-${i}`}>
                  <strong>{s.label}</strong>: {stepOutcomeLabel(document, s.id, s.outcome)}
                  <span className="muted">
                    {s.completed_by ? ` — ${personName(s.completed_by, s.completed_by_name, me)}` : ''}
                    {s.ended_at ? `, ${new Date(s.ended_at).toLocaleString()}` : ''}
                  </span>
                </li>
              ))}
            </ol>
          ) : (
            <p className="muted">None yet.</p>
          )}
        </section>
        {progress && run ? <RunProgress title={`${run.label}: progress`} progress={progress} /> : null}
      </div>
    </main>
  );
}

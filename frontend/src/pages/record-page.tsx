import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';

import { Breadcrumbs } from '../components/breadcrumbs';
import { RecordForm } from '../components/record-form';
import { RunProgress } from '../components/run-progress';
import { StartedRuns } from '../components/started-runs';
import { WorkGuideStep } from '../components/work-guide-step';
import { useNameOf } from '../hooks/use-people';
import { useRunProgress } from '../hooks/use-run-progress';
import { useWorkStep, type Notice } from '../hooks/use-work-step';
import { ApiError, getRecord, listMyWork, listRecordTypes, updateRecord } from '../lib/api';
import { itemPath } from '../lib/notification-link';
import { display, fieldLabel } from '../lib/record-values';
import { assignedTo, isMine, personName, recordName, sortWorkItems, stepLabel } from '../lib/work-guide';
import type { RecordDetail, RecordType, SavedRecord, WorkItem } from '../lib/work-schemas';
import { useInboxStore } from '../store/inbox-store';
import { useSessionStore } from '../store/session-store';

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));

/**
 * `/records/<object>/<id>`: the record, and on top the Work Guide — every step of every
 * run on it that is mine to do now, each with its form and its run's progress, then
 * where the record's other runs stand.
 */
export function RecordPage() {
  const { object = '', recordId = '' } = useParams();
  const nameOf = useNameOf();
  const user = useSessionStore((s) => s.user);
  const changes = useInboxStore((s) => s.changes);
  const [record, setRecord] = useState<RecordDetail | null>(null);
  const [type, setType] = useState<RecordType | null>(null);
  const [mine, setMine] = useState<WorkItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<SavedRecord | null>(null);
  const me = user?.username ?? '';

  const load = useCallback(async () => {
    try {
      const [found, work] = await Promise.all([getRecord(object, recordId), listMyWork({ record: recordId })]);
      setRecord(found);
      setMine(sortWorkItems(work.filter((w) => w.record?.object === object && isMine(w, me))));
      setError(null);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 404
          ? `There is no ${object} ${recordId}, or you may not see it.`
          : message(failure),
      );
    }
  }, [object, recordId, me]);

  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load sets state only once its request answers (after an await), which the rule cannot see
    void load();
  }, [load, changes]);
  useEffect(() => {
    listRecordTypes()
      .then((types) => setType(types.find((t) => t.name === object) ?? null))
      .catch(() => setType(null));
  }, [object]);

  const stepChanged = useCallback(
    (next: Notice | null | undefined) => {
      if (next !== undefined) setNotice(next);
      void load();
    },
    [load],
  );

  // My steps first, each with its run; then the record's other runs, those under way and the newest first.
  const stepRuns = new Set((mine ?? []).map((w) => w.run_id));
  const otherRuns = [...(record?.runs ?? [])]
    .filter((r) => !stepRuns.has(r.id))
    .sort(
      (a, b) =>
        Number(b.status === 'in_progress') - Number(a.status === 'in_progress') ||
        Date.parse(b.started_at ?? '') - Date.parse(a.started_at ?? ''),
    );
  const name = record ? recordName(object, recordId, record.fields) : recordId;
  const fields = type?.fields.map((f) => f.name) ?? [];
  const extra = record ? Object.keys(record.fields).filter((k) => !fields.includes(k)) : [];

  return (
    <main className="page page--wide">
      <Breadcrumbs
        trail={[
          { label: 'Records', to: '/records' },
          { label: type?.label ?? object, to: `/records/${encodeURIComponent(object)}` },
          { label: name },
        ]}
      />
      <h1>{name}</h1>
      {error ? (
        <p role="alert" className="problem">
          {error}
        </p>
      ) : null}
      {record === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {record ? (
        <section className="work-guide" aria-label="Work Guide">
          <h2>Work Guide</h2>
          {notice ? (
            <p role={notice.tone === 'problem' ? 'alert' : 'status'} className={`notice notice--${notice.tone}`}>
              {notice.text}
            </p>
          ) : null}
          {mine?.map((w, i) => (
            // Two steps of mine on one run (parallel steps of a stage): its progress once, under the first.
            <RecordStep
              key={w.id}
              itemId={w.id}
              me={me}
              onChange={stepChanged}
              withProgress={mine.findIndex((o) => o.run_id === w.run_id) === i}
            />
          ))}
          {mine?.length === 0 ? (
            <p data-testid="work-guide-nothing">
              Nothing for you to do on this {type?.label?.toLowerCase() ?? object} now.
            </p>
          ) : null}
          {otherRuns.map((r) => (
            <RecordRun key={r.id} runId={r.id} me={me} onChange={stepChanged} />
          ))}
          {record.runs.length === 0 ? <p className="muted">No orchestration runs on this record.</p> : null}
        </section>
      ) : null}
      {record ? (
        <section aria-label="Record">
          <h2>Details</h2>
          {saved ? (
            <div role="status">
              <p>Saved.</p>
              <StartedRuns saved={saved} />
            </div>
          ) : null}
          {editing && type ? (
            <RecordForm
              type={type}
              initial={record.fields}
              editable={record.editable_fields}
              submitLabel="Save changes"
              onCancel={() => setEditing(false)}
              onSave={async (values) => {
                const changed = Object.fromEntries(
                  Object.entries(values).filter(
                    ([k, v]) =>
                      record.editable_fields.includes(k) && JSON.stringify(v) !== JSON.stringify(record.fields[k]),
                  ),
                );
                setSaved(await updateRecord(object, recordId, changed));
                setEditing(false);
                await load();
              }}
            />
          ) : (
            <>
              <dl className="record-fields">
                {[...fields, ...extra].map((k) => (
                  <div key={k}>
                    <dt>{fieldLabel(type?.fields.find((f) => f.name === k) ?? { name: k })}</dt>
                    <dd>{display(record.fields[k])}</dd>
                  </div>
                ))}
                <div>
                  <dt>Owner</dt>
                  <dd>{record.owner ? nameOf('user', record.owner) : ''}</dd>
                </div>
                <div>
                  <dt>Updated</dt>
                  <dd>
                    {new Date(record.updated_at).toLocaleString()} (revision {record.revision})
                  </dd>
                </div>
              </dl>
              {type && record.editable_fields.length > 0 ? (
                <button
                  type="button"
                  onClick={() => {
                    setEditing(true);
                    setSaved(null);
                  }}
                >
                  Edit
                </button>
              ) : (
                <p className="muted" data-testid="record-read-only">
                  Read only: its owner, admins and whoever has an open step on it change this{' '}
                  {type?.label?.toLowerCase() ?? object}.
                </p>
              )}
            </>
          )}
        </section>
      ) : null}
    </main>
  );
}

/** One of my steps on the record: its orchestration, the step (form and all), its run's progress. */
function RecordStep({
  itemId,
  me,
  onChange,
  withProgress,
}: {
  itemId: string;
  me: string;
  onChange: (notice: Notice | null | undefined) => void;
  withProgress: boolean;
}) {
  const step = useWorkStep(itemId, me, onChange);
  const { run, progress } = useRunProgress(step.item?.run_id ?? null, step.onRunEvents);
  const item = step.item;
  if (!item) return null;
  const orchestration = run?.label ?? item.context?.run.label ?? item.orchestration;
  return (
    <section className="work-guide__run" aria-label={`${orchestration}: ${stepLabel(item)}`}>
      <p className="work-guide__orchestration muted">
        {orchestration} · <Link to={itemPath(item.id)}>Open this step on its own</Link>
      </p>
      <WorkGuideStep step={step} heading={`Your step now: ${stepLabel(item)}`} notices={false} />
      {withProgress && progress && run ? <RunProgress title={`${run.label}: progress`} progress={progress} /> : null}
    </section>
  );
}

/** A run on the record with nothing for me to do: where it stands, and who has the ball. */
function RecordRun({ runId, me, onChange }: { runId: string; me: string; onChange: (notice: undefined) => void }) {
  const { run, progress } = useRunProgress(runId, () => onChange(undefined));
  if (!run || !progress) return null;
  const waiting = run.work_items.filter((w) => w.status === 'open' || w.status === 'claimed');
  return (
    <div className="work-guide__run">
      <RunProgress title={`${run.label}: progress`} progress={progress} />
      {waiting.length > 0 ? (
        <p className="muted" data-testid="work-guide-waiting">
          Waiting for{' '}
          {waiting
            .map(
              (w) =>
                `${w.claimed_by ? personName(w.claimed_by, w.claimed_by_name, me) : assignedTo(w, me)} (${w.label})`,
            )
            .join(', ')}
          .
        </p>
      ) : null}
    </div>
  );
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { useParams } from 'react-router';

import { Breadcrumbs } from '../components/breadcrumbs';
import { RecordForm } from '../components/record-form';
import { RunProgress } from '../components/run-progress';
import { StartedRuns } from '../components/started-runs';
import { WorkForm } from '../components/work-form';
import { useRunUpdates } from '../hooks/use-run-updates';
import { ApiError, claimWorkItem, completeWorkItem, getRecord, getRunProgress, getVersion, getWorkItem, listMyWork, listRecordTypes, updateRecord } from '../lib/api';
import type { OrchestrationDocument } from '../lib/document-schema';
import { fieldLabel } from '../lib/record-values';
import { isMine, progressOf, recordName, serverFieldErrors, sortWorkItems } from '../lib/work-guide';
import type { RecordDetail, RecordType, Run, SavedRecord, WorkItemDetail } from '../lib/work-schemas';
import { useInboxStore } from '../store/inbox-store';
import { useSessionStore } from '../store/session-store';
import { display } from './records-page';

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));
type Notice = { tone: 'done' | 'problem'; text: string };

/** `/records/<object>/<id>`: the record, and on top the Work Guide — my step on it now, and where its run stands. */
export function RecordPage() {
  const { object = '', recordId = '' } = useParams();
  const user = useSessionStore((s) => s.user);
  const changes = useInboxStore((s) => s.changes);
  const [record, setRecord] = useState<RecordDetail | null>(null);
  const [type, setType] = useState<RecordType | null>(null);
  const [item, setItem] = useState<WorkItemDetail | null | undefined>(undefined);
  const [run, setRun] = useState<Run | null>(null);
  const [documents, setDocuments] = useState<Record<string, OrchestrationDocument>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<SavedRecord | null>(null);
  const shownItem = useRef<string | null>(null);
  const me = user?.username ?? '';

  const load = useCallback(async () => {
    try {
      const [found, work] = await Promise.all([getRecord(object, recordId), listMyWork()]);
      setRecord(found);
      const mine = sortWorkItems(work.filter((w) => w.record?.id === recordId && isMine(w, me)));
      const detail = mine[0] ? await getWorkItem(mine[0].id) : null;
      setItem(detail);
      shownItem.current = detail?.id ?? null;
      const runs = [...found.runs].sort((a, b) => Date.parse(b.started_at ?? '') - Date.parse(a.started_at ?? ''));
      const runId = detail?.run_id ?? runs.find((r) => r.status === 'in_progress')?.id ?? runs[0]?.id;
      setRun(runId ? await getRunProgress(runId) : null);
      setError(null);
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 404 ? `There is no ${object} ${recordId}, or you may not see it.` : message(failure));
    }
  }, [object, recordId, me]);

  useEffect(() => { void load(); }, [load, changes]);
  useEffect(() => {
    listRecordTypes().then((types) => setType(types.find((t) => t.name === object) ?? null)).catch(() => setType(null));
  }, [object]);
  const versionKey = run ? `${run.orchestration}/${run.version}` : null;
  useEffect(() => {
    if (!run || !versionKey || versionKey in documents) return;
    getVersion(run.orchestration, run.version)
      .then((v) => setDocuments((d) => ({ ...d, [versionKey]: v.document })))
      .catch(() => undefined); // progress then shows no "next"
  }, [run, versionKey, documents]);

  useRunUpdates(run?.id ?? null, (events) => {
    const taken = events.find((e) => e.type === 'work_item.completed' && e.data?.work_item === shownItem.current && e.by !== me);
    if (taken) setNotice({ tone: 'problem', text: `${taken.by ?? 'Someone else'} completed this step meanwhile; there is nothing more for you to do on it.` });
    void load();
  });

  const complete = async (outcome: string, values: Record<string, unknown>, comment: string | null) => {
    if (!item) return;
    setBusy(true);
    setFieldErrors({});
    try {
      const done = await completeWorkItem(item.id, { outcome, values, comment });
      const label = item.form.outcomes.find((o) => o.value === done.outcome)?.label ?? done.outcome;
      setNotice({ tone: 'done', text: `Done: ${item.label} — ${label}.` });
      shownItem.current = null;
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409) {
        const now = await getWorkItem(item.id).catch(() => null);
        setNotice({ tone: 'problem', text: now?.completed_by
          ? `${now.completed_by} completed this step meanwhile (${item.form.outcomes.find((o) => o.value === now.outcome)?.label ?? now.outcome ?? 'done'}); your answer was not recorded.`
          : now?.claimed_by && now.claimed_by !== me
            ? `${now.claimed_by} has claimed this step meanwhile; your answer was not recorded.`
            : `This step changed meanwhile and your answer was not recorded: ${failure.message}` });
      } else if (failure instanceof ApiError && failure.status === 422) {
        setFieldErrors(serverFieldErrors(failure.details));
        setNotice({ tone: 'problem', text: failure.message });
      } else {
        setNotice({ tone: 'problem', text: message(failure) });
      }
    } finally {
      setBusy(false);
      await load();
    }
  };

  const claim = async (take: boolean) => {
    if (!item) return;
    try { await claimWorkItem(item.id, take); } catch (failure) { setNotice({ tone: 'problem', text: message(failure) }); }
    await load();
  };

  const name = record ? recordName(object, recordId, record.fields) : recordId;
  const document = versionKey ? documents[versionKey] ?? null : null;
  const fields = type?.fields.map((f) => f.name) ?? [];
  const extra = record ? Object.keys(record.fields).filter((k) => !fields.includes(k)) : [];

  return (
    <main className="page page--wide">
      <Breadcrumbs trail={[
        { label: 'Records', to: '/records' },
        { label: type?.label ?? object, to: `/records/${encodeURIComponent(object)}` },
        { label: name },
      ]} />
      <h1>{name}</h1>
      {error ? <p role="alert" className="problem">{error}</p> : null}
      {record === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {record ? (
        <section className="work-guide" aria-label="Work Guide">
          <h2>Work Guide</h2>
          {notice ? <p role={notice.tone === 'problem' ? 'alert' : 'status'} className={`notice notice--${notice.tone}`}>{notice.text}</p> : null}
          {item ? (
            <div className="work-guide__step" data-testid="work-guide-step">
              <h3>Your step now: {item.step_label ?? item.label}</h3>
              <p className="muted">
                {item.assignee.type === 'user' ? 'Assigned to you' : `For ${item.assignee.type} ${item.assignee.value}`}
                {item.claimed_by ? ` · claimed by ${item.claimed_by === me ? 'you' : item.claimed_by}` : ''}
                {item.due_at ? ` · due ${new Date(item.due_at).toLocaleString()}` : ''}
                {item.overdue ? ' · ' : ''}{item.overdue ? <span className="tag tag--overdue">Overdue</span> : null}
                {item.assignee.type !== 'user' && item.status === 'open' ? <> · <button type="button" className="link" onClick={() => void claim(true)}>Claim it</button></> : null}
                {item.assignee.type !== 'user' && item.claimed_by === me ? <> · <button type="button" className="link" onClick={() => void claim(false)}>Release it</button></> : null}
              </p>
              <WorkForm key={item.id} form={item.form} busy={busy} serverErrors={fieldErrors} onSubmit={(o, v, c) => void complete(o, v, c)} />
            </div>
          ) : item === null ? (
            <p data-testid="work-guide-nothing">
              Nothing for you to do on this {type?.label?.toLowerCase() ?? object} now.
              {run && run.work_items.length > 0 ? ` Waiting for ${run.work_items.map((w) => `${w.assignee.type === 'user' ? '' : `${w.assignee.type} `}${w.claimed_by ?? w.assignee.value} (${w.label})`).join(', ')}.` : ''}
            </p>
          ) : null}
          {run ? <RunProgress title={`${run.label}: progress`} progress={progressOf(run, document)} /> : <p className="muted">No orchestration runs on this record.</p>}
        </section>
      ) : null}
      {record ? (
        <section aria-label="Record">
          <h2>Details</h2>
          {saved ? <div role="status"><p>Saved.</p><StartedRuns saved={saved} /></div> : null}
          {editing && type ? (
            <RecordForm type={type} initial={record.fields} submitLabel="Save changes" onCancel={() => setEditing(false)}
              onSave={async (values) => {
                const changed = Object.fromEntries(Object.entries(values).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(record.fields[k])));
                setSaved(await updateRecord(object, recordId, changed));
                setEditing(false);
                await load();
              }} />
          ) : (
            <>
              <dl className="record-fields">
                {[...fields, ...extra].map((k) => (
                  <div key={k}><dt>{fieldLabel(type?.fields.find((f) => f.name === k) ?? { name: k })}</dt><dd>{display(record.fields[k])}</dd></div>
                ))}
                <div><dt>Owner</dt><dd>{record.owner ?? ''}</dd></div>
                <div><dt>Updated</dt><dd>{new Date(record.updated_at).toLocaleString()} (revision {record.revision})</dd></div>
              </dl>
              {type ? <button type="button" onClick={() => { setEditing(true); setSaved(null); }}>Edit</button> : null}
            </>
          )}
        </section>
      ) : null}
    </main>
  );
}

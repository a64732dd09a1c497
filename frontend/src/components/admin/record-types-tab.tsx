/** Record types: their fields, and the orchestrations a save of each starts. */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';

import { listAdminRecordTypes } from '../../lib/admin-api';
import type { AdminRecordType } from '../../lib/admin-schemas';
import { fieldLabel } from '../../lib/record-values';
import { useDirectoryStore } from '../../store/directory-store';
import { AdminMessages } from './admin-table';
import { failureMessage } from './form-field';
import { RecordTypeEditor } from './record-type-editor';

/** "on create or update, when record.status == 'submitted'". */
export function triggerWhen(on: string[], condition: string | null): string {
  const saves = on.length > 0 ? `on ${on.join(' or ')}` : 'on every save';
  return condition ? `${saves}, when ${condition}` : saves;
}

export function RecordTypesTab() {
  const [types, setTypes] = useState<AdminRecordType[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    listAdminRecordTypes()
      .then(setTypes)
      .catch((f: unknown) => setError(failureMessage(f)));
  }, []);

  return (
    <>
      <AdminMessages error={error} />
      {types === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {types?.length === 0 ? <p>No record types yet.</p> : null}
      {types?.map((t) => (
        <section key={t.name} className="admin-card" aria-labelledby={`type-${t.name}`} data-record-type={t.name}>
          <h3 id={`type-${t.name}`}>
            {t.label} <span className="muted mono">{t.name}</span>
          </h3>
          {editing === t.name ? (
            <RecordTypeEditor
              type={t}
              onCancel={() => setEditing(null)}
              onSaved={(next) => {
                setTypes((all) => all?.map((x) => (x.name === next.name ? next : x)) ?? null);
                setEditing(null);
                setSaved(next.name);
                // The builder's pick lists and condition suggestions load the types again.
                useDirectoryStore.getState().forget();
              }}
            />
          ) : (
            <>
              <table className="work-table admin-table">
                <caption className="visually-hidden">Fields of {t.label}</caption>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Required</th>
                    <th scope="col">Options</th>
                  </tr>
                </thead>
                <tbody>
                  {t.fields.map((f) => (
                    <tr key={f.name}>
                      <td>{fieldLabel(f)}</td>
                      <td className="mono">{f.name}</td>
                      <td>{f.type}</td>
                      <td>{f.required ? 'Required' : ''}</td>
                      <td>{f.options ? f.options.join(', ') : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {saved === t.name ? (
                <p className="muted" role="status">
                  Saved.
                </p>
              ) : null}
              <button
                type="button"
                onClick={() => {
                  setEditing(t.name);
                  setSaved(null);
                }}
              >
                Edit fields of {t.label}
              </button>
            </>
          )}
          <h4>Starts</h4>
          {t.triggers.length === 0 ? (
            <p className="muted">No active orchestration starts on these records.</p>
          ) : (
            <ul className="admin-triggers">
              {t.triggers.map((tr) => (
                <li key={tr.orchestration}>
                  <Link to={`/builder/${encodeURIComponent(tr.orchestration)}`}>{tr.label}</Link>{' '}
                  <span className="muted">
                    (version {tr.version}) {triggerWhen(tr.on, tr.condition)}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </>
  );
}

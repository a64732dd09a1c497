/** Record types: their fields, and the orchestrations a save of each starts. */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';

import { listAdminRecordTypes } from '../../lib/admin-api';
import type { AdminRecordType } from '../../lib/admin-schemas';
import { fieldLabel } from '../../lib/record-values';
import { failureMessage } from './form-field';

/** "on create or update, when record.status == 'submitted'". */
export function triggerWhen(on: string[], condition: string | null): string {
  const saves = on.length > 0 ? `on ${on.join(' or ')}` : 'on every save';
  return condition ? `${saves}, when ${condition}` : saves;
}

export function RecordTypesTab() {
  const [types, setTypes] = useState<AdminRecordType[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listAdminRecordTypes().then(setTypes).catch((f: unknown) => setError(failureMessage(f)));
  }, []);

  return (
    <>
      {error ? <p className="problem" role="alert">{error}</p> : null}
      {types === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {types?.length === 0 ? <p>No record types yet.</p> : null}
      {types?.map((t) => (
        <section key={t.name} className="admin-card" aria-labelledby={`type-${t.name}`} data-record-type={t.name}>
          <h3 id={`type-${t.name}`}>{t.label} <span className="muted mono">{t.name}</span></h3>
          <table className="work-table admin-table">
            <caption className="visually-hidden">Fields of {t.label}</caption>
            <thead><tr><th scope="col">Field</th><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Required</th></tr></thead>
            <tbody>
              {t.fields.map((f) => (
                <tr key={f.name}><td>{fieldLabel(f)}</td><td className="mono">{f.name}</td><td>{f.type}</td><td>{f.required ? 'Required' : ''}</td></tr>
              ))}
            </tbody>
          </table>
          <h4>Starts</h4>
          {t.triggers.length === 0 ? <p className="muted">No active orchestration starts on these records.</p> : (
            <ul className="admin-triggers">
              {t.triggers.map((tr) => (
                <li key={tr.orchestration}>
                  <Link to={`/builder/${encodeURIComponent(tr.orchestration)}`}>{tr.label}</Link>{' '}
                  <span className="muted">(version {tr.version}) {triggerWhen(tr.on, tr.condition)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </>
  );
}

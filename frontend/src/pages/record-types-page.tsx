import { useEffect, useState } from 'react';
import { Link } from 'react-router';

import { listRecordTypes } from '../lib/api';
import { fieldLabel } from '../lib/record-values';
import type { RecordType } from '../lib/work-schemas';

/** `/records`: the record types, each opening its records. */
export function RecordTypesPage() {
  const [types, setTypes] = useState<RecordType[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    listRecordTypes().then(setTypes, (failure: unknown) =>
      setError(failure instanceof Error ? failure.message : String(failure)),
    );
  }, []);

  return (
    <main className="page">
      <h1>Records</h1>
      {error ? (
        <p role="alert" className="problem">
          {error}
        </p>
      ) : null}
      {types === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {types?.length === 0 ? <p>There are no record types yet.</p> : null}
      <ul className="orchestrations">
        {types?.map((t) => (
          <li key={t.name}>
            <Link to={`/records/${encodeURIComponent(t.name)}`}>{t.label ?? t.name}</Link>{' '}
            <span className="muted">
              {t.fields
                .slice(0, 4)
                .map((f) => fieldLabel(f))
                .join(' · ')}
            </span>
          </li>
        ))}
      </ul>
    </main>
  );
}

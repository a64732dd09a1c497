import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';

import { Breadcrumbs } from '../components/breadcrumbs';
import { RecordForm } from '../components/record-form';
import { StartedRuns } from '../components/started-runs';
import { createRecord, listRecords, listRecordTypes } from '../lib/api';
import { useNameOf } from '../hooks/use-people';
import { useOnChange } from '../hooks/use-on-change';
import { display, fieldLabel } from '../lib/record-values';
import { recordName } from '../lib/work-guide';
import type { OvRecord, RecordType, SavedRecord } from '../lib/work-schemas';

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));

/** `/records/<object>`: the records of a type I may see, newest first, and a form to create one. */
export function RecordsPage() {
  const { object = '' } = useParams();
  const nameOf = useNameOf();
  const [type, setType] = useState<RecordType | null | undefined>(undefined);
  const [records, setRecords] = useState<OvRecord[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [saved, setSaved] = useState<SavedRecord | null>(null);

  const load = useCallback(
    (after: string | null) => {
      listRecords(object, after)
        .then((page) => {
          setRecords((before) => (after ? [...(before ?? []), ...page.items] : page.items));
          setCursor(page.next_cursor);
        })
        .catch((failure: unknown) => setError(message(failure)));
    },
    [object],
  );

  // Another type of record: nothing of the last one's page shows while its own loads.
  useOnChange(object, () => {
    setType(undefined);
    setRecords(null);
    setSaved(null);
    setCreating(false);
    setError(null);
  });

  useEffect(() => {
    listRecordTypes()
      .then((types) => setType(types.find((t) => t.name === object) ?? null))
      .catch((f: unknown) => setError(message(f)));
    load(null);
  }, [object, load]);

  const title = type?.label ?? object;
  const columns = type?.fields.slice(0, 5) ?? [];

  return (
    <main className="page page--wide">
      <Breadcrumbs trail={[{ label: 'Records', to: '/records' }, { label: title }]} />
      <h1>{title}</h1>
      {type === null ? <p role="alert">There is no record type {object}.</p> : null}
      {error ? (
        <p role="alert" className="problem">
          {error}
        </p>
      ) : null}
      {saved ? (
        <div className="saved-record" role="status">
          <p>
            Saved{' '}
            <Link to={`/records/${encodeURIComponent(object)}/${encodeURIComponent(saved.id)}`}>
              {recordName(object, saved.id, saved.fields)}
            </Link>
            .
          </p>
          <StartedRuns saved={saved} />
        </div>
      ) : null}
      {type && creating ? (
        <section aria-label={`New ${title}`}>
          <h2>New {title.toLowerCase()}</h2>
          <RecordForm
            type={type}
            submitLabel={`Create ${title.toLowerCase()}`}
            onCancel={() => setCreating(false)}
            onSave={async (fields) => {
              const result = await createRecord(object, fields);
              setSaved(result);
              setCreating(false);
              load(null);
            }}
          />
        </section>
      ) : type ? (
        <div className="page-actions">
          <button
            type="button"
            className="primary"
            onClick={() => {
              setCreating(true);
              setSaved(null);
            }}
          >
            New {title.toLowerCase()}
          </button>
        </div>
      ) : null}
      {records === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {records?.length === 0 ? <p>No records yet.</p> : null}
      {records && records.length > 0 ? (
        <table className="work-table">
          <thead>
            <tr>
              <th>Record</th>
              {columns.map((c) => (
                <th key={c.name}>{fieldLabel(c)}</th>
              ))}
              <th>Owner</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/records/${encodeURIComponent(object)}/${encodeURIComponent(r.id)}`}>
                    {recordName(object, r.id, r.fields)}
                  </Link>
                </td>
                {columns.map((c) => (
                  <td key={c.name}>{display(r.fields[c.name])}</td>
                ))}
                <td>{r.owner ? nameOf('user', r.owner) : ''}</td>
                <td>{new Date(r.updated_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => load(cursor)}>
          Show more
        </button>
      ) : null}
    </main>
  );
}

/** A migration's dry-run report: the summary line, reasons grouped with counts, notes, and each run with every reason. */
import { useState } from 'react';
import { Link } from 'react-router';

import { countedMessage, placeLabel, runName, type DryRun, type MigrationNode } from '../lib/migration';
import { STATUS_LABELS } from './runs-list';

/** Reasons the mapping can answer: the node is gone or changed kind. */
const MAPPABLE = new Set(['removed', 'type_changed']);

export function MigrationReport({
  report,
  nodes,
  onMap,
}: {
  report: DryRun;
  nodes: MigrationNode[];
  /** Back to the mapping, offered next to the reasons a mapping answers. */
  onMap?: () => void;
}) {
  const [onlyRefused, setOnlyRefused] = useState(false);
  const names = new Map(report.runs.map((r) => [r.run_id, runName(r)]));
  const shown = onlyRefused ? report.runs.filter((r) => !r.movable) : report.runs;
  return (
    <section className="migration-report" aria-labelledby="report-title">
      <h2 id="report-title">Dry run</h2>
      <p className="migration-report__summary" role="status" data-testid="dry-run-summary">
        {report.summary}
      </p>
      <p className="muted">
        {report.total.toLocaleString('en')} run{report.total === 1 ? '' : 's'} on version
        {report.sources.length === 1 ? '' : 's'} {report.sources.join(', ') || '—'}; nothing has been changed yet.
      </p>
      {report.groups.length > 0 ? (
        <>
          <h3>Why runs cannot move</h3>
          <ul className="migration-report__groups" data-testid="refusal-groups">
            {report.groups.map((g) => (
              <li key={`${g.code}-${g.node ?? ''}-${g.message}`}>
                <strong>{countedMessage(g.count, g.message)}</strong>
                {g.runs && g.runs.length ? (
                  <>
                    {' '}
                    — for example{' '}
                    {g.runs.map((id, i) => (
                      <span key={id}>
                        {i > 0 ? ', ' : ''}
                        <Link to={`/runs/${id}`}>{g.names?.[i] ?? names.get(id) ?? id.slice(0, 8)}</Link>
                      </span>
                    ))}
                  </>
                ) : null}
                {onMap && MAPPABLE.has(g.code) ? (
                  <>
                    {' '}
                    <button type="button" className="link" onClick={onMap}>
                      Map it
                    </button>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {report.notes.length > 0 ? (
        <>
          <h3>What changes on the way</h3>
          <ul className="migration-report__notes" data-testid="migration-notes">
            {report.notes.map((n) => (
              <li key={n.message}>
                {n.message} ({n.count.toLocaleString('en')} run{n.count === 1 ? '' : 's'})
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>Run by run</h3>
      {report.runs.length === 0 ? (
        <p>No run matches this plan.</p>
      ) : (
        <>
          <label className="migration-report__only">
            <input type="checkbox" checked={onlyRefused} onChange={(e) => setOnlyRefused(e.target.checked)} /> Only the
            runs that cannot move
          </label>
          <table className="runs__table migration-report__runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Version</th>
                <th scope="col">Sits on</th>
                <th scope="col">Status</th>
                <th scope="col">Can move</th>
                <th scope="col">Why not / what changes</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.run_id} className={r.movable ? undefined : 'migration-report__refused'}>
                  <td>
                    <Link to={`/runs/${r.run_id}`}>{runName(r)}</Link>
                  </td>
                  <td>{r.version}</td>
                  <td>{placeLabel(r.at, r.at_label, nodes)}</td>
                  <td>{STATUS_LABELS[r.status] ?? r.status}</td>
                  <td>{r.movable ? 'Yes' : <strong>No</strong>}</td>
                  <td>
                    {r.reasons.length || r.notes.length ? (
                      <ul>
                        {r.reasons.map((reason) => (
                          <li key={`${reason.code}-${reason.message}`} className="migration-report__reason">
                            {reason.message}
                          </li>
                        ))}
                        {r.notes.map((note) => (
                          <li key={note} className="muted">
                            {note}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.runs_truncated ? (
            <p className="muted">
              Only the first {report.runs.length} runs are listed; the counts above cover all of them.
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}

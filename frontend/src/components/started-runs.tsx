import { Link } from 'react-router';

import type { SavedRecord } from '../lib/work-schemas';

/** The record-triggered runs a save started: links to each run, named by its orchestration's label. */
export function StartedRuns({ saved }: { saved: SavedRecord }) {
  // `started` names them; an older server sent the ids alone.
  const runs = saved.started ?? saved.started_runs.map((id) => ({ id, orchestration: '', label: 'A run' }));
  if (runs.length === 0)
    return (
      <p className="muted" data-testid="started-runs">
        No orchestration started.
      </p>
    );
  return (
    <p data-testid="started-runs">
      Started:{' '}
      {runs.map((run, i) => (
        <span key={run.id}>
          {i > 0 ? ', ' : ''}
          <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.label}</Link>{' '}
          <span className="muted mono">(run {run.id.slice(0, 8)})</span>
        </span>
      ))}
    </p>
  );
}

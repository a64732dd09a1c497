import { useEffect, useState } from 'react';

import { getRunProgress } from '../lib/api';

/** The record-triggered runs a save started, by the name of their orchestration. */
export function StartedRuns({ runIds }: { runIds: string[] }) {
  const [labels, setLabels] = useState<Record<string, string>>({});
  useEffect(() => {
    for (const id of runIds) {
      getRunProgress(id).then((run) => setLabels((l) => ({ ...l, [id]: run.label }))).catch(() => undefined);
    }
  }, [runIds]);
  if (runIds.length === 0) return <p className="muted" data-testid="started-runs">No orchestration started.</p>;
  return (
    <p data-testid="started-runs">
      Started: {runIds.map((id, i) => (
        <span key={id}>{i > 0 ? ', ' : ''}<strong>{labels[id] ?? 'an orchestration'}</strong> <span className="muted mono">(run {id.slice(0, 8)})</span></span>
      ))}
    </p>
  );
}

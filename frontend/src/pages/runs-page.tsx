import '../monitor.css';

import { useSearchParams } from 'react-router';

import { MigrationAction } from '../components/migration-action';
import { RunsList } from '../components/runs-list';
import { may } from '../lib/permissions';
import { useSessionStore } from '../store/session-store';

/** /runs: every run the caller may see, with the filters in the URL (`?orchestration=&status=...`). */
export function RunsPage() {
  const everyone = may(
    useSessionStore((s) => s.user?.role),
    'controlRuns',
  );
  const [params] = useSearchParams();
  const orchestration = params.get('orchestration');
  return (
    <main className="page page--wide">
      <h1>{everyone ? 'Runs' : 'My runs'}</h1>
      {everyone ? null : (
        <p className="muted">The runs you started, that concern your records, or that you have work in.</p>
      )}
      {everyone && orchestration ? <MigrationAction orchestration={orchestration} /> : null}
      {everyone && !orchestration ? (
        <p className="muted">To move the runs of an orchestration to a newer version, choose it under Orchestration.</p>
      ) : null}
      <RunsList titled={false} />
    </main>
  );
}

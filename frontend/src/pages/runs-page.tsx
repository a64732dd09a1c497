import '../monitor.css';
import { useEffect, useState } from 'react';

import { RunsList } from '../components/runs-list';
import { listOrchestrations } from '../lib/api';
import type { OrchestrationSummary } from '../lib/api-schemas';

/** /runs: every run the caller may see, with the filters in the URL (`?orchestration=&status=...`). */
export function RunsPage() {
  const [orchestrations, setOrchestrations] = useState<OrchestrationSummary[]>([]);
  useEffect(() => {
    listOrchestrations().then((page) => setOrchestrations(page.items), () => setOrchestrations([]));
  }, []);
  return (
    <main className="page page--wide">
      <h1>Runs</h1>
      <RunsList orchestrations={orchestrations} />
    </main>
  );
}

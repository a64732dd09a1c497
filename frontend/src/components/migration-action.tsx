/**
 * "Move runs to version M…": on the runs list (one orchestration chosen) and the monitor,
 * for admins and ops, when runs that have not ended sit on versions other than the active one.
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';

import { getOrchestration } from '../lib/api';
import type { Orchestration } from '../lib/api-schemas';
import { versionsWithLiveRuns } from '../lib/migration-api';
import { may } from '../lib/permissions';
import { useSessionStore } from '../store/session-store';

export function migratePath(key: string): string {
  return `/orchestrations/${encodeURIComponent(key)}/migrate`;
}

export function MigrationAction({
  orchestration: key,
  known,
}: {
  orchestration: string;
  known?: Orchestration | null;
}) {
  const allowed = may(
    useSessionStore((s) => s.user?.role),
    'controlRuns',
  );
  const [found, setFound] = useState<{ key: string; target: number; older: number[] } | null>(null);

  useEffect(() => {
    if (!allowed || !key) return;
    let cancelled = false;
    (async () => {
      const orchestration = known && known.key === key ? known : await getOrchestration(key);
      const target = orchestration.active_version;
      if (target === null) return;
      const older = await versionsWithLiveRuns(orchestration, target);
      if (!cancelled) setFound({ key, target, older });
    })().catch(() => undefined); // no action offered when it cannot be worked out
    return () => {
      cancelled = true;
    };
  }, [allowed, key, known]);

  if (!allowed || !found || found.key !== key || found.older.length === 0) return null;
  const versions = found.older.join(', ');
  return (
    <p className="migration-action" data-testid="migration-action">
      <Link to={migratePath(key)} className="button">
        Move runs to version {found.target}…
      </Link>{' '}
      <span className="muted">
        Some runs are still on version{found.older.length > 1 ? 's' : ''} {versions}.
      </span>
    </p>
  );
}

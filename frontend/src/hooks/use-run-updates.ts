import { useEffect, useEffectEvent } from 'react';

import type { RunEvent } from '../lib/run-events';
import { watchRun } from '../lib/run-socket';

/**
 * Calls `onEvents` with the run's events from `/ws/runs/<id>` (builder/LIVE.md): the
 * history (on joining, and again after a drop) and each new batch, through the page's
 * one socket for that run (lib/run-socket.ts). Unlike `useRunStream` (the run detail's
 * whole log), it keeps nothing: the Work Guide only needs to know when to read the run again.
 */
export function useRunUpdates(runId: string | null, onEvents: (events: RunEvent[]) => void): void {
  // The latest `onEvents`, without joining the socket again whenever the page passes a new one.
  const deliver = useEffectEvent((events: RunEvent[]) => onEvents(events));

  useEffect(() => {
    if (!runId || typeof WebSocket === 'undefined') return;
    // The history too: whatever happened between the page's read and the socket
    // (a colleague completing the step) is in it, and would otherwise go unseen.
    return watchRun(runId, { onEvents: (events) => deliver(events) });
  }, [runId]);
}

/**
 * One run's events: the log over HTTP first, then live from /ws/runs/<id> (history,
 * then each new batch) through the page's one socket for that run (lib/run-socket.ts).
 * Events are kept in seq order, none twice, across reconnects.
 */
import { useCallback, useEffect, useState } from 'react';

import { getRunEvents } from '../lib/api';
import { addEvents, type RunEvent } from '../lib/run-events';
import { watchRun } from '../lib/run-socket';
import { useOnChange } from './use-on-change';

export function useRunStream(runId: string): { events: RunEvent[]; error: string | null; live: boolean } {
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const add = useCallback((incoming: RunEvent[]) => setEvents((held) => addEvents(held, incoming)), []);

  // Another run: its log starts empty, not with the last one's events.
  useOnChange(runId, () => setEvents([]));

  useEffect(() => {
    getRunEvents(runId).then(add, (failure: unknown) =>
      setError(failure instanceof Error ? failure.message : String(failure)),
    );
    if (typeof WebSocket === 'undefined') return;
    return watchRun(runId, { onEvents: add, onLive: setLive });
  }, [runId, add]);

  return { events, error, live };
}

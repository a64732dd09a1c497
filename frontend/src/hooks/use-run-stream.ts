/**
 * One run's events: the log over HTTP first, then live from /ws/runs/<id> (history,
 * then each new batch). Events are kept in seq order, none twice, across reconnects.
 */
import { useCallback, useEffect, useState } from 'react';

import { getRunEvents } from '../lib/api';
import { addEvents, runStreamMessageSchema, type RunEvent } from '../lib/run-events';

const RETRY_MS = 1000;

export function useRunStream(runId: string): { events: RunEvent[]; error: string | null; live: boolean } {
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const add = useCallback((incoming: RunEvent[]) => setEvents((held) => addEvents(held, incoming)), []);

  useEffect(() => {
    setEvents([]);
    let stopped = false;
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    getRunEvents(runId).then(add, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
    const open = () => {
      const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
      socket = new WebSocket(`${scheme}://${window.location.host}/ws/runs/${encodeURIComponent(runId)}`);
      socket.onopen = () => setLive(true);
      socket.onmessage = (message) => {
        let payload: unknown = null;
        try {
          payload = typeof message.data === 'string' ? JSON.parse(message.data) : null;
        } catch {
          return;
        }
        const parsed = runStreamMessageSchema.safeParse(payload);
        if (parsed.success) add(parsed.data.events);
      };
      socket.onclose = () => {
        setLive(false);
        if (!stopped) timer = setTimeout(open, RETRY_MS);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, [runId, add]);

  return { events, error, live };
}

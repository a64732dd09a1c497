import { useEffect, useRef } from 'react';

import { runStreamMessageSchema, type RunEvent } from '../lib/run-events';

/**
 * Calls `onEvents` with the run's events from `/ws/runs/<id>` (builder/LIVE.md): the
 * history sent first (on every connect, so also after a drop) and each new batch.
 * Unlike
 * `useRunStream` (the run detail's whole log), it keeps nothing: the Work Guide only
 * needs to know when to read the run again.
 */
export function useRunUpdates(runId: string | null, onEvents: (events: RunEvent[]) => void): void {
  const callback = useRef(onEvents);
  callback.current = onEvents;

  useEffect(() => {
    if (!runId || typeof WebSocket === 'undefined') return;
    let stopped = false;
    let socket: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let delay = 1000;
    const open = () => {
      const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
      socket = new WebSocket(`${scheme}://${window.location.host}/ws/runs/${encodeURIComponent(runId)}`);
      socket.onmessage = (event) => {
        let data: unknown;
        try { data = JSON.parse(String(event.data)); } catch { return; }
        const message = runStreamMessageSchema.safeParse(data);
        if (!message.success) return;
        delay = 1000;
        // The history too: whatever happened between the page's read and this socket
        // (a colleague completing the step) is in it, and would otherwise go unseen.
        callback.current(message.data.events);
      };
      socket.onclose = () => {
        if (stopped) return;
        retry = setTimeout(open, delay);
        delay = Math.min(delay * 2, 30_000);
      };
    };
    open();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      socket?.close();
    };
  }, [runId]);
}

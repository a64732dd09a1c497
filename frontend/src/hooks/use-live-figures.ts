/**
 * Keeps the overlay store filled from /ws/live (builder/LIVE.md) for one
 * orchestration, version and window. A dropped stream is opened again with
 * `?after=<seq>` of the last message held, so nothing is missed or counted twice.
 */
import { useEffect, useState } from 'react';

import { liveUrl, parseLiveMessage, type LiveWindow } from '../lib/live-figures';
import { useOverlayStore } from '../store/overlay-store';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'refused';

const RETRY_MS = [250, 500, 1000, 2000, 5000];

export function useLiveFigures(orchestration: string, version: number | null, span: LiveWindow): LiveState {
  const [state, setState] = useState<LiveState>('connecting');

  useEffect(() => {
    useOverlayStore.getState().clear();
    let socket: WebSocket | null = null;
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const open = () => {
      const after = useOverlayStore.getState().sequence;
      setState(after === null ? 'connecting' : 'reconnecting');
      socket = new WebSocket(liveUrl(window.location, { orchestration, version, window: span, after }));
      let heard = false;
      socket.onmessage = (event) => {
        const message = typeof event.data === 'string' ? parseLiveMessage(event.data) : null;
        if (!message) return;
        heard = true;
        attempt = 0;
        useOverlayStore.getState().apply(message);
        setState('live');
      };
      socket.onclose = () => {
        if (stopped) return;
        // Keep trying (a restarting server comes back); say "Not live" once it has failed a few times.
        setState(!heard && attempt >= RETRY_MS.length ? 'refused' : 'reconnecting');
        timer = setTimeout(open, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
        attempt += 1;
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
      useOverlayStore.getState().clear();
    };
  }, [orchestration, version, span]);

  return state;
}

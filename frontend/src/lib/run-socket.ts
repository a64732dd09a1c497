/**
 * One `/ws/runs/<id>` socket per run for the whole page (builder/LIVE.md), shared by
 * every view that watches that run: the server caps each person's open sockets
 * (README, Serving and limits), and two views of one run need the same events.
 *
 * A watcher gets the events the socket has brought so far when it joins (the
 * history, as if it had opened its own socket), then each new batch. After a drop the
 * socket reconnects with a growing delay (1 s to 30 s) and the server sends the
 * history again; the socket closes when the last watcher leaves.
 */
import { addEvents, runStreamMessageSchema, type RunEvent } from './run-events';

export type RunWatcher = {
  onEvents: (events: RunEvent[]) => void;
  /** Whether the socket is open, on joining and at each change. */
  onLive?: (live: boolean) => void;
};

type Channel = {
  socket: WebSocket | null;
  watchers: Set<RunWatcher>;
  events: RunEvent[];
  live: boolean;
  retry: ReturnType<typeof setTimeout> | null;
  delay: number;
};

const channels = new Map<string, Channel>();

function open(runId: string, channel: Channel): void {
  channel.retry = null;
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${window.location.host}/ws/runs/${encodeURIComponent(runId)}`);
  channel.socket = socket;
  const setLive = (live: boolean) => {
    channel.live = live;
    channel.watchers.forEach((w) => w.onLive?.(live));
  };
  socket.onopen = () => setLive(true);
  socket.onmessage = (message) => {
    let data: unknown;
    try {
      data = JSON.parse(String(message.data));
    } catch {
      return;
    }
    const parsed = runStreamMessageSchema.safeParse(data);
    if (!parsed.success) return;
    channel.delay = 1000;
    channel.events = addEvents(channel.events, parsed.data.events);
    channel.watchers.forEach((w) => w.onEvents(parsed.data.events));
  };
  socket.onclose = () => {
    if (channel.socket !== socket) return;
    channel.socket = null;
    setLive(false);
    if (channel.watchers.size === 0 || channels.get(runId) !== channel) return;
    channel.retry = setTimeout(() => open(runId, channel), channel.delay);
    channel.delay = Math.min(channel.delay * 2, 30_000);
  };
}

/** Watch a run's events; returns the function that stops watching. */
export function watchRun(runId: string, watcher: RunWatcher): () => void {
  let channel = channels.get(runId);
  if (!channel) {
    channel = { socket: null, watchers: new Set(), events: [], live: false, retry: null, delay: 1000 };
    channels.set(runId, channel);
    channel.watchers.add(watcher);
    open(runId, channel);
  } else {
    channel.watchers.add(watcher);
    if (channel.events.length > 0) watcher.onEvents(channel.events);
    watcher.onLive?.(channel.live);
  }
  const joined = channel;
  return () => {
    joined.watchers.delete(watcher);
    if (joined.watchers.size > 0) return;
    channels.delete(runId);
    if (joined.retry) clearTimeout(joined.retry);
    const socket = joined.socket;
    joined.socket = null;
    socket?.close();
  };
}

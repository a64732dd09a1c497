/**
 * The signed-in person's inbox, kept live by `/ws/inbox` (builder/LIVE.md): the My work
 * badge's count, and whether the bell has something new. `changes` goes up with every
 * message after the first, so views that list work reload when it moves.
 * The last notification the person has seen is kept in localStorage, per person.
 * The server closes the socket with SESSION_ENDED_CLOSE when the session ends (signed out
 * elsewhere, by an admin, a password change): the app then goes to the sign-in page.
 */
import { create } from 'zustand';

import { inboxMessageSchema } from '../lib/work-schemas';
import { SESSION_ENDED_CLOSE, sessionEnded } from './session-store';

type InboxState = {
  open: number | null;
  overdue: number;
  latestNotificationAt: string | null;
  lastSeenAt: string | null;
  /** When the person chose "Mark all read", in any browser (the server keeps it). */
  readAt: string | null;
  changes: number;
  connected: boolean;
  connect: (user: string) => () => void;
  markSeen: (user: string, at: string | null) => void;
};

const seenKey = (user: string) => `overture.notifications.seen.${user}`;

/** Whether a notification came after the last one seen here and after "Mark all read" (anywhere). */
export function hasUnread(latest: string | null, lastSeen: string | null, readAt: string | null = null): boolean {
  const after = (a: string, b: string | null) => b === null || Date.parse(a) > Date.parse(b);
  return latest !== null && after(latest, lastSeen) && after(latest, readAt);
}

let socket: WebSocket | null = null;
let wanted = 0; // mounted views that show the inbox
let retry: ReturnType<typeof setTimeout> | null = null;
let delay = 1000;

export const useInboxStore = create<InboxState>()((set, get) => {
  const open = () => {
    retry = null;
    if (wanted === 0 || socket || typeof WebSocket === 'undefined') return;
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${window.location.host}/ws/inbox`);
    socket = ws;
    let first = true;
    ws.onmessage = (event) => {
      let data: unknown;
      try {
        data = JSON.parse(String(event.data));
      } catch {
        return;
      }
      const message = inboxMessageSchema.safeParse(data);
      if (!message.success) return;
      delay = 1000;
      set({
        open: message.data.open,
        overdue: message.data.overdue,
        latestNotificationAt: message.data.latest_notification_at,
        readAt: message.data.notifications_read_at ?? null,
        connected: true,
        changes: first ? get().changes : get().changes + 1,
      });
      first = false;
    };
    ws.onclose = (event) => {
      if (socket === ws) socket = null;
      set({ connected: false });
      if (event.code === SESSION_ENDED_CLOSE) {
        sessionEnded('session_ended'); // to the sign-in page, saying why; no reconnecting
        return;
      }
      if (wanted > 0 && retry === null) {
        retry = setTimeout(open, delay);
        delay = Math.min(delay * 2, 30_000);
      }
    };
  };
  return {
    open: null,
    overdue: 0,
    latestNotificationAt: null,
    lastSeenAt: null,
    readAt: null,
    changes: 0,
    connected: false,
    connect: (user) => {
      wanted += 1;
      set({ lastSeenAt: localStorage.getItem(seenKey(user)) });
      open();
      return () => {
        wanted -= 1;
        if (wanted > 0) return;
        // Not at once: the next view usually shows the inbox too (a route change).
        setTimeout(() => {
          if (wanted > 0) return;
          if (retry) clearTimeout(retry);
          retry = null;
          socket?.close();
          socket = null;
        }, 1000);
      };
    },
    markSeen: (user, at) => {
      if (at === null) return;
      localStorage.setItem(seenKey(user), at);
      set({ lastSeenAt: at });
    },
  };
});

/** Who is signed in. The CSRF token lives with the API client (lib/api.ts). */
import { create } from 'zustand';

import { currentSession, onUnauthenticated, setCsrfToken, signIn } from '../lib/api';
import type { User } from '../lib/api-schemas';

type SessionState = {
  /** undefined until the app has asked the server; null when nobody is signed in. */
  user: User | null | undefined;
  /** The session ended under the person (signed out elsewhere, timed out, password changed): the sign-in page says so. */
  ended: boolean;
  check: () => Promise<void>;
  signIn: (username: string, password: string) => Promise<User>;
  forget: () => void;
};

/** The check under way: asking twice at once (the app's start, then RequireSession) asks the server once. */
let checking: Promise<void> | null = null;

export const useSessionStore = create<SessionState>()((set) => ({
  user: undefined,
  ended: false,
  check: () => {
    checking ??= (async () => {
      try {
        const session = await currentSession();
        set({ user: session?.user ?? null });
      } finally {
        checking = null;
      }
    })();
    return checking;
  },
  signIn: async (username, password) => {
    const session = await signIn(username, password);
    set({ user: session.user, ended: false });
    return session.user;
  },
  forget: () => {
    setCsrfToken(null);
    set({ user: null });
  },
}));

/** The close code of a websocket whose session ended (builder/auth.py SESSION_ENDED_CLOSE). */
export const SESSION_ENDED_CLOSE = 4401;

/** Any 401 while someone was signed in (or one saying a session ended) means they no longer are. */
export function sessionEnded(code: string): void {
  const { user } = useSessionStore.getState();
  if (user || code === 'session_ended') {
    setCsrfToken(null);
    useSessionStore.setState({ user: null, ended: true });
  }
}

onUnauthenticated(sessionEnded);

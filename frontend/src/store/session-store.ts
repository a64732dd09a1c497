/** Who is signed in. The CSRF token lives with the API client (lib/api.ts). */
import { create } from 'zustand';

import { currentSession, setCsrfToken, signIn } from '../lib/api';
import type { User } from '../lib/api-schemas';

type SessionState = {
  /** undefined until the app has asked the server; null when nobody is signed in. */
  user: User | null | undefined;
  check: () => Promise<void>;
  signIn: (username: string, password: string) => Promise<User>;
  forget: () => void;
};

/** The check under way: asking twice at once (the app's start, then RequireSession) asks the server once. */
let checking: Promise<void> | null = null;

export const useSessionStore = create<SessionState>()((set) => ({
  user: undefined,
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
    set({ user: session.user });
    return session.user;
  },
  forget: () => {
    setCsrfToken(null);
    set({ user: null });
  },
}));

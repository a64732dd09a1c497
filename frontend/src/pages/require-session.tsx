import { useEffect, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';

import { useSessionStore } from '../store/session-store';

/** Its children for a signed-in person; otherwise the sign-in page (saying so when the session ended), coming back here after. */
export function RequireSession({ children }: { children: ReactNode }) {
  const user = useSessionStore((s) => s.user);
  const check = useSessionStore((s) => s.check);
  const ended = useSessionStore((s) => s.ended);
  const location = useLocation();

  useEffect(() => {
    if (user === undefined) void check().catch(() => useSessionStore.setState({ user: null }));
  }, [user, check]);

  if (user === undefined)
    return (
      <main className="page-message" aria-busy="true">
        Loading…
      </main>
    );
  if (user === null) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}${ended ? '&ended=1' : ''}`} replace />;
  }
  return children;
}

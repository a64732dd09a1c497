import { useEffect } from 'react';
import { Link, useLocation } from 'react-router';

import { AppShell } from '../components/app-shell';
import { useSessionStore } from '../store/session-store';

function NotFound({ signedIn }: { signedIn: boolean }) {
  const { pathname } = useLocation();
  return (
    <main className="page page-not-found">
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{pathname}</code>. The link may be mistyped, or the page may have moved.
      </p>
      {signedIn ? (
        <ul>
          <li>
            <Link to="/">Go to the orchestrations</Link>
          </li>
          <li>
            <Link to="/work">Go to my work</Link>
          </li>
        </ul>
      ) : (
        <p>
          <Link to={`/login?next=${encodeURIComponent(pathname)}`}>Sign in to Overture</Link>
        </p>
      )}
    </main>
  );
}

/** Any path the app does not know: in the shell for a signed-in person, plain (with a way to sign in) otherwise. */
export function NotFoundPage() {
  const user = useSessionStore((s) => s.user);
  const check = useSessionStore((s) => s.check);
  useEffect(() => {
    if (user === undefined) void check().catch(() => useSessionStore.setState({ user: null }));
  }, [user, check]);

  if (user === undefined)
    return (
      <main className="page-message" aria-busy="true">
        Loading…
      </main>
    );
  if (user === null) return <NotFound signedIn={false} />;
  return (
    <AppShell>
      <NotFound signedIn />
    </AppShell>
  );
}

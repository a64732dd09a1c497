/** The profile's "Where you are signed in": each browser, from where, last used; sign out everywhere else. */
import { useEffect, useState } from 'react';

import { listSignedInSessions, signOutEverywhereElse } from '../lib/profile-api';
import { describeAgent, endedMessage, type SignedInSession } from '../lib/signed-in-sessions';

const readable = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));

/** `refresh` changes when something else ended sessions (a password change). */
export function SignedInSessions({ refresh }: { refresh: number }) {
  const [items, setItems] = useState<SignedInSession[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    listSignedInSessions()
      .then(setItems)
      .catch((failure: unknown) => setError(message(failure)));
  }, [refresh]);

  const endOthers = async () => {
    setBusy(true);
    setNotice(null);
    setError(null);
    try {
      setNotice(endedMessage(await signOutEverywhereElse()));
      setItems(await listSignedInSessions());
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p className="muted profile-sessions-intro">
        Every browser where you are signed in. Sign out the others if you left one signed in, or if one is not yours.
      </p>
      {items === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {items ? (
        <ul className="profile-sessions">
          {items.map((s) => (
            <li key={`${s.started_at}-${s.last_seen_at}-${s.user_agent ?? ''}`}>
              <strong>{describeAgent(s.user_agent)}</strong>
              {s.current ? <span className="badge">This browser</span> : null}
              <br />
              <span className="muted">
                {s.address ? `From ${s.address} · ` : ''}signed in {readable(s.started_at)} · last active{' '}
                {readable(s.last_seen_at)}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? <p role="status">{notice}</p> : null}
      <div className="page-actions">
        <button type="button" onClick={() => void endOthers()} disabled={busy}>
          Sign out everywhere else
        </button>
      </div>
    </>
  );
}

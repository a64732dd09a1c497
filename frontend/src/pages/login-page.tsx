import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';

import { ApiError } from '../lib/api';
import { useSessionStore } from '../store/session-store';

/** Only paths of this app: never send someone to another site after signing in. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function LoginPage() {
  const signIn = useSessionStore((s) => s.signIn);
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
      void navigate(safeNext(params.get('next')), { replace: true });
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'The server could not be reached; try again.');
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login__form" onSubmit={onSubmit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Overture</h1>
        {params.get('ended') && !error ? (
          <p className="login__notice" role="status">
            Your session ended — sign in again.
          </p>
        ) : null}
        <label htmlFor="login-username">User name</label>
        <input
          id="login-username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error ? (
          <p className="login__error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

import '../profile.css';

import { useEffect, useState, type FormEvent } from 'react';

import { OutOfOfficeForm } from '../components/out-of-office-form';
import { SignedInSessions } from '../components/signed-in-sessions';
import { changePassword, getProfile, passwordRefusal, updateProfile } from '../lib/profile-api';
import type { EmailMode, Profile } from '../lib/profile-schemas';
import { useSessionStore } from '../store/session-store';

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));

const MODES: { value: EmailMode; label: string; help: string }[] = [
  { value: 'off', label: 'In-app only', help: 'Notifications in Overture, no e-mail.' },
  {
    value: 'immediate',
    label: 'E-mail immediately',
    help: 'An e-mail for each new work item, escalation and due reminder.',
  },
  { value: 'digest', label: 'Daily digest', help: 'One e-mail a day with everything since the last one.' },
];

/** Saving one section: its messages and whether it is under way. */
function useSection() {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<string>) => {
    setBusy(true);
    setNotice(null);
    setError(null);
    try {
      setNotice(await work());
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };
  const messages = (
    <>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? <p role="status">{notice}</p> : null}
    </>
  );
  return { busy, run, messages };
}

/** `/profile`: one's display name, e-mail, notifications, out of office, password and where one is signed in. */
export function ProfilePage() {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [mode, setMode] = useState<EmailMode>('immediate');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const details = useSection();
  const notifications = useSection();
  const password = useSection();
  const [sessionsChanged, setSessionsChanged] = useState(0);
  const check = useSessionStore((s) => s.check);

  useEffect(() => {
    getProfile()
      .then((found) => {
        setProfile(found);
        setDisplayName(found.display_name);
        setEmail(found.email ?? '');
        setMode(found.email_mode);
      })
      .catch((failure: unknown) => setLoadError(message(failure)));
  }, []);

  const saveDetails = (event: FormEvent) => {
    event.preventDefault();
    void details.run(async () => {
      setProfile(await updateProfile({ display_name: displayName, email: email.trim() || null }));
      void check(); // the name shown in the navigation
      return 'Your details are saved.';
    });
  };
  const saveMode = (event: FormEvent) => {
    event.preventDefault();
    void notifications.run(async () => {
      setProfile(await updateProfile({ email_mode: mode }));
      return `Notifications saved: ${MODES.find((m) => m.value === mode)?.label ?? mode}.`;
    });
  };
  const savePassword = (event: FormEvent) => {
    event.preventDefault();
    void password.run(async () => {
      if (next !== again) throw new Error('The new password and its repetition differ.');
      try {
        await changePassword(current, next);
      } catch (failure) {
        throw new Error(passwordRefusal(failure), { cause: failure });
      }
      setCurrent('');
      setNext('');
      setAgain('');
      setSessionsChanged((n) => n + 1);
      return 'Your password is changed. You stay signed in here; everywhere else you were signed out.';
    });
  };

  if (loadError)
    return (
      <main className="page">
        <h1>Your profile</h1>
        <p role="alert">{loadError}</p>
      </main>
    );
  if (!profile)
    return (
      <main className="page">
        <h1>Your profile</h1>
        <p>Loading…</p>
      </main>
    );
  return (
    <main className="page profile">
      <h1>Your profile</h1>
      <p className="muted">
        Signed in as <strong>{profile.username}</strong> ({profile.role}).
      </p>

      <section aria-labelledby="profile-details">
        <h2 id="profile-details">Your details</h2>
        <form className="profile-form" onSubmit={saveDetails}>
          <div className="field">
            <label htmlFor="profile-name">Display name</label>
            <input
              id="profile-name"
              required
              maxLength={200}
              autoComplete="name"
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="profile-email">E-mail address</label>
            <input
              id="profile-email"
              type="email"
              maxLength={254}
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-describedby="profile-email-help"
            />
            <small id="profile-email-help" className="muted">
              Where Overture e-mails you; leave it empty for no e-mail.
            </small>
          </div>
          {details.messages}
          <div className="page-actions">
            <button type="submit" className="primary" disabled={details.busy}>
              Save details
            </button>
          </div>
        </form>
      </section>

      <section aria-labelledby="profile-notifications">
        <h2 id="profile-notifications">Notifications</h2>
        <form className="profile-form" onSubmit={saveMode}>
          <fieldset className="profile-modes">
            <legend>How Overture tells you about new work</legend>
            {MODES.map((m) => (
              <label key={m.value} className="profile-mode">
                <input
                  type="radio"
                  name="email_mode"
                  value={m.value}
                  checked={mode === m.value}
                  onChange={() => setMode(m.value)}
                />
                <span>
                  <strong>{m.label}</strong> <span className="muted">{m.help}</span>
                </span>
              </label>
            ))}
          </fieldset>
          {mode !== 'off' && !profile.email ? (
            <p className="muted">Add an e-mail address above to receive e-mail.</p>
          ) : null}
          {notifications.messages}
          <div className="page-actions">
            <button type="submit" className="primary" disabled={notifications.busy}>
              Save notifications
            </button>
          </div>
        </form>
      </section>

      <section aria-labelledby="profile-away">
        <h2 id="profile-away">Out of office</h2>
        <OutOfOfficeForm username={profile.username} self />
      </section>

      <section aria-labelledby="profile-password">
        <h2 id="profile-password">Change password</h2>
        <form className="profile-form" onSubmit={savePassword}>
          <input type="text" name="username" autoComplete="username" value={profile.username} readOnly hidden />
          <div className="field">
            <label htmlFor="profile-current">Current password</label>
            <input
              id="profile-current"
              type="password"
              required
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="profile-new">New password</label>
            <input
              id="profile-new"
              type="password"
              required
              autoComplete="new-password"
              value={next}
              onChange={(e) => setNext(e.target.value)}
              aria-describedby="profile-new-help"
            />
            <small id="profile-new-help" className="muted">
              Long and uncommon: a few unrelated words work well. Common passwords and ones built on your name are
              refused.
            </small>
          </div>
          <div className="field">
            <label htmlFor="profile-again">New password again</label>
            <input
              id="profile-again"
              type="password"
              required
              autoComplete="new-password"
              value={again}
              onChange={(e) => setAgain(e.target.value)}
            />
          </div>
          {password.messages}
          <div className="page-actions">
            <button type="submit" className="primary" disabled={password.busy}>
              Change password
            </button>
          </div>
        </form>
      </section>

      <section aria-labelledby="profile-sessions">
        <h2 id="profile-sessions">Where you are signed in</h2>
        <SignedInSessions refresh={sessionsChanged} />
      </section>
    </main>
  );
}

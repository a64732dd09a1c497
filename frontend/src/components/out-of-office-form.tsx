import '../profile.css';

import { useEffect, useId, useState, type FormEvent } from 'react';

import { displayName, usePeople } from '../hooks/use-people';
import { clearOutOfOffice, getOutOfOffice, setOutOfOffice } from '../lib/profile-api';
import type { OutOfOffice } from '../lib/profile-schemas';

type Props = {
  /** Whose out of office this is (the signed-in person, or anyone for an admin). */
  username: string;
  /** "you" on one's own profile; else the person's name is used. */
  self?: boolean;
};

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure));

/** A `datetime-local` value (the browser's time zone) for a moment. */
export function localInput(moment: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
}

const readable = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * Out of office: while it lasts, work assigned to the person personally goes to the
 * delegate, marked "for" them; group and queue work is not affected.
 */
export function OutOfOfficeForm({ username, self = false }: Props) {
  const id = useId();
  const people = usePeople();
  const [current, setCurrent] = useState<OutOfOffice | null | undefined>(undefined);
  const [delegate, setDelegate] = useState('');
  const [from, setFrom] = useState(() => localInput(new Date()));
  const [until, setUntil] = useState(() => localInput(new Date(Date.now() + 7 * 24 * 3600 * 1000)));
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    getOutOfOffice(username)
      .then((found) => {
        if (!live) return;
        setCurrent(found);
        if (found) {
          setDelegate(found.delegate);
          setFrom(localInput(new Date(found.starts_at)));
          setUntil(localInput(new Date(found.ends_at)));
        }
      })
      .catch((failure: unknown) => {
        if (live) {
          setCurrent(null);
          setError(message(failure));
        }
      });
    return () => {
      live = false;
    };
  }, [username]);

  const who = self ? 'you' : displayName(people, username);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const saved = await setOutOfOffice(username, {
        delegate,
        starts_at: new Date(from).toISOString(),
        ends_at: new Date(until).toISOString(),
      });
      setCurrent(saved);
      setNotice('Out of office saved.');
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };
  const clear = async () => {
    setBusy(true);
    setError(null);
    try {
      await clearOutOfOffice(username);
      setCurrent(null);
      setDelegate('');
      setNotice('Out of office cleared: new work goes to ' + (self ? 'you' : who) + ' again.');
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };

  const choices = people.filter((p) => p.username !== username);
  return (
    <form className="profile-form" onSubmit={save} aria-describedby={`${id}-state`}>
      <p id={`${id}-state`} className="muted">
        {current === undefined
          ? 'Loading…'
          : current
            ? `${current.active ? 'Now' : 'From ' + readable(current.starts_at)} until ${readable(current.ends_at)}, ` +
              `work assigned to ${who} personally goes to ${current.delegate_display_name}, marked “for ${self ? 'you' : who}”. ` +
              'Group and queue work is not affected.'
            : `Not set. While ${who === 'you' ? 'you are' : who + ' is'} away, work assigned to ${who} personally can go to someone else.`}
      </p>
      <div className="field">
        <label htmlFor={`${id}-delegate`}>Delegate</label>
        <select id={`${id}-delegate`} required value={delegate} onChange={(e) => setDelegate(e.target.value)}>
          <option value="">Choose a person…</option>
          {choices.map((p) => (
            <option key={p.username} value={p.username}>
              {p.display_name}
            </option>
          ))}
        </select>
      </div>
      <div className="profile-form__row">
        <div className="field">
          <label htmlFor={`${id}-from`}>From</label>
          <input
            id={`${id}-from`}
            type="datetime-local"
            required
            value={from}
            onChange={(e) => setFrom(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-until`}>Until</label>
          <input
            id={`${id}-until`}
            type="datetime-local"
            required
            value={until}
            onChange={(e) => setUntil(e.target.value)}
          />
        </div>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {notice ? <p role="status">{notice}</p> : null}
      <div className="page-actions">
        <button type="submit" className="primary" disabled={busy}>
          Save out of office
        </button>
        {current ? (
          <button type="button" onClick={clear} disabled={busy}>
            Clear out of office
          </button>
        ) : null}
      </div>
    </form>
  );
}

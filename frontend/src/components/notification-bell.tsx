import { useEffect, useState } from 'react';
import { Link } from 'react-router';

import { listNotifications, markNotificationsRead } from '../lib/api';
import { notificationLink } from '../lib/notification-link';
import type { Notification } from '../lib/work-schemas';
import { hasUnread, useInboxStore } from '../store/inbox-store';

/** The bell: notifications (newest first), each leading to its record (else My work or the run), a marker while some are newer than the last one seen. */
export function NotificationBell({ user }: { user: string }) {
  const latest = useInboxStore((s) => s.latestNotificationAt);
  const lastSeen = useInboxStore((s) => s.lastSeenAt);
  const readAt = useInboxStore((s) => s.readAt);
  const changes = useInboxStore((s) => s.changes);
  const markSeen = useInboxStore((s) => s.markSeen);
  const [open, setOpen] = useState(false);
  const [notes, setNotes] = useState<Notification[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const unread = hasUnread(latest, lastSeen, readAt);

  useEffect(() => {
    if (!open) return;
    listNotifications()
      .then((found) => {
        setNotes(found);
        setError(null);
      })
      .catch((failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  }, [open, changes]);

  const toggle = () => {
    if (open) markSeen(user, latest);
    setOpen(!open);
  };

  const isNew = (n: Notification) =>
    n.read !== true && (lastSeen === null || Date.parse(n.created_at) > Date.parse(lastSeen));
  const someNew = notes?.some(isNew) ?? false;
  const markAllRead = () => {
    markNotificationsRead()
      .then((markedAt) => {
        setNotes((current) => current?.map((n) => ({ ...n, read: true })) ?? current);
        markSeen(user, latest ?? markedAt);
        setDone('All notifications are marked read.');
        setError(null);
      })
      .catch((failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  };

  return (
    <div className="bell">
      <button
        type="button"
        className="bell__button"
        aria-expanded={open}
        onClick={toggle}
        aria-label={unread ? 'Notifications (new)' : 'Notifications'}
      >
        <svg
          aria-hidden="true"
          width="18"
          height="18"
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
        >
          <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.73 21a2 2 0 0 1-3.46 0" />
        </svg>
        {unread ? <span className="bell__dot" data-testid="bell-unread" /> : null}
      </button>
      {open ? (
        <div className="bell__panel" role="region" aria-label="Notifications">
          {/* At the top: the list may be long. */}
          <div className="bell__actions">
            <button type="button" className="small" onClick={markAllRead} disabled={!someNew}>
              Mark all read
            </button>
            <button type="button" className="small" onClick={toggle}>
              Close
            </button>
          </div>
          <p role="status" className="bell__done">
            {done}
          </p>
          {error ? <p role="alert">{error}</p> : null}
          {notes === null && !error ? <p aria-busy="true">Loading…</p> : null}
          {notes?.length === 0 ? <p className="muted">Nothing yet.</p> : null}
          <ul>
            {notes?.map((n) => {
              const link = notificationLink(n);
              return (
                <li key={n.id} className={isNew(n) ? 'bell__new' : undefined}>
                  <strong>{n.title ?? n.subject}</strong>
                  <span className="muted">
                    {' '}
                    · {n.title ? n.subject : n.body} · {new Date(n.created_at).toLocaleString()}
                  </span>
                  {link ? (
                    <>
                      {' '}
                      ·{' '}
                      <Link to={link.to} onClick={toggle}>
                        {link.label}
                      </Link>
                    </>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

import { useEffect, useState } from 'react';
import { NavLink } from 'react-router';

import { listRecordTypes } from '../lib/api';
import type { RecordType } from '../lib/work-schemas';
import { useInboxStore } from '../store/inbox-store';
import { useSessionStore } from '../store/session-store';
import { NotificationBell } from './notification-bell';

/** The navigation of the signed-in views: orchestrations, My work (with its live count), records, the bell. */
export function AppNav() {
  const user = useSessionStore((s) => s.user);
  const connect = useInboxStore((s) => s.connect);
  const open = useInboxStore((s) => s.open);
  const overdue = useInboxStore((s) => s.overdue);
  const [types, setTypes] = useState<RecordType[]>([]);

  useEffect(() => (user ? connect(user.username) : undefined), [user, connect]);
  useEffect(() => {
    listRecordTypes().then(setTypes).catch(() => setTypes([]));
  }, []);

  return (
    <nav className="app-nav" aria-label="Main">
      <NavLink to="/" end className="app-nav__home">Overture</NavLink>
      <NavLink to="/work">
        My work
        {open !== null ? (
          <span className={`badge${overdue > 0 ? ' badge--overdue' : ''}`} data-testid="work-count"
            aria-label={`${open} open${overdue ? `, ${overdue} overdue` : ''}`}>{open}</span>
        ) : null}
      </NavLink>
      {types.map((t) => (
        <NavLink key={t.name} to={`/records/${encodeURIComponent(t.name)}`}>{t.label ?? t.name}</NavLink>
      ))}
      <span className="app-nav__spacer" />
      {user ? <NotificationBell user={user.username} /> : null}
      {user ? <span className="muted">{user.display_name ?? user.username}</span> : null}
    </nav>
  );
}

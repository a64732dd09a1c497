import { Suspense, useEffect, type ReactNode } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';

import { guardLink } from '../lib/leave-guard';
import { navItems } from '../lib/permissions';
import { useInboxStore } from '../store/inbox-store';
import { useSessionStore } from '../store/session-store';
import { Loading } from './loading';
import { NotificationBell } from './notification-bell';
import { UserMenu } from './user-menu';

/**
 * The frame of every signed-in page: the navigation for the person's role (My work with
 * its live count), the notifications bell and the person's menu; the page below
 * (`<Outlet/>`, or `children`). On the builder it is one compact line, leaving the
 * canvas its room.
 */
export function AppShell({ children }: { children?: ReactNode }) {
  const user = useSessionStore((s) => s.user);
  const connect = useInboxStore((s) => s.connect);
  const open = useInboxStore((s) => s.open);
  const overdue = useInboxStore((s) => s.overdue);
  const compact = useLocation().pathname.startsWith('/builder/');

  useEffect(() => (user ? connect(user.username) : undefined), [user, connect]);

  return (
    <div className={`shell${compact ? ' shell--compact' : ''}`}>
      <header className="shell__bar">
        <a className="skip-link" href="#content">
          Skip to content
        </a>
        <NavLink to="/" end className="shell__brand" onClick={guardLink} aria-label="Overture: orchestrations">
          Overture
        </NavLink>
        <nav className="shell__nav" aria-label="Main">
          <ul>
            {navItems(user?.role).map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end} onClick={guardLink}>
                  {item.label}
                  {item.to === '/work' && open !== null ? (
                    <span
                      className={`badge${overdue > 0 ? ' badge--overdue' : ''}`}
                      data-testid="work-count"
                      aria-label={`${open} open${overdue ? `, ${overdue} overdue` : ''}`}
                    >
                      {open}
                    </span>
                  ) : null}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <span className="shell__spacer" />
        {user ? <NotificationBell user={user.username} /> : null}
        {user ? <UserMenu user={user} /> : null}
      </header>
      <div id="content" className="shell__content" tabIndex={-1}>
        <Suspense fallback={<Loading />}>{children ?? <Outlet />}</Suspense>
      </div>
    </div>
  );
}

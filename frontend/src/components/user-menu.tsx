import { useState } from 'react';
import { Link } from 'react-router';

import { useDisclosure } from '../hooks/use-disclosure';
import { signOut } from '../lib/api';
import type { User } from '../lib/api-schemas';
import { useIsDark, useThemeStore } from '../store/theme-store';

/** Sign-out: the session ends on the server, then a fresh load of /login drops every store and cache of the page. */
async function endSession(): Promise<void> {
  await signOut();
  window.location.replace('/login');
}

/** The person's menu: who is signed in, Profile, dark mode, Sign out. */
export function UserMenu({ user }: { user: User }) {
  const { open, close, root, buttonProps, panelProps } = useDisclosure();
  const dark = useIsDark();
  const toggleTheme = useThemeStore((s) => s.toggle);
  const [problem, setProblem] = useState<string | null>(null);
  const name = user.display_name ?? user.username;

  return (
    <div className="user-menu" ref={root}>
      <button {...buttonProps} className="user-menu__button" aria-label={`Account: ${name}`}>
        <span aria-hidden="true">{name}</span>{' '}
        <span aria-hidden="true" className="user-menu__caret">
          ▾
        </span>
      </button>
      <div {...panelProps} className="user-menu__panel" role="group" aria-label="Account">
        {open ? (
          <>
            <p className="user-menu__who">
              {name}
              <br />
              <span className="muted">
                {user.username} · {user.role}
              </span>
            </p>
            <ul>
              <li>
                <Link to="/profile" onClick={() => close()}>
                  Profile
                </Link>
              </li>
              <li>
                <button
                  type="button"
                  role="switch"
                  aria-checked={dark}
                  onClick={toggleTheme}
                  className="user-menu__item"
                >
                  Dark mode{' '}
                  <span aria-hidden="true" className="user-menu__switch">
                    {dark ? 'On' : 'Off'}
                  </span>
                </button>
              </li>
              <li>
                <button
                  type="button"
                  className="user-menu__item"
                  onClick={() => {
                    setProblem(null);
                    endSession().catch((failure: unknown) =>
                      setProblem(`Could not sign out: ${failure instanceof Error ? failure.message : String(failure)}`),
                    );
                  }}
                >
                  Sign out
                </button>
              </li>
            </ul>
            {problem ? (
              <p role="alert" className="problem">
                {problem}
              </p>
            ) : null}
          </>
        ) : null}
      </div>
    </div>
  );
}

import '../admin.css';

import { Link, useParams } from 'react-router';

import { AuditTab } from '../components/admin/audit-tab';
import { GroupsTab } from '../components/admin/groups-tab';
import { PeopleTab } from '../components/admin/people-tab';
import { RecordTypesTab } from '../components/admin/record-types-tab';
import { SecretsTab } from '../components/admin/secrets-tab';
import { TokensTab } from '../components/admin/tokens-tab';
import { useSessionStore } from '../store/session-store';

/** The sections of /admin, each its own deep link (`/admin` is People). */
export const ADMIN_SECTIONS = [
  { path: 'people', label: 'People', Section: PeopleTab },
  { path: 'groups', label: 'Groups & queues', Section: GroupsTab },
  { path: 'tokens', label: 'API tokens', Section: TokensTab },
  { path: 'record-types', label: 'Record types', Section: RecordTypesTab },
  { path: 'secrets', label: 'Secrets', Section: SecretsTab },
  { path: 'audit', label: 'Audit log', Section: AuditTab },
] as const;

/** `/admin/<section>`: people, groups and queues, API tokens, record types, secrets and the audit log, for admins. */
export function AdminPage() {
  const { section = 'people' } = useParams();
  const user = useSessionStore((s) => s.user);

  if (user?.role !== 'admin') {
    return (
      <main className="page">
        <h1>Administration</h1>
        <p role="alert">
          Administration is for admins. Ask an admin if you need a person, group, queue, API token or secret changed.
        </p>
        <p>
          <Link to="/work">Go to My work</Link>
        </p>
      </main>
    );
  }
  const current = ADMIN_SECTIONS.find((s) => s.path === section);
  return (
    <main className="page page--wide admin">
      <h1>Administration</h1>
      <nav aria-label="Administration sections">
        <ul className="admin-tabs">
          {ADMIN_SECTIONS.map((s) => (
            <li key={s.path}>
              <Link to={`/admin/${s.path}`} aria-current={s === current ? 'page' : undefined}>
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {current ? (
        <section aria-labelledby="admin-section-title">
          <h2 id="admin-section-title">{current.label}</h2>
          <current.Section />
        </section>
      ) : (
        <p role="alert">There is no section “{section}” in Administration; choose one above.</p>
      )}
    </main>
  );
}

/**
 * What a role may do in the app, mirroring the server's `@roles(...)` on each route
 * (builder/api/*.py). The app hides what would answer 403, so a member is never offered
 * a button that cannot work; the server still decides.
 */
export type Role = 'admin' | 'ops' | 'member';

/** Every question the app asks about a role, and the roles that may. */
const RULES = {
  /** GET /api/orchestrations/<key>: the builder's draft (read only for ops). */
  openBuilder: ['admin', 'ops'],
  /** POST /api/orchestrations, PUT …/draft, POST …/activate: create, import, edit, activate. */
  design: ['admin'],
  /** GET …/metrics, …/insights: the Monitor. */
  monitor: ['admin', 'ops'],
  /** POST /api/runs/<id>/cancel|suspend|resume|retry: a run's controls, one or in bulk. */
  controlRuns: ['admin', 'ops'],
  /** GET /api/runs/<id>/scenario: a run as a test file. */
  downloadRunScenario: ['admin', 'ops'],
  /** POST /api/work-items/<id>/reassign. */
  reassign: ['admin', 'ops'],
  /** The runs list: every run for ops and admins; a member's own runs (those they started or have work on). */
  listRuns: ['admin', 'ops', 'member'],
  /** /admin: people, groups, tokens, record types. */
  administer: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof RULES;

/** Whether `role` may do `what`; nobody signed in (or an unknown role) may do nothing. */
export function may(role: string | null | undefined, what: Permission): boolean {
  return role != null && (RULES[what] as readonly string[]).includes(role);
}

/** A link of the shell's navigation. */
export type NavItem = { to: string; label: string; end?: boolean };

/** The shell's navigation for a role, in order. */
export function navItems(role: string | null | undefined): NavItem[] {
  const items: NavItem[] = [
    { to: '/work', label: 'My work' },
    { to: '/records', label: 'Records' },
    { to: '/', label: 'Orchestrations', end: true },
  ];
  if (may(role, 'listRuns')) items.push({ to: '/runs', label: may(role, 'controlRuns') ? 'Runs' : 'My runs' });
  if (may(role, 'administer')) items.push({ to: '/admin', label: 'Admin' });
  return items;
}

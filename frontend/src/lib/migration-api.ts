/** The migrations API (admins and ops): dry run, start, progress, cancel; and which versions still have live runs. */
import { z } from 'zod';

import { call, listRuns } from './api';
import type { Orchestration } from './api-schemas';
import { dryRunSchema, migrationSchema, planBody, type DryRun, type Migration, type WizardOptions } from './migration';

const migrationsPath = (key: string) => `/api/orchestrations/${encodeURIComponent(key)}/migrations`;

/** Runs that have not ended: the only ones that move. */
export const LIVE_STATUSES = ['in_progress', 'suspended', 'error'] as const;

/** The dry run: what moving would do, run by run; nothing is written. */
export async function dryRunMigration(key: string, options: WizardOptions): Promise<DryRun> {
  return (await call('POST', migrationsPath(key), dryRunSchema, { body: planBody(options, true) })).data;
}

/** Starts the migration (202); workers apply it in batches. */
export async function startMigration(key: string, options: WizardOptions): Promise<Migration> {
  return (await call('POST', migrationsPath(key), migrationSchema, { body: planBody(options, false) })).data;
}

export async function getMigration(key: string, id: string): Promise<Migration> {
  return (await call('GET', `${migrationsPath(key)}/${encodeURIComponent(id)}`, migrationSchema)).data;
}

export async function cancelMigration(key: string, id: string): Promise<Migration> {
  return (
    await call('POST', `${migrationsPath(key)}/${encodeURIComponent(id)}/cancel`, migrationSchema.partial().loose(), {
      body: {},
    })
  ).data as Migration;
}

/** The orchestration's migrations, newest first (the first page). */
export async function listMigrations(key: string): Promise<Migration[]> {
  const schema = z.looseObject({ items: z.array(migrationSchema) });
  return (await call('GET', `${migrationsPath(key)}?limit=20`, schema)).data.items;
}

/** The versions (other than `but`) that have at least one live run, oldest first. */
export async function versionsWithLiveRuns(orchestration: Orchestration, but: number | null): Promise<number[]> {
  const others = orchestration.versions.map((v) => v.number).filter((n) => n !== but);
  const found = await Promise.all(
    others.map(async (version) => {
      const page = await listRuns({ orchestration: orchestration.key, version, status: [...LIVE_STATUSES] }, null, 1);
      return page.items.length > 0 ? version : null;
    }),
  );
  return found.filter((v): v is number => v !== null).sort((a, b) => a - b);
}

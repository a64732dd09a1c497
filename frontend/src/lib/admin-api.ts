/** The administration routes of the API (admins; ops read people): every answer checked. */

import {
  adminRecordTypeSchema,
  deactivationSchema,
  newTokenSchema,
  personDetailSchema,
  personSchema,
  secretSchema,
  teamDetailSchema,
  teamSchema,
  tokenSchema,
  type AdminRecordField,
  type AdminRecordType,
  type Assignee,
  type Deactivation,
  type NewToken,
  type Person,
  type PersonDetail,
  type Role,
  type Secret,
  type Team,
  type TeamDetail,
  type Token,
} from './admin-schemas';
import { z } from 'zod';

import { call, listAll } from './api';
import { endedSessionsSchema } from './signed-in-sessions';

const userPath = (username: string) => `/api/users/${encodeURIComponent(username)}`;
const groupPath = (name: string) => `/api/groups/${encodeURIComponent(name)}`;

export function listPeople(): Promise<Person[]> {
  return listAll('/api/users', personSchema);
}

export async function getPerson(username: string): Promise<PersonDetail> {
  return (await call('GET', userPath(username), personDetailSchema)).data;
}

export type NewPerson = {
  username: string;
  display_name: string | null;
  role: Role;
  groups: string[];
  password: string;
};

export async function createPerson(person: NewPerson): Promise<Person> {
  return (await call('POST', '/api/users', personSchema, { body: person })).data;
}

export type PersonChange = { display_name?: string; role?: Role; groups?: string[] };

export async function updatePerson(username: string, change: PersonChange): Promise<PersonDetail> {
  return (await call('PATCH', userPath(username), personDetailSchema, { body: change })).data;
}

/** Marks them inactive; their claimed group/queue items go back, their own go to `reassignTo`. */
export async function deactivatePerson(username: string, reassignTo: Assignee | null): Promise<Deactivation> {
  return (
    await call('POST', `${userPath(username)}/deactivate`, deactivationSchema, { body: { reassign_to: reassignTo } })
  ).data;
}

export async function reactivatePerson(username: string): Promise<PersonDetail> {
  return (await call('POST', `${userPath(username)}/reactivate`, personDetailSchema, { body: {} })).data;
}

export async function resetPassword(username: string, password: string): Promise<Person> {
  return (await call('POST', `${userPath(username)}/password`, personSchema, { body: { password } })).data;
}

/** Signs a person out everywhere (every browser of theirs must sign in again); how many sessions ended. */
export async function signOutEverywhere(username: string): Promise<number> {
  return (await call('DELETE', `${userPath(username)}/sessions`, endedSessionsSchema)).data.ended;
}

export function listTeams(): Promise<Team[]> {
  return listAll('/api/groups', teamSchema);
}

export async function getTeam(name: string): Promise<TeamDetail> {
  return (await call('GET', groupPath(name), teamDetailSchema)).data;
}

export async function createTeam(team: { name: string; kind: 'group' | 'queue'; label: string | null }): Promise<Team> {
  return (await call('POST', '/api/groups', teamSchema, { body: team })).data;
}

export async function updateTeam(name: string, change: { label?: string; members?: string[] }): Promise<TeamDetail> {
  return (await call('PATCH', groupPath(name), teamDetailSchema, { body: change })).data;
}

export function listTokens(): Promise<Token[]> {
  return listAll('/api/tokens', tokenSchema);
}

export async function createToken(name: string): Promise<NewToken> {
  return (await call('POST', '/api/tokens', newTokenSchema, { body: { name } })).data;
}

export async function revokeToken(id: string): Promise<Token> {
  return (await call('DELETE', `/api/tokens/${encodeURIComponent(id)}`, tokenSchema)).data;
}

export function listAdminRecordTypes(): Promise<AdminRecordType[]> {
  return listAll('/api/record-types', adminRecordTypeSchema);
}

/** Replaces an existing type's label and fields (their options among them). */
export async function changeRecordType(
  name: string,
  change: { label?: string; fields: AdminRecordField[] },
): Promise<AdminRecordType> {
  return (await call('PUT', `/api/record-types/${encodeURIComponent(name)}`, adminRecordTypeSchema, { body: change }))
    .data;
}

// ------------------------------------------------------------------ secrets (values go in, never come out)

const secretPath = (name: string) => `/api/secrets/${encodeURIComponent(name)}`;

export function listSecrets(): Promise<Secret[]> {
  return listAll('/api/secrets', secretSchema);
}

export async function createSecret(name: string, value: string): Promise<Secret> {
  return (await call('POST', '/api/secrets', secretSchema, { body: { name, value } })).data;
}

export async function replaceSecret(name: string, value: string): Promise<Secret> {
  return (await call('PUT', secretPath(name), secretSchema, { body: { value } })).data;
}

export async function deleteSecret(name: string): Promise<void> {
  await call('DELETE', secretPath(name), z.unknown());
}

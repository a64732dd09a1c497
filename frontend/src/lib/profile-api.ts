/** The profile API: one's own settings, password and sessions, people to delegate to, out of office. */
import { ApiError, call } from './api';
import {
  outOfOfficeAnswerSchema,
  passwordChangedSchema,
  peopleSchema,
  profileSchema,
  type EmailMode,
  type OutOfOffice,
  type Person,
  type Profile,
} from './profile-schemas';
import { endedSessionsSchema, signedInSessionsSchema, type SignedInSession } from './signed-in-sessions';

export type ProfileChanges = { display_name?: string; email?: string | null; email_mode?: EmailMode };
export type OutOfOfficePeriod = { delegate: string; starts_at: string; ends_at: string };

const away = (username: string) => `/api/users/${encodeURIComponent(username)}/out-of-office`;

export async function getProfile(): Promise<Profile> {
  return (await call('GET', '/api/profile', profileSchema)).data;
}

export async function updateProfile(changes: ProfileChanges): Promise<Profile> {
  return (await call('PATCH', '/api/profile', profileSchema, { body: changes })).data;
}

/** The server's reason for refusing a new password as a sentence ("The new password is too easy to guess…"). */
export function passwordRefusal(failure: unknown): string {
  if (failure instanceof ApiError && failure.details && typeof failure.details === 'object') {
    const reasons = (failure.details as Record<string, unknown>).new_password;
    if (Array.isArray(reasons) && typeof reasons[0] === 'string') return `The new password ${reasons[0]}.`;
  }
  return failure instanceof Error ? failure.message : String(failure);
}

/** 403 with a message when the current password is wrong, 422 (see passwordRefusal) when the new one is refused. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await call('POST', '/api/profile/password', passwordChangedSchema, {
    body: { current_password: currentPassword, new_password: newPassword },
  });
}

/** Every active person, by display name (anyone signed in may ask). */
export async function listPeople(): Promise<Person[]> {
  return (await call('GET', '/api/profile/people', peopleSchema)).data.items;
}

export async function getOutOfOffice(username: string): Promise<OutOfOffice | null> {
  return (await call('GET', away(username), outOfOfficeAnswerSchema)).data.out_of_office;
}

export async function setOutOfOffice(username: string, period: OutOfOfficePeriod): Promise<OutOfOffice | null> {
  return (await call('PUT', away(username), outOfOfficeAnswerSchema, { body: period })).data.out_of_office;
}

export async function clearOutOfOffice(username: string): Promise<void> {
  await call('DELETE', away(username), outOfOfficeAnswerSchema);
}

/** Where one is signed in, newest use first (`current` is this browser). */
export async function listSignedInSessions(): Promise<SignedInSession[]> {
  return (await call('GET', '/api/profile/sessions', signedInSessionsSchema)).data.items;
}

/** Ends every session of one's own but this browser's; how many ended. */
export async function signOutEverywhereElse(): Promise<number> {
  return (await call('DELETE', '/api/profile/sessions', endedSessionsSchema)).data.ended;
}

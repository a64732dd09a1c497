/** What the administration routes answer (people, groups and queues, tokens, record types), checked before use. */
import { z } from 'zod';

export const ROLES = ['admin', 'ops', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const membershipSchema = z.looseObject({ name: z.string(), kind: z.enum(['group', 'queue']) });

export const personSchema = z.looseObject({
  username: z.string(),
  role: z.enum(ROLES),
  display_name: z.string(),
  active: z.boolean(),
  groups: z.array(membershipSchema),
});

export const openItemsSchema = z.looseObject({ assigned: z.number(), claimed: z.number() });

export const personDetailSchema = personSchema.extend({ open_items: openItemsSchema });

export const deactivationSchema = personDetailSchema.extend({ released: z.number(), reassigned: z.number() });

export const teamSchema = z.looseObject({
  name: z.string(),
  kind: z.enum(['group', 'queue']),
  label: z.string(),
  members: z.array(z.string()),
});

export const teamDetailSchema = z.looseObject({
  name: z.string(),
  kind: z.enum(['group', 'queue']),
  label: z.string(),
  members: z.array(z.looseObject({ username: z.string(), display_name: z.string(), active: z.boolean() })),
});

export const tokenSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
});

/** A new token: the only answer that carries the secret. */
export const newTokenSchema = tokenSchema.extend({ token: z.string() });

/** A secret as the API lists it: its name and who set it when, never its value. */
export const secretSchema = z.looseObject({
  name: z.string(),
  created_at: z.string(),
  created_by: z.string().nullable(),
  created_by_name: z.string().nullable(),
  updated_at: z.string(),
  updated_by: z.string().nullable(),
  updated_by_name: z.string().nullable(),
});

export const triggerSchema = z.looseObject({
  orchestration: z.string(),
  label: z.string(),
  version: z.number(),
  on: z.array(z.string()),
  condition: z.string().nullable(),
});

export const adminRecordTypeSchema = z.looseObject({
  name: z.string(),
  label: z.string(),
  fields: z.array(
    z.looseObject({
      name: z.string(),
      type: z.string(),
      label: z.string().optional(),
      required: z.boolean().optional(),
      /** The only values a string field takes (an enumerated field). */
      options: z.array(z.string()).optional(),
    }),
  ),
  triggers: z.array(triggerSchema),
});

export type Person = z.infer<typeof personSchema>;
export type PersonDetail = z.infer<typeof personDetailSchema>;
export type Deactivation = z.infer<typeof deactivationSchema>;
export type Team = z.infer<typeof teamSchema>;
export type TeamDetail = z.infer<typeof teamDetailSchema>;
export type Token = z.infer<typeof tokenSchema>;
export type NewToken = z.infer<typeof newTokenSchema>;
export type Secret = z.infer<typeof secretSchema>;
export type AdminRecordType = z.infer<typeof adminRecordTypeSchema>;
export type AdminRecordField = AdminRecordType['fields'][number];
export type Assignee = { type: 'user' | 'group' | 'queue'; value: string };

const messages = z.union([z.array(z.string()), z.string()]);

/**
 * A 4xx's `details` as one message per field of the form (`{"groups": ["no such ..."]}`;
 * nested ones such as `{"reassign_to": {"value": [...]}}` are read under the outer field).
 */
export function fieldErrors(details: unknown): Record<string, string> {
  const parsed = z.record(z.string(), z.unknown()).safeParse(details);
  if (!parsed.success) return {};
  const errors: Record<string, string> = {};
  for (const [field, value] of Object.entries(parsed.data)) {
    const text = flatten(value);
    if (text) errors[field] = text;
  }
  return errors;
}

function flatten(value: unknown): string {
  const direct = messages.safeParse(value);
  if (direct.success) return Array.isArray(direct.data) ? direct.data.join('; ') : direct.data;
  const nested = z.record(z.string(), z.unknown()).safeParse(value);
  if (!nested.success) return '';
  return Object.values(nested.data).map(flatten).filter(Boolean).join('; ');
}

/** "2 open items" / "1 open item". */
export function itemCount(n: number, what = 'open item'): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** People's display names for user names (the user name itself when unknown). */
export function displayNames(usernames: string[], people: Person[]): string[] {
  const names = new Map(people.map((p) => [p.username, p.display_name]));
  return usernames.map((u) => names.get(u) ?? u);
}

/** What a deactivation dialog sends: null when nothing is chosen; the choice is "user:sam" or "queue:warehouse". */
export function assigneeFromChoice(choice: string): Assignee | null {
  const match = /^(user|group|queue):(.+)$/.exec(choice);
  return match?.[1] && match[2] ? { type: match[1] as Assignee['type'], value: match[2] } : null;
}

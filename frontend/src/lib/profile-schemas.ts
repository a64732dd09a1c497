/** What the profile API answers (GET/PATCH /api/profile, out of office, people), checked before use. */
import { z } from 'zod';

export const EMAIL_MODES = ['off', 'immediate', 'digest'] as const;
export type EmailMode = (typeof EMAIL_MODES)[number];

export const outOfOfficeSchema = z.looseObject({
  delegate: z.string(),
  delegate_display_name: z.string(),
  starts_at: z.string(),
  ends_at: z.string(),
  active: z.boolean(),
  set_by: z.string().nullable(),
  updated_at: z.string(),
});

export const outOfOfficeAnswerSchema = z.looseObject({ out_of_office: outOfOfficeSchema.nullable() });

export const profileSchema = z.looseObject({
  username: z.string(),
  display_name: z.string(),
  role: z.string(),
  email: z.string().nullable(),
  email_mode: z.enum(EMAIL_MODES),
  out_of_office: outOfOfficeSchema.nullable(),
});

export const personSchema = z.looseObject({ username: z.string(), display_name: z.string() });
export const peopleSchema = z.looseObject({ items: z.array(personSchema) });
export const passwordChangedSchema = z.looseObject({ changed: z.literal(true) });

export type OutOfOffice = z.infer<typeof outOfOfficeSchema>;
export type Profile = z.infer<typeof profileSchema>;
export type Person = z.infer<typeof personSchema>;

/** A new person, or changes to one: name, role, groups and queues (and, when new, a user name and password). */
import { useState } from 'react';

import { useServerForm } from '../../hooks/use-server-form';
import { ROLES, type Person, type Role, type Team } from '../../lib/admin-schemas';
import { CheckList, FormField } from './form-field';

export type PersonValues = { username: string; display_name: string; role: Role; groups: string[]; password: string };

export const ROLE_LABELS: Record<Role, string> = { admin: 'Admin', ops: 'Ops', member: 'Member' };

export function teamOptions(teams: Team[]) {
  return teams.map((t) => ({ value: t.name, label: `${t.label} (${t.kind})` }));
}

export function PersonForm({
  person,
  teams,
  onSave,
  onCancel,
}: {
  /** The person to edit; a new one when left out. */
  person?: Person;
  teams: Team[];
  onSave: (values: PersonValues) => Promise<void>;
  onCancel: () => void;
}) {
  const [values, setValues] = useState<PersonValues>({
    username: person?.username ?? '',
    display_name: person?.display_name ?? '',
    role: person?.role ?? 'member',
    groups: person?.groups.map((g) => g.name) ?? [],
    password: '',
  });
  const { errors, problem, busy, submit } = useServerForm(() => onSave(values));
  const set = (change: Partial<PersonValues>) => setValues((v) => ({ ...v, ...change }));

  const isNew = person === undefined;
  return (
    <form className="admin-form" onSubmit={submit} noValidate>
      {isNew ? (
        <FormField
          label="User name"
          error={errors.username}
          hint="Lower-case letters, digits, '_', '.' or '-'; used to sign in"
        >
          <input
            name="username"
            autoComplete="off"
            required
            value={values.username}
            onChange={(e) => set({ username: e.target.value })}
          />
        </FormField>
      ) : null}
      <FormField label="Display name" error={errors.display_name}>
        <input
          name="display_name"
          value={values.display_name}
          onChange={(e) => set({ display_name: e.target.value })}
        />
      </FormField>
      <FormField label="Role" error={errors.role}>
        <select name="role" value={values.role} onChange={(e) => set({ role: e.target.value as Role })}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
      </FormField>
      <CheckList
        legend="Groups and queues"
        options={teamOptions(teams)}
        chosen={values.groups}
        onChange={(groups) => set({ groups })}
        error={errors.groups}
      />
      {isNew ? (
        <FormField
          label="Initial password"
          error={errors.password}
          hint="Long and uncommon (a few unrelated words), not built on their name; they can change it later"
        >
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            required
            value={values.password}
            onChange={(e) => set({ password: e.target.value })}
          />
        </FormField>
      ) : null}
      {problem ? (
        <p className="problem" role="alert">
          {problem}
        </p>
      ) : null}
      {Object.keys(errors).length > 0 ? (
        <p className="problem" role="alert">
          Please correct the fields marked above.
        </p>
      ) : null}
      <div className="modal__actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {isNew ? 'Create person' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}

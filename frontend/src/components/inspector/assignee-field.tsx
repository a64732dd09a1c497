/** Who a step goes to: a user, group or queue picked from the directory, or a CEL expression (`record.owner`). */
import { useId } from 'react';

import { withAssigneeType, type Assignee, type AssigneeType } from '../../lib/node-edits';
import { useDirectoryStore } from '../../store/directory-store';
import { FieldIssues, useFieldIssues, withIssuesCleared, type FieldAt } from './field-issues';
import { NAMES_LIST_ID } from './expression-names';

const TYPES: ReadonlyArray<{ value: AssigneeType; label: string }> = [
  { value: 'user', label: 'User' },
  { value: 'group', label: 'Group' },
  { value: 'queue', label: 'Queue' },
  { value: 'expression', label: 'Expression' },
];

type Props = {
  label: string;
  value: Assignee | undefined;
  onChange: (value: Assignee) => void;
  at?: FieldAt;
  required?: boolean;
};

export function AssigneeField({ label, value, onChange: edit, at, required }: Props) {
  const id = useId();
  const onChange = withIssuesCleared(at, edit);
  const users = useDirectoryStore((s) => s.users);
  const groups = useDirectoryStore((s) => s.groups);
  const typeIssues = useFieldIssues(at?.[0] ?? null, at ? at[1] : '\u0000');
  const valueIssues = useFieldIssues(at?.[0] ?? null, at ? `${at[1]}.value` : '\u0000');
  const issues = [...typeIssues, ...valueIssues];
  const type = (value?.type ?? '') as AssigneeType | '';
  const current = value?.value ?? '';

  const choices =
    type === 'user'
      ? users.map((u) => ({
          value: u.username,
          label: u.display_name ? `${u.display_name} (${u.username})` : u.username,
        }))
      : type === 'group' || type === 'queue'
        ? groups
            .filter((g) => (g.kind ?? 'group') === type)
            .map((g) => ({ value: g.name, label: g.label ? `${g.label} (${g.name})` : g.name }))
        : [];
  const known = choices.some((c) => c.value === current);

  return (
    <fieldset className={`field assignee${issues.length > 0 ? ' field--invalid' : ''}`}>
      <legend className="field__label">
        {label}
        {required ? (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        ) : null}
      </legend>
      <div className="assignee__inputs">
        <label htmlFor={`${id}-type`} className="visually-hidden">
          {label} type
        </label>
        <select
          id={`${id}-type`}
          value={type}
          onChange={(e) => onChange(withAssigneeType(value, e.target.value as AssigneeType))}
        >
          {type === '' ? <option value="">— choose —</option> : null}
          {TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
        {type === '' ? null : type === 'expression' ? (
          <>
            <label htmlFor={`${id}-value`} className="visually-hidden">
              {label} expression
            </label>
            <input
              id={`${id}-value`}
              className="mono"
              list={NAMES_LIST_ID}
              value={current}
              placeholder="record.owner"
              onChange={(e) => onChange({ type, value: e.target.value })}
            />
          </>
        ) : choices.length > 0 ? (
          <>
            <label htmlFor={`${id}-value`} className="visually-hidden">
              {label} {type}
            </label>
            <select id={`${id}-value`} value={current} onChange={(e) => onChange({ type, value: e.target.value })}>
              {!known ? (
                <option value={current}>{current === '' ? '— choose —' : `${current} (unknown)`}</option>
              ) : null}
              {choices.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </>
        ) : (
          <>
            <label htmlFor={`${id}-value`} className="visually-hidden">
              {label} {type}
            </label>
            <input
              id={`${id}-value`}
              value={current}
              placeholder={`${type} name`}
              onChange={(e) => onChange({ type, value: e.target.value })}
            />
          </>
        )}
      </div>
      <FieldIssues issues={issues} id={`${id}-issues`} />
    </fieldset>
  );
}

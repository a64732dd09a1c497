/**
 * Changes an existing record type: its label and fields, and the options of a text field
 * (an enumerated field: records take only those values, conditions and forms offer them
 * as a pick list). Saved whole with PUT /api/record-types/<name>; the server's 422 names
 * the field that does not fit.
 */
import { useId, useState } from 'react';

import { changeRecordType } from '../../lib/admin-api';
import type { AdminRecordField, AdminRecordType } from '../../lib/admin-schemas';
import { fieldLabel } from '../../lib/record-values';
import { failureMessage } from './form-field';

const FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'datetime', 'list', 'map'] as const;
const TYPE_LABELS: Record<(typeof FIELD_TYPES)[number], string> = {
  string: 'Text',
  number: 'Number',
  integer: 'Whole number',
  boolean: 'Yes/no',
  date: 'Date',
  datetime: 'Date and time',
  list: 'List',
  map: 'Map',
};

/** Why `option` cannot be added to `options`, or null. */
export function optionProblem(options: readonly string[], option: string): string | null {
  if (option.trim() === '') return 'Type the option first.';
  if (option.length > 200) return 'An option has at most 200 characters.';
  if (options.includes(option.trim())) return `“${option.trim()}” is already an option.`;
  return null;
}

/** A field as the API takes it: no empty label, options only on a text field and only when there are some. */
function cleaned(field: AdminRecordField): AdminRecordField {
  const { options, label, ...rest } = field;
  return {
    ...rest,
    ...(label && label.trim() ? { label: label.trim() } : {}),
    ...(field.type === 'string' && options && options.length > 0 ? { options } : {}),
  };
}

type Row = { key: number; isNew: boolean; field: AdminRecordField };
type Props = { type: AdminRecordType; onSaved: (type: AdminRecordType) => void; onCancel: () => void };

export function RecordTypeEditor({ type, onSaved, onCancel }: Props) {
  const [label, setLabel] = useState(type.label);
  // A key per row (fields can be removed and added) and whether it is new: only a new field's name can change.
  const [rows, setRows] = useState<Row[]>(() => type.fields.map((field, key) => ({ key, isNew: false, field })));
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const setField = (key: number, field: AdminRecordField) =>
    setRows(rows.map((r) => (r.key === key ? { ...r, field } : r)));
  const save = async () => {
    setBusy(true);
    setProblem(null);
    try {
      onSaved(
        await changeRecordType(type.name, {
          label: label.trim() || type.name,
          fields: rows.map((r) => cleaned(r.field)),
        }),
      );
    } catch (failure) {
      setProblem(failureMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="record-type-editor"
      noValidate
      aria-label={`Edit ${type.label}`}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="admin-field">
        <label htmlFor={`${id}-label`}>Label of the record type</label>
        <input id={`${id}-label`} value={label} onChange={(e) => setLabel(e.target.value)} />
      </div>
      <ol className="record-type-editor__fields">
        {rows.map((row) => (
          <FieldEditor
            key={row.key}
            field={row.field}
            isNew={row.isNew}
            onChange={(next) => setField(row.key, next)}
            onRemove={() => setRows(rows.filter((r) => r.key !== row.key))}
          />
        ))}
      </ol>
      <button
        type="button"
        onClick={() =>
          setRows([
            ...rows,
            {
              key: Math.max(-1, ...rows.map((r) => r.key)) + 1,
              isNew: true,
              field: { name: '', type: 'string', required: false },
            },
          ])
        }
      >
        Add field
      </button>
      {problem ? (
        <p className="problem" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="page-actions">
        <button type="submit" className="primary" disabled={busy}>
          Save record type
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function FieldEditor({
  field,
  isNew,
  onChange,
  onRemove,
}: {
  field: AdminRecordField;
  isNew: boolean;
  onChange: (f: AdminRecordField) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const title = field.name ? fieldLabel(field) : 'New field';
  return (
    <li className="record-type-editor__field">
      <fieldset>
        <legend>
          {title} {field.name ? <span className="muted mono">{field.name}</span> : null}
        </legend>
        <div className="record-type-editor__row">
          <div className="admin-field">
            <label htmlFor={`${id}-label`}>Label of {title}</label>
            <input
              id={`${id}-label`}
              value={field.label ?? ''}
              placeholder={field.name ? fieldLabel({ name: field.name }) : undefined}
              onChange={(e) => onChange({ ...field, label: e.target.value })}
            />
          </div>
          {isNew ? (
            <div className="admin-field">
              <label htmlFor={`${id}-name`}>Name of {title}</label>
              <input
                id={`${id}-name`}
                className="mono"
                value={field.name}
                onChange={(e) => onChange({ ...field, name: e.target.value })}
              />
            </div>
          ) : null}
          <div className="admin-field">
            <label htmlFor={`${id}-type`}>Type of {title}</label>
            <select id={`${id}-type`} value={field.type} onChange={(e) => onChange({ ...field, type: e.target.value })}>
              {FIELD_TYPES.map((t) => (
                <option key={t} value={t}>
                  {TYPE_LABELS[t]}
                </option>
              ))}
            </select>
          </div>
          <label className="record-type-editor__check">
            <input
              type="checkbox"
              checked={field.required === true}
              onChange={(e) => onChange({ ...field, required: e.target.checked })}
            />
            Required
          </label>
          <button type="button" className="danger" onClick={onRemove}>
            Remove field {title}
          </button>
        </div>
        {field.type === 'string' ? (
          <OptionsEditor
            title={title}
            options={field.options ?? []}
            onChange={(options) => onChange({ ...field, options })}
          />
        ) : null}
      </fieldset>
    </li>
  );
}

function OptionsEditor({
  title,
  options,
  onChange,
}: {
  title: string;
  options: string[];
  onChange: (options: string[]) => void;
}) {
  const id = useId();
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const add = () => {
    const why = optionProblem(options, draft);
    setProblem(why);
    if (why) return;
    onChange([...options, draft.trim()]);
    setDraft('');
  };
  return (
    <div className="record-type-editor__options">
      <p className="muted" id={`${id}-hint`}>
        {options.length === 0
          ? 'Any text. Add options to make it a pick list: records then take only those values.'
          : 'Options (records take only these):'}
      </p>
      {options.length > 0 ? (
        <ul className="record-type-editor__option-list" aria-label={`Options of ${title}`}>
          {options.map((o) => (
            <li key={o}>
              <span>{o}</span>
              <button
                type="button"
                className="small danger"
                aria-label={`Remove option ${o} of ${title}`}
                title="Remove"
                onClick={() => onChange(options.filter((x) => x !== o))}
              >
                ✕
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="record-type-editor__add">
        <label htmlFor={`${id}-new`} className="visually-hidden">
          New option of {title}
        </label>
        <input
          id={`${id}-new`}
          value={draft}
          placeholder="New option"
          aria-describedby={problem ? `${id}-problem` : `${id}-hint`}
          aria-invalid={problem ? true : undefined}
          onChange={(e) => {
            setDraft(e.target.value);
            setProblem(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" onClick={add}>
          Add option to {title}
        </button>
      </div>
      {problem ? (
        <span className="field-error" id={`${id}-problem`}>
          {problem}
        </span>
      ) : null}
    </div>
  );
}

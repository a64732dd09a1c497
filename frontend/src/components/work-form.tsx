import { useState } from 'react';

import { checkForm, initialInputs, type FieldInput, type FormInputs } from '../lib/work-guide';
import type { FormDefinition, FormField } from '../lib/work-schemas';

type Props = {
  form: FormDefinition;
  busy: boolean;
  /** Errors from the server, per field (a 422), shown like the form's own. */
  serverErrors: Record<string, string>;
  onSubmit: (outcome: string, values: Record<string, unknown>, comment: string | null) => void;
  idPrefix?: string;
};

/** A step's form from its definition: one input per field, one button per outcome, a comment box. */
export function WorkForm({ form, busy, serverErrors, onSubmit, idPrefix = 'field' }: Props) {
  const [inputs, setInputs] = useState<FormInputs>(() => initialInputs(form));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [comment, setComment] = useState('');
  const shown = { ...serverErrors, ...errors };

  const submit = (outcome: string) => {
    const checked = checkForm(form, inputs);
    setErrors(checked.errors);
    if (Object.keys(checked.errors).length > 0) return;
    onSubmit(outcome, checked.values, comment.trim() ? comment : null);
  };
  const change = (name: string, value: FieldInput) => {
    setInputs({ ...inputs, [name]: value });
    if (errors[name]) setErrors(Object.fromEntries(Object.entries(errors).filter(([n]) => n !== name)));
  };

  return (
    <form className="work-form" noValidate onSubmit={(e) => e.preventDefault()}>
      {form.fields.map((field) => (
        <FieldRow
          key={field.name}
          field={field}
          input={inputs[field.name]}
          error={shown[field.name]}
          idPrefix={idPrefix}
          onChange={(v) => change(field.name, v)}
        />
      ))}
      <label className="work-form__field">
        <span>
          Comment <span className="muted">(optional)</span>
        </span>
        <textarea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
      </label>
      {shown.outcome ? (
        <p className="field-error" role="alert">
          Outcome {shown.outcome}
        </p>
      ) : null}
      <div className="work-form__outcomes">
        {form.outcomes.map((o, i) => (
          <button
            key={o.value}
            type="button"
            className={i === 0 ? 'primary' : undefined}
            disabled={busy}
            onClick={() => submit(o.value)}
          >
            {o.label}
          </button>
        ))}
      </div>
    </form>
  );
}

type FieldRowProps = {
  field: FormField;
  input: FieldInput | undefined;
  error?: string;
  onChange: (value: FieldInput) => void;
  /** Keeps ids unique when two forms share a page. */
  idPrefix?: string;
};

/** One field of a generated form: its label (with a required mark), input, help and error. */
export function FieldRow({ field, input, error, onChange, idPrefix = 'field' }: FieldRowProps) {
  const id = `${idPrefix}-${field.name}`;
  const label = field.label ?? field.name;
  const described =
    [field.help ? `${id}-help` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': described,
    required: field.required,
  };
  const text = typeof input === 'string' ? input : '';
  let control;
  switch (field.type) {
    case 'textarea':
      control = <textarea {...common} rows={3} value={text} onChange={(e) => onChange(e.target.value)} />;
      break;
    case 'boolean':
      control = (
        <input {...common} type="checkbox" checked={input === true} onChange={(e) => onChange(e.target.checked)} />
      );
      break;
    case 'select':
      control = (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose…</option>
          {(field.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case 'multiselect': {
      const picked = Array.isArray(input) ? input : [];
      control = (
        <fieldset id={id} className="work-form__choices" aria-describedby={described}>
          <legend className="visually-hidden">{label}</legend>
          {(field.options ?? []).map((o) => (
            <label key={o}>
              <input
                type="checkbox"
                checked={picked.includes(o)}
                onChange={(e) => onChange(e.target.checked ? [...picked, o] : picked.filter((p) => p !== o))}
              />{' '}
              {o}
            </label>
          ))}
        </fieldset>
      );
      break;
    }
    default: {
      const type =
        { number: 'number', integer: 'number', date: 'date', datetime: 'datetime-local', email: 'email' }[
          field.type as string
        ] ?? 'text';
      control = (
        <input
          {...common}
          type={type}
          step={field.type === 'integer' ? 1 : field.type === 'number' ? 'any' : undefined}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    }
  }
  return (
    <div className="work-form__field">
      {field.type === 'multiselect' ? (
        <span>
          {label}
          {field.required ? ' *' : ''}
        </span>
      ) : (
        <label htmlFor={id}>
          {label}
          {field.required ? ' *' : ''}
        </label>
      )}
      {control}
      {field.help ? (
        <small id={`${id}-help`} className="muted">
          {field.help}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} className="field-error">
          {label} {error}
        </small>
      ) : null}
    </div>
  );
}

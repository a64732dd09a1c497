import { useState } from 'react';

import { ApiError } from '../lib/api';
import { fieldLabel, readRecordInputs, recordInputs } from '../lib/record-values';
import type { RecordType } from '../lib/work-schemas';

type Props = {
  type: RecordType;
  initial?: Record<string, unknown>;
  submitLabel: string;
  onSave: (fields: Record<string, unknown>) => Promise<void>;
  onCancel: () => void;
  /** The fields the person may change; the others are shown read only (all when left out). */
  editable?: readonly string[];
};

/** A record's fields by its type: create or edit; the server's 422 shown next to the fields. */
export function RecordForm({ type, initial, submitLabel, onSave, onCancel, editable }: Props) {
  const [inputs, setInputs] = useState(() => recordInputs(type.fields, initial));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    const read = readRecordInputs(type.fields, inputs);
    setErrors(read.errors);
    if (Object.keys(read.errors).length > 0) return;
    setBusy(true);
    setProblem(null);
    try {
      await onSave(read.values);
    } catch (failure) {
      const details = failure instanceof ApiError ? failure.details : undefined;
      const fields =
        typeof details === 'object' && details !== null
          ? ((details as Record<string, unknown>).fields ?? details)
          : undefined;
      if (typeof fields === 'object' && fields !== null) {
        setErrors(
          Object.fromEntries(Object.entries(fields).map(([n, m]) => [n, Array.isArray(m) ? m.join(' ') : String(m)])),
        );
      }
      setProblem(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="record-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {type.fields.map((f) => {
        const id = `record-${f.name}`;
        const label = fieldLabel(f);
        const input = inputs[f.name];
        const set = (value: string | boolean) => setInputs({ ...inputs, [f.name]: value });
        const htmlType =
          { number: 'number', integer: 'number', date: 'date', datetime: 'datetime-local' }[f.type as string] ?? 'text';
        const readOnly = editable !== undefined && !editable.includes(f.name);
        return (
          <div className="work-form__field" key={f.name}>
            <label htmlFor={id}>
              {label}
              {f.required ? ' *' : ''}
              {readOnly ? ' (read only)' : ''}
            </label>
            {f.type === 'boolean' ? (
              <input
                id={id}
                type="checkbox"
                checked={input === true}
                disabled={readOnly}
                onChange={(e) => set(e.target.checked)}
              />
            ) : f.options && f.options.length > 0 ? (
              // An enumerated field: one of its options, so a value the server refuses cannot be typed.
              <select
                id={id}
                value={String(input)}
                disabled={readOnly}
                onChange={(e) => set(e.target.value)}
                aria-invalid={errors[f.name] ? true : undefined}
              >
                <option value="">{f.required ? 'Choose…' : '—'}</option>
                {String(input) !== '' && !f.options.includes(String(input)) ? (
                  <option value={String(input)}>{String(input)} (not an option)</option>
                ) : null}
                {f.options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : f.type === 'list' || f.type === 'map' ? (
              <textarea
                id={id}
                rows={2}
                className="mono"
                value={String(input)}
                readOnly={readOnly}
                onChange={(e) => set(e.target.value)}
                aria-invalid={errors[f.name] ? true : undefined}
              />
            ) : (
              <input
                id={id}
                type={htmlType}
                step={f.type === 'number' ? 'any' : undefined}
                value={String(input)}
                readOnly={readOnly}
                onChange={(e) => set(e.target.value)}
                aria-invalid={errors[f.name] ? true : undefined}
              />
            )}
            {errors[f.name] ? (
              <small className="field-error">
                {label} {errors[f.name]}
              </small>
            ) : null}
          </div>
        );
      })}
      {problem ? (
        <p role="alert" className="problem">
          {problem}
        </p>
      ) : null}
      <div className="page-actions">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

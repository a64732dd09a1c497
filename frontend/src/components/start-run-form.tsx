import { useState } from 'react';

import { ApiError } from '../lib/api';
import {
  checkInputs,
  initialInputs,
  inputsForm,
  serverInputErrors,
  type DeclaredInput,
  type FieldInput,
  type FormInputs,
} from '../lib/work-guide';
import { FieldRow } from './work-form';

type Props = {
  inputs: readonly DeclaredInput[];
  submitLabel: string;
  /** Starts the run; a 422's `details.inputs` are shown next to their fields. */
  onStart: (values: Record<string, unknown>) => Promise<void>;
  idPrefix?: string;
};

/** A run's inputs as a form: generated from the orchestration's `inputs`, checked as the server checks them. */
export function StartRunForm({ inputs, submitLabel, onStart, idPrefix = 'input' }: Props) {
  const form = inputsForm(inputs);
  const [values, setValues] = useState<FormInputs>(() => initialInputs(form));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const change = (name: string, value: FieldInput) => {
    setValues({ ...values, [name]: value });
    if (errors[name]) setErrors(Object.fromEntries(Object.entries(errors).filter(([n]) => n !== name)));
  };
  const start = async () => {
    const checked = checkInputs(inputs, values);
    setErrors(checked.errors);
    setProblem(null);
    if (Object.keys(checked.errors).length > 0) return;
    setBusy(true);
    try {
      await onStart(checked.values);
    } catch (failure) {
      const fields = failure instanceof ApiError ? serverInputErrors(failure.details) : {};
      setErrors(fields);
      setProblem(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="work-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      {form.fields.length === 0 ? <p className="muted">This orchestration takes no inputs.</p> : null}
      {form.fields.map((field) => (
        <FieldRow
          key={field.name}
          field={field}
          input={values[field.name]}
          error={errors[field.name]}
          idPrefix={idPrefix}
          onChange={(v) => change(field.name, v)}
        />
      ))}
      {form.fields.some((f) => f.required) ? <p className="muted">* required</p> : null}
      {problem ? (
        <p role="alert" className="problem">
          {problem}
        </p>
      ) : null}
      <div className="page-actions">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

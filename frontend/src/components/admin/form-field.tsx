/** A labelled input with the server's error for it underneath (tied with aria-describedby). */
import { useId, type ReactElement, cloneElement } from 'react';

type Control = ReactElement<{ id?: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }>;

export function FormField({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string;
  hint?: string;
  children: Control;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`admin-field${error ? ' admin-field--invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': described })}
      {hint ? (
        <span className="muted admin-field__hint" id={hintId}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** Checkboxes in a fieldset: which of `options` are chosen (groups and queues, members). */
export function CheckList({
  legend,
  options,
  chosen,
  onChange,
  error,
}: {
  legend: string;
  options: { value: string; label: string }[];
  chosen: string[];
  onChange: (chosen: string[]) => void;
  error?: string;
}) {
  const id = useId();
  return (
    <fieldset
      className={`admin-checklist${error ? ' admin-field--invalid' : ''}`}
      aria-describedby={error ? `${id}-error` : undefined}
    >
      <legend>{legend}</legend>
      {options.length === 0 ? <p className="muted">None yet.</p> : null}
      {options.map((o) => (
        <label key={o.value}>
          <input
            type="checkbox"
            checked={chosen.includes(o.value)}
            onChange={(e) => onChange(e.target.checked ? [...chosen, o.value] : chosen.filter((c) => c !== o.value))}
          />
          {o.label}
        </label>
      ))}
      {error ? (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      ) : null}
    </fieldset>
  );
}

/** The message of a failure, for a role="alert" line. */
export function failureMessage(failure: unknown): string {
  return failure instanceof Error ? failure.message : 'The server could not be reached; try again.';
}

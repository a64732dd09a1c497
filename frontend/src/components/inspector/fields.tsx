/**
 * The inspector's inputs: each has a real <label>, and shows the server's issues
 * about its document field under it (`at` = [node id or null, field path]).
 */
import { useId, type ReactNode } from 'react';

import { FieldIssues, useFieldIssues, withIssuesCleared, type FieldAt } from './field-issues';

export type { FieldAt };

type Common = { label: string; at?: FieldAt; hint?: string; required?: boolean };

function useIssues(at: FieldAt | undefined) {
  return useFieldIssues(at?.[0] ?? null, at ? at[1] : '\u0000');
}

/** The label; a required field's asterisk stays outside it so that the accessible name is the label alone. */
function FieldLabel({ htmlFor, label, required }: { htmlFor: string; label: string; required?: boolean }) {
  return (
    <span className="field__label-row">
      <label htmlFor={htmlFor}>{label}</label>
      {required ? (
        <span className="required" aria-hidden="true">
          *
        </span>
      ) : null}
    </span>
  );
}

function describedBy(id: string, hint: string | undefined, hasIssues: boolean): string | undefined {
  const ids = [hint ? `${id}-hint` : '', hasIssues ? `${id}-issues` : ''].filter(Boolean).join(' ');
  return ids || undefined;
}

export function TextField({
  label,
  value,
  onChange,
  at,
  hint,
  required,
  placeholder,
  mono,
  readOnly,
  list,
  type = 'text',
}: Common & {
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  mono?: boolean;
  readOnly?: boolean;
  list?: string;
  type?: 'text' | 'number';
}) {
  const id = useId();
  const issues = useIssues(at);
  const change = withIssuesCleared(at, onChange);
  return (
    <div className={`field${issues.length > 0 ? ' field--invalid' : ''}`}>
      <FieldLabel htmlFor={id} label={label} required={required} />
      <input
        id={id}
        type={type}
        className={mono ? 'mono' : undefined}
        value={value}
        placeholder={placeholder}
        readOnly={readOnly}
        list={list}
        aria-required={required || undefined}
        aria-invalid={issues.some((i) => i.severity === 'error') || undefined}
        aria-describedby={describedBy(id, hint, issues.length > 0)}
        onChange={(e) => change(e.target.value)}
      />
      {hint ? (
        <small className="field__hint" id={`${id}-hint`}>
          {hint}
        </small>
      ) : null}
      <FieldIssues issues={issues} id={`${id}-issues`} />
    </div>
  );
}

export function TextAreaField({
  label,
  value,
  onChange,
  at,
  hint,
  required,
  mono,
  rows = 2,
  placeholder,
}: Common & { value: string; onChange: (value: string) => void; mono?: boolean; rows?: number; placeholder?: string }) {
  const id = useId();
  const issues = useIssues(at);
  const change = withIssuesCleared(at, onChange);
  return (
    <div className={`field${issues.length > 0 ? ' field--invalid' : ''}`}>
      <FieldLabel htmlFor={id} label={label} required={required} />
      <textarea
        id={id}
        rows={rows}
        className={mono ? 'mono' : undefined}
        value={value}
        placeholder={placeholder}
        spellCheck={mono ? false : undefined}
        aria-required={required || undefined}
        aria-invalid={issues.some((i) => i.severity === 'error') || undefined}
        aria-describedby={describedBy(id, hint, issues.length > 0)}
        onChange={(e) => change(e.target.value)}
      />
      {hint ? (
        <small className="field__hint" id={`${id}-hint`}>
          {hint}
        </small>
      ) : null}
      <FieldIssues issues={issues} id={`${id}-issues`} />
    </div>
  );
}

export type Choice = { value: string; label: string };

export function SelectField({
  label,
  value,
  onChange,
  options,
  at,
  hint,
  required,
}: Common & { value: string; onChange: (value: string) => void; options: readonly Choice[] }) {
  const id = useId();
  const issues = useIssues(at);
  const change = withIssuesCleared(at, onChange);
  const known = options.some((o) => o.value === value);
  return (
    <div className={`field${issues.length > 0 ? ' field--invalid' : ''}`}>
      <FieldLabel htmlFor={id} label={label} required={required} />
      <select
        id={id}
        value={value}
        aria-invalid={issues.some((i) => i.severity === 'error') || undefined}
        aria-describedby={describedBy(id, hint, issues.length > 0)}
        onChange={(e) => change(e.target.value)}
      >
        {!known ? <option value={value}>{value === '' ? '— choose —' : `${value} (unknown)`}</option> : null}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint ? (
        <small className="field__hint" id={`${id}-hint`}>
          {hint}
        </small>
      ) : null}
      <FieldIssues issues={issues} id={`${id}-issues`} />
    </div>
  );
}

export function CheckboxField({
  label,
  checked,
  onChange,
  at,
}: Common & { checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  const issues = useIssues(at);
  const change = withIssuesCleared(at, onChange);
  return (
    <div className="field field--checkbox">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => change(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
      <FieldIssues issues={issues} id={`${id}-issues`} />
    </div>
  );
}

export function NumberField({
  label,
  value,
  onChange,
  at,
  hint,
  required,
  min,
  step,
}: Common & { value: number | undefined; onChange: (value: number | undefined) => void; min?: number; step?: number }) {
  const id = useId();
  const issues = useIssues(at);
  const change = withIssuesCleared(at, onChange);
  return (
    <div className={`field${issues.length > 0 ? ' field--invalid' : ''}`}>
      <FieldLabel htmlFor={id} label={label} required={required} />
      <input
        id={id}
        type="number"
        min={min}
        step={step}
        value={value === undefined ? '' : String(value)}
        aria-describedby={describedBy(id, hint, issues.length > 0)}
        onChange={(e) => {
          const text = e.target.value;
          const n = Number(text);
          change(text === '' || !Number.isFinite(n) ? undefined : n);
        }}
      />
      {hint ? (
        <small className="field__hint" id={`${id}-hint`}>
          {hint}
        </small>
      ) : null}
      <FieldIssues issues={issues} id={`${id}-issues`} />
    </div>
  );
}

/** Move up / Move down / Remove for one item of a list; `what` names it ("field notes"). */
export function ItemButtons({
  what,
  index,
  count,
  onMove,
  onRemove,
}: {
  what: string;
  index: number;
  count: number;
  onMove: (delta: number) => void;
  onRemove: () => void;
}) {
  return (
    <div className="item-buttons">
      <button
        type="button"
        className="small"
        onClick={() => onMove(-1)}
        disabled={index === 0}
        aria-label={`Move ${what} up`}
        title="Move up"
      >
        ↑
      </button>
      <button
        type="button"
        className="small"
        onClick={() => onMove(1)}
        disabled={index === count - 1}
        aria-label={`Move ${what} down`}
        title="Move down"
      >
        ↓
      </button>
      <button type="button" className="small danger" onClick={onRemove} aria-label={`Remove ${what}`} title="Remove">
        ✕
      </button>
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="inspector__section">
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}

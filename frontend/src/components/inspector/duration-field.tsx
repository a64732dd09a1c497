/** An ISO-8601 duration as a number and a unit ("2 days" = P2D), or as ISO text when it has several parts. */
import { useId, useState } from 'react';

import { useOnChange } from '../../hooks/use-on-change';
import { DURATION_UNITS, formatDuration, isDuration, parseDuration, type DurationUnit } from '../../lib/duration';
import { FieldIssues, useFieldIssues, withIssuesCleared, type FieldAt } from './field-issues';

const CUSTOM = 'custom';

type Props = {
  label: string;
  value: string | undefined;
  /** undefined when the number is emptied (no duration). */
  onChange: (value: string | undefined) => void;
  at?: FieldAt;
  hint?: string;
  defaultUnit?: DurationUnit;
};

export function DurationField({ label, value, onChange: edit, at, hint, defaultUnit = 'days' }: Props) {
  const id = useId();
  const onChange = withIssuesCleared(at, edit);
  const issues = useFieldIssues(at?.[0] ?? null, at ? at[1] : '\u0000');
  const simple = value ? parseDuration(value) : null;
  const [unit, setUnit] = useState<DurationUnit | typeof CUSTOM>(
    value && !simple ? CUSTOM : (simple?.unit ?? defaultUnit),
  );
  const [amount, setAmount] = useState(simple ? String(simple.amount) : '');

  // A value from elsewhere (undo, another edit) is taken in as the page renders.
  useOnChange(value, () => {
    const next = value ? parseDuration(value) : null;
    if (next) {
      setUnit(next.unit);
      setAmount((current) => (Number(current) === next.amount && current !== '' ? current : String(next.amount)));
    } else if (value) {
      setUnit(CUSTOM);
    } else {
      setAmount('');
    }
  });

  const writeAmount = (text: string, inUnit: DurationUnit) => {
    setAmount(text);
    const n = Number(text);
    if (text.trim() === '') onChange(undefined);
    else if (Number.isInteger(n) && n >= 0) onChange(formatDuration({ amount: n, unit: inUnit }));
  };

  return (
    <fieldset className={`field duration${issues.length > 0 ? ' field--invalid' : ''}`}>
      <legend className="field__label">{label}</legend>
      <div className="duration__inputs">
        {unit === CUSTOM ? (
          <>
            <label htmlFor={`${id}-iso`} className="visually-hidden">
              {label} (ISO-8601)
            </label>
            <input
              id={`${id}-iso`}
              className="mono"
              value={value ?? ''}
              placeholder="P1DT12H"
              aria-invalid={value !== undefined && !isDuration(value) ? true : undefined}
              onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
            />
          </>
        ) : (
          <>
            <label htmlFor={`${id}-amount`} className="visually-hidden">
              {label}
            </label>
            <input
              id={`${id}-amount`}
              type="number"
              min={0}
              step={1}
              value={amount}
              aria-describedby={hint ? `${id}-hint` : undefined}
              onChange={(e) => writeAmount(e.target.value, unit)}
            />
          </>
        )}
        <label htmlFor={`${id}-unit`} className="visually-hidden">
          {label} unit
        </label>
        <select
          id={`${id}-unit`}
          value={unit}
          onChange={(e) => {
            const next = e.target.value as DurationUnit | typeof CUSTOM;
            setUnit(next);
            if (next !== CUSTOM && amount !== '') writeAmount(amount, next);
          }}
        >
          {DURATION_UNITS.map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
          <option value={CUSTOM}>ISO-8601…</option>
        </select>
      </div>
      {unit === CUSTOM && value !== undefined && !isDuration(value) ? (
        <small className="field__hint">Not an ISO-8601 duration yet (P2D, PT4H, P1DT12H…).</small>
      ) : null}
      {hint ? (
        <small className="field__hint" id={`${id}-hint`}>
          {hint}
        </small>
      ) : null}
      <FieldIssues issues={issues} id={`${id}-issues`} />
    </fieldset>
  );
}

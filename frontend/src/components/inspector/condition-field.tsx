/**
 * A CEL condition, edited as rows of field · operator · value joined by "all"/"any",
 * or as raw CEL. An expression the builder cannot show opens as raw CEL. The server's
 * compile errors for the field show under it whichever way it is edited.
 *
 * Fields are picked from the names in the condition's scope (their label and type shown);
 * once a row's field is known its value follows its type, and an enumerated field (a record
 * field's or a select's `options`) is compared with one of its options, picked from a list.
 */
import { useId, useState } from 'react';

import {
  OPERATORS,
  OPERATOR_LABELS,
  emptyRow,
  fitValue,
  parseCondition,
  rowProblem,
  serializeCondition,
  type Condition,
  type ConditionRow,
  type Operator,
  type ValueKind,
} from '../../lib/cel-condition';
import { removeAt, replaceAt } from '../../lib/node-edits';
import { FieldIssues, useFieldIssues, withIssuesCleared, type FieldAt } from './field-issues';
import { typeLabel, type NameScope } from '../../lib/expression-scope';
import { useNamesInScope } from './expression-names';
import { NameCombobox } from './name-combobox';

const VALUE_KINDS: ReadonlyArray<{ value: ValueKind; label: string }> = [
  { value: 'string', label: 'Text' },
  { value: 'number', label: 'Number' },
  { value: 'boolean', label: 'Yes/no' },
  { value: 'null', label: 'Nothing (null)' },
  { value: 'field', label: 'Another field' },
];

type Props = {
  label: string;
  value: string;
  onChange: (cel: string) => void;
  at?: FieldAt;
  /** Where the condition is evaluated: which names it may read. */
  scope: NameScope;
  required?: boolean;
};

type Names = ReturnType<typeof useNamesInScope>;

export function ConditionField({ label, value, onChange: edit, at, scope, required }: Props) {
  const id = useId();
  const onChange = withIssuesCleared(at, edit);
  const names = useNamesInScope(scope);
  const issues = useFieldIssues(at?.[0] ?? null, at ? at[1] : '\u0000');
  const parsed = parseCondition(value);
  const [mode, setMode] = useState<'builder' | 'raw'>(parsed ? 'builder' : 'raw');
  const [condition, setCondition] = useState<Condition>(parsed ?? { combinator: 'all', rows: [] });
  // What this field wrote or took in last: a different value came from elsewhere (undo,
  // another edit), and is taken in as the page renders, not one paint later.
  const [written, setWritten] = useState(value);
  if (value !== written) {
    setWritten(value);
    const next = parseCondition(value);
    if (next) setCondition(next);
    else setMode('raw');
  }

  const write = (next: Condition) => {
    setCondition(next);
    const cel = serializeCondition(next);
    setWritten(cel);
    if (cel !== value) onChange(cel);
  };

  const setRow = (index: number, row: ConditionRow) =>
    write({ ...condition, rows: replaceAt(condition.rows, index, row) });

  const toBuilder = () => {
    const next = parseCondition(value);
    if (!next) return;
    setCondition(next);
    setMode('builder');
  };

  const hasError = issues.some((i) => i.severity === 'error');
  return (
    <fieldset className={`field condition${issues.length > 0 ? ' field--invalid' : ''}`}>
      <legend className="condition__label">
        {label}
        {required ? (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        ) : null}
      </legend>
      <div className="condition__head">
        {mode === 'builder' ? (
          <button type="button" className="link" onClick={() => setMode('raw')}>
            Edit as CEL
          </button>
        ) : (
          <button
            type="button"
            className="link"
            onClick={toBuilder}
            disabled={parsed === null}
            title={parsed === null ? 'The condition builder cannot show this expression' : undefined}
          >
            Use condition builder
          </button>
        )}
      </div>
      {mode === 'raw' ? (
        <>
          <label htmlFor={`${id}-cel`} className="visually-hidden">
            {label} (CEL)
          </label>
          <textarea
            id={`${id}-cel`}
            className="mono"
            rows={2}
            spellCheck={false}
            value={value}
            aria-invalid={hasError || undefined}
            aria-describedby={issues.length > 0 ? `${id}-issues` : undefined}
            onChange={(e) => {
              setWritten(e.target.value);
              onChange(e.target.value);
            }}
          />
          {parsed === null && value.trim() !== '' ? (
            <small className="field__hint">The condition builder cannot show this expression; edit it as CEL.</small>
          ) : null}
        </>
      ) : (
        <div className="condition__builder">
          {condition.rows.length > 1 ? (
            <div className="condition__combinator">
              <label htmlFor={`${id}-combinator`}>Match</label>
              <select
                id={`${id}-combinator`}
                value={condition.combinator}
                onChange={(e) => write({ ...condition, combinator: e.target.value === 'any' ? 'any' : 'all' })}
              >
                <option value="all">all of these (and)</option>
                <option value="any">any of these (or)</option>
              </select>
            </div>
          ) : null}
          {condition.rows.length === 0 ? <p className="field__hint">No condition yet.</p> : null}
          {condition.rows.map((row, index) => (
            <ConditionRowEditor
              key={index}
              id={`${id}-row${index}`}
              index={index}
              row={row}
              names={names}
              onChange={(next) => setRow(index, next)}
              onRemove={() => write({ ...condition, rows: removeAt(condition.rows, index) })}
            />
          ))}
          <button
            type="button"
            className="small"
            onClick={() => setCondition({ ...condition, rows: [...condition.rows, emptyRow()] })}
          >
            Add condition
          </button>
          <code className="condition__cel">
            <span className="visually-hidden">As CEL: </span>
            {value || '—'}
          </code>
        </div>
      )}
      <FieldIssues issues={issues} id={`${id}-issues`} />
    </fieldset>
  );
}

function ConditionRowEditor({
  id,
  index,
  row,
  names,
  onChange,
  onRemove,
}: {
  id: string;
  index: number;
  row: ConditionRow;
  names: Names;
  onChange: (row: ConditionRow) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  const problem = row.field === '' ? null : rowProblem(row);
  const field = names.describe(row.field.trim());
  return (
    <div className="condition__row">
      <label htmlFor={`${id}-field`} className="visually-hidden">
        Field {n}
      </label>
      <NameCombobox
        id={`${id}-field`}
        className="condition__field"
        placeholder="Type to find a field"
        value={row.field}
        names={names.names}
        describedBy={field ? `${id}-about` : undefined}
        onChange={(name) => {
          const chosen = names.describe(name.trim());
          onChange({ ...row, field: name, value: chosen ? fitValue(chosen, row.value) : row.value });
        }}
      />
      <button
        type="button"
        className="small danger condition__remove"
        onClick={onRemove}
        aria-label={`Remove condition ${n}`}
        title="Remove"
      >
        ✕
      </button>
      {field ? (
        <small className="condition__about" id={`${id}-about`}>
          {field.label} · {typeLabel(field)}
        </small>
      ) : null}
      <label htmlFor={`${id}-operator`} className="visually-hidden">
        Operator {n}
      </label>
      <select
        id={`${id}-operator`}
        className="condition__operator"
        value={row.operator}
        onChange={(e) => onChange({ ...row, operator: e.target.value as Operator })}
      >
        {OPERATORS.map((op) => (
          <option key={op} value={op}>
            {OPERATOR_LABELS[op]}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-kind`} className="visually-hidden">
        Value type {n}
      </label>
      <select
        id={`${id}-kind`}
        className="condition__kind"
        value={row.value.kind}
        onChange={(e) => {
          const kind = e.target.value as ValueKind;
          onChange({
            ...row,
            value: { kind, text: kind === 'boolean' ? 'true' : kind === 'null' ? '' : row.value.text },
          });
        }}
      >
        {VALUE_KINDS.map((k) => (
          <option key={k.value} value={k.value}>
            {k.label}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-value`} className="visually-hidden">
        Value {n}
      </label>
      {row.value.kind === 'boolean' ? (
        <select
          id={`${id}-value`}
          className="condition__value"
          value={row.value.text}
          onChange={(e) => onChange({ ...row, value: { kind: 'boolean', text: e.target.value } })}
        >
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : row.value.kind === 'string' && field?.options ? (
        <OptionPick
          id={`${id}-value`}
          options={field.options}
          value={row.value.text}
          onChange={(text) => onChange({ ...row, value: { kind: 'string', text } })}
        />
      ) : row.value.kind === 'field' ? (
        <NameCombobox
          id={`${id}-value`}
          className="condition__value"
          placeholder="Type to find a field"
          value={row.value.text}
          names={names.names}
          onChange={(text) => onChange({ ...row, value: { kind: 'field', text } })}
        />
      ) : (
        <input
          id={`${id}-value`}
          className="condition__value"
          inputMode={row.value.kind === 'number' ? 'decimal' : undefined}
          disabled={row.value.kind === 'null'}
          value={row.value.text}
          onChange={(e) => onChange({ ...row, value: { ...row.value, text: e.target.value } })}
        />
      )}
      {problem ? <small className="condition__problem">{problem}</small> : null}
    </div>
  );
}

/** One of an enumerated field's options; a value outside them (typed as CEL) stays, marked. */
function OptionPick({
  id,
  options,
  value,
  onChange,
}: {
  id: string;
  options: readonly string[];
  value: string;
  onChange: (text: string) => void;
}) {
  const outside = value !== '' && !options.includes(value);
  return (
    <select
      id={id}
      className="condition__value"
      value={value}
      aria-invalid={outside || undefined}
      onChange={(e) => onChange(e.target.value)}
    >
      {value === '' ? (
        <option value="" disabled>
          Choose a value…
        </option>
      ) : null}
      {outside ? <option value={value}>{value} (not an option)</option> : null}
      {options.map((o) => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
}

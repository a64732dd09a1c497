/** The repair moves on a run in error (docs/ARCHITECTURE.md §3): edit the failed step's
 * inputs or the run's variables, then retry; or skip the step with an outcome. Ops and admins. */
import { useState } from 'react';

import { ApiError, editRunVariables, editStepInputs, skipStep } from '../lib/api';
import { changedValues, problemLines, retryNotice } from '../lib/run-repair';
import { ConfirmDialog } from './confirm-dialog';

const shown = (value: unknown) =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

/** Rows of name → typed text; only the rows a person changed are sent. */
function ValuesForm({
  title,
  hint,
  rows,
  submit,
  onDone,
}: {
  title: string;
  hint: string;
  rows: { name: string; now: string; value: string }[];
  submit: (values: Record<string, unknown>) => Promise<void>;
  onDone: (message: string) => void;
}) {
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(rows.map((r) => [r.name, r.value])),
  );
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await submit(changedValues(texts, touched));
      setProblems([]);
      setTouched(new Set());
      onDone(`${title}: saved. Retry the run to use it.`);
    } catch (failure) {
      setProblems(
        failure instanceof ApiError ? [failure.message, ...problemLines(failure.details)] : [String(failure)],
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="repair__form" aria-label={title} onSubmit={(e) => void save(e)}>
      <h3>{title}</h3>
      <p className="muted">{hint}</p>
      {rows.map((r) => (
        <label key={r.name}>
          <span>
            <code>{r.name}</code> <span className="muted">now: {r.now || '—'}</span>
          </span>
          <input
            value={texts[r.name] ?? ''}
            onChange={(e) => {
              setTexts({ ...texts, [r.name]: e.target.value });
              setTouched(new Set(touched).add(r.name));
            }}
          />
        </label>
      ))}
      {problems.length ? (
        <ul className="repair__problems" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <button type="submit" disabled={busy || touched.size === 0}>
        Save
      </button>
    </form>
  );
}

export function RunRepair({
  runId,
  step,
  stepLabel,
  inputs,
  overrides,
  vars,
  onDone,
}: {
  runId: string;
  step: string;
  stepLabel: string;
  /** The step's action inputs as the document writes them (name → expression); none for other steps. */
  inputs: Record<string, string> | null;
  overrides: Record<string, unknown>;
  vars: Record<string, unknown>;
  onDone: (message: string) => void;
}) {
  const [outcome, setOutcome] = useState('');
  const [asking, setAsking] = useState(false);
  const skip = async () => {
    setAsking(false);
    try {
      onDone(retryNotice(`Skip ${stepLabel}`, (await skipStep(runId, step, outcome.trim() || null)).retry));
    } catch (failure) {
      onDone(
        failure instanceof ApiError ? [failure.message, ...problemLines(failure.details)].join(' ') : String(failure),
      );
    }
  };
  const names = Object.keys(inputs ?? {});
  return (
    <section className="repair" aria-labelledby="repair-title">
      <h2 id="repair-title">Repair this run</h2>
      <p className="muted">
        Change what the failed step gets, then Retry; or skip the step. Each change is written to the timeline with your
        name.
      </p>
      {inputs ? (
        <ValuesForm
          key={`inputs-${JSON.stringify(overrides)}`}
          title={`Inputs of ${stepLabel}`}
          hint="Type a value (JSON for numbers, lists and maps) to use instead of the expression on the next attempt; empty goes back to the expression."
          rows={names.map((name) => ({
            name,
            now: name in overrides ? shown(overrides[name]) : (inputs[name] ?? ''),
            value: shown(overrides[name]),
          }))}
          submit={(values) => editStepInputs(runId, step, values)}
          onDone={onDone}
        />
      ) : null}
      {Object.keys(vars).length ? (
        <ValuesForm
          key={`vars-${JSON.stringify(vars)}`}
          title="Variables of the run"
          hint="Checked against each variable's type before they are saved."
          rows={Object.entries(vars).map(([name, value]) => ({ name, now: shown(value), value: shown(value) }))}
          submit={(values) => editRunVariables(runId, values)}
          onDone={onDone}
        />
      ) : null}
      <form
        className="repair__form"
        aria-label={`Skip ${stepLabel}`}
        onSubmit={(e) => (e.preventDefault(), setAsking(true))}
      >
        <h3>Skip {stepLabel}</h3>
        <label>
          Outcome the step ends with (optional)
          <input value={outcome} onChange={(e) => setOutcome(e.target.value)} placeholder="e.g. done_by_hand" />
        </label>
        <button type="submit">Skip step…</button>
      </form>
      {asking ? (
        <ConfirmDialog
          title={`Skip ${stepLabel}?`}
          message={`The run goes on as if ${stepLabel} ended${outcome.trim() ? ` with outcome ${outcome.trim()}` : ''}. Its action does not run.`}
          confirm="Skip step"
          onConfirm={() => void skip()}
          onCancel={() => setAsking(false)}
        />
      ) : null}
    </section>
  );
}

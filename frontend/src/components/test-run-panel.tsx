/**
 * The builder's Test run panel: walk the draft on the server's in-memory engine, with
 * nothing stored. Start it (the inputs' form, or a new record's fields), act as each
 * open step's persona, move the clock, deliver events, answer background steps; the
 * log lists what was done, the canvas shows the path, and "Save as scenario" keeps the
 * walk as a scenario test in the Tests panel.
 */
import '../tests-panel.css';
import { useEffect, useState } from 'react';

import { useTestRun, useTestRunStore } from '../hooks/use-test-run';
import { listRecordTypes } from '../lib/api';
import { describeStep, isDuration, type TrialItem } from '../lib/test-run';
import type { RecordType } from '../lib/work-schemas';
import { flowStore, useFlowStore } from '../store/use-flow-store';
import { RecordForm } from './record-form';
import { StartRunForm } from './start-run-form';
import { WorkForm } from './work-form';

type Props = {
  orchestrationKey: string;
  /** Saves the draft's changes (the server plays the stored draft). */
  beforeRun: () => Promise<void>;
};

const label = (id: string) => {
  const node = flowStore.getState().nodes.find((n) => n.id === id);
  return (node?.data as { label?: string } | undefined)?.label ?? id;
};

const when = (iso: string) => iso.replace('T', ' ').replace(/:00(\.0+)?(\+00:00|Z)$/, ' UTC');

export function TestRunPanel({ orchestrationKey, beforeRun }: Props) {
  const { steps, trial, busy, refusal, problem } = useTestRunStore();
  const testRun = useTestRun(orchestrationKey, beforeRun);
  const run = trial?.run ?? null;
  const { restart } = testRun;

  useEffect(() => {
    const { trial: played, busy: working } = useTestRunStore.getState();
    if (played === null && !working) void restart();
  }, [restart]);

  return (
    <section className="tests-panel test-run" aria-labelledby="test-run-title">
      <h2 id="test-run-title" className="panel-title">
        Test run of the draft
      </h2>
      <p className="muted">
        Runs on a test engine with a virtual clock: nothing is stored, no action reaches the outside world.
      </p>
      <div className="tests-panel__controls">
        <button type="button" onClick={() => void restart()} disabled={busy || steps.length === 0}>
          Start over
        </button>
        {busy ? <span role="status">Working…</span> : null}
      </div>
      {problem ? (
        <p className="status--problem" role="alert">
          {problem}
        </p>
      ) : null}
      {refusal ? <Refused orchestrationKey={orchestrationKey} beforeRun={beforeRun} /> : null}

      {trial && !run ? <StartSection orchestrationKey={orchestrationKey} beforeRun={beforeRun} /> : null}

      {run ? (
        <>
          <dl className="test-run__state" data-testid="test-run-state" data-status={run.status}>
            <dt>Status</dt>
            <dd>{run.status.replace('_', ' ')}</dd>
            <dt>Where</dt>
            <dd>{run.current_stage ? label(run.current_stage) : run.current_node ? label(run.current_node) : '—'}</dd>
            <dt>Clock</dt>
            <dd>{when(trial!.now)}</dd>
          </dl>
          {run.error ? (
            <p className="status--problem">
              Error{run.error.node ? ` at ${label(run.error.node)}` : ''}: {run.error.message}
            </p>
          ) : null}
          {trial!.work_items.length > 0 ? (
            <section aria-labelledby="test-run-open">
              <h3 id="test-run-open">Open work</h3>
              {trial!.work_items.map((item) => (
                <OpenItem key={item.id} item={item} orchestrationKey={orchestrationKey} beforeRun={beforeRun} />
              ))}
            </section>
          ) : null}
          {run.status === 'in_progress' ? (
            <ClockAndEvents orchestrationKey={orchestrationKey} beforeRun={beforeRun} nextTimer={trial!.next_timer} />
          ) : null}
          {Object.keys(run.vars).length > 0 ? (
            <section aria-labelledby="test-run-vars">
              <h3 id="test-run-vars">Variables</h3>
              <dl className="test-run__state">
                {Object.entries(run.vars).map(([name, value]) => (
                  <div key={name}>
                    <dt>{name}</dt>
                    <dd className="mono">{JSON.stringify(value)}</dd>
                  </div>
                ))}
              </dl>
            </section>
          ) : null}
        </>
      ) : null}

      {steps.length > 0 ? (
        <section aria-labelledby="test-run-log">
          <h3 id="test-run-log">Steps</h3>
          <ol className="test-run__log" data-testid="test-run-log">
            {steps.map((step, i) => (
              <li key={i}>{describeStep(step, label)}</li>
            ))}
          </ol>
          <SaveAsScenario orchestrationKey={orchestrationKey} beforeRun={beforeRun} />
        </section>
      ) : null}
    </section>
  );
}

type Section = { orchestrationKey: string; beforeRun: () => Promise<void> };

/** The start: the draft's inputs as a form, or (record-triggered) a new record's fields. */
function StartSection({ orchestrationKey, beforeRun }: Section) {
  const meta = useFlowStore((s) => s.meta);
  const { act } = useTestRun(orchestrationKey, beforeRun);
  const [types, setTypes] = useState<RecordType[] | null>(null);
  const object = meta.trigger?.type === 'record' ? (meta.trigger.object ?? null) : null;
  useEffect(() => {
    if (object) listRecordTypes().then(setTypes, () => setTypes([]));
  }, [object]);

  if (object) {
    const type = types?.find((t) => t.name === object);
    if (types === null) return <p aria-busy="true">Loading the record type…</p>;
    if (!type)
      return (
        <p className="status--problem">There is no record type {object}: define it before a run can start on one.</p>
      );
    return (
      <section aria-labelledby="test-run-start">
        <h3 id="test-run-start">Start: a new {(type.label ?? object).toLowerCase()}, owned by the requester</h3>
        <RecordForm
          type={type}
          submitLabel="Create it and start"
          onCancel={() => undefined}
          onSave={async (fields) => {
            await act({ start: { as: 'requester', record: { object, owner: 'requester', fields } } });
          }}
        />
      </section>
    );
  }
  return (
    <section aria-labelledby="test-run-start">
      <h3 id="test-run-start">Start</h3>
      <StartRunForm
        inputs={meta.inputs ?? []}
        submitLabel="Start test run"
        idPrefix="test-input"
        onStart={async (inputs) => {
          await act({ start: { as: 'requester', inputs } });
        }}
      />
    </section>
  );
}

/** An open work item: act on it as one of the personas who may. */
function OpenItem({ item, orchestrationKey, beforeRun }: Section & { item: TrialItem }) {
  const { act, busy } = { ...useTestRun(orchestrationKey, beforeRun), busy: useTestRunStore((s) => s.busy) };
  const [persona, setPersona] = useState(item.personas[0] ?? '');
  const who = `${item.assignee.type === 'user' ? 'user' : item.assignee.type} ${item.assignee.value}`;
  return (
    <article className="test-run__item" data-testid={`test-run-item-${item.step_id}`}>
      <h4>
        {item.label} <span className="muted">({who})</span>
      </h4>
      {item.personas.length === 0 ? (
        <p className="status--problem">No persona may act on it: it is assigned to {who}.</p>
      ) : (
        <>
          <label className="work-form__field">
            <span>Act as</span>
            <select value={persona} onChange={(e) => setPersona(e.target.value)}>
              {item.personas.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          {item.form ? (
            <WorkForm
              form={item.form}
              busy={busy}
              serverErrors={{}}
              idPrefix={`test-${item.step_id}`}
              onSubmit={(outcome, values, comment) =>
                void act({
                  as: persona,
                  complete: item.step_id,
                  outcome,
                  ...(Object.keys(values).length ? { values } : {}),
                  ...(comment ? { comment } : {}),
                })
              }
            />
          ) : null}
        </>
      )}
    </article>
  );
}

/** Move the virtual clock; deliver an event. */
function ClockAndEvents({ orchestrationKey, beforeRun, nextTimer }: Section & { nextTimer: string | null }) {
  const { act } = useTestRun(orchestrationKey, beforeRun);
  const busy = useTestRunStore((s) => s.busy);
  const [duration, setDuration] = useState('P1D');
  const [event, setEvent] = useState({ name: '', correlation: '', payload: '' });
  const [problem, setProblem] = useState<string | null>(null);

  const advance = () => {
    if (!isDuration(duration)) {
      setProblem('The clock moves by an ISO-8601 duration, e.g. PT4H or P2D.');
      return;
    }
    setProblem(null);
    void act({ advance: duration.trim() });
  };
  const deliver = () => {
    let payload: unknown = {};
    if (event.payload.trim()) {
      try {
        payload = JSON.parse(event.payload);
      } catch {
        setProblem('The payload must be JSON, e.g. {"amount": 3}.');
        return;
      }
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(event.name.trim())) {
      setProblem('An event name is an identifier, e.g. payment_received.');
      return;
    }
    setProblem(null);
    void act({
      event: { name: event.name.trim(), ...(event.correlation ? { correlation: event.correlation } : {}), payload },
    });
  };

  return (
    <section aria-labelledby="test-run-clock">
      <h3 id="test-run-clock">Clock and events</h3>
      <div className="tests-panel__controls">
        <label htmlFor="test-run-duration">Move the clock by</label>
        <input id="test-run-duration" size={8} value={duration} onChange={(e) => setDuration(e.target.value)} />
        <button type="button" onClick={advance} disabled={busy}>
          Advance the clock
        </button>
        {nextTimer ? (
          <button type="button" onClick={() => void act({ advance: 'next' })} disabled={busy}>
            To the next timer ({when(nextTimer)})
          </button>
        ) : null}
      </div>
      <div className="test-run__event">
        <label className="work-form__field">
          <span>Event name</span>
          <input value={event.name} onChange={(e) => setEvent({ ...event, name: e.target.value })} />
        </label>
        <label className="work-form__field">
          <span>Correlation</span>
          <input value={event.correlation} onChange={(e) => setEvent({ ...event, correlation: e.target.value })} />
        </label>
        <label className="work-form__field">
          <span>Payload (JSON)</span>
          <textarea
            rows={2}
            className="mono"
            value={event.payload}
            onChange={(e) => setEvent({ ...event, payload: e.target.value })}
          />
        </label>
        <button type="button" onClick={deliver} disabled={busy}>
          Deliver event
        </button>
      </div>
      {problem ? (
        <p className="status--problem" role="alert">
          {problem}
        </p>
      ) : null}
    </section>
  );
}

/** A step the server refused; for a background step without an answer, the answer. */
function Refused({ orchestrationKey, beforeRun }: Section) {
  const refusal = useTestRunStore((s) => s.refusal)!;
  const busy = useTestRunStore((s) => s.busy);
  const { answer, dismiss } = useTestRun(orchestrationKey, beforeRun);
  const [result, setResult] = useState('{}');
  const [failure, setFailure] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  if (refusal.unanswered) {
    const succeed = () => {
      try {
        const parsed: unknown = JSON.parse(result);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        setProblem(null);
        void answer({ result: parsed });
      } catch {
        setProblem('The result must be a JSON object, e.g. {"status": 200}.');
      }
    };
    return (
      <section className="test-run__answer" aria-labelledby="test-run-answer" role="alert">
        <h3 id="test-run-answer">
          {label(refusal.unanswered.step)} ({refusal.unanswered.action}) needs an answer
        </h3>
        <p className="muted">A test run never calls the outside world: say what the action gives back.</p>
        <label className="work-form__field">
          <span>Result (JSON)</span>
          <textarea rows={2} className="mono" value={result} onChange={(e) => setResult(e.target.value)} />
        </label>
        <button type="button" className="primary" onClick={succeed} disabled={busy}>
          Succeed with this result
        </button>
        <label className="work-form__field">
          <span>Failure message</span>
          <input value={failure} onChange={(e) => setFailure(e.target.value)} />
        </label>
        <button
          type="button"
          onClick={() => void answer({ fail: failure.trim() || 'failed in a test run', retryable: false })}
          disabled={busy}
        >
          Fail it
        </button>
        {problem ? <p className="status--problem">{problem}</p> : null}
      </section>
    );
  }
  return (
    <div className="status--problem" role="alert">
      <p>
        {refusal.step !== null ? `Step ${refusal.step + 1} was not applied: ` : ''}
        {refusal.message}
      </p>
      <button type="button" className="link" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}

/** Keep the steps as a scenario test (ending in a check of the state reached). */
function SaveAsScenario({ orchestrationKey, beforeRun }: Section) {
  const { saveAs } = useTestRun(orchestrationKey, beforeRun);
  const [name, setName] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const save = async () => {
    if (!name.trim()) {
      setProblem('Give the scenario a name.');
      return;
    }
    setProblem(null);
    try {
      setSaved(await saveAs(name.trim()));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <form
      className="tests-panel__controls"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label htmlFor="test-run-name">Scenario name</label>
      <input id="test-run-name" value={name} onChange={(e) => setName(e.target.value)} />
      <button type="submit">Save as scenario</button>
      {saved ? (
        <p role="status">
          Saved as scenario <strong>{saved}</strong>; the Tests panel lists it.
        </p>
      ) : null}
      {problem ? (
        <p className="status--problem" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}

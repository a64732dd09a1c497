/** One stored scenario in the Tests panel: its last result and, when it failed, where and why. */
import { useNameOf } from '../hooks/use-people';
import type { ScenarioFailure, ScenarioItem } from '../lib/api-schemas';
import type { NameOf } from '../lib/run-events';
import { describeTarget, scenarioName, type LastResult } from '../lib/tests-panel-state';

type Props = {
  scenario: ScenarioItem;
  result: LastResult | undefined;
  running: boolean;
  busy: boolean;
  /** Not an admin: the file can be read, not run or changed. */
  readOnly: boolean;
  onRun: () => void;
  onEdit: () => void;
  onDelete: () => void;
};

function changed(scenario: ScenarioItem, nameOf: NameOf): string | undefined {
  if (!scenario.updated_at) return undefined;
  return `Changed ${new Date(scenario.updated_at).toLocaleString()}${scenario.updated_by ? ` by ${nameOf('user', scenario.updated_by)}` : ''}`;
}

function where(failure: ScenarioFailure): string {
  const step = failure.step !== null ? `Step ${failure.step + 1}` : 'Set-up';
  return failure.line !== null ? `${step} (line ${failure.line})` : step;
}

/** Expected and actual as JSON, for a failure the server sent without a diff. */
function fallbackDiff(failure: ScenarioFailure): string {
  if (failure.expected === undefined && failure.actual === undefined) return '';
  return `expected: ${JSON.stringify(failure.expected ?? null, null, 2)}\nactual:   ${JSON.stringify(failure.actual ?? null, null, 2)}`;
}

export function FailureDetails({ failure }: { failure: ScenarioFailure }) {
  const diff = failure.diff || fallbackDiff(failure);
  return (
    <div className="test-failure" data-testid="test-failure">
      <p className="test-failure__where">
        <strong>{where(failure)}</strong> · <span className="mono">{failure.kind}</span>
      </p>
      <p className="test-failure__message">{failure.message}</p>
      {diff ? (
        <pre className="test-failure__diff mono" aria-label="Expected and actual">
          {diff}
        </pre>
      ) : null}
    </div>
  );
}

function Verdict({ result, running }: { result: LastResult | undefined; running: boolean }) {
  if (running) return <span className="verdict verdict--running">Running…</span>;
  if (!result) return <span className="verdict verdict--none">Not run</span>;
  const stale = result.stale ? ' (changed since)' : '';
  return result.passed ? (
    <span className="verdict verdict--passed" title={`Passed against ${describeTarget(result.target)}`}>
      ✓ Passed{stale}
    </span>
  ) : (
    <span className="verdict verdict--failed" title={`Failed against ${describeTarget(result.target)}`}>
      ✗ Failed{stale}
    </span>
  );
}

export function ScenarioRow({ scenario, result, running, busy, readOnly, onRun, onEdit, onDelete }: Props) {
  const nameOf = useNameOf();
  const state = running ? 'running' : result ? (result.passed ? 'passed' : 'failed') : 'not-run';
  const title = scenarioName(scenario.source);
  return (
    <li className={`scenario scenario--${state}`} data-testid={`scenario-${scenario.name}`} data-result={state}>
      <div className="scenario__head">
        <span className="scenario__name">{title ?? scenario.name}</span>
        <Verdict result={result} running={running} />
        {result && !running ? <span className="muted scenario__time">{Math.round(result.duration_ms)} ms</span> : null}
      </div>
      {title ? (
        <code className="scenario__stored muted" title={changed(scenario, nameOf)}>
          {scenario.name}
        </code>
      ) : null}
      {readOnly ? (
        <details>
          <summary>Scenario file</summary>
          <pre className="mono test-failure__diff">{scenario.source}</pre>
        </details>
      ) : (
        <div className="scenario__actions">
          <button type="button" className="small" onClick={onRun} disabled={busy} aria-label={`Run ${scenario.name}`}>
            Run
          </button>
          <button type="button" className="small" onClick={onEdit} aria-label={`Edit ${scenario.name}`}>
            Edit
          </button>
          <button
            type="button"
            className="small danger"
            onClick={onDelete}
            disabled={busy}
            aria-label={`Delete ${scenario.name}`}
          >
            Delete
          </button>
        </div>
      )}
      {result && !result.passed && !running
        ? result.failures.map((failure, index) => <FailureDetails key={index} failure={failure} />)
        : null}
    </li>
  );
}

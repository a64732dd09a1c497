/**
 * The builder's Tests panel: the orchestration's stored scenarios with their last
 * result, run on the server against the draft (saved first), the active version or
 * an earlier one; a new or changed scenario file; generated path tests; and the
 * coverage of the last run next to what production does.
 */
import '../tests-panel.css';
import { useEffect, useState } from 'react';

import { useTests, useTestsStore } from '../hooks/use-tests';
import type { GeneratedPath, VersionSummary } from '../lib/api-schemas';
import { describeTarget, parseTarget, scenarioTemplate, tally } from '../lib/tests-panel-state';
import { useSessionStore } from '../store/session-store';
import { ConfirmDialog } from './confirm-dialog';
import { CoverageSection } from './tests-panel-coverage';
import { ScenarioEditor } from './tests-panel-editor';
import { GeneratedPaths } from './tests-panel-generate';
import { ScenarioRow } from './tests-panel-result';

type Props = {
  orchestrationKey: string;
  versions: readonly VersionSummary[];
  activeVersion: number | null;
  /** Saves the draft's changes (the server tests the stored draft). */
  beforeRun: () => Promise<void>;
};

type Editing = { previous: string | null; source: string };

export function TestsPanel({ orchestrationKey, versions, activeVersion, beforeRun }: Props) {
  const state = useTestsStore((s) => s.state);
  // Ops read the scenarios; only admins run or change them (the server says so too).
  const admin = useSessionStore((s) => s.user?.role === 'admin');
  const tests = useTests(orchestrationKey, beforeRun);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [generated, setGenerated] = useState<GeneratedPath[] | null>(null);
  const [working, setWorking] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const { load } = tests;

  useEffect(() => {
    if (useTestsStore.getState().state.scenarios === null) void load();
  }, [load]);

  const scenarios = state.scenarios ?? [];
  const run = state.run;
  const counts = tally(state);

  const act = async (what: string, operation: () => Promise<void>) => {
    setWorking(what);
    setProblem(null);
    try {
      await operation();
    } catch (error) {
      setProblem(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setWorking(null);
    }
  };

  return (
    <section className="tests-panel" aria-labelledby="tests-title">
      <h2 id="tests-title" className="panel-title">
        Tests{' '}
        <span className="tests-panel__tally" data-testid="tests-tally">
          {counts.passed} passed, {counts.failed} failed{counts.notRun > 0 ? `, ${counts.notRun} not run` : ''}
        </span>
      </h2>

      <div className="tests-panel__controls">
        <label htmlFor="tests-target">Run against</label>
        <select
          id="tests-target"
          value={String(state.target)}
          onChange={(e) => tests.setTarget(parseTarget(e.target.value))}
          disabled={run !== null}
        >
          <option value="draft">The draft</option>
          <option value="active" disabled={activeVersion === null}>
            The active version{activeVersion !== null ? ` (${activeVersion})` : ' (none)'}
          </option>
          {[...versions].reverse().map((v) => (
            <option key={v.number} value={v.number}>
              Version {v.number}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="primary"
          onClick={() => void tests.runAll()}
          disabled={!admin || run !== null || scenarios.length === 0}
        >
          Run all
        </button>
        {run ? (
          <button type="button" onClick={tests.stop} disabled={run.stopping}>
            {run.stopping ? 'Stopping…' : 'Stop'}
          </button>
        ) : null}
      </div>

      {run ? (
        <div className="tests-panel__progress" role="status" aria-live="polite">
          <progress max={run.names.length} value={run.done} aria-label="Scenarios run" />
          <span>
            Running {Math.min(run.done + 1, run.names.length)} of {run.names.length} against{' '}
            {describeTarget(run.target)}
            {run.names[run.done] ? `: ${run.names[run.done]}` : ''}…
          </span>
        </div>
      ) : null}
      {state.runError ? (
        <p className="status--problem" role="alert">
          The run stopped: {state.runError}
        </p>
      ) : null}
      {problem ? (
        <p className="status--problem" role="alert">
          {problem}
        </p>
      ) : null}

      <CoverageSection state={state} onShow={(show) => void tests.showCoverage(show)} />

      {admin ? (
        <div className="tests-panel__controls">
          <button
            type="button"
            onClick={() => setEditing({ previous: null, source: scenarioTemplate(orchestrationKey) })}
            disabled={editing !== null}
          >
            New scenario
          </button>
          <button
            type="button"
            disabled={working !== null}
            onClick={() => void act('Generating path tests', async () => setGenerated(await tests.generate()))}
          >
            {working === 'Generating path tests' ? 'Generating…' : 'Generate path tests'}
          </button>
        </div>
      ) : (
        <p className="muted">Only admins run and change scenario tests; you can read them.</p>
      )}

      {editing ? (
        <ScenarioEditor
          key={editing.previous ?? '(new)'}
          previous={editing.previous}
          initialSource={editing.source}
          onSave={tests.save}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {generated ? (
        <GeneratedPaths paths={generated} existing={scenarios} onSave={tests.save} onClose={() => setGenerated(null)} />
      ) : null}

      {state.loadError ? (
        <p className="status--problem" role="alert">
          The scenarios cannot be read: {state.loadError}{' '}
          <button type="button" className="link" onClick={() => void load()}>
            Try again
          </button>
        </p>
      ) : state.scenarios === null ? (
        <p className="muted" aria-busy="true">
          Reading the scenarios…
        </p>
      ) : scenarios.length === 0 ? (
        <p className="muted">No scenarios yet: write one, or generate path tests.</p>
      ) : (
        <ul className="tests-panel__list" aria-label="Scenarios">
          {scenarios.map((scenario) => (
            <ScenarioRow
              key={scenario.name}
              scenario={scenario}
              result={state.results[scenario.name]}
              running={run !== null && run.names[run.done] === scenario.name}
              busy={run !== null}
              readOnly={!admin}
              onRun={() => void tests.run([scenario.name])}
              onEdit={() => setEditing({ previous: scenario.name, source: scenario.source })}
              onDelete={() => setDeleting(scenario.name)}
            />
          ))}
        </ul>
      )}

      {deleting !== null ? (
        <ConfirmDialog
          title={`Delete ${deleting}?`}
          message="The scenario file is removed from the server. This cannot be undone."
          confirm="Delete scenario"
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            const name = deleting;
            setDeleting(null);
            if (editing?.previous === name) setEditing(null);
            void act(`Deleting ${name}`, () => tests.remove(name));
          }}
        />
      ) : null}
    </section>
  );
}

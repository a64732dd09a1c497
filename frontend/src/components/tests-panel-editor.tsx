/**
 * A scenario file in a text area (YAML, runtime/testing/SCENARIOS.md), stored under a
 * short name (a slug; a new scenario's follows the file's `name:` until the admin
 * types one). The server checks the file and its problems are listed by line —
 * choosing one puts the caret on that line.
 */
import { useRef, useState } from 'react';

import type { ScenarioProblem } from '../lib/api-schemas';
import { lineOffset, scenarioName, slugify } from '../lib/tests-panel-state';

type Props = {
  /** The stored name of the scenario being edited, null for a new one. */
  previous: string | null;
  initialSource: string;
  onSave: (name: string, source: string, previous: string | null) => Promise<ScenarioProblem[] | null>;
  onClose: () => void;
};

export function ScenarioEditor({ previous, initialSource, onSave, onClose }: Props) {
  const [source, setSource] = useState(initialSource);
  // null: follow the file's `name:` (a new scenario); an existing one keeps its stored name.
  const [typedName, setTypedName] = useState<string | null>(previous);
  const [problems, setProblems] = useState<ScenarioProblem[]>([]);
  const [saving, setSaving] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const name = (typedName ?? slugify(scenarioName(source) ?? '')).trim();

  const goToLine = (line: number) => {
    const textarea = area.current;
    if (!textarea) return;
    const start = lineOffset(source, line);
    const end = source.indexOf('\n', start);
    textarea.focus();
    textarea.setSelectionRange(start, end < 0 ? source.length : end);
  };

  const submit = async () => {
    if (!name) {
      setProblems([
        { line: null, path: 'name', message: 'give the scenario a name to store it under (or a "name:" in the file)' },
      ]);
      return;
    }
    setSaving(true);
    const found = await onSave(name, source, previous);
    setSaving(false);
    if (found) setProblems(found);
    else onClose();
  };

  const title = previous === null ? 'New scenario' : `Edit ${previous}`;
  return (
    <form
      className="scenario-editor"
      aria-label={title}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <h3 className="scenario-editor__title">{title}</h3>
      <label htmlFor="scenario-name">Stored as</label>
      <input
        id="scenario-name"
        className="mono"
        value={name}
        onChange={(event) => setTypedName(event.target.value)}
        placeholder="small-deal-signed"
        aria-describedby="scenario-name-hint"
      />
      <p className="field__hint" id="scenario-name-hint">
        Letters, digits, "-", "_" or "."{previous !== null && name !== previous ? ` — renames ${previous}` : ''}
      </p>
      <label htmlFor="scenario-source">Scenario file (YAML)</label>
      <textarea
        id="scenario-source"
        ref={area}
        className="mono scenario-editor__source"
        value={source}
        onChange={(event) => setSource(event.target.value)}
        rows={18}
        spellCheck={false}
        aria-invalid={problems.length > 0}
        aria-describedby={problems.length > 0 ? 'scenario-problems' : undefined}
      />
      {problems.length > 0 ? (
        <ul
          id="scenario-problems"
          className="scenario-editor__problems"
          role="alert"
          aria-label="Problems in the scenario file"
        >
          {problems.map((problem, index) => (
            <li key={index}>
              {problem.line !== null ? (
                <button type="button" className="link mono" onClick={() => goToLine(problem.line as number)}>
                  line {problem.line}
                </button>
              ) : null}
              {problem.path ? <span className="mono"> {problem.path}</span> : null}
              {problem.line !== null || problem.path ? ': ' : ''}
              {problem.message}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="scenario-editor__actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save scenario'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

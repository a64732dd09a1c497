/**
 * "Generate path tests": the scenarios the server proposes, one per path from start to
 * an end, with the stages and decisions of each and the conditions its solver could not
 * satisfy (those scenarios carry a TODO value to fill in). The admin picks which to save.
 */
import { useState } from 'react';

import type { GeneratedPath, ScenarioItem, ScenarioProblem } from '../lib/api-schemas';

type Props = {
  paths: readonly GeneratedPath[];
  existing: readonly ScenarioItem[];
  onSave: (name: string, source: string, previous: string | null) => Promise<ScenarioProblem[] | null>;
  onClose: () => void;
};

function problemText(problems: readonly ScenarioProblem[]): string {
  return problems
    .map((p) => `${p.line !== null ? `line ${p.line}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}`)
    .join('; ');
}

export function GeneratedPaths({ paths, existing, onSave, onClose }: Props) {
  const taken = new Set(existing.map((s) => s.name));
  const [chosen, setChosen] = useState<ReadonlySet<string>>(
    () => new Set(paths.filter((p) => !taken.has(p.name)).map((p) => p.name)),
  );
  const [refused, setRefused] = useState<Readonly<Record<string, string>>>({});
  const [saving, setSaving] = useState(false);

  const toggle = (name: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(name);
    else next.delete(name);
    setChosen(next);
  };

  const save = async () => {
    setSaving(true);
    const failed: Record<string, string> = {};
    for (const path of paths) {
      if (!chosen.has(path.name)) continue;
      const problems = await onSave(path.name, path.source, null);
      if (problems) failed[path.name] = problemText(problems);
    }
    setSaving(false);
    setRefused(failed);
    if (Object.keys(failed).length === 0) onClose();
    else setChosen(new Set(Object.keys(failed)));
  };

  if (paths.length === 0) {
    return (
      <section className="generated" aria-label="Generated path tests">
        <p>No path from start to an end could be found.</p>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </section>
    );
  }
  return (
    <section className="generated" aria-label="Generated path tests">
      <h3 className="generated__title">{paths.length} path tests proposed</h3>
      <ul className="generated__list">
        {paths.map((path) => (
          <li key={path.name} className="generated__item" data-testid={`generated-${path.name}`}>
            <label>
              <input
                type="checkbox"
                checked={chosen.has(path.name)}
                onChange={(e) => toggle(path.name, e.target.checked)}
              />{' '}
              {path.name}
            </label>
            {taken.has(path.name) ? (
              <p className="field__hint">A scenario with this name exists: saving replaces it.</p>
            ) : null}
            <p className="generated__detail">
              <span className="muted">Stages:</span> {(path.stage_labels ?? path.stages).join(' → ') || 'none'}
            </p>
            {path.decisions.length > 0 ? (
              <p className="generated__detail">
                <span className="muted">Decisions:</span>{' '}
                {(path.path ?? path.decisions.map((d) => `${d.decision} → ${d.outcome}`)).join(', ')}
              </p>
            ) : null}
            {path.unsolved.length > 0 ? (
              <div className="generated__unsolved">
                <strong>Unsolved conditions</strong> (the scenario has a TODO value to fill in):
                <ul>
                  {path.unsolved.map((u) => (
                    <li key={u} className="mono">
                      {u}
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
            {refused[path.name] ? (
              <p className="status--problem" role="alert">
                Not saved: {refused[path.name]}
              </p>
            ) : null}
            <details>
              <summary>Scenario file</summary>
              <pre className="mono generated__source">{path.source}</pre>
            </details>
          </li>
        ))}
      </ul>
      <div className="generated__actions">
        <button type="button" className="primary" onClick={() => void save()} disabled={saving || chosen.size === 0}>
          {saving ? 'Saving…' : `Save ${chosen.size} selected`}
        </button>
        <button type="button" onClick={onClose}>
          Discard
        </button>
      </div>
    </section>
  );
}

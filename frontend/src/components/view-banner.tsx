/** Says what the canvas shows when it is not the draft, and (comparing) what the colours mean. */
import { countChanges } from '../lib/document-diff';
import { useViewStore, versionLabel, type BuilderView } from '../store/view-store';

export function ViewBanner({
  loading,
  error,
  onGo,
}: {
  loading: boolean;
  error: string | null;
  onGo: (view: BuilderView) => void;
}) {
  const view = useViewStore((s) => s.view);
  const diff = useViewStore((s) => s.diff);
  if (view.mode === 'draft' && !error) return null;
  const counts = diff ? countChanges(diff) : null;
  return (
    <div className="view-banner" role="region" aria-label="What the canvas shows">
      {view.mode === 'version' ? (
        <p>
          <strong>Version {view.version}</strong>, read only: the canvas is locked. Editing happens in the draft.
        </p>
      ) : null}
      {view.mode === 'diff' ? (
        <p>
          Changes from <strong>{versionLabel(view.from)}</strong> to <strong>{versionLabel(view.to)}</strong>, read
          only.
          {diff && diff.meta.length > 0 ? <> Document fields changed: {diff.meta.join(', ')}.</> : null}
        </p>
      ) : null}
      {loading ? <p aria-busy="true">Loading…</p> : null}
      {error ? (
        <p className="status--problem" role="alert">
          {error}
        </p>
      ) : null}
      {counts ? (
        <ul className="diff-legend" aria-label="Legend">
          <li>
            <span className="swatch swatch--added" /> Added ({counts.added})
          </li>
          <li>
            <span className="swatch swatch--removed" /> Removed ({counts.removed})
          </li>
          <li>
            <span className="swatch swatch--changed" /> Changed ({counts.changed})
          </li>
        </ul>
      ) : null}
      {view.mode !== 'draft' ? (
        <button type="button" onClick={() => onGo({ mode: 'draft' })}>
          Back to the draft
        </button>
      ) : null}
    </div>
  );
}

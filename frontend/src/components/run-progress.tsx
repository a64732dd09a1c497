import type { Progress } from '../lib/work-guide';

const STATUS: Record<string, string> = {
  completed: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  discontinued: 'left',
};

/** Where the run on this record stands: stages done, the current one, what may come next. */
export function RunProgress({ title, progress }: { title: string; progress: Progress }) {
  return (
    <section className="progress" aria-label={title}>
      <h3 className="panel-title">{title}</h3>
      <ol className="progress__steps">
        {progress.done.map((s, i) => (
          <li key={`${s.id}-${s.visit}-${i}`} className="progress__done">
            {s.label} <span className="muted">({STATUS[s.status] ?? s.status})</span>
          </li>
        ))}
        {progress.current ? (
          <li className="progress__current" aria-current="step" data-testid="progress-current">
            {progress.current.label}
          </li>
        ) : null}
        {progress.next.length > 0 ? (
          <li className="progress__next" data-testid="progress-next">
            Next: {progress.next.map((s) => s.label).join(' or ')}
          </li>
        ) : null}
      </ol>
      {progress.status !== 'in_progress' ? (
        <p className="muted" data-testid="progress-status">
          {progress.status === 'completed'
            ? `Finished${progress.ended ? `: ${progress.ended.label}` : ''}.`
            : `This run is ${progress.status.replace('_', ' ')}.`}
        </p>
      ) : null}
    </section>
  );
}

import type { WorkStep } from '../hooks/use-work-step';
import { assignedTo, mayAct, outcomeLabel, personName } from '../lib/work-guide';
import { WorkForm } from './work-form';

type Props = {
  step: WorkStep;
  /** The step's heading ("Your step now: …"), at `level`; none when the page's own heading names it. */
  heading?: string;
  level?: 2 | 3;
  /** Whether the step shows its own notices; a page that outlives the step shows them itself. */
  notices?: boolean;
};

/**
 * One step of the Work Guide: who it is for, whether it is claimed, when it is due, and
 * its form — or, once it is done, who completed it and how. The record page and a work
 * item's own page both show steps with it.
 */
export function WorkGuideStep({ step, heading, level = 3, notices = true }: Props) {
  const { item, me, notice } = step;
  if (!item) return null;
  const Heading = level === 2 ? 'h2' : 'h3';
  const shared = item.assignee.type !== 'user';
  const open = item.status === 'open' || item.status === 'claimed';
  return (
    <div className="work-guide__step" data-testid="work-guide-step">
      {heading ? <Heading>{heading}</Heading> : null}
      <p className="muted" data-testid="work-guide-assignment">
        {item.assignee.type === 'user' ? `Assigned to ${assignedTo(item, me)}` : `For ${assignedTo(item, me)}`}
        {item.claimed_by && open ? ` · claimed by ${personName(item.claimed_by, item.claimed_by_name, me)}` : ''}
        {item.due_at && open ? ` · due ${new Date(item.due_at).toLocaleString()}` : ''}
        {item.overdue ? ' · ' : ''}
        {item.overdue ? <span className="tag tag--overdue">Overdue</span> : null}
        {shared && item.status === 'open' ? (
          <>
            {' '}
            ·{' '}
            <button type="button" className="link" onClick={() => void step.claim(true)}>
              Claim it
            </button>
          </>
        ) : null}
        {shared && open && item.claimed_by === me ? (
          <>
            {' '}
            ·{' '}
            <button type="button" className="link" onClick={() => void step.claim(false)}>
              Release it
            </button>
          </>
        ) : null}
      </p>
      {notices && notice ? (
        <p role={notice.tone === 'problem' ? 'alert' : 'status'} className={`notice notice--${notice.tone}`}>
          {notice.text}
        </p>
      ) : null}
      {mayAct(item, me) ? (
        <WorkForm
          key={item.id}
          idPrefix={`${item.id}-`}
          form={item.form}
          busy={step.busy}
          serverErrors={step.fieldErrors}
          onSubmit={(o, v, c) => void step.complete(o, v, c)}
        />
      ) : item.status === 'completed' ? (
        <p data-testid="work-guide-completed">
          Completed by {personName(item.completed_by, item.completed_by_name, me)}
          {item.completed_at ? ` on ${new Date(item.completed_at).toLocaleString()}` : ''}:{' '}
          <strong>{outcomeLabel(item.form, item.outcome)}</strong>.
          {item.comment ? <> Comment: “{item.comment}”</> : null}
        </p>
      ) : item.status === 'cancelled' ? (
        <p data-testid="work-guide-completed">
          This step was cancelled{item.completed_at ? ` on ${new Date(item.completed_at).toLocaleString()}` : ''};
          nothing more is needed on it.
        </p>
      ) : (
        <p data-testid="work-guide-elsewhere">
          {item.claimed_by
            ? `${personName(item.claimed_by, item.claimed_by_name, me)} is working on it.`
            : `It is for ${assignedTo(item, me)} to complete.`}
        </p>
      )}
    </div>
  );
}

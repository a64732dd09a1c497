/** Deactivating a person: how much open work they hold, where their personal items go, then what moved. */
import { useEffect, useState, type FormEvent } from 'react';

import { deactivatePerson, getPerson } from '../../lib/admin-api';
import {
  assigneeFromChoice,
  fieldErrors,
  itemCount,
  type Deactivation,
  type Person,
  type PersonDetail,
  type Team,
} from '../../lib/admin-schemas';
import { ApiError } from '../../lib/api';
import { AdminDialog } from './admin-dialog';
import { FormField, failureMessage } from './form-field';

export function DeactivateDialog({
  person,
  people,
  teams,
  onDone,
  onClose,
}: {
  person: Person;
  people: Person[];
  teams: Team[];
  onDone: (result: Deactivation) => void;
  onClose: () => void;
}) {
  const [detail, setDetail] = useState<PersonDetail | null>(null);
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<Deactivation | null>(null);
  const [busy, setBusy] = useState(false);
  const name = person.display_name;

  useEffect(() => {
    getPerson(person.username)
      .then(setDetail)
      .catch((f: unknown) => setError(failureMessage(f)));
  }, [person.username]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const done = await deactivatePerson(person.username, assigneeFromChoice(choice));
      setResult(done);
      onDone(done);
    } catch (failure) {
      const byField = failure instanceof ApiError ? fieldErrors(failure.details) : {};
      setError(byField.reassign_to ?? failureMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  if (result) {
    return (
      <AdminDialog title={`${name} is deactivated`} onClose={onClose}>
        <p role="status">{moved(result, choiceLabel(choice, people, teams))}</p>
        <div className="modal__actions">
          <button type="button" className="primary" onClick={onClose}>
            Close
          </button>
        </div>
      </AdminDialog>
    );
  }
  const assigned = detail?.open_items.assigned ?? 0;
  const claimed = detail?.open_items.claimed ?? 0;
  return (
    <AdminDialog title={`Deactivate ${name}`} onClose={onClose}>
      <form onSubmit={submit} className="admin-form">
        <p>{name} will no longer be able to sign in or act; they are signed out on their next request.</p>
        {detail === null && !error ? <p aria-busy="true">Counting their open items…</p> : null}
        {detail ? (
          <p data-testid="open-items">
            {name} has {itemCount(assigned + claimed)}
            {assigned + claimed > 0
              ? `: ${itemCount(assigned, 'item')} assigned to them personally, ${itemCount(claimed, 'item')} claimed from a group or queue (these go back to it).`
              : '.'}
          </p>
        ) : null}
        {assigned > 0 ? (
          <FormField label="Send their personal items to" error={error ?? undefined}>
            <select name="reassign_to" value={choice} onChange={(e) => setChoice(e.target.value)} required>
              <option value="">Choose a person, group or queue…</option>
              <optgroup label="People">
                {people
                  .filter((p) => p.active && p.username !== person.username)
                  .map((p) => (
                    <option key={p.username} value={`user:${p.username}`}>
                      {p.display_name} ({p.username})
                    </option>
                  ))}
              </optgroup>
              <optgroup label="Groups and queues">
                {teams.map((t) => (
                  <option key={t.name} value={`${t.kind}:${t.name}`}>
                    {t.label} ({t.kind})
                  </option>
                ))}
              </optgroup>
            </select>
          </FormField>
        ) : error ? (
          <p className="problem" role="alert">
            {error}
          </p>
        ) : null}
        <div className="modal__actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || detail === null || (assigned > 0 && !choice)}>
            Deactivate {name}
          </button>
        </div>
      </form>
    </AdminDialog>
  );
}

/** What moved, in words: "1 item went back to its group or queue; 2 items went to Frank." */
export function moved(result: Deactivation, to: string): string {
  const parts = [];
  if (result.released > 0)
    parts.push(
      `${itemCount(result.released, 'item')} went back to ${result.released === 1 ? 'its' : 'their'} group or queue`,
    );
  if (result.reassigned > 0) parts.push(`${itemCount(result.reassigned, 'item')} went to ${to}`);
  return parts.length > 0 ? `${parts.join('; ')}.` : 'They had no open items; nothing moved.';
}

function choiceLabel(choice: string, people: Person[], teams: Team[]): string {
  const to = assigneeFromChoice(choice);
  if (!to) return '';
  if (to.type === 'user') return people.find((p) => p.username === to.value)?.display_name ?? to.value;
  return teams.find((t) => t.name === to.value)?.label ?? to.value;
}

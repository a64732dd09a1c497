/** A new password for someone (they sign in with it from now on). */
import { useState, type FormEvent } from 'react';

import { resetPassword } from '../../lib/admin-api';
import { fieldErrors, type Person } from '../../lib/admin-schemas';
import { ApiError } from '../../lib/api';
import { AdminDialog } from './admin-dialog';
import { FormField, failureMessage } from './form-field';

export function PasswordDialog({
  person,
  onDone,
  onClose,
}: {
  person: Person;
  onDone: () => void;
  onClose: () => void;
}) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await resetPassword(person.username, password);
      onDone();
    } catch (failure) {
      setError(
        (failure instanceof ApiError ? fieldErrors(failure.details).password : undefined) ?? failureMessage(failure),
      );
      setBusy(false);
    }
  };

  return (
    <AdminDialog title={`New password for ${person.display_name}`} onClose={onClose}>
      <form onSubmit={submit} className="admin-form" noValidate>
        <FormField
          label="New password"
          error={error ?? undefined}
          hint="Long and uncommon, not built on their name; tell them in person or over a safe channel. Their sessions end."
        >
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </FormField>
        <div className="modal__actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Set password
          </button>
        </div>
      </form>
    </AdminDialog>
  );
}

/**
 * The secrets store: credentials that action inputs read as `secrets.<name>`. A value
 * goes in (add, replace) and is never shown again: the list has names and who changed
 * each when.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';

import { createSecret, deleteSecret, listSecrets, replaceSecret } from '../../lib/admin-api';
import { fieldErrors, type Secret } from '../../lib/admin-schemas';
import { ApiError } from '../../lib/api';
import { ConfirmDialog } from '../confirm-dialog';
import { AdminDialog } from './admin-dialog';
import { AdminMessages, AdminTable } from './admin-table';
import { FormField, failureMessage } from './form-field';

const when = (iso: string) => new Date(iso).toLocaleString();

/** Who last set a secret and when, in words: "Ada Admin, 06/12/2026, 05:01". */
export function changedBy(secret: Secret): string {
  const who = secret.updated_by_name ?? secret.updated_by;
  return who ? `${who}, ${when(secret.updated_at)}` : when(secret.updated_at);
}

export function SecretsTab() {
  const [secrets, setSecrets] = useState<Secret[] | null>(null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [replacing, setReplacing] = useState<Secret | null>(null);
  const [deleting, setDeleting] = useState<Secret | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    listSecrets()
      .then(setSecrets)
      .catch((f: unknown) => setError(failureMessage(f)));
  }, []);
  useEffect(load, [load]);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    setError(null);
    setNotice(null);
    try {
      const added = await createSecret(name.trim(), value);
      setNotice(
        `Secret ${added.name} added. Action inputs read it as secrets.${added.name}; its value is not shown again.`,
      );
      setName('');
      setValue('');
      load();
    } catch (failure) {
      const byField = failure instanceof ApiError ? fieldErrors(failure.details) : {};
      if (byField.name || byField.value) setErrors(byField);
      else setError(failureMessage(failure));
    }
  };

  const remove = (secret: Secret) => {
    setDeleting(null);
    setNotice(null);
    deleteSecret(secret.name)
      .then(() => {
        setNotice(`Secret ${secret.name} deleted.`);
        load();
      })
      .catch((f: unknown) => setError(failureMessage(f)));
  };
  const cancelDelete = useCallback(() => setDeleting(null), []);
  const closeReplace = useCallback(() => setReplacing(null), []);

  return (
    <>
      <p className="muted">
        Keep API keys and passwords here, not in an orchestration: a background step&apos;s inputs read one as{' '}
        <code>secrets.crm_token</code>. Values are stored encrypted and never shown again, and runs show them as ••••.
      </p>
      <form className="admin-form admin-form--inline" onSubmit={add} noValidate aria-label="New secret">
        <FormField label="Secret name" error={errors.name} hint="Letters, digits and _, e.g. crm_token">
          <input name="secret-name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </FormField>
        <FormField label="Value" error={errors.value} hint="Never shown again once added">
          <input
            name="secret-value"
            type="password"
            autoComplete="new-password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        </FormField>
        <button type="submit" className="primary">
          Add secret
        </button>
      </form>
      <AdminMessages notice={notice} error={error} />
      <AdminTable
        caption="Secrets"
        columns={['Name', 'In action inputs', 'Last changed', 'Created']}
        rows={secrets}
        failed={!!error}
        empty="No secrets yet."
      >
        {(s) => (
          <tr key={s.name} data-secret={s.name}>
            <td>{s.name}</td>
            <td>
              <code>secrets.{s.name}</code>
            </td>
            <td>{changedBy(s)}</td>
            <td>{when(s.created_at)}</td>
            <td>
              <div className="admin-actions">
                <button
                  type="button"
                  className="small"
                  onClick={() => {
                    setNotice(null);
                    setReplacing(s);
                  }}
                  aria-label={`Replace the value of ${s.name}`}
                >
                  Replace value
                </button>
                <button
                  type="button"
                  className="small danger"
                  onClick={() => setDeleting(s)}
                  aria-label={`Delete ${s.name}`}
                >
                  Delete
                </button>
              </div>
            </td>
          </tr>
        )}
      </AdminTable>
      {replacing ? (
        <ReplaceDialog
          secret={replacing}
          onClose={closeReplace}
          onReplaced={() => {
            setNotice(`The value of ${replacing.name} is replaced; runs use it from their next step on.`);
            setReplacing(null);
            load();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirm="Delete secret"
          onCancel={cancelDelete}
          onConfirm={() => remove(deleting)}
          message={`Steps whose inputs read secrets.${deleting.name} fail from now on, until a secret of that name is added again. The value cannot be recovered.`}
        />
      ) : null}
    </>
  );
}

function ReplaceDialog({
  secret,
  onClose,
  onReplaced,
}: {
  secret: Secret;
  onClose: () => void;
  onReplaced: () => void;
}) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await replaceSecret(secret.name, value);
      onReplaced();
    } catch (failure) {
      const byField = failure instanceof ApiError ? fieldErrors(failure.details) : {};
      setError(byField.value ?? failureMessage(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AdminDialog title={`Replace the value of ${secret.name}`} onClose={onClose}>
      <form className="admin-form" onSubmit={save} noValidate>
        <p>The old value is dropped for good. Runs read the new one from their next step on.</p>
        <FormField label="New value" error={error}>
          <input
            name="secret-new-value"
            type="password"
            autoComplete="new-password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        </FormField>
        <div className="modal__actions">
          <button type="button" onClick={onClose}>
            Back
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Replace value
          </button>
        </div>
      </form>
    </AdminDialog>
  );
}

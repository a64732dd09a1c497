/** API tokens for external systems: create one (its secret shown once), see when each was used, revoke. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';

import { useNameOf } from '../../hooks/use-people';
import { createToken, listTokens, revokeToken } from '../../lib/admin-api';
import { fieldErrors, type NewToken, type Token } from '../../lib/admin-schemas';
import { ApiError } from '../../lib/api';
import { ConfirmDialog } from '../confirm-dialog';
import { AdminMessages, AdminTable } from './admin-table';
import { FormField, failureMessage } from './form-field';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

export function TokensTab() {
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const nameOf = useNameOf();
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>(undefined);
  const [created, setCreated] = useState<NewToken | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    listTokens()
      .then(setTokens)
      .catch((f: unknown) => setError(failureMessage(f)));
  }, []);
  useEffect(load, [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setNameError(undefined);
    setError(null);
    try {
      setCreated(await createToken(name));
      setCopied(null);
      setName('');
      load();
    } catch (failure) {
      const byField = failure instanceof ApiError ? fieldErrors(failure.details) : {};
      if (byField.name) setNameError(byField.name);
      else setError(failureMessage(failure));
    }
  };

  const copy = (secret: string) => {
    navigator.clipboard
      .writeText(secret)
      .then(() => setCopied('Copied to the clipboard.'))
      .catch(() => setCopied('The browser did not allow copying; select the token and copy it by hand.'));
  };

  const revoke = (token: Token) => {
    setRevoking(null);
    revokeToken(token.id)
      .then(load)
      .catch((f: unknown) => setError(failureMessage(f)));
  };
  const cancelRevoke = useCallback(() => setRevoking(null), []);

  return (
    <>
      <form className="admin-form admin-form--inline" onSubmit={create} noValidate aria-label="New API token">
        <FormField label="Token name" error={nameError} hint="Which system uses it, e.g. crm-sync">
          <input name="token-name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </FormField>
        <button type="submit" className="primary">
          Create token
        </button>
      </form>
      {created ? (
        <section className="admin-secret" aria-labelledby="token-secret-title">
          <h3 id="token-secret-title">Token {created.name} created</h3>
          <p className="notice notice--problem">
            <strong>Copy it now: it will not be shown again.</strong> Only its fingerprint is kept; if it is lost,
            revoke it and create another.
          </p>
          <p>
            <code className="admin-secret__value" data-testid="token-secret">
              {created.token}
            </code>
          </p>
          <div className="admin-actions">
            <button type="button" onClick={() => copy(created.token)}>
              Copy token
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              I have stored it
            </button>
          </div>
          {copied ? <p role="status">{copied}</p> : null}
        </section>
      ) : null}
      <AdminMessages error={error} />
      <AdminTable
        caption="API tokens"
        columns={['Name', 'Created by', 'Created', 'Last used', 'Status']}
        rows={tokens}
        failed={!!error}
        empty="No API tokens yet."
      >
        {(t) => (
          <tr key={t.id} data-token={t.name} className={t.revoked_at ? 'admin-row--inactive' : undefined}>
            <td>{t.name}</td>
            <td>{t.created_by ? nameOf('user', t.created_by) : ''}</td>
            <td>{when(t.created_at)}</td>
            <td>{t.last_used_at ? when(t.last_used_at) : <span className="muted">Never</span>}</td>
            <td>{t.revoked_at ? `Revoked ${when(t.revoked_at)}` : 'Active'}</td>
            <td>
              <div className="admin-actions">
                {t.revoked_at ? null : (
                  <button
                    type="button"
                    className="small danger"
                    onClick={() => setRevoking(t)}
                    aria-label={`Revoke ${t.name}`}
                  >
                    Revoke
                  </button>
                )}
              </div>
            </td>
          </tr>
        )}
      </AdminTable>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirm="Revoke token"
          onCancel={cancelRevoke}
          onConfirm={() => revoke(revoking)}
          message={`Systems that use ${revoking.name} are refused from now on. This cannot be undone.`}
        />
      ) : null}
    </>
  );
}

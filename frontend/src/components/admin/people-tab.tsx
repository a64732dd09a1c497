/** People: who they are, their role, groups and queues and whether they may sign in; new, edit, deactivate, reactivate, password, sign out everywhere. */
import { useCallback, useEffect, useState } from 'react';

import {
  createPerson,
  listPeople,
  listTeams,
  reactivatePerson,
  signOutEverywhere,
  updatePerson,
} from '../../lib/admin-api';
import type { Person, Team } from '../../lib/admin-schemas';
import { endedMessage } from '../../lib/signed-in-sessions';
import { OutOfOfficeForm } from '../out-of-office-form';
import { AdminDialog } from './admin-dialog';
import { AdminMessages, AdminTable } from './admin-table';
import { DeactivateDialog } from './deactivate-dialog';
import { failureMessage } from './form-field';
import { PasswordDialog } from './password-dialog';
import { PersonForm, ROLE_LABELS } from './person-form';

type Task = { kind: 'new' } | { kind: 'edit' | 'deactivate' | 'password'; person: Person };

export function PeopleTab() {
  const [people, setPeople] = useState<Person[] | null>(null);
  const [teams, setTeams] = useState<Team[]>([]);
  const [task, setTask] = useState<Task | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    Promise.all([listPeople(), listTeams()])
      .then(([p, t]) => {
        setPeople(p);
        setTeams(t);
      })
      .catch((f: unknown) => setError(failureMessage(f)));
  }, []);
  useEffect(load, [load]);

  const close = useCallback(() => setTask(null), []);
  const done = (message: string) => {
    setTask(null);
    setNotice(message);
    load();
  };
  const teamLabel = new Map(teams.map((t) => [t.name, t.label]));

  const reactivate = (person: Person) => {
    reactivatePerson(person.username)
      .then(() => done(`${person.display_name} is active again and can sign in.`))
      .catch((f: unknown) => setError(failureMessage(f)));
  };

  const signOut = (person: Person) => {
    setNotice(null);
    setError(null);
    signOutEverywhere(person.username)
      .then((ended) => setNotice(endedMessage(ended, person.display_name)))
      .catch((f: unknown) => setError(failureMessage(f)));
  };

  return (
    <>
      <div className="page-actions">
        <button
          type="button"
          className="primary"
          onClick={() => {
            setNotice(null);
            setTask({ kind: 'new' });
          }}
        >
          New person
        </button>
      </div>
      <AdminMessages notice={notice} error={error} />
      <AdminTable
        caption="People"
        columns={['Name', 'User name', 'Role', 'Groups & queues', 'Active']}
        rows={people}
        failed={!!error}
      >
        {(p) => (
          <tr key={p.username} data-username={p.username} className={p.active ? undefined : 'admin-row--inactive'}>
            <td>{p.display_name}</td>
            <td className="mono">{p.username}</td>
            <td>{ROLE_LABELS[p.role]}</td>
            <td>{p.groups.map((g) => teamLabel.get(g.name) ?? g.name).join(', ')}</td>
            <td>{p.active ? 'Active' : 'Inactive'}</td>
            <td>
              <div className="admin-actions">
                <button
                  type="button"
                  className="small"
                  onClick={() => setTask({ kind: 'edit', person: p })}
                  aria-label={`Edit ${p.display_name}`}
                >
                  Edit
                </button>
                <button
                  type="button"
                  className="small"
                  onClick={() => setTask({ kind: 'password', person: p })}
                  aria-label={`Reset password of ${p.display_name}`}
                >
                  Reset password
                </button>
                {p.active ? (
                  <button
                    type="button"
                    className="small"
                    onClick={() => signOut(p)}
                    aria-label={`Sign out everywhere: ${p.display_name}`}
                  >
                    Sign out everywhere
                  </button>
                ) : null}
                {p.active ? (
                  <button
                    type="button"
                    className="small danger"
                    onClick={() => setTask({ kind: 'deactivate', person: p })}
                    aria-label={`Deactivate ${p.display_name}`}
                  >
                    Deactivate
                  </button>
                ) : (
                  <button
                    type="button"
                    className="small"
                    onClick={() => reactivate(p)}
                    aria-label={`Reactivate ${p.display_name}`}
                  >
                    Reactivate
                  </button>
                )}
              </div>
            </td>
          </tr>
        )}
      </AdminTable>
      {task?.kind === 'new' ? (
        <AdminDialog title="New person" onClose={close}>
          <PersonForm
            teams={teams}
            onCancel={close}
            onSave={async (v) => {
              const created = await createPerson({ ...v, display_name: v.display_name.trim() || null });
              done(`${created.display_name} can now sign in as ${created.username}.`);
            }}
          />
        </AdminDialog>
      ) : null}
      {task?.kind === 'edit' ? (
        <AdminDialog title={`Edit ${task.person.display_name}`} onClose={close}>
          <PersonForm
            person={task.person}
            teams={teams}
            onCancel={close}
            onSave={async (v) => {
              const saved = await updatePerson(task.person.username, {
                display_name: v.display_name,
                role: v.role,
                groups: v.groups,
              });
              done(`Saved ${saved.display_name}.`);
            }}
          />
          {/* An admin sets it for someone who cannot (off sick, away without a laptop). */}
          {task.person.active ? (
            <section aria-label="Out of office" className="admin-out-of-office">
              <h3>Out of office</h3>
              <OutOfOfficeForm username={task.person.username} />
            </section>
          ) : null}
        </AdminDialog>
      ) : null}
      {task?.kind === 'password' ? (
        <PasswordDialog
          person={task.person}
          onClose={close}
          onDone={() => done(`${task.person.display_name} has a new password and is signed out everywhere.`)}
        />
      ) : null}
      {task?.kind === 'deactivate' ? (
        <DeactivateDialog person={task.person} people={people ?? []} teams={teams} onClose={close} onDone={load} />
      ) : null}
    </>
  );
}

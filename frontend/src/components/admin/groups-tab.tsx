/** Groups and queues: kind, label and members; create one, change its label and members. */
import { useCallback, useEffect, useState } from 'react';

import { useServerForm } from '../../hooks/use-server-form';
import { createTeam, getTeam, listPeople, listTeams, updateTeam } from '../../lib/admin-api';
import { displayNames, type Person, type Team, type TeamDetail } from '../../lib/admin-schemas';
import { AdminDialog } from './admin-dialog';
import { AdminMessages, AdminTable } from './admin-table';
import { CheckList, FormField, failureMessage } from './form-field';

const KIND_LABELS = { group: 'Group', queue: 'Queue' } as const;

export function GroupsTab() {
  const [teams, setTeams] = useState<Team[] | null>(null);
  const [people, setPeople] = useState<Person[]>([]);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Team | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    Promise.all([listTeams(), listPeople()])
      .then(([t, p]) => {
        setTeams(t);
        setPeople(p);
      })
      .catch((f: unknown) => setError(failureMessage(f)));
  }, []);
  useEffect(load, [load]);
  const close = useCallback(() => {
    setCreating(false);
    setEditing(null);
  }, []);
  const done = (message: string) => {
    close();
    setNotice(message);
    load();
  };

  return (
    <>
      <div className="page-actions">
        <button
          type="button"
          className="primary"
          onClick={() => {
            setNotice(null);
            setCreating(true);
          }}
        >
          New group or queue
        </button>
      </div>
      <AdminMessages notice={notice} error={error} />
      <AdminTable
        caption="Groups and queues"
        columns={['Label', 'Name', 'Kind', 'Members']}
        rows={teams}
        failed={!!error}
      >
        {(t) => (
          <tr key={t.name} data-group={t.name}>
            <td>{t.label}</td>
            <td className="mono">{t.name}</td>
            <td>{KIND_LABELS[t.kind]}</td>
            <td>
              {t.members.length > 0 ? (
                displayNames(t.members, people).join(', ')
              ) : (
                <span className="muted">No members</span>
              )}
            </td>
            <td>
              <div className="admin-actions">
                <button type="button" className="small" onClick={() => setEditing(t)}>
                  Edit members<span className="visually-hidden"> of {t.label}</span>
                </button>
              </div>
            </td>
          </tr>
        )}
      </AdminTable>
      {creating ? (
        <AdminDialog title="New group or queue" onClose={close}>
          <NewTeamForm
            onCancel={close}
            onSave={async (team) => {
              const created = await createTeam(team);
              done(`${created.label} is ready; add members with "Edit members".`);
            }}
          />
        </AdminDialog>
      ) : null}
      {editing ? (
        <AdminDialog title={`Edit ${editing.label}`} onClose={close}>
          <TeamForm
            name={editing.name}
            people={people}
            onCancel={close}
            onSaved={(saved) =>
              done(`Saved ${saved.label}: ${saved.members.length} member${saved.members.length === 1 ? '' : 's'}.`)
            }
          />
        </AdminDialog>
      ) : null}
    </>
  );
}

function NewTeamForm({
  onSave,
  onCancel,
}: {
  onSave: (team: { name: string; kind: 'group' | 'queue'; label: string | null }) => Promise<void>;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'group' | 'queue'>('group');
  const [label, setLabel] = useState('');
  const { errors, problem, submit } = useServerForm(() => onSave({ name, kind, label: label.trim() || null }));
  return (
    <form className="admin-form" onSubmit={submit} noValidate>
      <FormField
        label="Name"
        error={errors.name}
        hint="Lower-case, as orchestrations name it in an assignee (e.g. finance)"
      >
        <input name="name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
      </FormField>
      <FormField label="Kind" error={errors.kind} hint="A queue's members pull items from it one at a time">
        <select name="kind" value={kind} onChange={(e) => setKind(e.target.value === 'queue' ? 'queue' : 'group')}>
          <option value="group">Group</option>
          <option value="queue">Queue</option>
        </select>
      </FormField>
      <FormField label="Label" error={errors.label} hint="What people read; made from the name when left empty">
        <input name="label" value={label} onChange={(e) => setLabel(e.target.value)} />
      </FormField>
      {problem ? (
        <p className="problem" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="modal__actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary">
          Create
        </button>
      </div>
    </form>
  );
}

function TeamForm({
  name,
  people,
  onSaved,
  onCancel,
}: {
  name: string;
  people: Person[];
  onSaved: (team: TeamDetail) => void;
  onCancel: () => void;
}) {
  const [detail, setDetail] = useState<TeamDetail | null>(null);
  const [label, setLabel] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const [failed, setFailed] = useState<string | null>(null);
  const { errors, problem, submit } = useServerForm(async () => onSaved(await updateTeam(name, { label, members })));

  useEffect(() => {
    getTeam(name)
      .then((d) => {
        setDetail(d);
        setLabel(d.label);
        setMembers(d.members.map((m) => m.username));
      })
      .catch((f: unknown) => setFailed(failureMessage(f)));
  }, [name]);

  const options = people.map((p) => ({
    value: p.username,
    label: `${p.display_name} (${p.username})${p.active ? '' : ' — inactive'}`,
  }));
  return (
    <form className="admin-form" onSubmit={submit} noValidate>
      {detail === null && !failed ? <p aria-busy="true">Loading…</p> : null}
      {detail ? (
        <>
          <FormField label="Label" error={errors.label}>
            <input name="label" value={label} onChange={(e) => setLabel(e.target.value)} />
          </FormField>
          <CheckList legend="Members" options={options} chosen={members} onChange={setMembers} error={errors.members} />
        </>
      ) : null}
      {(problem ?? failed) ? (
        <p className="problem" role="alert">
          {problem ?? failed}
        </p>
      ) : null}
      <div className="modal__actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={detail === null}>
          Save members
        </button>
      </div>
    </form>
  );
}

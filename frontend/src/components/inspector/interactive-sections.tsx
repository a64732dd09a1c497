/** An interactive step: assignee, form (fields and outcomes), approval, due date and escalation. */
import type { InteractiveNode } from '../../lib/document';
import type { InteractiveData } from '../../lib/document-schema';
import {
  CHOICE_TYPES,
  FIELD_TYPES,
  moveItem,
  newFormField,
  newFormOutcome,
  parseDefault,
  defaultText,
  removeAt,
  renameFormOutcome,
  replaceAt,
  withApprovalPolicy,
  withDue,
  withEscalation,
  withEscalationAction,
  withField,
  withFieldType,
  withForm,
  type ApprovalPolicy,
  type FormField,
} from '../../lib/node-edits';
import { flowStore } from '../../store/use-flow-store';
import { AssigneeField } from './assignee-field';
import { DurationField } from './duration-field';
import { CheckboxField, ItemButtons, NumberField, Section, SelectField, TextAreaField, TextField } from './fields';

function edit(node: InteractiveNode, update: (data: InteractiveData) => InteractiveData): void {
  flowStore.getState().updateNodeData(node.id, 'interactive', update);
}

const DEFAULT_TYPE: Record<string, string> = {
  number: 'number',
  integer: 'integer',
  boolean: 'boolean',
  multiselect: 'list',
};

export function AssigneeSection({ node }: { node: InteractiveNode }) {
  return (
    <Section title="Assignee">
      <AssigneeField
        label="Assignee"
        required
        value={node.data.assignee}
        at={[node.id, 'assignee']}
        onChange={(assignee) => edit(node, (d) => ({ ...d, assignee }))}
      />
    </Section>
  );
}

export function FormSection({ node }: { node: InteractiveNode }) {
  const fields = node.data.form?.fields ?? [];
  const outcomes = node.data.form?.outcomes ?? [];
  const setFields = (next: FormField[]) => edit(node, (d) => withForm(d, { fields: next }));
  const setField = (index: number, field: FormField) => setFields(replaceAt(fields, index, field));
  return (
    <Section title="Form">
      <h4 className="subhead">Fields</h4>
      {fields.length === 0 ? <p className="field__hint">No fields: the person only chooses an outcome.</p> : null}
      <ol className="item-list">
        {fields.map((field, index) => {
          const at = (f: string) => [node.id, `form.fields[${index}]${f}`] as const;
          const what = `field ${field.name || index + 1}`;
          return (
            <li className="list-item" key={index}>
              <div className="list-item__row">
                <TextField
                  label="Field name"
                  mono
                  value={field.name}
                  at={at('.name')}
                  required
                  onChange={(name) => setField(index, { ...field, name })}
                />
                <SelectField
                  label="Field type"
                  value={field.type}
                  options={FIELD_TYPES.map((t) => ({ value: t, label: t }))}
                  at={at('.type')}
                  onChange={(type) => setField(index, withFieldType(field, type))}
                />
              </div>
              <TextField
                label="Field label"
                value={field.label ?? ''}
                at={at('.label')}
                onChange={(label) => setField(index, { ...field, label })}
              />
              <CheckboxField
                label="Required"
                checked={Boolean(field.required)}
                onChange={(required) => setField(index, { ...field, required })}
              />
              {CHOICE_TYPES.has(field.type) ? (
                <TextAreaField
                  label="Options (one per line)"
                  rows={3}
                  value={(field.options ?? []).join('\n')}
                  at={at('.options')}
                  onChange={(text) => setField(index, { ...field, options: text.split('\n') })}
                />
              ) : null}
              <TextField
                label="Help text"
                value={field.help ?? ''}
                at={at('.help')}
                onChange={(help) => setField(index, withField(field, 'help', help || undefined))}
              />
              <TextField
                label="Field default"
                value={defaultText(field.default)}
                at={at('.default')}
                hint={field.type === 'multiselect' ? 'A JSON list, e.g. ["a", "b"]' : undefined}
                onChange={(text) =>
                  setField(index, withField(field, 'default', parseDefault(DEFAULT_TYPE[field.type] ?? 'string', text)))
                }
              />
              <ItemButtons
                what={what}
                index={index}
                count={fields.length}
                onMove={(delta) => setFields(moveItem(fields, index, delta))}
                onRemove={() => setFields(removeAt(fields, index))}
              />
            </li>
          );
        })}
      </ol>
      <button type="button" className="small" onClick={() => setFields([...fields, newFormField(fields)])}>
        Add field
      </button>

      <h4 className="subhead">Outcomes</h4>
      <ol className="item-list">
        {outcomes.map((outcome, index) => (
          <li className="list-item" key={index}>
            <div className="list-item__row">
              <TextField
                label="Outcome value"
                mono
                required
                value={outcome.value}
                at={[node.id, `form.outcomes[${index}].value`]}
                onChange={(value) => edit(node, (d) => renameFormOutcome(d, index, value))}
              />
              <TextField
                label="Outcome label"
                value={outcome.label ?? ''}
                at={[node.id, `form.outcomes[${index}].label`]}
                onChange={(label) =>
                  edit(node, (d) => withForm(d, { outcomes: replaceAt(outcomes, index, { ...outcome, label }) }))
                }
              />
            </div>
            <ItemButtons
              what={`outcome ${outcome.value || index + 1}`}
              index={index}
              count={outcomes.length}
              onMove={(delta) => edit(node, (d) => withForm(d, { outcomes: moveItem(outcomes, index, delta) }))}
              onRemove={() => edit(node, (d) => withForm(d, { outcomes: removeAt(outcomes, index) }))}
            />
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="small"
        onClick={() => edit(node, (d) => withForm(d, { outcomes: [...outcomes, newFormOutcome(outcomes)] }))}
      >
        Add outcome
      </button>
    </Section>
  );
}

const POLICIES = [
  { value: 'none', label: 'One person (no approval policy)' },
  { value: 'any', label: 'Any approver' },
  { value: 'all', label: 'All approvers' },
  { value: 'quorum', label: 'A quorum of approvers' },
];

export function ApprovalSection({ node }: { node: InteractiveNode }) {
  const approval = node.data.approval;
  const approvers = approval?.approvers ?? [];
  const outcomes = node.data.form?.outcomes ?? [];
  const setApproval = (change: Partial<NonNullable<InteractiveData['approval']>>) =>
    edit(node, (d) => (d.approval ? { ...d, approval: { ...d.approval, ...change } } : d));
  return (
    <Section title="Approval">
      <SelectField
        label="Approval policy"
        value={approval?.policy ?? 'none'}
        options={POLICIES}
        at={[node.id, 'approval.policy']}
        onChange={(policy) => edit(node, (d) => withApprovalPolicy(d, policy as ApprovalPolicy))}
      />
      {approval ? (
        <>
          <fieldset className="checklist">
            <legend>Approvers</legend>
            {approvers.length === 0 ? (
              <p className="field__hint">None listed: the members of the assignee group or queue approve.</p>
            ) : null}
            {approvers.map((approver, index) => (
              <div className="list-item" key={index}>
                <AssigneeField
                  label={`Approver ${index + 1}`}
                  value={approver}
                  at={[node.id, `approval.approvers[${index}]`]}
                  onChange={(next) => setApproval({ approvers: replaceAt(approvers, index, next) })}
                />
                <ItemButtons
                  what={`approver ${index + 1}`}
                  index={index}
                  count={approvers.length}
                  onMove={(delta) => setApproval({ approvers: moveItem(approvers, index, delta) })}
                  onRemove={() => {
                    const next = removeAt(approvers, index);
                    edit(node, (d) =>
                      d.approval
                        ? { ...d, approval: withField(d.approval, 'approvers', next.length > 0 ? next : undefined) }
                        : d,
                    );
                  }}
                />
              </div>
            ))}
            <button
              type="button"
              className="small"
              onClick={() => setApproval({ approvers: [...approvers, { type: 'user', value: '' }] })}
            >
              Add approver
            </button>
          </fieldset>
          {approval.policy === 'quorum' ? (
            <NumberField
              label="Quorum"
              min={1}
              step={1}
              value={approval.quorum}
              at={[node.id, 'approval.quorum']}
              onChange={(quorum) => setApproval({ quorum })}
            />
          ) : null}
          <SelectField
            label="Approve outcome"
            value={approval.approve_outcome ?? ''}
            options={[
              { value: '', label: 'The first outcome' },
              ...outcomes.map((o) => ({ value: o.value, label: o.label || o.value })),
            ]}
            at={[node.id, 'approval.approve_outcome']}
            onChange={(value) =>
              edit(node, (d) =>
                d.approval ? { ...d, approval: withField(d.approval, 'approve_outcome', value || undefined) } : d,
              )
            }
          />
        </>
      ) : null}
    </Section>
  );
}

export function DueSection({ node }: { node: InteractiveNode }) {
  const escalation = node.data.escalation;
  return (
    <Section title="Due date and escalation">
      <DurationField
        label="Due after"
        value={node.data.due}
        at={[node.id, 'due']}
        hint="Counted from when the step starts. Empty: no due date."
        onChange={(due) => edit(node, (d) => withDue(d, due))}
      />
      <CheckboxField
        label="Escalate when overdue"
        checked={escalation !== undefined}
        at={[node.id, 'escalation']}
        onChange={(on) => edit(node, (d) => withEscalation(d, on ? { after: 'PT0S', action: 'notify' } : undefined))}
      />
      {escalation ? (
        <>
          <DurationField
            label="Escalate after the due date by"
            value={escalation.after}
            defaultUnit="hours"
            at={[node.id, 'escalation.after']}
            onChange={(after) => edit(node, (d) => withEscalation(d, withField(escalation, 'after', after)))}
          />
          <SelectField
            label="Escalation action"
            value={escalation.action}
            options={[
              { value: 'notify', label: 'Notify' },
              { value: 'reassign', label: 'Reassign' },
            ]}
            at={[node.id, 'escalation.action']}
            onChange={(action) =>
              edit(node, (d) => withEscalation(d, withEscalationAction(escalation, action as 'notify' | 'reassign')))
            }
          />
          <AssigneeField
            label={escalation.action === 'reassign' ? 'Reassign to' : 'Notify (default: the assignee)'}
            required={escalation.action === 'reassign'}
            value={escalation.to}
            at={[node.id, 'escalation.to']}
            onChange={(to) => edit(node, (d) => withEscalation(d, { ...escalation, to }))}
          />
        </>
      ) : null}
    </Section>
  );
}

/** What every step has: when it starts, and the variables it sets when it completes. */
import { useMemo } from 'react';

import type { StepNode } from '../../lib/document';
import {
  removeAt,
  replaceAt,
  stageMates,
  toggleAfter,
  withAssignments,
  withStart,
  type StartWhen,
} from '../../lib/node-edits';
import { flowStore, useFlowStore } from '../../store/use-flow-store';
import { ConditionField } from './condition-field';
import { CheckboxField, ItemButtons, Section, SelectField, TextField } from './fields';
import { NAMES_LIST_ID } from './expression-names';
import { useFieldIssues, FieldIssues, withIssuesCleared } from './field-issues';

type StepData = StepNode['data'];

export function editStep(node: StepNode, update: (data: StepData) => StepData): void {
  flowStore.getState().updateNodeData(node.id, node.type, update);
}

const START_CHOICES = [
  { value: 'stage_start', label: 'When the stage starts' },
  { value: 'after', label: 'After other steps complete' },
  { value: 'condition', label: 'When a condition holds' },
];

export function StartSection({ node }: { node: StepNode }) {
  const nodes = useFlowStore((s) => s.nodes);
  const mates = useMemo(
    () => stageMates(nodes, node.id).map((n) => ({ id: n.id, label: n.data.label })),
    [nodes, node.id],
  );
  const start = node.data.start ?? { when: 'stage_start' };
  const afterIssues = useFieldIssues(node.id, 'start.steps');
  return (
    <Section title="Starts">
      <SelectField
        label="Starts"
        value={start.when}
        options={START_CHOICES}
        at={[node.id, 'start.when']}
        onChange={(when) => editStep(node, (d) => withStart(d, when as StartWhen))}
      />
      {start.when === 'after' ? (
        <fieldset className="checklist">
          <legend>After these steps</legend>
          {mates.length === 0 ? <p className="field__hint">The stage has no other steps.</p> : null}
          {mates.map((mate) => (
            <CheckboxField
              key={mate.id}
              label={mate.label ? `${mate.label} (${mate.id})` : mate.id}
              checked={(start.steps ?? []).includes(mate.id)}
              onChange={withIssuesCleared([node.id, 'start.steps'], (on: boolean) =>
                editStep(node, (d) => toggleAfter(d, mate.id, on)),
              )}
            />
          ))}
          <FieldIssues issues={afterIssues} id={`${node.id}-after-issues`} />
        </fieldset>
      ) : null}
      {start.when === 'condition' ? (
        <ConditionField
          label="Start condition"
          scope={{ node: node.id }}
          required
          value={start.condition ?? ''}
          at={[node.id, 'start.condition']}
          onChange={(condition) => editStep(node, (d) => ({ ...d, start: { when: 'condition', condition } }))}
        />
      ) : null}
    </Section>
  );
}

export function SetSection({ node }: { node: StepNode }) {
  const variables = useFlowStore((s) => s.meta.variables);
  const entries = Object.entries(node.data.set ?? {});
  const names = (variables ?? []).map((v) => v.name);
  const free = names.filter((n) => !entries.some(([name]) => name === n));
  const write = (next: Array<[string, string]>) => editStep(node, (d) => withAssignments(d, Object.fromEntries(next)));
  return (
    <Section title="Sets variables when it completes">
      {entries.length === 0 ? <p className="field__hint">Sets no variables.</p> : null}
      {entries.map(([name, expression], index) => (
        <div className="list-item" key={name}>
          <SelectField
            label={`Variable ${index + 1}`}
            value={name}
            options={[name, ...free].filter((n) => names.includes(n)).map((n) => ({ value: n, label: n }))}
            at={[node.id, `set.${name}`]}
            onChange={(renamed) => write(replaceAt(entries, index, [renamed, expression] as [string, string]))}
          />
          <TextField
            label={`Value of ${name} (CEL)`}
            mono
            list={NAMES_LIST_ID}
            value={expression}
            onChange={(text) => write(replaceAt(entries, index, [name, text] as [string, string]))}
          />
          <ItemButtons
            what={`assignment ${name}`}
            index={index}
            count={entries.length}
            onMove={(delta) => {
              const copy = [...entries];
              const [item] = copy.splice(index, 1) as [[string, string]];
              copy.splice(Math.max(0, Math.min(copy.length, index + delta)), 0, item);
              write(copy);
            }}
            onRemove={() => write(removeAt(entries, index))}
          />
        </div>
      ))}
      <button
        type="button"
        className="small"
        disabled={free.length === 0}
        onClick={() => write([...entries, [free[0] as string, '']])}
      >
        Add assignment
      </button>
      {names.length === 0 ? <p className="field__hint">Declare variables in the document settings first.</p> : null}
    </Section>
  );
}

/** Stages, background steps, wait steps and decisions. */
import { useState } from 'react';

import type { BackgroundNode, DecisionNode, StageNode, WaitNode } from '../../lib/document';
import type { BackgroundData, WaitData } from '../../lib/document-schema';
import {
  addDecisionOutcome,
  moveDecisionOutcome,
  removeDecisionOutcome,
  renameDecisionOutcome,
  updateDecisionOutcome,
  waitKindOf,
  withAction,
  withActionInput,
  withEntry,
  withExit,
  withField,
  withRetry,
  withWaitKind,
  type WaitKind,
} from '../../lib/node-edits';
import { useDirectoryStore } from '../../store/directory-store';
import { flowStore } from '../../store/use-flow-store';
import { ConditionField } from './condition-field';
import { DurationField } from './duration-field';
import { NAMES_LIST_ID } from './expression-names';
import { CheckboxField, ItemButtons, NumberField, Section, SelectField, TextField } from './fields';

export function StageSections({ node }: { node: StageNode }) {
  const edit = (update: (d: StageNode['data']) => StageNode['data']) =>
    flowStore.getState().updateNodeData(node.id, 'stage', update);
  const entry = node.data.entry;
  const exit = node.data.exit ?? { when: 'all_steps' };
  return (
    <>
      <Section title="Entry">
        <SelectField
          label="Stage entry"
          value={entry ? 'condition' : 'none'}
          options={[
            { value: 'none', label: 'Starts right away' },
            { value: 'condition', label: 'Waits for a condition' },
          ]}
          onChange={(value) => edit((d) => withEntry(d, value as 'none' | 'condition'))}
        />
        {entry ? (
          <ConditionField
            label="Entry condition"
            scope={{ node: node.id, field: 'entry' }}
            required
            value={entry.condition}
            at={[node.id, 'entry.condition']}
            onChange={(condition) => edit((d) => ({ ...d, entry: { ...d.entry, condition } }))}
          />
        ) : null}
      </Section>
      <Section title="Exit">
        <SelectField
          label="Stage exit"
          value={exit.when}
          options={[
            { value: 'all_steps', label: 'When all steps are completed' },
            { value: 'condition', label: 'When a condition holds' },
          ]}
          at={[node.id, 'exit.when']}
          onChange={(value) => edit((d) => withExit(d, value as 'all_steps' | 'condition'))}
        />
        {exit.when === 'condition' ? (
          <ConditionField
            label="Exit condition"
            scope={{ node: node.id, field: 'exit' }}
            required
            value={exit.condition ?? ''}
            at={[node.id, 'exit.condition']}
            onChange={(condition) => edit((d) => ({ ...d, exit: { when: 'condition', condition } }))}
          />
        ) : null}
        <p className="field__hint">On exit, steps still open are discontinued.</p>
      </Section>
    </>
  );
}

export function BackgroundSections({ node }: { node: BackgroundNode }) {
  const actions = useDirectoryStore((s) => s.actions);
  const edit = (update: (d: BackgroundData) => BackgroundData) =>
    flowStore.getState().updateNodeData(node.id, 'background', update);
  const action = actions.find((a) => a.name === node.data.action);
  const inputs = node.data.inputs ?? {};
  const declared = action?.inputs ?? [];
  const undeclared = Object.keys(inputs).filter((name) => !declared.some((i) => i.name === name));
  const retry = node.data.retry ?? {};
  return (
    <>
      <Section title="Action">
        <SelectField
          label="Action"
          required
          value={node.data.action ?? ''}
          options={actions.map((a) => ({ value: a.name, label: a.name }))}
          at={[node.id, 'action']}
          hint={action?.description}
          onChange={(name) => edit((d) => withAction(d, name, actions.find((a) => a.name === name)?.inputs))}
        />
      </Section>
      <Section title="Inputs (CEL expressions)">
        {declared.length === 0 && undeclared.length === 0 ? (
          <p className="field__hint">{action ? 'This action takes no inputs.' : 'Choose an action first.'}</p>
        ) : null}
        {action?.secrets ? (
          <p className="field__hint" data-testid="secrets-hint">
            Credentials: write <code>secrets.&lt;name&gt;</code> (e.g.{' '}
            <code>&apos;Bearer &apos; + secrets.crm_token</code>), never the value. Admins keep them under Admin,
            Secrets; runs show them as ••••.
          </p>
        ) : null}
        {declared.map((input) => (
          <TextField
            key={input.name}
            label={`${input.name}${input.type && input.type !== 'any' ? ` (${input.type})` : ''}`}
            required={input.required}
            mono
            list={NAMES_LIST_ID}
            value={inputs[input.name] ?? ''}
            hint={input.description || undefined}
            at={[node.id, `inputs.${input.name}`]}
            onChange={(text) => edit((d) => withActionInput(d, input.name, text, input.required))}
          />
        ))}
        {undeclared.map((name) => (
          <div className="list-item" key={name}>
            <TextField
              label={action?.open_inputs ? name : `${name} (not declared by ${node.data.action || 'the action'})`}
              mono
              value={inputs[name] ?? ''}
              at={[node.id, `inputs.${name}`]}
              onChange={(text) => edit((d) => withActionInput(d, name, text, true))}
            />
            <button
              type="button"
              className="small danger"
              onClick={() => edit((d) => ({ ...d, inputs: withField(d.inputs ?? {}, name, undefined) }))}
            >
              Remove input {name}
            </button>
          </div>
        ))}
        {action?.open_inputs ? (
          <OpenInput
            taken={Object.keys(inputs)}
            onAdd={(name) => edit((d) => ({ ...d, inputs: { ...d.inputs, [name]: '' } }))}
          />
        ) : null}
      </Section>
      <Section title="Retry">
        <NumberField
          label="Max attempts"
          min={1}
          step={1}
          value={retry.max_attempts}
          hint="Default 3"
          at={[node.id, 'retry.max_attempts']}
          onChange={(max_attempts) => edit((d) => withRetry(d, { ...retry, max_attempts }))}
        />
        <DurationField
          label="First backoff"
          value={retry.backoff}
          defaultUnit="seconds"
          hint="Default 1 second"
          at={[node.id, 'retry.backoff']}
          onChange={(backoff) => edit((d) => withRetry(d, { ...retry, backoff }))}
        />
        <NumberField
          label="Backoff multiplier"
          min={1}
          step={0.5}
          value={retry.multiplier}
          hint="Default 2"
          at={[node.id, 'retry.multiplier']}
          onChange={(multiplier) => edit((d) => withRetry(d, { ...retry, multiplier }))}
        />
        <DurationField
          label="Longest backoff"
          value={retry.max_backoff}
          defaultUnit="hours"
          hint="Default 1 hour"
          at={[node.id, 'retry.max_backoff']}
          onChange={(max_backoff) => edit((d) => withRetry(d, { ...retry, max_backoff }))}
        />
      </Section>
    </>
  );
}

const WAIT_KINDS = [
  { value: 'until', label: 'A condition' },
  { value: 'event', label: 'An event' },
  { value: 'timer_duration', label: 'A timer (a duration)' },
  { value: 'timer_at', label: 'A timer (a moment)' },
];

export function WaitSections({ node }: { node: WaitNode }) {
  const edit = (update: (d: WaitData) => WaitData) => flowStore.getState().updateNodeData(node.id, 'wait', update);
  const kind = waitKindOf(node.data);
  const event = node.data.event;
  return (
    <Section title="Waits for">
      <SelectField
        label="Waits for"
        value={kind ?? ''}
        options={WAIT_KINDS}
        onChange={(k) => edit((d) => withWaitKind(d, k as WaitKind))}
      />
      {kind === 'until' ? (
        <ConditionField
          label="Until"
          scope={{ node: node.id }}
          required
          value={node.data.until ?? ''}
          at={[node.id, 'until']}
          onChange={(until) => edit((d) => ({ ...d, until }))}
        />
      ) : null}
      {kind === 'event' && event ? (
        <>
          <TextField
            label="Event name"
            required
            mono
            value={event.name}
            at={[node.id, 'event.name']}
            onChange={(name) => edit((d) => ({ ...d, event: { ...event, name } }))}
          />
          <TextField
            label="Correlation (CEL)"
            mono
            list={NAMES_LIST_ID}
            value={event.correlation ?? ''}
            at={[node.id, 'event.correlation']}
            hint="A key such as record.id, or a predicate using event, e.g. event.payload.contract_id == record.id"
            onChange={(correlation) =>
              edit((d) => ({ ...d, event: withField(event, 'correlation', correlation || undefined) }))
            }
          />
          <CheckboxField
            label="Keep an event that arrives early (buffer)"
            checked={Boolean(event.buffer)}
            at={[node.id, 'event.buffer']}
            onChange={(buffer) => edit((d) => ({ ...d, event: withField(event, 'buffer', buffer || undefined) }))}
          />
        </>
      ) : null}
      {kind === 'timer_duration' ? (
        <DurationField
          label="Timer duration"
          value={node.data.timer?.duration}
          at={[node.id, 'timer.duration']}
          onChange={(duration) => edit((d) => ({ ...d, timer: { duration: duration ?? '' } }))}
        />
      ) : null}
      {kind === 'timer_at' ? (
        <TextField
          label="Timer at (CEL timestamp)"
          mono
          list={NAMES_LIST_ID}
          value={node.data.timer?.at ?? ''}
          at={[node.id, 'timer.at']}
          placeholder="timestamp(record.due_on)"
          onChange={(at) => edit((d) => ({ ...d, timer: { at } }))}
        />
      ) : null}
    </Section>
  );
}

export function DecisionSections({ node }: { node: DecisionNode }) {
  const outcomes = node.data.outcomes ?? [];
  const graph = flowStore.getState().updateGraph;
  return (
    <Section title="Outcomes (first match wins)">
      <ol className="item-list">
        {outcomes.map((outcome, index) => (
          <li className="list-item" key={index}>
            <div className="list-item__row">
              <TextField
                label="Outcome id"
                mono
                required
                value={outcome.id}
                at={[node.id, `outcomes[${index}].id`]}
                onChange={(id) => graph((g) => renameDecisionOutcome(g, node.id, index, id))}
              />
              <TextField
                label="Outcome label"
                value={outcome.label ?? ''}
                at={[node.id, `outcomes[${index}].label`]}
                onChange={(label) => graph((g) => updateDecisionOutcome(g, node.id, index, { label }))}
              />
            </div>
            <ConditionField
              label={`Condition of ${outcome.label || outcome.id}`}
              scope={{ node: node.id }}
              required
              value={outcome.condition ?? ''}
              at={[node.id, `outcomes[${index}].condition`]}
              onChange={(condition) => graph((g) => updateDecisionOutcome(g, node.id, index, { condition }))}
            />
            <ItemButtons
              what={`outcome ${outcome.id || index + 1}`}
              index={index}
              count={outcomes.length}
              onMove={(delta) => graph((g) => moveDecisionOutcome(g, node.id, index, delta))}
              onRemove={() => graph((g) => removeDecisionOutcome(g, node.id, index))}
            />
          </li>
        ))}
      </ol>
      <p className="field__hint">
        Otherwise (no outcome matches): the <code>default</code> edge.
      </p>
      <button type="button" className="small" onClick={() => graph((g) => addDecisionOutcome(g, node.id))}>
        Add outcome
      </button>
    </Section>
  );
}

/** An action that takes any inputs (`open_inputs`, e.g. vars.set): the admin names them. */
function OpenInput({ taken, onAdd }: { taken: string[]; onAdd: (name: string) => void }) {
  const [name, setName] = useState('');
  const valid = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) && !taken.includes(name);
  return (
    <div className="list-item__row">
      <TextField label="New input name" mono value={name} onChange={setName} />
      <button
        type="button"
        className="small"
        disabled={!valid}
        onClick={() => {
          onAdd(name);
          setName('');
        }}
      >
        Add input
      </button>
    </div>
  );
}

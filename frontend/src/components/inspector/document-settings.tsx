/** The document's own fields: label, description, trigger, inputs and variables. */
import type { DocumentMeta } from '../../lib/document-schema';
import {
  VALUE_TYPES,
  defaultText,
  moveItem,
  newDeclaredValue,
  parseDefault,
  removeAt,
  replaceAt,
  toggleTriggerOn,
  withField,
  withTriggerType,
  withValueType,
  type DeclaredValue,
} from '../../lib/node-edits';
import { useDirectoryStore } from '../../store/directory-store';
import { flowStore, useFlowStore } from '../../store/use-flow-store';
import { ConditionField } from './condition-field';
import { CheckboxField, ItemButtons, NumberField, Section, SelectField, TextAreaField, TextField } from './fields';

function edit(update: (meta: DocumentMeta) => DocumentMeta): void {
  const { meta, updateMeta } = flowStore.getState();
  updateMeta(update(meta));
}

const TYPE_CHOICES = VALUE_TYPES.map((t) => ({ value: t, label: t }));

function DeclaredList({ kind, section }: { kind: 'input' | 'variable'; section: 'inputs' | 'variables' }) {
  const list = useFlowStore((s) => s.meta[section]) ?? [];
  const write = (next: DeclaredValue[]) => edit((m) => withField(m, section, next.length > 0 ? next : undefined));
  const set = (index: number, value: DeclaredValue) => write(replaceAt(list, index, value));
  const noun = kind === 'input' ? 'Input' : 'Variable';
  const title = kind === 'input' ? 'Inputs (given when a run starts)' : 'Variables (kept by a run, set by steps)';
  return (
    <Section title={title}>
      {list.length === 0 ? <p className="field__hint">None.</p> : null}
      <ol className="item-list">
        {list.map((value, index) => {
          const at = (f: string) => [null, `${section}[${index}]${f}`] as const;
          return (
            <li className="list-item" key={index}>
              <div className="list-item__row">
                <TextField
                  label={`${noun} name`}
                  mono
                  required
                  value={value.name}
                  at={at('.name')}
                  onChange={(name) => set(index, { ...value, name })}
                />
                <SelectField
                  label={`${noun} type`}
                  value={value.type}
                  options={TYPE_CHOICES}
                  at={at('.type')}
                  onChange={(type) => set(index, withValueType(value, type))}
                />
              </div>
              <TextField
                label={`${noun} default`}
                value={defaultText(value.default)}
                at={at('.default')}
                hint={value.type === 'list' || value.type === 'map' ? 'JSON' : undefined}
                onChange={(text) => set(index, withField(value, 'default', parseDefault(value.type, text)))}
              />
              {value.type === 'list' || value.type === 'map' ? (
                <NumberField
                  label={`${noun} max items`}
                  min={0}
                  step={1}
                  value={typeof value.max_items === 'number' ? value.max_items : undefined}
                  at={at('.max_items')}
                  hint="Conditions that loop over it are costed with this size, and a longer value is refused. Empty: the server's cap (1,000 unless configured)."
                  onChange={(most) => set(index, withField(value, 'max_items', most))}
                />
              ) : null}
              {kind === 'input' ? (
                <CheckboxField
                  label="Required"
                  checked={Boolean(value.required)}
                  at={at('.required')}
                  onChange={(required) => set(index, withField(value, 'required', required || undefined))}
                />
              ) : null}
              <TextField
                label={`${noun} label`}
                value={String(value.label ?? '')}
                at={at('.label')}
                onChange={(label) => set(index, withField(value, 'label', label || undefined))}
              />
              <TextField
                label={`${noun} description`}
                value={String(value.description ?? '')}
                at={at('.description')}
                onChange={(description) => set(index, withField(value, 'description', description || undefined))}
              />
              <ItemButtons
                what={`${kind} ${value.name || index + 1}`}
                index={index}
                count={list.length}
                onMove={(delta) => write(moveItem(list, index, delta))}
                onRemove={() => write(removeAt(list, index))}
              />
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        className="small"
        onClick={() => write([...list, newDeclaredValue(list, kind === 'input' ? 'input_1' : 'variable_1')])}
      >
        Add {kind}
      </button>
    </Section>
  );
}

/**
 * The trigger's record type, picked from the types an admin defined (Admin › Record types);
 * typed when they could not be loaded, so the field still works offline from the API.
 */
function RecordTypeField({ value, onChange }: { value: string; onChange: (object: string) => void }) {
  const status = useDirectoryStore((s) => s.status);
  const types = useDirectoryStore((s) => s.recordTypes);
  if (status === 'failed' && types.length === 0) {
    return (
      <TextField label="Record type" mono required value={value} at={[null, 'trigger.object']} onChange={onChange} />
    );
  }
  const options = types.map((t) => ({
    value: t.name,
    label: t.label && t.label !== t.name ? `${t.label} (${t.name})` : t.name,
  }));
  return (
    <SelectField
      label="Record type"
      required
      value={value}
      options={options}
      at={[null, 'trigger.object']}
      hint={
        types.length === 0 && status === 'ready'
          ? 'No record types yet: an admin defines them in Admin › Record types.'
          : undefined
      }
      onChange={onChange}
    />
  );
}

export function DocumentSettings() {
  const meta = useFlowStore((s) => s.meta);
  const trigger = meta.trigger ?? { type: 'manual' };
  return (
    <div className="inspector__body">
      <h2 className="panel-title" id="inspector-title">
        Document settings
      </h2>
      <TextField
        label="Key"
        mono
        readOnly
        value={meta.key}
        hint="The orchestration's key; it cannot change."
        onChange={() => undefined}
      />
      <TextField
        label="Orchestration label"
        required
        value={meta.label ?? ''}
        at={[null, 'label']}
        onChange={(label) => edit((m) => ({ ...m, label }))}
      />
      <TextAreaField
        label="Orchestration description"
        value={meta.description ?? ''}
        at={[null, 'description']}
        onChange={(description) => edit((m) => withField(m, 'description', description || undefined))}
      />
      <Section title="Trigger">
        <SelectField
          label="Started"
          value={trigger.type}
          at={[null, 'trigger.type']}
          options={[
            { value: 'manual', label: 'Manually (API, UI or another run)' },
            { value: 'record', label: 'When a record is saved' },
          ]}
          onChange={(type) => edit((m) => withTriggerType(m, type as 'manual' | 'record'))}
        />
        {trigger.type === 'record' ? (
          <>
            <RecordTypeField
              value={trigger.object ?? ''}
              onChange={(object) => edit((m) => ({ ...m, trigger: { ...trigger, object } }))}
            />
            <fieldset className="checklist">
              <legend>On</legend>
              <CheckboxField
                label="Create"
                checked={(trigger.on ?? []).includes('create')}
                onChange={(on) => edit((m) => toggleTriggerOn(m, 'create', on))}
              />
              <CheckboxField
                label="Update"
                checked={(trigger.on ?? []).includes('update')}
                at={[null, 'trigger.on']}
                onChange={(on) => edit((m) => toggleTriggerOn(m, 'update', on))}
              />
            </fieldset>
            <ConditionField
              label="Trigger condition"
              scope="trigger"
              value={trigger.condition ?? ''}
              at={[null, 'trigger.condition']}
              onChange={(condition) =>
                edit((m) => ({ ...m, trigger: withField(trigger, 'condition', condition || undefined) }))
              }
            />
          </>
        ) : null}
      </Section>
      <DeclaredList kind="input" section="inputs" />
      <DeclaredList kind="variable" section="variables" />
    </div>
  );
}

/** A record's fields as form inputs and back, by the record type's field types (builder/api/records.py). */
import type { RecordField } from './work-schemas';

/** A value as text: a string as it is, anything else (a number, a list, a map) as JSON writes it. */
export function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A field's label: its own, else its name made readable (signed_on → Signed on). */
export function fieldLabel(field: { name: string; label?: string }): string {
  return field.label ?? field.name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

export function recordInputs(
  fields: RecordField[],
  values: Record<string, unknown> = {},
): Record<string, string | boolean> {
  const inputs: Record<string, string | boolean> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.type === 'boolean') inputs[f.name] = v === true;
    else if (f.type === 'list' || f.type === 'map')
      inputs[f.name] = v === undefined || v === null ? '' : JSON.stringify(v);
    else inputs[f.name] = display(v);
  }
  return inputs;
}

/** The field values to send and a message per field that does not fit. */
export function readRecordInputs(
  fields: RecordField[],
  inputs: Record<string, string | boolean>,
): { values: Record<string, unknown>; errors: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const input = inputs[f.name];
    if (f.type === 'boolean') {
      values[f.name] = input === true;
      continue;
    }
    const text = typeof input === 'string' ? input.trim() : '';
    if (text === '') {
      if (f.required) errors[f.name] = 'is required';
      continue;
    }
    if (f.type === 'number' || f.type === 'integer') {
      const n = Number(text);
      if (!Number.isFinite(n) || (f.type === 'integer' && !Number.isInteger(n)))
        errors[f.name] = f.type === 'integer' ? 'must be an integer' : 'must be a number';
      else values[f.name] = n;
    } else if (f.type === 'list' || f.type === 'map') {
      try {
        const parsed: unknown = JSON.parse(text);
        if (
          f.type === 'list'
            ? !Array.isArray(parsed)
            : typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)
        )
          throw new Error();
        values[f.name] = parsed;
      } catch {
        errors[f.name] = f.type === 'list' ? 'must be a JSON list ([...])' : 'must be a JSON object ({...})';
      }
    } else if (f.type === 'datetime') {
      const moment = new Date(text);
      if (Number.isNaN(moment.getTime())) errors[f.name] = 'must be a date and time';
      else values[f.name] = moment.toISOString();
    } else {
      values[f.name] = text;
    }
  }
  return { values, errors };
}

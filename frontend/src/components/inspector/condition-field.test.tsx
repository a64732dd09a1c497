// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { refundDocument, refundRecordTypes } from '../../lib/expression-scope.fixture';
import type { NameScope } from '../../lib/expression-scope';
import type { RecordType } from '../../lib/work-schemas';
import { useDirectoryStore } from '../../store/directory-store';
import { flowStore } from '../../store/use-flow-store';
import { ConditionField } from './condition-field';

let written = '';

function Harness({ scope, initial = '' }: { scope: NameScope; initial?: string }) {
  const [value, setValue] = useState(initial);
  return (
    <ConditionField
      label="Condition"
      scope={scope}
      value={value}
      onChange={(cel) => {
        written = cel;
        setValue(cel);
      }}
    />
  );
}

const listbox = () => screen.getByRole('listbox', { hidden: true });
const optionNames = () =>
  within(listbox())
    .queryAllByRole('option')
    .map((o) => o.textContent ?? '');

beforeEach(() => {
  written = '';
  flowStore.getState().load(structuredClone(refundDocument));
  useDirectoryStore.setState({ status: 'ready', recordTypes: refundRecordTypes as RecordType[] });
});

afterEach(cleanup);

describe('condition builder suggestions', () => {
  it('offers the names in scope with label and type, filters as you type, picks with the keyboard', () => {
    render(<Harness scope={{ node: 'route' }} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    const field = screen.getByRole('combobox', { name: 'Field 1' });
    expect(field.getAttribute('aria-expanded')).toBe('false');
    fireEvent.focus(field);
    expect(field.getAttribute('aria-expanded')).toBe('true');
    const offered = optionNames();
    expect(
      offered.some(
        (o) => o.includes('Triage › Approved?') && o.includes('yes/no') && o.includes('steps.triage.outputs.approved'),
      ),
    ).toBe(true);
    expect(offered.some((o) => o.includes('steps.pay.'))).toBe(false); // downstream of the decision

    fireEvent.change(field, { target: { value: 'triage appr' } });
    expect(optionNames()).toHaveLength(1);
    fireEvent.keyDown(field, { key: 'ArrowDown' });
    fireEvent.keyDown(field, { key: 'Enter' });
    expect((field as HTMLInputElement).value).toBe('steps.triage.outputs.approved');
    expect(field.getAttribute('aria-expanded')).toBe('false');
    // A yes/no field compares with true/false.
    expect(screen.getByLabelText<HTMLSelectElement>('Value 1').value).toBe('true');
    expect(written).toBe('steps.triage.outputs.approved == true');
    expect(screen.getByText('Triage › Approved? · yes/no')).toBeTruthy();
  });

  it('moves with the arrows, wraps, and closes on Escape without choosing', () => {
    render(<Harness scope="trigger" />);
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    const field = screen.getByRole('combobox', { name: 'Field 1' });
    fireEvent.focus(field);
    expect(optionNames()).toHaveLength(6); // the record's fields and now
    fireEvent.keyDown(field, { key: 'ArrowUp' }); // wraps to the last: now
    const active = field.getAttribute('aria-activedescendant');
    expect(active && document.getElementById(active)?.textContent).toContain('now');
    fireEvent.keyDown(field, { key: 'Escape' });
    expect(field.getAttribute('aria-expanded')).toBe('false');
    expect((field as HTMLInputElement).value).toBe('');
    expect(written).toBe('');
  });

  it('picks a record field by click, then its value from the field’s options', () => {
    render(<Harness scope={{ node: 'route' }} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    const field = screen.getByRole('combobox', { name: 'Field 1' });
    fireEvent.focus(field);
    fireEvent.change(field, { target: { value: 'kind' } });
    const option = within(listbox()).getByRole('option', { name: /Service request › Kind/ });
    expect(option.textContent).toContain('one of refund, exchange');
    fireEvent.mouseDown(option);
    fireEvent.click(option);
    const value = screen.getByLabelText<HTMLSelectElement>('Value 1');
    expect(value.tagName).toBe('SELECT');
    expect([...value.options].map((o) => o.value)).toEqual(['', 'refund', 'exchange']);
    fireEvent.change(value, { target: { value: 'refund' } });
    expect(written).toBe("record.kind == 'refund'");
  });

  it('shows a value outside the options as such, and a number field takes a number', () => {
    render(<Harness scope={{ node: 'route' }} initial="record.kind == 'Refund' && steps.triage.outputs.amount > 5" />);
    const value = screen.getByLabelText<HTMLSelectElement>('Value 1');
    expect(value.value).toBe('Refund');
    expect(value.selectedOptions[0]?.textContent).toBe('Refund (not an option)');
    expect(value.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText<HTMLSelectElement>('Value type 2').value).toBe('number');
  });

  it('opens on the name already chosen', () => {
    render(<Harness scope="trigger" initial="record.urgent == true" />);
    const field = screen.getByRole('combobox', { name: 'Field 1' });
    fireEvent.focus(field);
    const active = field.getAttribute('aria-activedescendant');
    expect(active && document.getElementById(active)?.textContent).toContain('record.urgent');
    fireEvent.keyDown(field, { key: 'Enter' });
    expect(written).toBe('');
    expect((field as HTMLInputElement).value).toBe('record.urgent');
  });

  it('suggests names for the value when it is another field', () => {
    render(<Harness scope={{ node: 'route' }} initial="inputs.amount > 5" />);
    fireEvent.change(screen.getByLabelText('Value type 1'), { target: { value: 'field' } });
    const value = screen.getByRole('combobox', { name: 'Value 1' });
    fireEvent.focus(value);
    fireEvent.change(value, { target: { value: 'triage amount' } });
    fireEvent.keyDown(value, { key: 'Enter' });
    expect(written).toBe('inputs.amount > steps.triage.outputs.amount');
  });
});

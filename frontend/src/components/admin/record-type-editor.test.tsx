// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { AdminRecordType } from '../../lib/admin-schemas';
import { RecordTypeEditor, optionProblem } from './record-type-editor';

const SERVICE: AdminRecordType = {
  name: 'service_request',
  label: 'Service request',
  fields: [
    { name: 'kind', type: 'string', label: 'Kind', required: true, options: ['refund', 'exchange'] },
    { name: 'amount', type: 'number', required: false },
  ],
  triggers: [],
};

let sent: { method: string; url: string; body: unknown } | null = null;
let answer: () => Response = () => Response.json(SERVICE);

beforeEach(() => {
  sent = null;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      sent = { method: init.method ?? 'GET', url, body: JSON.parse(init.body as string) };
      return answer();
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('record type editor', () => {
  it('adds and removes options of a text field and saves the type whole', async () => {
    const onSaved = vi.fn();
    render(<RecordTypeEditor type={SERVICE} onSaved={onSaved} onCancel={() => undefined} />);
    expect(
      within(screen.getByRole('list', { name: 'Options of Kind' }))
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['refund✕', 'exchange✕']);
    const input = screen.getByLabelText('New option of Kind');
    fireEvent.change(input, { target: { value: ' repair ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add option to Kind' }));
    fireEvent.change(input, { target: { value: 'refund' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(screen.getByText('“refund” is already an option.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remove option exchange of Kind' }));
    // A number field has no options to edit; made text, it offers them.
    expect(screen.queryByLabelText('New option of Amount')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Save record type' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(sent).toEqual({
      method: 'PUT',
      url: '/api/record-types/service_request',
      body: {
        label: 'Service request',
        fields: [
          { name: 'kind', type: 'string', label: 'Kind', required: true, options: ['refund', 'repair'] },
          { name: 'amount', type: 'number', required: false },
        ],
      },
    });
  });

  it('adds a field, drops the options of a field no longer text, and shows the server’s refusal', async () => {
    answer = () =>
      Response.json(
        { error: { code: 'invalid', message: 'field bad name: name: must be an identifier', details: {} } },
        { status: 422 },
      );
    render(<RecordTypeEditor type={SERVICE} onSaved={() => undefined} onCancel={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Type of Kind'), { target: { value: 'integer' } });
    expect(screen.queryByRole('list', { name: 'Options of Kind' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Add field' }));
    fireEvent.change(screen.getByLabelText('Name of New field'), { target: { value: 'bad name' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save record type' }));
    expect((await screen.findByRole('alert')).textContent).toBe('field bad name: name: must be an identifier');
    const body = sent?.body as { fields: unknown[] };
    expect(body.fields[0]).toEqual({ name: 'kind', type: 'integer', label: 'Kind', required: true });
    expect(body.fields[2]).toEqual({ name: 'bad name', type: 'string', required: false });
    // An existing field's name is not editable (records hold values under it).
    expect(screen.queryByLabelText('Name of Kind')).toBeNull();
    answer = () => Response.json(SERVICE);
  });

  it('says why an option cannot be added', () => {
    expect(optionProblem(['a'], '  ')).toMatch(/Type the option/);
    expect(optionProblem(['a'], 'a ')).toMatch(/already an option/);
    expect(optionProblem(['a'], 'x'.repeat(201))).toMatch(/200/);
    expect(optionProblem(['a'], 'b')).toBeNull();
  });
});

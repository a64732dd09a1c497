// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { RecordForm } from './record-form';

afterEach(cleanup);

const TYPE = {
  name: 'service_request',
  label: 'Service request',
  fields: [
    { name: 'kind', type: 'string' as const, label: 'Kind', required: true, options: ['refund', 'exchange'] },
    { name: 'note', type: 'string' as const },
  ],
};

describe('record form', () => {
  it('shows an enumerated field as a pick list of its options', async () => {
    const onSave = vi.fn(async () => undefined);
    render(<RecordForm type={TYPE} submitLabel="Create" onSave={onSave} onCancel={() => undefined} />);
    const kind = screen.getByLabelText<HTMLSelectElement>('Kind *');
    expect(kind.tagName).toBe('SELECT');
    expect([...kind.options].map((o) => o.value)).toEqual(['', 'refund', 'exchange']);
    expect(screen.getByLabelText<HTMLInputElement>('Note').tagName).toBe('INPUT');
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(screen.getByText('Kind is required')).toBeTruthy();
    fireEvent.change(kind, { target: { value: 'exchange' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledWith({ kind: 'exchange' }));
  });

  it('keeps a saved value outside the options visible, marked', () => {
    render(
      <RecordForm
        type={TYPE}
        initial={{ kind: 'Refund' }}
        submitLabel="Save"
        onSave={async () => undefined}
        onCancel={() => undefined}
      />,
    );
    const kind = screen.getByLabelText<HTMLSelectElement>('Kind *');
    expect(kind.value).toBe('Refund');
    expect(kind.selectedOptions[0]?.textContent).toBe('Refund (not an option)');
  });
});

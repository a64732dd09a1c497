// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { AdminMessages, AdminTable } from './admin-table';

afterEach(cleanup);

const row = (name: string) => (
  <tr key={name}>
    <td>{name}</td>
    <td>
      <button type="button">Edit {name}</button>
    </td>
  </tr>
);

describe('AdminTable', () => {
  it('says it is loading until the rows come', () => {
    render(<AdminTable caption="People" columns={['Name']} rows={null} failed={false} children={row} />);
    expect(screen.getByText('Loading…').getAttribute('aria-busy')).toBe('true');
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('shows nothing of its own when loading failed', () => {
    const { container } = render(<AdminTable caption="People" columns={['Name']} rows={null} failed children={row} />);
    expect(container.textContent).toBe('');
  });

  it('says what is empty instead of an empty table', () => {
    render(
      <AdminTable
        caption="Secrets"
        columns={['Name']}
        rows={[]}
        failed={false}
        empty="No secrets yet."
        children={row}
      />,
    );
    expect(screen.getByText('No secrets yet.')).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('lists each row under its headings and an Actions column', () => {
    render(<AdminTable caption="People" columns={['Name']} rows={['ada', 'grace']} failed={false} children={row} />);
    const table = screen.getByRole('table', { name: 'People' });
    const headings = within(table)
      .getAllByRole('columnheader')
      .map((h) => h.textContent);
    expect(headings).toEqual(['Name', 'Actions']);
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(within(table).getByRole('button', { name: 'Edit grace' })).toBeTruthy();
  });
});

describe('AdminMessages', () => {
  it('announces the outcome politely and the failure at once', () => {
    render(<AdminMessages notice="Saved Ada." error="The server is unreachable." />);
    expect(screen.getByRole('status').textContent).toBe('Saved Ada.');
    expect(screen.getByRole('alert').textContent).toBe('The server is unreachable.');
  });

  it('shows nothing when all is quiet', () => {
    const { container } = render(<AdminMessages notice={null} error={null} />);
    expect(container.textContent).toBe('');
  });
});

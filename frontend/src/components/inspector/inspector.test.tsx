// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import contractApproval from '../../../../runtime/templates/contract_approval.json';
import { parseDocument } from '../../lib/document-schema';
import { useDirectoryStore } from '../../store/directory-store';
import { useIssuesStore } from '../../store/issues-store';
import { flowStore } from '../../store/use-flow-store';
import { useViewStore } from '../../store/view-store';
import { Inspector } from './inspector';

const page = <T,>(items: T[]) => Response.json({ items, next_cursor: null });

const DIRECTORY: Record<string, Response | (() => Response)> = {};

beforeEach(() => {
  useDirectoryStore.setState({ status: 'idle', users: [], groups: [], actions: [], recordTypes: [], error: null });
  useIssuesStore.getState().setIssues([]);
  useViewStore.getState().setView({ mode: 'draft' });
  flowStore.getState().load(parseDocument(structuredClone(contractApproval)));
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      if (url.startsWith('/api/users'))
        return page([
          { username: 'ada', role: 'admin', display_name: 'Ada Admin', groups: [{ kind: 'group', name: 'admin' }] },
          { username: 'lee', role: 'member' },
        ]);
      if (url.startsWith('/api/groups'))
        return page([
          { name: 'legal', kind: 'group', label: 'Legal' },
          { name: 'finance', kind: 'group', label: null },
          { name: 'intake', kind: 'queue', label: 'Intake' },
        ]);
      if (url.startsWith('/api/actions')) {
        return page([
          {
            name: 'notify',
            description: 'Write a notification',
            inputs: [
              { name: 'to', type: 'any', required: true, description: 'A user name' },
              { name: 'subject', type: 'string', required: true, description: '' },
              { name: 'body', type: 'string', required: false, description: '' },
            ],
            outputs: [],
          },
          {
            name: 'record.update',
            description: 'Update a record',
            inputs: [{ name: 'fields', type: 'map', required: true, description: '' }],
            outputs: [],
          },
          { name: 'vars.set', description: 'Set variables', inputs: [], outputs: [], open_inputs: true },
          {
            name: 'http.request',
            description: 'Call an HTTP endpoint',
            inputs: [{ name: 'url', type: 'string', required: true, description: '' }],
            outputs: [],
            secrets: true,
          },
        ]);
      }
      if (url.startsWith('/api/record-types')) {
        return page([
          {
            name: 'contract',
            label: 'Contract',
            fields: [{ name: 'status', type: 'string', options: ['draft', 'submitted'] }],
          },
          { name: 'service_request', label: 'Service request', fields: [] },
        ]);
      }
      return DIRECTORY[url] as Response;
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const node = (id: string) => {
  const found = flowStore.getState().nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
};

function renderSelected(id: string | null) {
  flowStore.getState().select(id ? [id] : []);
  return render(<Inspector />);
}

describe('Inspector', () => {
  it('edits the document settings when nothing is selected', () => {
    renderSelected(null);
    expect(screen.getByRole('heading', { name: 'Document settings' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Orchestration label'), { target: { value: 'Contracts' } });
    expect(flowStore.getState().meta.label).toBe('Contracts');
    fireEvent.click(screen.getByRole('button', { name: 'Add input' }));
    fireEvent.change(screen.getByLabelText('Input name'), { target: { value: 'amount' } });
    fireEvent.change(screen.getByLabelText('Input type'), { target: { value: 'number' } });
    fireEvent.change(screen.getByLabelText('Input default'), { target: { value: '10' } });
    fireEvent.click(screen.getByLabelText('Required'));
    expect(flowStore.getState().meta.inputs).toEqual([{ name: 'amount', type: 'number', default: 10, required: true }]);
    expect(screen.queryByLabelText('Input max items')).toBeNull();
    fireEvent.change(screen.getByLabelText('Input type'), { target: { value: 'list' } });
    fireEvent.change(screen.getByLabelText('Input max items'), { target: { value: '200' } });
    expect(flowStore.getState().meta.inputs).toEqual([
      { name: 'amount', type: 'list', required: true, max_items: 200 },
    ]);
    fireEvent.change(screen.getByLabelText('Input type'), { target: { value: 'number' } });
    expect(flowStore.getState().meta.inputs).toEqual([{ name: 'amount', type: 'number', required: true }]);
    fireEvent.change(screen.getByLabelText('Started'), { target: { value: 'manual' } });
    expect(flowStore.getState().meta.trigger).toEqual({ type: 'manual' });
  });

  it('picks the trigger’s record type from the defined types; the trigger condition offers its fields', async () => {
    renderSelected(null);
    await waitFor(() => expect(screen.getByLabelText('Record type').tagName).toBe('SELECT'));
    const types = screen.getByLabelText<HTMLSelectElement>('Record type');
    expect([...types.options].map((o) => o.textContent)).toEqual([
      'Contract (contract)',
      'Service request (service_request)',
    ]);
    expect(types.value).toBe('contract');
    const field = screen.getByRole('combobox', { name: 'Field 1' });
    fireEvent.focus(field);
    expect(screen.getAllByRole('option', { name: /Contract › Status/ })[0]?.textContent).toContain(
      'one of draft, submitted',
    );
    expect(screen.queryAllByRole('option', { name: /steps\./ })).toHaveLength(0);
    fireEvent.change(types, { target: { value: 'service_request' } });
    expect(flowStore.getState().meta.trigger).toMatchObject({ type: 'record', object: 'service_request' });
  });

  it('edits an interactive step: label, assignee from the directory, form fields and outcomes, due date', async () => {
    renderSelected('legal_review');
    expect(screen.getByRole('heading', { name: /Interactive step\s*legal_review/ })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Label'), { target: { value: 'Review the terms' } });
    expect(node('legal_review').data.label).toBe('Review the terms');

    // The group pick list comes from /api/groups (queues apart).
    await waitFor(() => expect(screen.getByLabelText('Assignee group').tagName).toBe('SELECT'));
    const group = screen.getByLabelText('Assignee group');
    expect(
      within(group)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['Legal (legal)', 'finance']);
    fireEvent.change(group, { target: { value: 'finance' } });
    expect(node('legal_review').data).toMatchObject({ assignee: { type: 'group', value: 'finance' } });
    fireEvent.change(screen.getByLabelText('Assignee type'), { target: { value: 'user' } });
    fireEvent.change(screen.getByLabelText('Assignee user'), { target: { value: 'lee' } });
    expect(node('legal_review').data).toMatchObject({ assignee: { type: 'user', value: 'lee' } });

    const before = (node('legal_review').data as { form: { fields: unknown[] } }).form.fields.length;
    fireEvent.click(screen.getByRole('button', { name: 'Add field' }));
    const names = screen.getAllByLabelText<HTMLInputElement>('Field name');
    expect(names).toHaveLength(before + 1);
    expect(names.at(-1)?.value).toBe('field_1');
    fireEvent.change(screen.getAllByLabelText('Field type').at(-1) as HTMLElement, { target: { value: 'select' } });
    fireEvent.change(screen.getByLabelText('Options (one per line)'), { target: { value: 'small\nlarge' } });
    fireEvent.click(screen.getByRole('button', { name: 'Move field field_1 up' }));
    const fields = () =>
      (node('legal_review').data as { form: { fields: Array<{ name: string; options?: string[] }> } }).form.fields;
    expect(fields()[0]).toEqual({
      name: 'field_1',
      type: 'select',
      label: '',
      required: false,
      options: ['small', 'large'],
    });
    fireEvent.click(screen.getByRole('button', { name: 'Remove field field_1' }));
    expect(fields().map((f) => f.name)).not.toContain('field_1');

    fireEvent.click(screen.getByRole('button', { name: 'Add outcome' }));
    const outcomes = () =>
      (node('legal_review').data as { form: { outcomes: Array<{ value: string }> } }).form.outcomes.map((o) => o.value);
    expect(outcomes().at(-1)).toBe('outcome_1');

    fireEvent.change(screen.getByLabelText('Due after'), { target: { value: '3' } });
    expect(node('legal_review').data).toMatchObject({ due: 'P3D' });
    fireEvent.change(screen.getByLabelText('Due after unit'), { target: { value: 'hours' } });
    expect(node('legal_review').data).toMatchObject({ due: 'PT3H' });
  });

  it('sets an approval policy with a quorum', () => {
    renderSelected('legal_review');
    fireEvent.change(screen.getByLabelText('Approval policy'), { target: { value: 'quorum' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add approver' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add approver' }));
    fireEvent.change(screen.getByLabelText('Quorum'), { target: { value: '2' } });
    fireEvent.change(screen.getByLabelText('Approve outcome'), { target: { value: 'approve' } });
    expect(node('legal_review').data).toMatchObject({
      approval: {
        policy: 'quorum',
        quorum: 2,
        approve_outcome: 'approve',
        approvers: [
          { type: 'user', value: '' },
          { type: 'user', value: '' },
        ],
      },
    });
    fireEvent.change(screen.getByLabelText('Approval policy'), { target: { value: 'any' } });
    expect(node('legal_review').data).toMatchObject({ approval: { policy: 'any' } });
    expect((node('legal_review').data as { approval: object }).approval).not.toHaveProperty('quorum');
  });

  it('renames a decision outcome and its edge follows', () => {
    renderSelected('legal_ok');
    fireEvent.change(screen.getByLabelText('Outcome id'), { target: { value: 'returned' } });
    expect(node('legal_ok').data).toMatchObject({ outcomes: [{ id: 'returned', label: 'Sent back' }] });
    const edge = flowStore.getState().edges.find((e) => e.id === 'e_legal_back');
    expect(edge?.sourceHandle).toBe('returned');
    expect(
      flowStore
        .getState()
        .toDocument()
        .edges.find((e) => e.id === 'e_legal_back')?.outcome,
    ).toBe('returned');
  });

  it('builds a condition row by row and writes CEL', () => {
    renderSelected('legal');
    fireEvent.change(screen.getByLabelText('Stage exit'), { target: { value: 'condition' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    fireEvent.change(screen.getByLabelText('Field 1'), { target: { value: 'record.amount' } });
    fireEvent.change(screen.getByLabelText('Operator 1'), { target: { value: '>=' } });
    fireEvent.change(screen.getByLabelText('Value type 1'), { target: { value: 'number' } });
    fireEvent.change(screen.getByLabelText('Value 1'), { target: { value: '100' } });
    expect(node('legal').data).toMatchObject({ exit: { when: 'condition', condition: 'record.amount >= 100' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    fireEvent.change(screen.getByLabelText('Field 2'), { target: { value: 'record.status' } });
    fireEvent.change(screen.getByLabelText('Value 2'), { target: { value: 'ok' } });
    fireEvent.change(screen.getByLabelText('Match'), { target: { value: 'any' } });
    expect(node('legal').data).toMatchObject({ exit: { condition: "record.amount >= 100 || record.status == 'ok'" } });

    fireEvent.click(screen.getByRole('button', { name: 'Edit as CEL' }));
    const raw = screen.getByLabelText<HTMLTextAreaElement>('Exit condition (CEL)');
    expect(raw.value).toBe("record.amount >= 100 || record.status == 'ok'");
    fireEvent.change(raw, { target: { value: "record.kind == 'x' && record.n < 3" } });
    fireEvent.click(screen.getByRole('button', { name: 'Use condition builder' }));
    expect(screen.getByLabelText<HTMLInputElement>('Field 2').value).toBe('record.n');
  });

  it('opens an expression the builder cannot show as raw CEL, and shows the server’s error under it', () => {
    useIssuesStore.getState().setIssues([
      {
        node: 'deal_size',
        field: 'outcomes[0].condition',
        message: 'syntax error (line 1, column 9)',
        column: 9,
        severity: 'error',
      },
      { node: 'deal_size', field: 'outcomes[0].id', message: 'is fine', severity: 'warning' },
      { node: 'other', field: 'outcomes[0].condition', message: 'not this one', severity: 'error' },
    ]);
    renderSelected('deal_size');
    const raw = screen.getByLabelText<HTMLTextAreaElement>('Condition of $50k or more (CEL)');
    expect(raw.value).toBe('double(record.amount) >= 50000.0');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Use condition builder' }).disabled).toBe(true);
    expect(raw.getAttribute('aria-invalid')).toBe('true');
    const issues = document.getElementById(raw.getAttribute('aria-describedby') ?? '');
    expect(issues?.textContent).toBe('syntax error (line 1, column 9)');
    expect(screen.getByText('is fine')).toBeTruthy();
    expect(screen.queryByText('not this one')).toBeNull();
  });

  it('drops a field’s issues as soon as it is edited: a group picked clears "must not be empty" under Assignee', async () => {
    flowStore
      .getState()
      .updateNodeData('legal_review', 'interactive', (d) => ({ ...d, assignee: { type: 'group', value: '' } }));
    useIssuesStore.getState().setIssues([
      { node: 'legal_review', field: 'assignee.value', message: 'must not be empty', severity: 'error' },
      { node: 'legal_review', field: 'label', message: 'is long', severity: 'warning' },
      { node: 'other', field: 'assignee.value', message: 'must not be empty', severity: 'error' },
    ]);
    renderSelected('legal_review');
    const assignee = screen.getByLabelText('Assignee type').closest('fieldset') as HTMLElement;
    expect(within(assignee).getByText('must not be empty')).toBeTruthy();
    await waitFor(() => expect(screen.getByLabelText('Assignee group').tagName).toBe('SELECT'));
    fireEvent.change(screen.getByLabelText('Assignee group'), { target: { value: 'legal' } });
    expect(within(assignee).queryByText('must not be empty')).toBeNull();
    // Only that field's: the label's warning and another node's error stay until the next check.
    expect(useIssuesStore.getState().issues.map((i) => `${i.node} ${i.field}`)).toEqual([
      'legal_review label',
      'other assignee.value',
    ]);
    fireEvent.change(screen.getByLabelText('Label'), { target: { value: 'Review' } });
    expect(screen.queryByText('is long')).toBeNull();
  });

  it('picks a background action and asks for its declared inputs', async () => {
    renderSelected('mark_signed');
    const action = await screen.findByRole('option', { name: 'notify' });
    fireEvent.change(action.closest('select') as HTMLSelectElement, { target: { value: 'notify' } });
    expect(node('mark_signed').data).toMatchObject({ action: 'notify', inputs: { to: '', subject: '' } });
    fireEvent.change(screen.getByLabelText('subject (string)'), { target: { value: "'Signed'" } });
    fireEvent.change(screen.getByLabelText('body (string)'), { target: { value: "'Done'" } });
    expect((node('mark_signed').data as { inputs: object }).inputs).toEqual({
      to: '',
      subject: "'Signed'",
      body: "'Done'",
    });
    expect(screen.getByLabelText('to').getAttribute('aria-required')).toBe('true');
    fireEvent.change(screen.getByLabelText('Max attempts'), { target: { value: '5' } });
    expect(node('mark_signed').data).toMatchObject({ retry: { max_attempts: 5 } });
  });

  it('tells how to use a credential in the inputs of an action that takes secrets, and only there', async () => {
    renderSelected('mark_signed');
    const select = (await screen.findByRole('option', { name: 'http.request' })).closest('select') as HTMLSelectElement;
    fireEvent.change(select, { target: { value: 'http.request' } });
    expect(screen.getByTestId('secrets-hint').textContent).toContain('secrets.crm_token');
    fireEvent.change(select, { target: { value: 'notify' } });
    expect(screen.queryByTestId('secrets-hint')).toBeNull();
  });

  it('names the inputs of an action that takes any', async () => {
    renderSelected('mark_signed');
    const action = await screen.findByRole('option', { name: 'vars.set' });
    fireEvent.change(action.closest('select') as HTMLSelectElement, { target: { value: 'vars.set' } });
    expect(node('mark_signed').data).toMatchObject({ action: 'vars.set', inputs: {} });
    fireEvent.change(screen.getByLabelText('New input name'), { target: { value: 'rounds' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add input' }));
    fireEvent.change(screen.getByLabelText('rounds'), { target: { value: 'vars.rounds + 1' } });
    expect(node('mark_signed').data).toMatchObject({ inputs: { rounds: 'vars.rounds + 1' } });
  });

  it('switches a wait step between a condition, an event and a timer', () => {
    flowStore.getState().updateGraph(({ nodes, edges }) => ({
      nodes: [
        ...nodes,
        {
          id: 'hold',
          type: 'wait',
          parentId: 'legal',
          position: { x: 20, y: 200 },
          data: { label: 'Hold', timer: { duration: 'P1D' } },
        },
      ],
      edges,
    }));
    renderSelected('hold');
    expect(screen.getByLabelText<HTMLInputElement>('Timer duration').value).toBe('1');
    fireEvent.change(screen.getByLabelText('Waits for'), { target: { value: 'event' } });
    fireEvent.change(screen.getByLabelText('Event name'), { target: { value: 'payment_received' } });
    fireEvent.click(screen.getByLabelText('Keep an event that arrives early (buffer)'));
    expect(node('hold').data).toEqual({
      label: 'Hold',
      event: { name: 'payment_received', correlation: 'record.id', buffer: true },
    });
  });

  it('lets a step start after chosen stage-mates and set declared variables', () => {
    renderSelected('apply_revision');
    const checked = () => screen.getAllByRole('checkbox').filter((c) => (c as HTMLInputElement).checked).length;
    expect(checked()).toBe(2);
    fireEvent.click(screen.getByLabelText(/^Contract marked in revision|mark_in_revision/));
    expect(node('apply_revision').data).toMatchObject({ start: { when: 'after', steps: ['revise_contract'] } });
    fireEvent.click(screen.getByRole('button', { name: 'Add assignment' }));
    expect(node('apply_revision').data).toMatchObject({ set: { rounds: '' } });
    fireEvent.change(screen.getByLabelText('Value of rounds (CEL)'), { target: { value: 'vars.rounds + 1' } });
    expect(node('apply_revision').data).toMatchObject({ set: { rounds: 'vars.rounds + 1' } });
  });

  it('labels a selected edge and lists its issues', () => {
    useIssuesStore
      .getState()
      .setIssues([{ node: 'deal_size', edge: 'e_big', field: 'outcome', message: 'goes nowhere', severity: 'error' }]);
    flowStore.getState().select([], ['e_big']);
    render(<Inspector />);
    expect(screen.getByRole('heading', { name: /Edge\s*e_big/ })).toBeTruthy();
    expect(screen.getByText(/Taken for outcome big/)).toBeTruthy();
    expect(screen.getByText('goes nowhere')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Edge label'), { target: { value: 'Large deal' } });
    expect(
      flowStore
        .getState()
        .toDocument()
        .edges.find((e) => e.id === 'e_big'),
    ).toMatchObject({ label: 'Large deal', outcome: 'big' });
  });

  it('is read only when the canvas shows an earlier version', () => {
    useViewStore.getState().setView({ mode: 'version', version: 1 });
    renderSelected('legal_review');
    expect(screen.getByText('Read only: this is not the draft.')).toBeTruthy();
    // Every input sits in the disabled fieldset.
    expect(screen.getByLabelText('Label').closest('fieldset[disabled]')).not.toBeNull();
    expect(screen.getByRole('button', { name: 'Add field' }).closest('fieldset[disabled]')).not.toBeNull();
  });

  it('makes one undo entry per edited input (focus to blur)', async () => {
    renderSelected('legal_review');
    const label = screen.getByLabelText('Label');
    fireEvent.focus(label);
    for (const value of ['R', 'Re', 'Rev']) fireEvent.change(label, { target: { value } });
    fireEvent.blur(label);
    await waitFor(() => expect(flowStore.temporal.getState().pastStates).toHaveLength(1));
    flowStore.temporal.getState().undo();
    expect(node('legal_review').data.label).toBe('Review contract terms');
  });

  it('gives a new node the id of the label typed, and keeps an id chosen by hand', () => {
    const added = flowStore.getState().addNode('stage', { x: 3000, y: 3000 });
    expect(added).toEqual({ id: 'new_stage' });
    renderSelected('new_stage');
    const label = screen.getByLabelText('Label');
    fireEvent.focus(label);
    fireEvent.change(label, { target: { value: 'Check pricing' } });
    fireEvent.blur(label);
    expect(flowStore.getState().nodes.some((n) => n.id === 'new_stage')).toBe(false);
    expect(node('check_pricing').data).toMatchObject({ label: 'Check pricing' });
    // The id is editable; a taken one is refused with the reason, a free one renames.
    const id = screen.getByLabelText('Id');
    fireEvent.change(id, { target: { value: 'legal' } });
    expect(screen.getByRole('alert').textContent).toBe('Another node is legal.');
    fireEvent.blur(id);
    expect(node('check_pricing')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Id'), { target: { value: 'pricing' } });
    fireEvent.blur(screen.getByLabelText('Id'));
    expect(node('pricing').data).toMatchObject({ label: 'Check pricing' });
    // Chosen by hand: a new label leaves it be.
    fireEvent.focus(screen.getByLabelText('Label'));
    fireEvent.change(screen.getByLabelText('Label'), { target: { value: 'Pricing review' } });
    fireEvent.blur(screen.getByLabelText('Label'));
    expect(node('pricing').data).toMatchObject({ label: 'Pricing review' });
  });
});

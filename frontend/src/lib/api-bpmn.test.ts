import { afterEach, describe, expect, it, vi } from 'vitest';

import { ApiError, fetchBpmn, onUnauthenticated } from './api';

afterEach(() => {
  vi.unstubAllGlobals();
  onUnauthenticated(null);
});

function answer(status: number, body: unknown) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => (typeof body === 'string' ? new Response(body, { status }) : Response.json(body, { status }))),
  );
}

describe('fetchBpmn', () => {
  it('gives the file of the draft or of a version', async () => {
    answer(200, '<definitions/>');
    expect(await (await fetchBpmn('claims', 2)).text()).toBe('<definitions/>');
    expect(vi.mocked(fetch).mock.calls[0]?.[0]).toBe('/api/orchestrations/claims/versions/2/bpmn');
  });

  it("throws the server's message, and a lapsed session asks to sign in again as every call does", async () => {
    answer(422, { error: { code: 'cannot_export', message: 'the draft is not a document' } });
    await expect(fetchBpmn('claims', 'draft')).rejects.toEqual(
      new ApiError(422, 'cannot_export', 'the draft is not a document'),
    );
    const listener = vi.fn();
    onUnauthenticated(listener);
    answer(401, { error: { code: 'session_expired', message: 'sign in again' } });
    await expect(fetchBpmn('claims', 'draft')).rejects.toBeInstanceOf(ApiError);
    expect(listener).toHaveBeenCalledWith('session_expired');
  });
});

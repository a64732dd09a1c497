// @vitest-environment happy-dom
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

import { useInboxStore } from './inbox-store';
import { SESSION_ENDED_CLOSE, useSessionStore } from './session-store';

class FakeSocket {
  static made: FakeSocket[] = [];
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  close() {}
}

beforeEach(() => {
  FakeSocket.made = [];
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', FakeSocket);
  useSessionStore.setState({ user: { username: 'sam', role: 'member' }, ended: false });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

it('a socket closed because the session ended signs the person out of the app, without reconnecting', () => {
  const disconnect = useInboxStore.getState().connect('sam');
  expect(FakeSocket.made).toHaveLength(1);
  FakeSocket.made[0]!.onclose?.({ code: SESSION_ENDED_CLOSE });
  expect(useSessionStore.getState()).toMatchObject({ user: null, ended: true });
  vi.advanceTimersByTime(60_000);
  expect(FakeSocket.made).toHaveLength(1);
  disconnect();
  vi.advanceTimersByTime(2_000);
});

it('any other close reconnects and keeps the person signed in', () => {
  const disconnect = useInboxStore.getState().connect('sam');
  const before = FakeSocket.made.length;
  FakeSocket.made.at(-1)!.onclose?.({ code: 1006 });
  vi.advanceTimersByTime(1_000);
  expect(FakeSocket.made.length).toBe(before + 1);
  expect(useSessionStore.getState().user).not.toBeNull();
  disconnect();
  vi.advanceTimersByTime(2_000);
});

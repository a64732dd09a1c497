// @vitest-environment happy-dom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useRunStream } from '../hooks/use-run-stream';
import { useRunUpdates } from '../hooks/use-run-updates';
import type { RunEvent } from './run-events';
import { watchRun } from './run-socket';

class FakeSocket {
  static opened: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.opened.push(this);
  }
  close() {
    this.closed = true;
    this.onclose?.();
  }
  send(events: Array<Partial<RunEvent>>, type = 'events') {
    const seq = Number(events.at(-1)?.seq ?? 0);
    this.onmessage?.({ data: JSON.stringify({ type, run_id: 'run1', seq, events }) });
  }
}

const event = (seq: number) => ({
  seq,
  run_id: 'run1',
  type: 'step.completed',
  at: '2026-12-01T09:00:00Z',
  node: 'a',
  visit: 1,
  by: 'sam',
  data: {},
});
const open = (path: string) => FakeSocket.opened.filter((s) => !s.closed && s.url.endsWith(path));
const only = (path: string): FakeSocket => {
  const found = open(path);
  expect(found).toHaveLength(1);
  return found[0] as FakeSocket;
};

beforeEach(() => {
  FakeSocket.opened = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal(
    'fetch',
    vi.fn(
      async () =>
        new Response(JSON.stringify({ items: [], next_after: null }), {
          status: 200,
          headers: { 'Content-Type': 'application/json' },
        }),
    ),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('one socket per run for the whole page', () => {
  it('gives every view of a run the same socket, and a second run its own', () => {
    const seen: string[] = [];
    function Step({ name, runId }: { name: string; runId: string }) {
      useRunUpdates(runId, (events) => seen.push(`${name}:${events.map((e) => e.seq).join(',')}`));
      return null;
    }
    function Log() {
      const { events, live } = useRunStream('run1');
      return (
        <p data-testid="log">
          {live ? 'live' : 'not live'} {events.map((e) => e.seq).join(',')}
        </p>
      );
    }
    // A record page with two of my steps on one run, the run's log, and another run.
    const page = render(
      <>
        <Step name="first" runId="run1" />
        <Step name="second" runId="run1" />
        <Log />
        <Step name="other" runId="run2" />
      </>,
    );
    expect(open('/ws/runs/run2')).toHaveLength(1);
    const socket = only('/ws/runs/run1');
    act(() => {
      socket.onopen?.();
      socket.send([event(1), event(2)], 'history');
    });
    expect(seen).toEqual(['first:1,2', 'second:1,2']);
    expect(page.getByTestId('log').textContent).toBe('live 1,2');

    page.unmount();
    expect(FakeSocket.opened.every((s) => s.closed)).toBe(true);
  });

  it('hands a watcher that joins later what the socket brought, then what comes', () => {
    const early: number[] = [];
    const late: number[] = [];
    const stopEarly = watchRun('run1', { onEvents: (events) => early.push(...events.map((e) => e.seq)) });
    const socket = only('/ws/runs/run1');
    socket.send([event(1)], 'history');
    const stopLate = watchRun('run1', { onEvents: (events) => late.push(...events.map((e) => e.seq)) });
    socket.send([event(2)]);
    expect(early).toEqual([1, 2]);
    expect(late).toEqual([1, 2]);
    expect(FakeSocket.opened).toHaveLength(1);
    stopEarly();
    expect(socket.closed).toBe(false); // someone still watches
    stopLate();
    expect(socket.closed).toBe(true);
  });

  it('reconnects after a drop while watched, and not once nobody watches', () => {
    vi.useFakeTimers();
    try {
      const stop = watchRun('run1', { onEvents: () => undefined });
      only('/ws/runs/run1').onclose?.(); // the server went away
      vi.advanceTimersByTime(1000);
      expect(open('/ws/runs/run1')).toHaveLength(2); // the dropped one is never closed by us; a new one is open
      stop();
      vi.advanceTimersByTime(60_000);
      expect(FakeSocket.opened).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

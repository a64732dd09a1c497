// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';

import { currentSession, signIn } from './api';

const SESSION = { user: { username: 'ada', role: 'admin' }, csrf_token: 'csrf-1' };

afterEach(() => {
  delete window.__overturePrefetch;
  vi.unstubAllGlobals();
});

describe('requests index.html started early', () => {
  it('answers the first GET of their path, once, without asking again', async () => {
    const fetch = vi.fn(async () => Response.json({ ...SESSION, csrf_token: 'csrf-2' }));
    vi.stubGlobal('fetch', fetch);
    window.__overturePrefetch = { '/api/session': Promise.resolve(Response.json(SESSION)) };

    expect((await currentSession())?.csrf_token).toBe('csrf-1');
    expect(fetch).not.toHaveBeenCalled();
    expect((await currentSession())?.csrf_token).toBe('csrf-2'); // used up: the next one asks
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('asks again when the early answer was not OK or failed', async () => {
    const fetch = vi.fn(async () => Response.json(SESSION));
    vi.stubGlobal('fetch', fetch);
    window.__overturePrefetch = {
      '/api/session': Promise.resolve(Response.json({ error: { code: 'x', message: 'no' } }, { status: 401 })),
    };
    expect((await currentSession())?.user.username).toBe('ada');
    window.__overturePrefetch = { '/api/session': Promise.reject(new TypeError('offline')) };
    expect((await currentSession())?.user.username).toBe('ada');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('forgets them all on a write (signing in makes them stale)', async () => {
    const fetch = vi.fn(async () => Response.json(SESSION));
    vi.stubGlobal('fetch', fetch);
    window.__overturePrefetch = { '/api/orchestrations/expense': Promise.resolve(Response.json({})) };
    await signIn('ada', 'secret');
    expect(window.__overturePrefetch).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';

import { describeAgent, endedMessage, signedInSessionsSchema } from './signed-in-sessions';

describe('describeAgent', () => {
  it('names the browser and the system of common User-Agent headers', () => {
    expect(describeAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0')).toBe(
      'Firefox on Windows',
    );
    expect(
      describeAgent(
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
      ),
    ).toBe('Chrome on Linux');
    expect(
      describeAgent(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      ),
    ).toBe('Safari on macOS');
    expect(
      describeAgent(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      ),
    ).toBe('Edge on Windows');
    expect(
      describeAgent(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      ),
    ).toBe('Safari on iOS');
    expect(
      describeAgent(
        'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      ),
    ).toBe('Chrome on Android');
  });

  it('says what it knows when it knows little', () => {
    expect(describeAgent(null)).toBe('An unknown browser');
    expect(describeAgent('curl/8.5.0')).toBe('curl/8.5.0');
    expect(describeAgent('python-requests/2.34 (Linux)')).toBe('A browser on Linux');
    expect(describeAgent('x'.repeat(100))).toHaveLength(58);
  });
});

describe('endedMessage', () => {
  it('counts the sessions ended, one’s own or someone’s', () => {
    expect(endedMessage(0)).toBe('You were signed in nowhere else.');
    expect(endedMessage(1)).toBe('Signed out everywhere else: 1 other session ended.');
    expect(endedMessage(3)).toBe('Signed out everywhere else: 3 other sessions ended.');
    expect(endedMessage(2, 'Sam Seller')).toBe('Sam Seller is signed out everywhere (2 sessions ended).');
    expect(endedMessage(0, 'Sam Seller')).toBe('Sam Seller was not signed in anywhere.');
  });
});

it('checks the list the server answers', () => {
  const ok = {
    items: [
      {
        started_at: '2026-01-05T09:00:00+00:00',
        last_seen_at: '2026-01-05T10:00:00+00:00',
        user_agent: null,
        address: '10.0.0.1',
        current: true,
      },
    ],
  };
  expect(signedInSessionsSchema.safeParse(ok).success).toBe(true);
  expect(signedInSessionsSchema.safeParse({ items: [{ current: 'yes' }] }).success).toBe(false);
});

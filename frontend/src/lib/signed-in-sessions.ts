/**
 * Where a person is signed in (GET /api/profile/sessions), in words: which browser on
 * which system, from where, and the sentences the profile and admin pages say after
 * sessions were ended.
 */
import { z } from 'zod';

export const signedInSessionSchema = z.looseObject({
  started_at: z.string(),
  last_seen_at: z.string(),
  user_agent: z.string().nullable(),
  address: z.string().nullable(),
  current: z.boolean(),
});
export const signedInSessionsSchema = z.looseObject({ items: z.array(signedInSessionSchema) });
export const endedSessionsSchema = z.looseObject({ username: z.string(), ended: z.number().int().nonnegative() });

export type SignedInSession = z.infer<typeof signedInSessionSchema>;

const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\//, 'Firefox'],
  [/\b(Headless)?Chrom(e|ium)\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(iPhone|iPad)\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

/** "Firefox on Windows" from a User-Agent header; what is known when not all is. */
export function describeAgent(userAgent: string | null): string {
  if (!userAgent) return 'An unknown browser';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `A browser on ${system}`;
  return userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent;
}

/** What the page says once `ended` sessions were ended ("other" when one's own stays). */
export function endedMessage(ended: number, who: string | null = null): string {
  const sessions = `${ended} ${ended === 1 ? 'session' : 'sessions'}`;
  if (who !== null)
    return ended === 0 ? `${who} was not signed in anywhere.` : `${who} is signed out everywhere (${sessions} ended).`;
  return ended === 0
    ? 'You were signed in nowhere else.'
    : `Signed out everywhere else: ${ended} other ${ended === 1 ? 'session' : 'sessions'} ended.`;
}

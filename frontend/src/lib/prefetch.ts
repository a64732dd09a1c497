/**
 * Requests index.html's inline script starts before the app's script has loaded: the
 * session and, on /builder/<key>, the orchestration (its draft). The builder's first
 * view needs both, and the server answers them while the browser loads and runs the
 * bundle, instead of after it (a waterfall of script, then session, then draft).
 *
 * The API client takes each one once ({@link takePrefetched}), only when it answered
 * OK (anything else is asked again, so an error reads as usual), and forgets them all
 * on any write (signing in makes an earlier answer stale).
 */

/** What the inline script leaves on `window`: the request's path to its response. */
export type PrefetchedResponses = Record<string, Promise<Response> | undefined>;

declare global {
  interface Window {
    __overturePrefetch?: PrefetchedResponses;
  }
}

/** The GET of `path` the page started early, once; undefined when there is none (any more). */
export function takePrefetched(path: string): Promise<Response> | undefined {
  const prefetched = typeof window === 'undefined' ? undefined : window.__overturePrefetch;
  const response = prefetched?.[path];
  if (response !== undefined) delete prefetched?.[path];
  return response;
}

/** Forgets every early answer (a write may have changed what they said). */
export function dropPrefetched(): void {
  if (typeof window !== 'undefined') delete window.__overturePrefetch;
}

/** The early answer to GET `path` when there is one and it is OK, else null. */
export async function prefetchedResponse(path: string): Promise<Response | null> {
  const response = await takePrefetched(path)?.catch(() => null);
  return response?.ok ? response : null;
}

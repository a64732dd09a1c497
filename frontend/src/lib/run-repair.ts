/** Repairing a run in error (docs/ARCHITECTURE.md §3): what a retry led to, and the values ops type. */

export interface RetryOutcome {
  result: 'failed' | 'completed' | 'running';
  status: string;
  error: { message: string } | null;
}

/** What the page says after a retry or a skip: never "done" when it failed again. */
export function retryNotice(what: string, outcome: RetryOutcome | undefined): string {
  if (!outcome) return `${what}: done.`;
  if (outcome.result === 'failed') return `${what}: failed again — ${outcome.error?.message ?? 'the run is in error'}`;
  if (outcome.result === 'completed') return `${what}: the run completed.`;
  return `${what}: the run is running again (${outcome.status.replace('_', ' ')}).`;
}

/** A typed value: JSON when it reads as JSON (`40`, `true`, `{"a": 1}`, `"text"`), else the text itself; empty is null (back to the expression). */
export function typedValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return text;
  }
}

/** The rows a person filled in, as the body's map: untouched rows are left out. */
export function changedValues(rows: Record<string, string>, touched: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(rows)
      .filter(([name]) => touched.has(name))
      .map(([name, text]) => [name, typedValue(text)]),
  );
}

/** The 422 details of a repair as "name: problem" lines. */
export function problemLines(details: unknown): string[] {
  if (!details || typeof details !== 'object') return [];
  const lines: string[] = [];
  for (const group of Object.values(details as Record<string, unknown>)) {
    if (group && typeof group === 'object')
      for (const [name, problem] of Object.entries(group)) lines.push(`${name}: ${String(problem)}`);
    else if (typeof group === 'string') lines.push(group);
  }
  return lines;
}

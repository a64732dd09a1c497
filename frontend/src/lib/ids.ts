/** Identifiers that fit FORMAT.md (`^[A-Za-z_][A-Za-z0-9_]{0,63}$`), so CEL can name them. */

const MAX = 64;

/** `base` made an identifier: other characters become `_`, a leading digit gets `_`. */
export function identifier(base: string): string {
  const cleaned = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])/, '_');
  return (cleaned || 'node').slice(0, MAX);
}

/** `base` if free, else `base_2`, `base_3`... (never one of `taken`). */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const root = identifier(base);
  if (!taken.has(root)) return root;
  const stem = root.replace(/_\d+$/, '');
  for (let n = 2; ; n += 1) {
    const suffix = `_${n}`;
    const candidate = stem.slice(0, MAX - suffix.length) + suffix;
    if (!taken.has(candidate)) return candidate;
  }
}

/** A label in lower snake case, accents dropped: "Décision d'achat" → `decision_d_achat` (may be empty). */
function snakeCase(label: string): string {
  return label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** An orchestration key for a label (`^[a-z][a-z0-9_]{0,63}$`): "Contract approval" → `contract_approval`. */
export function keyFromLabel(label: string): string {
  const cleaned = snakeCase(label);
  if (cleaned === '') return 'orchestration';
  const key = /^[a-z]/.test(cleaned) ? cleaned : `o_${cleaned}`;
  return key.slice(0, MAX).replace(/_+$/, '');
}

export function isOrchestrationKey(key: string): boolean {
  return /^[a-z][a-z0-9_]{0,63}$/.test(key);
}

/** A node id for a label: "Check pricing" → `check_pricing` (`fallback` when nothing is left). */
export function idFromLabel(label: string, fallback = 'node'): string {
  const cleaned = snakeCase(label);
  return identifier(cleaned || fallback).replace(/_+$/, '') || fallback;
}

/** Whether `id` is still the one made from `label` (`check_pricing`, `check_pricing_2`): it may follow the label. */
export function idFollowsLabel(id: string, label: string): boolean {
  const base = idFromLabel(label);
  return id === base || new RegExp(`^${base}_\\d+$`).test(id);
}

export const isIdentifier = (id: string) => /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(id);

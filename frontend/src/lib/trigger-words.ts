/** How an orchestration's runs start, in words for people (runtime/FORMAT.md, "trigger"). */
import type { Trigger } from './document-schema';

/** Runs start by hand (the API, the Start run page or another run). */
export function isManual(trigger: Trigger | null | undefined): boolean {
  return !trigger || trigger.type === 'manual';
}

/** "Starts when a Contract is created or updated with `record.status == 'submitted'`", as parts to render. */
export function recordTriggerWords(trigger: Trigger, typeLabel: string): { when: string; condition: string | null } {
  const on = trigger.on ?? ['create'];
  const verbs = on.map((o) => (o === 'create' ? 'created' : o === 'update' ? 'updated' : o));
  const article = /^[aeiou]/i.test(typeLabel) ? 'an' : 'a';
  return { when: `Starts when ${article} ${typeLabel} is ${verbs.join(' or ')}`, condition: trigger.condition ?? null };
}

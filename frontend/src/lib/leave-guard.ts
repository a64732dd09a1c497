/**
 * A page with unsaved work (the builder's draft) asks before the shell's links take the
 * person away. The shell's links and the breadcrumbs call `mayLeave()` (`onClick={guardLink}`); the browser's own navigation is
 * covered by `beforeunload` (hooks/use-has-changes.ts).
 */
let guard: (() => string | null) | null = null;

/** Set (or clear, with null) what to ask; the function answers null when there is nothing to lose. */
export function setLeaveGuard(next: (() => string | null) | null): void {
  guard = next;
}

/** Whether to go on: true when nothing would be lost or the person confirmed. */
export function mayLeave(): boolean {
  const question = guard?.();
  return !question || window.confirm(question);
}

/** A link's click handler: stays when the person would rather not lose their work. */
export function guardLink(event: { preventDefault: () => void }): void {
  if (!mayLeave()) event.preventDefault();
}

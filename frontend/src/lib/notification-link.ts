/** Where a notification in the bell leads. */
import type { Notification } from './work-schemas';

/** A record page's path: `/records/<object>/<id>`. */
export function recordPath(object: string, id: string): string {
  return `/records/${encodeURIComponent(object)}/${encodeURIComponent(id)}`;
}

/** A work item's own page: `/work/<id>`. */
export function itemPath(id: string): string {
  return `/work/${encodeURIComponent(id)}`;
}

/**
 * The work item it is about (its page opens that very step), else the record its run
 * concerns, else the run; null for a message about nothing in particular.
 */
export function notificationLink(
  note: Pick<Notification, 'record' | 'record_name' | 'work_item_id' | 'run_id'>,
): { to: string; label: string } | null {
  if (note.work_item_id) return { to: itemPath(note.work_item_id), label: 'Open step' };
  if (note.record)
    return { to: recordPath(note.record.object, note.record.id), label: `Open ${note.record_name ?? 'record'}` };
  if (note.run_id) return { to: `/runs/${encodeURIComponent(note.run_id)}`, label: 'Open run' };
  return null;
}

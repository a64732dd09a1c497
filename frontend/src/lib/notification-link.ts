/** Where a notification in the bell leads. */
import type { Notification } from './work-schemas';

/** A record page's path: `/records/<object>/<id>`. */
export function recordPath(object: string, id: string): string {
  return `/records/${encodeURIComponent(object)}/${encodeURIComponent(id)}`;
}

/**
 * The record its run concerns (its page has the Work Guide), else My work for a work item
 * without a record, else the run; null for a message about nothing in particular.
 */
export function notificationLink(note: Pick<Notification, 'record' | 'work_item_id' | 'run_id'>): { to: string; label: string } | null {
  if (note.record) return { to: recordPath(note.record.object, note.record.id), label: `Open ${note.record.object}` };
  if (note.work_item_id) return { to: '/work', label: 'My work' };
  if (note.run_id) return { to: `/runs/${encodeURIComponent(note.run_id)}`, label: 'Open run' };
  return null;
}

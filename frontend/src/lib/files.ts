/** Documents to and from files: export as a .json download, import from a chosen file. */
import { parseDocument, type OrchestrationDocument } from './document-schema';

export function downloadDocument(document: OrchestrationDocument, filename = `${document.key}.json`): void {
  downloadJson(document, filename);
}

export function downloadJson(value: unknown, filename: string): void {
  downloadBlob(new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' }), filename);
}

/** Saves `blob` as `filename` through the browser's download. */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = window.document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  window.document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** The document in a file, checked; throws with a message an admin can act on. */
export async function readDocumentFile(file: File): Promise<OrchestrationDocument> {
  let payload: unknown;
  try {
    payload = JSON.parse(await file.text()) as unknown;
  } catch {
    throw new Error(`${file.name} is not JSON.`);
  }
  return parseDocument(payload);
}

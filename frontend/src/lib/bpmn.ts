/**
 * BPMN 2.0 files in the browser: read a chosen file (is it BPMN? what is its process
 * called?), and keep an import's report for the builder, which shows it beside the canvas
 * until the admin dismisses it (for the browser tab's session).
 */
import { bpmnReportSchema, type BpmnReport } from './api-schemas';

const BPMN_MODEL = 'http://www.omg.org/spec/BPMN/20100524/MODEL';

export type BpmnFile = { name: string; xml: string; processName: string | null };

/** The file's text and its process's name; throws a message an admin can act on when it is not BPMN 2.0. */
export async function readBpmnFile(file: File): Promise<BpmnFile> {
  const xml = await file.text();
  const parsed = new DOMParser().parseFromString(xml, 'application/xml');
  const root = parsed.documentElement;
  if (parsed.getElementsByTagName('parsererror').length > 0 || !root) throw new Error(`${file.name} is not XML.`);
  if (root.localName !== 'definitions' || root.namespaceURI !== BPMN_MODEL)
    throw new Error(`${file.name} is not a BPMN 2.0 file: it holds <${root.localName}>, not BPMN's <definitions>.`);
  return { name: file.name, xml, processName: processName(parsed) };
}

/** The name the import gives the orchestration: its main process's (the executable one with the most elements), else its pool's. */
function processName(parsed: Document): string | null {
  const weight = (process: Element) =>
    (process.getAttribute('isExecutable') === 'true' ? 1e9 : 0) +
    process.getElementsByTagNameNS(BPMN_MODEL, '*').length;
  const processes = Array.from(parsed.getElementsByTagNameNS(BPMN_MODEL, 'process'));
  const main = processes.reduce<Element | null>(
    (best, p) => (best === null || weight(p) > weight(best) ? p : best),
    null,
  );
  if (main === null) return null;
  const pool = Array.from(parsed.getElementsByTagNameNS(BPMN_MODEL, 'participant')).find(
    (participant) => participant.getAttribute('processRef') === main.getAttribute('id'),
  );
  const name = (element: Element | null | undefined) => element?.getAttribute('name')?.trim() || null;
  return name(main) ?? name(pool) ?? name(parsed.documentElement) ?? main.getAttribute('id');
}

/** `textAnnotation` → "text annotation". */
export function bpmnTypeLabel(type: string): string {
  return type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export type KeptReport = { file: string; report: BpmnReport };

const storageKey = (key: string) => `overture.bpmn-import.${key}`;

export function keepImportReport(key: string, kept: KeptReport): void {
  try {
    sessionStorage.setItem(storageKey(key), JSON.stringify(kept));
  } catch {
    // storage full or refused: the report is shown this once, from memory
  }
}

export function importReportOf(key: string): KeptReport | null {
  try {
    const raw = sessionStorage.getItem(storageKey(key));
    if (raw === null) return null;
    const value = JSON.parse(raw) as { file?: unknown; report?: unknown };
    const report = bpmnReportSchema.safeParse(value.report);
    return report.success && typeof value.file === 'string' ? { file: value.file, report: report.data } : null;
  } catch {
    return null;
  }
}

export function forgetImportReport(key: string): void {
  try {
    sessionStorage.removeItem(storageKey(key));
  } catch {
    // nothing kept
  }
}

#!/usr/bin/env node
// Reads a BPMN 2.0 file with bpmn-moddle (the model bpmn.io's modeler uses) and prints
// what it found as JSON: {"root": "bpmn:Definitions", "warnings": [...], "error": null}.
// With --write OUT it also saves the model back as bpmn.io's modeler would (moddle's toXML),
// so a test can check that what a modeler saves still carries everything Overture wrote.
// Exit 0 when the file was read (warnings or not), 1 when it could not be, 2 on bad usage.
// Usage: node scripts/bpmn-validate.mjs FILE.bpmn [--write OUT.bpmn]
import { readFile, writeFile } from "node:fs/promises";
import { BpmnModdle } from "bpmn-moddle";

const [file, flag, out] = process.argv.slice(2);
if (!file || (flag !== undefined && (flag !== "--write" || !out))) {
  process.stderr.write(
    "usage: node scripts/bpmn-validate.mjs FILE.bpmn [--write OUT.bpmn]\n",
  );
  process.exit(2);
}

const xml = await readFile(file, "utf8");
const moddle = new BpmnModdle();
try {
  const { rootElement, warnings } = await moddle.fromXML(
    xml,
    "bpmn:Definitions",
  );
  const report = {
    root: rootElement?.$type ?? null,
    warnings: warnings.map((w) => ({
      message: w.message,
      element: w.element?.id ?? w.element?.$type ?? null,
    })),
    error: null,
  };
  if (out) {
    const { xml: saved } = await moddle.toXML(rootElement, { format: true });
    await writeFile(out, saved, "utf8");
  }
  process.stdout.write(JSON.stringify(report) + "\n");
} catch (error) {
  const warnings = (error.warnings ?? []).map((w) => ({ message: w.message }));
  process.stdout.write(
    JSON.stringify({
      root: null,
      warnings,
      error: String(error.message ?? error),
    }) + "\n",
  );
  process.exit(1);
}

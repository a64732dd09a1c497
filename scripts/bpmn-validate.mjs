#!/usr/bin/env node
// Reads a BPMN 2.0 file with bpmn-moddle (the model bpmn.io's modeler uses) and prints
// what it found as JSON: {"root": "bpmn:Definitions", "warnings": [...], "error": null}.
// Exit 0 when the file was read (warnings or not), 1 when it could not be, 2 on bad usage.
// Usage: node scripts/bpmn-validate.mjs FILE.bpmn
import { readFile } from 'node:fs/promises';
import { BpmnModdle } from 'bpmn-moddle';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node scripts/bpmn-validate.mjs FILE.bpmn\n');
  process.exit(2);
}

const xml = await readFile(file, 'utf8');
const moddle = new BpmnModdle();
try {
  const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
  const report = {
    root: rootElement?.$type ?? null,
    warnings: warnings.map((w) => ({ message: w.message, element: w.element?.id ?? w.element?.$type ?? null })),
    error: null,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
} catch (error) {
  const warnings = (error.warnings ?? []).map((w) => ({ message: w.message }));
  process.stdout.write(JSON.stringify({ root: null, warnings, error: String(error.message ?? error) }) + '\n');
  process.exit(1);
}

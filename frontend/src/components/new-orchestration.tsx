/**
 * A new orchestration: from a blank canvas, one of the shipped templates, a document
 * file or a BPMN 2.0 file (whose import report the builder then shows beside the
 * canvas), under a label and key of the admin's choosing.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';

import { ApiError, createOrchestration, getTemplate, importBpmn, listTemplates } from '../lib/api';
import type { TemplateSummary } from '../lib/api-schemas';
import { blankDocument } from '../lib/blank-document';
import { keepImportReport, readBpmnFile, type BpmnFile } from '../lib/bpmn';
import type { OrchestrationDocument } from '../lib/document-schema';
import { readDocumentFile } from '../lib/files';
import { isOrchestrationKey, keyFromLabel } from '../lib/ids';

type Source =
  | { kind: 'blank' }
  | { kind: 'template'; name: string }
  | { kind: 'file'; name: string; document: OrchestrationDocument }
  | { kind: 'bpmn'; file: BpmnFile };

export function NewOrchestration({ onCancel }: { onCancel: () => void }) {
  const navigate = useNavigate();
  const [templates, setTemplates] = useState<TemplateSummary[]>([]);
  const [source, setSource] = useState<Source>({ kind: 'blank' });
  const [label, setLabel] = useState('');
  const [key, setKey] = useState('');
  const [keyEdited, setKeyEdited] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    listTemplates()
      .then(setTemplates)
      .catch(() => setTemplates([]));
  }, []);

  const changeLabel = (text: string) => {
    setLabel(text);
    if (!keyEdited) setKey(text.trim() === '' ? '' : keyFromLabel(text));
  };

  const pickTemplate = (template: TemplateSummary) => {
    setSource({ kind: 'template', name: template.name });
    if (label === '') {
      setLabel(template.label);
      if (!keyEdited) setKey(template.key);
    }
  };

  const pickFile = async (file: File) => {
    setError(null);
    try {
      const document = await readDocumentFile(file);
      setSource({ kind: 'file', name: file.name, document });
      setLabel(document.label ?? document.key);
      setKey(document.key);
      setKeyEdited(true);
    } catch (failure) {
      setError(`Cannot import ${file.name}: ${failure instanceof Error ? failure.message : String(failure)}`);
    }
  };

  const pickBpmn = async (file: File) => {
    setError(null);
    try {
      const bpmn = await readBpmnFile(file);
      setSource({ kind: 'bpmn', file: bpmn });
      const name = bpmn.processName ?? file.name.replace(/\.(bpmn|xml)$/i, '');
      setLabel(name);
      if (!keyEdited) setKey(keyFromLabel(name));
    } catch (failure) {
      setError(`Cannot import ${file.name}: ${failure instanceof Error ? failure.message : String(failure)}`);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!isOrchestrationKey(key)) {
      setError('The key must start with a lower-case letter and hold only a-z, 0-9 and _.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (source.kind === 'bpmn') {
        const imported = await importBpmn(source.file.xml, { key, label: label || key });
        const kept = { file: source.file.name, report: imported.report };
        keepImportReport(imported.key, kept);
        void navigate(`/builder/${encodeURIComponent(imported.key)}`, { state: { bpmnImport: kept } });
        return;
      }
      let document: OrchestrationDocument;
      if (source.kind === 'template') document = (await getTemplate(source.name)).document;
      else if (source.kind === 'file') document = source.document;
      else document = blankDocument(key, label);
      await createOrchestration({ ...document, key, label: label || document.label || key });
      void navigate(`/builder/${encodeURIComponent(key)}`);
    } catch (failure) {
      setBusy(false);
      if (failure instanceof ApiError && failure.status === 409)
        setError(`There is already an orchestration with the key ${key}; choose another key.`);
      else setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  return (
    <form className="new-orchestration" onSubmit={submit} aria-labelledby="new-title">
      <h2 id="new-title">New orchestration</h2>
      <fieldset className="starting-points">
        <legend>Start from</legend>
        <label>
          <input
            type="radio"
            name="source"
            checked={source.kind === 'blank'}
            onChange={() => setSource({ kind: 'blank' })}
          />
          Blank canvas
        </label>
        {templates.map((t) => (
          <label key={t.name}>
            <input
              type="radio"
              name="source"
              checked={source.kind === 'template' && source.name === t.name}
              onChange={() => pickTemplate(t)}
            />
            <span>
              Template: {t.label}
              {t.description ? <small className="muted"> — {t.description}</small> : null}
            </span>
          </label>
        ))}
        <label>
          <input
            type="radio"
            name="source"
            checked={source.kind === 'file'}
            readOnly
            disabled={source.kind !== 'file'}
          />
          {source.kind === 'file' ? `File: ${source.name}` : 'A document file (choose one below)'}
        </label>
        <label>
          <input
            type="radio"
            name="source"
            checked={source.kind === 'bpmn'}
            readOnly
            disabled={source.kind !== 'bpmn'}
          />
          {source.kind === 'bpmn' ? `BPMN file: ${source.file.name}` : 'A BPMN 2.0 file (choose one below)'}
        </label>
      </fieldset>
      <label htmlFor="import-file">Import from file</label>
      <input
        id="import-file"
        type="file"
        accept="application/json,.json"
        onChange={(event) => {
          const file = event.target.files?.[0];
          if (file) void pickFile(file);
        }}
      />
      <label htmlFor="import-bpmn">Import BPMN</label>
      <input
        id="import-bpmn"
        type="file"
        accept=".bpmn,.xml,application/xml,text/xml"
        aria-describedby="import-bpmn-hint"
        onChange={(event) => {
          const file = event.target.files?.[0];
          if (file) void pickBpmn(file);
        }}
      />
      <small id="import-bpmn-hint" className="field__hint">
        A process from Camunda Modeler, Signavio, Bizagi or bpmn.io. What cannot be mapped is listed beside the canvas,
        with where it was.
      </small>
      <label htmlFor="new-label">Label</label>
      <input id="new-label" required value={label} onChange={(e) => changeLabel(e.target.value)} />
      <label htmlFor="new-key">Key</label>
      <input
        id="new-key"
        className="mono"
        required
        pattern="[a-z][a-z0-9_]{0,63}"
        value={key}
        aria-describedby="new-key-hint"
        onChange={(e) => {
          setKey(e.target.value);
          setKeyEdited(true);
        }}
      />
      <small id="new-key-hint" className="field__hint">
        Lower case, a-z, 0-9 and _: it names the orchestration in the API and cannot change.
      </small>
      {error ? (
        <p className="status--problem" role="alert">
          {error}
        </p>
      ) : null}
      <div className="page-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create orchestration'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

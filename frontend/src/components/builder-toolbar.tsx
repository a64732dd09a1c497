/** Save, validate, activate, undo/redo, tidy up, import/export, and what state the draft is in. */
import { useRef } from 'react';
import { Link } from 'react-router';

import type { SaveStatus } from '../hooks/use-draft';
import { layout } from '../lib/layout';
import { guardLink } from '../lib/leave-guard';
import { useNoticeStore } from '../store/notice-store';
import { flowStore, useFlowHistory } from '../store/use-flow-store';
import { useReadOnly, useViewStore } from '../store/view-store';
import { Breadcrumbs } from './breadcrumbs';

type Props = {
  title: string;
  /** The Start run page when the active version is started by hand, else null. */
  startLink: string | null;
  onTestRun: () => void;
  save: SaveStatus;
  changed: boolean;
  onSave: () => void;
  onValidate: () => void;
  onActivate: () => void;
  onExport: () => void;
  onExportBpmn: () => void;
  onImport: (file: File) => void;
  onHelp: () => void;
};

function saveState(save: SaveStatus, changed: boolean): { text: string; tone?: 'changed' | 'problem' } {
  if (save.busy === 'saving') return { text: 'Saving…' };
  if (save.busy === 'validating') return { text: 'Checking…' };
  if (save.busy === 'activating') return { text: 'Activating…' };
  if (save.conflict) return { text: 'Not saved', tone: 'problem' };
  if (changed) return { text: 'Unsaved changes', tone: 'changed' };
  return { text: `Saved (revision ${save.revision})` };
}

export function BuilderToolbar({
  title,
  startLink,
  onTestRun,
  save,
  changed,
  onSave,
  onValidate,
  onActivate,
  onExport,
  onExportBpmn,
  onImport,
  onHelp,
}: Props) {
  const canUndo = useFlowHistory((s) => s.pastStates.length > 0);
  const canRedo = useFlowHistory((s) => s.futureStates.length > 0);
  const view = useViewStore((s) => s.view);
  const readOnly = useReadOnly();
  const notice = useNoticeStore((s) => s.message);
  const tone = useNoticeStore((s) => s.tone);
  const clearNotice = useNoticeStore((s) => s.clear);
  const file = useRef<HTMLInputElement>(null);

  const tidyUp = async () => {
    const { nodes, edges, applyLayout } = flowStore.getState();
    applyLayout(await layout(nodes, edges)); // the canvas fits it, readably (flow-canvas.tsx)
  };

  const state = saveState(save, changed);
  return (
    <header className="toolbar">
      <Breadcrumbs trail={[{ label: 'Orchestrations', to: '/' }]} className="toolbar__crumbs" />
      <h1 className="toolbar__title">{title}</h1>
      <div className="toolbar__actions" role="toolbar" aria-label="Draft">
        {readOnly ? null : (
          <>
            <button
              type="button"
              onClick={() => flowStore.temporal.getState().undo()}
              disabled={!canUndo}
              title="Ctrl+Z"
            >
              Undo
            </button>
            <button
              type="button"
              onClick={() => flowStore.temporal.getState().redo()}
              disabled={!canRedo}
              title="Ctrl+Shift+Z"
            >
              Redo
            </button>
            <button type="button" onClick={() => void tidyUp()}>
              Tidy up layout
            </button>
            <button type="button" onClick={onValidate} disabled={save.busy !== null}>
              Check for issues
            </button>
            {/* Always offered: with autosave the draft is often saved already, and saving then just confirms it. */}
            <button
              type="button"
              className="primary"
              onClick={onSave}
              disabled={save.busy !== null || save.conflict}
              title="Ctrl+S"
            >
              Save draft
            </button>
            <button
              type="button"
              onClick={onActivate}
              disabled={save.busy !== null || save.conflict}
              title="Save the draft and make it the version new runs start on"
            >
              Activate
            </button>
            <button type="button" onClick={onTestRun} title="Walk the draft as its personas, with nothing stored (R)">
              Test run
            </button>
          </>
        )}
        {startLink ? (
          <Link to={startLink} onClick={guardLink} className="button" title="Start a run of the active version">
            Start run
          </Link>
        ) : null}
      </div>
      <div className="toolbar__actions" role="toolbar" aria-label="File and view">
        <button type="button" onClick={onExport} title="Download the document on the canvas as JSON">
          Export JSON
        </button>
        <button
          type="button"
          onClick={onExportBpmn}
          title="Download as a BPMN 2.0 file with its diagram, for bpmn.io, Camunda Modeler or Signavio"
        >
          Export BPMN
        </button>
        {readOnly ? null : (
          <>
            <button
              type="button"
              onClick={() => file.current?.click()}
              title="Replace the draft with a document from a file (undoable)"
            >
              Import JSON
            </button>
            <input
              ref={file}
              type="file"
              accept="application/json,.json"
              className="visually-hidden"
              aria-label="Document file to import"
              tabIndex={-1}
              onChange={(event) => {
                const chosen = event.target.files?.[0];
                event.target.value = '';
                if (chosen) onImport(chosen);
              }}
            />
          </>
        )}
        <button type="button" onClick={onHelp} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
          ?
        </button>
      </div>
      <p className="toolbar__status" role="status" aria-live="polite">
        {readOnly ? (
          <span>
            {view.mode === 'version'
              ? `Version ${view.version} · read only`
              : view.mode === 'diff'
                ? 'Comparing versions · read only'
                : 'Read only: only admins change orchestrations'}
          </span>
        ) : (
          <span className={state.tone ? `status--${state.tone}` : undefined} data-testid="save-state">
            {state.text}
          </span>
        )}
        {/* Said where the status is announced, and marked so that it is seen: activating changes what new runs do. */}
        {save.activated !== null ? (
          <strong className="status--done"> · ✓ Version {save.activated} is active: new runs start on it</strong>
        ) : null}
        {save.error ? <span className="status--problem"> · {save.error}</span> : null}
        {notice ? (
          <span className={tone === 'problem' ? 'status--problem' : undefined}>
            {' · '}
            {notice}{' '}
            <button type="button" className="link" onClick={clearNotice}>
              Dismiss
            </button>
          </span>
        ) : null}
      </p>
    </header>
  );
}

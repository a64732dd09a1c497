/** Save, validate, undo/redo, tidy up, and what state the draft is in. */
import { useReactFlow } from '@xyflow/react';
import { useMemo } from 'react';

import type { SaveStatus } from '../hooks/use-draft';
import { canonicalJson, flowToDocument } from '../lib/document';
import { layout } from '../lib/layout';
import { useNoticeStore } from '../store/notice-store';
import { flowStore, useFlowHistory, useFlowStore } from '../store/use-flow-store';

type Props = { title: string; save: SaveStatus; onSave: () => void; onValidate: () => void; onActivate: () => void };

/** Whether the canvas differs from the draft as last loaded or saved. */
function useHasChanges(savedJson: string): boolean {
  const meta = useFlowStore((s) => s.meta);
  const nodes = useFlowStore((s) => s.nodes);
  const edges = useFlowStore((s) => s.edges);
  return useMemo(() => canonicalJson(flowToDocument({ meta, nodes, edges })) !== savedJson, [meta, nodes, edges, savedJson]);
}

export function BuilderToolbar({ title, save, onSave, onValidate, onActivate }: Props) {
  const canUndo = useFlowHistory((s) => s.pastStates.length > 0);
  const canRedo = useFlowHistory((s) => s.futureStates.length > 0);
  const changed = useHasChanges(save.savedJson);
  const notice = useNoticeStore((s) => s.message);
  const tone = useNoticeStore((s) => s.tone);
  const clearNotice = useNoticeStore((s) => s.clear);
  const { fitView } = useReactFlow();

  const tidyUp = async () => {
    const { nodes, edges, applyLayout } = flowStore.getState();
    applyLayout(await layout(nodes, edges));
    window.requestAnimationFrame(() => void fitView({ duration: 300 }));
  };

  const busy = { saving: 'Saving…', validating: 'Checking…', activating: 'Activating…' } as const;
  const state = save.busy ? busy[save.busy] : changed ? 'Unsaved changes' : `Saved (revision ${save.revision})`;

  return (
    <header className="toolbar">
      <h1 className="toolbar__title">{title}</h1>
      <div className="toolbar__actions">
        <button type="button" onClick={() => flowStore.temporal.getState().undo()} disabled={!canUndo} title="Ctrl+Z">Undo</button>
        <button type="button" onClick={() => flowStore.temporal.getState().redo()} disabled={!canRedo} title="Ctrl+Shift+Z">Redo</button>
        <button type="button" onClick={() => void tidyUp()}>Tidy up layout</button>
        <button type="button" onClick={onValidate} disabled={save.busy !== null}>Check for issues</button>
        <button type="button" className="primary" onClick={onSave} disabled={save.busy !== null || !changed} title="Ctrl+S">Save draft</button>
        <button type="button" onClick={onActivate} disabled={save.busy !== null || changed} title="Make the saved draft the version new runs start on">
          Activate
        </button>
      </div>
      <p className="toolbar__status" role="status" aria-live="polite">
        <span className={changed ? 'status--changed' : undefined}>{state}</span>
        {save.activated !== null ? <span> · Version {save.activated} is active</span> : null}
        {save.error ? <span className="status--problem"> · {save.error}</span> : null}
        {notice ? (
          <span className={tone === 'problem' ? 'status--problem' : undefined}>
            {' · '}{notice}{' '}
            <button type="button" className="link" onClick={clearNotice}>Dismiss</button>
          </span>
        ) : null}
      </p>
    </header>
  );
}

import { ReactFlowProvider } from '@xyflow/react';
import { useParams } from 'react-router';

import { BuilderToolbar } from '../components/builder-toolbar';
import { FlowCanvas } from '../components/flow-canvas';
import { IssuesPanel } from '../components/issues-panel';
import { Palette } from '../components/palette';
import { useDraft } from '../hooks/use-draft';
import { useKeyboardShortcuts } from '../hooks/use-keyboard-shortcuts';
import { useFlowStore } from '../store/use-flow-store';

/** /builder/<key>: the draft of one orchestration on the canvas. */
export function BuilderPage() {
  const { key = '' } = useParams();
  const { status, save, saveNow, validateNow, activateNow } = useDraft(key);
  const label = useFlowStore((s) => s.meta.label);
  useKeyboardShortcuts(saveNow);

  if (status.state === 'loading') return <main className="page-message" aria-busy="true">Loading {key}…</main>;
  if (status.state === 'failed') {
    return (
      <main className="page-message">
        <h1>{key} cannot be opened</h1>
        <p role="alert">{status.message}</p>
        {status.problems.length > 0 ? <ul>{status.problems.map((p) => <li key={p}>{p}</li>)}</ul> : null}
      </main>
    );
  }
  return (
    <ReactFlowProvider>
      <main className="builder">
        <BuilderToolbar
          title={label || key}
          save={save}
          onSave={() => void saveNow()}
          onValidate={() => void validateNow()}
          onActivate={() => void activateNow()}
        />
        <Palette />
        <FlowCanvas />
        <IssuesPanel />
      </main>
    </ReactFlowProvider>
  );
}

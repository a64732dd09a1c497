/**
 * The properties of the selected node, or of the document when nothing is selected.
 * Editing one input is one undo entry (a gesture from focus to blur). Read-only
 * (an earlier version, a comparison): every input is disabled.
 */
import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';

import { ERROR_HANDLE, isStep, type FlowEdge, type FlowNode } from '../../lib/document';
import { withField } from '../../lib/node-edits';
import { STEP_LABELS } from '../../store/node-defaults';
import { useDirectoryStore } from '../../store/directory-store';
import { useIssuesStore } from '../../store/issues-store';
import { flowStore, useFlowStore } from '../../store/use-flow-store';
import { useReadOnly, useViewStore } from '../../store/view-store';
import { DocumentSettings } from './document-settings';
import { ExpressionNameLists } from './expression-names';
import { FieldIssues } from './field-issues';
import { TextAreaField, TextField } from './fields';
import { AssigneeSection, ApprovalSection, DueSection, FormSection } from './interactive-sections';
import { BackgroundSections, DecisionSections, StageSections, WaitSections } from './other-sections';
import { SetSection, StartSection } from './step-sections';

const KIND: Record<FlowNode['type'], string> = {
  start: 'Start',
  end: 'End',
  stage: 'Stage',
  decision: 'Decision',
  ...STEP_LABELS,
};

function NodeIssues({ nodeId }: { nodeId: string }) {
  const count = useIssuesStore((s) => s.issues.filter((i) => i.node === nodeId).length);
  if (count === 0) return null;
  return <p className="inspector__issues">{count === 1 ? '1 issue' : `${count} issues`} on this node: see the fields marked below and the issues list.</p>;
}

function NodeProperties({ node }: { node: FlowNode }) {
  const edit = (change: { label?: string; description?: string }) =>
    flowStore.getState().updateNodeData(node.id, node.type, (d) => {
      let next = { ...d } as Record<string, unknown>;
      for (const [key, value] of Object.entries(change)) {
        if (value === '' && key === 'description') {
          const { [key]: _gone, ...rest } = next;
          next = rest;
        } else next[key] = value;
      }
      return next as typeof d;
    });
  return (
    <div className="inspector__body">
      <h2 className="panel-title" id="inspector-title">
        {KIND[node.type]} <span className="inspector__id mono">{node.id}</span>
      </h2>
      <NodeIssues nodeId={node.id} />
      {node.type !== 'start' && node.type !== 'end' ? null : <p className="field__hint">{node.type === 'start' ? 'Where every run begins.' : 'Where a run finishes.'}</p>}
      <TextField label="Label" required={node.type === 'stage' || isStep(node)} value={node.data.label ?? ''} at={[node.id, 'label']} onChange={(label) => edit({ label })} />
      <TextAreaField label="Description" value={node.data.description ?? ''} at={[node.id, 'description']} onChange={(description) => edit({ description })} />
      {node.type === 'stage' ? <StageSections node={node} /> : null}
      {isStep(node) ? <StartSection node={node} /> : null}
      {node.type === 'interactive' ? (
        <>
          <AssigneeSection node={node} />
          <FormSection node={node} />
          <ApprovalSection node={node} />
          <DueSection node={node} />
        </>
      ) : null}
      {node.type === 'background' ? <BackgroundSections node={node} /> : null}
      {node.type === 'wait' ? <WaitSections node={node} /> : null}
      {isStep(node) ? <SetSection node={node} /> : null}
      {node.type === 'decision' ? <DecisionSections node={node} /> : null}
    </div>
  );
}

/** An edge: where it goes, what it stands for, and its own label. */
function EdgeProperties({ edge }: { edge: FlowEdge }) {
  const source = useFlowStore((s) => s.nodes.find((n) => n.id === edge.source));
  const issues = useIssuesStore(useShallow((s) => s.issues.filter((i) => i.edge === edge.id)));
  const meaning =
    source?.type === 'decision'
      ? `Taken for outcome ${edge.sourceHandle ?? '?'}`
      : source?.type === 'stage' && edge.sourceHandle === ERROR_HANDLE
        ? 'The fault path: taken when a step of the stage fails for good'
        : 'Taken when its source completes';
  const setLabel = (label: string) =>
    flowStore.getState().updateGraph(({ nodes, edges }) => ({
      nodes,
      edges: edges.map((e) => (e.id === edge.id ? { ...e, data: withField(e.data ?? {}, 'label', label || undefined) } : e)),
    }));
  return (
    <div className="inspector__body">
      <h2 className="panel-title" id="inspector-title">Edge <span className="inspector__id mono">{edge.id}</span></h2>
      <p className="field__hint">{edge.source} → {edge.target}. {meaning}.</p>
      <FieldIssues issues={issues} id={`edge-${edge.id}-issues`} />
      <TextField label="Edge label" value={edge.data?.label ?? ''} hint="Shown on the canvas instead of the outcome's label." onChange={setLabel} />
    </div>
  );
}

export function Inspector() {
  const readOnly = useReadOnly();
  const isDraft = useViewStore((s) => s.view.mode === 'draft');
  const selectedIds = useFlowStore((s) => s.nodes.filter((n) => n.selected).map((n) => n.id).join(' '));
  const ids = selectedIds === '' ? [] : selectedIds.split(' ');
  const node = useFlowStore((s) => (ids.length === 1 ? s.nodes.find((n) => n.id === ids[0]) : undefined));
  const edge = useFlowStore((s) => {
    const selected = s.edges.filter((e) => e.selected);
    return ids.length === 0 && selected.length === 1 ? selected[0] : undefined;
  });
  const load = useDirectoryStore((s) => s.load);
  useEffect(() => void load(), [load]);

  const { beginGesture, endGesture } = flowStore.getState();
  return (
    <section className="inspector" aria-labelledby="inspector-title" onFocus={readOnly ? undefined : beginGesture} onBlur={readOnly ? undefined : endGesture}>
      <ExpressionNameLists />
      <fieldset className="inspector__lock" disabled={readOnly}>
        {readOnly ? <p className="inspector__readonly">{isDraft ? 'Read only: only admins change orchestrations.' : 'Read only: this is not the draft.'}</p> : null}
        {ids.length > 1 ? (
          <div className="inspector__body">
            <h2 className="panel-title" id="inspector-title">{ids.length} nodes selected</h2>
            <p className="field__hint">Select one node to see its properties.</p>
          </div>
        ) : node ? (
          <NodeProperties key={node.id} node={node} />
        ) : edge ? (
          <EdgeProperties key={edge.id} edge={edge} />
        ) : (
          <DocumentSettings />
        )}
      </fieldset>
    </section>
  );
}

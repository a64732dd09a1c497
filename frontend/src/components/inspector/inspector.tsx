/**
 * The properties of the selected node, or of the document when nothing is selected.
 * Editing one input is one undo entry (a gesture from focus to blur). Read-only
 * (an earlier version, a comparison): every input is disabled.
 */
import { useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';

import { useOnChange } from '../../hooks/use-on-change';
import { ERROR_HANDLE, isStep, type FlowEdge, type FlowNode } from '../../lib/document';
import { idFollowsLabel, idFromLabel, uniqueId } from '../../lib/ids';
import { nodeIdProblem, renameNode, withField } from '../../lib/node-edits';
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
  return (
    <p className="inspector__issues">
      {count === 1 ? '1 issue' : `${count} issues`} on this node: see the fields marked below and the issues list.
    </p>
  );
}

/** The node's id: editable (an identifier, unique); a rename carries its edges, steps and expressions along. */
function NodeId({ node }: { node: FlowNode }) {
  const [draft, setDraft] = useState(node.id);
  // Another node selected, or this one renamed (undo too): the draft starts again from its id.
  useOnChange(node.id, setDraft);
  const problem = draft === node.id ? null : nodeIdProblem(flowStore.getState().nodes, node.id, draft);
  const commit = () => {
    if (draft !== node.id && !problem) flowStore.getState().updateGraph((g) => renameNode(g, node.id, draft));
  };
  return (
    <div className={`field${problem ? ' field--invalid' : ''}`}>
      <span className="field__label-row">
        <label htmlFor="node-id">Id</label>
      </span>
      <input
        id="node-id"
        className="mono"
        value={draft}
        aria-invalid={problem ? true : undefined}
        aria-describedby="node-id-note"
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
      {problem ? (
        <small className="field__hint status--problem" id="node-id-note" role="alert">
          {problem}
        </small>
      ) : (
        <small className="field__hint" id="node-id-note">
          How expressions and the API name it; renaming updates what refers to it.
        </small>
      )}
    </div>
  );
}

function NodeProperties({ node }: { node: FlowNode }) {
  // A node whose id still is its label's (a new one: "New task" → new_task) takes the new label's
  // id, unique, when the label field is left (not per key: the inspector is keyed by the id).
  const labelAtFocus = useRef<string | null>(null);
  const followLabel = () => {
    const old = labelAtFocus.current;
    labelAtFocus.current = null;
    const label = node.data.label ?? '';
    if (old === null || old === label || !label.trim() || node.type === 'start' || !idFollowsLabel(node.id, old))
      return;
    const taken = new Set(
      flowStore
        .getState()
        .nodes.filter((n) => n.id !== node.id)
        .map((n) => n.id),
    );
    const id = uniqueId(idFromLabel(label, node.type), taken);
    if (id !== node.id) flowStore.getState().updateGraph((g) => renameNode(g, node.id, id));
  };
  const edit = (change: { label?: string; description?: string }) =>
    flowStore.getState().updateNodeData(node.id, node.type, (d) => {
      let next = { ...d } as Record<string, unknown>;
      for (const [key, value] of Object.entries(change)) {
        if (value === '' && key === 'description') {
          const { [key]: _gone, ...rest } = next;
          next = rest;
        } else next[key] = value;
      }
      return next;
    });
  return (
    <div className="inspector__body">
      <h2 className="panel-title" id="inspector-title">
        {KIND[node.type]} <span className="inspector__id mono">{node.id}</span>
      </h2>
      <NodeIssues nodeId={node.id} />
      {node.type !== 'start' && node.type !== 'end' ? null : (
        <p className="field__hint">{node.type === 'start' ? 'Where every run begins.' : 'Where a run finishes.'}</p>
      )}
      <div
        onFocus={() => {
          labelAtFocus.current ??= node.data.label ?? '';
        }}
        onBlur={followLabel}
      >
        <TextField
          label="Label"
          required={node.type === 'stage' || isStep(node)}
          value={node.data.label ?? ''}
          at={[node.id, 'label']}
          onChange={(label) => edit({ label })}
        />
      </div>
      {node.type === 'start' ? null : <NodeId node={node} />}
      <TextAreaField
        label="Description"
        value={node.data.description ?? ''}
        at={[node.id, 'description']}
        onChange={(description) => edit({ description })}
      />
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
      edges: edges.map((e) =>
        e.id === edge.id ? { ...e, data: withField(e.data ?? {}, 'label', label || undefined) } : e,
      ),
    }));
  return (
    <div className="inspector__body">
      <h2 className="panel-title" id="inspector-title">
        Edge <span className="inspector__id mono">{edge.id}</span>
      </h2>
      <p className="field__hint">
        {edge.source} → {edge.target}. {meaning}.
      </p>
      <FieldIssues issues={issues} id={`edge-${edge.id}-issues`} />
      <TextField
        label="Edge label"
        value={edge.data?.label ?? ''}
        hint="Shown on the canvas instead of the outcome's label."
        onChange={setLabel}
      />
    </div>
  );
}

export function Inspector() {
  const readOnly = useReadOnly();
  const isDraft = useViewStore((s) => s.view.mode === 'draft');
  const selectedIds = useFlowStore((s) =>
    s.nodes
      .filter((n) => n.selected)
      .map((n) => n.id)
      .join(' '),
  );
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
    <section
      className="inspector"
      aria-labelledby="inspector-title"
      onFocus={readOnly ? undefined : beginGesture}
      onBlur={readOnly ? undefined : endGesture}
    >
      <ExpressionNameLists />
      <fieldset className="inspector__lock" disabled={readOnly}>
        {readOnly ? (
          <p className="inspector__readonly">
            {isDraft ? 'Read only: only admins change orchestrations.' : 'Read only: this is not the draft.'}
          </p>
        ) : null}
        {ids.length > 1 ? (
          <div className="inspector__body">
            <h2 className="panel-title" id="inspector-title">
              {ids.length} nodes selected
            </h2>
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

import { useStore, type NodeProps } from '@xyflow/react';
import { memo, useEffect } from 'react';

import type { NodeContent, StepNode as StepNodeType } from '../lib/document';
import { describeDuration } from '../lib/duration';
import { assigneeText, type NameOf } from '../lib/run-events';
import { useNamesStore } from '../store/names-store';
import { STEP_LABELS } from '../store/node-defaults';
import {
  CoverageMark,
  DiffMark,
  FiguresBadge,
  IssueMark,
  PathMark,
  useDiffClass,
  useOverlayClass,
} from './node-badges';
import { sameNodeContent } from './same-node-content';

/** One line that says what the step does: who works on it (by name), which action runs, what it waits for. */
function summary(node: NodeContent<StepNodeType>, nameOf: NameOf): string {
  switch (node.type) {
    case 'interactive': {
      const assignee = node.data.assignee;
      if (!assignee) return 'No assignee yet';
      return assignee.type === 'expression'
        ? `Assignee ${assignee.value}`
        : assigneeText(assignee.type, assignee.value, nameOf);
    }
    case 'background':
      return node.data.action ? `Runs ${node.data.action}` : 'No action yet';
    case 'wait':
      if (node.data.timer?.duration) return `Timer ${describeDuration(node.data.timer.duration)}`;
      if (node.data.timer?.at) return `Until ${node.data.timer.at}`;
      if (node.data.event) return `Event ${node.data.event.name}`;
      if (node.data.until) return `Until ${node.data.until}`;
      return 'Nothing to wait for yet';
  }
}

/** A step's label as the canvas holds it, or its id. */
function labelOf(label: unknown, id: string): string {
  return typeof label === 'string' && label.trim() !== '' ? label : id;
}

/** A step (interactive, background or wait). Steps have no edges: their stage runs them. */
function StepNode({ id, type, data }: NodeProps<StepNodeType>) {
  const after = data.start?.when === 'after' ? (data.start.steps ?? []) : [];
  const diff = useDiffClass(id) + useOverlayClass(id);
  // A string each: a node draws again only when its own line changes (the names arrive, a step is renamed).
  const line = useNamesStore((s) => summary({ id, type, data }, s.nameOf));
  const afterLabels = useStore((s) =>
    after.map((step) => labelOf(s.nodeLookup.get(step)?.data.label, step)).join(', '),
  );
  useEffect(() => useNamesStore.getState().load(), []);
  return (
    <div className={`node node--step node--${type}${diff}`}>
      <header className="node__header">
        <span className="node__kind">{STEP_LABELS[type]}</span>
        <IssueMark nodeId={id} />
        <DiffMark nodeId={id} />
        <PathMark nodeId={id} />
        <CoverageMark nodeId={id} />
        <FiguresBadge nodeId={id} />
      </header>
      <span className="node__label">{data.label || id}</span>
      <span className="node__detail">
        {/* React Flow pairs a node's type with its data; NodeProps of a union does not say so (above). */}
        {line}
        {after.length > 0 ? ` · after ${afterLabels}` : ''}
      </span>
    </div>
  );
}

export default memo(StepNode, sameNodeContent);

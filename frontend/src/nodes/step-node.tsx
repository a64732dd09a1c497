import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';

import type { NodeContent, StepNode as StepNodeType } from '../lib/document';
import { describeDuration } from '../lib/duration';
import { STEP_LABELS } from '../store/node-defaults';
import { CoverageMark, DiffMark, FiguresBadge, IssueMark, PathMark, useDiffClass, useOverlayClass } from './node-badges';
import { sameNodeContent } from './same-node-content';

/** One line that says what the step does: who works on it, which action runs, what it waits for. */
function summary(node: NodeContent<StepNodeType>): string {
  switch (node.type) {
    case 'interactive': {
      const assignee = node.data.assignee;
      return assignee ? `${assignee.type}: ${assignee.value}` : 'No assignee yet';
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

/** A step (interactive, background or wait). Steps have no edges: their stage runs them. */
function StepNode({ id, type, data }: NodeProps<StepNodeType>) {
  const after = data.start?.when === 'after' ? data.start.steps ?? [] : [];
  const diff = useDiffClass(id) + useOverlayClass(id);
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
        {/* React Flow pairs a node's type with its data; NodeProps of a union does not say so. */}
        {summary({ id, type, data } as NodeContent<StepNodeType>)}
        {after.length > 0 ? ` · after ${after.join(', ')}` : ''}
      </span>
    </div>
  );
}

export default memo(StepNode, sameNodeContent);

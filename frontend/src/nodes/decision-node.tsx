import { Handle, Position, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';
import { memo, useEffect } from 'react';

import { DEFAULT_OUTCOME, type DecisionNode as DecisionNodeType } from '../lib/document';
import { FiguresBadge, IssueMark } from './node-badges';

/** A decision: one source handle per outcome, in order, then `default`. */
function DecisionNode({ id, data }: NodeProps<DecisionNodeType>) {
  const outcomes = data.outcomes ?? [];
  const handles = outcomes.map((o) => o.id).join(' ');
  const updateNodeInternals = useUpdateNodeInternals();
  // React Flow must measure the handles again when outcomes are added, removed or reordered.
  useEffect(() => updateNodeInternals(id), [id, handles, updateNodeInternals]);

  return (
    <div className="node node--decision">
      <Handle type="target" position={Position.Left} />
      <header className="node__header">
        <span className="node__kind">Decision</span>
        <IssueMark nodeId={id} />
        <FiguresBadge nodeId={id} />
      </header>
      <span className="node__label">{data.label || id}</span>
      <ol className="decision__outcomes">
        {outcomes.map((outcome) => (
          <li key={outcome.id} className="decision__outcome" title={outcome.condition}>
            {outcome.label || outcome.id}
            <Handle type="source" id={outcome.id} position={Position.Right} />
          </li>
        ))}
        <li className="decision__outcome decision__outcome--default">
          Otherwise
          <Handle type="source" id={DEFAULT_OUTCOME} position={Position.Right} />
        </li>
      </ol>
    </div>
  );
}

export default memo(DecisionNode);

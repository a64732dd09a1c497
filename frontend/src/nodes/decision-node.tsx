import { Handle, Position, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useRef } from 'react';

import { DEFAULT_OUTCOME, type DecisionNode as DecisionNodeType } from '../lib/document';
import { usePathOutcomes } from '../store/run-path-store';
import { DiffMark, FiguresBadge, IssueMark, PathMark, useDiffClass, useOverlayClass } from './node-badges';

/** A decision: one source handle per outcome, in order, then `default`. */
function DecisionNode({ id, data }: NodeProps<DecisionNodeType>) {
  const outcomes = data.outcomes ?? [];
  const handles = outcomes.map((o) => o.id).join(' ');
  const updateNodeInternals = useUpdateNodeInternals();
  // React Flow must measure the handles again when outcomes are added, removed or reordered.
  // Not on mount: React Flow measures new nodes itself, and an update then would make the
  // initial fit cover this node alone (xyflow/xyflow#6018).
  const measured = useRef(handles);
  useEffect(() => {
    if (measured.current === handles) return;
    measured.current = handles;
    updateNodeInternals(id);
  }, [id, handles, updateNodeInternals]);

  const diff = useDiffClass(id) + useOverlayClass(id);
  const taken = usePathOutcomes(id);
  const takenClass = (outcome: string) => (taken?.includes(outcome) ? ' decision__outcome--taken' : '');
  return (
    <div className={`node node--decision${diff}`}>
      <Handle type="target" position={Position.Left} />
      <header className="node__header">
        <span className="node__kind">Decision</span>
        <IssueMark nodeId={id} />
        <DiffMark nodeId={id} />
        <PathMark nodeId={id} />
        <FiguresBadge nodeId={id} />
      </header>
      <span className="node__label">{data.label || id}</span>
      <ol className="decision__outcomes">
        {outcomes.map((outcome) => (
          <li key={outcome.id} className={`decision__outcome${takenClass(outcome.id)}`} title={outcome.condition}>
            {outcome.label || outcome.id}
            <Handle type="source" id={outcome.id} position={Position.Right} />
          </li>
        ))}
        <li className={`decision__outcome decision__outcome--default${takenClass('default')}`}>
          Otherwise
          <Handle type="source" id={DEFAULT_OUTCOME} position={Position.Right} />
        </li>
      </ol>
    </div>
  );
}

export default memo(DecisionNode);

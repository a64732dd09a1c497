import { Handle, NodeResizer, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';

import { ERROR_HANDLE, NEXT_HANDLE, type StageNode as StageNodeType } from '../lib/document';
import { flowStore } from '../store/use-flow-store';
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
import { useReadOnly } from '../store/view-store';

const MIN_WIDTH = 240;
const MIN_HEIGHT = 120;

/** A stage: a box its steps live in, one outgoing edge on the right and the fault path below. */
function StageNode({ id, data, selected }: NodeProps<StageNodeType>) {
  const { beginGesture, endGesture } = flowStore.getState();
  const diff = useDiffClass(id) + useOverlayClass(id);
  const readOnly = useReadOnly();
  return (
    <div className={`node node--stage${diff}`}>
      <NodeResizer
        isVisible={Boolean(selected) && !readOnly}
        minWidth={MIN_WIDTH}
        minHeight={MIN_HEIGHT}
        onResizeStart={beginGesture}
        onResizeEnd={endGesture}
      />
      <Handle type="target" position={Position.Left} />
      <header className="node__header">
        <span className="node__kind">Stage</span>
        <span className="node__label">{data.label || id}</span>
        <IssueMark nodeId={id} />
        <DiffMark nodeId={id} />
        <PathMark nodeId={id} />
        <CoverageMark nodeId={id} />
        <FiguresBadge nodeId={id} />
      </header>
      {data.entry ? <p className="node__detail">Waits for: {data.entry.condition}</p> : null}
      <Handle type="source" id={NEXT_HANDLE} position={Position.Right} title="Next" />
      <Handle
        type="source"
        id={ERROR_HANDLE}
        position={Position.Bottom}
        className="handle--error"
        title="On error (fault path)"
      />
    </div>
  );
}

export default memo(StageNode, sameNodeContent);

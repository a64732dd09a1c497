import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';

import { NEXT_HANDLE, type EndNode as EndNodeType, type StartNode as StartNodeType } from '../lib/document';
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

function StartNode({ id, data }: NodeProps<StartNodeType>) {
  const diff = useDiffClass(id) + useOverlayClass(id);
  return (
    <div className={`node node--terminal node--start${diff}`} title={data.description}>
      <span className="node__label" title={data.label || 'Start'}>
        {data.label || 'Start'}
      </span>
      <IssueMark nodeId={id} />
      <DiffMark nodeId={id} />
      <PathMark nodeId={id} />
      <Handle type="source" id={NEXT_HANDLE} position={Position.Right} />
    </div>
  );
}

function EndNode({ id, data }: NodeProps<EndNodeType>) {
  const diff = useDiffClass(id) + useOverlayClass(id);
  return (
    <div className={`node node--terminal node--end${diff}`} title={data.description}>
      <Handle type="target" position={Position.Left} />
      <span className="node__label" title={data.label || 'End'}>
        {data.label || 'End'}
      </span>
      <IssueMark nodeId={id} />
      <DiffMark nodeId={id} />
      <PathMark nodeId={id} />
      <CoverageMark nodeId={id} />
      <FiguresBadge nodeId={id} />
    </div>
  );
}

export const MemoStartNode = memo(StartNode, sameNodeContent);
export const MemoEndNode = memo(EndNode, sameNodeContent);

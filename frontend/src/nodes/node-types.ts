/** Canvas node types: the same names as the document's node types. Module scope, so React Flow sees one object. */
import type { NodeTypes } from '@xyflow/react';

import DecisionNode from './decision-node';
import StageNode from './stage-node';
import StepNode from './step-node';
import { MemoEndNode, MemoStartNode } from './terminal-nodes';

export const nodeTypes = {
  start: MemoStartNode,
  end: MemoEndNode,
  stage: StageNode,
  interactive: StepNode,
  background: StepNode,
  wait: StepNode,
  decision: DecisionNode,
} satisfies NodeTypes;

import { Handle, Position, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useRef } from 'react';

import { DEFAULT_OUTCOME, type DecisionNode as DecisionNodeType } from '../lib/document';
import { coverageWords } from '../lib/coverage';
import { useOutcomesCoverage } from '../store/coverage-store';
import { usePathOutcomes } from '../store/run-path-store';
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
  // Test coverage per outcome (the builder's Tests panel): a class, a mark and data-coverage.
  const covered = useOutcomesCoverage(id);
  const coverageOf = (outcome: string) => {
    const coverage = covered?.[outcome];
    if (!coverage) return { className: '', mark: null, attributes: {} };
    const { icon, title } = coverageWords(coverage);
    return {
      className: ` decision__outcome--${coverage.state}`,
      mark: (
        <span className="outcome-coverage" title={title}>
          {icon}
        </span>
      ),
      attributes: { 'data-coverage': coverage.state },
    };
  };
  const defaultCoverage = coverageOf(DEFAULT_OUTCOME);
  return (
    <div className={`node node--decision${diff}`}>
      <Handle type="target" position={Position.Left} />
      <header className="node__header">
        <span className="node__kind">Decision</span>
        <IssueMark nodeId={id} />
        <DiffMark nodeId={id} />
        <PathMark nodeId={id} />
        <CoverageMark nodeId={id} />
        <FiguresBadge nodeId={id} />
      </header>
      <span className="node__label" title={data.label || id}>
        {data.label || id}
      </span>
      <ol className="decision__outcomes">
        {outcomes.map((outcome) => {
          const coverage = coverageOf(outcome.id);
          return (
            <li
              key={outcome.id}
              className={`decision__outcome${takenClass(outcome.id)}${coverage.className}`}
              title={outcome.condition}
              {...coverage.attributes}
            >
              {coverage.mark}
              {outcome.label || outcome.id}
              <Handle type="source" id={outcome.id} position={Position.Right} />
            </li>
          );
        })}
        <li
          className={`decision__outcome decision__outcome--default${takenClass('default')}${defaultCoverage.className}`}
          {...defaultCoverage.attributes}
        >
          {defaultCoverage.mark}
          Otherwise
          <Handle type="source" id={DEFAULT_OUTCOME} position={Position.Right} />
        </li>
      </ol>
    </div>
  );
}

export default memo(DecisionNode, sameNodeContent);

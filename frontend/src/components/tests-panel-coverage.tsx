/**
 * The Tests panel's coverage: how much of the flow the last run of scenarios went
 * through, the switch for the canvas overlay, and the parts production takes that no
 * scenario reaches ("hot, untested"), busiest first; choosing one shows it on the canvas.
 */
import { useReactFlow } from '@xyflow/react';

import { describeCounts, hotUntestedHeadline, type HotUntested } from '../lib/coverage';
import { describeTarget, type TestsState } from '../lib/tests-panel-state';
import { useCoverageStore } from '../store/coverage-store';
import { flowStore } from '../store/use-flow-store';

type Props = { state: TestsState; onShow: (show: boolean) => void };

function Production({ production }: { production: TestsState['production'] }) {
  switch (production.state) {
    case 'off':
      return null;
    case 'loading':
      return (
        <p className="muted" aria-busy="true">
          Reading production figures…
        </p>
      );
    case 'failed':
      return <p className="status--problem">No production figures: {production.message}</p>;
    case 'ready':
      return <p className="muted">Production: every version, all time (the monitor's figures).</p>;
  }
}

export function CoverageSection({ state, onShow }: Props) {
  const hot = useCoverageStore((s) => s.overlay?.hotUntested);
  const { fitView } = useReactFlow();
  const { coverage, coverageOf } = state;

  const focus = (item: HotUntested) => {
    const { edges, select } = flowStore.getState();
    if (item.kind === 'edge') {
      const edge = edges.find((e) => e.id === item.id);
      select([], [item.id]);
      if (edge) void fitView({ nodes: [{ id: edge.source }, { id: edge.target }], duration: 300, maxZoom: 1.2 });
    } else {
      select([item.id]);
      void fitView({ nodes: [{ id: item.id }], duration: 300, maxZoom: 1.2 });
    }
  };

  return (
    <section className="tests-coverage" aria-labelledby="coverage-title">
      <h3 id="coverage-title" className="panel-title">
        Coverage
      </h3>
      <label className="tests-coverage__switch">
        <input type="checkbox" checked={state.showCoverage} onChange={(e) => onShow(e.target.checked)} /> Show coverage
        on the canvas
      </label>
      {coverage && coverageOf ? (
        <>
          <p className="muted">
            Of the last run: {coverageOf.scenarios} {coverageOf.scenarios === 1 ? 'scenario' : 'scenarios'} against{' '}
            {describeTarget(coverageOf.target)}.
          </p>
          <dl className="tests-coverage__summary" data-testid="coverage-summary">
            <dt>Nodes</dt>
            <dd>{describeCounts(coverage.nodes)}</dd>
            <dt>Outcomes</dt>
            <dd>{describeCounts(coverage.outcomes)}</dd>
            <dt>Edges</dt>
            <dd>{describeCounts(coverage.edges)}</dd>
          </dl>
        </>
      ) : (
        <p className="muted">Run the scenarios to see what they cover.</p>
      )}
      {state.showCoverage ? (
        <>
          <Production production={state.production} />
          <p className="tests-coverage__legend">
            <span className="coverage-mark coverage-mark--covered">✓ tested</span>
            <span className="coverage-mark coverage-mark--uncovered">○ untested</span>
            <span className="coverage-mark coverage-mark--hot-untested">⚠ hot, untested</span>
          </p>
        </>
      ) : null}
      {state.showCoverage && hot && state.production.state === 'ready' ? (
        <div className="tests-coverage__hot" data-testid="hot-untested">
          <p
            className={
              hot.length > 0 ? 'tests-coverage__headline tests-coverage__headline--hot' : 'tests-coverage__headline'
            }
          >
            {hotUntestedHeadline(hot.length)}
          </p>
          {hot.length > 0 ? (
            <ol className="tests-coverage__hot-list">
              {hot.map((item) => (
                <li key={`${item.kind}-${item.id}`}>
                  <button type="button" className="link" onClick={() => focus(item)}>
                    {item.text}
                  </button>
                  <span className="muted"> · {item.traffic} in production</span>
                </li>
              ))}
            </ol>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

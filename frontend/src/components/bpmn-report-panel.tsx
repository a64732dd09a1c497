/**
 * What a BPMN import did, beside the canvas: the elements that were not mapped, each with
 * where it was (its lane or sub-process, and a box on a sketch of the file's diagram) and
 * why; the mapped ones, each a way to its node on the canvas; and the import's notes.
 */
import { useReactFlow } from '@xyflow/react';
import { useState } from 'react';

import type { BpmnEntry, BpmnReport } from '../lib/api-schemas';
import { bpmnTypeLabel, type KeptReport } from '../lib/bpmn';
import { downloadJson } from '../lib/files';
import { flowStore } from '../store/use-flow-store';

/** What holds other shapes: outlined only, its number in a corner, so that what it holds shows. */
const CONTAINERS = new Set(['participant', 'lane', 'group', 'subProcess', 'transaction', 'adHocSubProcess']);

/** Sequence and message flows, associations: the report has the box around their points, not their line. */
const isFlow = (entry: BpmnEntry) => /(Flow|Association|^association)$/.test(entry.bpmn_type);

type Box = { x: number; y: number; width: number; height: number };
type Drawn = BpmnEntry & { bounds: Box };

/** A name where the file gives one; else what it is, with the id the admin finds it by in their modeller. */
function Title({ entry }: { entry: BpmnEntry }) {
  if (entry.name) return <>{entry.name}</>;
  return (
    <>
      Unnamed {bpmnTypeLabel(entry.bpmn_type)} <code>{entry.bpmn_id}</code>
    </>
  );
}

function title(entry: BpmnEntry): string {
  return entry.name ?? `unnamed ${bpmnTypeLabel(entry.bpmn_type)} ${entry.bpmn_id}`;
}

/** The file's diagram, sketched: every shape it drew, the unmapped ones marked with their number in the list. */
function DiagramSketch({ report, focused }: { report: BpmnReport; focused: string | null }) {
  const unmapped = new Map(report.unmapped.map((entry, index) => [entry.bpmn_id, index + 1]));
  const drawn = [...report.mapped, ...report.unmapped].filter(
    (entry): entry is Drawn => entry.bounds !== null && !isFlow(entry),
  );
  if (drawn.length === 0) return <p className="muted">The file has no diagram: the canvas laid the process out.</p>;
  const left = Math.min(...drawn.map((e) => e.bounds.x)) - 10;
  const top = Math.min(...drawn.map((e) => e.bounds.y)) - 10;
  const width = Math.max(...drawn.map((e) => e.bounds.x + e.bounds.width)) - left + 10;
  const height = Math.max(...drawn.map((e) => e.bounds.y + e.bounds.height)) - top + 10;
  // Pools, lanes and sub-processes first, so that what they hold is drawn over them.
  const order = [...drawn].sort((a, b) => b.bounds.width * b.bounds.height - a.bounds.width * a.bounds.height);
  const scale = width / 300; // the sketch is about 300 px wide: its numbers are drawn at a readable size
  return (
    <svg
      className="bpmn-sketch"
      viewBox={`${left} ${top} ${width} ${height}`}
      role="img"
      aria-label={`The file's diagram: ${report.unmapped.length} elements not mapped, numbered as in the list`}
    >
      {order.map((entry) => {
        const number = unmapped.get(entry.bpmn_id);
        const corner = CONTAINERS.has(entry.bpmn_type);
        const state = number === undefined ? 'mapped' : corner ? 'container' : 'unmapped';
        const { x, y, width: w, height: h } = entry.bounds;
        return (
          <g
            key={entry.bpmn_id}
            data-bpmn-id={entry.bpmn_id}
            className={`bpmn-sketch__shape bpmn-sketch__shape--${state}${focused === entry.bpmn_id ? ' bpmn-sketch__shape--focused' : ''}`}
          >
            <title>{`${bpmnTypeLabel(entry.bpmn_type)} ${title(entry)}${number ? ' (not mapped)' : ''}`}</title>
            <rect x={x} y={y} width={w} height={h} rx={Math.min(w, h) > 60 ? 2 : 6} />
            {number !== undefined ? (
              <text
                x={corner ? x + 6 * scale : x + w / 2}
                y={corner ? y + 4 * scale : y + h / 2}
                fontSize={11 * scale}
                dominantBaseline={corner ? 'hanging' : 'central'}
                textAnchor={corner ? 'start' : 'middle'}
              >
                {number}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

export function BpmnReportPanel({ kept, onDismiss }: { kept: KeptReport; onDismiss: () => void }) {
  const { report } = kept;
  const { fitView } = useReactFlow();
  const [focused, setFocused] = useState<string | null>(null);
  const total = report.counts.mapped + report.counts.unmapped;

  const showNode = (node: string) => {
    const { nodes, edges, select } = flowStore.getState();
    const edge = edges.find((e) => e.id === node);
    if (edge) {
      select([], [edge.id]);
      void fitView({ nodes: [{ id: edge.source }, { id: edge.target }], duration: 300, maxZoom: 1.2 });
    } else if (nodes.some((n) => n.id === node)) {
      select([node]);
      void fitView({ nodes: [{ id: node }], duration: 300, maxZoom: 1.2 });
    }
  };

  return (
    <section className="bpmn-report" aria-labelledby="bpmn-report-title">
      <h2 id="bpmn-report-title" className="panel-title">
        Imported from {kept.file}
      </h2>
      <p className="bpmn-report__summary" data-testid="bpmn-report-summary">
        {report.counts.unmapped === 0
          ? `All ${total} elements of the file were mapped.`
          : `${report.counts.mapped} of ${total} elements mapped; ${report.counts.unmapped} not mapped, listed below.`}{' '}
        Issues left to fix are under Properties.
      </p>
      {report.notes.length > 0 ? (
        <ul className="bpmn-report__notes">
          {report.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      ) : null}
      <DiagramSketch report={report} focused={focused} />
      {report.unmapped.length > 0 ? (
        <>
          <h3 className="bpmn-report__heading">Not mapped ({report.unmapped.length})</h3>
          <ol className="bpmn-report__list" aria-label="Elements not mapped">
            {report.unmapped.map((entry) => (
              <li
                key={entry.bpmn_id}
                className={`bpmn-entry bpmn-entry--unmapped${focused === entry.bpmn_id ? ' bpmn-entry--focused' : ''}`}
                tabIndex={0}
                onMouseEnter={() => setFocused(entry.bpmn_id)}
                onMouseLeave={() => setFocused(null)}
                onFocus={() => setFocused(entry.bpmn_id)}
                onBlur={() => setFocused(null)}
              >
                <span className="bpmn-entry__name">
                  <Title entry={entry} />
                  {entry.name ? <small className="muted"> {bpmnTypeLabel(entry.bpmn_type)}</small> : null}
                </span>
                <span className="bpmn-entry__where">Where: {entry.where}</span>
                <span className="bpmn-entry__detail">{entry.detail}</span>
              </li>
            ))}
          </ol>
        </>
      ) : null}
      <details className="bpmn-report__mapped">
        <summary>Mapped ({report.mapped.length})</summary>
        <ul className="bpmn-report__list" aria-label="Elements mapped">
          {report.mapped.map((entry) => (
            <li key={entry.bpmn_id} className="bpmn-entry">
              <span>
                {entry.node ? (
                  <button
                    type="button"
                    className="link"
                    onClick={() => showNode(entry.node ?? '')}
                    title={`Show ${title(entry)} on the canvas`}
                  >
                    <Title entry={entry} />
                  </button>
                ) : (
                  <span className="bpmn-entry__name">
                    <Title entry={entry} />
                  </span>
                )}
                {entry.name ? <small className="muted"> {bpmnTypeLabel(entry.bpmn_type)}</small> : null}
              </span>
              <span className="bpmn-entry__detail">{entry.detail}</span>
            </li>
          ))}
        </ul>
      </details>
      <div className="page-actions">
        <button
          type="button"
          onClick={() => downloadJson(report, `${kept.file.replace(/\.(bpmn|xml)$/i, '')}-import-report.json`)}
        >
          Download report
        </button>
        <button type="button" onClick={onDismiss} title="The report is not kept once dismissed">
          Dismiss report
        </button>
      </div>
    </section>
  );
}

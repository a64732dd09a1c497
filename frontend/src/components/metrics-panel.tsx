/** An orchestration's metrics (GET /api/orchestrations/<key>/metrics): run time, completion, failures, starts per day, time per stage. */
import { useEffect, useState } from 'react';

import { getMetrics } from '../lib/api';
import type { Metrics } from '../lib/api-schemas';
import { formatSeconds } from '../lib/heat';
import { BarChart } from './bar-chart';

export function MetricsPanel({
  orchestration,
  version,
  refresh,
}: {
  orchestration: string;
  version: number | null;
  refresh: number;
}) {
  const [metrics, setMetrics] = useState<Metrics | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    getMetrics(orchestration, version).then(
      (m) => !cancelled && (setMetrics(m), setError(null)),
      (failure: unknown) => !cancelled && setError(failure instanceof Error ? failure.message : String(failure)),
    );
    return () => {
      cancelled = true;
    };
  }, [orchestration, version, refresh]);

  if (error)
    return (
      <section className="metrics">
        <h2>Metrics</h2>
        <p role="alert">{error}</p>
      </section>
    );
  if (!metrics)
    return (
      <section className="metrics">
        <h2>Metrics</h2>
        <p aria-busy="true">Loading…</p>
      </section>
    );
  const rate = metrics.completion_rate;
  return (
    <section className="metrics" aria-labelledby="metrics-title">
      <h2 id="metrics-title">Metrics</h2>
      <dl className="metrics__figures">
        <div>
          <dt>Runs</dt>
          <dd data-testid="metric-runs">{metrics.runs}</dd>
        </div>
        <div>
          <dt>Average run time</dt>
          <dd data-testid="metric-average">{formatSeconds(metrics.average_run_seconds)}</dd>
        </div>
        <div>
          <dt>Completion rate</dt>
          <dd data-testid="metric-completion">{rate === null ? '–' : `${Math.round(rate * 100)} %`}</dd>
        </div>
        <div>
          <dt>Failed runs</dt>
          <dd data-testid="metric-failed">{metrics.failed_runs}</dd>
        </div>
      </dl>
      <div className="metrics__charts">
        <BarChart
          title="Runs started per day (last 30 days)"
          categories={metrics.started_per_day.map((d) => d.day.slice(5))}
          series={[{ label: 'Runs started', values: metrics.started_per_day.map((d) => d.runs), tone: 'accent' }]}
          format={(v) => `${v} run${v === 1 ? '' : 's'}`}
          axisFormat={String}
          counts
        />
        <BarChart
          title="Time spent per stage"
          categories={metrics.stages.map((s) => s.label)}
          series={[
            { label: 'Median', values: metrics.stages.map((s) => s.p50), tone: 'middle' },
            { label: '95th percentile', values: metrics.stages.map((s) => s.p95), tone: 'high' },
          ]}
          format={(v) => formatSeconds(v)}
          summary="highest"
        />
      </div>
    </section>
  );
}

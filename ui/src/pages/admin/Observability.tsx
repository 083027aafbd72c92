// What the service measured over the last hour, day or week: latency, errors, throughput, the
// queue, the fleet and dead letters, from every replica's per-minute and per-hour roll-ups.
import { useQuery } from "@tanstack/react-query";
import type { ReactElement } from "react";
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { useSearchParams } from "react-router";
import { useApi } from "../../api/context";
import { queries } from "../../api/queries";
import type { MetricPoint, MetricsRange } from "../../api/types";
import { QueryView } from "../../components/Feedback";
import { useTitle } from "../../components/useTitle";
import { formatBytes, formatCount } from "../../lib/format";

const RANGES: { value: MetricsRange; label: string }[] = [
  { value: "1h", label: "1 hour" },
  { value: "24h", label: "24 hours" },
  { value: "7d", label: "7 days" },
];

function isRange(value: string | null): value is MetricsRange {
  return RANGES.some((r) => r.value === value);
}

function timeLabel(range: MetricsRange) {
  const format = new Intl.DateTimeFormat(
    undefined,
    range === "7d" ? { weekday: "short", hour: "2-digit" } : { hour: "2-digit", minute: "2-digit" },
  );
  return (iso: string) => format.format(new Date(iso));
}

function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${value.toFixed(value < 10 ? 2 : 1)}%`;
}

function round(value: unknown): string {
  const n = Number(value);
  return Number.isInteger(n) ? formatCount(n) : n.toFixed(1);
}

function Tile({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="card tile">
      <div className="muted">{label}</div>
      <div className="tile-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

function ChartCard({ id, title, children }: { id: string; title: string; children: ReactElement }) {
  return (
    <figure className="card chart" aria-labelledby={`${id}-title`} data-chart={id}>
      <figcaption id={`${id}-title`}>
        <h2>{title}</h2>
      </figcaption>
      <ResponsiveContainer width="100%" height={200}>
        {children}
      </ResponsiveContainer>
    </figure>
  );
}

const axis = { stroke: "var(--muted)", fontSize: 12 };
// Small dots keep a lone measured point visible between gaps.
const DOT = { r: 1.5 };

export function Observability() {
  useTitle("Observability");
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const asked = params.get("range");
  const range: MetricsRange = isRange(asked) ? asked : "1h";
  const query = useQuery(queries.observability(api, range));
  const tick = timeLabel(range);
  const common = (points: MetricPoint[]) => ({ data: points, margin: { left: 8, right: 8, top: 8 } });
  return (
    <section aria-labelledby="observability-title">
      <div className="page-head">
        <h1 id="observability-title">Observability</h1>
        <div className="segmented" role="radiogroup" aria-label="Range">
          {RANGES.map((r) => (
            <label key={r.value} className={range === r.value ? "on" : ""}>
              <input
                type="radio"
                name="range"
                checked={range === r.value}
                onChange={() => setParams({ range: r.value }, { replace: true })}
              />
              {r.label}
            </label>
          ))}
        </div>
      </div>
      <QueryView query={query} what="the measurements">
        {(report) => {
          const points = report.points;
          const s = report.summary;
          return (
            <>
              <p className="muted small-print">
                Every replica&rsquo;s counts, a point per{" "}
                {report.bucketSeconds >= 3600 ? "hour" : `${report.bucketSeconds / 60} min`}. Levels are averages of the
                minutes measured; gaps are times nothing was measured.
              </p>
              <div className="tiles">
                <Tile label="Requests" value={formatCount(s.requests)} testId="summary-requests" />
                <Tile label="Server errors" value={pct(s.errorRatePercent)} testId="summary-error-rate" />
                <Tile label="Latency p95" value={ms(s.p95Ms)} testId="summary-p95" />
                <Tile
                  label="Jobs completed / failed"
                  value={`${formatCount(s.jobsCompleted)} / ${formatCount(s.jobsFailed)}`}
                  testId="summary-jobs"
                />
                <Tile
                  label="Dead-letter growth"
                  value={
                    s.deadLetterGrowth === null || s.deadLetterGrowth === undefined
                      ? "–"
                      : `${s.deadLetterGrowth > 0 ? "+" : ""}${round(s.deadLetterGrowth)}`
                  }
                  testId="summary-dead-letters"
                />
                <Tile
                  label="Agent bytes in / out"
                  value={`${formatBytes(s.agentBytesIn)} / ${formatBytes(s.agentBytesOut)}`}
                  testId="summary-bytes"
                />
              </div>
              <div className="chart-grid">
                <ChartCard id="latency" title="Latency">
                  <LineChart {...common(points)}>
                    <CartesianGrid stroke="var(--line)" vertical={false} />
                    <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
                    <YAxis {...axis} width={60} tickFormatter={(v) => ms(Number(v))} />
                    <Tooltip labelFormatter={(v) => tick(String(v))} formatter={(v) => ms(Number(v))} />
                    <Legend />
                    <Line dataKey="p50Ms" name="p50" stroke="var(--ok)" dot={DOT} isAnimationActive={false} />
                    <Line dataKey="p95Ms" name="p95" stroke="var(--accent)" dot={DOT} isAnimationActive={false} />
                    <Line dataKey="p99Ms" name="p99" stroke="var(--bad)" dot={DOT} isAnimationActive={false} />
                  </LineChart>
                </ChartCard>
                <ChartCard id="errors" title="Requests and server errors">
                  <ComposedChart {...common(points)}>
                    <CartesianGrid stroke="var(--line)" vertical={false} />
                    <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
                    <YAxis yAxisId="count" {...axis} width={50} />
                    <YAxis yAxisId="rate" orientation="right" {...axis} width={50} tickFormatter={(v) => `${v}%`} />
                    <Tooltip labelFormatter={(v) => tick(String(v))} />
                    <Legend />
                    <Bar
                      yAxisId="count"
                      dataKey="requests"
                      name="Requests"
                      fill="var(--accent)"
                      fillOpacity={0.35}
                      isAnimationActive={false}
                    />
                    <Line
                      yAxisId="rate"
                      dataKey="errorRatePercent"
                      name="Error rate (%)"
                      stroke="var(--bad)"
                      dot={DOT}
                      isAnimationActive={false}
                    />
                  </ComposedChart>
                </ChartCard>
                <ChartCard id="queue" title="Queue and running jobs">
                  <LineChart {...common(points)}>
                    <CartesianGrid stroke="var(--line)" vertical={false} />
                    <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
                    <YAxis {...axis} width={40} allowDecimals={false} />
                    <Tooltip labelFormatter={(v) => tick(String(v))} formatter={round} />
                    <Legend />
                    <Line
                      dataKey="queueDepth"
                      name="Waiting"
                      stroke="var(--warn)"
                      dot={DOT}
                      isAnimationActive={false}
                    />
                    <Line
                      dataKey="runningJobs"
                      name="Running"
                      stroke="var(--accent)"
                      dot={DOT}
                      isAnimationActive={false}
                    />
                  </LineChart>
                </ChartCard>
                <ChartCard id="fleet" title="Fleet capacity and use">
                  <LineChart {...common(points)}>
                    <CartesianGrid stroke="var(--line)" vertical={false} />
                    <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
                    <YAxis {...axis} width={40} allowDecimals={false} />
                    <Tooltip labelFormatter={(v) => tick(String(v))} formatter={round} />
                    <Legend />
                    <Line
                      dataKey="fleetCapacity"
                      name="Capacity"
                      stroke="var(--muted)"
                      dot={DOT}
                      isAnimationActive={false}
                    />
                    <Line
                      dataKey="fleetActiveJobs"
                      name="In use"
                      stroke="var(--accent)"
                      dot={DOT}
                      isAnimationActive={false}
                    />
                  </LineChart>
                </ChartCard>
                <ChartCard id="dead-letters" title="Dead letters">
                  <LineChart {...common(points)}>
                    <CartesianGrid stroke="var(--line)" vertical={false} />
                    <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
                    <YAxis {...axis} width={40} allowDecimals={false} />
                    <Tooltip labelFormatter={(v) => tick(String(v))} formatter={round} />
                    <Line
                      dataKey="deadLetters"
                      name="Dead letters"
                      stroke="var(--bad)"
                      dot={DOT}
                      isAnimationActive={false}
                    />
                  </LineChart>
                </ChartCard>
                <ChartCard id="throughput" title="Jobs finished">
                  <ComposedChart {...common(points)}>
                    <CartesianGrid stroke="var(--line)" vertical={false} />
                    <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
                    <YAxis {...axis} width={40} allowDecimals={false} />
                    <Tooltip labelFormatter={(v) => tick(String(v))} />
                    <Legend />
                    <Bar
                      dataKey="jobsCompleted"
                      name="Completed"
                      stackId="jobs"
                      fill="var(--ok)"
                      isAnimationActive={false}
                    />
                    <Bar
                      dataKey="jobsFailed"
                      name="Failed"
                      stackId="jobs"
                      fill="var(--bad)"
                      isAnimationActive={false}
                    />
                  </ComposedChart>
                </ChartCard>
              </div>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

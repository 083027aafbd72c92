// What the service measured over the last hour, day or week: latency, errors, throughput, the
// queue, the fleet and dead letters, from every replica's per-minute and per-hour roll-ups.
import { useQuery } from "@tanstack/react-query";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
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

/** One line or bar of a chart. */
interface Series {
  key: keyof MetricPoint;
  name: string;
  color: string;
  bar?: boolean;
  /** Drawn against the right-hand axis (a percentage beside counts). */
  right?: boolean;
}

interface ChartSpec {
  id: string;
  title: string;
  series: Series[];
  format?: (value: number) => string;
}

const CHARTS: ChartSpec[] = [
  {
    id: "latency",
    title: "Latency",
    format: ms,
    series: [
      { key: "p50Ms", name: "p50", color: "var(--ok)" },
      { key: "p95Ms", name: "p95", color: "var(--accent)" },
      { key: "p99Ms", name: "p99", color: "var(--bad)" },
    ],
  },
  {
    id: "errors",
    title: "Requests and server errors",
    series: [
      { key: "requests", name: "Requests", color: "var(--accent)", bar: true },
      { key: "errorRatePercent", name: "Error rate (%)", color: "var(--bad)", right: true },
    ],
  },
  {
    id: "queue",
    title: "Queue and running jobs",
    series: [
      { key: "queueDepth", name: "Waiting", color: "var(--warn)" },
      { key: "runningJobs", name: "Running", color: "var(--accent)" },
    ],
  },
  {
    id: "fleet",
    title: "Fleet capacity and use",
    series: [
      { key: "fleetCapacity", name: "Capacity", color: "var(--muted)" },
      { key: "fleetActiveJobs", name: "In use", color: "var(--accent)" },
    ],
  },
  {
    id: "dead-letters",
    title: "Dead letters",
    series: [{ key: "deadLetters", name: "Dead letters", color: "var(--bad)" }],
  },
  {
    id: "throughput",
    title: "Jobs finished",
    series: [
      { key: "jobsCompleted", name: "Completed", color: "var(--ok)", bar: true },
      { key: "jobsFailed", name: "Failed", color: "var(--bad)", bar: true },
    ],
  },
];

function SeriesChart({
  spec,
  points,
  tick,
}: {
  spec: ChartSpec;
  points: MetricPoint[];
  tick: (iso: string) => string;
}) {
  const format = spec.format ?? round;
  const hasRight = spec.series.some((s) => s.right);
  return (
    <figure className="card chart" aria-labelledby={`${spec.id}-title`} data-chart={spec.id}>
      <figcaption id={`${spec.id}-title`}>
        <h2>{spec.title}</h2>
      </figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <ComposedChart data={points} margin={{ left: 8, right: 8, top: 8 }}>
          <CartesianGrid stroke="var(--line)" vertical={false} />
          <XAxis dataKey="at" tickFormatter={tick} {...axis} minTickGap={24} />
          <YAxis yAxisId="left" {...axis} width={60} tickFormatter={(v) => format(Number(v))} />
          {hasRight && (
            <YAxis yAxisId="right" orientation="right" {...axis} width={50} tickFormatter={(v) => `${v}%`} />
          )}
          <Tooltip labelFormatter={(v) => tick(String(v))} formatter={(v) => format(Number(v))} />
          <Legend />
          {spec.series.map((s) =>
            s.bar ? (
              <Bar
                key={s.key}
                yAxisId="left"
                dataKey={s.key}
                name={s.name}
                fill={s.color}
                stackId={spec.id}
                isAnimationActive={false}
              />
            ) : (
              <Line
                key={s.key}
                yAxisId={s.right ? "right" : "left"}
                dataKey={s.key}
                name={s.name}
                stroke={s.color}
                dot={DOT}
                isAnimationActive={false}
              />
            ),
          )}
        </ComposedChart>
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
                {CHARTS.map((spec) => (
                  <SeriesChart key={spec.id} spec={spec} points={points} tick={tick} />
                ))}
              </div>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

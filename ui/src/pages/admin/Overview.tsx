// The operators' first look: health, alerts computed by the server from live data, totals and
// the last two weeks of jobs.
import { useQuery } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import { StateBadge } from "../../components/StatusBadges";
import { useTitle } from "../../components/useTitle";
import { QueryView } from "../../components/Feedback";
import { formatBytes, formatCount } from "../../lib/format";
import { queries } from "../../api/queries";

function Tile({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div className="card tile">
      <div className="muted">{label}</div>
      <div className="tile-value">{value}</div>
      {detail && <div className="muted small-print">{detail}</div>}
    </div>
  );
}

export function Overview() {
  useTitle("Admin overview");
  const api = useApi();
  const query = useQuery(queries.overview(api));
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <QueryView query={query} what="the overview">
        {(data) => {
          const jobs = data.jobsByStatus as Record<string, number>;
          const active = (jobs.metadata ?? 0) + (jobs.downloading ?? 0) + (jobs.uploading ?? 0);
          return (
            <>
              <div className="card">
                <h2>System health</h2>
                <ul className="plain rows">
                  {data.status.components.map((c) => (
                    <li key={c.id} className="row">
                      <span>
                        <strong>{c.name}</strong> <span className="muted">{c.detail}</span>
                      </span>
                      <StateBadge state={c.state} />
                    </li>
                  ))}
                </ul>
              </div>
              <div className="card" aria-labelledby="alerts-title">
                <h2 id="alerts-title">Alerts</h2>
                {data.alerts.length === 0 ? (
                  <p className="muted">Nothing needs attention.</p>
                ) : (
                  <ul className="plain alerts">
                    {data.alerts.map((alert) => (
                      <li key={alert.code} className={`alert ${alert.severity}`}>
                        <strong>{alert.severity === "critical" ? "Critical" : "Warning"}</strong> {alert.message}
                        {alert.link && (
                          <>
                            {" "}
                            <Link to={alert.link}>Look</Link>
                          </>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
              <div className="tiles">
                <Tile
                  label="Users"
                  value={formatCount(data.users.total)}
                  detail={`${data.users.newLast7Days} new this week · ${data.users.suspended} suspended`}
                />
                <Tile
                  label="Active jobs"
                  value={formatCount(active)}
                  detail={`${jobs.queued ?? 0} queued · ${data.deadLetters} dead letters`}
                />
                <Tile
                  label="Agents online"
                  value={formatCount(data.agents.online)}
                  detail={`${data.agents.stale} stale · capacity ${data.agents.capacity}`}
                />
                <Tile
                  label="Stored"
                  value={formatBytes(data.storageBytes)}
                  detail={`${formatCount(data.objectCount)} files`}
                />
              </div>
              <div className="card">
                <h2>Jobs, last 14 days</h2>
                <div className="chart">
                  <ResponsiveContainer width="100%" height={240}>
                    <BarChart data={data.jobsPerDay.map((d) => ({ ...d, day: d.day.slice(5) }))}>
                      <CartesianGrid strokeDasharray="3 3" stroke="var(--line)" />
                      <XAxis dataKey="day" stroke="var(--muted)" fontSize={12} />
                      <YAxis allowDecimals={false} stroke="var(--muted)" fontSize={12} width={32} />
                      <Tooltip />
                      <Legend />
                      <Bar dataKey="created" name="Added" fill="var(--accent)" isAnimationActive={false} />
                      <Bar dataKey="completed" name="Completed" fill="var(--ok)" isAnimationActive={false} />
                      <Bar dataKey="failed" name="Failed" fill="var(--bad)" isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              </div>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

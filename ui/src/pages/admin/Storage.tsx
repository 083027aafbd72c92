// Stored bytes in all, and the organizations storing the most against their plans' quotas.
import { useQuery } from "@tanstack/react-query";
import { Area, AreaChart, Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import { ProgressBar } from "../../components/ProgressBar";
import { useTitle } from "../../components/useTitle";
import { Empty, QueryView } from "../../components/Feedback";
import { formatBytes, formatCount, formatDate, percent } from "../../lib/format";
import { queries } from "../../api/queries";

export function Storage() {
  useTitle("Storage");
  const api = useApi();
  const query = useQuery(queries.storage(api));
  return (
    <section aria-labelledby="storage-title">
      <h1 id="storage-title">Storage</h1>
      <QueryView query={query} what="storage use">
        {(report) => (
          <>
            <div className="tiles">
              <div className="card tile">
                <div className="muted">Stored</div>
                <div className="tile-value">{formatBytes(report.totalBytes)}</div>
                <div className="muted small-print">
                  {report.backend === "s3" ? "S3-compatible store" : "local folder"}
                </div>
              </div>
              <div className="card tile">
                <div className="muted">Files</div>
                <div className="tile-value">{formatCount(report.objectCount)}</div>
              </div>
            </div>
            <section className="card" aria-labelledby="retention-title">
              <h2 id="retention-title">Retention</h2>
              {report.lastSweep ? (
                <p data-testid="last-sweep">
                  Last sweep {formatDate(report.lastSweep.finishedAt)}: {formatCount(report.lastSweep.expiredJobs)}{" "}
                  expired jobs, {formatCount(report.lastSweep.deletedFiles)} files deleted,{" "}
                  {formatBytes(report.lastSweep.reclaimedBytes)} reclaimed, {formatCount(report.lastSweep.warnedUsers)}{" "}
                  users warned.
                </p>
              ) : (
                <p className="muted">No retention sweep has run yet.</p>
              )}
              {report.snapshots.length > 0 && (
                <div className="chart" aria-label="Stored bytes per day" role="img">
                  <ResponsiveContainer width="100%" height={180}>
                    <AreaChart data={report.snapshots} margin={{ left: 20 }}>
                      <XAxis dataKey="day" stroke="var(--muted)" fontSize={12} />
                      <YAxis
                        tickFormatter={(v) => formatBytes(Number(v))}
                        stroke="var(--muted)"
                        fontSize={12}
                        width={80}
                      />
                      <Tooltip formatter={(v) => formatBytes(Number(v))} />
                      <Area
                        dataKey="storedBytes"
                        name="Stored"
                        stroke="var(--accent)"
                        fill="var(--accent)"
                        fillOpacity={0.2}
                        isAnimationActive={false}
                      />
                      <Area
                        dataKey="reclaimedBytes"
                        name="Reclaimed"
                        stroke="var(--ok)"
                        fill="var(--ok)"
                        fillOpacity={0.2}
                        isAnimationActive={false}
                      />
                    </AreaChart>
                  </ResponsiveContainer>
                </div>
              )}
            </section>
            {report.topOrganizations.length === 0 ? (
              <Empty title="Nothing stored yet" />
            ) : (
              <>
                <div className="card chart" aria-hidden="true">
                  <ResponsiveContainer
                    width="100%"
                    height={Math.max(120, report.topOrganizations.slice(0, 10).length * 32)}
                  >
                    <BarChart
                      data={report.topOrganizations.slice(0, 10).map((o) => ({
                        label: o.personal ? o.ownerEmail : o.name,
                        bytes: o.bytes,
                      }))}
                      layout="vertical"
                      margin={{ left: 20 }}
                    >
                      <XAxis
                        type="number"
                        tickFormatter={(v) => formatBytes(Number(v))}
                        stroke="var(--muted)"
                        fontSize={12}
                      />
                      <YAxis type="category" dataKey="label" width={180} stroke="var(--muted)" fontSize={12} />
                      <Tooltip formatter={(v) => formatBytes(Number(v))} />
                      <Bar dataKey="bytes" name="Stored" fill="var(--accent)" isAnimationActive={false} />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
                <div className="table-scroll">
                  <table className="table">
                    <thead>
                      <tr>
                        <th scope="col">Organization</th>
                        <th scope="col">Owner</th>
                        <th scope="col">Plan</th>
                        <th scope="col" className="num">
                          Files
                        </th>
                        <th scope="col" className="num">
                          Stored
                        </th>
                        <th scope="col">Of quota</th>
                      </tr>
                    </thead>
                    <tbody>
                      {report.topOrganizations.map((o) => (
                        <tr key={o.orgId}>
                          <td>
                            <Link to={`/admin/orgs/${o.orgId}`}>{o.name}</Link>{" "}
                            {o.personal && <span className="badge">Personal</span>}
                          </td>
                          <td>
                            <Link to={`/admin/users/${o.ownerId}`}>{o.ownerEmail}</Link>
                          </td>
                          <td>{o.planId}</td>
                          <td className="num">{o.objects}</td>
                          <td className="num">{formatBytes(o.bytes)}</td>
                          <td className="load">
                            <ProgressBar
                              value={percent(o.bytes, o.quotaBytes) ?? 0}
                              label={`Quota used by ${o.personal ? o.ownerEmail : o.name}`}
                            />
                            <span className="small-print">of {formatBytes(o.quotaBytes)}</span>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

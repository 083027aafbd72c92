// The public status page: each component as it is now (refreshed every half minute), then its
// last 90 days as a strip of daily bars with uptime percentages, the incidents of the period and
// maintenance to come.
import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api/context";
import { StateBadge } from "../../components/StatusBadges";
import { useTitle } from "../../components/useTitle";
import { QueryView } from "../../components/Feedback";
import { formatRelative } from "../../lib/format";
import { queries } from "../../api/queries";
import { UptimeStrip } from "./status/UptimeStrip";
import { IncidentList, MaintenanceList } from "./status/Incidents";

const HEADLINE = {
  operational: "All systems operational",
  degraded: "Some parts are degraded",
  partial_outage: "Part of tseeder is partly down",
  outage: "Part of tseeder is down",
} as const;

const HISTORY_DAYS = 90;

export function Status() {
  useTitle("Status");
  const api = useApi();
  const query = useQuery(queries.status(api));
  const history = useQuery(queries.statusHistory(api, HISTORY_DAYS));
  return (
    <section className="page" aria-labelledby="status-title">
      <h1 id="status-title">Service status</h1>
      <QueryView query={query} what="the service status">
        {(report) => (
          <>
            <div className={`banner state-${report.state}`}>
              <strong>{HEADLINE[report.state]}</strong>
              <span className="muted">Checked {formatRelative(report.checkedAt)}</span>
            </div>
            <ul className="components">
              {report.components.map((component) => (
                <li key={component.id} className="card row">
                  <div>
                    <strong>{component.name}</strong>
                    <div className="muted">{component.detail}</div>
                  </div>
                  <StateBadge state={component.state} />
                </li>
              ))}
            </ul>
          </>
        )}
      </QueryView>
      <QueryView query={history} what="the status history">
        {(data) => (
          <>
            <MaintenanceList windows={data.maintenance} />
            <h2>The last {data.days} days</h2>
            {data.components.map((component) => (
              <UptimeStrip key={component.id} component={component} />
            ))}
            <p className="muted small-print">
              Uptime is computed as Atlassian Statuspage does: minutes of major outage count fully, minutes of partial
              outage at 30 %, degraded performance and planned maintenance not at all. Days without records (before a
              part existed) show no data and do not count.
            </p>
            <h2>Incidents</h2>
            <IncidentList incidents={data.incidents} />
          </>
        )}
      </QueryView>
    </section>
  );
}

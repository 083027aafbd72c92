// The public status page: the API, the queue and the agents as they are now, refreshed every
// half minute.
import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api/context";
import { StateBadge } from "../../components/StatusBadges";
import { useTitle } from "../../components/useTitle";
import { QueryView } from "../../components/Feedback";
import { formatRelative } from "../../lib/format";
import { queries } from "../../api/queries";

const HEADLINE = {
  operational: "All systems operational",
  degraded: "Some parts are degraded",
  outage: "Part of tseeder is down",
} as const;

export function Status() {
  useTitle("Status");
  const api = useApi();
  const query = useQuery(queries.status(api));
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
    </section>
  );
}

// Incidents of the period, newest first, each with its updates, and maintenance to come.
import type { Incident, Maintenance } from "../../../api/types";
import { formatDate } from "../../../lib/format";

const STATUS_LABEL: Record<Incident["status"], string> = {
  investigating: "Investigating",
  identified: "Identified",
  monitoring: "Monitoring",
  resolved: "Resolved",
};

export function IncidentList({ incidents }: { incidents: Incident[] }) {
  if (incidents.length === 0) return <p className="muted">No incidents in this period.</p>;
  return (
    <ul className="plain stack">
      {incidents.map((incident) => (
        <li key={incident.id} className="card" aria-label={incident.title}>
          <h3>
            {incident.title} <span className={`badge severity-${incident.severity}`}>{incident.severity}</span>
            <span className="badge">{STATUS_LABEL[incident.status]}</span>
          </h3>
          <p className="muted small-print">
            {incident.component} · started {formatDate(incident.startedAt)}
            {incident.resolvedAt && ` · resolved ${formatDate(incident.resolvedAt)}`}
          </p>
          <ul className="plain timeline">
            {incident.updates.map((update) => (
              <li key={update.createdAt + update.status}>
                <strong>{STATUS_LABEL[update.status]}</strong> — {update.note}{" "}
                <span className="muted small-print">{formatDate(update.createdAt)}</span>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

export function MaintenanceList({ windows }: { windows: Maintenance[] }) {
  if (windows.length === 0) return null;
  return (
    <section className="card" aria-labelledby="maintenance-title">
      <h2 id="maintenance-title">Planned maintenance</h2>
      <ul className="plain">
        {windows.map((w) => (
          <li key={w.id}>
            <strong>{w.title}</strong> — {w.components.join(", ")}, {formatDate(w.startsAt)} to {formatDate(w.endsAt)}
          </li>
        ))}
      </ul>
    </section>
  );
}

// Incidents of the period, newest first, each with its updates, and maintenance to come.
import type { Incident, Maintenance } from "../../../api/types";
import { IncidentCard } from "../../../components/IncidentCard";
import { formatDate } from "../../../lib/format";

export function IncidentList({ incidents }: { incidents: Incident[] }) {
  if (incidents.length === 0) return <p className="muted">No incidents in this period.</p>;
  return (
    <ul className="plain stack">
      {incidents.map((incident) => (
        <IncidentCard key={incident.id} incident={incident} />
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

// One component's days as a strip of bars coloured by how the day went, with the uptime figures
// computed from the same records. Pointing at a bar (or moving along the strip with the arrow
// keys) shows that day's date, downtime and incidents.
import { useState, type KeyboardEvent } from "react";
import type { ComponentDay, ComponentHistory } from "../../../api/types";

const DAY_LABEL: Record<ComponentDay["state"], string> = {
  operational: "No downtime",
  degraded: "Degraded",
  partial_outage: "Partial outage",
  major_outage: "Major outage",
  maintenance: "Planned maintenance",
  no_data: "No data",
};

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${value.toFixed(2)} %`;
}

function describe(day: ComponentDay): string {
  const date = new Date(`${day.day}T00:00:00Z`).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  const parts = [date, DAY_LABEL[day.state]];
  if (day.state !== "no_data") {
    if (day.downtimeMinutes > 0) parts.push(`${day.downtimeMinutes} min down`);
    if (day.degradedMinutes > 0) parts.push(`${day.degradedMinutes} min degraded`);
    if (day.maintenanceMinutes > 0) parts.push(`${day.maintenanceMinutes} min maintenance`);
  }
  for (const incident of day.incidents) parts.push(`Incident: ${incident.title}`);
  return parts.join(" · ");
}

export function UptimeStrip({ component }: { component: ComponentHistory }) {
  const last = component.days.length - 1;
  const [selected, setSelected] = useState(last);
  const day = component.days[selected] ?? component.days[last];

  function move(event: KeyboardEvent) {
    const step = { ArrowLeft: -1, ArrowRight: 1, Home: -selected, End: last - selected }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    setSelected(Math.min(last, Math.max(0, selected + step)));
  }

  return (
    <section className="card" aria-labelledby={`uptime-${component.id}`}>
      <div className="page-head">
        <h2 id={`uptime-${component.id}`}>{component.name}</h2>
        <span className="muted">{percent(component.uptime.last90d)} uptime, 90 days</span>
      </div>
      <ol
        className="uptime-strip"
        aria-label={`${component.name}, the last ${component.days.length} days`}
        tabIndex={0}
        onKeyDown={move}
      >
        {component.days.map((d, index) => (
          <li
            key={d.day}
            className={`day-${d.state}${index === selected ? " selected" : ""}`}
            title={describe(d)}
            aria-label={describe(d)}
            data-day={d.day}
            onMouseEnter={() => setSelected(index)}
          />
        ))}
      </ol>
      <div className="strip-legend muted">
        <span>{component.days.length} days ago</span>
        <span>Today</span>
      </div>
      <p className="day-detail" role="status" data-testid={`day-detail-${component.id}`}>
        {day ? describe(day) : ""}
      </p>
      <ul className="uptime-figures" aria-label={`${component.name} uptime`}>
        <li>
          24 hours: <strong>{percent(component.uptime.last24h)}</strong>
        </li>
        <li>
          7 days: <strong>{percent(component.uptime.last7d)}</strong>
        </li>
        <li>
          30 days: <strong>{percent(component.uptime.last30d)}</strong>
        </li>
        <li>
          90 days: <strong>{percent(component.uptime.last90d)}</strong>
        </li>
      </ul>
    </section>
  );
}

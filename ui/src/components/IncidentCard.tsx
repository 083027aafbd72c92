// One incident as the status page and the operators' incident list both show it: title,
// severity, stage, component, when it started and ended, and its updates newest first.
import type { ReactNode } from "react";
import type { Incident } from "../api/types";
import { formatDate } from "../lib/format";

export const INCIDENT_STAGE: Record<Incident["status"], string> = {
  investigating: "Investigating",
  identified: "Identified",
  monitoring: "Monitoring",
  resolved: "Resolved",
};

export function IncidentCard({
  incident,
  level = 3,
  children,
}: {
  incident: Incident;
  /** The heading level under the page's own headings. */
  level?: 2 | 3;
  /** What an operator may do with it, under the updates. */
  children?: ReactNode;
}) {
  const Heading = level === 2 ? "h2" : "h3";
  return (
    <li className="card" aria-label={incident.title}>
      <Heading>
        {incident.title} <span className={`badge severity-${incident.severity}`}>{incident.severity}</span>
        <span className="badge">{INCIDENT_STAGE[incident.status]}</span>
      </Heading>
      <p className="muted small-print">
        {incident.component} · started {formatDate(incident.startedAt)}
        {incident.resolvedAt && ` · resolved ${formatDate(incident.resolvedAt)}`}
      </p>
      <ul className="plain timeline">
        {incident.updates.map((update) => (
          <li key={update.createdAt + update.status}>
            <strong>{INCIDENT_STAGE[update.status]}</strong> — {update.note}{" "}
            <span className="muted small-print">{formatDate(update.createdAt)}</span>
          </li>
        ))}
      </ul>
      {children}
    </li>
  );
}

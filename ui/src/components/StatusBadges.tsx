// How a job's status and a component's state read on screen: labels, badges and the status filter.
import { JOB_STATUSES, type ComponentState, type JobStatus } from "../api/types";

const STATUS_LABEL: Record<JobStatus, string> = {
  submitted: "Submitted",
  queued: "Queued",
  metadata: "Fetching metadata",
  downloading: "Downloading",
  uploading: "Storing",
  completed: "Completed",
  paused: "Paused",
  cancelled: "Cancelled",
  failed: "Failed",
};

export function statusLabel(status: JobStatus): string {
  return STATUS_LABEL[status];
}

export function StatusBadge({ status, deadLettered }: { status: JobStatus; deadLettered?: boolean }) {
  return (
    <span className={`badge status-${status}`}>
      {statusLabel(status)}
      {deadLettered ? " · dead letter" : ""}
    </span>
  );
}

export function StateBadge({ state }: { state: ComponentState }) {
  const label = {
    operational: "Operational",
    degraded: "Degraded",
    partial_outage: "Partial outage",
    outage: "Outage",
  }[state];
  return <span className={`badge state-${state}`}>{label}</span>;
}

/** The job-status filter of the job lists; "" means every status. */
export function StatusFilter({
  value,
  onChange,
}: {
  value: JobStatus | "";
  onChange: (status: JobStatus | "") => void;
}) {
  return (
    <label className="inline">
      <span className="muted">Status</span>
      <select value={value} onChange={(e) => onChange(e.target.value as JobStatus | "")}>
        <option value="">All</option>
        {JOB_STATUSES.map((s) => (
          <option key={s} value={s}>
            {statusLabel(s)}
          </option>
        ))}
      </select>
    </label>
  );
}

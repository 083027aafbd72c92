// Small pieces shared by many pages: status badges, progress bars, pagers, titles.
import { useEffect } from "react";
import { JOB_STATUSES, type ComponentState, type JobStatus } from "../api/types";

export function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · tseeder`;
  }, [title]);
}

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
  const label = { operational: "Operational", degraded: "Degraded", outage: "Outage" }[state];
  return <span className={`badge state-${state}`}>{label}</span>;
}

export function ProgressBar({ value, label }: { value: number | null; label: string }) {
  return (
    <div
      className={`progress${value === null ? " indeterminate" : ""}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value ?? undefined}
    >
      <div className="fill" style={{ width: value === null ? undefined : `${value}%` }} />
    </div>
  );
}

export function Pager({
  page,
  perPage,
  total,
  onPage,
}: {
  page: number;
  perPage: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        ← Newer
      </button>
      <span>
        Page {page} of {pages}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        Older →
      </button>
    </nav>
  );
}

/** The job-status filter of the job lists; "" means every status. */
export function StatusFilter({ value, onChange }: { value: JobStatus | ""; onChange: (status: JobStatus | "") => void }) {
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

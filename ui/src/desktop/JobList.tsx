// The desktop's one list of cloud and local jobs, live from the app's events, with the actions
// each job allows and where its sync stands.
import { useState } from "react";
import { ProgressBar } from "../components/ProgressBar";
import { StatusBadge } from "../components/StatusBadges";
import { Empty, Notice, errorMessage } from "../components/Feedback";
import { formatBytes, formatEta, formatSpeed, percent } from "../lib/format";
import type { DesktopApi, DesktopJob, JobPlace } from "./api";

const PLACE_LABEL: Record<JobPlace, string> = {
  cloud: "Cloud",
  thisDevice: "Sent to this computer",
  local: "This computer",
};

type Filter = "all" | "cloud" | "local";

const ACTION_LABEL = { pause: "Pause", resume: "Resume", cancel: "Cancel", retry: "Retry" } as const;

function actionsFor(job: DesktopJob): ("pause" | "resume" | "cancel" | "retry")[] {
  switch (job.status) {
    case "submitted":
    case "queued":
    case "metadata":
    case "downloading":
    case "uploading":
      return ["pause", "cancel"];
    case "paused":
      return ["resume", "cancel"];
    case "failed":
    case "cancelled":
      return ["retry"];
    default:
      return [];
  }
}

function SyncLine({ job }: { job: DesktopJob }) {
  const sync = job.sync;
  if (!sync || job.status !== "completed") return null;
  const text = {
    waiting: "Sync waiting to retry",
    syncing: `Syncing ${formatBytes(sync.receivedBytes)} of ${formatBytes(sync.totalBytes)}`,
    done: "Synced to this computer",
    failed: "Sync failed",
    off: "Not synced",
  }[sync.state];
  return (
    <p className="small-print muted sync-line" data-sync={sync.state}>
      {text}
      {sync.error ? ` — ${sync.error}` : ""}
    </p>
  );
}

export function JobList({ api, jobs }: { api: DesktopApi; jobs: DesktopJob[] }) {
  const [filter, setFilter] = useState<Filter>("all");
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<DesktopJob | null>(null);
  const shown = jobs.filter((job) =>
    filter === "all" ? true : filter === "cloud" ? job.place === "cloud" : job.place !== "cloud",
  );
  const run = async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <section aria-labelledby="jobs-title">
      <div className="page-head">
        <h2 id="jobs-title">Downloads</h2>
        <div className="segmented" role="radiogroup" aria-label="Show">
          {(["all", "cloud", "local"] as Filter[]).map((value) => (
            <label key={value} className={filter === value ? "on" : ""}>
              <input type="radio" name="filter" checked={filter === value} onChange={() => setFilter(value)} />
              {{ all: "All", cloud: "Cloud", local: "This computer" }[value]}
            </label>
          ))}
        </div>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      {shown.length === 0 ? (
        <Empty title="Nothing here yet">
          Open a magnet link in your browser, or paste one above. Downloads in the cloud and on this computer show up
          here.
        </Empty>
      ) : (
        <ul className="plain rows" id="job-list">
          {shown.map((job) => (
            <li key={job.key} className="card job" data-key={job.key} data-status={job.status}>
              <div className="row">
                <strong className="wrap job-name">{job.name}</strong>
                <span>
                  <span className="badge">{PLACE_LABEL[job.place]}</span>
                  <StatusBadge status={job.status} />
                </span>
              </div>
              <ProgressBar value={percent(job.downloadedBytes, job.totalBytes)} label={`Progress of ${job.name}`} />
              <p className="small-print muted">
                {formatBytes(job.downloadedBytes)} of {formatBytes(job.totalBytes)}
                {job.downloadSpeed > 0 && ` · ${formatSpeed(job.downloadSpeed)} · ${formatEta(job.etaSeconds)} left`}
                {job.peers > 0 && ` · ${job.peers} peers`}
              </p>
              {job.error && <p className="notice error small-print">{job.error}</p>}
              <SyncLine job={job} />
              <div className="job-actions">
                {actionsFor(job).map((action) => (
                  <button
                    key={action}
                    type="button"
                    className="small"
                    onClick={() => run(() => api.jobAction(job.key, action))}
                  >
                    {ACTION_LABEL[action]}
                  </button>
                ))}
                {(job.place !== "cloud" || job.sync?.state === "done") && (
                  <button type="button" className="small" onClick={() => run(() => api.openJobFolder(job.key))}>
                    Show in folder
                  </button>
                )}
                {job.place === "cloud" && job.status === "completed" && (
                  <button
                    type="button"
                    className="small"
                    onClick={() => run(() => api.setJobSync(job.key, job.sync?.state === "off"))}
                  >
                    {job.sync?.state === "off" ? "Sync to this computer" : "Stop syncing"}
                  </button>
                )}
                <button type="button" className="small" onClick={() => setDeleting(job)}>
                  Delete
                </button>
              </div>
              {deleting?.key === job.key && (
                <div className="card" role="alertdialog" aria-label={`Delete ${job.name}`}>
                  <p>
                    {job.place === "local"
                      ? "Remove this download from the list. Its files stay unless you delete them too."
                      : "Delete this job and its files in the cloud. Files already synced stay on this computer."}
                  </p>
                  <div className="actions">
                    <button type="button" onClick={() => setDeleting(null)}>
                      Keep
                    </button>
                    {job.place === "local" && (
                      <button
                        type="button"
                        className="danger"
                        onClick={() => run(() => api.deleteJob(job.key, true).then(() => setDeleting(null)))}
                      >
                        Delete with files
                      </button>
                    )}
                    <button
                      type="button"
                      className="primary"
                      onClick={() => run(() => api.deleteJob(job.key, false).then(() => setDeleting(null)))}
                    >
                      {job.place === "local" ? "Remove from list" : "Delete"}
                    </button>
                  </div>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

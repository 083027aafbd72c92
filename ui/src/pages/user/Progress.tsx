// One job's progress line: bar, bytes, speed, peers and time left.
import type { Job, LiveProgress } from "../../api/types";
import { ProgressBar } from "../../components/ProgressBar";
import { formatBytes, formatEta, formatSpeed, percent } from "../../lib/format";

export function JobProgress({ job, progress }: { job: Job; progress?: LiveProgress | null }) {
  const done = progress?.downloadedBytes ?? job.downloadedBytes;
  const total = progress?.totalBytes ?? job.totalBytes ?? null;
  const value = job.status === "completed" ? 100 : percent(done, total);
  const running = ["metadata", "downloading", "uploading"].includes(job.status);
  return (
    <div className="job-progress">
      <ProgressBar value={running || value !== null ? value : 0} label={`Progress of ${job.name}`} />
      <div className="muted small-print">
        {value !== null ? `${value}% · ` : ""}
        {formatBytes(done)}
        {total ? ` of ${formatBytes(total)}` : ""}
        {running && progress && (
          <>
            {" · "}↓ {formatSpeed(progress.downloadSpeed)} · {progress.peers} peers · {formatEta(progress.etaSeconds)}{" "}
            left
          </>
        )}
      </div>
    </div>
  );
}

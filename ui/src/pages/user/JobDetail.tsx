// One job: its progress live, its files (download, play in the browser, delete), the whole job
// as a ZIP, and its history.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useApi } from "../../api/context";
import type { StoredFile } from "../../api/types";
import { StatusBadge, statusLabel } from "../../components/StatusBadges";
import { useTitle } from "../../components/useTitle";
import { Empty, errorMessage, Notice, QueryView } from "../../components/Feedback";
import { formatBytes, formatDate, formatRelative } from "../../lib/format";
import { freshest, useLiveJobs } from "../../lib/live";
import { JobActions } from "./JobActions";
import { JobProgress } from "./Progress";
import { queries, keys } from "../../api/queries";

const VIDEO = /\.(mp4|m4v|webm|mkv|mov|ogv)$/i;
const AUDIO = /\.(mp3|m4a|aac|flac|ogg|oga|opus|wav)$/i;

export function playable(path: string): "video" | "audio" | null {
  if (VIDEO.test(path)) return "video";
  if (AUDIO.test(path)) return "audio";
  return null;
}

function Files({ jobId }: { jobId: string }) {
  const api = useApi();
  const client = useQueryClient();
  const files = useQuery(queries.jobFiles(api, jobId));
  const [player, setPlayer] = useState<{ file: StoredFile; url: string; kind: "video" | "audio" } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const link = useMutation({ mutationFn: (index: number) => api.fileLink(jobId, index) });
  const remove = useMutation({
    mutationFn: (index: number) => api.deleteFile(jobId, index),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.jobFiles(jobId) });
      void client.invalidateQueries({ queryKey: keys.usage });
    },
    onError: (err) => setProblem(errorMessage(err)),
  });

  async function download(file: StoredFile) {
    setProblem(null);
    try {
      const { url } = await link.mutateAsync(file.index);
      window.location.assign(url);
    } catch (err) {
      setProblem(errorMessage(err));
    }
  }

  async function play(file: StoredFile, kind: "video" | "audio") {
    setProblem(null);
    try {
      const { url } = await link.mutateAsync(file.index);
      setPlayer({ file, url, kind });
    } catch (err) {
      setProblem(errorMessage(err));
    }
  }

  return (
    <section aria-labelledby="files-title">
      <div className="page-head">
        <h2 id="files-title">Files</h2>
        {files.data && files.data.length > 0 && (
          <a className="button" href={api.zipUrl(jobId)} download>
            Download all as ZIP
          </a>
        )}
      </div>
      {problem && <Notice kind="error">{problem}</Notice>}
      {player && (
        <figure className="player card">
          {player.kind === "video" ? (
            <video src={player.url} controls autoPlay aria-label={`Playing ${player.file.path}`} />
          ) : (
            <audio src={player.url} controls autoPlay aria-label={`Playing ${player.file.path}`} />
          )}
          <figcaption>
            {player.file.path}{" "}
            <button type="button" className="link" onClick={() => setPlayer(null)}>
              Close player
            </button>
          </figcaption>
        </figure>
      )}
      <QueryView
        query={files}
        what="the files"
        isEmpty={(data) => data.length === 0}
        empty={<Empty title="No stored files">Files appear here once the download has finished and been stored.</Empty>}
      >
        {(data) => (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((file) => {
                const kind = playable(file.path);
                return (
                  <tr key={file.index}>
                    <td className="wrap">{file.path}</td>
                    <td className="num">{formatBytes(file.size)}</td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="small"
                        onClick={() => download(file)}
                        aria-label={`Download ${file.path}`}
                      >
                        Download
                      </button>
                      {kind && (
                        <button
                          type="button"
                          className="small"
                          onClick={() => play(file, kind)}
                          aria-label={`Play ${file.path}`}
                        >
                          Play
                        </button>
                      )}
                      <button
                        type="button"
                        className="small"
                        onClick={() => remove.mutate(file.index)}
                        aria-label={`Delete ${file.path}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </QueryView>
    </section>
  );
}

function History({ jobId }: { jobId: string }) {
  const api = useApi();
  const events = useQuery(queries.jobEvents(api, jobId));
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <QueryView
        query={events}
        what="the history"
        isEmpty={(d) => d.length === 0}
        empty={<Empty title="Nothing happened yet" />}
      >
        {(data) => (
          <ol className="timeline">
            {data.map((event) => (
              <li key={event.id}>
                <time dateTime={event.createdAt} title={formatDate(event.createdAt)}>
                  {formatRelative(event.createdAt)}
                </time>{" "}
                <strong>{event.status ? statusLabel(event.status) : event.kind}</strong>
                {event.message && <span className="muted"> — {event.message}</span>}
              </li>
            ))}
          </ol>
        )}
      </QueryView>
    </section>
  );
}

export function JobDetailPage() {
  const { id = "" } = useParams();
  const api = useApi();
  const navigate = useNavigate();
  const detail = useQuery(queries.job(api, id));
  const { live } = useLiveJobs();
  useTitle(detail.data?.job.name ?? "Job");

  return (
    <section className="page">
      <p>
        <Link to="/jobs">← All jobs</Link>
      </p>
      <QueryView query={detail} what="the job">
        {(data) => {
          const current = live.get(data.job.id);
          const job = freshest(data.job, current);
          return (
            <>
              <div className="page-head">
                <h1 className="wrap">{job.name}</h1>
                <StatusBadge status={job.status} deadLettered={job.deadLettered} />
              </div>
              <div className="card">
                <JobProgress job={job} progress={current?.progress} />
                {job.error && <Notice kind="error">{job.error}</Notice>}
                <dl className="facts">
                  <dt>Added</dt>
                  <dd>{formatDate(job.createdAt)}</dd>
                  <dt>Finished</dt>
                  <dd>{formatDate(job.completedAt)}</dd>
                  <dt>Size</dt>
                  <dd>{formatBytes(job.totalBytes)}</dd>
                  <dt>Attempts</dt>
                  <dd>{job.attempts}</dd>
                  <dt>Info hash</dt>
                  <dd className="mono wrap">{job.infoHashV1 ?? job.infoHashV2 ?? "—"}</dd>
                  {data.filesExpireAt && (
                    <>
                      <dt>Files kept until</dt>
                      <dd>
                        <time dateTime={data.filesExpireAt} data-testid="files-expire">
                          {formatDate(data.filesExpireAt)}
                        </time>
                      </dd>
                    </>
                  )}
                </dl>
                {data.filesExpiredAt && (
                  <p className="notice" role="note">
                    The stored files were deleted on {formatDate(data.filesExpiredAt)}: your plan keeps files for a
                    limited time after a download finishes.
                  </p>
                )}
                <JobActions job={job} onDeleted={() => navigate("/jobs")} />
              </div>
              {data.files.length > 0 && job.status !== "completed" && (
                <section aria-labelledby="contents-title">
                  <h2 id="contents-title">Contents</h2>
                  <ul className="plain">
                    {data.files.map((f) => (
                      <li key={f.index} className={f.selected ? "" : "muted"}>
                        {f.path} · {formatBytes(f.size)}
                        {f.selected ? "" : " (skipped)"}
                      </li>
                    ))}
                  </ul>
                </section>
              )}
              {job.status === "completed" && <Files jobId={job.id} />}
              <History jobId={job.id} />
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

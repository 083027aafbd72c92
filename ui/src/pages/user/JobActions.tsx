// Pause, resume, cancel, retry and delete, offered only where the job's state allows them.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { JobAction } from "../../api/client";
import { useApi } from "../../api/context";
import type { Job } from "../../api/types";
import { errorMessage } from "../../components/Feedback";
import { keys } from "../../api/queries";

export function actionsFor(job: Pick<Job, "status">): JobAction[] {
  switch (job.status) {
    case "submitted":
    case "queued":
    case "metadata":
    case "downloading":
      return ["pause", "cancel"];
    case "uploading":
      return ["cancel"];
    case "paused":
      return ["resume", "cancel"];
    case "failed":
    case "cancelled":
      return ["retry"];
    case "completed":
      return [];
  }
}

const LABEL: Record<JobAction, string> = { pause: "Pause", resume: "Resume", cancel: "Cancel", retry: "Retry" };

export function JobActions({ job, onDeleted }: { job: Job; onDeleted?: () => void }) {
  const api = useApi();
  const client = useQueryClient();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.jobs });
    void client.invalidateQueries({ queryKey: keys.job(job.id) });
  };
  const act = useMutation({ mutationFn: (action: JobAction) => api.jobAction(job.id, action), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: () => api.deleteJob(job.id),
    onSuccess: () => {
      refresh();
      void client.invalidateQueries({ queryKey: keys.usage });
      onDeleted?.();
    },
  });
  const error = act.error ?? remove.error;
  return (
    <div className="job-actions">
      {actionsFor(job).map((action) => (
        <button
          key={action}
          type="button"
          className="small"
          disabled={act.isPending}
          onClick={() => act.mutate(action)}
          aria-label={`${LABEL[action]} ${job.name}`}
        >
          {LABEL[action]}
        </button>
      ))}
      {confirmDelete ? (
        <>
          <button type="button" className="small danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
            Delete with its files
          </button>
          <button type="button" className="small" onClick={() => setConfirmDelete(false)}>
            Keep
          </button>
        </>
      ) : (
        <button
          type="button"
          className="small"
          onClick={() => setConfirmDelete(true)}
          aria-label={`Delete ${job.name}`}
        >
          Delete
        </button>
      )}
      {error && (
        <span className="notice error inline" role="alert">
          {errorMessage(error)}
        </span>
      )}
    </div>
  );
}

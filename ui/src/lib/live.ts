// Live job state from the server's event stream, shared by the job list and the job page. Only a
// job the list has not seen, or a change of status, makes the list refetch; progress ticks just
// repaint.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useApi } from "../api/context";
import type { Job, JobLive } from "../api/types";
import { keys } from "../api/queries";
import { useWorkingOrg } from "../components/OrgSwitcher";

export function useLiveJobs(): { live: ReadonlyMap<string, JobLive>; connected: boolean } {
  const api = useApi();
  const client = useQueryClient();
  const [live, setLive] = useState<ReadonlyMap<string, JobLive>>(new Map());
  const [connected, setConnected] = useState(false);
  // A stream carries one organization's jobs: switching opens a new one.
  const orgId = useWorkingOrg()?.id;

  useEffect(() => {
    let known = new Map<string, JobLive>();
    let refetch: ReturnType<typeof setTimeout> | undefined;
    const refresh = () => {
      clearTimeout(refetch);
      refetch = setTimeout(() => {
        void client.invalidateQueries({ queryKey: keys.jobs });
        void client.invalidateQueries({ queryKey: keys.usage });
      }, 250);
    };
    const stop = api.watchJobs({
      onSnapshot(jobs) {
        known = new Map(jobs.map((j) => [j.job.id, j]));
        setLive(known);
        refresh();
      },
      onJob(update) {
        const before = known.get(update.job.id);
        known = new Map(known).set(update.job.id, update);
        setLive(known);
        if (!before || before.job.status !== update.job.status) {
          refresh();
          void client.invalidateQueries({ queryKey: keys.job(update.job.id) });
        }
      },
      onRemoved(id) {
        known = new Map(known);
        known.delete(id);
        setLive(known);
        refresh();
      },
      onConnection: setConnected,
    });
    return () => {
      clearTimeout(refetch);
      stop();
    };
  }, [api, client, orgId]);

  return { live, connected };
}

/** The newer of a job as listed and as last streamed; progress goes with the streamed one. */
export function freshest(listed: Job, streamed: JobLive | undefined): Job {
  return streamed && streamed.job.updatedAt >= listed.updatedAt ? streamed.job : listed;
}

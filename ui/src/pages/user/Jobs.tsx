// The jobs of the working organization the user sees (a team's owners and admins see everyone's,
// with who submitted each): add one, filter, and watch them move live.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import type { JobStatus } from "../../api/types";
import { Pager } from "../../components/Pager";
import { StatusBadge, StatusFilter } from "../../components/StatusBadges";
import { useTitle } from "../../components/useTitle";
import { Empty, QueryView } from "../../components/Feedback";
import { formatBytes, formatRelative } from "../../lib/format";
import { freshest, useLiveJobs } from "../../lib/live";
import { AddJob } from "./AddJob";
import { JobActions } from "./JobActions";
import { JobProgress } from "./Progress";
import { queries } from "../../api/queries";
import { useWorkingOrg } from "../../components/OrgSwitcher";
import { useSession } from "../../session";

/** Who submitted each job, for a team's owners and admins, who see everyone's. */
function useSubmitters(): (ownerId: string) => string | null {
  const api = useApi();
  const { user } = useSession();
  const org = useWorkingOrg();
  const seesEveryone = !!org && !org.personal && org.role !== "member";
  const detail = useQuery({ ...queries.org(api, org?.id ?? ""), enabled: seesEveryone });
  return (ownerId) => {
    if (!seesEveryone || !detail.data || ownerId === user?.id) return null;
    return detail.data.members.find((m) => m.userId === ownerId)?.email ?? "a former member";
  };
}

export function Jobs() {
  useTitle("Jobs");
  const api = useApi();
  const [status, setStatus] = useState<JobStatus | "">("");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const filters = { status: status || undefined, q: search.trim() || undefined, page };
  const query = useQuery({ ...queries.jobs(api, filters), placeholderData: keepPreviousData });
  const { live, connected } = useLiveJobs();
  const submitter = useSubmitters();

  return (
    <section className="page" aria-labelledby="jobs-title">
      <div className="page-head">
        <h1 id="jobs-title">Jobs</h1>
        <span className={`live-dot ${connected ? "on" : ""}`} title={connected ? "Live" : "Reconnecting"}>
          {connected ? "Live" : "Connecting…"}
        </span>
      </div>
      <AddJob />
      <div className="filters" role="search">
        <StatusFilter
          value={status}
          onChange={(next) => {
            setStatus(next);
            setPage(1);
          }}
        />
        <input
          type="search"
          placeholder="Search by name"
          aria-label="Search jobs by name"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setPage(1);
          }}
        />
      </div>
      <QueryView
        query={query}
        what="your jobs"
        isEmpty={(data) => data.items.length === 0}
        empty={
          <Empty title={status || search ? "No job matches" : "No jobs yet"}>
            {status || search
              ? "Change the filters to see more."
              : "Paste a magnet link above to start your first download."}
          </Empty>
        }
      >
        {(data) => (
          <>
            <ul className="jobs" aria-label="Jobs">
              {data.items.map((listed) => {
                const current = live.get(listed.id);
                const job = freshest(listed, current);
                const by = submitter(job.ownerId);
                return (
                  <li key={job.id} className="card job" data-job-id={job.id}>
                    <div className="job-head">
                      <Link to={`/jobs/${job.id}`} className="job-name">
                        {job.name}
                      </Link>
                      <StatusBadge status={job.status} deadLettered={job.deadLettered} />
                    </div>
                    <JobProgress job={job} progress={current?.progress} />
                    {job.error && <p className="notice error inline">{job.error}</p>}
                    <div className="job-foot">
                      <span className="muted small-print">
                        {formatBytes(job.totalBytes)} · added {formatRelative(job.createdAt)}
                        {job.deviceId ? " · to my computer" : ""}
                        {by && <span data-testid="submitter"> · by {by}</span>}
                      </span>
                      <JobActions job={job} />
                    </div>
                  </li>
                );
              })}
            </ul>
            <Pager
              page={data.page}
              perPage={data.perPage}
              total={data.total}
              capped={data.totalCapped}
              onPage={setPage}
            />
          </>
        )}
      </QueryView>
    </section>
  );
}

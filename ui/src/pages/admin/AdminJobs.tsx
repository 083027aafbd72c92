// Every user's jobs, filtered, with termination behind the justification dialog.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useApi } from "../../api/context";
import type { JobStatus } from "../../api/types";
import { useConfirm } from "../../components/ConfirmDialog";
import { StatusBadge, StatusFilter } from "../../components/StatusBadges";
import { useTitle } from "../../components/useTitle";
import { PagedTable } from "../../components/PagedTable";
import { formatBytes, formatRelative } from "../../lib/format";
import { hasRole, useSession } from "../../session";
import { queries, keys } from "../../api/queries";

export function AdminJobs() {
  useTitle("All jobs");
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const [params] = useSearchParams();
  const userId = params.get("userId") ?? undefined;
  const orgId = params.get("orgId") ?? undefined;
  const [status, setStatus] = useState<JobStatus | "">("");
  const [q, setQ] = useState(params.get("q") ?? "");
  const [page, setPage] = useState(1);
  const filters = { status: status || undefined, q: q.trim() || undefined, userId, orgId, page };
  const query = useQuery({ ...queries.adminJobs(api, filters), placeholderData: keepPreviousData });
  const { ask, dialog } = useConfirm(() => void client.invalidateQueries({ queryKey: keys.adminJobs }));
  const canAct = hasRole(user, "admin");

  return (
    <section aria-labelledby="admin-jobs-title">
      <h1 id="admin-jobs-title">All jobs</h1>
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
          aria-label="Search by job name or owner"
          placeholder="Job name or owner email"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setPage(1);
          }}
        />
        {userId && <Link to="/admin/jobs">Show every user</Link>}
        {orgId && <Link to="/admin/jobs">Show every organization</Link>}
      </div>
      <PagedTable
        query={query}
        what="jobs"
        emptyTitle="No job matches"
        onPage={setPage}
        headings={
          <>
            <th scope="col">Job</th>
            <th scope="col">Owner</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Updated</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </>
        }
        row={({ job, userEmail, userId: owner }) => (
          <tr key={job.id}>
            <td className="wrap">{job.name}</td>
            <td>
              <Link to={`/admin/users/${owner}`}>{userEmail}</Link>
            </td>
            <td>
              <StatusBadge status={job.status} deadLettered={job.deadLettered} />
            </td>
            <td className="num">{formatBytes(job.totalBytes)}</td>
            <td>{formatRelative(job.updatedAt)}</td>
            <td>
              {canAct && !["completed", "cancelled", "failed"].includes(job.status) && (
                <button
                  type="button"
                  className="small danger"
                  onClick={() =>
                    ask({
                      title: `Terminate “${job.name}”`,
                      description: `The job of ${userEmail} stops and is marked cancelled.`,
                      word: "TERMINATE",
                      actionLabel: "Terminate",
                      run: (why) => api.terminateJob(job.id, why),
                    })
                  }
                >
                  Terminate
                </button>
              )}
            </td>
          </tr>
        )}
      />
      {dialog}
    </section>
  );
}

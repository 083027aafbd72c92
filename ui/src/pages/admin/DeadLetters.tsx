// Jobs that ran out of attempts, with their last error, and replay behind the dialog.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import { useConfirm } from "../../components/ConfirmDialog";
import { useTitle } from "../../components/useTitle";
import { PagedTable } from "../../components/PagedTable";
import { formatRelative } from "../../lib/format";
import { hasRole, useSession } from "../../session";
import { queries, keys } from "../../api/queries";

export function DeadLetters() {
  useTitle("Dead letters");
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const [page, setPage] = useState(1);
  const query = useQuery({ ...queries.deadLetters(api, page), placeholderData: keepPreviousData });
  const { ask, dialog } = useConfirm(() => void client.invalidateQueries({ queryKey: keys.deadLetters }));
  return (
    <section aria-labelledby="dead-title">
      <h1 id="dead-title">Dead letters</h1>
      <PagedTable
        query={query}
        what="dead letters"
        emptyTitle="No dead letters"
        emptyText="Every failed job still has attempts left."
        onPage={setPage}
        headings={
          <>
            <th scope="col">Job</th>
            <th scope="col">Owner</th>
            <th scope="col">Last error</th>
            <th scope="col">Attempts</th>
            <th scope="col">Failed</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </>
        }
        row={({ job, userEmail, userId }) => (
          <tr key={job.id}>
            <td className="wrap">{job.name}</td>
            <td>
              <Link to={`/admin/users/${userId}`}>{userEmail}</Link>
            </td>
            <td className="wrap">{job.error ?? "—"}</td>
            <td>{job.attempts}</td>
            <td>{formatRelative(job.updatedAt)}</td>
            <td>
              {hasRole(user, "admin") && (
                <button
                  type="button"
                  className="small"
                  onClick={() =>
                    ask({
                      title: `Replay “${job.name}”`,
                      description: "The job goes back into the queue with a fresh set of attempts.",
                      word: "REPLAY",
                      actionLabel: "Replay",
                      run: (why) => api.replayDeadLetter(job.id, why),
                    })
                  }
                >
                  Replay
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

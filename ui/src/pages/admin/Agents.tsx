// The fleet: each agent's region, load against capacity, heartbeat age (stale ones stand out),
// and issuing or revoking agent tokens.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useApi } from "../../api/context";
import type { IssuedAgentToken } from "../../api/types";
import { checkJustification, useConfirm } from "../../components/ConfirmDialog";
import { ProgressBar } from "../../components/ProgressBar";
import { useTitle } from "../../components/useTitle";
import { Empty, errorMessage, Notice, QueryView } from "../../components/Feedback";
import { formatBytes, formatRelative, formatSpeed, percent } from "../../lib/format";
import { hasRole, useSession, useSiteConfig } from "../../session";
import { queries, keys } from "../../api/queries";

function IssueToken({ onIssued }: { onIssued: () => void }) {
  const api = useApi();
  const [name, setName] = useState("");
  const [region, setRegion] = useState("");
  const [reason, setReason] = useState("");
  const [ticketId, setTicketId] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [issued, setIssued] = useState<IssuedAgentToken | null>(null);
  const minReasonChars = useSiteConfig().data?.minReasonChars;
  const issue = useMutation({
    mutationFn: () =>
      api.issueAgent({ name: name.trim(), region: region.trim(), reason: reason.trim(), ticketId: ticketId.trim() }),
    onSuccess: (token) => {
      setIssued(token);
      setName("");
      onIssued();
    },
    onError: (err) => setProblem(errorMessage(err)),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const found =
      !name.trim() || !region.trim()
        ? "Give the agent a name and a region."
        : checkJustification(reason, ticketId, "x", "x", minReasonChars);
    setProblem(found);
    if (!found) issue.mutate();
  }

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="issue-title">
      <h2 id="issue-title">Issue an agent token</h2>
      <div className="grid two">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="eu-west-3" />
        </label>
        <label>
          Region
          <input value={region} onChange={(e) => setRegion(e.target.value)} placeholder="eu" />
        </label>
        <label>
          Reason
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="Why this agent joins the fleet"
          />
        </label>
        <label>
          Ticket id
          <input value={ticketId} onChange={(e) => setTicketId(e.target.value)} />
        </label>
      </div>
      {problem && <Notice kind="error">{problem}</Notice>}
      {issued && (
        <div className="secret" role="status">
          <p>
            <strong>Give this token to the agent now.</strong> It is shown only once.
          </p>
          <code>{issued.token}</code>
        </div>
      )}
      <button type="submit" className="primary" disabled={issue.isPending}>
        Issue token
      </button>
    </form>
  );
}

export function Agents() {
  useTitle("Agents");
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const query = useQuery(queries.agents(api));
  const refresh = () => void client.invalidateQueries({ queryKey: keys.agents });
  const { ask, dialog } = useConfirm(refresh);
  const canAct = hasRole(user, "admin");

  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <QueryView
        query={query}
        what="agents"
        isEmpty={(d) => d.length === 0}
        empty={<Empty title="No agents yet">Issue a token below and start tseeder-agent with it.</Empty>}
      >
        {(agents) => (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Region</th>
                  <th scope="col">Load</th>
                  <th scope="col">Heartbeat</th>
                  <th scope="col">Machine</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {agents.map((a) => (
                  <tr key={a.id} className={a.revoked ? "muted" : a.stale ? "stale" : ""}>
                    <td>
                      <strong>{a.name}</strong>
                      <div className="muted small-print">
                        {a.kind === "device" ? `device of ${a.ownerEmail ?? "?"}` : "operator"} ·{" "}
                        {a.version ?? "version unknown"}
                      </div>
                    </td>
                    <td>{a.region}</td>
                    <td className="load">
                      <ProgressBar value={percent(a.activeJobs, a.capacity) ?? 0} label={`Load of ${a.name}`} />
                      <span className="small-print">
                        {a.activeJobs} / {a.capacity}
                      </span>
                    </td>
                    <td>
                      {a.revoked ? (
                        <span className="badge">Revoked</span>
                      ) : a.stale ? (
                        <span className="badge state-outage">Stale · {formatRelative(a.lastHeartbeatAt)}</span>
                      ) : (
                        <span className="badge state-operational">{formatRelative(a.lastHeartbeatAt)}</span>
                      )}
                    </td>
                    <td className="small-print">
                      {a.cpuPercent != null ? `CPU ${Math.round(a.cpuPercent)}%` : "—"}
                      {a.diskFreeBytes != null ? ` · ${formatBytes(a.diskFreeBytes)} free` : ""}
                      {a.bandwidthBps != null ? ` · ${formatSpeed(a.bandwidthBps)}` : ""}
                    </td>
                    <td>
                      {canAct && !a.revoked && (
                        <button
                          type="button"
                          className="small danger"
                          onClick={() =>
                            ask({
                              title: `Revoke ${a.name}`,
                              description: "Its token stops working and its unfinished jobs go back to the queue.",
                              word: "REVOKE",
                              actionLabel: "Revoke",
                              run: (why) => api.revokeAgent(a.id, why),
                            })
                          }
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {canAct && <IssueToken onIssued={refresh} />}
      {dialog}
    </section>
  );
}

// The sessions card: where this account is signed in, each revocable.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../../api/context";
import { Empty, errorMessage, Notice, QueryView } from "../../../components/Feedback";
import { formatRelative } from "../../../lib/format";
import { queries, keys } from "../../../api/queries";

export function Sessions() {
  const api = useApi();
  const client = useQueryClient();
  const sessions = useQuery(queries.sessions(api));
  const revoke = useMutation({
    mutationFn: (id: string) => api.revokeSession(id),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.sessions }),
  });
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Signed-in sessions</h2>
      {revoke.isError && <Notice kind="error">{errorMessage(revoke.error)}</Notice>}
      <QueryView
        query={sessions}
        what="your sessions"
        isEmpty={(d) => d.length === 0}
        empty={<Empty title="No other sessions" />}
      >
        {(list) => (
          <ul className="plain rows">
            {list.map((s) => (
              <li key={s.id} className="row">
                <div>
                  <strong>{s.userAgent ?? "Unknown browser"}</strong>
                  {s.current && <span className="badge">This browser</span>}
                  <div className="muted small-print">
                    {s.ip ?? "unknown address"} · signed in {formatRelative(s.createdAt)} · last seen{" "}
                    {formatRelative(s.lastSeenAt)}
                  </div>
                </div>
                {!s.current && (
                  <button type="button" className="small" onClick={() => revoke.mutate(s.id)}>
                    Sign out
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </section>
  );
}

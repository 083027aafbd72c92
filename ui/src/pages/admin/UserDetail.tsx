// One user: their account, and the operator actions on it, each justified in the dialog.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useApi } from "../../api/context";
import { ROLES, type Role } from "../../api/types";
import { useConfirm } from "../../components/ConfirmDialog";
import { useTitle } from "../../components/useTitle";
import { QueryView } from "../../components/Feedback";
import { formatDate } from "../../lib/format";
import { hasRole, useSession } from "../../session";
import { queries, keys } from "../../api/queries";
import { UserBilling } from "./UserBilling";

export function UserDetail() {
  const { id = "" } = useParams();
  const api = useApi();
  const client = useQueryClient();
  const { user: me } = useSession();
  const query = useQuery(queries.adminUser(api, id));
  const { ask, dialog } = useConfirm(() => {
    void client.invalidateQueries({ queryKey: keys.adminUser(id) });
    void client.invalidateQueries({ queryKey: keys.adminUsers });
    void client.invalidateQueries({ queryKey: keys.adminUserBilling(id) });
  });
  const [role, setRole] = useState<Role | "">("");
  useTitle(query.data?.user.email ?? "User");
  const canAct = hasRole(me, "admin");

  return (
    <section aria-labelledby="user-title">
      <p>
        <Link to="/admin/users">← Users</Link>
      </p>
      <QueryView query={query} what="the user">
        {(data) => (
          <>
            <h1 id="user-title" className="wrap">
              {data.user.email}
            </h1>
            <div className="card">
              <dl className="facts">
                <dt>User id</dt>
                <dd className="mono">{data.user.id}</dd>
                <dt>Role</dt>
                <dd>{data.user.role}</dd>
                <dt>Plan</dt>
                <dd>{data.user.planId}</dd>
                <dt>Email</dt>
                <dd>{data.user.emailVerified ? "verified" : "not verified"}</dd>
                <dt>State</dt>
                <dd data-testid="user-state">
                  {data.user.suspended ? `suspended: ${data.suspendedReason ?? ""}` : "active"}
                </dd>
                <dt>Live sessions</dt>
                <dd>{data.activeSessions}</dd>
                <dt>Active jobs</dt>
                <dd>{data.activeJobs}</dd>
                <dt>Joined</dt>
                <dd>{formatDate(data.user.createdAt)}</dd>
              </dl>
              <p>
                <Link to={`/admin/jobs?userId=${data.user.id}`}>Their jobs</Link> ·{" "}
                <Link to={`/admin/audit?targetId=${data.user.id}`}>Audit entries</Link>
              </p>
            </div>
            <UserBilling userId={id} email={data.user.email} canAct={canAct} ask={ask} />
            {canAct && (
              <div className="card stack">
                <h2>Actions</h2>
                <div className="row-actions">
                  {data.user.suspended ? (
                    <button
                      type="button"
                      onClick={() =>
                        ask({
                          title: `Lift the suspension of ${data.user.email}`,
                          description: "They can sign in and use tseeder again.",
                          word: "UNSUSPEND",
                          actionLabel: "Unsuspend",
                          run: (why) => api.accountAction(id, "unsuspend", why),
                        })
                      }
                    >
                      Unsuspend
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="danger"
                      onClick={() =>
                        ask({
                          title: `Suspend ${data.user.email}`,
                          description:
                            "Every session and API key of this account stops working until the suspension is lifted.",
                          word: "SUSPEND",
                          actionLabel: "Suspend",
                          run: (why) => api.accountAction(id, "suspend", why),
                        })
                      }
                    >
                      Suspend
                    </button>
                  )}
                  <button
                    type="button"
                    onClick={() =>
                      ask({
                        title: `Sign ${data.user.email} out everywhere`,
                        description: "Every session of this account ends now.",
                        word: "LOGOUT",
                        actionLabel: "Sign out everywhere",
                        run: (why) => api.accountAction(id, "force-logout", why),
                      })
                    }
                  >
                    Force sign-out
                  </button>
                </div>
                <div className="add-row">
                  <label className="inline">
                    <span className="muted">Role</span>
                    <select value={role || data.user.role} onChange={(e) => setRole(e.target.value as Role)}>
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </label>
                  <button
                    type="button"
                    disabled={!role || role === data.user.role}
                    onClick={() =>
                      role &&
                      ask({
                        title: `Make ${data.user.email} ${role}`,
                        description: `Their role changes from ${data.user.role} to ${role}.`,
                        word: "ROLE",
                        actionLabel: "Change role",
                        run: (why) => api.changeRole(id, role, why),
                      })
                    }
                  >
                    Change role
                  </button>
                </div>
              </div>
            )}
          </>
        )}
      </QueryView>
      {dialog}
    </section>
  );
}

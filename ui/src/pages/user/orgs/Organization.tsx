// One organization: its members and what the caller's role lets them do (invite, withdraw,
// remove, promote, hand over, rename, delete, leave).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useApi } from "../../../api/context";
import { keys, queries } from "../../../api/queries";
import type { GrantedRole, OrgDetail, OrgMember } from "../../../api/types";
import { errorMessage, Notice, QueryView } from "../../../components/Feedback";
import { useTitle } from "../../../components/useTitle";
import { formatDate } from "../../../lib/format";
import { useSession } from "../../../session";

/** A button that asks once more before it acts. */
function TwoStep({
  label,
  confirm,
  onConfirm,
  danger,
}: {
  label: string;
  confirm: string;
  onConfirm: () => void;
  danger?: boolean;
}) {
  const [armed, setArmed] = useState(false);
  return armed ? (
    <span className="row-actions">
      <button type="button" className={danger ? "small danger" : "small"} onClick={onConfirm}>
        {confirm}
      </button>
      <button type="button" className="small link" onClick={() => setArmed(false)}>
        Keep
      </button>
    </span>
  ) : (
    <button type="button" className="small" onClick={() => setArmed(true)}>
      {label}
    </button>
  );
}

function Members({ detail }: { detail: OrgDetail }) {
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const id = detail.org.id;
  const mine = detail.org.role;
  const refresh = () => void client.invalidateQueries({ queryKey: keys.org(id) });
  const remove = useMutation({ mutationFn: (userId: string) => api.removeMember(id, userId), onSuccess: refresh });
  const promote = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: GrantedRole }) => api.changeMemberRole(id, userId, role),
    onSuccess: refresh,
  });
  const transfer = useMutation({ mutationFn: (userId: string) => api.transferOrg(id, userId), onSuccess: refresh });
  const mayRemove = (m: OrgMember) =>
    m.userId !== user?.id && (mine === "owner" || (mine === "admin" && m.role === "member"));
  const error = remove.error ?? promote.error ?? transfer.error;

  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <table className="table" aria-label="Members">
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {detail.members.map((m) => (
            <tr key={m.userId}>
              <td>
                {m.displayName ? `${m.displayName} (${m.email})` : m.email}
                {m.userId === user?.id && <span className="badge">You</span>}
              </td>
              <td>{m.role}</td>
              <td>{formatDate(m.joinedAt)}</td>
              <td>
                <div className="row-actions">
                  {mine === "owner" && m.role !== "owner" && (
                    <button
                      type="button"
                      className="small"
                      onClick={() =>
                        promote.mutate({ userId: m.userId, role: m.role === "admin" ? "member" : "admin" })
                      }
                    >
                      {m.role === "admin" ? "Make member" : "Make admin"}
                    </button>
                  )}
                  {mine === "owner" && m.role !== "owner" && !detail.org.personal && (
                    <TwoStep
                      label="Make owner"
                      confirm={`Hand over to ${m.email}`}
                      onConfirm={() => transfer.mutate(m.userId)}
                    />
                  )}
                  {mayRemove(m) && (
                    <TwoStep
                      label="Remove"
                      confirm={`Remove ${m.email}`}
                      danger
                      onConfirm={() => remove.mutate(m.userId)}
                    />
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && <Notice kind="error">{errorMessage(error)}</Notice>}
    </section>
  );
}

function Invites({ detail }: { detail: OrgDetail }) {
  const api = useApi();
  const client = useQueryClient();
  const id = detail.org.id;
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<GrantedRole>("member");
  const refresh = () => void client.invalidateQueries({ queryKey: keys.org(id) });
  const invite = useMutation({
    mutationFn: () => api.inviteMember(id, email.trim(), role),
    onSuccess: () => {
      setEmail("");
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (inviteId: string) => api.revokeInvite(id, inviteId), onSuccess: refresh });

  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate();
  }

  return (
    <section className="card" aria-labelledby="invites-title">
      <h2 id="invites-title">Invitations</h2>
      <form className="add-row" onSubmit={submit}>
        <input
          type="email"
          aria-label="Email to invite"
          placeholder="name@example.org"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
        />
        <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as GrantedRole)}>
          <option value="member">member</option>
          {detail.org.role === "owner" && <option value="admin">admin</option>}
        </select>
        <button type="submit" className="primary" disabled={invite.isPending}>
          Invite
        </button>
      </form>
      {invite.isSuccess && <Notice kind="ok">Invitation sent to {invite.data.email}; it is valid for 7 days.</Notice>}
      {invite.isError && <Notice kind="error">{errorMessage(invite.error)}</Notice>}
      {detail.invites.length > 0 && (
        <ul className="plain rows" aria-label="Invitations waiting">
          {detail.invites.map((i) => (
            <li key={i.id} className="row">
              <div>
                <strong>{i.email}</strong> as {i.role}
                <div className="muted small-print">
                  sent {formatDate(i.createdAt)} by {i.invitedBy ?? "a former member"} · expires{" "}
                  {formatDate(i.expiresAt)}
                </div>
              </div>
              <button type="button" className="small" onClick={() => revoke.mutate(i.id)}>
                Withdraw
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Settings({ detail }: { detail: OrgDetail }) {
  const api = useApi();
  const client = useQueryClient();
  const navigate = useNavigate();
  const id = detail.org.id;
  const [name, setName] = useState(detail.org.name);
  const gone = () => {
    void client.invalidateQueries({ queryKey: keys.orgs });
    void navigate("/orgs");
  };
  const rename = useMutation({
    mutationFn: () => api.renameOrg(id, name.trim()),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.org(id) });
      void client.invalidateQueries({ queryKey: keys.orgs });
    },
  });
  const remove = useMutation({ mutationFn: () => api.deleteOrg(id), onSuccess: gone });
  const leave = useMutation({ mutationFn: () => api.leaveOrg(id), onSuccess: gone });
  const error = rename.error ?? remove.error ?? leave.error;

  if (detail.org.personal) return null;
  return (
    <section className="card stack" aria-labelledby="org-settings-title">
      <h2 id="org-settings-title">Organization</h2>
      {detail.org.role === "owner" && (
        <form
          className="add-row"
          onSubmit={(e) => {
            e.preventDefault();
            rename.mutate();
          }}
        >
          <input aria-label="Organization name" value={name} onChange={(e) => setName(e.target.value)} required />
          <button type="submit" disabled={rename.isPending || name.trim() === detail.org.name}>
            Rename
          </button>
        </form>
      )}
      <div className="row-actions">
        {detail.org.role === "owner" ? (
          <TwoStep
            label="Delete organization"
            confirm={`Delete ${detail.org.name}`}
            danger
            onConfirm={() => remove.mutate()}
          />
        ) : (
          <TwoStep
            label="Leave organization"
            confirm={`Leave ${detail.org.name}`}
            danger
            onConfirm={() => leave.mutate()}
          />
        )}
      </div>
      {error && <Notice kind="error">{errorMessage(error)}</Notice>}
    </section>
  );
}

export function Organization() {
  const { id = "" } = useParams();
  const api = useApi();
  const query = useQuery(queries.org(api, id));
  useTitle(query.data?.org.name ?? "Organization");
  return (
    <section className="page" aria-labelledby="org-title">
      <p>
        <Link to="/orgs">← Organizations</Link>
      </p>
      <QueryView query={query} what="the organization">
        {(detail) => (
          <>
            <h1 id="org-title">
              {detail.org.name} {detail.org.personal && <span className="badge">Personal</span>}
            </h1>
            <p className="muted" data-testid="org-role">
              You are its {detail.org.role}.
            </p>
            <Members detail={detail} />
            {(detail.org.role === "owner" || detail.org.role === "admin") && !detail.org.personal && (
              <Invites detail={detail} />
            )}
            <Settings detail={detail} />
          </>
        )}
      </QueryView>
    </section>
  );
}

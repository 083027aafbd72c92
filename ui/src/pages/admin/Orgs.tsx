// Find organizations by name, id or owner's email, and see one's members, invitations, plan and
// usage.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useApi } from "../../api/context";
import { keys, queries } from "../../api/queries";
import { useConfirm } from "../../components/ConfirmDialog";
import { hasRole, useSession } from "../../session";
import { OrgPlan } from "./OrgPlan";
import { QueryView } from "../../components/Feedback";
import { PagedTable } from "../../components/PagedTable";
import { useTitle } from "../../components/useTitle";
import { formatDate, formatRelative } from "../../lib/format";

export function Orgs() {
  useTitle("Organizations");
  const api = useApi();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const query = useQuery({ ...queries.adminOrgs(api, q.trim(), page), placeholderData: keepPreviousData });
  return (
    <section aria-labelledby="admin-orgs-title">
      <h1 id="admin-orgs-title">Organizations</h1>
      <div className="filters" role="search">
        <input
          type="search"
          aria-label="Search organizations"
          placeholder="Name, id or owner's email"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setPage(1);
          }}
        />
      </div>
      <PagedTable
        query={query}
        what="organizations"
        emptyTitle="No organization matches"
        onPage={setPage}
        headings={
          <>
            <th scope="col">Name</th>
            <th scope="col">Owner</th>
            <th scope="col" className="num">
              Members
            </th>
            <th scope="col">Plan</th>
            <th scope="col">Created</th>
          </>
        }
        row={(o) => (
          <tr key={o.id}>
            <td>
              <Link to={`/admin/orgs/${o.id}`}>{o.name}</Link> {o.personal && <span className="badge">Personal</span>}
            </td>
            <td>{o.ownerEmail}</td>
            <td className="num">{o.members}</td>
            <td>{o.planId}</td>
            <td>{formatRelative(o.createdAt)}</td>
          </tr>
        )}
      />
    </section>
  );
}

export function OrgDetailPage() {
  const { id = "" } = useParams();
  const api = useApi();
  const query = useQuery(queries.adminOrg(api, id));
  const client = useQueryClient();
  const { user: me } = useSession();
  const { ask, dialog } = useConfirm(() => {
    void client.invalidateQueries({ queryKey: keys.adminOrg(id) });
    void client.invalidateQueries({ queryKey: keys.adminOrgs });
    void client.invalidateQueries({ queryKey: keys.adminOrgBilling(id) });
  });
  useTitle(query.data?.org.name ?? "Organization");
  return (
    <section aria-labelledby="admin-org-title">
      <p>
        <Link to="/admin/orgs">← Organizations</Link>
      </p>
      <QueryView query={query} what="the organization">
        {(detail) => (
          <>
            <h1 id="admin-org-title">{detail.org.name}</h1>
            <div className="card">
              <dl className="facts">
                <dt>Id</dt>
                <dd className="mono">{detail.org.id}</dd>
                <dt>Owner</dt>
                <dd>{detail.org.ownerEmail}</dd>
                <dt>Kind</dt>
                <dd>{detail.org.personal ? "personal" : "team"}</dd>
                <dt>Created</dt>
                <dd>{formatDate(detail.org.createdAt)}</dd>
              </dl>
              <p>
                <Link to={`/admin/audit?targetId=${detail.org.id}`}>Audit entries</Link> ·{" "}
                <Link to={`/admin/jobs?orgId=${detail.org.id}`}>Its jobs</Link>
              </p>
            </div>
            <OrgPlan detail={detail} canAct={hasRole(me, "admin")} ask={ask} />
            <div className="card">
              <h2>Members</h2>
              <table className="table" aria-label="Members">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Joined</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.members.map((m) => (
                    <tr key={m.userId}>
                      <td>
                        <Link to={`/admin/users/${m.userId}`}>{m.email}</Link>
                      </td>
                      <td>{m.role}</td>
                      <td>{formatDate(m.joinedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {detail.invites.length > 0 && (
                <p className="muted">
                  Invitations waiting: {detail.invites.map((i) => `${i.email} (${i.role})`).join(", ")}
                </p>
              )}
            </div>
          </>
        )}
      </QueryView>
      {dialog}
    </section>
  );
}

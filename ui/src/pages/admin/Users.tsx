// Find users by email or id.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import { useTitle } from "../../components/useTitle";
import { PagedTable } from "../../components/PagedTable";
import { formatRelative } from "../../lib/format";
import { queries } from "../../api/queries";

export function Users() {
  useTitle("Users");
  const api = useApi();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const query = useQuery({ ...queries.adminUsers(api, q.trim(), page), placeholderData: keepPreviousData });
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <div className="filters" role="search">
        <input
          type="search"
          aria-label="Search users by email or id"
          placeholder="Email or user id"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setPage(1);
          }}
        />
      </div>
      <PagedTable
        query={query}
        what="users"
        emptyTitle="No user matches"
        onPage={setPage}
        headings={
          <>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Plan</th>
            <th scope="col">State</th>
            <th scope="col">Joined</th>
          </>
        }
        row={(u) => (
          <tr key={u.id}>
            <td>
              <Link to={`/admin/users/${u.id}`}>{u.email}</Link>
            </td>
            <td>{u.role}</td>
            <td>{u.planId}</td>
            <td>
              {u.suspended ? (
                <span className="badge state-outage">Suspended</span>
              ) : u.emailVerified ? (
                <span className="badge state-operational">Active</span>
              ) : (
                <span className="badge">Unverified</span>
              )}
            </td>
            <td>{formatRelative(u.createdAt)}</td>
          </tr>
        )}
      />
    </section>
  );
}

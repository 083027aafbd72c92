// What the service refused: failed sign-ins, captcha failures, rate limits, suspended logins.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../api/context";
import { useTitle } from "../../components/useTitle";
import { PagedTable } from "../../components/PagedTable";
import { formatDate, formatRelative } from "../../lib/format";
import { queries } from "../../api/queries";

const KINDS = ["login_failed", "suspended_login", "captcha_failed", "rate_limited", "password_change_failed"];

export function SecurityEvents() {
  useTitle("Security events");
  const api = useApi();
  const [kind, setKind] = useState("");
  const [page, setPage] = useState(1);
  const filters = { kind: kind || undefined, page };
  const query = useQuery({ ...queries.securityEvents(api, filters), placeholderData: keepPreviousData });
  return (
    <section aria-labelledby="security-title">
      <h1 id="security-title">Security events</h1>
      <div className="filters">
        <label className="inline">
          <span className="muted">Kind</span>
          <select
            value={kind}
            onChange={(e) => {
              setKind(e.target.value);
              setPage(1);
            }}
          >
            <option value="">All</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </label>
      </div>
      <PagedTable
        query={query}
        what="security events"
        emptyTitle="No events"
        onPage={setPage}
        headings={
          <>
            <th scope="col">When</th>
            <th scope="col">Kind</th>
            <th scope="col">Account</th>
            <th scope="col">Address</th>
          </>
        }
        row={(e) => (
          <tr key={e.id}>
            <td title={formatDate(e.createdAt)}>{formatRelative(e.createdAt)}</td>
            <td>{e.kind.replace(/_/g, " ")}</td>
            <td>{e.email ?? "—"}</td>
            <td className="mono">{e.ip ?? "—"}</td>
          </tr>
        )}
      />
    </section>
  );
}

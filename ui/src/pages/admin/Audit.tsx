// What operators did, who, why and under which ticket.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { useApi } from "../../api/context";
import { useTitle } from "../../components/useTitle";
import { PagedTable } from "../../components/PagedTable";
import { formatDate, formatRelative } from "../../lib/format";
import { queries } from "../../api/queries";

export function Audit() {
  useTitle("Audit log");
  const api = useApi();
  const [params] = useSearchParams();
  const [action, setAction] = useState("");
  const [targetId, setTargetId] = useState(params.get("targetId") ?? "");
  const [page, setPage] = useState(1);
  const filters = { action: action.trim() || undefined, targetId: targetId.trim() || undefined, page };
  const query = useQuery({ ...queries.audit(api, filters), placeholderData: keepPreviousData });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <div className="filters" role="search">
        <input
          type="search"
          aria-label="Action"
          placeholder="Action, e.g. user.suspend"
          value={action}
          onChange={(e) => {
            setAction(e.target.value);
            setPage(1);
          }}
        />
        <input
          type="search"
          aria-label="Target id"
          placeholder="Target id"
          value={targetId}
          onChange={(e) => {
            setTargetId(e.target.value);
            setPage(1);
          }}
        />
      </div>
      <PagedTable
        query={query}
        what="the audit log"
        emptyTitle="No entries"
        label="Audit entries"
        onPage={setPage}
        headings={
          <>
            <th scope="col">When</th>
            <th scope="col">Operator</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Reason</th>
            <th scope="col">Ticket</th>
          </>
        }
        row={(e) => (
          <tr key={e.id}>
            <td title={formatDate(e.createdAt)}>{formatRelative(e.createdAt)}</td>
            <td>{e.actorEmail}</td>
            <td>
              <code>{e.action}</code>
            </td>
            <td className="mono small-print">
              {e.targetType} {e.targetId}
            </td>
            <td className="wrap">{e.reason ?? "—"}</td>
            <td>{e.ticketId ?? "—"}</td>
          </tr>
        )}
      />
    </section>
  );
}

// Find anything an operator looks after: users, jobs, agents and audit entries by any of their
// words, grouped and counted, best match first. Typing is debounced; the arrow keys move
// through the results and Enter opens one.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useApi } from "../../api/context";
import { queries } from "../../api/queries";
import type { SearchGroup, SearchKind } from "../../api/types";
import { Empty, QueryView } from "../../components/Feedback";
import { useTitle } from "../../components/useTitle";
import { formatCount } from "../../lib/format";

const GROUP_TITLE: Record<SearchKind, string> = {
  user: "Users",
  job: "Jobs",
  agent: "Agents",
  audit: "Audit log",
};

/** `value`, once it has stopped changing for `delayMs`. */
function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}

/** Moves focus among the result links with the arrow keys; from the box, down enters them. */
function moveFocus(container: HTMLElement | null, event: KeyboardEvent, fromInput: boolean) {
  if (!container || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
  const links = Array.from(container.querySelectorAll<HTMLAnchorElement>("a[data-result]"));
  if (links.length === 0) return;
  event.preventDefault();
  const at = fromInput ? -1 : links.indexOf(document.activeElement as HTMLAnchorElement);
  const next = event.key === "ArrowDown" ? at + 1 : (at < 0 ? links.length : at) - 1;
  links.at(next % links.length)?.focus();
}

function Group({ group, onMore }: { group: SearchGroup; onMore?: () => void }) {
  return (
    <section className="card" aria-label={GROUP_TITLE[group.kind]}>
      <h2>
        {GROUP_TITLE[group.kind]} <span className="badge">{formatCount(group.total)}</span>
      </h2>
      {group.items.length === 0 ? (
        <p className="muted">No match.</p>
      ) : (
        <ul className="plain rows">
          {group.items.map((hit) => (
            <li key={`${hit.kind}:${hit.id}`} className="row">
              <div>
                <Link to={hit.link} data-result>
                  {hit.title}
                </Link>
                <div className="muted small-print">{hit.subtitle}</div>
              </div>
            </li>
          ))}
        </ul>
      )}
      {onMore && group.total > group.items.length && (
        <button type="button" className="small" onClick={onMore}>
          All {formatCount(group.total)} {GROUP_TITLE[group.kind].toLowerCase()}
        </button>
      )}
    </section>
  );
}

export function Search() {
  useTitle("Search");
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const [text, setText] = useState(params.get("q") ?? "");
  const kind = (params.get("kind") as SearchKind | null) ?? undefined;
  const [page, setPage] = useState(1);
  const q = useDebounced(text.trim(), 250);
  const results = useRef<HTMLDivElement>(null);
  const query = useQuery({
    ...queries.adminSearch(api, { q, kind, page: kind ? page : undefined }),
    enabled: /[\p{L}\p{N}]/u.test(q),
    placeholderData: keepPreviousData,
  });
  useEffect(() => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (q) next.set("q", q);
        else next.delete("q");
        return next;
      },
      { replace: true },
    );
  }, [q, setParams]);
  const showKind = (next: SearchKind | undefined) => {
    setPage(1);
    setParams((current) => {
      const updated = new URLSearchParams(current);
      if (next) updated.set("kind", next);
      else updated.delete("kind");
      return updated;
    });
  };

  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search</h1>
      <div className="filters" role="search">
        <input
          type="search"
          aria-label="Search users, jobs, agents and the audit log"
          placeholder="Email, name, id, info hash, action…"
          value={text}
          autoFocus
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => moveFocus(results.current, e, true)}
        />
        {kind && (
          <button type="button" className="small" onClick={() => showKind(undefined)}>
            Every kind
          </button>
        )}
      </div>
      <div ref={results} onKeyDown={(e) => moveFocus(results.current, e, false)}>
        {!q ? (
          <Empty title="Type to search">Users by email or id, jobs by name, hash or id, agents, audit entries.</Empty>
        ) : (
          <QueryView query={query} what="the results">
            {(data) => (
              <>
                {data.groups.map((group) => (
                  <Group key={group.kind} group={group} onMore={kind ? undefined : () => showKind(group.kind)} />
                ))}
                {kind && data.groups[0] && data.groups[0].total > page * data.groups[0].perPage && (
                  <button type="button" className="small" onClick={() => setPage(page + 1)}>
                    Next page
                  </button>
                )}
                {kind && page > 1 && (
                  <button type="button" className="small" onClick={() => setPage(page - 1)}>
                    Previous page
                  </button>
                )}
              </>
            )}
          </QueryView>
        )}
      </div>
    </section>
  );
}

// One page of an operator listing as a table above its pager, with the shared loading, error and
// empty states.
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import type { Page } from "../api/types";
import { Pager } from "./Pager";
import { Empty, QueryView } from "./Feedback";

export function PagedTable<T>({
  query,
  what,
  emptyTitle,
  emptyText,
  label,
  headings,
  row,
  onPage,
}: {
  query: UseQueryResult<Page<T>>;
  /** What is loading, as in "Loading users…". */
  what: string;
  emptyTitle: string;
  /** A line under the empty state's title, saying why the list is empty. */
  emptyText?: string;
  /** The table's accessible name, when the page heading does not say enough. */
  label?: string;
  /** The header cells (`<th scope="col">`). */
  headings: ReactNode;
  /** One `<tr>` per item, with its key. */
  row: (item: T) => ReactNode;
  onPage: (page: number) => void;
}) {
  return (
    <QueryView
      query={query}
      what={what}
      isEmpty={(d) => d.items.length === 0}
      empty={<Empty title={emptyTitle}>{emptyText}</Empty>}
    >
      {(data) => (
        <>
          <div className="table-scroll">
            <table className="table" aria-label={label}>
              <thead>
                <tr>{headings}</tr>
              </thead>
              <tbody>{data.items.map(row)}</tbody>
            </table>
          </div>
          <Pager page={data.page} perPage={data.perPage} total={data.total} capped={data.totalCapped} onPage={onPage} />
        </>
      )}
    </QueryView>
  );
}

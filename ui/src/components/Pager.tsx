// Newer/older page buttons for the paged lists; nothing when everything fits on one page. A
// capped total (the server stops counting long lists) shows as "N+" pages and never ends the
// list early.

export function Pager({
  page,
  perPage,
  total,
  capped = false,
  onPage,
}: {
  page: number;
  perPage: number;
  total: number;
  capped?: boolean;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        ← Newer
      </button>
      <span>
        Page {page} of {pages}
        {capped ? "+" : ""}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={!capped && page >= pages}>
        Older →
      </button>
    </nav>
  );
}

// Which links the extension will hand on: magnets that name a torrent and http(s) URLs of
// `.torrent` files. Everything a page offers passes through here before it is shown or sent.

/** The longest link accepted, the same limit the cloud API and the desktop app apply. */
export const MAX_LINK_LENGTH = 16_384;
/** Most links remembered for one page; a page with more is showing a list, not a choice. */
export const MAX_LINKS_PER_PAGE = 500;

export type LinkKind = "magnet" | "torrent";

const BTIH = /^urn:btih:([0-9a-f]{40}|[a-z2-7]{32})$/i;
const BTMH = /^urn:btmh:1220[0-9a-f]{64}$/i;

/** What kind of link `raw` is, or null when it is neither a usable magnet nor a .torrent URL. */
export function classifyLink(raw: unknown): LinkKind | null {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LINK_LENGTH) {
    return null;
  }
  if (/^magnet:/i.test(raw)) {
    return magnetTopic(raw) ? "magnet" : null;
  }
  return isTorrentUrl(raw) ? "torrent" : null;
}

/** The `xt` topic of a magnet when it names a BitTorrent v1 or v2 torrent. */
export function magnetTopic(raw: string): string | null {
  const query = raw.replace(/^magnet:\??/i, "");
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return null;
  }
  for (const topic of params.getAll("xt")) {
    if (BTIH.test(topic) || BTMH.test(topic)) {
      return topic;
    }
  }
  return null;
}

function isTorrentUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return (
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.username === "" &&
    url.password === "" &&
    url.hostname !== "" &&
    url.pathname.toLowerCase().endsWith(".torrent")
  );
}

/** A name to show for a link: a magnet's `dn`, or a URL's last path segment. */
export function displayName(link: string): string {
  if (/^magnet:/i.test(link)) {
    const params = new URLSearchParams(link.replace(/^magnet:\??/i, ""));
    const name = params.get("dn")?.trim();
    if (name) {
      return name.slice(0, 200);
    }
    const topic = magnetTopic(link) ?? "";
    return topic.replace(/^urn:bt[im]h:/i, "").slice(0, 16) || "magnet link";
  }
  try {
    const segment = new URL(link).pathname.split("/").pop() ?? "";
    return decodeURIComponent(segment).slice(0, 200) || link.slice(0, 200);
  } catch {
    return link.slice(0, 200);
  }
}

/** The usable links among a page's hrefs, in page order, without repeats. */
export function findLinks(hrefs: Iterable<unknown>): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  for (const href of hrefs) {
    if (found.length >= MAX_LINKS_PER_PAGE) {
      break;
    }
    if (classifyLink(href) && !seen.has(href as string)) {
      seen.add(href as string);
      found.push(href as string);
    }
  }
  return found;
}

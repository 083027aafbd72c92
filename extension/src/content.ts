// Runs in web pages: reports the page's magnet and .torrent links (for the badge and the popup)
// and, when the user turned interception on, sends clicked magnet links to tseeder instead.

import { classifyLink, findLinks } from "./core/links";

let intercept = false;
let lastSent = "";

function pageHrefs(): string[] {
  return Array.from(
    document.querySelectorAll<HTMLAnchorElement | HTMLAreaElement>("a[href], area[href]"),
    (a) => a.href,
  );
}

function report() {
  const links = findLinks(pageHrefs());
  const key = links.join("\n");
  if (key === lastSent) {
    return;
  }
  lastSent = key;
  chrome.runtime
    .sendMessage({ type: "page-links", links })
    .then((answer: unknown) => {
      intercept =
        typeof answer === "object" && answer !== null && (answer as { intercept?: unknown }).intercept === true;
    })
    .catch(() => undefined);
}

let pending: ReturnType<typeof setTimeout> | undefined;
new MutationObserver(() => {
  clearTimeout(pending);
  pending = setTimeout(report, 500);
}).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["href"] });

document.addEventListener(
  "click",
  (event) => {
    // Only the user's own click: a page can fire `click()` on a link as often as it likes, and
    // that must never send anything (the browser then handles the magnet itself, as it would).
    if (
      !event.isTrusted ||
      !intercept ||
      event.button !== 0 ||
      event.ctrlKey ||
      event.metaKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    const anchor = (event.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
    if (!anchor || classifyLink(anchor.href) !== "magnet") {
      return;
    }
    event.preventDefault();
    void chrome.runtime.sendMessage({ type: "intercepted", link: anchor.href }).catch(() => undefined);
  },
  true,
);

report();

import { describe, expect, it } from "vitest";
import { MAX_LINKS_PER_PAGE } from "../../src/core/links";
import { parseContentMessage, parsePopupMessage } from "../../src/core/messages";

const MAGNET = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

describe("parseContentMessage", () => {
  it("keeps only usable links from a page report", () => {
    expect(
      parseContentMessage({ type: "page-links", links: [MAGNET, "javascript:alert(1)", 7, { href: MAGNET }] }),
    ).toEqual({ type: "page-links", links: [MAGNET] });
  });

  it("refuses oversized reports", () => {
    const links = Array.from({ length: MAX_LINKS_PER_PAGE + 1 }, () => MAGNET);
    expect(parseContentMessage({ type: "page-links", links })).toBeNull();
  });

  it("accepts an intercepted click only for a magnet", () => {
    expect(parseContentMessage({ type: "intercepted", link: MAGNET })).toEqual({ type: "intercepted", link: MAGNET });
    expect(parseContentMessage({ type: "intercepted", link: "https://example.org/a.torrent" })).toBeNull();
  });

  it("refuses what a page must not ask for", () => {
    // A content script may not send links or read tabs; those are the popup's messages.
    expect(parseContentMessage({ type: "send", link: MAGNET, dest: "cloud" })).toBeNull();
    expect(parseContentMessage({ type: "tab-links", tabId: 1 })).toBeNull();
    expect(parseContentMessage(null)).toBeNull();
    expect(parseContentMessage("page-links")).toBeNull();
    expect(parseContentMessage([MAGNET])).toBeNull();
  });
});

describe("parsePopupMessage", () => {
  it("accepts a send with a usable link and destination", () => {
    expect(parsePopupMessage({ type: "send", link: MAGNET, dest: "local" })).toEqual({
      type: "send",
      link: MAGNET,
      dest: "local",
    });
  });

  it("refuses bad links, destinations and tab ids", () => {
    expect(parsePopupMessage({ type: "send", link: "file:///x.torrent", dest: "cloud" })).toBeNull();
    expect(parsePopupMessage({ type: "send", link: MAGNET, dest: "remote" })).toBeNull();
    expect(parsePopupMessage({ type: "tab-links", tabId: -1 })).toBeNull();
    expect(parsePopupMessage({ type: "tab-links", tabId: 1.5 })).toBeNull();
    expect(parsePopupMessage({ type: "tab-links", tabId: 3 })).toEqual({ type: "tab-links", tabId: 3 });
  });
});

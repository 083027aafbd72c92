import { describe, expect, it } from "vitest";
import { classifyLink, displayName, findLinks, MAX_LINK_LENGTH, MAX_LINKS_PER_PAGE } from "../../src/core/links";

const V1 = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Debian%2013";
const V1_BASE32 = "magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";
const V2 = `magnet:?xt=urn:btmh:1220${"ab".repeat(32)}`;

describe("classifyLink", () => {
  it("accepts magnets that name a v1 or v2 torrent", () => {
    expect(classifyLink(V1)).toBe("magnet");
    expect(classifyLink(V1_BASE32)).toBe("magnet");
    expect(classifyLink(V2)).toBe("magnet");
    expect(classifyLink("MAGNET:?dn=x&xt=urn:btih:C12FE1C06BBA254A9DC9F519B335AA7C1367A88A")).toBe("magnet");
  });

  it("refuses magnets without a usable topic", () => {
    expect(classifyLink("magnet:?dn=nothing")).toBeNull();
    expect(classifyLink("magnet:?xt=urn:btih:1234")).toBeNull();
    expect(classifyLink("magnet:?xt=urn:sha1:c12fe1c06bba254a9dc9f519b335aa7c1367a88a")).toBeNull();
    expect(classifyLink(`magnet:?xt=urn:btmh:1220${"ab".repeat(31)}`)).toBeNull();
  });

  it("accepts http(s) links to .torrent files", () => {
    expect(classifyLink("https://example.org/files/debian.iso.torrent")).toBe("torrent");
    expect(classifyLink("http://example.org/a.TORRENT?token=1")).toBe("torrent");
  });

  it("refuses other schemes, credentials and other paths", () => {
    expect(classifyLink("file:///home/me/a.torrent")).toBeNull();
    expect(classifyLink("javascript:alert(1)//.torrent")).toBeNull();
    expect(classifyLink("ftp://example.org/a.torrent")).toBeNull();
    expect(classifyLink("https://user:pw@example.org/a.torrent")).toBeNull();
    expect(classifyLink("https://example.org/a.torrent.html")).toBeNull();
    expect(classifyLink("https://example.org/?file=a.torrent")).toBeNull();
    expect(classifyLink("not a url")).toBeNull();
    expect(classifyLink(42)).toBeNull();
    expect(classifyLink(undefined)).toBeNull();
  });

  it("refuses links over the length limit", () => {
    const long = `${V1}&tr=${"x".repeat(MAX_LINK_LENGTH)}`;
    expect(classifyLink(long)).toBeNull();
  });
});

describe("findLinks", () => {
  it("keeps usable links in page order without repeats", () => {
    const found = findLinks([
      "https://example.org/",
      V1,
      "https://example.org/b.torrent",
      V1,
      "mailto:x@example.org",
      V2,
    ]);
    expect(found).toEqual([V1, "https://example.org/b.torrent", V2]);
  });

  it("stops at the per-page cap", () => {
    const many = Array.from({ length: MAX_LINKS_PER_PAGE + 50 }, (_, i) => `https://example.org/${i}.torrent`);
    expect(findLinks(many)).toHaveLength(MAX_LINKS_PER_PAGE);
  });
});

describe("displayName", () => {
  it("uses a magnet's dn, else a short hash", () => {
    expect(displayName(V1)).toBe("Debian 13");
    expect(displayName(V1_BASE32)).toBe("YEX6DQDLXISUVHOJ");
  });

  it("uses a URL's last segment", () => {
    expect(displayName("https://example.org/x/Big%20Buck%20Bunny.torrent")).toBe("Big Buck Bunny.torrent");
  });
});

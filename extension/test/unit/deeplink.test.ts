import { describe, expect, it } from "vitest";
import { buildDeepLink, isDestination } from "../../src/core/deeplink";

const MAGNET = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=a b&tr=http://t/announce";

describe("buildDeepLink", () => {
  it("encodes the whole link into one uri parameter", () => {
    const url = buildDeepLink(MAGNET, "cloud");
    expect(url).toBe(
      "tseeder://add?uri=magnet%3A%3Fxt%3Durn%3Abtih%3Ac12fe1c06bba254a9dc9f519b335aa7c1367a88a%26dn%3Da%20b%26tr%3Dhttp%3A%2F%2Ft%2Fannounce&dest=cloud",
    );
    const parsed = new URL(url);
    expect(parsed.protocol).toBe("tseeder:");
    expect([...parsed.searchParams.keys()]).toEqual(["uri", "dest"]);
    expect(parsed.searchParams.get("uri")).toBe(MAGNET);
  });

  it("carries each destination", () => {
    for (const dest of ["cloud", "local", "ask"] as const) {
      expect(new URL(buildDeepLink(MAGNET, dest)).searchParams.get("dest")).toBe(dest);
    }
  });

  it("cannot be used to smuggle extra parameters", () => {
    const sneaky = "https://example.org/a.torrent?x=1&dest=local";
    const parsed = new URL(buildDeepLink(sneaky, "ask"));
    expect(parsed.searchParams.getAll("dest")).toEqual(["ask"]);
    expect(parsed.searchParams.get("uri")).toBe(sneaky);
  });

  it("refuses links the app would refuse", () => {
    expect(() => buildDeepLink("file:///etc/passwd", "cloud")).toThrow(/only magnet/);
    expect(() => buildDeepLink("magnet:?dn=x", "cloud")).toThrow();
    // @ts-expect-error: a destination from an untrusted caller
    expect(() => buildDeepLink(MAGNET, "elsewhere")).toThrow(/destination/);
  });

  it("knows its destinations", () => {
    expect(isDestination("local")).toBe(true);
    expect(isDestination("LOCAL")).toBe(false);
    expect(isDestination(null)).toBe(false);
  });
});

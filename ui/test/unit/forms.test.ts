import { describe, expect, it } from "vitest";
import { checkJustification } from "../../src/components/ConfirmDialog";
import { slugify } from "../../src/pages/admin/AdminBlog";
import { paragraphs } from "../../src/pages/public/Blog";
import { safeNext } from "../../src/pages/public/SignIn";
import { magnetProblem, urlProblem } from "../../src/pages/user/AddJob";
import { actionsFor } from "../../src/pages/user/JobActions";
import { playable } from "../../src/pages/user/JobDetail";

describe("what users type", () => {
  it("checks magnet links before sending them", () => {
    expect(magnetProblem("magnet:?xt=urn:btih:" + "a".repeat(40) + "&dn=x")).toBeNull();
    expect(magnetProblem("MAGNET:?dn=x&xt=urn:btmh:1220" + "b".repeat(64))).toBeNull();
    expect(magnetProblem("")).toMatch(/Paste/);
    expect(magnetProblem("http://example.org")).toMatch(/starts with/);
    expect(magnetProblem("magnet:?dn=only-a-name")).toMatch(/no torrent hash/);
  });
  it("accepts only http(s) torrent URLs", () => {
    expect(urlProblem("https://example.org/a.torrent")).toBeNull();
    expect(urlProblem("file:///etc/passwd")).toMatch(/http/);
    expect(urlProblem("javascript:alert(1)")).toMatch(/http/);
    expect(urlProblem("not a url")).toMatch(/full address/);
  });
  it("follows only same-site paths after sign-in", () => {
    expect(safeNext("/jobs/1")).toBe("/jobs/1");
    expect(safeNext("//evil.example")).toBe("/jobs");
    expect(safeNext("/\\evil.example")).toBe("/jobs");
    expect(safeNext("https://evil.example")).toBe("/jobs");
    expect(safeNext(null)).toBe("/jobs");
  });
});

describe("the justification dialog", () => {
  it("asks for a reason of ten characters, a ticket and the typed word", () => {
    expect(checkJustification("spam", "T-1", "SUSPEND", "SUSPEND", 10)).toMatch(/at least 10/);
    expect(checkJustification("          x", "T-1", "SUSPEND", "SUSPEND", 10)).toMatch(/at least 10/);
    expect(checkJustification("Sends spam links", " ", "SUSPEND", "SUSPEND", 10)).toMatch(/ticket/);
    expect(checkJustification("Sends spam links", "T-1", "suspend", "SUSPEND", 10)).toMatch(/Type SUSPEND/);
    expect(checkJustification("Sends spam links", "T-1", "SUSPEND", "SUSPEND", 10)).toBeNull();
  });

  it("takes the minimum from the server, and leaves it to the server before its config arrives", () => {
    expect(checkJustification("Sends spam links", "T-1", "SUSPEND", "SUSPEND", 20)).toMatch(/at least 20/);
    expect(checkJustification("spam", "T-1", "SUSPEND", "SUSPEND", undefined)).toBeNull();
    expect(checkJustification("   ", "T-1", "SUSPEND", "SUSPEND", undefined)).toMatch(/reason/);
  });
});

describe("job screens", () => {
  it("offers only the actions a job's state allows", () => {
    expect(actionsFor({ status: "downloading" })).toEqual(["pause", "cancel"]);
    expect(actionsFor({ status: "paused" })).toEqual(["resume", "cancel"]);
    expect(actionsFor({ status: "failed" })).toEqual(["retry"]);
    expect(actionsFor({ status: "completed" })).toEqual([]);
  });
  it("offers the browser's player for video and audio only", () => {
    expect(playable("Show/S01E01.mkv")).toBe("video");
    expect(playable("album/01.FLAC")).toBe("audio");
    expect(playable("readme.txt")).toBeNull();
  });
});

describe("blog text", () => {
  it("makes slugs the API accepts and splits bodies into paragraphs", () => {
    expect(slugify("Faster cloud downloads!")).toBe("faster-cloud-downloads");
    expect(slugify("  Ünïcode & more  ")).toBe("unicode-more");
    expect(paragraphs("One.\n\nTwo\nlines.\r\n\r\n\n  \nThree.")).toEqual(["One.", "Two\nlines.", "Three."]);
  });
});

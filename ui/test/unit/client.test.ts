import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/api/client";
import { HttpApi, fillPath, queryString } from "../../src/api/http";

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each request and answers from a list. */
function fakeFetch(answers: Array<Response | Error>) {
  const seen: Seen[] = [];
  const fetcher = async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === "string" ? JSON.parse(init.body) : init?.body,
    });
    const next = answers.shift();
    if (!next) throw new Error("no answer left");
    if (next instanceof Error) throw next;
    return next;
  };
  return { seen, fetcher: fetcher as typeof fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const user = { id: "u1", email: "a@example.org", role: "user", planId: "free" };

describe("HttpApi", () => {
  it("sends the session's CSRF token on writes only, and forgets it on sign-out", async () => {
    const { seen, fetcher } = fakeFetch([
      json(200, { user, csrfToken: "csrf-1" }),
      json(200, { items: [], page: 1, perPage: 25, total: 0 }),
      json(201, { job: { id: "j1" }, files: [] }),
      json(200, { ok: true, message: "bye" }),
      json(201, { job: { id: "j2" }, files: [] }),
    ]);
    const api = new HttpApi("", fetcher);
    await api.login("a@example.org", "secret words");
    await api.jobs({ status: "queued", q: "" });
    await api.createJob({
      magnet: "magnet:?xt=urn:btih:" + "a".repeat(40),
      torrentUrl: null,
      selectedFiles: null,
      region: null,
      deviceId: null,
      callbackUrl: null,
    });
    await api.logout();
    await api.createJob({
      magnet: "m",
      torrentUrl: null,
      selectedFiles: null,
      region: null,
      deviceId: null,
      callbackUrl: null,
    });

    expect(seen[0]).toMatchObject({
      url: "/api/v1/auth/login",
      method: "POST",
      body: { email: "a@example.org", password: "secret words" },
    });
    expect(seen[1]!.url).toBe("/api/v1/jobs?status=queued");
    expect(seen[1]!.headers["x-csrf-token"]).toBeUndefined();
    expect(seen[2]!.headers["x-csrf-token"]).toBe("csrf-1");
    expect(seen[3]!.headers["x-csrf-token"]).toBe("csrf-1");
    expect(seen[4]!.headers["x-csrf-token"]).toBeUndefined();
  });

  it("recovers the CSRF token from /auth/me after a reload, and reads 401 as signed out", async () => {
    const { seen, fetcher } = fakeFetch([
      json(200, { user, csrfToken: "csrf-2" }),
      new Response(null, { status: 204 }),
      json(401, { error: { code: "unauthenticated", message: "sign in first" } }),
    ]);
    const api = new HttpApi("", fetcher);
    expect((await api.me())?.user.email).toBe("a@example.org");
    await api.revokeSession("s1");
    expect(seen[1]!.headers["x-csrf-token"]).toBe("csrf-2");
    expect(await api.me()).toBeNull();
  });

  it("turns the API's error body into an ApiError with its code and message", async () => {
    const { fetcher } = fakeFetch([
      json(409, { error: { code: "duplicate_job", message: "this torrent is already in your jobs" } }),
      json(429, { error: { code: "rate_limited", message: "too many requests" } }, { "retry-after": "30" }),
      new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
      new TypeError("Failed to fetch"),
    ]);
    const api = new HttpApi("", fetcher);
    const create = () =>
      api.createJob({
        magnet: "m",
        torrentUrl: null,
        selectedFiles: null,
        region: null,
        deviceId: null,
        callbackUrl: null,
      });
    await expect(create()).rejects.toMatchObject({
      status: 409,
      code: "duplicate_job",
      message: "this torrent is already in your jobs",
    });
    await expect(create()).rejects.toMatchObject({
      code: "rate_limited",
      message: "too many requests (try again in 30 s)",
    });
    await expect(create()).rejects.toMatchObject({ status: 502, code: "http_502" });
    const offline = await create().catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(ApiError);
    expect(offline).toMatchObject({ status: 0, code: "network" });
  });

  it("sends justifications with operator actions and encodes ids into one path segment", async () => {
    const { seen, fetcher } = fakeFetch([json(200, { user })]);
    const api = new HttpApi("https://cloud.example", fetcher);
    await api.accountAction("../../x?y", "suspend", { reason: "Sends spam links", ticketId: "SUP-1" });
    expect(seen[0]!.url).toBe("https://cloud.example/api/v1/admin/users/..%2F..%2Fx%3Fy/suspend");
    expect(seen[0]!.body).toEqual({ reason: "Sends spam links", ticketId: "SUP-1" });
    expect(api.zipUrl("j/1")).toBe("https://cloud.example/api/v1/jobs/j%2F1/zip");
  });
});

describe("URL helpers", () => {
  it("refuses a path with a missing parameter", () => {
    expect(() => fillPath("/api/v1/jobs/{id}", {})).toThrow(/id/);
  });
  it("leaves out empty query values", () => {
    expect(queryString({ q: "", page: 2, status: undefined })).toBe("?page=2");
    expect(queryString({})).toBe("");
  });
});

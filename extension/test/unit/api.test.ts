import { describe, expect, it } from "vitest";
import { CloudError, formatWait, submitJob, whoAmI } from "../../src/core/api";

const ACCOUNT = { origin: "https://cloud.example", apiKey: "tsk_secret123456" };
const MAGNET = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Debian";

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from a table and records what it was asked. */
function fakeFetch(answers: Record<string, () => Response>, seen: Seen[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? "GET";
    seen.push({
      url,
      method,
      headers: init?.headers as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    const answer = answers[`${method} ${new URL(url).pathname}`];
    if (!answer) {
      throw new TypeError("network down");
    }
    return answer();
  }) as typeof fetch;
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

describe("submitJob", () => {
  it("posts a magnet with the key and links the job in the console", async () => {
    const seen: Seen[] = [];
    const fetchImpl = fakeFetch(
      { "POST /api/v1/jobs": json(201, { job: { id: "job 1", name: "Debian", status: "queued" }, files: [] }) },
      seen,
    );
    const job = await submitJob(ACCOUNT, MAGNET, "cloud", fetchImpl);
    expect(job).toEqual({
      jobId: "job 1",
      name: "Debian",
      status: "queued",
      consoleUrl: "https://cloud.example/jobs/job%201",
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe("https://cloud.example/api/v1/jobs");
    expect(seen[0]?.headers.Authorization).toBe("Bearer tsk_secret123456");
    expect(seen[0]?.body).toEqual({ magnet: MAGNET });
  });

  it("sends a .torrent URL as torrentUrl", async () => {
    const seen: Seen[] = [];
    const fetchImpl = fakeFetch({ "POST /api/v1/jobs": json(201, { job: { id: "j", status: "submitted" } }) }, seen);
    const job = await submitJob(ACCOUNT, "https://example.org/x.torrent", "ask", fetchImpl);
    expect(seen[0]?.body).toEqual({ torrentUrl: "https://example.org/x.torrent" });
    expect(job.name).toBe("x.torrent");
  });

  it("routes 'this computer' to the user's most recently seen device", async () => {
    const seen: Seen[] = [];
    const fetchImpl = fakeFetch(
      {
        "GET /api/v1/devices": json(200, [
          { id: "old", revoked: false, lastHeartbeatAt: "2026-01-01T00:00:00Z" },
          { id: "gone", revoked: true, lastHeartbeatAt: "2026-12-01T00:00:00Z" },
          { id: "laptop", revoked: false, lastHeartbeatAt: "2026-06-01T00:00:00Z" },
        ]),
        "POST /api/v1/jobs": json(201, { job: { id: "j", status: "queued" } }),
      },
      seen,
    );
    await submitJob(ACCOUNT, MAGNET, "local", fetchImpl);
    expect(seen[1]?.body).toEqual({ magnet: MAGNET, deviceId: "laptop" });
  });

  it("says so when no desktop app is registered", async () => {
    const fetchImpl = fakeFetch({ "GET /api/v1/devices": json(200, []) }, []);
    await expect(submitJob(ACCOUNT, MAGNET, "local", fetchImpl)).rejects.toMatchObject({ kind: "no_device" });
  });

  it("explains a refused key", async () => {
    const fetchImpl = fakeFetch(
      { "POST /api/v1/jobs": json(401, { error: { code: "invalid_api_key", message: "invalid API key" } }) },
      [],
    );
    const error = await submitJob(ACCOUNT, MAGNET, "cloud", fetchImpl).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudError);
    expect((error as CloudError).kind).toBe("unauthorized");
    expect((error as CloudError).message).toMatch(/API key was refused/);
  });

  it("explains a rate limit with its wait", async () => {
    const fetchImpl = fakeFetch(
      {
        "POST /api/v1/jobs": json(
          429,
          { error: { code: "rate_limited", message: "slow down" } },
          { "Retry-After": "90" },
        ),
      },
      [],
    );
    await expect(submitJob(ACCOUNT, MAGNET, "cloud", fetchImpl)).rejects.toThrow(
      "Too many requests. Try again in 2 min.",
    );
  });

  it("passes on the API's own reason for other refusals", async () => {
    const fetchImpl = fakeFetch(
      { "POST /api/v1/jobs": json(409, { error: { code: "job_exists", message: "this torrent is already running" } }) },
      [],
    );
    await expect(submitJob(ACCOUNT, MAGNET, "cloud", fetchImpl)).rejects.toThrow(
      "The cloud refused: this torrent is already running",
    );
  });

  it("reports an unreachable server", async () => {
    await expect(submitJob(ACCOUNT, MAGNET, "cloud", fakeFetch({}, []))).rejects.toMatchObject({ kind: "unreachable" });
  });

  it("never sends a link the app would refuse", async () => {
    const seen: Seen[] = [];
    await expect(submitJob(ACCOUNT, "file:///etc/passwd", "cloud", fakeFetch({}, seen))).rejects.toMatchObject({
      kind: "invalid",
    });
    expect(seen).toHaveLength(0);
  });
});

describe("whoAmI", () => {
  it("reads the key's account", async () => {
    const fetchImpl = fakeFetch({ "GET /api/v1/auth/me": json(200, { user: { email: "a@example.org" } }) }, []);
    expect(await whoAmI(ACCOUNT, fetchImpl)).toBe("a@example.org");
  });
});

describe("formatWait", () => {
  it("rounds up to a unit a person reads", () => {
    expect(formatWait(5)).toBe("5 s");
    expect(formatWait(61)).toBe("2 min");
    expect(formatWait(7200)).toBe("2 h");
  });
});

// The few calls the extension makes to the tseeder cloud API, with its failures turned into
// sentences a person can act on (a refused key, a rate limit, a plan limit, an unreachable server).

import type { Destination } from "./deeplink";
import { classifyLink, displayName } from "./links";

export interface CloudAccount {
  origin: string;
  apiKey: string;
}

export type CloudErrorKind = "unauthorized" | "rate_limited" | "refused" | "unreachable" | "no_device" | "invalid";

export class CloudError extends Error {
  constructor(
    readonly kind: CloudErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "CloudError";
  }
}

export interface SubmittedJob {
  jobId: string;
  name: string;
  status: string;
  /** The job's page in the web console. */
  consoleUrl: string;
}

type Fetch = typeof fetch;

/** Who the key belongs to; used by the options page to check a key before saving it. */
export async function whoAmI(account: CloudAccount, fetchImpl: Fetch = fetch): Promise<string> {
  const body = (await call(account, "GET", "/api/v1/auth/me", undefined, fetchImpl)) as {
    user?: { email?: unknown };
  };
  const email = body.user?.email;
  if (typeof email !== "string") {
    throw new CloudError("invalid", "The server did not answer like a tseeder cloud.");
  }
  return email;
}

/**
 * Creates a job for `link`. `local` sends it to the user's own computer (the desktop app
 * registered as their device); `cloud` and `ask` run it on the cloud's agents.
 */
export async function submitJob(
  account: CloudAccount,
  link: string,
  dest: Destination,
  fetchImpl: Fetch = fetch,
): Promise<SubmittedJob> {
  const kind = classifyLink(link);
  if (!kind) {
    throw new CloudError("invalid", "Only magnet links and .torrent URLs can be sent.");
  }
  const body: Record<string, unknown> = kind === "magnet" ? { magnet: link } : { torrentUrl: link };
  if (dest === "local") {
    body.deviceId = await personalDevice(account, fetchImpl);
  }
  const created = (await call(account, "POST", "/api/v1/jobs", body, fetchImpl)) as {
    job?: { id?: unknown; name?: unknown; status?: unknown };
  };
  const job = created.job;
  if (!job || typeof job.id !== "string") {
    throw new CloudError("invalid", "The server did not answer like a tseeder cloud.");
  }
  return {
    jobId: job.id,
    name: typeof job.name === "string" && job.name ? job.name : displayName(link),
    status: typeof job.status === "string" ? job.status : "submitted",
    consoleUrl: `${account.origin}/jobs/${encodeURIComponent(job.id)}`,
  };
}

/** Takes a job back: it is removed from the cloud with anything it fetched so far. */
export async function deleteJob(account: CloudAccount, jobId: string, fetchImpl: Fetch = fetch): Promise<void> {
  await call(account, "DELETE", `/api/v1/jobs/${encodeURIComponent(jobId)}`, undefined, fetchImpl);
}

/** The user's desktop app registered as their device: the one heard from most recently. */
async function personalDevice(account: CloudAccount, fetchImpl: Fetch): Promise<string> {
  const devices = (await call(account, "GET", "/api/v1/devices", undefined, fetchImpl)) as Array<{
    id?: unknown;
    revoked?: unknown;
    lastHeartbeatAt?: unknown;
  }>;
  const usable = (Array.isArray(devices) ? devices : [])
    .filter((d) => typeof d.id === "string" && d.revoked !== true)
    .sort((a, b) => String(b.lastHeartbeatAt ?? "").localeCompare(String(a.lastHeartbeatAt ?? "")));
  const device = usable[0];
  if (!device) {
    throw new CloudError(
      "no_device",
      "No tseeder desktop app is signed in to this account, so there is no computer to send to.",
    );
  }
  return device.id as string;
}

async function call(
  account: CloudAccount,
  method: string,
  path: string,
  body: unknown,
  fetchImpl: Fetch,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(account.origin + path, {
      method,
      headers: {
        Authorization: `Bearer ${account.apiKey}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      redirect: "error",
    });
  } catch {
    throw new CloudError("unreachable", `Could not reach ${account.origin}. Is the address right?`);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (response.ok) {
    return parsed;
  }
  const apiMessage = (parsed as { error?: { message?: unknown } } | null)?.error?.message;
  const detail = typeof apiMessage === "string" ? apiMessage : `HTTP ${response.status}`;
  if (response.status === 401) {
    throw new CloudError(
      "unauthorized",
      "The API key was refused. Create a new key in the web console (Settings → API keys) and paste it in the extension's options.",
      401,
    );
  }
  if (response.status === 429) {
    const wait = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
    const when = Number.isFinite(wait) && wait > 0 ? `in ${formatWait(wait)}` : "later";
    throw new CloudError("rate_limited", `Too many requests. Try again ${when}.`, 429);
  }
  throw new CloudError("refused", `The cloud refused: ${detail}`, response.status);
}

export function formatWait(seconds: number): string {
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const minutes = Math.ceil(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.ceil(minutes / 60)} h`;
}

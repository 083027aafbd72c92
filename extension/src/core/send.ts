// Sending one link: to the desktop app as a `tseeder://` deep link, or to the cloud API. The
// background script, the context menu, the popup and intercepted clicks all come through here.

import { CloudError, deleteJob, submitJob } from "./api";
import { buildDeepLink, type Destination } from "./deeplink";
import { loadRecent, remember, type RecentSend, updateRecent } from "./history";
import { displayName } from "./links";
import { loadSettings, type KeyValueStore } from "./settings";

export interface SendDeps {
  store: KeyValueStore;
  /** Hands a `tseeder://` URL to the operating system (and so to the desktop app). */
  openDeepLink(url: string): Promise<void>;
  /** Whether the user granted access to the cloud's origin. */
  hasOriginPermission(origin: string): Promise<boolean>;
  fetch: typeof fetch;
  now(): number;
}

/** Sends `link` as the settings say and records the outcome in the recent sends. */
export async function sendLink(deps: SendDeps, link: string, chosen: Destination | "default"): Promise<RecentSend> {
  const settings = await loadSettings(deps.store);
  const dest = chosen === "default" ? settings.dest : chosen;
  const entry: RecentSend = {
    link,
    name: displayName(link),
    mode: settings.mode,
    dest,
    at: deps.now(),
    ok: false,
    message: "",
  };
  try {
    if (settings.mode === "desktop") {
      await deps.openDeepLink(buildDeepLink(link, dest));
      entry.ok = true;
      entry.message = "Handed to the tseeder app";
    } else {
      if (!settings.cloudUrl || !settings.apiKey) {
        throw new CloudError("unauthorized", "Set the cloud address and an API key in the options first.");
      }
      if (!(await deps.hasOriginPermission(settings.cloudUrl))) {
        throw new CloudError(
          "unauthorized",
          `The extension may not contact ${settings.cloudUrl} yet. Save the options again to allow it.`,
        );
      }
      const job = await submitJob({ origin: settings.cloudUrl, apiKey: settings.apiKey }, link, dest, deps.fetch);
      entry.ok = true;
      entry.name = job.name;
      entry.message = dest === "local" ? "Sent to your computer" : "Queued in the cloud";
      entry.jobUrl = job.consoleUrl;
      entry.jobId = job.jobId;
    }
  } catch (error) {
    entry.message = error instanceof Error ? error.message : String(error);
  }
  await remember(deps.store, entry);
  return entry;
}

/**
 * Takes back the cloud send made at `at`: its job is deleted, and the recent sends say so. A
 * send made from a click the extension intercepted is easy to make by mistake; this is its way
 * back (from the notification's Undo button or the popup).
 */
export async function undoSend(deps: SendDeps, at: number): Promise<RecentSend> {
  const entry = (await loadRecent(deps.store)).find((sent) => sent.at === at);
  if (!entry || !entry.ok || entry.mode !== "cloud" || !entry.jobId || entry.undone) {
    throw new CloudError("invalid", "That send cannot be undone.");
  }
  const settings = await loadSettings(deps.store);
  if (!settings.cloudUrl || !settings.apiKey) {
    throw new CloudError("unauthorized", "Set the cloud address and an API key in the options first.");
  }
  await deleteJob({ origin: settings.cloudUrl, apiKey: settings.apiKey }, entry.jobId, deps.fetch);
  const undone: RecentSend = { ...entry, undone: true, message: "Undone: the job was removed", jobUrl: undefined };
  await updateRecent(deps.store, at, () => undone);
  return undone;
}

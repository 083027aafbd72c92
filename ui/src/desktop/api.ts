// The desktop app's API: its own commands (local downloads, the Add flow, account, settings)
// over Tauri's `invoke`, and the cloud's typed client (`TseederApi`) carried over the same
// channel, so the key stays in the OS keyring and never enters the web view.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { ApiError, type TseederApi } from "../api/client";
import { HttpApi } from "../api/http";
import type { JobStatus, User } from "../api/types";

export type Remembered = "alwaysCloud" | "alwaysLocal" | "ask";
export type Destination = "cloud" | "local";
export type JobPlace = "cloud" | "thisDevice" | "local";

export interface DesktopSettings {
  cloudUrl: string;
  downloadDir: string;
  syncDir: string;
  defaultDestination: Remembered;
  addWithoutAsking: boolean;
  syncEnabled: boolean;
  deleteCloudAfterSync: boolean;
  downloadLimitKib: number;
  uploadLimitKib: number;
  syncLimitKib: number;
  startAtLogin: boolean;
  personalAgent: boolean;
  notifications: boolean;
}

export interface AppState {
  version: string;
  signedIn: boolean;
  user: User | null;
  deviceId: string | null;
  settings: DesktopSettings;
}

export interface SyncView {
  state: "waiting" | "syncing" | "done" | "failed" | "off";
  receivedBytes: number;
  totalBytes: number;
  error: string | null;
  folder: string | null;
}

export interface DesktopJob {
  key: string;
  id: string;
  place: JobPlace;
  name: string;
  status: JobStatus;
  totalBytes: number | null;
  downloadedBytes: number;
  downloadSpeed: number;
  uploadSpeed: number;
  peers: number;
  etaSeconds: number | null;
  error: string | null;
  createdAt: number;
  sync: SyncView | null;
}

export type Decision =
  { kind: "submit"; destination: Destination } | { kind: "ask"; suggested: Destination; note: string | null };

export interface PendingAdd {
  id: string;
  label: string;
  state: "resolving" | "ready" | "failed";
  name: string | null;
  totalBytes: number | null;
  files: { index: number; path: string; size: number }[];
  decision: Decision;
  error: string | null;
}

export interface AddChoice {
  destination: Destination;
  selectedFiles: number[] | null;
  remember: boolean;
}

export type DesktopEvent =
  | { type: "jobs"; jobs: DesktopJob[] }
  | { type: "pending"; add: PendingAdd }
  | { type: "pendingGone"; id: string }
  | { type: "notify"; title: string; body: string }
  | { type: "state" };

export interface DesktopApi {
  appState(): Promise<AppState>;
  jobs(): Promise<DesktopJob[]>;
  jobAction(key: string, action: "pause" | "resume" | "cancel" | "retry"): Promise<void>;
  deleteJob(key: string, deleteFiles: boolean): Promise<void>;
  pauseAll(): Promise<void>;
  resumeAll(): Promise<void>;
  receiveLink(link: string): Promise<PendingAdd>;
  pendingAdds(): Promise<PendingAdd[]>;
  confirmAdd(id: string, choice: AddChoice): Promise<string>;
  dismissAdd(id: string): Promise<void>;
  signIn(cloudUrl: string, email: string, password: string): Promise<AppState>;
  signInWithKey(cloudUrl: string, key: string): Promise<AppState>;
  signOut(): Promise<AppState>;
  saveSettings(settings: DesktopSettings): Promise<DesktopSettings>;
  setJobSync(key: string, enabled: boolean): Promise<void>;
  openJobFolder(key: string): Promise<void>;
  onEvent(handler: (event: DesktopEvent) => void): () => void;
  /** Why incoming links were refused, including those refused while the window was closed. */
  onRefusedLinks(handler: (reasons: string[]) => void): () => void;
  /** The cloud's API for the signed-in account. */
  cloud: TseederApi;
}

interface CommandError {
  code: ApiError["code"];
  message: string;
}

/** Command failures become `ApiError`s, so screens show them like any API refusal. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    const err = raw as Partial<CommandError>;
    const status = err.code === "unauthorized" || err.code === "signed_out" ? 401 : 400;
    throw new ApiError(status, err.code ?? "error", err.message ?? String(raw));
  }
}

interface RawAnswer {
  status: number;
  body: string;
  retryAfter: string | null;
}

/** A `fetch` for the typed client: every request goes through the `cloud_request` command. */
export const invokeFetch: typeof fetch = async (input, init) => {
  const path = typeof input === "string" ? input : input instanceof URL ? input.pathname + input.search : input.url;
  const body = typeof init?.body === "string" ? init.body : undefined;
  if (init?.body !== undefined && body === undefined) {
    throw new ApiError(400, "unsupported_body", "Uploads go through the Add dialog in the desktop app.");
  }
  const answer = await call<RawAnswer>("cloud_request", { method: init?.method ?? "GET", path, body });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (answer.retryAfter) headers["retry-after"] = answer.retryAfter;
  const empty = answer.status === 204 || answer.status === 304;
  return new Response(empty ? null : answer.body, { status: answer.status, headers });
};

function subscribe<T>(name: string, handler: (payload: T) => void, onListening?: () => void): () => void {
  let unlisten: UnlistenFn | null = null;
  let stopped = false;
  void listen<T>(name, (event) => handler(event.payload)).then((fn) => {
    if (stopped) fn();
    else {
      unlisten = fn;
      onListening?.();
    }
  });
  return () => {
    stopped = true;
    unlisten?.();
  };
}

export class TauriDesktop implements DesktopApi {
  readonly cloud: TseederApi = new HttpApi("", invokeFetch);

  appState = () => call<AppState>("app_state");
  jobs = () => call<DesktopJob[]>("list_jobs");
  jobAction = (key: string, action: string) => call<void>("job_action", { key, action });
  deleteJob = (key: string, deleteFiles: boolean) => call<void>("delete_job", { key, deleteFiles });
  pauseAll = () => call<void>("pause_all");
  resumeAll = () => call<void>("resume_all");
  receiveLink = (link: string) => call<PendingAdd>("receive_link", { link });
  pendingAdds = () => call<PendingAdd[]>("pending_adds");
  confirmAdd = (id: string, choice: AddChoice) => call<string>("confirm_add", { id, choice });
  dismissAdd = (id: string) => call<void>("dismiss_add", { id });
  signIn = (cloudUrl: string, email: string, password: string) =>
    call<AppState>("sign_in", { cloudUrl, email, password });
  signInWithKey = (cloudUrl: string, key: string) => call<AppState>("sign_in_with_key", { cloudUrl, key });
  signOut = () => call<AppState>("sign_out");
  saveSettings = (settings: DesktopSettings) => call<DesktopSettings>("save_settings", { settings });
  setJobSync = (key: string, enabled: boolean) => call<void>("set_job_sync", { key, enabled });
  openJobFolder = (key: string) => call<void>("open_job_folder", { key });
  onEvent = (handler: (event: DesktopEvent) => void) => subscribe<DesktopEvent>("desktop", handler);
  /** Reasons are kept by the app until taken: a link refused while the window was closed is
   * shown when it opens. */
  onRefusedLinks = (handler: (reasons: string[]) => void) => {
    const take = () =>
      void call<string[]>("take_refused_links").then((reasons) => {
        if (reasons.length) handler(reasons);
      });
    return subscribe<null>("link-refused", take, take);
  };
}

// What the user chose in the options page. It lives on this machine only, never in sync storage
// (which would copy the key to other machines); the API key itself is kept where content
// scripts cannot read it (core/secretstore.ts).

import { type Destination, isDestination } from "./deeplink";

export type Mode = "desktop" | "cloud";

export interface Settings {
  /** Hand links to the desktop app (deep links) or straight to the cloud API. */
  mode: Mode;
  /** Destination used when a link is sent without choosing one (clicks, the popup's default). */
  dest: Destination;
  /** Send clicked magnet links to tseeder instead of the browser's default handler. */
  intercept: boolean;
  /** Origin of the cloud API and web console, e.g. `https://tseeder.example.org`. */
  cloudUrl: string;
  /** A `tsk_…` API key; only sent to `cloudUrl`. */
  apiKey: string;
}

export const DEFAULT_SETTINGS: Settings = {
  mode: "desktop",
  dest: "ask",
  intercept: false,
  cloudUrl: "",
  apiKey: "",
};

/** The storage area the settings live in; `chrome.storage.local` in the extension. */
export interface KeyValueStore {
  get(keys: string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

const KEY = "settings";

export async function loadSettings(store: KeyValueStore): Promise<Settings> {
  const raw = (await store.get([KEY]))[KEY];
  return parseSettings(raw);
}

export async function saveSettings(store: KeyValueStore, settings: Settings): Promise<void> {
  await store.set({ [KEY]: parseSettings(settings) });
}

/** Stored settings, with anything missing or malformed replaced by its default. */
export function parseSettings(raw: unknown): Settings {
  const value = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    mode: value.mode === "cloud" ? "cloud" : "desktop",
    dest: isDestination(value.dest) ? value.dest : DEFAULT_SETTINGS.dest,
    intercept: value.intercept === true,
    cloudUrl: typeof value.cloudUrl === "string" ? value.cloudUrl : "",
    apiKey: typeof value.apiKey === "string" ? value.apiKey : "",
  };
}

/**
 * The origin of a cloud URL the user typed, or an error message. Plain http is accepted only
 * for this machine: an API key must not cross a network unencrypted.
 */
export function normalizeCloudUrl(input: string): { origin: string } | { error: string } {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { error: "Enter the address of your tseeder cloud, e.g. https://tseeder.example.org" };
  }
  if (url.username || url.password) {
    return { error: "The address must not contain a user name or password." };
  }
  if (url.protocol === "https:") {
    return { origin: url.origin };
  }
  if (url.protocol === "http:" && isLoopback(url.hostname)) {
    return { origin: url.origin };
  }
  if (url.protocol === "http:") {
    return { error: "Use https:// (plain http is only allowed for 127.0.0.1 and localhost)." };
  }
  return { error: "The address must start with https://" };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The match pattern of the one origin the extension asks host permission for. */
export function originPattern(origin: string): string {
  return `${origin}/*`;
}

// The popup's "recent sends": what was sent, where, and how it went, newest first.

import type { Destination } from "./deeplink";
import type { Mode } from "./settings";
import type { KeyValueStore } from "./settings";

export const MAX_RECENT = 20;

export interface RecentSend {
  link: string;
  name: string;
  mode: Mode;
  dest: Destination;
  /** Milliseconds since the epoch. */
  at: number;
  ok: boolean;
  /** What happened, in words: "Opened in the desktop app", "Queued in the cloud", the error. */
  message: string;
  /** The job in the web console, for cloud sends that worked. */
  jobUrl?: string;
  /** The cloud job's id, so the send can be undone. */
  jobId?: string;
  /** The job was taken back by the user. */
  undone?: boolean;
}

/** Replaces the entry sent at `at` (sends are told apart by their time). */
export async function updateRecent(store: KeyValueStore, at: number, change: (entry: RecentSend) => RecentSend) {
  const recent = (await loadRecent(store)).map((entry) => (entry.at === at ? change(entry) : entry));
  await store.set({ [KEY]: recent });
}

const KEY = "recent";

export async function loadRecent(store: KeyValueStore): Promise<RecentSend[]> {
  const raw = (await store.get([KEY]))[KEY];
  return Array.isArray(raw) ? (raw as RecentSend[]).slice(0, MAX_RECENT) : [];
}

export async function remember(store: KeyValueStore, entry: RecentSend): Promise<RecentSend[]> {
  const recent = [entry, ...(await loadRecent(store))].slice(0, MAX_RECENT);
  await store.set({ [KEY]: recent });
  return recent;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function timeAgo(at: number, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 45) {
    return "just now";
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.round(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  return `${Math.round(hours / 24)} d ago`;
}

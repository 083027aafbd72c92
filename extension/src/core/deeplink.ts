// The `tseeder://add` links that hand a link to the desktop app, in the format docs/deep-links.md
// defines; the app refuses anything else, so the extension builds nothing else.

import { classifyLink } from "./links";

export const DESTINATIONS = ["cloud", "local", "ask"] as const;
export type Destination = (typeof DESTINATIONS)[number];

export function isDestination(value: unknown): value is Destination {
  return typeof value === "string" && (DESTINATIONS as readonly string[]).includes(value);
}

/** `tseeder://add?uri=…&dest=…` for a checked link; throws for anything the app would refuse. */
export function buildDeepLink(link: string, dest: Destination): string {
  if (!classifyLink(link)) {
    throw new Error("only magnet links and .torrent URLs can be sent to tseeder");
  }
  if (!isDestination(dest)) {
    throw new Error(`unknown destination: ${String(dest)}`);
  }
  return `tseeder://add?uri=${encodeURIComponent(link)}&dest=${dest}`;
}

// Messages between the extension's parts. Content scripts run inside web pages, so whatever they
// send is untrusted: each message is checked field by field before the background acts on it.

import { type Destination, isDestination } from "./deeplink";
import { classifyLink, findLinks, MAX_LINKS_PER_PAGE } from "./links";

/** From a content script: the usable links on its page (sent on load and when the page changes). */
export interface PageLinks {
  type: "page-links";
  links: string[];
}

/** From a content script: the user clicked a magnet link while interception is on. */
export interface InterceptedClick {
  type: "intercepted";
  link: string;
}

/** From the popup: send a link now. */
export interface SendLink {
  type: "send";
  link: string;
  dest: Destination;
}

/** From the popup: the links the background knows for a tab. */
export interface TabLinksQuery {
  type: "tab-links";
  tabId: number;
}

export type ContentMessage = PageLinks | InterceptedClick;
export interface UndoSend {
  type: "undo";
  /** The send's time, which tells it apart. */
  at: number;
}

export type PopupMessage = SendLink | TabLinksQuery | UndoSend;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A content script's message, or null when it is anything else. */
export function parseContentMessage(raw: unknown): ContentMessage | null {
  if (!isRecord(raw)) {
    return null;
  }
  if (raw.type === "page-links" && Array.isArray(raw.links)) {
    if (raw.links.length > MAX_LINKS_PER_PAGE) {
      return null;
    }
    // Keep only what is usable; a page cannot smuggle anything else through.
    return { type: "page-links", links: findLinks(raw.links) };
  }
  if (raw.type === "intercepted" && classifyLink(raw.link) === "magnet") {
    return { type: "intercepted", link: raw.link as string };
  }
  return null;
}

/** A message from the extension's own pages, or null when it is anything else. */
export function parsePopupMessage(raw: unknown): PopupMessage | null {
  if (!isRecord(raw)) {
    return null;
  }
  if (raw.type === "send" && classifyLink(raw.link) && isDestination(raw.dest)) {
    return { type: "send", link: raw.link as string, dest: raw.dest };
  }
  if (raw.type === "tab-links" && Number.isSafeInteger(raw.tabId) && (raw.tabId as number) >= 0) {
    return { type: "tab-links", tabId: raw.tabId as number };
  }
  if (raw.type === "undo" && Number.isSafeInteger(raw.at) && (raw.at as number) > 0) {
    return { type: "undo", at: raw.at as number };
  }
  return null;
}

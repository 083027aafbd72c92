// The extension's background: the context menu, the toolbar badge, and the one place links are
// sent from. It is a thin adapter from browser events to core/send.ts.

import type { Destination } from "./core/deeplink";
import { loadRecent, type RecentSend } from "./core/history";
import { parseContentMessage, parsePopupMessage } from "./core/messages";
import { sendLink, type SendDeps, undoSend } from "./core/send";
import { loadSettings, originPattern } from "./core/settings";
import { extensionStore } from "./core/secretstore";

const settingsStore = extensionStore();

const MENU_ROOT = "send";
const MENU_DESTINATIONS: Record<string, Destination> = {
  "send-cloud": "cloud",
  "send-local": "local",
  "send-ask": "ask",
};
// Magnets and links to .torrent files (with or without a query string).
const LINK_PATTERNS = ["magnet:*", "*://*/*.torrent", "*://*/*.torrent?*"];

const deps: SendDeps = {
  store: settingsStore,
  openDeepLink: (url) => openDeepLink(url, undefined),
  hasOriginPermission: (origin) => chrome.permissions.contains({ origins: [originPattern(origin)] }),
  fetch: (input, init) => fetch(input, init),
  now: () => Date.now(),
};

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({
      id: MENU_ROOT,
      title: "Send to tseeder",
      contexts: ["link"],
      targetUrlPatterns: LINK_PATTERNS,
    });
    const titles: Record<string, string> = {
      "send-cloud": "Cloud",
      "send-local": "This computer",
      "send-ask": "Ask",
    };
    for (const [id, title] of Object.entries(titles)) {
      chrome.contextMenus.create({
        id,
        parentId: MENU_ROOT,
        title,
        contexts: ["link"],
        targetUrlPatterns: LINK_PATTERNS,
      });
    }
  });
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  const dest = MENU_DESTINATIONS[String(info.menuItemId)];
  if (!dest || !info.linkUrl) {
    return;
  }
  void sendFromPage(info.linkUrl, dest, tab?.id);
});

chrome.runtime.onMessage.addListener((raw, sender, reply) => {
  if (sender.id !== chrome.runtime.id) {
    return false;
  }
  const fromExtensionPage = (sender.url ?? "").startsWith(chrome.runtime.getURL(""));
  if (fromExtensionPage) {
    const message = parsePopupMessage(raw);
    if (message?.type === "send") {
      void sendLink(deps, message.link, message.dest).then(reply);
      return true;
    }
    if (message?.type === "tab-links") {
      void tabLinks(message.tabId).then(reply);
      return true;
    }
    if (message?.type === "undo") {
      void undoSend(deps, message.at).then(
        (entry) => reply(entry),
        (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
      );
      return true;
    }
    return false;
  }
  const tabId = sender.tab?.id;
  const message = parseContentMessage(raw);
  if (tabId === undefined || !message) {
    return false;
  }
  if (message.type === "page-links") {
    void rememberTabLinks(tabId, message.links)
      .then(() => loadSettings(deps.store))
      .then((settings) => reply({ intercept: settings.intercept }));
    return true;
  }
  void sendFromPage(message.link, "default", tabId);
  return false;
});

chrome.tabs.onRemoved.addListener((tabId) => {
  void chrome.storage.session.remove(linksKey(tabId));
});

chrome.notifications.onClicked.addListener((id) => {
  void chrome.storage.session.get(notificationKey(id)).then((items) => {
    const url = items[notificationKey(id)];
    if (typeof url === "string") {
      void chrome.tabs.create({ url });
    }
    void chrome.notifications.clear(id);
  });
});

/** A send started on a page (menu, intercepted click): the result comes back as a notification. */
async function sendFromPage(link: string, dest: Destination | "default", tabId: number | undefined) {
  const result = await sendLink({ ...deps, openDeepLink: (url) => openDeepLink(url, tabId) }, link, dest);
  if (result.mode === "cloud" || !result.ok) {
    await notify(result);
  }
}

async function notify(result: RecentSend) {
  const undoable = result.ok && result.mode === "cloud" && result.jobId !== undefined;
  const id = await chrome.notifications.create({
    type: "basic",
    iconUrl: chrome.runtime.getURL("icons/icon-128.png"),
    title: result.ok ? result.message : "tseeder could not take the link",
    message: result.ok ? result.name : result.message,
    ...(undoable ? { buttons: [{ title: "Undo" }], requireInteraction: true } : {}),
  });
  if (result.jobUrl) {
    await chrome.storage.session.set({ [notificationKey(id)]: result.jobUrl });
  }
  if (undoable) {
    await chrome.storage.session.set({ [undoKey(id)]: result.at });
  }
}

chrome.notifications.onButtonClicked.addListener((id) => {
  void chrome.storage.session.get(undoKey(id)).then(async (items) => {
    const at = items[undoKey(id)];
    if (typeof at !== "number") {
      return;
    }
    const failure = await undoSend(deps, at).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    await chrome.notifications.clear(id);
    const sent = (await loadRecent(deps.store)).find((entry) => entry.at === at);
    if (failure && sent) {
      await notify({ ...sent, ok: false, message: failure });
    }
  });
});

function undoKey(id: string): string {
  return `undo:${id}`;
}

/**
 * Hands a `tseeder://` URL to the operating system by pointing a tab at it: the browser passes
 * external schemes on without leaving the page, so nothing changes in the tab. Only when there
 * is no tab at all is one opened for the purpose and closed again, so no empty tab stays behind.
 */
async function openDeepLink(url: string, tabId: number | undefined): Promise<void> {
  const target = tabId ?? (await chrome.tabs.query({ active: true, lastFocusedWindow: true }))[0]?.id ?? undefined;
  if (target !== undefined) {
    await chrome.tabs.update(target, { url });
    return;
  }
  const helper = await chrome.tabs.create({ url, active: false });
  if (helper.id !== undefined) {
    const id = helper.id;
    setTimeout(() => void chrome.tabs.remove(id).catch(() => undefined), 3000);
  }
}

function linksKey(tabId: number): string {
  return `links:${tabId}`;
}

function notificationKey(id: string): string {
  return `notification:${id}`;
}

async function rememberTabLinks(tabId: number, links: string[]) {
  await chrome.storage.session.set({ [linksKey(tabId)]: links });
  await chrome.action.setBadgeText({ tabId, text: links.length ? String(Math.min(links.length, 999)) : "" });
  await chrome.action.setBadgeBackgroundColor({ tabId, color: "#2563eb" });
}

async function tabLinks(tabId: number): Promise<string[]> {
  const items = await chrome.storage.session.get(linksKey(tabId));
  const links = items[linksKey(tabId)];
  return Array.isArray(links) ? (links as string[]) : [];
}

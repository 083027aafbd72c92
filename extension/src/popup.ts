// The toolbar popup: paste a link and send it, send one of the page's links, see recent sends.

import { type Destination, isDestination } from "./core/deeplink";
import { loadRecent, type RecentSend, timeAgo } from "./core/history";
import { classifyLink, displayName } from "./core/links";
import { loadSettings } from "./core/settings";
import { extensionStore } from "./core/secretstore";

const settingsStore = extensionStore();

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const form = byId<HTMLFormElement>("send-form");
const linkInput = byId<HTMLInputElement>("link");
const destSelect = byId<HTMLSelectElement>("dest");
const result = byId<HTMLParagraphElement>("result");

async function send(link: string, dest: Destination): Promise<RecentSend> {
  return (await chrome.runtime.sendMessage({ type: "send", link, dest })) as RecentSend;
}

function showResult(outcome: RecentSend) {
  result.className = outcome.ok ? "ok" : "bad";
  result.replaceChildren(outcome.ok ? `${outcome.message}: ${outcome.name}` : outcome.message);
  if (outcome.jobUrl) {
    result.append(" ", jobLink(outcome.jobUrl));
  }
}

function jobLink(url: string): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener";
  a.textContent = "Open job";
  return a;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const link = linkInput.value.trim();
  if (!classifyLink(link)) {
    result.className = "bad";
    result.textContent = "That is not a magnet link or a .torrent URL.";
    linkInput.focus();
    return;
  }
  const dest = isDestination(destSelect.value) ? destSelect.value : "ask";
  const button = byId<HTMLButtonElement>("send");
  button.disabled = true;
  result.className = "";
  result.textContent = "Sending…";
  void send(link, dest)
    .then((outcome) => {
      showResult(outcome);
      if (outcome.ok) {
        linkInput.value = "";
      }
      return renderRecent();
    })
    .finally(() => {
      button.disabled = false;
    });
});

async function renderPageLinks() {
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  const links: string[] =
    tab?.id !== undefined ? ((await chrome.runtime.sendMessage({ type: "tab-links", tabId: tab.id })) ?? []) : [];
  const list = byId<HTMLUListElement>("page-links");
  list.replaceChildren(
    ...links.map((link) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = displayName(link);
      name.title = link;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Send";
      button.setAttribute("aria-label", `Send ${displayName(link)}`);
      button.addEventListener("click", () => {
        button.disabled = true;
        const dest = isDestination(destSelect.value) ? destSelect.value : "ask";
        void send(link, dest)
          .then((outcome) => {
            showResult(outcome);
            return renderRecent();
          })
          .finally(() => {
            button.disabled = false;
          });
      });
      item.append(name, button);
      return item;
    }),
  );
  byId("page-count").textContent = links.length ? String(links.length) : "";
  byId("page-empty").hidden = links.length > 0;
}

async function renderRecent() {
  const recent = await loadRecent(settingsStore);
  const list = byId<HTMLUListElement>("recent");
  list.replaceChildren(
    ...recent.map((entry) => {
      const item = document.createElement("li");
      item.className = entry.ok ? "ok" : "bad";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = entry.name;
      name.title = entry.link;
      const when = document.createElement("time");
      when.dateTime = new Date(entry.at).toISOString();
      when.textContent = timeAgo(entry.at);
      const outcome = document.createElement("span");
      outcome.className = "outcome";
      outcome.textContent = entry.message;
      if (entry.jobUrl) {
        outcome.append(" ", jobLink(entry.jobUrl));
      }
      item.append(name, when, outcome);
      if (entry.ok && entry.mode === "cloud" && entry.jobId && !entry.undone) {
        const undo = document.createElement("button");
        undo.type = "button";
        undo.className = "undo";
        undo.textContent = "Undo";
        undo.title = "Remove this job from the cloud";
        undo.addEventListener("click", () => {
          undo.disabled = true;
          void chrome.runtime.sendMessage({ type: "undo", at: entry.at }).then((answer: unknown) => {
            const error = (answer as { error?: unknown } | null)?.error;
            if (typeof error === "string") {
              outcome.textContent = error;
              undo.disabled = false;
              return;
            }
            return renderRecent();
          });
        });
        item.append(undo);
      }
      return item;
    }),
  );
  byId("recent-empty").hidden = recent.length > 0;
}

async function init() {
  const settings = await loadSettings(settingsStore);
  destSelect.value = settings.dest;
  byId("mode").textContent =
    settings.mode === "cloud"
      ? `→ cloud ${settings.cloudUrl ? new URL(settings.cloudUrl).host : "(not set up)"}`
      : "→ desktop app";
  byId<HTMLAnchorElement>("open-options").addEventListener("click", (event) => {
    event.preventDefault();
    void chrome.runtime.openOptionsPage();
  });
  await Promise.all([renderPageLinks(), renderRecent()]);
}

void init();

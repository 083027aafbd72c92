// The options page: desktop or cloud mode, the cloud's address and API key (checked before it is
// kept, and the browser asked for access to that one origin), default destination, interception.

import { CloudError, whoAmI } from "./core/api";
import { isDestination } from "./core/deeplink";
import { loadSettings, normalizeCloudUrl, originPattern, saveSettings, type Settings } from "./core/settings";
import { extensionStore } from "./core/secretstore";

const settingsStore = extensionStore();

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const form = byId<HTMLFormElement>("options-form");
const urlInput = byId<HTMLInputElement>("cloud-url");
const keyInput = byId<HTMLInputElement>("api-key");
const destSelect = byId<HTMLSelectElement>("dest");
const intercept = byId<HTMLInputElement>("intercept");
const status = byId<HTMLParagraphElement>("status");

function selectedMode(): Settings["mode"] {
  return (form.querySelector<HTMLInputElement>("input[name=mode]:checked")?.value ?? "desktop") === "cloud"
    ? "cloud"
    : "desktop";
}

function showCloudFields() {
  byId<HTMLFieldSetElement>("cloud-fields").disabled = selectedMode() !== "cloud";
}

function say(text: string, ok: boolean) {
  status.className = ok ? "ok" : "bad";
  status.textContent = text;
}

form.addEventListener("change", showCloudFields);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const mode = selectedMode();
  const next: Settings = {
    mode,
    dest: isDestination(destSelect.value) ? destSelect.value : "ask",
    intercept: intercept.checked,
    cloudUrl: "",
    apiKey: keyInput.value.trim(),
  };
  if (mode === "desktop") {
    void loadSettings(settingsStore).then((current) =>
      saveSettings(settingsStore, { ...next, cloudUrl: current.cloudUrl, apiKey: current.apiKey }).then(() =>
        say("Saved. Links go to the tseeder desktop app.", true),
      ),
    );
    return;
  }
  const url = normalizeCloudUrl(urlInput.value);
  if ("error" in url) {
    say(url.error, false);
    urlInput.focus();
    return;
  }
  if (!/^tsk_[A-Za-z0-9_-]{8,}$/.test(next.apiKey)) {
    say("Paste an API key: it starts with tsk_.", false);
    keyInput.focus();
    return;
  }
  next.cloudUrl = url.origin;
  // Asked straight from the click: browsers only show the prompt during a user gesture.
  void chrome.permissions.request({ origins: [originPattern(url.origin)] }).then(async (granted) => {
    if (!granted) {
      say(`Without access to ${url.origin} the extension cannot send links there.`, false);
      return;
    }
    say("Checking the key…", true);
    try {
      const email = await whoAmI({ origin: url.origin, apiKey: next.apiKey });
      const previous = await loadSettings(settingsStore);
      await saveSettings(settingsStore, next);
      if (previous.cloudUrl && previous.cloudUrl !== url.origin) {
        await chrome.permissions.remove({ origins: [originPattern(previous.cloudUrl)] }).catch(() => false);
      }
      say(`Saved. Signed in as ${email}.`, true);
    } catch (error) {
      say(error instanceof CloudError || error instanceof Error ? error.message : String(error), false);
    }
  });
});

async function init() {
  const settings = await loadSettings(settingsStore);
  const radio = form.querySelector<HTMLInputElement>(`input[name=mode][value=${settings.mode}]`);
  if (radio) {
    radio.checked = true;
  }
  urlInput.value = settings.cloudUrl;
  keyInput.value = settings.apiKey;
  destSelect.value = settings.dest;
  intercept.checked = settings.intercept;
  showCloudFields();
}

void init();

// Debian's Firefox ESR with the extension installed as a temporary add-on, driven over WebDriver
// BiDi, which Firefox serves itself (no geckodriver). Extension code runs in one of the
// extension's own pages, kept open in a background tab; navigations are BiDi events.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import WebSocket from "ws";
import { freePort } from "../support.mjs";
import { clickTarget, Tab } from "./tab.mjs";

const EXTENSION_DIR = resolve("dist/firefox");
const SCREENSHOTS = resolve("test-results/screenshots");
const ADDON_ID = "extension@tseeder.app";
// Fixed so the extension's pages have a known address.
const ADDON_UUID = "0b8f6c1e-6c3c-4d1a-9a54-3c1d2b9a7e11";

/** A profile for a test run: no first-run pages or telemetry; the extension at a fixed address;
 * optional host permissions granted as the user's "Allow" would (the prompt cannot be clicked by
 * automation); `tseeder:` links go to the installed desktop app, here `true`, without asking. */
const PREFS = {
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "browser.aboutwelcome.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "app.update.disabledForTesting": true,
  "extensions.webextensions.uuids": JSON.stringify({ [ADDON_ID]: ADDON_UUID }),
  "extensions.webextOptionalPermissionPrompts": false,
  "network.protocol-handler.external.tseeder": true,
  "network.protocol-handler.warn-external.tseeder": false,
  "security.external_protocol_requires_permission": false,
};

const HANDLERS = {
  defaultHandlersVersion: {},
  mimeTypes: {},
  schemes: { tseeder: { action: 2, ask: false, handlers: [{ name: "tseeder", path: "/bin/true" }] } },
  isDownloadsImprovementsAlreadyMigrated: true,
};

class Bidi {
  constructor(socket) {
    this.socket = socket;
    this.next = 0;
    this.pending = new Map();
    this.handlers = new Set();
    socket.on("message", (data) => {
      const message = JSON.parse(data);
      if (message.type === "event") {
        for (const handler of this.handlers) handler(message);
        return;
      }
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.type === "error") waiter.fail(new Error(`${waiter.method}: ${message.error}: ${message.message}`));
      else waiter.done(message.result);
    });
  }

  send(method, params = {}) {
    const id = ++this.next;
    return new Promise((done, fail) => {
      this.pending.set(id, { done, fail, method });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }
}

/** Runs `fn(arg)` in a browsing context; arguments and results cross as JSON. */
async function call(bidi, context, fn, arg) {
  const result = await bidi.send("script.callFunction", {
    functionDeclaration: `async (json) => JSON.stringify(await (${fn})(JSON.parse(json)))`,
    arguments: [{ type: "string", value: JSON.stringify(arg ?? null) }],
    target: { context },
    awaitPromise: true,
  });
  if (result.type === "exception") throw new Error(`in the page: ${result.exceptionDetails.text}`);
  return result.result.type === "string" ? JSON.parse(result.result.value) : undefined;
}

class FirefoxTab extends Tab {
  constructor(bidi, context) {
    super();
    this.bidi = bidi;
    this.context = context;
  }

  goto(url) {
    return this.bidi.send("browsingContext.navigate", { context: this.context, url, wait: "complete" });
  }

  front() {
    return this.bidi.send("browsingContext.activate", { context: this.context });
  }

  evaluate(fn, arg) {
    return call(this.bidi, this.context, fn, arg);
  }

  async clickTrusted(target) {
    const found = await this.bidi.send("script.callFunction", {
      functionDeclaration: String(clickTarget),
      arguments: [
        {
          type: "object",
          value: Object.entries(target)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, { type: "string", value: v }]),
        },
      ],
      target: { context: this.context },
      awaitPromise: false,
    });
    if (found.type === "exception" || found.result.type !== "node")
      throw new Error(`nothing to click at ${target.css}`);
    await this.bidi.send("input.performActions", {
      context: this.context,
      actions: [
        {
          type: "pointer",
          id: "mouse",
          parameters: { pointerType: "mouse" },
          actions: [
            {
              type: "pointerMove",
              x: 0,
              y: 0,
              origin: { type: "element", element: { sharedId: found.result.sharedId } },
            },
            { type: "pointerDown", button: 0 },
            { type: "pointerUp", button: 0 },
          ],
        },
      ],
    });
    await this.bidi.send("input.releaseActions", { context: this.context });
  }

  async screenshot(name) {
    const { data } = await this.bidi.send("browsingContext.captureScreenshot", {
      context: this.context,
      origin: "document",
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, `firefox-${name}.png`), Buffer.from(data, "base64"));
  }

  close() {
    return this.bidi.send("browsingContext.close", { context: this.context });
  }
}

/** Firefox ESR with the extension; host permissions the options page asks for are granted. */
export async function launchFirefox() {
  if (!existsSync(join(EXTENSION_DIR, "manifest.json"))) throw new Error("build the extension first: npm run build");
  const profile = mkdtempSync(join(tmpdir(), "tseeder-ext-firefox-"));
  const prefs = Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`);
  writeFileSync(join(profile, "user.js"), `${prefs.join("\n")}\n`);
  writeFileSync(join(profile, "handlers.json"), JSON.stringify(HANDLERS));
  const port = await freePort();
  const child = spawn(
    process.env.FIREFOX_PATH ?? "firefox-esr",
    // System access lets automation open the extension's own pages, as a person can from the
    // add-ons manager.
    [
      "--headless",
      "--no-remote",
      "--profile",
      profile,
      `--remote-debugging-port=${port}`,
      "--remote-allow-system-access",
      "about:blank",
    ],
    { env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: "1" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let output = "";
  await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`Firefox did not start:\n${output}`)), 60_000);
    child.stderr.on("data", (chunk) => {
      output += chunk;
      if (output.includes("WebDriver BiDi listening")) {
        clearTimeout(timer);
        done();
      }
    });
    child.once("exit", (code) => fail(new Error(`Firefox exited (${code}):\n${output}`)));
  });
  child.stderr.resume();
  const socket = new WebSocket(`ws://127.0.0.1:${port}/session`);
  await new Promise((done, fail) => {
    socket.once("open", done);
    socket.once("error", fail);
  });
  const bidi = new Bidi(socket);
  await bidi.send("session.new", { capabilities: {} });
  await bidi.send("webExtension.install", { extensionData: { type: "path", path: EXTENSION_DIR } });
  const tabs = new Map();
  await bidi.send("session.subscribe", { events: ["browsingContext.navigationStarted"] });
  bidi.handlers.add((event) => {
    if (event.method === "browsingContext.navigationStarted")
      tabs.get(event.params.context)?.navigations.push(event.params.url);
  });
  const extensionUrl = (path) => `moz-extension://${ADDON_UUID}/${path}`;

  async function newTab(url, { background = false } = {}) {
    const { context } = await bidi.send("browsingContext.create", { type: "tab", background });
    const tab = new FirefoxTab(bidi, context);
    tabs.set(context, tab);
    if (url) await tab.goto(url);
    return tab;
  }

  const extensionPage = await newTab(extensionUrl("options.html"), { background: true });
  return {
    name: "firefox",
    extensionUrl,
    /** Runs `fn(arg)` in an extension page, where the extension's APIs are. */
    ext: (fn, arg) => extensionPage.evaluate(fn, arg),
    newTab: (url) => newTab(url),
    async tabCount() {
      const { contexts } = await bidi.send("browsingContext.getTree", { maxDepth: 0 });
      return contexts.length;
    },
    async close() {
      await bidi.send("browser.close").catch(() => {});
      socket.close();
      if (child.exitCode === null) await new Promise((done) => child.once("exit", done));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

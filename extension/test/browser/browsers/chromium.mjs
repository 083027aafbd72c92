// Debian's Chromium with the unpacked extension, driven by Playwright; extension code runs in its
// service worker, navigations are watched through the DevTools protocol.

import { chromium } from "playwright-core";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Tab } from "./tab.mjs";

const EXTENSION_DIR = resolve("dist/chromium");
const SCREENSHOTS = resolve("test-results/screenshots");

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
];

class ChromiumTab extends Tab {
  constructor(page) {
    super();
    this.page = page;
  }

  async watch(context) {
    const cdp = await context.newCDPSession(this.page);
    await cdp.send("Page.enable");
    cdp.on("Page.frameStartedNavigating", (event) => this.navigations.push(event.url));
  }

  goto(url) {
    return this.page.goto(url);
  }

  front() {
    return this.page.bringToFront();
  }

  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  async clickTrusted({ css, hasText, inner }) {
    let target = this.page.locator(css, hasText ? { hasText } : {}).first();
    if (inner) target = target.locator(inner);
    await target.click();
  }

  async screenshot(name) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  close() {
    return this.page.close();
  }
}

async function start(profile) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [...FLAGS, `--disable-extensions-except=${EXTENSION_DIR}`, `--load-extension=${EXTENSION_DIR}`],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 30_000 }));
  return { context, worker, extensionId: new URL(worker.url()).host };
}

/**
 * Chromium with the extension. `allowOrigin`: the user has allowed the extension to reach that
 * origin. Automation cannot click Chromium's permission prompt, so the grant the prompt would
 * record is written into the profile before a second start; the options page still asks (and
 * gets an immediate yes).
 */
export async function launchChromium({ allowOrigin } = {}) {
  if (!existsSync(join(EXTENSION_DIR, "manifest.json"))) throw new Error("build the extension first: npm run build");
  const profile = mkdtempSync(join(tmpdir(), "tseeder-ext-chromium-"));
  let started = await start(profile);
  if (allowOrigin) {
    await started.context.close();
    const prefsPath = join(profile, "Default", "Preferences");
    const prefs = JSON.parse(readFileSync(prefsPath, "utf8"));
    const settings = prefs.extensions.settings[started.extensionId];
    for (const set of ["granted_permissions", "active_permissions"]) {
      settings[set].explicit_host = [...(settings[set].explicit_host ?? []), `${allowOrigin}/*`];
    }
    writeFileSync(prefsPath, JSON.stringify(prefs));
    started = await start(profile);
  }
  const { context, worker, extensionId } = started;
  return {
    name: "chromium",
    extensionUrl: (path) => `chrome-extension://${extensionId}/${path}`,
    /** Runs `fn(arg)` where the extension's own code runs (its service worker). */
    ext: (fn, arg) => worker.evaluate(fn, arg),
    async newTab(url) {
      const tab = new ChromiumTab(await context.newPage());
      await tab.watch(context);
      if (url) await tab.goto(url);
      return tab;
    },
    tabCount: async () => context.pages().length,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

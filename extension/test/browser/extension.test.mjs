// The built extension in Debian's Chromium: the badge counts a page's links, desktop mode hands
// links over as exactly one `tseeder://` navigation, and cloud mode creates the job in a real
// tseeder-cloud for the API key's user, with refused keys explained.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createApiKey,
  eventually,
  launchWithExtension,
  MAGNET_A,
  MAGNET_B,
  MAGNET_C,
  screenshot,
  startCloud,
  startPageServer,
} from "./support.mjs";

/** Records every navigation a page starts, including ones to external schemes that never load. */
async function watchNavigations(context, page) {
  const seen = [];
  const cdp = await context.newCDPSession(page);
  await cdp.send("Page.enable");
  cdp.on("Page.frameStartedNavigating", (event) => seen.push(event.url));
  return seen;
}

async function activeTabBadge(worker) {
  return worker.evaluate(async () => {
    const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
    return chrome.action.getBadgeText({ tabId: tab.id });
  });
}

async function setSettings(worker, settings) {
  await worker.evaluate((s) => chrome.storage.local.set({ settings: s }), settings);
}

async function recentSends(worker) {
  return worker.evaluate(async () => (await chrome.storage.local.get("recent")).recent ?? []);
}

const deepLink = (link, dest) => `tseeder://add?uri=${encodeURIComponent(link)}&dest=${dest}`;

describe("desktop mode", () => {
  let site;
  let browser;

  before(async () => {
    site = await startPageServer();
    browser = await launchWithExtension();
  });

  after(async () => {
    await browser?.close();
    site?.server.close();
  });

  it("counts the page's magnet and .torrent links on the badge, and follows changes", async () => {
    const page = await browser.context.newPage();
    await page.goto(site.url);
    await page.bringToFront();
    // Two distinct magnets (one listed twice) and one .torrent; the broken magnet and others do not count.
    await eventually("the badge to count 3", async () => (await activeTabBadge(browser.worker)) === "3");
    await screenshot(page, "test-page");
    await page.evaluate((link) => {
      const a = document.createElement("a");
      a.href = link;
      a.textContent = "added later";
      document.getElementById("list").append(a);
    }, MAGNET_C);
    await eventually("the badge to count 4", async () => (await activeTabBadge(browser.worker)) === "4");
    const tabId = await browser.worker.evaluate(
      async () => (await chrome.tabs.query({ active: true, lastFocusedWindow: true }))[0].id,
    );
    const popup = await browser.context.newPage();
    await popup.goto(browser.page("popup.html"));
    const links = await popup.evaluate((id) => chrome.runtime.sendMessage({ type: "tab-links", tabId: id }), tabId);
    assert.deepEqual(links, [MAGNET_A, MAGNET_B, `${site.url}files/bunny.torrent`, MAGNET_C]);
    await popup.close();
    await page.close();
  });

  /** The test site in a new front tab, its navigations watched, once the content script has reported. */
  async function openTestPage() {
    const page = await browser.context.newPage();
    const navigations = await watchNavigations(browser.context, page);
    await page.goto(site.url);
    await page.bringToFront();
    await eventually("the content script", async () => (await activeTabBadge(browser.worker)) === "3");
    return { page, navigations };
  }

  it("hands a clicked magnet to the app as exactly one tseeder:// navigation and leaves the page alone", async () => {
    await setSettings(browser.worker, { mode: "desktop", dest: "local", intercept: true });
    const { page, navigations } = await openTestPage();
    const tabsBefore = browser.context.pages().length;
    await page.click("#b");
    const expected = deepLink(MAGNET_B, "local");
    await eventually("the deep link", () => navigations.includes(expected));
    await new Promise((r) => setTimeout(r, 1000));
    const external = navigations.filter((url) => !url.startsWith("http"));
    assert.deepEqual(external, [expected], "one navigation, to the deep link, and no magnet: navigation");
    assert.equal(page.url(), site.url, "the page stays where it was");
    assert.equal(browser.context.pages().length, tabsBefore, "no tab was opened");
    const [last] = await recentSends(browser.worker);
    assert.equal(last.ok, true);
    assert.equal(last.name, "Big Buck Bunny");
    await page.close();
  });

  it("ignores clicks a page makes itself: only the user's own click is intercepted", async () => {
    await setSettings(browser.worker, { mode: "desktop", dest: "cloud", intercept: true });
    const { page, navigations } = await openTestPage();
    const sendsBefore = (await recentSends(browser.worker)).length;
    // The page's own script clicks the link, as a hostile page would to send it unasked.
    await page.evaluate(() => {
      document.getElementById("a").click();
      document.getElementById("a").dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, button: 0 }));
    });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(navigations.filter((url) => url.startsWith("tseeder:")).length, 0, "no deep link");
    assert.equal((await recentSends(browser.worker)).length, sendsBefore, "nothing was sent");
    await page.close();
  });

  it("leaves magnet clicks to the browser while interception is off", async () => {
    await setSettings(browser.worker, { mode: "desktop", dest: "ask", intercept: false });
    const { page, navigations } = await openTestPage();
    const sendsBefore = (await recentSends(browser.worker)).length;
    await page.click("#a");
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(navigations.filter((url) => url.startsWith("tseeder:")).length, 0);
    assert.ok(navigations.some((url) => url.startsWith("magnet:")), "the browser handled the click itself");
    assert.equal((await recentSends(browser.worker)).length, sendsBefore);
    await page.close();
  });

  it("sends a pasted link from the popup with the chosen destination", async () => {
    await setSettings(browser.worker, { mode: "desktop", dest: "ask", intercept: false });
    const popup = await browser.context.newPage();
    const navigations = await watchNavigations(browser.context, popup);
    await popup.goto(browser.page("popup.html"));
    await popup.bringToFront();
    await popup.fill("#link", "not a link");
    await popup.click("#send");
    await popup.getByText("That is not a magnet link or a .torrent URL.").waitFor();
    await popup.fill("#link", MAGNET_A);
    await popup.selectOption("#dest", "cloud");
    await popup.click("#send");
    await popup.getByText("Handed to the tseeder app: Debian 13 netinst").waitFor();
    await eventually("the deep link", () => navigations.includes(deepLink(MAGNET_A, "cloud")));
    assert.equal(navigations.filter((url) => url.startsWith("tseeder:")).length, 1);
    await popup.locator("#recent li").first().waitFor();
    await screenshot(popup, "popup-desktop");
    await popup.close();
  });
});

describe("cloud mode", () => {
  let cloud;
  let browser;
  let apiKey;

  before(async () => {
    cloud = await startCloud();
    apiKey = await createApiKey(cloud);
    browser = await launchWithOriginAllowed(cloud.base);
  });

  after(async () => {
    await browser?.close();
    await cloud?.stop();
  });

  it("refuses a bad key with the reason and keeps nothing", async () => {
    const options = await browser.context.newPage();
    await options.goto(browser.page("options.html"));
    await options.check("input[name=mode][value=cloud]");
    await options.fill("#cloud-url", cloud.base);
    await options.fill("#api-key", "tsk_this-key-does-not-exist");
    await options.click("#save");
    await options.getByText("The API key was refused").waitFor();
    await screenshot(options, "options-bad-key");
    const stored = await browser.worker.evaluate(async () => (await chrome.storage.local.get("settings")).settings);
    assert.notEqual(stored?.apiKey, "tsk_this-key-does-not-exist");
    const synced = await browser.worker.evaluate(() => chrome.storage.sync.get(null));
    assert.deepEqual(synced, {}, "nothing is put in sync storage");
    await options.close();
  });

  it("creates the job for the key's user and links it in the console", async () => {
    const options = await browser.context.newPage();
    await options.goto(browser.page("options.html"));
    await options.check("input[name=mode][value=cloud]");
    await options.fill("#cloud-url", cloud.base);
    await options.fill("#api-key", apiKey);
    await options.selectOption("#dest", "cloud");
    await options.click("#save");
    await options.getByText(`Saved. Signed in as ${cloud.email}.`).waitFor();
    await screenshot(options, "options-cloud");
    await options.close();
    // Content scripts can read chrome.storage.local; the key is not there.
    const local = await browser.worker.evaluate(() => chrome.storage.local.get(null));
    assert.ok(!JSON.stringify(local).includes(apiKey), "the API key is not in local storage");

    const popup = await browser.context.newPage();
    await popup.goto(browser.page("popup.html"));
    await popup.fill("#link", MAGNET_B);
    await popup.selectOption("#dest", "cloud");
    await popup.click("#send");
    await popup.getByText("Queued in the cloud: Big Buck Bunny").waitFor();
    const href = await popup.locator("#result a").getAttribute("href");

    const jobs = await (
      await fetch(`${cloud.base}/api/v1/jobs`, { headers: { Authorization: `Bearer ${apiKey}` } })
    ).json();
    assert.equal(jobs.items.length, 1, "exactly one job was created");
    const [job] = jobs.items;
    assert.equal(job.infoHashV1, "ab".repeat(20));
    assert.equal(href, `${cloud.base}/jobs/${job.id}`);
    await screenshot(popup, "popup-cloud");

    // A send is easy to make by mistake (an intercepted click): it can be taken back.
    await popup.locator("#recent li", { hasText: "Queued in the cloud" }).first().locator("button.undo").click();
    await popup.getByText("Undone: the job was removed").waitFor();
    const after = await (
      await fetch(`${cloud.base}/api/v1/jobs`, { headers: { Authorization: `Bearer ${apiKey}` } })
    ).json();
    assert.equal(after.items.length, 0, "the job is gone from the cloud");
    assert.equal(await popup.locator("#recent button.undo").count(), 0, "an undone send offers no second undo");
    await popup.close();
  });

  it("explains a key revoked after set-up", async () => {
    const me = await fetch(`${cloud.base}/api/v1/api-keys`, { headers: { Authorization: `Bearer ${apiKey}` } });
    for (const key of await me.json()) {
      const revoked = await fetch(`${cloud.base}/api/v1/api-keys/${key.id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${apiKey}` },
      });
      assert.ok(revoked.ok || revoked.status === 401, `revoke: ${revoked.status}`);
    }
    const popup = await browser.context.newPage();
    await popup.goto(browser.page("popup.html"));
    await popup.fill("#link", MAGNET_A);
    await popup.click("#send");
    await popup.locator("#result", { hasText: "The API key was refused" }).waitFor();
    assert.equal(await popup.locator("#result").getAttribute("class"), "bad");
    await screenshot(popup, "popup-refused-key");
    await popup.close();
  });
});

/**
 * Chromium with the extension, the user having allowed the cloud's origin. Automation cannot
 * click Chromium's permission prompt, so the grant the prompt would record is written into the
 * profile before the second start; the options page still asks (and gets an immediate yes).
 */
async function launchWithOriginAllowed(origin) {
  const first = await launchWithExtension({ keepProfile: true });
  const { profile, extensionId } = first;
  await first.context.close();
  const prefsPath = join(profile, "Default", "Preferences");
  const prefs = JSON.parse(readFileSync(prefsPath, "utf8"));
  const settings = prefs.extensions.settings[extensionId];
  for (const set of ["granted_permissions", "active_permissions"]) {
    settings[set].explicit_host = [...(settings[set].explicit_host ?? []), `${origin}/*`];
  }
  writeFileSync(prefsPath, JSON.stringify(prefs));
  return launchWithExtension({ profile });
}

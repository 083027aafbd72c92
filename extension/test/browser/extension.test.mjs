// The built extension in Debian's Chromium and Firefox ESR, the same tests in each: the badge
// counts a page's links, desktop mode hands links over as exactly one `tseeder://` navigation
// and only for the user's own clicks, and cloud mode creates the job in a real tseeder-cloud for
// the API key's user, can undo it, and explains refused keys.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BROWSERS, launch } from "./browsers/index.mjs";
import { createApiKey, eventually, MAGNET_A, MAGNET_B, MAGNET_C, startCloud, startPageServer } from "./support.mjs";

const activeTabBadge = (browser) =>
  browser.ext(async () => {
    const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
    return chrome.action.getBadgeText({ tabId: tab.id });
  });

const setSettings = (browser, settings) => browser.ext((s) => chrome.storage.local.set({ settings: s }), settings);

const recentSends = (browser) => browser.ext(async () => (await chrome.storage.local.get("recent")).recent ?? []);

const deepLink = (link, dest) => `tseeder://add?uri=${encodeURIComponent(link)}&dest=${dest}`;

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

for (const name of BROWSERS) {
  describe(`${name}: desktop mode`, () => {
    let site;
    let browser;

    before(async () => {
      site = await startPageServer();
      browser = await launch(name);
    });

    after(async () => {
      await browser?.close();
      site?.server.close();
    });

    /** The test site in a new front tab, once the content script has reported its links. */
    async function openTestPage() {
      const page = await browser.newTab(site.url);
      await page.front();
      await eventually("the content script", async () => (await activeTabBadge(browser)) === "3");
      return page;
    }

    it("counts the page's magnet and .torrent links on the badge, and follows changes", async () => {
      // Two distinct magnets (one listed twice) and one .torrent; the broken magnet and others do not count.
      const page = await openTestPage();
      await page.screenshot("test-page");
      await page.evaluate((link) => {
        const a = document.createElement("a");
        a.href = link;
        a.textContent = "added later";
        document.getElementById("list").append(a);
      }, MAGNET_C);
      await eventually("the badge to count 4", async () => (await activeTabBadge(browser)) === "4");
      const tabId = await browser.ext(
        async () => (await chrome.tabs.query({ active: true, lastFocusedWindow: true }))[0].id,
      );
      // Asked as the popup asks: from an extension page to the background.
      const popup = await browser.newTab(browser.extensionUrl("popup.html"));
      const links = await popup.evaluate((id) => chrome.runtime.sendMessage({ type: "tab-links", tabId: id }), tabId);
      await popup.close();
      assert.deepEqual(links, [MAGNET_A, MAGNET_B, `${site.url}files/bunny.torrent`, MAGNET_C]);
      await page.close();
    });

    it("hands a clicked magnet to the app as exactly one tseeder:// navigation and leaves the page alone", async () => {
      await setSettings(browser, { mode: "desktop", dest: "local", intercept: true });
      const page = await openTestPage();
      const tabsBefore = await browser.tabCount();
      await page.click("#b");
      const expected = deepLink(MAGNET_B, "local");
      await eventually("the deep link", () => page.navigations.includes(expected));
      await pause(1000);
      const external = page.navigations.filter((url) => !url.startsWith("http"));
      assert.deepEqual(external, [expected], "one navigation, to the deep link, and no magnet: navigation");
      assert.equal(await page.url(), site.url, "the page stays where it was");
      assert.equal(await browser.tabCount(), tabsBefore, "no tab was opened");
      const [last] = await recentSends(browser);
      assert.equal(last.ok, true);
      assert.equal(last.name, "Big Buck Bunny");
      await page.close();
    });

    it("ignores clicks a page makes itself: only the user's own click is intercepted", async () => {
      await setSettings(browser, { mode: "desktop", dest: "cloud", intercept: true });
      const page = await openTestPage();
      const sendsBefore = (await recentSends(browser)).length;
      // The page's own script clicks the link, as a hostile page would to send it unasked.
      await page.evaluate(() => {
        document.getElementById("a").click();
        document
          .getElementById("a")
          .dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, button: 0 }));
      });
      await pause(1500);
      assert.equal(page.navigations.filter((url) => url.startsWith("tseeder:")).length, 0, "no deep link");
      assert.equal((await recentSends(browser)).length, sendsBefore, "nothing was sent");
      await page.close();
    });

    it("leaves magnet clicks to the browser while interception is off", async () => {
      await setSettings(browser, { mode: "desktop", dest: "ask", intercept: false });
      const page = await openTestPage();
      const sendsBefore = (await recentSends(browser)).length;
      await page.click("#a");
      await pause(1500);
      assert.equal(page.navigations.filter((url) => url.startsWith("tseeder:")).length, 0);
      assert.ok(
        page.navigations.some((url) => url.startsWith("magnet:")),
        "the browser handled the click itself",
      );
      assert.equal((await recentSends(browser)).length, sendsBefore);
      await page.close();
    });

    it("sends a pasted link from the popup with the chosen destination", async () => {
      await setSettings(browser, { mode: "desktop", dest: "ask", intercept: false });
      const popup = await browser.newTab();
      await popup.goto(browser.extensionUrl("popup.html"));
      await popup.front();
      await popup.fill("#link", "not a link");
      await popup.click("#send");
      await popup.waitForText("That is not a magnet link or a .torrent URL.");
      await popup.fill("#link", MAGNET_A);
      await popup.select("#dest", "cloud");
      await popup.click("#send");
      await popup.waitForText("Handed to the tseeder app: Debian 13 netinst");
      await eventually("the deep link", () => popup.navigations.includes(deepLink(MAGNET_A, "cloud")));
      assert.equal(popup.navigations.filter((url) => url.startsWith("tseeder:")).length, 1);
      await popup.waitFor("#recent li");
      await popup.screenshot("popup-desktop");
      await popup.close();
    });
  });

  describe(`${name}: cloud mode`, () => {
    let cloud;
    let browser;
    let apiKey;

    before(async () => {
      cloud = await startCloud();
      apiKey = await createApiKey(cloud);
      browser = await launch(name, { allowOrigin: cloud.base });
    });

    after(async () => {
      await browser?.close();
      await cloud?.stop();
    });

    const jobsOfKey = async () =>
      (await (await fetch(`${cloud.base}/api/v1/jobs`, { headers: { Authorization: `Bearer ${apiKey}` } })).json())
        .items;

    it("refuses a bad key with the reason and keeps nothing", async () => {
      const options = await browser.newTab(browser.extensionUrl("options.html"));
      await options.click("input[name=mode][value=cloud]");
      await options.fill("#cloud-url", cloud.base);
      await options.fill("#api-key", "tsk_this-key-does-not-exist");
      await options.click("#save");
      await options.waitForText("The API key was refused");
      await options.screenshot("options-bad-key");
      const stored = await browser.ext(async () => (await chrome.storage.local.get("settings")).settings ?? null);
      assert.notEqual(stored?.apiKey, "tsk_this-key-does-not-exist");
      const synced = await browser.ext(() => chrome.storage.sync.get(null));
      assert.deepEqual(synced, {}, "nothing is put in sync storage");
      await options.close();
    });

    it("creates the job for the key's user and links it in the console; the send can be undone", async () => {
      const options = await browser.newTab(browser.extensionUrl("options.html"));
      await options.click("input[name=mode][value=cloud]");
      await options.fill("#cloud-url", cloud.base);
      await options.fill("#api-key", apiKey);
      await options.select("#dest", "cloud");
      await options.click("#save");
      await options.waitForText(`Saved. Signed in as ${cloud.email}.`);
      await options.screenshot("options-cloud");
      await options.close();
      // Content scripts can read chrome.storage.local; the key is not there.
      const local = await browser.ext(() => chrome.storage.local.get(null));
      assert.ok(!JSON.stringify(local).includes(apiKey), "the API key is not in local storage");

      const popup = await browser.newTab(browser.extensionUrl("popup.html"));
      await popup.fill("#link", MAGNET_B);
      await popup.select("#dest", "cloud");
      await popup.click("#send");
      await popup.waitForText("Queued in the cloud: Big Buck Bunny");
      const href = await popup.attribute("#result a", "href");

      const jobs = await jobsOfKey();
      assert.equal(jobs.length, 1, "exactly one job was created");
      const [job] = jobs;
      assert.equal(job.infoHashV1, "ab".repeat(20));
      assert.equal(href, `${cloud.base}/jobs/${job.id}`);
      await popup.screenshot("popup-cloud");

      // A send is easy to make by mistake (an intercepted click): it can be taken back.
      await popup.click("#recent li", { hasText: "Queued in the cloud", inner: "button.undo" });
      await popup.waitForText("Undone: the job was removed");
      assert.equal((await jobsOfKey()).length, 0, "the job is gone from the cloud");
      assert.equal(await popup.count("#recent button.undo"), 0, "an undone send offers no second undo");
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
      const popup = await browser.newTab(browser.extensionUrl("popup.html"));
      await popup.fill("#link", MAGNET_A);
      await popup.click("#send");
      await popup.waitFor("#result", { hasText: "The API key was refused" });
      assert.equal(await popup.attribute("#result", "class"), "bad");
      await popup.screenshot("popup-refused-key");
      await popup.close();
    });
  });
}

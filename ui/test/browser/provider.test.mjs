// Admin → Provider in Debian's Chromium: an owner sees the jobs in flight on each provider,
// switches new cloud jobs to Seedr behind the justified confirmation, and the switch is a
// settings version. Screenshots land in test-results/screenshots.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, newPage, screenshot, signIn, startCloud } from "./support.mjs";

let cloud;
let browser;

before(async () => {
  [cloud, browser] = await Promise.all([
    startCloud(
      {
        // No agent: a submitted job stays in flight on the agents.
        TSEEDER_EMBEDDED_AGENT__ENABLED: "false",
        TSEEDER_PROVIDERS__SEEDR__BASE_URL: "http://127.0.0.1:9",
        TSEEDER_PROVIDERS__SEEDR__EMAIL: "operator@seedr.test",
        TSEEDER_PROVIDERS__SEEDR__PASSWORD: "seedr account password",
      },
      { adminRole: "superadmin" },
    ),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await cloud?.stop();
});

test("an owner switches new jobs to Seedr after seeing what is in flight", async () => {
  const { page, problems } = await newPage(browser);
  await signIn(page, cloud.base, cloud.admin.email, cloud.admin.password);
  // A job waits for an agent: one in flight on the agents.
  await page.goto(`${cloud.base}/jobs`);
  await page.getByRole("textbox", { name: "Magnet link" }).fill(`magnet:?xt=urn:btih:${"c".repeat(40)}&dn=waiting`);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByText(/^Added/).waitFor();
  await page.goto(`${cloud.base}/admin`);
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Provider" }).click();
  await page.getByRole("heading", { name: "Provider", exact: true }).waitFor();
  assert.equal(await page.getByTestId("active-provider").textContent(), "Our agents");
  const table = page.getByRole("table", { name: "Jobs in flight by provider" });
  assert.equal(
    await table
      .getByRole("row", { name: /Our agents/ })
      .getByRole("cell")
      .first()
      .textContent(),
    "1",
  );
  assert.equal(await table.getByRole("row", { name: /Seedr/ }).getByRole("cell").first().textContent(), "0");

  await page.getByRole("button", { name: "Switch to Seedr.cc" }).click();
  const dialog = page.getByRole("dialog", { name: "Send new jobs to Seedr.cc" });
  assert.match(await dialog.textContent(), /1 jobs in flight on our agents and 0 on Seedr\.cc stay where they are/);
  await screenshot(page, "admin-provider-switch");
  await dialog.getByLabel("Reason").fill("Our agents move to the new data centre tonight");
  await dialog.getByLabel("Ticket id").fill("OPS-90");
  await dialog.getByLabel(/Type SWITCH/).fill("SWITCH");
  await dialog.getByRole("button", { name: "Switch" }).click();
  await page.getByTestId("active-provider").getByText("Seedr.cc").waitFor();
  await page.getByRole("button", { name: "Switch to Our agents" }).waitFor();
  await screenshot(page, "admin-provider-seedr");

  // The switch is a version of the runtime settings, with its reason.
  await page.goto(`${cloud.base}/admin/settings/history`);
  await page.getByText("OPS-90").first().waitFor();
  assert.match(await page.locator("main").textContent(), /providers\.active/);
  assert.deepEqual(problems, []);
});

// Runtime settings in Debian's Chromium: an operator closes sign-up and puts up a maintenance
// banner as one version, sees both take effect without a restart, reads the history's
// side-by-side diff, previews and performs a rollback, and finally returns to the configuration
// file's values. Screenshots land in test-results/screenshots.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, newPage, screenshot, signIn, startCloud } from "./support.mjs";

let cloud;
let browser;

before(async () => {
  [cloud, browser] = await Promise.all([startCloud({ TSEEDER_EMBEDDED_AGENT__ENABLED: "false" }), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await cloud?.stop();
});

async function confirm(page, word, label, reason) {
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Reason").fill(reason);
  await dialog.getByLabel("Ticket id").fill("OPS-77");
  await dialog.getByLabel(`Type ${word} to confirm`).fill(word);
  await dialog.getByRole("button", { name: label }).click();
  await dialog.waitFor({ state: "detached" });
}

test("an operator changes settings live, reads the history's diff and rolls back", async () => {
  const { page, context, problems } = await newPage(browser);
  await signIn(page, cloud.base, cloud.admin.email, cloud.admin.password);
  await page.goto(`${cloud.base}/admin`);
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { name: "Settings", exact: true }).waitFor();
  await page.getByRole("heading", { name: "Dispatch" }).waitFor();
  // Prices are the superadmin's: an admin sees them but cannot edit them.
  assert.equal(await page.getByLabel("Pro: monthly price in cents").isDisabled(), true);

  await page.getByLabel("New users may sign up").uncheck();
  await page.getByLabel("A notice shown on every page (empty: none)").fill("Maintenance tonight from 22:00 UTC");
  await page.getByText("2 pending changes").waitFor();
  const pending = page.getByRole("table", { name: "Pending changes" });
  assert.match(await pending.getByRole("row").filter({ hasText: "registration.open" }).textContent(), /on.*off/);
  await screenshot(page, "admin-settings-pending");
  await page.getByRole("button", { name: "Review and apply" }).click();
  await confirm(page, "APPLY", "Apply", "Closing sign-up for the database move");

  // In force at once: the banner on every page, sign-up closed for visitors.
  await page.getByRole("status").filter({ hasText: "Maintenance tonight from 22:00 UTC" }).waitFor();
  await page.getByText("No pending change").waitFor();
  await screenshot(page, "admin-settings");
  const visitor = await newPage(browser);
  await visitor.page.goto(`${cloud.base}/signup`);
  await visitor.page.getByRole("heading", { name: "Sign-up is closed" }).waitFor();
  await visitor.page.getByText("Maintenance tonight from 22:00 UTC").waitFor();

  // A second version, then the history with each version's changes side by side.
  await page.getByLabel("Tries of a job before it is dead-lettered").fill("3");
  await page.getByRole("button", { name: "Review and apply" }).click();
  await confirm(page, "APPLY", "Apply", "Fewer retries while the tracker is down");
  await page.getByText("No pending change").waitFor();
  await page.getByRole("link", { name: "History" }).click();
  await page.getByRole("heading", { name: "Settings history" }).waitFor();
  const first = page.getByRole("table", { name: "Changes of version 1" });
  const banner = first.getByRole("row").filter({ hasText: "maintenance.banner" });
  assert.equal(await banner.locator("del").textContent(), "(none)");
  assert.equal(await banner.locator("ins").textContent(), "“Maintenance tonight from 22:00 UTC”");
  const tries = page
    .getByRole("table", { name: "Changes of version 2" })
    .getByRole("row")
    .filter({ hasText: "dispatch.max_attempts" });
  assert.deepEqual([await tries.locator("del").textContent(), await tries.locator("ins").textContent()], ["5", "3"]);
  await screenshot(page, "admin-settings-history");

  // Back to version 1: the preview says what changes, then the rollback is a version of its own.
  await page
    .getByRole("listitem", { name: "Version 1" })
    .getByRole("button", { name: "Roll back to this version" })
    .click();
  const preview = page.getByRole("table", { name: "Rollback changes" });
  const undo = preview.getByRole("row").filter({ hasText: "dispatch.max_attempts" });
  assert.deepEqual([await undo.locator("del").textContent(), await undo.locator("ins").textContent()], ["3", "5"]);
  assert.equal(await preview.getByRole("row").count(), 2, "only the one setting changes back");
  await screenshot(page, "admin-settings-rollback-preview");
  await page.getByRole("button", { name: "Roll back", exact: true }).click();
  await confirm(page, "ROLLBACK", "Roll back", "The tracker is back, retries as before");
  await page.getByRole("listitem", { name: "Version 3" }).getByText("rollback to v1").waitFor();

  // And to the configuration file: the banner goes, sign-up opens again.
  await page.getByRole("button", { name: "Roll back to the configuration file" }).click();
  await page.getByRole("button", { name: "Roll back", exact: true }).click();
  await confirm(page, "ROLLBACK", "Roll back", "Maintenance is over, everything as configured");
  await page.getByRole("listitem", { name: "Version 4" }).getByText("rollback to defaults").waitFor();
  await page.getByRole("status").filter({ hasText: "Maintenance tonight" }).waitFor({ state: "detached" });
  await visitor.page.reload();
  await visitor.page.getByRole("heading", { name: "Create your account" }).waitFor();
  await visitor.context.close();

  const audit = await page.evaluate(async () =>
    (await (await fetch("/api/v1/admin/audit?action=settings.rollback")).json()).items.map((e) => e.ticketId),
  );
  assert.deepEqual(audit, ["OPS-77", "OPS-77"]);
  assert.deepEqual(problems, []);
  await context.close();
});

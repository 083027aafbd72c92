// The console in Debian's Chromium against a real tseeder-cloud: a new user signs up, confirms
// the mailed link, adds a magnet that a local aria2c seeds, watches it download and downloads the
// file; a user is kept out of the admin pages; an admin suspends a user through the justification
// dialog, finds it in the audit log and finds the user again through the search; a user's webhook endpoint hears of a finished job, signed,
// and the settings show the delivery. Every page is photographed.
import assert from "node:assert/strict";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { eventually, launchBrowser, newPage, screenshot, signIn, startCloud, startSeeder } from "./support.mjs";

let cloud;
let seeder;
let browser;
const member = { email: "new-user@tseeder.test", password: "a passphrase of my own" };

before(async () => {
  [cloud, seeder, browser] = await Promise.all([
    // The webhook receiver below is on loopback, which webhooks may reach only where allowed.
    startCloud({ TSEEDER_WEBHOOKS__ALLOW_PRIVATE_ADDRESSES: "true", TSEEDER_WEBHOOKS__POLL_INTERVAL_MS: "200" }),
    startSeeder(),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await seeder?.stop();
  await cloud?.stop();
});

test("sign up, confirm, add a magnet, watch it download, download the file", async () => {
  const { page, context, problems } = await newPage(browser);
  await page.goto(`${cloud.base}/signup`);
  await screenshot(page, "public-signup");
  await page.getByLabel("Email").fill(member.email);
  await page.getByLabel("Password").fill(member.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Accept the acceptable use policy").waitFor();
  await page.getByRole("checkbox").check();
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();

  const mail = await eventually("the verification mail", () =>
    cloud.mails().find((text) => text.includes(member.email) && text.includes("/verify-email?token=")),
  );
  const link = mail.match(/https?:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]+/)[0];
  assert.ok(link.startsWith(cloud.base), link);
  await page.goto(link);
  await page.getByText("Your email is confirmed.").waitFor();
  await screenshot(page, "public-verify-email");
  await page.getByRole("link", { name: "Sign in" }).last().click();
  await page.waitForURL(/\/login\?verified=1/);
  await screenshot(page, "public-login");
  await page.getByLabel("Email").fill(member.email);
  await page.getByLabel("Password").fill(member.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/jobs$/);
  await page.getByText("No jobs yet").waitFor();
  await screenshot(page, "user-jobs-empty");

  // A bad magnet is refused before it leaves the page, and nothing is added.
  await page.getByRole("textbox", { name: "Magnet link" }).fill("magnet:?dn=no-hash");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByText("has no torrent hash").waitFor();

  await page.getByRole("textbox", { name: "Magnet link" }).fill(seeder.magnet);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.getByText(/^Added/).waitFor();
  const row = page.locator("li.job").first();
  await row.waitFor();
  const bar = row.getByRole("progressbar");
  // The seeder is throttled, so the bar is seen part-way before it is full.
  const midway = await eventually(
    "progress part-way",
    async () => {
      const value = Number(await bar.getAttribute("aria-valuenow"));
      return value > 0 && value < 100 ? value : null;
    },
    60_000,
  );
  assert.ok(midway > 0 && midway < 100);
  await row.getByText(/MiB\/s|KiB\/s/).waitFor();
  await screenshot(page, "user-jobs-downloading");
  await row.locator(".badge", { hasText: "Completed" }).waitFor({ timeout: 90_000 });
  assert.equal(await bar.getAttribute("aria-valuenow"), "100");
  await screenshot(page, "user-jobs-completed");

  await row.getByRole("link", { name: seeder.name }).click();
  await page.getByRole("heading", { name: "Files" }).waitFor();
  await page.getByRole("cell", { name: seeder.name, exact: true }).waitFor();
  // The free plan keeps files 7 days after the download finished, and the job says until when.
  const keptUntil = new Date(await page.getByTestId("files-expire").getAttribute("datetime"));
  const days = (keptUntil.getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 6.9 && days <= 7, `files kept ${days} days`);
  await screenshot(page, "user-job-detail");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: `Download ${seeder.name}` }).click(),
  ]);
  const saved = await download.path();
  const sha256 = createHash("sha256").update(readFileSync(saved)).digest("hex");
  assert.equal(sha256, seeder.sha256, "the downloaded file has the seeded bytes");
  assert.equal(download.suggestedFilename(), seeder.name);

  await page.goto(`${cloud.base}/usage`);
  await page.getByText(/of 10\.0 GiB used/).waitFor();
  await screenshot(page, "user-usage");
  await page.goto(`${cloud.base}/settings`);
  await page.getByRole("heading", { name: "API keys" }).waitFor();
  await page.getByLabel("Key name").fill("Browser extension");
  await page.getByLabel("Your password").fill(member.password);
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = await page.getByTestId("new-api-key").textContent();
  assert.match(secret, /^tsk_/);
  await screenshot(page, "user-settings");
  // The console keeps no secret in the browser's storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stored.includes(secret) && !stored.includes("csrf"), stored);

  const phone = await newPage(browser, { viewport: { width: 390, height: 844 } });
  await phone.context.addCookies(await context.cookies());
  await phone.page.goto(`${cloud.base}/jobs`);
  await phone.page.locator("li.job").first().waitFor();
  await screenshot(phone.page, "user-jobs-phone");
  await phone.page.getByRole("button", { name: "Menu" }).click();
  await phone.page.getByRole("link", { name: "Settings" }).click();
  await phone.page.waitForURL(/\/settings$/);
  await phone.context.close();

  assert.deepEqual(problems, []);
  await context.close();
});

/** An HTTP receiver on 127.0.0.1 that keeps every request's headers and raw body. */
async function startReceiver() {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${server.address().port}/tseeder-events`,
    received,
    stop: () => new Promise((done) => server.close(done)),
  };
}

/** What docs/webhooks.md tells a receiver to check: HMAC-SHA256 of `t.body`, constant time. */
function signedWith(request, secret) {
  const parts = Object.fromEntries(request.headers["tseeder-signature"].split(",").map((p) => p.split("=")));
  const expected = createHmac("sha256", secret).update(`${parts.t}.`).update(request.body).digest();
  const given = Buffer.from(parts.v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

test("a webhook endpoint hears of a finished job, signed, and the settings show the delivery", async () => {
  const receiver = await startReceiver();
  const quick = await startSeeder({ name: "webhook-sample.bin", size: 200_000, uploadLimit: "0" });
  try {
    const { page, context, problems } = await newPage(browser);
    await signIn(page, cloud.base, member.email, member.password);
    await page.goto(`${cloud.base}/settings`);
    await page.getByRole("heading", { name: "Webhooks" }).waitFor();
    await page.getByLabel("Endpoint URL").fill(receiver.url);
    await page.getByRole("checkbox", { name: "Failed" }).uncheck();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = await page.getByTestId("new-webhook-secret").textContent();
    assert.match(secret, /^whsec_/);
    await page.getByRole("list", { name: "Endpoints" }).getByText(receiver.url).waitFor();

    await page.goto(`${cloud.base}/jobs`);
    await page.getByRole("textbox", { name: "Magnet link" }).fill(quick.magnet);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByText(/^Added/).waitFor();

    const request = await eventually("the webhook", () => receiver.received[0], 90_000);
    assert.ok(signedWith(request, secret), "the delivery is signed with the endpoint's secret");
    const event = JSON.parse(request.body.toString("utf8"));
    assert.equal(event.type, "job.completed");
    assert.equal(event.data.job.name, quick.name);
    assert.equal(request.headers["tseeder-event"], "job.completed");

    await page.goto(`${cloud.base}/settings`);
    const deliveries = page.getByRole("table", { name: "Deliveries" });
    await deliveries.getByText("Delivered").waitFor();
    await deliveries.getByText("HTTP 204").waitFor();
    await page.getByRole("heading", { name: "Webhooks" }).scrollIntoViewIfNeeded();
    await screenshot(page, "user-settings-webhooks");
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await quick.stop();
    await receiver.stop();
  }
});

test("a user cannot open the admin pages, and the API refuses them too", async () => {
  const { page, context, problems } = await newPage(browser);
  await signIn(page, cloud.base, member.email, member.password);
  assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0);
  await page.goto(`${cloud.base}/admin/users`);
  await page.getByRole("heading", { name: "Not available to your account" }).waitFor();
  assert.equal(await page.getByRole("table").count(), 0);
  await screenshot(page, "user-admin-refused");
  const status = await page.evaluate(async () => (await fetch("/api/v1/admin/users")).status);
  assert.equal(status, 403);
  assert.deepEqual(problems, []);
  await context.close();
});

test("an admin suspends a user with a reason and ticket, and the audit log shows it", async () => {
  const { page, context, problems } = await newPage(browser);
  await signIn(page, cloud.base, cloud.admin.email, cloud.admin.password);
  await page.getByRole("link", { name: "Admin" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.getByRole("heading", { name: "Jobs, last 14 days" }).waitFor();
  await screenshot(page, "admin-overview");

  await page.getByRole("link", { name: "Users" }).click();
  await page.getByLabel("Search users by email or id").fill("new-user");
  await page.getByRole("link", { name: member.email }).click();
  await page.getByRole("heading", { name: member.email }).waitFor();
  await screenshot(page, "admin-user-detail");

  await page.getByRole("button", { name: "Suspend" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Reason").fill("spam");
  await dialog.getByLabel("Ticket id").fill("SUP-42");
  await dialog.getByLabel("Type SUSPEND to confirm").fill("SUSPEND");
  await dialog.getByRole("button", { name: "Suspend" }).click();
  await dialog.getByText("Give a reason of at least 10 characters.").waitFor();
  await screenshot(page, "admin-dialog-short-reason");
  assert.equal(await page.getByTestId("user-state").textContent(), "active");

  await dialog.getByLabel("Reason").fill("Sends spam links to the support inbox");
  await dialog.getByRole("button", { name: "Suspend" }).click();
  await dialog.waitFor({ state: "detached" });
  await eventually("the suspension to show", async () =>
    (await page.getByTestId("user-state").textContent()).startsWith("suspended"),
  );

  await page.getByRole("link", { name: "Audit log" }).first().click();
  const entries = page.getByRole("table", { name: "Audit entries" });
  const entry = entries.getByRole("row").filter({ hasText: "Sends spam links to the support inbox" });
  await entry.waitFor();
  assert.match(await entry.textContent(), /user\.suspend/);
  assert.match(await entry.textContent(), /SUP-42/);
  assert.match(await entry.textContent(), new RegExp(cloud.admin.email));
  await screenshot(page, "admin-audit");

  // The global search finds the audit entry by its ticket, and the user by part of their email;
  // the arrow keys reach the results and Enter opens one.
  await page.getByRole("link", { name: "Search", exact: true }).click();
  await page.getByRole("heading", { name: "Search" }).waitFor();
  const box = page.getByLabel("Search users, jobs, agents and the audit log");
  await box.fill("SUP-42");
  await page.getByRole("region", { name: "Audit log" }).getByRole("link", { name: "user.suspend" }).waitFor();
  await box.fill("new-us");
  await page.getByRole("region", { name: "Users" }).getByRole("link", { name: member.email }).waitFor();
  await screenshot(page, "admin-search");
  await box.press("ArrowDown");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: member.email }).waitFor();
  assert.match(page.url(), /\/admin\/users\/[0-9a-f-]+$/);

  // The suspended user's session no longer works.
  const other = await newPage(browser);
  await other.page.goto(`${cloud.base}/login`);
  await other.page.getByLabel("Email").fill(member.email);
  await other.page.getByLabel("Password").fill(member.password);
  await other.page.getByRole("button", { name: "Sign in" }).click();
  await other.page.getByText(/suspended/).waitFor();
  await other.context.close();

  // The API's refusal reaches the dialog: an admin may not act on their own account.
  const me = await page.evaluate(async () => (await (await fetch("/api/v1/auth/me")).json()).user.id);
  await page.goto(`${cloud.base}/admin/users/${me}`);
  await page.getByRole("button", { name: "Force sign-out" }).click();
  await dialog.getByLabel("Reason").fill("Checking that refusals are shown");
  await dialog.getByLabel("Ticket id").fill("SUP-43");
  await dialog.getByLabel("Type LOGOUT to confirm").fill("LOGOUT");
  await dialog.getByRole("button", { name: "Sign out everywhere" }).click();
  await dialog.getByText("operators cannot use this on their own account").waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();

  for (const [path, name, heading] of [
    ["/admin/jobs", "admin-jobs", "All jobs"],
    ["/admin/agents", "admin-agents", "Agents"],
    ["/admin/storage", "admin-storage", "Storage"],
    ["/admin/settings", "admin-settings-groups", "Settings"],
    ["/admin/dead-letters", "admin-dead-letters", "Dead letters"],
    ["/admin/security", "admin-security", "Security events"],
  ]) {
    await page.goto(`${cloud.base}${path}`);
    await page.getByRole("heading", { name: heading, exact: true }).waitFor();
    await page.locator(".state.loading").waitFor({ state: "detached" });
    await screenshot(page, name);
  }
  await page.goto(`${cloud.base}/admin/storage`);
  await page.getByRole("link", { name: member.email }).waitFor();

  await page.goto(`${cloud.base}/admin/blog`);
  await page.getByRole("button", { name: "New post" }).click();
  await page.getByLabel("Title").fill("Faster cloud downloads");
  await page.getByLabel("Summary").fill("What changed this month");
  await page.getByLabel(/^Body/).fill("Agents now stream pieces as they arrive.\n\nMore to come.");
  await page.getByLabel("Published").check();
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("/faster-cloud-downloads").waitFor();
  await screenshot(page, "admin-blog");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the public pages: status, blog and article", async () => {
  const { page, context, problems } = await newPage(browser);
  await page.goto(`${cloud.base}/status`);
  await page.getByRole("heading", { name: "Service status" }).waitFor();
  await page.getByText("1 of 1 agents online").waitFor();
  await screenshot(page, "public-status");
  await page.goto(`${cloud.base}/blog`);
  await page.getByRole("link", { name: "Faster cloud downloads" }).click();
  await page.getByText("Agents now stream pieces as they arrive.").waitFor();
  await page.getByText("More to come.").waitFor();
  await screenshot(page, "public-blog-article");
  await page.goto(`${cloud.base}/forgot-password`);
  await screenshot(page, "public-forgot-password");
  await page.goto(`${cloud.base}/no/such/page`);
  await page.getByText("There is nothing here").waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

// Billing in Debian's Chromium against the suite's Stripe stand-in (testkit's
// tseeder-stripe-sim): the pricing page sends a signed-in user to Checkout, the stand-in's
// payment page posts the signed webhooks and redirects back, and Settings shows the new plan
// and its invoice;
// the Customer Portal cancels at period end; the operator sees the subscription. Screenshots
// land in test-results/screenshots.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { builtBinary, launchBrowser, newPage, screenshot, signIn, startCloud } from "./support.mjs";

let stripe;
let cloud;
let browser;

/** The stand-in, its base URL and keys read from its first line. */
async function startStripe() {
  const bin = builtBinary("TSEEDER_TEST_STRIPE_SIM_BIN", "tseeder-stripe-sim");
  if (!existsSync(bin)) throw new Error(`no Stripe stand-in at ${bin}: cargo build -p tseeder-testkit`);
  const child = spawn(bin, [], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const [first] = await Promise.race([
    new Promise((done) => lines.once("line", (line) => done([line]))),
    new Promise((_, fail) => setTimeout(() => fail(new Error("the Stripe stand-in did not start")), 10_000)),
  ]);
  return { child, ...JSON.parse(first) };
}

before(async () => {
  [stripe, browser] = await Promise.all([startStripe(), launchBrowser()]);
  cloud = await startCloud({
    TSEEDER_EMBEDDED_AGENT__ENABLED: "false",
    TSEEDER_BILLING__STRIPE__API_BASE: stripe.base,
    TSEEDER_BILLING__STRIPE__SECRET_KEY: stripe.secretKey,
    TSEEDER_BILLING__STRIPE__WEBHOOK_SECRET: stripe.webhookSecret,
    TSEEDER_BILLING__PRICES__PRO: "price_console_pro",
  });
  stripe.child.stdin.write(`${cloud.base}/api/v1/billing/webhook\n`);
});

after(async () => {
  await browser?.close();
  await cloud?.stop();
  stripe?.child.stdin.end();
  stripe?.child.kill();
});

test("a user upgrades through Checkout and cancels through the portal", async () => {
  const { page, problems } = await newPage(browser);
  await signIn(page, cloud.base, cloud.admin.email, cloud.admin.password);

  await page.getByRole("link", { name: "Pricing" }).click();
  await page.getByRole("heading", { name: "Pricing" }).waitFor();
  const proRow = page.getByRole("row", { name: /Pro/ });
  await page.getByRole("row", { name: /^Free/ }).getByText("Yours").waitFor();
  await screenshot(page, "pricing");
  await proRow.getByRole("button", { name: "Subscribe to Pro" }).click();

  await page.waitForURL(`${stripe.base}/c/pay/**`);
  assert.equal(await page.locator("#price").textContent(), "price_console_pro");
  await page.getByRole("button", { name: "Pay and subscribe" }).click();

  await page.waitForURL(`${cloud.base}/settings?billing=success`);
  await page.getByText("Payment received.").waitFor();
  await page.getByTestId("billing-plan").getByText("Pro").waitFor();
  assert.match(await page.getByTestId("billing-subscription").textContent(), /^Pro: Renews on /);
  // The payment is an invoice, listed with a link to Stripe's page of it.
  const invoice = page.getByTestId("invoices").getByRole("link", { name: "SUITE-0001" });
  await invoice.waitFor();
  assert.ok((await invoice.getAttribute("href")).startsWith(`${stripe.base}/i/`));
  const invoiceRow = page.getByTestId("invoices").getByRole("row", { name: /SUITE-0001/ });
  assert.match(await invoiceRow.textContent(), /€9\.00paid$/);
  await screenshot(page, "settings-billing-pro");
  const usage = await page.evaluate(async () => (await fetch("/api/v1/usage")).json());
  assert.equal(usage.plan.id, "pro");

  await page.getByRole("button", { name: "Manage billing" }).click();
  await page.waitForURL(`${stripe.base}/p/session/**`);
  await page.getByRole("button", { name: "Cancel plan" }).click();
  await page.waitForURL(`${cloud.base}/settings`);
  await page
    .getByTestId("billing-subscription")
    .getByText(/Cancelled; the plan ends on/)
    .waitFor();
  await page.getByTestId("billing-plan").getByText("Pro").waitFor();

  const me = await page.evaluate(async () => (await fetch("/api/v1/auth/me")).json());
  await page.goto(`${cloud.base}/admin/users/${me.user.id}`);
  await page.getByRole("heading", { name: "Plan and billing" }).waitFor();
  assert.equal(await page.getByTestId("user-plan").textContent(), "Pro");
  assert.match(await page.getByTestId("user-subscription").textContent(), /^pro: Cancelled; the plan ends on/);
  await screenshot(page, "admin-user-billing");
  assert.deepEqual(problems, []);
});

// Admin → Observability in Debian's Chromium: the cloud rolls its measurements up every second
// here, and the page draws latency, errors, queue, fleet, dead letters and throughput from them,
// over the last hour and, switched, the last week. Screenshots land in test-results/screenshots.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually, launchBrowser, newPage, screenshot, signIn, startCloud } from "./support.mjs";

let cloud;
let browser;

before(async () => {
  [cloud, browser] = await Promise.all([
    startCloud({ TSEEDER_METRICS__ROLLUP_INTERVAL_SECONDS: "1" }),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await cloud?.stop();
});

const CHARTS = {
  latency: "Latency",
  errors: "Requests and server errors",
  queue: "Queue and running jobs",
  fleet: "Fleet capacity and use",
  "dead-letters": "Dead letters",
  throughput: "Jobs finished",
};

test("operators see the service's measurements as charts over 1 hour and 7 days", async () => {
  const { page, problems } = await newPage(browser);
  await signIn(page, cloud.base, cloud.admin.email, cloud.admin.password);
  // Requests the charts must show, some of them refused.
  for (let i = 0; i < 25; i += 1) await fetch(`${cloud.base}/api/v1/plans`);
  for (let i = 0; i < 5; i += 1) await fetch(`${cloud.base}/api/v1/jobs`);
  await page.goto(`${cloud.base}/admin`);
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Observability" }).click();
  await page.getByRole("heading", { name: "Observability", exact: true }).waitFor();
  await eventually("the requests to be rolled up and shown", async () => {
    await page.reload();
    const requests = page.getByTestId("summary-requests");
    await requests.waitFor();
    return Number((await requests.textContent()).replace(/\D/g, "")) >= 30;
  });
  for (const [id, title] of Object.entries(CHARTS)) {
    const chart = page.getByRole("figure", { name: title });
    await chart.waitFor();
    assert.equal(await chart.getAttribute("data-chart"), id);
    assert.ok((await chart.locator("svg.recharts-surface").count()) > 0, `${title} has no chart`);
  }
  // Latency has measured points, so its lines are drawn; the fleet shows the embedded agent.
  const latency = page.locator('[data-chart="latency"] path.recharts-line-curve');
  assert.equal(await latency.count(), 3);
  assert.match((await latency.first().getAttribute("d")) ?? "", /^M/);
  assert.match(await page.getByTestId("summary-p95").textContent(), /ms$/);
  assert.match(await page.getByTestId("summary-error-rate").textContent(), /%$/);
  await page
    .getByRole("figure", { name: "Requests and server errors" })
    .locator(".recharts-bar-rectangle")
    .first()
    .waitFor();
  const fleet = page.locator('[data-chart="fleet"] path.recharts-line-curve');
  assert.equal(await fleet.count(), 2);
  // A measured minute shows as a dot on each line even before there is a second one to join.
  assert.ok((await page.locator('[data-chart="latency"] .recharts-line-dots circle').count()) >= 3);
  assert.ok((await page.locator('[data-chart="fleet"] .recharts-line-dots circle').count()) >= 2);
  await screenshot(page, "admin-observability-hour");

  await page.getByRole("radiogroup", { name: "Range" }).getByText("7 days").click();
  await page.waitForURL(/range=7d/);
  // The hour's summary already counts the requests: what shows the week's answer arrived is its
  // charts drawn again, while the summary must still count them.
  await eventually(
    "the week's hourly points",
    async () => (await page.locator('[data-chart="latency"] path.recharts-line-curve').count()) === 3,
  );
  const text = await page.getByTestId("summary-requests").textContent();
  assert.ok(Number(text.replace(/\D/g, "")) >= 30, `the week's summary: ${text}`);
  await screenshot(page, "admin-observability-week");
  assert.deepEqual(problems, []);
});

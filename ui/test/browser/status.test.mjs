// The status history in Debian's Chromium: the sampler (every second here) records the
// components, the public page draws 90 daily bars per component with uptime figures and a day's
// details on hover, and an incident an operator opens and resolves in the console shows on the
// day it happened. Screenshots land in test-results/screenshots.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually, launchBrowser, newPage, screenshot, signIn, startCloud } from "./support.mjs";

let cloud;
let browser;

before(async () => {
  [cloud, browser] = await Promise.all([
    // No agent at all: the agents are down while the API and the storage probe are fine.
    startCloud({ TSEEDER_EMBEDDED_AGENT__ENABLED: "false", TSEEDER_STATUS__SAMPLE_INTERVAL_SECONDS: "1" }),
    launchBrowser(),
  ]);
});

after(async () => {
  await browser?.close();
  await cloud?.stop();
});

test("the status page shows each component's days, uptime and the incidents operators write", async () => {
  const { page, context, problems } = await newPage(browser);
  await signIn(page, cloud.base, cloud.admin.email, cloud.admin.password);
  await page.goto(`${cloud.base}/admin/incidents`);
  await page.getByRole("heading", { name: "Incidents", exact: true }).waitFor();
  const form = page.getByRole("form", { name: "Open an incident" });
  await form.getByLabel("Title").fill("Downloads wait for agents");
  await form.getByLabel("Component").selectOption("agents");
  await form.getByLabel("Severity").selectOption("major");
  await form.getByLabel("What is known").fill("No download agent is online; we are bringing one back.");
  await form.getByRole("button", { name: "Open incident" }).click();
  const incident = page.getByRole("listitem", { name: "Downloads wait for agents" });
  await incident.getByText("Investigating", { exact: true }).first().waitFor();
  await incident.getByLabel("New status").selectOption("resolved");
  await incident.getByRole("textbox", { name: "Update" }).fill("An agent is back online.");
  await incident.getByRole("button", { name: "Post update" }).click();
  await incident.getByText("An agent is back online.").waitFor();
  await screenshot(page, "admin-incidents");

  const visitor = await newPage(browser);
  await eventually("a few samples", async () => {
    const history = await (await fetch(`${cloud.base}/api/v1/status/history?days=1`)).json();
    return history.components.every((c) => c.days[0].observedMinutes > 0);
  });
  await visitor.page.goto(`${cloud.base}/status`);
  await visitor.page.getByRole("heading", { name: "The last 90 days" }).waitFor();
  for (const name of ["API", "Job queue", "Download agents", "File storage"]) {
    const strip = visitor.page.getByRole("list", { name: `${name}, the last 90 days` });
    assert.equal(await strip.locator("li").count(), 90, name);
  }
  const agents = visitor.page.getByRole("region", { name: "Download agents" });
  const today = agents.getByRole("list", { name: "Download agents, the last 90 days" }).locator("li").last();
  assert.match(await today.getAttribute("class"), /day-major_outage/);
  assert.match(
    await agents
      .getByRole("list", { name: "Download agents, the last 90 days" })
      .locator("li")
      .first()
      .getAttribute("class"),
    /day-no_data/,
  );
  await today.hover();
  const detail = visitor.page.getByTestId("day-detail-agents");
  assert.match(await detail.textContent(), /Major outage · \d+ min down · Incident: Downloads wait for agents/);
  assert.match(await agents.getByRole("list", { name: "Download agents uptime" }).textContent(), /24 hours: 0\.00 %/);
  const storage = visitor.page.getByRole("region", { name: "File storage" });
  assert.match(await storage.getByRole("list", { name: "File storage uptime" }).textContent(), /24 hours: 100\.00 %/);
  assert.match(
    await storage
      .getByRole("list", { name: "File storage, the last 90 days" })
      .locator("li")
      .last()
      .getAttribute("class"),
    /day-operational/,
  );
  // The keyboard walks the strip too.
  await agents.getByRole("list", { name: "Download agents, the last 90 days" }).focus();
  await visitor.page.keyboard.press("ArrowLeft");
  assert.match(await detail.textContent(), /No data/);
  const listed = visitor.page.getByRole("listitem", { name: "Downloads wait for agents" });
  await listed.getByText("An agent is back online.").waitFor();
  await screenshot(visitor.page, "status-history");
  await visitor.context.close();

  assert.deepEqual(problems, []);
  await context.close();
});

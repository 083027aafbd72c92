// Organizations in Debian's Chromium: an owner creates a team and invites a colleague by email;
// the colleague opens the mailed link, accepts, and sees the team as a member (no invitations,
// no owner's actions); the owner sees them in the members. A team's members then work in it
// through the switcher: their jobs share the team's plan, the owner sees everyone's with who
// submitted each, a member only their own; an operator moves the team to a bigger plan. Screenshots
// land in test-results/screenshots.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually, launchBrowser, newPage, screenshot, signIn, startCloud } from "./support.mjs";

let cloud;
let browser;

before(async () => {
  [cloud, browser] = await Promise.all([startCloud({ TSEEDER_EMBEDDED_AGENT__ENABLED: "false" }), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await cloud?.stop();
});

test("an invitation mailed to a colleague is accepted and shows member and owner views", async () => {
  const colleague = cloud.createUser("colleague@tseeder.test");
  const owner = await newPage(browser);
  await signIn(owner.page, cloud.base, cloud.admin.email, cloud.admin.password);
  await owner.page.getByRole("link", { name: "Organizations" }).first().click();
  await owner.page.getByRole("heading", { name: "Organizations" }).waitFor();
  await owner.page.getByRole("list", { name: "Your organizations" }).getByText("Personal").first().waitFor();
  await owner.page.getByLabel("Organization name").fill("Film club");
  await owner.page.getByRole("button", { name: "Create organization" }).click();
  await owner.page.getByRole("heading", { name: "Film club" }).waitFor();
  assert.equal(await owner.page.getByTestId("org-role").textContent(), "You are its owner.");

  await owner.page.getByLabel("Email to invite").fill(colleague.email);
  await owner.page.getByRole("button", { name: "Invite", exact: true }).click();
  await owner.page.getByText(`Invitation sent to ${colleague.email}`).waitFor();
  await owner.page.getByRole("list", { name: "Invitations waiting" }).getByText(colleague.email).waitFor();
  await screenshot(owner.page, "org-owner-invited");

  const mail = cloud.mails().find((m) => m.includes(`To: ${colleague.email}`) && m.includes("Film club"));
  assert.ok(mail, "the invitation was mailed");
  const link = mail.match(/http:\/\/\S+\/invites\/accept\?token=[A-Za-z0-9_-]+/)[0];

  const member = await newPage(browser);
  await member.page.goto(link);
  await member.page.getByRole("link", { name: "Sign in to accept" }).click();
  await member.page.getByLabel("Email").fill(colleague.email);
  await member.page.getByLabel("Password").fill(colleague.password);
  await member.page.getByRole("button", { name: "Sign in" }).click();
  await member.page.getByRole("button", { name: "Accept invitation" }).click();
  await member.page.getByText("You joined Film club as member.").waitFor();
  await member.page.getByRole("link", { name: "Open it" }).click();
  await member.page.getByRole("heading", { name: "Film club" }).waitFor();
  assert.equal(await member.page.getByTestId("org-role").textContent(), "You are its member.");
  assert.equal(await member.page.getByRole("heading", { name: "Invitations" }).count(), 0);
  assert.equal(await member.page.getByRole("button", { name: "Remove" }).count(), 0);
  await member.page.getByRole("button", { name: "Leave organization" }).waitFor();
  await screenshot(member.page, "org-member-view");

  await owner.page.reload();
  const members = owner.page.getByRole("table", { name: "Members" });
  await members
    .getByRole("row", { name: new RegExp(colleague.email) })
    .getByText("member")
    .waitFor();
  await members
    .getByRole("row", { name: new RegExp(colleague.email) })
    .getByRole("button", { name: "Make admin" })
    .waitFor();
  assert.equal(await owner.page.getByRole("list", { name: "Invitations waiting" }).count(), 0);
  assert.deepEqual(owner.problems, []);
  assert.deepEqual(member.problems, []);
});

function magnet(name) {
  const hash = [...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `magnet:?xt=urn:btih:${hash}&dn=${name}`;
}

async function addJob(page, name) {
  await page.getByRole("link", { name: "Jobs" }).first().click();
  await page.getByRole("textbox", { name: "Magnet link" }).fill(magnet(name));
  await page.getByRole("button", { name: "Add", exact: true }).click();
}

async function workIn(page, org) {
  await page.getByLabel("Working in").selectOption({ label: org });
  await page.getByLabel("Working in").and(page.locator(":enabled")).waitFor();
}

test("a team's members share its plan; the owner sees who submitted what, a member only their own", async () => {
  const lead = cloud.createUser("lead@tseeder.test");
  const mate = cloud.createUser("mate@tseeder.test");
  const owner = await newPage(browser);
  await signIn(owner.page, cloud.base, lead.email, lead.password);
  await owner.page.getByRole("link", { name: "Organizations" }).first().click();
  await owner.page.getByLabel("Organization name").fill("Seed crew");
  await owner.page.getByRole("button", { name: "Create organization" }).click();
  await owner.page.getByRole("heading", { name: "Seed crew" }).waitFor();
  await owner.page.getByLabel("Email to invite").fill(mate.email);
  await owner.page.getByRole("button", { name: "Invite", exact: true }).click();
  await owner.page.getByText(`Invitation sent to ${mate.email}`).waitFor();
  const mail = cloud.mails().find((m) => m.includes(`To: ${mate.email}`) && m.includes("Seed crew"));
  const link = mail.match(/http:\/\/\S+\/invites\/accept\?token=[A-Za-z0-9_-]+/)[0];

  const member = await newPage(browser);
  await signIn(member.page, cloud.base, mate.email, mate.password);
  await member.page.goto(link);
  await member.page.getByRole("button", { name: "Accept invitation" }).click();
  await member.page.getByText("You joined Seed crew as member.").waitFor();
  await member.page.getByRole("link", { name: "Organizations" }).first().click();
  await member.page.getByRole("button", { name: "Work in Seed crew" }).click();
  await member.page.getByLabel("Working in Seed crew").waitFor();
  await addJob(member.page, "mates-job");
  await member.page.getByRole("link", { name: "mates-job" }).first().waitFor();

  await owner.page.reload();
  await workIn(owner.page, "Seed crew");
  await owner.page.getByRole("link", { name: "Jobs" }).first().click();
  const matesJob = owner.page
    .getByRole("list", { name: "Jobs" })
    .getByRole("listitem")
    .filter({ hasText: "mates-job" });
  await matesJob.getByTestId("submitter").getByText(`by ${mate.email}`).waitFor();
  await addJob(owner.page, "leads-job");
  await owner.page.getByRole("list", { name: "Jobs" }).getByRole("link", { name: "leads-job" }).waitFor();
  await screenshot(owner.page, "org-owner-sees-team-jobs");

  // The free plan's two active jobs are the team's: the member's third is refused.
  await addJob(member.page, "one-too-many");
  await member.page.getByText(/allows 2 active jobs/).waitFor();
  await member.page.reload();
  const listed = member.page.getByRole("list", { name: "Jobs" });
  await listed.getByRole("link", { name: "mates-job" }).waitFor();
  assert.equal(await listed.getByRole("link", { name: "leads-job" }).count(), 0, "a member sees only their own");
  await member.page.getByRole("link", { name: "Usage" }).first().click();
  await member.page.getByTestId("usage-org").getByText("Seed crew").waitFor();
  await member.page.getByText("2 of 2").waitFor();
  await screenshot(member.page, "org-member-shared-quota");

  // Back in their personal organization, the member has room of their own.
  await workIn(member.page, "Personal");
  await addJob(member.page, "at-home");
  await member.page.getByRole("list", { name: "Jobs" }).getByRole("link", { name: "at-home" }).waitFor();
  assert.equal(
    await member.page.getByRole("list", { name: "Jobs" }).getByRole("link", { name: "mates-job" }).count(),
    0,
  );

  // An operator sees the team's plan and usage, and moves it to a bigger plan.
  const operator = await newPage(browser);
  await signIn(operator.page, cloud.base, cloud.admin.email, cloud.admin.password);
  await operator.page.goto(`${cloud.base}/admin/orgs`);
  await operator.page.getByLabel("Search organizations").fill("Seed crew");
  await operator.page.getByRole("link", { name: "Seed crew" }).click();
  await operator.page.getByRole("heading", { name: "Seed crew" }).waitFor();
  assert.equal(await operator.page.getByTestId("org-plan").textContent(), "Free");
  assert.equal(await operator.page.getByTestId("org-subscription").textContent(), "none");
  await operator.page.getByText("2 of 2").waitFor();
  await operator.page.getByRole("region", { name: "Plan and usage" }).getByRole("combobox").selectOption("pro");
  await operator.page.getByRole("button", { name: "Change plan" }).click();
  const dialog = operator.page.getByRole("dialog");
  await dialog.getByLabel("Reason").fill("The team pays by yearly invoice");
  await dialog.getByLabel("Ticket id").fill("SALES-7");
  await dialog.getByLabel("Type PLAN to confirm").fill("PLAN");
  await dialog.getByRole("button", { name: "Change plan" }).click();
  await dialog.waitFor({ state: "detached" });
  await eventually(
    "the team's new plan to show",
    async () => (await operator.page.getByTestId("org-plan").textContent()) === "Pro",
  );
  await screenshot(operator.page, "admin-org-plan");
  await operator.page.getByRole("link", { name: "Its jobs" }).click();
  await operator.page.getByRole("heading", { name: "All jobs" }).waitFor();
  await operator.page.getByText("leads-job").waitFor();
  await operator.page.getByText("mates-job").waitFor();
  assert.equal(await operator.page.getByText("at-home").count(), 0, "the member's own job is not the team's");
  await workIn(member.page, "Seed crew");
  await addJob(member.page, "fits-on-pro");
  await member.page.getByRole("list", { name: "Jobs" }).getByRole("link", { name: "fits-on-pro" }).waitFor();

  assert.deepEqual(owner.problems, []);
  assert.deepEqual(member.problems, []);
  assert.deepEqual(operator.problems, []);
});

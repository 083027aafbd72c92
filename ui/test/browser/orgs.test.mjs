// Organizations in Debian's Chromium: an owner creates a team and invites a colleague by email;
// the colleague opens the mailed link, accepts, and sees the team as a member (no invitations,
// no owner's actions); the owner sees them in the members. Screenshots land in
// test-results/screenshots.
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

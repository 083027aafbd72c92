// The desktop app end to end: the real `tseeder` window under Xvfb, in a D-Bus session with an
// unlocked gnome-keyring and a notification daemon (scripts/with-session-bus), driven through
// tauri-driver and Debian's WebKitWebDriver. It signs in to a real tseeder-cloud, takes a magnet
// from a second launch (the single-instance hand-over), sends it to the cloud, whose agent fetches
// it from a local aria2c seeder, and syncs the file into the sync folder. Screens are photographed.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { builtBinary, eventually, startCloud, startSeeder } from "../browser/support.mjs";
import { appEnv, endApp } from "./processes.mjs";
import { openApp, startDriver } from "./webdriver.mjs";

/** Every file under `dir`, as paths. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");

let cloud;
let seeder;
let driver;
let app;
let monitor;
let monitorLog = "";
let home;
let env;
const bin = builtBinary("TSEEDER_APP_BIN", "tseeder");

before(async () => {
  if (!existsSync(bin)) throw new Error(`no tseeder app at ${bin}: cargo build -p tseeder-app, or set TSEEDER_APP_BIN`);
  if (!process.env.DISPLAY || !process.env.DBUS_SESSION_BUS_ADDRESS) {
    throw new Error("run under xvfb-run -a dbus-run-session -- scripts/with-session-bus (npm run test:desktop does)");
  }
  [cloud, seeder] = await Promise.all([
    startCloud(),
    startSeeder({ name: "desktop-sample.bin", size: 6 * 1024 * 1024, uploadLimit: "2M" }),
  ]);
  // Every notification the app sends crosses the session bus as a Notify call.
  monitor = spawn("dbus-monitor", ["--session", "interface='org.freedesktop.Notifications',member='Notify'"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  monitor.stdout.on("data", (chunk) => (monitorLog += chunk));
  home = mkdtempSync(join(tmpdir(), "tseeder-desktop-home-"));
  // The seeder and the cloud are on loopback too.
  env = appEnv(home, { TSEEDER_DESKTOP_ALLOW_PRIVATE_ADDRESSES: "1" });
  driver = await startDriver(env);
  app = await openApp(driver, bin);
});

after(async () => {
  await app?.close();
  await driver?.stop();
  if (home) await endApp(join(home, "app-data"));
  monitor?.kill("SIGTERM");
  await seeder?.stop();
  await cloud?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** A secret of the app's from the session keyring; the agent token is filed per account (`#<user id>`). */
function keyringLookup(account, userId) {
  const name = userId ? `${account}@${cloud.base}#${userId}` : `${account}@${cloud.base}`;
  const found = spawnSync("secret-tool", ["lookup", "service", "tseeder", "username", name], {
    encoding: "utf8",
  });
  return found.status === 0 ? found.stdout.trim() : "";
}

test("signs in from Settings; the API key goes to the keyring, never to a file", async () => {
  await app.waitText("#account-status", "Not signed in");
  await app.find("#add-link");
  await app.screenshot("desktop-downloads-empty");

  await app.click("#tab-settings");
  await app.find("#sign-in-form");
  await app.screenshot("desktop-settings-signed-out");
  await app.type("#sign-in-form input[name=cloudUrl]", cloud.base);
  await app.type("#sign-in-form input[name=email]", cloud.admin.email);
  await app.type("#sign-in-form input[name=password]", cloud.admin.password);
  await app.click("#sign-in-form button[type=submit]");
  await app.waitText("#signed-in-as", (text) => text.includes(cloud.admin.email), 30_000);
  await app.waitText("#account-status", cloud.admin.email);
  await app.screenshot("desktop-settings-signed-in");

  const key = keyringLookup("api-key");
  assert.ok(key.length > 20, "an API key is in the session's Secret Service");
  const me = await fetch(`${cloud.base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(me.status, 200, "the keyring's key signs in to the cloud");
  assert.equal((await me.json()).user.email, cloud.admin.email);
  for (const path of filesUnder(home)) {
    assert.ok(!readFileSync(path).includes(key), `the API key is written in ${path}`);
  }
});

test("a second launch hands its magnet to the running window; the cloud downloads it; the app syncs it", async () => {
  await app.click("nav button:not(#tab-settings)");
  const second = spawn(bin, [seeder.magnet], { env, stdio: "ignore" });
  const exitCode = await new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error("the second launch did not hand over and exit")), 20_000);
    second.once("exit", (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
  assert.equal(exitCode, 0);
  assert.equal((await app.windowHandles()).length, 1, "still one window");

  await app.find("dialog.add-dialog[open]");
  // The file list comes from the torrent's metadata, fetched from the seeder first.
  await eventually(
    "the torrent's file list",
    async () => (await app.text(".add-dialog .file-list")).includes(seeder.name),
    60_000,
  );
  assert.match(await app.text("#add-title"), new RegExp(seeder.name.replace(".", "\\.")));
  await app.screenshot("desktop-add-dialog");
  await app.click(".add-dialog label:has(> input[name=destination][value=cloud])");
  assert.equal(await app.property(".add-dialog input[name=destination][value=cloud]", "checked"), true);
  await app.click("#add-confirm");

  const job = "#job-list li.job[data-key^='cloud:']";
  await app.find(job, 30_000);
  await eventually(
    "the cloud job to complete",
    async () => (await app.attribute(job, "data-status")) === "completed",
    120_000,
  );
  await eventually(
    "the sync to finish",
    async () => (await app.findAll(`${job} .sync-line[data-sync=done]`)).length === 1,
    60_000,
  ).catch(async (err) => {
    await app.screenshot("desktop-failed-sync");
    throw new Error(`${err.message}; the job says: ${await app.text(job)}`);
  });
  await app.screenshot("desktop-downloads-synced");

  const syncDir = join(env.XDG_DOWNLOAD_DIR, "tseeder", "Cloud");
  const synced = filesUnder(syncDir);
  assert.deepEqual(
    synced.map((path) => path.slice(syncDir.length + 1)),
    [seeder.name],
    "exactly the torrent's file, no temporary file left",
  );
  assert.equal(statSync(synced[0]).size, 6 * 1024 * 1024);
  assert.equal(sha256(synced[0]), seeder.sha256);

  await eventually(
    "the notifications on the session bus",
    () =>
      monitorLog.includes(`string "Finished in the cloud: ${seeder.name}"`) &&
      monitorLog.includes(`string "Synced ${seeder.name}"`),
  );
});

/** A second launch of the app with `arg`, as a browser or file manager starts it; resolves on its exit. */
async function secondLaunch(arg) {
  const second = spawn(bin, [arg], { env, stdio: "ignore" });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error("the second launch did not hand over and exit")), 20_000);
    second.once("exit", (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
}

test("a link from a web page opens the dialog and starts nothing until the user confirms, whatever its dest", async () => {
  const key = keyringLookup("api-key");
  const cloudJobs = async () =>
    (await (await fetch(`${cloud.base}/api/v1/jobs`, { headers: { authorization: `Bearer ${key}` } })).json()).total;
  const jobsBefore = (await app.findAll("#job-list li.job")).length;
  const cloudBefore = await cloudJobs();
  // Signed in with no remembered choice, the dialog suggests the cloud when the link does not say.
  for (const [dest, preselected] of [
    ["cloud", "cloud"],
    ["local", "local"],
    ["ask", "cloud"],
  ]) {
    const hash = createHash("sha1").update(`link-${dest}-${Date.now()}`).digest("hex");
    const magnet = `magnet:?xt=urn:btih:${hash}&dn=from-a-page-${dest}.bin`;
    assert.equal(await secondLaunch(`tseeder://add?uri=${encodeURIComponent(magnet)}&dest=${dest}`), 0);
    await app.find("dialog.add-dialog[open]");
    await app.waitText("#add-title", (text) => text.includes(`from-a-page-${dest}.bin`));
    assert.equal(
      await app.property(`.add-dialog input[name=destination][value=${preselected}]`, "checked"),
      true,
      `dest=${dest} preselects ${preselected}`,
    );
    if (dest === "cloud") await app.screenshot("desktop-link-dialog");
    // Time enough for an add that did not wait for the user to show up in either list.
    await new Promise((done) => setTimeout(done, 3_000));
    assert.equal((await app.findAll("#job-list li.job")).length, jobsBefore, `dest=${dest} added nothing here`);
    assert.equal(await cloudJobs(), cloudBefore, `dest=${dest} made no cloud job`);
    await app.click("#add-cancel");
    await eventually("the dialog to close", async () => (await app.findAll("dialog.add-dialog[open]")).length === 0);
  }
});

test("signing out removes the key from the keyring and revokes it", async () => {
  const key = keyringLookup("api-key");
  assert.ok(key, "signed in before");
  const userId = (
    await (await fetch(`${cloud.base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } })).json()
  ).user.id;
  await eventually("the device token, filed under this account", () => keyringLookup("agent-token", userId) !== "");
  await app.click("#tab-settings");
  await app.click("#signed-in-as ~ button");
  await app.find("#sign-in-form");
  await app.waitText("#account-status", "Not signed in");
  assert.equal(keyringLookup("api-key"), "");
  assert.equal(keyringLookup("agent-token", userId), "");
  const me = await fetch(`${cloud.base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(me.status, 401);
});

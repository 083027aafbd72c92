// The app in the tray: closing the window must release its web view (WebKit's web and network
// processes exit, the app keeps running), the app's own process must let go of what the window
// used in it (WebKit's and GL's library pages, the freed heap), and opening it again must build
// a fresh one that draws the app. The app
// is started directly, not through WebDriver, so nothing but the app decides about its window.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { builtBinary, eventually } from "../browser/support.mjs";
import {
  appEnv,
  closeWindow,
  endApp,
  rssMiB,
  shownWindows,
  treeRssMiB,
  webkitProcesses,
  webProcesses,
  windowColours,
} from "./processes.mjs";

const bin = builtBinary("TSEEDER_APP_BIN", "tseeder");
let home;
let env;
let app;

before(() => {
  if (!existsSync(bin)) throw new Error(`no tseeder app at ${bin}: cargo build -p tseeder-app, or set TSEEDER_APP_BIN`);
  if (!process.env.DISPLAY || !process.env.DBUS_SESSION_BUS_ADDRESS) {
    throw new Error("run under xvfb-run -a dbus-run-session -- scripts/with-session-bus (npm run test:desktop does)");
  }
  home = mkdtempSync(join(tmpdir(), "tseeder-tray-home-"));
  env = appEnv(home);
});

after(async () => {
  if (home) {
    await endApp(join(home, "app-data"));
    rmSync(home, { recursive: true, force: true });
  }
});

/** The app's one shown window, once it has drawn its screen (dozens of colours, not a blank). */
async function drawnWindow(what) {
  return eventually(
    what,
    () => {
      const [id] = shownWindows("tseeder");
      return id && webProcesses(app.pid).length > 0 && windowColours(id) >= 16 ? id : null;
    },
    30_000,
  );
}

test("closing the window ends WebKit's processes and leaves the app in the tray; it opens again", async (t) => {
  app = spawn(bin, [], { env, stdio: ["ignore", "ignore", "inherit"] });
  const first = await drawnWindow("the window to be drawn");
  const open = treeRssMiB(app.pid);
  const openOwn = rssMiB(app.pid);

  closeWindow(first);
  await eventually(
    "the window to close and WebKit's processes to exit",
    () => shownWindows("tseeder").length === 0 && webkitProcesses(app.pid).length === 0,
  );
  // Still running, and it stays so: the tray holds it, not the window.
  await new Promise((done) => setTimeout(done, 2_000));
  assert.equal(app.exitCode, null, "the app exited when its window closed");
  assert.deepEqual(webkitProcesses(app.pid), []);
  const closed = treeRssMiB(app.pid);
  t.diagnostic(`resident memory of the app's processes: ${open.toFixed(0)} MiB open, ${closed.toFixed(0)} MiB closed`);
  assert.ok(
    closed < open - 50,
    `closing the window freed too little: ${open.toFixed(0)} MiB open, ${closed.toFixed(0)} MiB closed`,
  );
  // In the app's own process, WebKit's UI side and GL leave their libraries' pages resident:
  // without handing them back the process keeps nearly all it held with the window open.
  const closedOwn = await eventually(
    "the app's own process to hand back the window's memory",
    () => {
      const now = rssMiB(app.pid);
      return now < openOwn / 2 ? now : null;
    },
    15_000,
  ).catch(() => rssMiB(app.pid));
  t.diagnostic(`the app's own process: ${openOwn.toFixed(0)} MiB open, ${closedOwn.toFixed(0)} MiB in the tray`);
  assert.ok(
    closedOwn < openOwn / 2,
    `the app's own process kept ${closedOwn.toFixed(0)} of the ${openOwn.toFixed(0)} MiB it held with the window open`,
  );

  // Launching the app again (the desktop menu, a link) hands over to this one, which opens a
  // fresh window with a fresh web view.
  const second = spawnSync(bin, [], { env, timeout: 30_000 });
  assert.equal(second.status, 0, "the second launch did not hand over and exit");
  await drawnWindow("the window to open again");
  assert.equal(app.exitCode, null);
});

// How the window is first drawn: GTK draws a copy of the page's frame while WebKit starts, and the
// page takes it away once its own is on screen (src-tauri/src/frame.rs).
// How WebKit paints the window's page: on the CPU, unless the user's environment says otherwise.
// Painting through GL first compiles GL shaders, which on a machine without a GPU Mesa does with
// LLVM on the start's path (docs/benchmarks.md, first paint). Skia names the thread that paints
// through GL in the web process "SkiaGPUWorker"; painting on the CPU has a "SkiaCPUWorker" only.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { builtBinary, eventually } from "../browser/support.mjs";
import { appEnv, endApp, environmentOf, shownWindows, threadNames, webProcesses, windowColours } from "./processes.mjs";

const bin = builtBinary("TSEEDER_APP_BIN", "tseeder");
const CPU_PAINTING = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

before(() => {
  if (!existsSync(bin)) throw new Error(`no tseeder app at ${bin}: cargo build -p tseeder-app, or set TSEEDER_APP_BIN`);
  if (!process.env.DISPLAY || !process.env.DBUS_SESSION_BUS_ADDRESS) {
    throw new Error("run under xvfb-run -a dbus-run-session -- scripts/with-session-bus (npm run test:desktop does)");
  }
});

/**
 * Starts the app with `more` in its environment and its start-up phases logged; `at(line)` is
 * where a phase's line is in the log so far (-1 before it), `end()` ends the app.
 */
function startLogged(more = {}) {
  const home = mkdtempSync(join(tmpdir(), "tseeder-paint-home-"));
  const env = appEnv(home, { TSEEDER_LOG: "warn,tseeder=debug", ...more });
  if (!(CPU_PAINTING in more)) delete env[CPU_PAINTING];
  const app = spawn(bin, [], { env, stdio: ["ignore", "pipe", "inherit"] });
  let log = "";
  app.stdout.setEncoding("utf8").on("data", (text) => (log += text));
  return {
    app,
    at: (line) => log.indexOf(line),
    end: async () => {
      await endApp(join(home, "app-data"));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

const PAGE_DRAWN = "the page's frame replaced the native one";

/**
 * Starts the app with `more` in its environment, waits until the page has drawn its own frame,
 * and answers its web process's painting variable and thread names.
 */
async function paintedBy(more) {
  const { app, at, end } = startLogged(more);
  try {
    await eventually("the page to draw its frame", () => at(PAGE_DRAWN) >= 0, 30_000);
    const [page] = webProcesses(app.pid);
    return { variable: environmentOf(page.pid, CPU_PAINTING), threads: threadNames(page.pid) };
  } finally {
    await end();
  }
}

test("the window opens on GTK's copy of the page's frame, which goes once the page has drawn its own", async () => {
  const { at, end } = startLogged();
  // Below the "Loading tseeder…" box: empty in both frames, the downloads screen once the page shows.
  const belowTheFrame = "600x120+20+170";
  try {
    await eventually("the page to take over", () => at(PAGE_DRAWN) >= 0, 30_000);
    const drawn = at("the native frame is drawn");
    assert.ok(drawn >= 0, "the native frame was never drawn");
    assert.ok(drawn < at("the window's page loaded"), "the native frame was drawn only after WebKit loaded the page");
    assert.equal(at("never said it was drawn"), -1, "the page's own signal did not take the native frame away");
    // The web view itself is on screen now: the downloads screen draws where the frame is empty.
    const [id] = shownWindows("tseeder");
    await eventually("the downloads screen to show", () => windowColours(id, belowTheFrame) >= 8, 30_000);
  } finally {
    await end();
  }
});

test("the window's page is painted on the CPU, with no GL painting thread", async () => {
  const { variable, threads } = await paintedBy({});
  assert.equal(variable, "1", "the web process did not get the CPU painting setting");
  assert.ok(threads.includes("SkiaCPUWorker"), `no CPU painting thread among ${threads.join(", ")}`);
  assert.ok(!threads.includes("SkiaGPUWorker"), "the page is painted through GL");
});

test("the user's own setting decides: =0 gives painting back to GL", async () => {
  const { variable, threads } = await paintedBy({ [CPU_PAINTING]: "0" });
  assert.equal(variable, "0", "the app replaced the user's setting");
  assert.ok(threads.includes("SkiaGPUWorker"), `no GL painting thread among ${threads.join(", ")}`);
});

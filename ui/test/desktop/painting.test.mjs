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
 * Starts the app with `more` in its environment, waits until its window has drawn the app, and
 * answers its web process's painting variable and thread names.
 */
async function paintedBy(more) {
  const home = mkdtempSync(join(tmpdir(), "tseeder-paint-home-"));
  const env = appEnv(home, more);
  if (!(CPU_PAINTING in more)) delete env[CPU_PAINTING];
  const app = spawn(bin, [], { env, stdio: ["ignore", "ignore", "inherit"] });
  try {
    const web = await eventually(
      "the window to be drawn",
      () => {
        const [id] = shownWindows("tseeder");
        const [page] = webProcesses(app.pid);
        return id && page && windowColours(id) >= 16 ? page.pid : null;
      },
      30_000,
    );
    return { variable: environmentOf(web, CPU_PAINTING), threads: threadNames(web) };
  } finally {
    await endApp(join(home, "app-data"));
    rmSync(home, { recursive: true, force: true });
  }
}

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

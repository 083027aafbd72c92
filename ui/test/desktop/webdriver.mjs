// A small W3C WebDriver client for the desktop app's window: tauri-driver in front of Debian's
// WebKitWebDriver, which starts the real `tseeder` binary. Only the commands the tests use.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, freePort, SCREENSHOTS } from "../browser/support.mjs";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

async function call(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const { error, message } = parsed.value ?? {};
    throw new Error(`WebDriver ${method} ${path}: ${response.status} ${error ?? ""} ${message ?? text}`);
  }
  return parsed.value;
}

/**
 * tauri-driver on free loopback ports with `env` as the app's environment (the driver, WebKit's
 * driver and the app inherit it).
 */
export async function startDriver(env) {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  await eventually("tauri-driver to answer", async () => {
    const status = await fetch(`${base}/status`);
    return status.ok;
  });
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => (child.exitCode !== null ? done() : child.once("exit", done)));
    },
  };
}

/** One window of the app, started by the driver from `application`. */
export async function openApp(driver, application) {
  const created = await call(driver.base, "POST", "/session", {
    capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } },
  });
  return new Session(driver.base, created.sessionId);
}

export class Session {
  constructor(driverBase, id) {
    this.base = `${driverBase}/session/${id}`;
    this.driverBase = driverBase;
    this.id = id;
  }

  call(method, path, body) {
    return call(this.base, method, path, body);
  }

  /** The first element matching `css`, waiting for it to appear. */
  async find(css, timeoutMs = 20_000) {
    const found = await eventually(
      `an element matching ${css}`,
      async () => {
        const list = await this.call("POST", "/elements", { using: "css selector", value: css });
        return list[0];
      },
      timeoutMs,
    );
    return found[ELEMENT];
  }

  async findAll(css) {
    const list = await this.call("POST", "/elements", { using: "css selector", value: css });
    return list.map((entry) => entry[ELEMENT]);
  }

  async click(css) {
    const element = await this.find(css);
    try {
      await this.call("POST", `/element/${element}/click`, {});
    } catch (err) {
      // What the window showed when a click could not land, for the person reading the failure.
      await this.screenshot("desktop-failed-click").catch(() => {});
      throw err;
    }
  }

  /** Replaces a field's text by typing, as a person would. */
  async type(css, text) {
    const element = await this.find(css);
    await this.call("POST", `/element/${element}/clear`, {});
    await this.call("POST", `/element/${element}/value`, { text });
  }

  async text(css) {
    return this.call("GET", `/element/${await this.find(css)}/text`);
  }

  /** Waits until the text of `css` satisfies `check` (a string to equal or a predicate). */
  async waitText(css, check, timeoutMs = 20_000) {
    const ok = typeof check === "function" ? check : (text) => text === check;
    return eventually(
      `the text of ${css}`,
      async () => {
        const text = await this.text(css);
        return ok(text) ? text || true : false;
      },
      timeoutMs,
    );
  }

  async attribute(css, name) {
    return this.call("GET", `/element/${await this.find(css)}/attribute/${name}`);
  }

  async property(css, name) {
    return this.call("GET", `/element/${await this.find(css)}/property/${name}`);
  }

  script(source, ...args) {
    return this.call("POST", "/execute/sync", { script: source, args });
  }

  windowHandles() {
    return this.call("GET", "/window/handles");
  }

  /** Saves the window under test-results/screenshots after the screen has settled. */
  async screenshot(name) {
    await new Promise((r) => setTimeout(r, 400));
    const png = await this.call("GET", "/screenshot");
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, `${name}.png`), Buffer.from(png, "base64"));
  }

  async close() {
    await call(this.driverBase, "DELETE", `/session/${this.id}`).catch(() => {});
  }
}

// Real parts for the console's browser tests: the tseeder-cloud binary serving ui/dist with its
// embedded agent, a torrent seeded by Debian's aria2c on 127.0.0.1, Debian's Chromium driven by
// Playwright, the server's mail outbox, and screenshots under test-results/screenshots.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const SCREENSHOTS = resolve("test-results/screenshots");
export const PASSWORD = "a long enough passphrase";

export async function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export async function eventually(what, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

/** A binary cargo built: `$variable` when set, else the debug build in the target folder. */
export function builtBinary(variable, name) {
  const target = process.env.CARGO_TARGET_DIR ?? join(process.env.HOME ?? "", ".cache/tseeder-target");
  return process.env[variable] ?? join(target, "debug", name);
}

/**
 * tseeder-cloud on a free loopback port, serving this folder's dist/, with an operator account;
 * `settings` are more TSEEDER_* variables.
 */
export async function startCloud(settings = {}, { adminRole = "admin" } = {}) {
  const bin = builtBinary("TSEEDER_CLOUD_BIN", "tseeder-cloud");
  if (!existsSync(bin))
    throw new Error(`no tseeder-cloud at ${bin}: cargo build -p tseeder-cloud, or set TSEEDER_CLOUD_BIN`);
  if (!existsSync(resolve("dist/index.html"))) throw new Error("the console is not built: npm run build");
  const dataDir = mkdtempSync(join(tmpdir(), "tseeder-console-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    TSEEDER_DATA_DIR: dataDir,
    TSEEDER_LISTEN: `127.0.0.1:${port}`,
    TSEEDER_PUBLIC_URL: base,
    TSEEDER_CONSOLE_DIR: resolve("dist"),
    TSEEDER_ADMIN_PASSWORD: PASSWORD,
    TSEEDER_LOG: "warn",
    // The embedded agent stays on loopback and finds the seeder through the magnet's peer hint.
    TSEEDER_EMBEDDED_AGENT__ENGINE__DHT: "false",
    TSEEDER_EMBEDDED_AGENT__ENGINE__LISTEN_IP: "127.0.0.1",
    // The swarm is on loopback, which the network policy refuses unless allowed.
    TSEEDER_TORRENT_NETWORK__ALLOW_PRIVATE_ADDRESSES: "true",
    TSEEDER_EMBEDDED_AGENT__POLL_INTERVAL_MS: "200",
    TSEEDER_EMBEDDED_AGENT__PROGRESS_INTERVAL_MS: "250",
    ...settings,
  };
  const admin = { email: "operator@tseeder.test", password: PASSWORD };
  const created = spawnSync(bin, ["admin", "create-user", "--email", admin.email, "--role", adminRole], { env });
  if (created.status !== 0) throw new Error(`create-user failed: ${created.stderr}`);
  const child = spawn(bin, ["serve"], { env, stdio: ["ignore", "ignore", "inherit"] });
  await eventually("tseeder-cloud to answer", async () => (await fetch(`${base}/health`)).ok);
  return {
    base,
    admin,
    dataDir,
    /** Another account (verified, password as the operator's) made with the same command. */
    createUser(email, role = "user") {
      const made = spawnSync(bin, ["admin", "create-user", "--email", email, "--role", role], { env });
      if (made.status !== 0) throw new Error(`create-user failed: ${made.stderr}`);
      return { email, password: PASSWORD };
    },
    /** Every mail written to the outbox so far, as text with quoted-printable undone. A mail
     * being written is a hidden `.….partial` file until it is renamed whole: those are left out. */
    mails() {
      const dir = join(dataDir, "outbox");
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((name) => !name.startsWith("."))
        .sort()
        .map((name) =>
          readFileSync(join(dir, name), "utf8")
            .replace(/=\r?\n/g, "")
            .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
        );
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The SHA-1 of the info dictionary: mktorrent writes `info` last, so it runs to the final `e`. */
function infoHash(torrent) {
  const marker = Buffer.from("4:info");
  const start = torrent.lastIndexOf(marker) + marker.length;
  return createHash("sha1")
    .update(torrent.subarray(start, torrent.length - 1))
    .digest("hex");
}

/**
 * One file of random bytes, made into a torrent by mktorrent and seeded by aria2c on 127.0.0.1;
 * `uploadLimit` keeps the download slow enough to watch.
 */
export async function startSeeder({ name = "console-sample.bin", size = 3 * 1024 * 1024, uploadLimit = "512K" } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tseeder-seed-"));
  const content = join(dir, "content");
  mkdirSync(content);
  const bytes = randomBytes(size);
  writeFileSync(join(content, name), bytes);
  const torrentPath = join(dir, "sample.torrent");
  const made = spawnSync("mktorrent", [
    "-a",
    "http://127.0.0.1:9/announce",
    "-l",
    "16",
    "-o",
    torrentPath,
    join(content, name),
  ]);
  if (made.status !== 0) throw new Error(`mktorrent failed: ${made.stderr}`);
  const hash = infoHash(readFileSync(torrentPath));
  const port = await freePort();
  const child = spawn(
    "aria2c",
    [
      "--interface=127.0.0.1",
      `--listen-port=${port}`,
      "--seed-ratio=0",
      "-V",
      "--enable-dht=false",
      "--enable-dht6=false",
      "--bt-enable-lpd=false",
      "--enable-peer-exchange=false",
      "--console-log-level=error",
      "--summary-interval=0",
      `--max-overall-upload-limit=${uploadLimit}`,
      `--dir=${content}`,
      torrentPath,
    ],
    { stdio: "ignore" },
  );
  await eventually(
    "aria2c to listen",
    () =>
      new Promise((done) => {
        const socket = createConnection(port);
        socket.once("connect", () => {
          socket.destroy();
          done(true);
        });
        socket.once("error", () => done(false));
      }),
  );
  return {
    name,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    magnet: `magnet:?xt=urn:btih:${hash}&dn=${encodeURIComponent(name)}&x.pe=127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A fresh browser context whose page fails the test on any CSP violation or page error. */
export async function newPage(browser, { viewport = { width: 1280, height: 860 } } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  return { context, page, problems };
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(page, base, email, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/jobs$/);
}

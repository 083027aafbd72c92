// What the browser tests stand on besides the browsers (browsers/): a local page with links, and
// a real tseeder-cloud started from the binary the Rust build made.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { eventually } from "./browsers/tab.mjs";

export { eventually };

export const MAGNET_A = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Debian%2013%20netinst";
export const MAGNET_B = `magnet:?xt=urn:btih:${"ab".repeat(20)}&dn=Big%20Buck%20Bunny`;
export const MAGNET_C = `magnet:?xt=urn:btih:${"cd".repeat(20)}&dn=Added%20later`;

/** A page with two magnets (one listed twice), a .torrent link, and links that do not count. */
export function testPage(torrentUrl) {
  return `<!doctype html><html><head><title>Links</title></head><body>
  <h1>Downloads</h1>
  <ul id="list">
    <li><a id="a" href="${MAGNET_A}">Debian</a></li>
    <li><a id="a-again" href="${MAGNET_A}">Debian (mirror)</a></li>
    <li><a id="b" href="${MAGNET_B}">Bunny</a></li>
    <li><a id="t" href="${torrentUrl}">Bunny .torrent</a></li>
    <li><a href="magnet:?dn=no-topic">Broken magnet</a></li>
    <li><a href="https://example.org/readme.html">Readme</a></li>
    <li><a href="mailto:someone@example.org">Mail</a></li>
  </ul></body></html>`;
}

export async function startPageServer() {
  const server = createServer((request, response) => {
    const port = server.address().port;
    if (request.url === "/") {
      response.writeHead(200, { "Content-Type": "text/html" });
      response.end(testPage(`http://127.0.0.1:${port}/files/bunny.torrent`));
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

function cloudBinary() {
  if (process.env.TSEEDER_CLOUD_BIN) {
    return process.env.TSEEDER_CLOUD_BIN;
  }
  const target = process.env.CARGO_TARGET_DIR ?? resolve("../target");
  return join(target, "debug", "tseeder-cloud");
}

/** A real tseeder-cloud on 127.0.0.1 with a fresh data folder and one verified user. */
export async function startCloud() {
  const bin = cloudBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `no tseeder-cloud binary at ${bin}: build it (cargo build -p tseeder-cloud) or set TSEEDER_CLOUD_BIN`,
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), "tseeder-ext-cloud-"));
  const port = await freePort();
  const email = "extension-user@tseeder.test";
  const password = "a long enough passphrase";
  const env = {
    ...process.env,
    TSEEDER_DATA_DIR: dataDir,
    TSEEDER_LISTEN: `127.0.0.1:${port}`,
    TSEEDER_PUBLIC_URL: `http://127.0.0.1:${port}`,
    // The extension only hands jobs over; nothing here needs them downloaded.
    TSEEDER_EMBEDDED_AGENT__ENABLED: "false",
    TSEEDER_ADMIN_PASSWORD: password,
    TSEEDER_LOG: "warn",
  };
  const created = spawnSync(bin, ["admin", "create-user", "--email", email, "--role", "user"], { env });
  if (created.status !== 0) {
    throw new Error(`create-user failed: ${created.stderr}`);
  }
  const child = spawn(bin, ["serve"], { env, stdio: ["ignore", "ignore", "inherit"] });
  const base = `http://127.0.0.1:${port}`;
  await eventually("tseeder-cloud to answer", async () => {
    try {
      return (await fetch(`${base}/health`)).ok;
    } catch {
      return false;
    }
  });
  return {
    base,
    email,
    password,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((done) => child.once("exit", done));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in with the password and creates an API key, as a user does in the web console. */
export async function createApiKey(cloud) {
  const login = await fetch(`${cloud.base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: cloud.email, password: cloud.password }),
  });
  if (!login.ok) {
    throw new Error(`login: ${login.status} ${await login.text()}`);
  }
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const { csrfToken } = await login.json();
  const key = await fetch(`${cloud.base}/api/v1/api-keys`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Cookie: cookie, "X-CSRF-Token": csrfToken },
    body: JSON.stringify({ name: "browser extension", currentPassword: cloud.password }),
  });
  if (!key.ok) {
    throw new Error(`api key: ${key.status} ${await key.text()}`);
  }
  const body = await key.json();
  return body.secret;
}

export async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

// Builds the extension for Chromium-based browsers and for Firefox: bundles the scripts, writes
// each browser's manifest, draws the icons, and packs a zip per browser for the stores.

import { build } from "esbuild";
import { zipSync } from "fflate";
import { deflateSync } from "node:zlib";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const DIST = "dist";
const ICON_SIZES = [16, 32, 48, 128];

// Pages may load scripts and styles only from the extension itself; the network is reached only
// by fetch, and only the origin the user allowed is reachable at all (host permissions).
const CSP =
  "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'; img-src 'self'; " +
  "connect-src https: http://127.0.0.1:* http://localhost:*";

function manifest(browser) {
  const icons = Object.fromEntries(ICON_SIZES.map((s) => [String(s), `icons/icon-${s}.png`]));
  const base = {
    manifest_version: 3,
    name: "tseeder",
    short_name: "tseeder",
    version: pkg.version,
    description: "Send magnet links and .torrent files to tseeder: your computer or your cloud.",
    icons,
    action: { default_title: "tseeder", default_popup: "popup.html", default_icon: icons },
    options_ui: { page: "options.html", open_in_tab: true },
    permissions: ["contextMenus", "storage", "notifications"],
    optional_host_permissions: ["https://*/*", "http://127.0.0.1/*", "http://localhost/*"],
    content_scripts: [{ matches: ["http://*/*", "https://*/*"], js: ["content.js"], run_at: "document_idle" }],
    content_security_policy: { extension_pages: CSP },
  };
  if (browser === "firefox") {
    return {
      ...base,
      background: { scripts: ["background.js"] },
      browser_specific_settings: {
        gecko: { id: "extension@tseeder.app", strict_min_version: "128.0" },
      },
    };
  }
  return { ...base, background: { service_worker: "background.js" }, minimum_chrome_version: "116" };
}

/** A PNG of the tseeder mark: a white arrow into a tray on a blue rounded square. */
function icon(size) {
  const pixels = Buffer.alloc(size * size * 4);
  const radius = size * 0.22;
  const inside = (x, y) => {
    const cx = Math.min(Math.max(x, radius), size - radius);
    const cy = Math.min(Math.max(y, radius), size - radius);
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
  };
  const mark = (x, y) => {
    const u = x / size;
    const v = y / size;
    const stem = Math.abs(u - 0.5) < 0.08 && v > 0.18 && v < 0.55;
    const head = v >= 0.45 && v < 0.68 && Math.abs(u - 0.5) < (0.68 - v) * 1.1;
    const tray = v > 0.74 && v < 0.84 && u > 0.2 && u < 0.8;
    return stem || head || tray;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const at = (y * size + x) * 4;
      if (!inside(x + 0.5, y + 0.5)) continue;
      const white = mark(x + 0.5, y + 0.5);
      pixels.set(white ? [255, 255, 255, 255] : [37, 99, 235, 255], at);
    }
  }
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

rmSync(DIST, { recursive: true, force: true });
const scripts = join(DIST, "scripts");
await build({
  entryPoints: ["src/background.ts", "src/content.ts", "src/popup.ts", "src/options.ts"],
  outdir: scripts,
  bundle: true,
  format: "iife",
  target: ["chrome116", "firefox128"],
  minify: false,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});

for (const browser of ["chromium", "firefox"]) {
  const out = join(DIST, browser);
  mkdirSync(join(out, "icons"), { recursive: true });
  cpSync("static", out, { recursive: true });
  cpSync(scripts, out, { recursive: true });
  for (const size of ICON_SIZES) {
    writeFileSync(join(out, "icons", `icon-${size}.png`), icon(size));
  }
  writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest(browser), null, 2)}\n`);
  const entries = Object.fromEntries(
    filesUnder(out).map((path) => [relative(out, path).split("\\").join("/"), readFileSync(path)]),
  );
  const zipName = join(DIST, `tseeder-${browser}-${pkg.version}.zip`);
  // A fixed date keeps the archives byte-identical from build to build.
  writeFileSync(zipName, zipSync(entries, { level: 9, mtime: new Date("2026-01-01T00:00:00Z") }));
  console.log(`built ${out} and ${zipName}`);
}
rmSync(scripts, { recursive: true, force: true });

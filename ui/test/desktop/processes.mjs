// The app's processes as the system sees them: the tests find the app they started by its data
// folder, WebKit's helpers by their parent, and end whatever is left (closing the window only
// sends the app to the tray).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const pids = () =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);

function read(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "latin1");
  } catch {
    return null;
  }
}

/**
 * The app's environment for a test: a temporary home with its own data, download and XDG
 * folders, the engine on loopback (no DHT); `more` adds or overrides variables.
 */
export function appEnv(home, more = {}) {
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
    XDG_DOWNLOAD_DIR: join(home, "Downloads"),
    TSEEDER_DESKTOP_DATA_DIR: join(home, "app-data"),
    TSEEDER_DESKTOP_LISTEN_IP: "127.0.0.1",
    TSEEDER_LOG: process.env.TSEEDER_LOG ?? "warn",
    ...more,
  };
}

/** Processes whose environment holds `TSEEDER_DESKTOP_DATA_DIR=<dataDir>`. */
export function appProcesses(dataDir) {
  const marker = `TSEEDER_DESKTOP_DATA_DIR=${dataDir}`;
  return pids().filter((pid) => read(pid, "environ")?.split("\0").includes(marker));
}

/** Ends the app using `dataDir`: politely, then by force after ten seconds. */
export async function endApp(dataDir) {
  const signal = (list, name) =>
    list.forEach((pid) => {
      try {
        process.kill(pid, name);
      } catch {
        // Already gone.
      }
    });
  signal(appProcesses(dataDir), "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (appProcesses(dataDir).length && Date.now() < deadline) await new Promise((done) => setTimeout(done, 200));
  signal(appProcesses(dataDir), "SIGKILL");
}

/** `root` and every process under it, with each one's short name (`comm`). */
export function processTree(root) {
  const parentOf = new Map();
  const names = new Map();
  for (const pid of pids()) {
    const stat = read(pid, "stat");
    if (!stat) continue;
    // The name is in parentheses and may hold spaces; the parent's pid is two fields after it.
    const close = stat.lastIndexOf(")");
    names.set(pid, stat.slice(stat.indexOf("(") + 1, close));
    parentOf.set(pid, Number(stat.slice(close + 2).split(" ")[1]));
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, parent] of parentOf) if (parent === tree[i]) tree.push(pid);
  }
  return tree.filter((pid) => names.has(pid)).map((pid) => ({ pid, name: names.get(pid) }));
}

/** All of WebKit's helper processes (web, network) under `root`. */
export const webkitProcesses = (root) => processTree(root).filter((p) => p.name.startsWith("WebKit"));

/** WebKit's web processes (which hold the page) under `root`; the kernel keeps 15 characters. */
export const webProcesses = (root) => webkitProcesses(root).filter((p) => p.name === "WebKitWebProces");

/** The names of a process's threads (`comm`, 15 characters kept), or none once it is gone. */
export function threadNames(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) => read(pid, `task/${tid}/comm`)?.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** One variable of a process's environment as it started, or undefined. */
export function environmentOf(pid, name) {
  const entry = read(pid, "environ")
    ?.split("\0")
    .find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

/** Resident memory of one process, in MiB (0 once it is gone). */
export function rssMiB(pid) {
  const line = read(pid, "status")
    ?.split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
}

/** Resident memory summed over `root`'s tree, in MiB. */
export function treeRssMiB(root) {
  return processTree(root).reduce((sum, { pid }) => sum + rssMiB(pid), 0);
}

const x11 = fileURLToPath(new URL("./x11.py", import.meta.url));

function x11Call(...args) {
  // Debian's python3, which has python3-xlib.
  const done = spawnSync("/usr/bin/python3", [x11, ...args], { encoding: "utf8" });
  if (done.status !== 0) throw new Error(`x11.py ${args.join(" ")}: ${done.stderr}`);
  return done.stdout;
}

/** Ids of the shown top-level windows titled `title`. */
export const shownWindows = (title) => x11Call("shown", title).split("\n").filter(Boolean).map(Number);

/** Asks a window to close, as its title bar's close button does. */
export const closeWindow = (id) => x11Call("close", String(id));

/**
 * How many distinct colours window `id` shows (within `crop`, ImageMagick's `WxH+X+Y`, when
 * given): a blank window has one or two.
 */
export function windowColours(id, crop = null) {
  const cropping = crop ? `-crop ${crop}` : "";
  const done = spawnSync("sh", ["-c", `import -window ${id} ${cropping} png:- | identify -format %k -`], {
    encoding: "utf8",
  });
  if (done.status !== 0) throw new Error(`could not capture window ${id}: ${done.stderr}`);
  return Number(done.stdout.trim());
}

#!/usr/bin/env python3
"""Side-by-side benchmarks of the desktop app against what users would otherwise run.

Started by `scripts/bench desktop` inside Xvfb and a private D-Bus session, after it has built
the release binaries and unpacked Debian's qBittorrent. Three measurements:

- cold start to first paint: from starting the process to the first screen capture of the X
  display that shows the app's content (many colours instead of the empty root or a blank
  window), polled with xwd; tseeder and qBittorrent each with a fresh profile;
- idle memory with ten torrents listed: both apps hold the same ten torrents, complete and
  seeding, then sit untouched; the resident memory of every process of the app (tseeder is a
  Rust process plus, while its window is open, WebKit's web and network processes) is summed,
  and so is PSS, which shares common pages out fairly. tseeder is measured with its window open
  and again after the window is closed (the app in the tray);
- sync speed: one finished cloud file fetched through the same signed link by the desktop app's
  sync code (tseeder-bench sync: Range request, temporary name, size check, fsync, publish) and
  by curl, each timed by itself from its request to the end of the file (curl's time_total);
  both outputs are compared with the source before a run counts.

Everything runs on 127.0.0.1. Medians of --runs runs are printed with ratios.
"""

import argparse
import array
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import (  # noqa: E402  (bench/run.py, beside this file)
    MIB, Services, Swarm, bdecode_info_span, free_port, fresh_logs, log, same_bytes, start_cloud,
    wait_until)

# A blank screen or an empty window shows one or two colours; a drawn window shows dozens
# (text is anti-aliased).
PAINTED_COLOURS = 16
TORRENTS = 10


def screen_colours(stride=7):
    """Distinct colours among every `stride`-th pixel of the whole X display."""
    raw = subprocess.run(["xwd", "-root", "-silent"], check=True, capture_output=True).stdout
    header = array.array("I", raw[:100])
    if sys.byteorder == "little":
        header.byteswap()  # XWD headers are big-endian
    header_size, width, bytes_per_line, ncolors = header[0], header[4], header[12], header[19]
    # The header's bits-per-pixel follows the visual xwd picked; the row length tells the truth.
    if bytes_per_line != width * 4:
        raise RuntimeError(f"expected 4 bytes per pixel, got rows of {bytes_per_line} bytes")
    pixels = array.array("I")
    start = header_size + ncolors * 12
    pixels.frombytes(raw[start : start + (len(raw) - start) // 4 * 4])
    return len({pixel & 0xFFFFFF for pixel in pixels[::stride]})


def process_tree(root):
    """`root` and all its descendants, by pid."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def memory_mib(root):
    """(RSS, PSS, USS, process count) over `root`'s tree, in MiB. USS counts only pages no other
    process maps (what exiting would free); RSS also counts every shared library page touched."""
    rss = pss = uss = 0
    tree = process_tree(root)
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                        uss += int(line.split()[1])
        except OSError:
            pass
    return rss / 1024, pss / 1024, uss / 1024, len(tree)


def stop_tree(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # WebKit's helper processes leave when their parent's socket closes; give them a moment.
    time.sleep(0.5)


class Apps:
    """How to start each app with a fresh profile under `work`."""

    def __init__(self, args, logs):
        self.args = args
        self.logs = logs
        # What a machine keeps for every app of its user, outside any app's profile: Mesa's
        # compiled shaders (WebKit composites and rasterises through GL; with no GPU, Mesa's
        # llvmpipe compiles each shader with LLVM, hundreds of milliseconds on a first start).
        # A fresh profile for each start must not also mean a machine that never ran GL.
        machine_cache = os.path.join(args.work, "machine-cache")
        shutil.rmtree(machine_cache, ignore_errors=True)  # each run's first start is cold
        self.machine_caches = dict(
            MESA_SHADER_CACHE_DIR=os.path.join(machine_cache, "mesa_shader_cache"))

    def tseeder_env(self, home):
        return dict(
            os.environ,
            **self.machine_caches,
            HOME=home,
            XDG_CONFIG_HOME=os.path.join(home, ".config"),
            XDG_DATA_HOME=os.path.join(home, ".local/share"),
            XDG_CACHE_HOME=os.path.join(home, ".cache"),
            XDG_DOWNLOAD_DIR=os.path.join(home, "Downloads"),
            TSEEDER_DESKTOP_DATA_DIR=os.path.join(home, "app-data"),
            TSEEDER_DESKTOP_LISTEN_IP="127.0.0.1",
            TSEEDER_DESKTOP_ALLOW_PRIVATE_ADDRESSES="1",
            TSEEDER_LOG="warn",
        )

    def qbittorrent_profile(self, home):
        config = os.path.join(home, "qBittorrent", "config")
        os.makedirs(config, exist_ok=True)
        # The first-run legal notice would stop the window from showing; DHT/LSD/UPnP stay off
        # as they do for tseeder here.
        with open(os.path.join(config, "qBittorrent.conf"), "w") as f:
            f.write(
                "[LegalNotice]\nAccepted=true\n\n"
                "[BitTorrent]\nSession\\DHTEnabled=false\nSession\\LSDEnabled=false\n"
                "Session\\PeXEnabled=false\nSession\\Interface=lo\nSession\\InterfaceAddress=127.0.0.1\n\n"
                "[Network]\nPortForwardingEnabled=false\n\n"
                "[Preferences]\nGeneral\\UseRandomPort=true\nAdvanced\\AnonymousMode=false\n"
                "Connection\\UPnP=false\nGeneral\\CloseToTray=false\n"
            )
        return dict(os.environ, **self.machine_caches, HOME=home,
                    XDG_CONFIG_HOME=os.path.join(home, ".config"),
                    XDG_DATA_HOME=os.path.join(home, ".local/share"),
                    XDG_CACHE_HOME=os.path.join(home, ".cache"))

    def start(self, name, cmd, env):
        out = open(os.path.join(self.logs, f"{name}.log"), "ab")
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def tseeder_cmd(self, *extra):
        return [os.path.join(self.args.bin_dir, "tseeder"), *extra]

    def qbittorrent_cmd(self, home, *extra):
        return [os.path.join(self.args.qbittorrent_root, "usr/bin/qbittorrent"),
                f"--profile={home}", *extra]


def wait_for_paint(proc, started, timeout=60):
    """Seconds from `started` until the display shows a drawn window."""
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode} before it painted")
        if screen_colours() >= PAINTED_COLOURS:
            return time.monotonic() - started
        # Each capture costs CPU the app starting beside it would use: poll every 20 ms.
        time.sleep(0.02)
    raise RuntimeError("no window was painted")


def bench_first_paint(args, apps, work):
    samples = {"tseeder": [], "qBittorrent": []}
    first_start = {}
    # One unmeasured start of each warms the page cache and the GL shader cache (outside the
    # app's profile, see `Apps.machine_caches`), as for any app opened on this machine before;
    # its time is kept apart as the first start ever.
    for run in range(0, args.runs + 1):
        for app in ("tseeder", "qBittorrent"):
            home = tempfile.mkdtemp(prefix=f"paint-{app}-", dir=work)
            if screen_colours() >= PAINTED_COLOURS:
                raise RuntimeError("the display is not empty before the start")
            if app == "tseeder":
                started = time.monotonic()
                proc = apps.start("tseeder-paint", apps.tseeder_cmd(), apps.tseeder_env(home))
            else:
                env = apps.qbittorrent_profile(home)
                started = time.monotonic()
                proc = apps.start("qbittorrent-paint", apps.qbittorrent_cmd(home), env)
            seconds = wait_for_paint(proc, started)
            stop_tree(proc)
            shutil.rmtree(home, ignore_errors=True)
            if run > 0:
                samples[app].append(seconds)
                log(f"first paint run {run}: {app} {seconds:.3f} s")
            else:
                first_start[app] = seconds
                log(f"first paint, first start on this machine: {app} {seconds:.3f} s")
    return samples, first_start


class TenTorrents:
    """Ten generated files, their torrents, and one aria2c seeding all of them on 127.0.0.1."""

    def __init__(self, work, services, size_mib):
        self.content = os.path.join(work, "ten", "content")
        self.torrents = []
        self.magnets = []
        os.makedirs(self.content, exist_ok=True)
        self.port = free_port()
        for n in range(1, TORRENTS + 1):
            name = f"idle-{n:02}.bin"
            path = os.path.join(self.content, name)
            if not os.path.exists(path) or os.path.getsize(path) != size_mib * MIB:
                with open(path, "wb") as f:
                    f.write(os.urandom(size_mib * MIB))
            torrent = os.path.join(work, "ten", f"{name}.torrent")
            if os.path.exists(torrent):
                os.remove(torrent)
            subprocess.run(["mktorrent", "-a", "http://127.0.0.1:9/announce", "-l", "18", "-o",
                            torrent, path], check=True, stdout=subprocess.DEVNULL)
            data = open(torrent, "rb").read()
            start, end = bdecode_info_span(data)
            info_hash = hashlib.sha1(data[start:end]).hexdigest()
            self.torrents.append(torrent)
            self.magnets.append(f"magnet:?xt=urn:btih:{info_hash}&dn={name}"
                                f"&x.pe=127.0.0.1:{self.port}")
        input_file = os.path.join(work, "ten", "aria2-input.txt")
        with open(input_file, "w") as f:
            f.write("\n".join(self.torrents) + "\n")
        services.start("ten-seeder", [
            "aria2c", "--interface=127.0.0.1", f"--listen-port={self.port}", "--seed-ratio=0",
            "-V", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
            "--enable-peer-exchange=false", "--summary-interval=0", "--console-log-level=warn",
            f"--max-concurrent-downloads={TORRENTS}", f"--dir={self.content}", f"-i{input_file}",
        ])


def local_jobs_completed(data_dir):
    path = os.path.join(data_dir, "tseeder.db")
    if not os.path.exists(path):
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM local_jobs WHERE status = 'completed'"
                                ).fetchone()[0]
    except sqlite3.Error:
        return 0


def parts_mib(root):
    """(process name, RSS MiB) for each process of `root`'s tree."""
    parts = []
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/status") as f:
                rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
        parts.append((name, rss / 1024))
    return parts


def settle_and_sample(proc, idle_seconds):
    """Memory of an app left alone: waits, then the median of ten samples a second apart, and
    each process's share at the end."""
    time.sleep(idle_seconds)
    samples = []
    for _ in range(10):
        if proc.poll() is not None:
            raise RuntimeError("the app exited while idle")
        samples.append(memory_mib(proc.pid))
        time.sleep(1)
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
            statistics.median(s[2] for s in samples), max(s[3] for s in samples),
            parts_mib(proc.pid))


X11 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ui", "test", "desktop", "x11.py")


def close_window(title):
    """Closes the shown window titled `title` as a window manager's close button does (Debian's
    python3 has python3-xlib)."""
    shown = subprocess.run(["/usr/bin/python3", X11, "shown", title], check=True,
                           capture_output=True, text=True).stdout.split()
    if not shown:
        raise RuntimeError(f"no window titled {title} is shown")
    subprocess.run(["/usr/bin/python3", X11, "close", shown[0]], check=True)


def add_without_asking(apps, env):
    """Turns on the user's own "Add without showing the Add dialog", for this computer, as
    qBittorrent gets --skip-dialog=true: a link alone never adds anything. The app makes its
    database on a first start; the setting is written there before the measured start."""
    first = apps.start("tseeder-setup", apps.tseeder_cmd(), env)
    wait_for_paint(first, time.monotonic())
    stop_tree(first)
    downloads = os.path.join(env["XDG_DOWNLOAD_DIR"], "tseeder")
    settings = {
        "cloudUrl": "http://127.0.0.1:8080",
        "downloadDir": downloads,
        "syncDir": os.path.join(downloads, "Cloud"),
        "defaultDestination": "alwaysLocal",
        "addWithoutAsking": True,
        "syncEnabled": True,
        "personalAgent": False,
        "notifications": False,
    }
    database = os.path.join(env["TSEEDER_DESKTOP_DATA_DIR"], "tseeder.db")
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('settings', ?1) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (json.dumps(settings),),
        )


def bench_idle_memory(args, apps, work, services):
    ten = TenTorrents(work, services, args.idle_torrent_mib)
    results = {}

    home = tempfile.mkdtemp(prefix="idle-tseeder-", dir=work)
    env = apps.tseeder_env(home)
    add_without_asking(apps, env)
    proc = apps.start("tseeder-idle", apps.tseeder_cmd(), env)
    wait_for_paint(proc, time.monotonic())
    for magnet in ten.magnets:
        link = "tseeder://add?" + urllib.parse.urlencode({"uri": magnet, "dest": "local"})
        # A second launch hands the link to the running app and exits.
        subprocess.run(apps.tseeder_cmd(link), env=env, check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until("tseeder to finish the ten torrents",
               lambda: local_jobs_completed(env["TSEEDER_DESKTOP_DATA_DIR"]) == TORRENTS,
               timeout=300, interval=0.5)
    for n, path in enumerate(sorted(os.listdir(ten.content)), start=1):
        # Each download has a folder of its own, named after the torrent.
        got = os.path.join(env["XDG_DOWNLOAD_DIR"], "tseeder", path, path)
        if not same_bytes(os.path.join(ten.content, path), got):
            raise RuntimeError(f"tseeder's copy of torrent {n} differs")
    log("tseeder holds ten complete torrents; idle with its window open")
    results["tseeder, window open"] = settle_and_sample(proc, args.idle_seconds)
    close_window("tseeder")
    log("tseeder's window closed (the app stays in the tray); idle")
    results["tseeder, in tray"] = settle_and_sample(proc, args.idle_seconds)
    stop_tree(proc)
    shutil.rmtree(home, ignore_errors=True)

    home = tempfile.mkdtemp(prefix="idle-qbittorrent-", dir=work)
    env = apps.qbittorrent_profile(home)
    proc = apps.start("qbittorrent-idle", apps.qbittorrent_cmd(
        home, f"--save-path={ten.content}", "--skip-dialog=true", *ten.torrents), env)
    backup = os.path.join(home, "qBittorrent", "data", "BT_backup")

    def listed():
        return os.path.isdir(backup) and sum(
            name.endswith(".torrent") for name in os.listdir(backup)) == TORRENTS

    wait_until("qBittorrent to list the ten torrents", listed, timeout=120, interval=0.5)
    log("qBittorrent lists the ten torrents (their data already complete); idle")
    results["qBittorrent"] = settle_and_sample(proc, args.idle_seconds)
    stop_tree(proc)
    shutil.rmtree(home, ignore_errors=True)
    return results


def bench_sync(args, work, services, logs):
    swarm = Swarm(work, services, args.size_mib)
    api = start_cloud(work, services, args.bin_dir, "admin",
                      TSEEDER_EMBEDDED_AGENT__ENGINE__DHT="false",
                      TSEEDER_EMBEDDED_AGENT__ENGINE__LISTEN_IP="127.0.0.1",
                      TSEEDER_TORRENT_NETWORK__ALLOW_PRIVATE_ADDRESSES="true",
                      TSEEDER_EMBEDDED_AGENT__POLL_INTERVAL_MS="200")
    job_id = api.call("POST", "/api/v1/jobs", {"magnet": swarm.magnet})["job"]["id"]
    log(f"the cloud downloads {args.size_mib} MiB from the seeder")
    wait_until("the cloud job", lambda: api.completed(job_id, "the cloud job", logs),
               timeout=900, interval=0.2)
    files = api.call("GET", f"/api/v1/jobs/{job_id}/files")
    size = files[0]["size"]
    out = os.path.join(work, "sync-out")
    samples = {"tseeder sync": [], "curl": []}
    for run in range(1, args.runs + 1):
        for tool in ("tseeder sync", "curl") if run % 2 else ("curl", "tseeder sync"):
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            url = api.call("POST", f"/api/v1/jobs/{job_id}/files/0/link")["url"]
            if tool == "curl":
                target = os.path.join(out, "bench-data.bin")
                cmd = ["curl", "--silent", "--show-error", "--fail", "-o", target,
                       "--write-out", '{"seconds": %{time_total}}', url]
            else:
                target = os.path.join(out, "bench-data.bin")
                cmd = [os.path.join(args.bin_dir, "tseeder-bench"), "sync", "--url", url,
                       "--size", str(size), "--name", "bench-data.bin", "--out", out]
            # Each tool starts with the disk idle: what the previous one (or the cloud's own
            # download) left unwritten would otherwise be written back while this one runs and
            # slow whichever tool waits for the disk (tseeder sync waits for its file to be on
            # it; curl does not).
            os.sync()
            time.sleep(1)
            # Each tool times its own transfer, from the request to the end of the file: curl's
            # time_total, and tseeder's from the request to the file on the disk under its
            # name. Neither counts starting a process, which the app does not do per file.
            answer = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                                    stderr=open(os.path.join(logs, "sync.log"), "ab"))
            seconds = json.loads(answer.stdout)["seconds"]
            if not same_bytes(swarm.source, target):
                raise RuntimeError(f"{tool} wrote different bytes")
            samples[tool].append(seconds)
            log(f"sync run {run}: {tool} {seconds:.2f} s")
    shutil.rmtree(out, ignore_errors=True)
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["paint", "memory", "sync"], action="append")
    parser.add_argument("--size-mib", type=int, default=1024, help="the synced file's size")
    parser.add_argument("--idle-torrent-mib", type=int, default=16)
    parser.add_argument("--idle-seconds", type=int, default=30)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "tseeder-bench-desktop"))
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--qbittorrent-root", required=True,
                        help="the folder Debian's qbittorrent package is unpacked into")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    parts = args.only or ["paint", "memory", "sync"]
    logs = fresh_logs(args.work)
    services = Services(logs)
    apps = Apps(args, logs)
    results = {"runs": args.runs}
    verdicts = []
    try:
        if "paint" in parts:
            samples, first_start = bench_first_paint(args, apps, args.work)
            ours = statistics.median(samples["tseeder"])
            theirs = statistics.median(samples["qBittorrent"])
            print(f"\nCold start to first paint under Xvfb, median of {args.runs}, and the "
                  "first start on this machine (cold GL shader cache)")
            print(f"{'app':<14}{'median s':>10}{'first start s':>15}")
            for app in ("tseeder", "qBittorrent"):
                print(f"{app:<14}{statistics.median(samples[app]):>10.3f}"
                      f"{first_start[app]:>15.3f}")
            results["first_paint"] = {
                app: {"median_seconds": statistics.median(s), "runs": s,
                      "first_start_seconds": first_start[app]}
                for app, s in samples.items()}
            verdicts.append(f"first paint: {ours:.3f} s (target median < 0.6 s) "
                            + ("met" if ours < 0.6 else "NOT met"))
        if "memory" in parts:
            memory = bench_idle_memory(args, apps, args.work, services)
            print(f"\nIdle memory with {TORRENTS} torrents listed (complete, seeding), "
                  f"after {args.idle_seconds} s alone; median of 10 samples")
            print(f"{'app':<24}{'RSS MiB':>10}{'PSS MiB':>10}{'USS MiB':>10}{'processes':>11}")
            for app, (rss, pss, uss, count, _) in memory.items():
                print(f"{app:<24}{rss:>10.1f}{pss:>10.1f}{uss:>10.1f}{count:>11}")
            for app, (*_, processes) in memory.items():
                print(f"  {app}: " + ", ".join(f"{name} {rss:.0f}" for name, rss in processes))
            results["idle_memory"] = {
                app: {"rss_mib": rss, "pss_mib": pss, "uss_mib": uss, "processes": n,
                      "rss_mib_by_process": parts}
                for app, (rss, pss, uss, n, parts) in memory.items()}
            ours, theirs = memory["tseeder, in tray"], memory["qBittorrent"]
            verdicts.append(f"idle RSS in the tray: tseeder {ours[0]:.0f} MiB vs qBittorrent "
                            f"{theirs[0]:.0f} MiB (target ≤) "
                            + ("met" if ours[0] <= theirs[0] else "NOT met"))
            verdicts.append(f"idle USS in the tray: tseeder {ours[2]:.0f} MiB vs qBittorrent "
                            f"{theirs[2]:.0f} MiB " + ("(≤)" if ours[2] <= theirs[2] else "(more)"))
        if "sync" in parts:
            samples = bench_sync(args, args.work, services, logs)
            ours = statistics.median(samples["tseeder sync"])
            theirs = statistics.median(samples["curl"])
            print(f"\nSync of one {args.size_mib} MiB cloud file through its signed link, "
                  f"median of {args.runs}")
            print(f"{'tool':<14}{'median s':>10}{'MiB/s':>10}")
            for tool, seconds in (("tseeder sync", ours), ("curl", theirs)):
                print(f"{tool:<14}{seconds:>10.2f}{args.size_mib / seconds:>10.1f}")
            ratio = theirs / ours
            results["sync"] = {tool: {"median_seconds": statistics.median(s), "runs": s}
                               for tool, s in samples.items()}
            results["sync"]["speed_ratio_tseeder_over_curl"] = ratio
            verdicts.append(f"sync vs curl: {ratio:.2f}× (target ≥ 0.95×) "
                            + ("met" if ratio >= 0.95 else "NOT met"))
    finally:
        services.stop_all()
    print()
    for line in verdicts:
        print(line)
    path = os.path.join(args.work, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nresults: {path}; logs: {logs}")


if __name__ == "__main__":
    main()

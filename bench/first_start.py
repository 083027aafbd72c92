#!/usr/bin/env python3
"""How long a newcomer waits: `scripts/run` on a fresh clone to the first answer of `/health`.

Started by `scripts/bench first-start`. Each run clones the committed tree into a temporary
folder and gives it an empty crate registry (CARGO_HOME), build folder and npm cache, so every
crate and npm package is downloaded, unpacked and compiled as on a fresh machine; only the Rust
toolchain (rustup's) and the Debian packages `scripts/setup` would install are already there.
With `--profiles quick-release release` it also times `RUN_PROFILE=release` in the same run,
one after the other, and prints the ratio.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def log(message):
    print(f"first-start: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def first_start(profile, work, timeout):
    """Seconds from `scripts/run` to the first healthy answer, on a fresh clone."""
    src = os.path.join(work, "src")
    subprocess.run(["git", "clone", "--quiet", ROOT, src], check=True)
    port = free_port()
    env = dict(
        os.environ,
        CARGO_HOME=os.path.join(work, "cargo-home"),
        CARGO_TARGET_DIR=os.path.join(work, "target"),
        npm_config_cache=os.path.join(work, "npm-cache"),
        RUN_PROFILE=profile,
        TSEEDER_LISTEN=f"127.0.0.1:{port}",
    )
    # The toolchain stays rustup's own; only the registry and the builds start empty.
    env["PATH"] = os.path.expanduser("~/.cargo/bin") + os.pathsep + env.get("PATH", "")
    with open(os.path.join(work, "run.log"), "wb") as out:
        started = time.monotonic()
        proc = subprocess.Popen(["scripts/run"], cwd=src, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while not healthy(port):
                if proc.poll() is not None:
                    raise RuntimeError(f"scripts/run exited ({proc.returncode}); see {out.name}")
                if time.monotonic() - started > timeout:
                    raise RuntimeError(f"no answer within {timeout} s; see {out.name}")
                time.sleep(0.5)
            return time.monotonic() - started
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", nargs="+", default=["quick-release"],
                        help="RUN_PROFILE values to time, one after the other")
    parser.add_argument("--timeout", type=int, default=3600)
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    args = parser.parse_args()

    results = {}
    for profile in args.profiles:
        work = tempfile.mkdtemp(prefix=f"tseeder-first-start-{profile}-")
        log(f"{profile}: scripts/run on a fresh clone in {work}")
        try:
            results[profile] = first_start(profile, work, args.timeout)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        log(f"{profile}: first /health after {results[profile]:.0f} s")

    base = results.get("release")
    print("\n`scripts/run` on a fresh clone (empty registry, build folder, npm cache) to /health")
    print("| profile | seconds | minutes | ÷ release |")
    print("|---|---:|---:|---:|")
    for profile, seconds in results.items():
        ratio = f"{seconds / base:.2f}×" if base else "—"
        print(f"| {profile} | {seconds:.0f} | {seconds / 60:.1f} | {ratio} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Side-by-side benchmarks of the agent's data paths against the tools users would otherwise use.

Started by `scripts/bench` after it has installed the tools and built the release binaries.
Everything runs on 127.0.0.1: one aria2c seeder announced by Debian's opentracker, one Garage
node. Each measurement runs a whole process and reads its wall time, peak resident memory
(its VmHWM, polled while it runs) and CPU time, and the CPU time the other side (the seeder or
the S3 server) spent meanwhile; every result is checked (bytes compared, object sizes read
back) before it counts. Medians of --runs runs are printed with ratios.
"""

import argparse
import hashlib
import http.cookiejar
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import namedtuple

MIB = 1024 * 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# One measured run: wall seconds, peak RSS in MiB, the tool's CPU seconds (user + system) and
# the CPU seconds the serving process (seeder or S3 server) spent during the run.
Sample = namedtuple("Sample", "seconds peak_mib cpu_seconds server_cpu_seconds")


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(what, check, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise RuntimeError(f"timed out waiting for {what}")


class Services:
    """Background processes that must not outlive the benchmark."""

    def __init__(self, logs):
        self.logs = logs
        self.procs = []

    def start(self, name, cmd, env=None, cwd=None):
        out = open(os.path.join(self.logs, f"{name}.log"), "ab")
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


class TookTooLong(RuntimeError):
    pass


def measure(name, cmd, logs, env=None, finished=None, timeout=900, server=None):
    """Runs `cmd` and returns a Sample; `server` is the pid of the process serving it.

    Without `finished` the command's exit marks the end (it must exit 0). With it, the command
    keeps running (a client that goes on seeding) and `finished()` turning true marks the end;
    the process is then stopped. Peak memory is the process's own high-water mark (VmHWM),
    read every 10 ms while it runs: wait4's ru_maxrss would also count this Python process,
    whose pages the child shares until it execs. CPU time is read the same way (the last reading
    before the process ends, so at most one poll short).
    """
    out = open(os.path.join(logs, f"{name}.log"), "ab")
    server_cpu_before = cpu_seconds(server) if server else 0.0
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = started + timeout
    peak = 0.0
    cpu = 0.0
    while True:
        if finished is not None and finished():
            break
        peak = max(peak, vm_hwm_mib(proc.pid, default=peak))
        cpu = max(cpu, cpu_seconds(proc.pid, default=cpu))
        if proc.poll() is not None:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise TookTooLong(f"{name} took longer than {timeout} s")
        time.sleep(0.01)
    seconds = time.monotonic() - started
    server_cpu = cpu_seconds(server) - server_cpu_before if server else 0.0
    if finished is None:
        if proc.returncode != 0:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {out.name}")
    else:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} stopped before finishing; see {out.name}")
        peak = max(peak, vm_hwm_mib(proc.pid, default=peak))
        cpu = max(cpu, cpu_seconds(proc.pid, default=cpu))
        proc.terminate()
        proc.wait(timeout=30)
    return Sample(seconds, peak, cpu, server_cpu)


def same_bytes(a, b):
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            ca, cb = fa.read(MIB), fb.read(MIB)
            if ca != cb:
                return False
            if not ca:
                return True


def bdecode_info_span(data):
    """Offsets of the bencoded `info` value inside a .torrent, for its info hash."""

    def skip(i):
        c = data[i : i + 1]
        if c == b"i":
            return data.index(b"e", i) + 1
        if c in (b"l", b"d"):
            i += 1
            while data[i : i + 1] != b"e":
                i = skip(i)
            return i + 1
        colon = data.index(b":", i)
        return colon + 1 + int(data[i:colon])

    assert data[:1] == b"d"
    i = 1
    while data[i : i + 1] != b"e":
        key_end = skip(i)
        key = data[data.index(b":", i) + 1 : key_end]
        value_end = skip(key_end)
        if key == b"info":
            return key_end, value_end
        i = value_end
    raise ValueError("no info dictionary")


def median_row(samples):
    """The median of each field of a list of Samples."""
    return Sample(*(statistics.median(column) for column in zip(*samples)))


def sample_json(sample):
    return {"seconds": sample.seconds, "peak_rss_mib": sample.peak_mib,
            "cpu_seconds": sample.cpu_seconds, "server_cpu_seconds": sample.server_cpu_seconds}


def print_table(title, size_mib, rows, ours, server):
    """rows: [(tool, [Sample, ...])]; ratios are our speed over each tool's. `server` names the
    serving process whose CPU time is shown beside each tool's."""
    print(f"\n{title}")
    print(f"{'tool':<22}{'median s':>10}{'MiB/s':>10}{'peak RSS MiB':>15}{'CPU s':>8}"
          f"{server + ' CPU s':>18}{'tseeder ÷ tool':>17}")
    ours_seconds = median_row(dict(rows)[ours]).seconds
    result = {}
    for tool, samples in rows:
        median = median_row(samples)
        ratio = median.seconds / ours_seconds
        shown = "—" if tool == ours else f"{ratio:.2f}×"
        print(f"{tool:<22}{median.seconds:>10.2f}{size_mib / median.seconds:>10.1f}"
              f"{median.peak_mib:>15.1f}{median.cpu_seconds:>8.2f}"
              f"{median.server_cpu_seconds:>18.2f}{shown:>17}")
        result[tool] = {
            "median_seconds": median.seconds,
            "mib_per_second": size_mib / median.seconds,
            "median_peak_rss_mib": median.peak_mib,
            "median_cpu_seconds": median.cpu_seconds,
            "median_server_cpu_seconds": median.server_cpu_seconds,
            "runs": [sample_json(s) for s in samples],
            "speed_ratio_tseeder_over_tool": ratio,
        }
    return result


class Swarm:
    """A generated file, its torrent, an opentracker and an aria2c seeder on 127.0.0.1."""

    def __init__(self, work, services, size_mib):
        self.work = work
        self.services = services
        self.size_mib = size_mib
        seed_dir = os.path.join(work, "seed")
        os.makedirs(seed_dir, exist_ok=True)
        self.source = os.path.join(seed_dir, "bench-data.bin")
        if not os.path.exists(self.source) or os.path.getsize(self.source) != size_mib * MIB:
            log(f"generating {size_mib} MiB of data")
            with open(self.source, "wb") as f:
                for _ in range(size_mib):
                    f.write(os.urandom(MIB))
        self.tracker_port = free_port()
        announce = f"http://127.0.0.1:{self.tracker_port}/announce"
        self.torrent = os.path.join(work, "bench.torrent")
        if os.path.exists(self.torrent):
            os.remove(self.torrent)
        subprocess.run(
            ["mktorrent", "-a", announce, "-l", "20", "-o", self.torrent, self.source],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        data = open(self.torrent, "rb").read()
        start, end = bdecode_info_span(data)
        self.info_hash = hashlib.sha1(data[start:end]).hexdigest()
        self._start_tracker()
        self.seed_port = free_port()
        self.seeder = services.start(
            "seeder",
            [
                "aria2c", "--interface=127.0.0.1", f"--listen-port={self.seed_port}",
                "--bt-tracker-interval=2", "--seed-ratio=0", "-V", "--enable-dht=false",
                "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                "--summary-interval=0", "--console-log-level=warn", f"--dir={seed_dir}",
                self.torrent,
            ],
        )
        wait_until("the seeder to announce itself", self._seeded, timeout=300, interval=0.5)
        self.magnet = (
            f"magnet:?xt=urn:btih:{self.info_hash}&dn=bench-data.bin"
            f"&tr={urllib.parse.quote(announce, safe='')}&x.pe=127.0.0.1:{self.seed_port}"
        )

    def _start_tracker(self):
        root = os.path.join(self.work, "tracker")
        os.makedirs(root, exist_ok=True)
        os.chmod(root, 0o755)
        # opentracker chroots into its folder before it reads the whitelist.
        with open(os.path.join(root, "whitelist"), "w") as f:
            f.write(self.info_hash + "\n")
        config = os.path.join(self.work, "opentracker.conf")
        with open(config, "w") as f:
            f.write(
                f"listen.tcp_udp 127.0.0.1:{self.tracker_port}\n"
                f"tracker.rootdir {root}\ntracker.user nobody\naccess.whitelist /whitelist\n"
            )
        self.services.start("opentracker", ["opentracker", "-f", config])

    def _seeded(self):
        hash_bytes = bytes.fromhex(self.info_hash)
        url = (
            f"http://127.0.0.1:{self.tracker_port}/scrape?info_hash="
            f"{urllib.parse.quote_from_bytes(hash_bytes)}"
        )
        try:
            body = urllib.request.urlopen(url, timeout=2).read()
        except OSError:
            return False
        return b"completei1e" in body


TRANSMISSION_SETTINGS = {
    "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
    "port-forwarding-enabled": False, "bind-address-ipv4": "127.0.0.1",
    "blocklist-enabled": False, "speed-limit-down-enabled": False,
    "speed-limit-up-enabled": False, "ratio-limit-enabled": False,
}


def prepare_download(tool, out, swarm, bin_dir):
    """An empty `out` folder and the (command, finished) pair that downloads into it."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    if tool == "tseeder engine":
        return [os.path.join(bin_dir, "tseeder-bench"), "download",
                "--magnet", swarm.magnet, "--out", out], None
    if tool == "aria2c":
        return [
            "aria2c", "--interface=127.0.0.1", f"--listen-port={free_port()}",
            "--seed-time=0", "--enable-dht=false", "--enable-dht6=false",
            "--bt-enable-lpd=false", "--enable-peer-exchange=false",
            "--bt-save-metadata=false", "--file-allocation=falloc",
            "--summary-interval=0", "--console-log-level=warn", f"--dir={out}",
            swarm.magnet,
        ], None
    config_dir = os.path.join(out, ".transmission")
    os.makedirs(config_dir)
    with open(os.path.join(config_dir, "settings.json"), "w") as f:
        json.dump(TRANSMISSION_SETTINGS, f)
    marker = os.path.join(out, ".finished")
    script = os.path.join(out, ".on-finish.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\ntouch '{marker}'\n")
    os.chmod(script, 0o755)
    cmd = ["transmission-cli", "-g", config_dir, "-w", out, "-p", str(free_port()),
           "-f", script, swarm.magnet]
    return cmd, lambda: os.path.exists(marker)


def bench_downloads(args, swarm, bin_dir, logs):
    runs = {"tseeder engine": [], "aria2c": [], "transmission-cli": []}
    restarts = []
    for run in range(1, args.runs + 1):
        for tool in runs:
            out = os.path.join(args.work, "downloads", f"{tool.replace(' ', '-')}-{run}")
            name = f"download-{tool.replace(' ', '-')}-{run}"
            cmd, finished = prepare_download(tool, out, swarm, bin_dir)
            log(f"download run {run}: {tool}")
            try:
                sample = measure(name, cmd, logs, finished=finished, timeout=args.stall_seconds,
                                 server=swarm.seeder.pid)
            except TookTooLong:
                # transmission-cli now and then sits at 0 % with the seeder connected; a user
                # would restart it, and so does the benchmark (once), saying so.
                log(f"  no result within {args.stall_seconds} s; starting this run again")
                cmd, finished = prepare_download(tool, out, swarm, bin_dir)
                sample = measure(f"{name}-again", cmd, logs, finished=finished,
                                 timeout=args.stall_seconds, server=swarm.seeder.pid)
                restarts.append(f"{tool} run {run}")
            got = os.path.join(out, "bench-data.bin")
            if not os.path.exists(got) or not same_bytes(got, swarm.source):
                raise RuntimeError(f"{tool} run {run}: the downloaded file differs from the source")
            runs[tool].append(sample)
            shutil.rmtree(out)
            log(f"  {sample.seconds:.2f} s, peak {sample.peak_mib:.1f} MiB, "
                f"CPU {sample.cpu_seconds:.2f} s, seeder CPU {sample.server_cpu_seconds:.2f} s")
    result = print_table(
        f"Download of {args.size_mib} MiB (one file, 1 MiB pieces) from one aria2c seeder on "
        f"127.0.0.1, median of {args.runs}",
        args.size_mib, list(runs.items()), "tseeder engine", "seeder",
    )
    if restarts:
        print(f"restarted after no result within {args.stall_seconds} s: {', '.join(restarts)}")
    result["restarted"] = restarts
    return result


class Garage:
    """One Garage node on 127.0.0.1 with a bucket and a key for the benchmark."""

    def __init__(self, work, services):
        self.dir = os.path.join(work, "garage")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.key_id = "GK" + secrets.token_hex(12)
        self.secret = secrets.token_hex(32)
        self.bucket = "tseeder-bench"
        rpc, s3, admin = free_port(), free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{s3}"
        self.config = os.path.join(self.dir, "garage.toml")
        with open(self.config, "w") as f:
            f.write(
                f'metadata_dir = "{self.dir}/meta"\ndata_dir = "{self.dir}/data"\n'
                'db_engine = "sqlite"\nreplication_factor = 1\n'
                f'rpc_bind_addr = "127.0.0.1:{rpc}"\nrpc_public_addr = "127.0.0.1:{rpc}"\n'
                f'rpc_secret = "{secrets.token_hex(32)}"\n\n[s3_api]\ns3_region = "garage"\n'
                f'api_bind_addr = "127.0.0.1:{s3}"\nroot_domain = ".s3.garage.localhost"\n\n'
                f'[admin]\napi_bind_addr = "127.0.0.1:{admin}"\n'
            )
        env = dict(os.environ, RUST_LOG="warn")
        self.pid = services.start("garage", [garage_bin(), "-c", self.config, "server"],
                                  env=env).pid
        wait_until("garage to start", lambda: self._run("status", check=False).returncode == 0,
                   timeout=60, interval=0.2)
        node = self._run("node", "id", "-q").stdout.strip().split("@")[0]
        self._run("layout", "assign", "-z", "dc1", "-c", "100G", node)
        self._run("layout", "apply", "--version", "1")
        self._run("key", "import", "--yes", "-n", "bench", self.key_id, self.secret)
        self._run("bucket", "create", self.bucket)
        self._run("bucket", "allow", "--read", "--write", "--owner", self.bucket,
                  "--key", "bench")

    def _run(self, *args, check=True):
        return subprocess.run([garage_bin(), "-c", self.config, *args], capture_output=True,
                              text=True, check=check)

    def s3_env(self, prefix):
        """The store's settings as `<prefix>ENDPOINT`, `<prefix>BUCKET`… environment variables."""
        return {
            f"{prefix}ENDPOINT": self.endpoint,
            f"{prefix}REGION": "garage",
            f"{prefix}BUCKET": self.bucket,
            f"{prefix}ACCESS_KEY_ID": self.key_id,
            f"{prefix}SECRET_ACCESS_KEY": self.secret,
            f"{prefix}PATH_STYLE": "true",
        }

    def aws_env(self, work):
        config = os.path.join(work, "aws-config")
        with open(config, "w") as f:
            f.write("[default]\nregion = garage\n")
        return dict(os.environ, AWS_ACCESS_KEY_ID=self.key_id,
                    AWS_SECRET_ACCESS_KEY=self.secret, AWS_CONFIG_FILE=config,
                    AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_DEFAULT_REGION="garage")

    def object_size(self, work, key):
        out = subprocess.run(
            ["aws", "--endpoint-url", self.endpoint, "s3api", "head-object",
             "--bucket", self.bucket, "--key", key],
            env=self.aws_env(work), capture_output=True, text=True, check=True,
        )
        return json.loads(out.stdout)["ContentLength"]

    def remove(self, work, key):
        subprocess.run(
            ["aws", "--endpoint-url", self.endpoint, "s3", "rm", f"s3://{self.bucket}/{key}"],
            env=self.aws_env(work), capture_output=True, check=True,
        )


def garage_bin():
    if os.environ.get("GARAGE_BIN"):
        return os.environ["GARAGE_BIN"]
    home = os.path.expanduser("~/.cargo/bin/garage")
    return home if os.path.exists(home) else "garage"


def bench_uploads(args, source, garage, bin_dir, logs):
    runs = {"tseeder store": [], "aws s3 cp": [], "rclone copy": []}
    aws_env = garage.aws_env(args.work)
    # Garage speaks plain HTTP here; a CA bundle from the environment only makes rclone fail.
    plain_env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    rclone_env = dict(
        plain_env,
        RCLONE_CONFIG=os.path.join(args.work, "rclone.conf"),
        RCLONE_CONFIG_GARAGE_TYPE="s3",
        RCLONE_CONFIG_GARAGE_PROVIDER="Other",
        RCLONE_CONFIG_GARAGE_ENDPOINT=garage.endpoint,
        RCLONE_CONFIG_GARAGE_REGION="garage",
        RCLONE_CONFIG_GARAGE_ACCESS_KEY_ID=garage.key_id,
        RCLONE_CONFIG_GARAGE_SECRET_ACCESS_KEY=garage.secret,
        RCLONE_CONFIG_GARAGE_FORCE_PATH_STYLE="true",
    )
    open(rclone_env["RCLONE_CONFIG"], "w").close()
    for run in range(1, args.runs + 1):
        for tool in runs:
            slug = tool.split()[0]
            key = f"bench/{slug}-{run}/bench-data.bin"
            if tool == "tseeder store":
                cmd = [os.path.join(bin_dir, "tseeder-bench"), "upload", "--file", source,
                       "--key", key, "--endpoint", garage.endpoint, "--bucket", garage.bucket]
                env = aws_env
            elif tool == "aws s3 cp":
                cmd = ["aws", "--endpoint-url", garage.endpoint, "s3", "cp", "--no-progress",
                       source, f"s3://{garage.bucket}/{key}"]
                env = aws_env
            else:
                cmd = ["rclone", "copy", "--s3-no-check-bucket", source,
                       f"garage:{garage.bucket}/bench/{slug}-{run}/"]
                env = rclone_env
            log(f"upload run {run}: {tool}")
            sample = measure(f"upload-{slug}-{run}", cmd, logs, env=env, server=garage.pid)
            size = garage.object_size(args.work, key)
            if size != os.path.getsize(source):
                raise RuntimeError(f"{tool} run {run}: stored {size} bytes")
            garage.remove(args.work, key)
            runs[tool].append(sample)
            log(f"  {sample.seconds:.2f} s, peak {sample.peak_mib:.1f} MiB, "
                f"CPU {sample.cpu_seconds:.2f} s, Garage CPU {sample.server_cpu_seconds:.2f} s")
    return print_table(
        f"Upload of the same {args.size_mib} MiB file to one Garage node on 127.0.0.1 "
        f"(each tool's default part size and parallelism), median of {args.runs}",
        args.size_mib, list(runs.items()), "tseeder store", "Garage",
    )


class Api:
    """Just enough of the cloud API for an operator: sign in, issue a token, submit a job."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = None

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.csrf and method != "GET":
            request.add_header("X-CSRF-Token", self.csrf)
        with self.opener.open(request, timeout=30) as response:
            text = response.read()
            return json.loads(text) if text else None


    def completed(self, job_id, what, logs):
        """Whether the job has completed; a job that failed or was cancelled stops the run."""
        status = self.call("GET", f"/api/v1/jobs/{job_id}")["job"]["status"]
        if status in ("failed", "cancelled"):
            raise RuntimeError(f"{what}: the job {status}; see the logs in {logs}")
        return status == "completed"


def start_cloud(work, services, bin_dir, role, **settings):
    """The real tseeder-cloud on a free loopback port with a fresh data folder and one account
    of `role`, signed in; `settings` are more TSEEDER_* variables."""
    port = free_port()
    data_dir = os.path.join(work, "cloud")
    shutil.rmtree(data_dir, ignore_errors=True)
    password = secrets.token_urlsafe(18)
    cloud_env = dict(
        os.environ,
        TSEEDER_DATA_DIR=data_dir,
        TSEEDER_LISTEN=f"127.0.0.1:{port}",
        TSEEDER_PUBLIC_URL=f"http://127.0.0.1:{port}",
        TSEEDER_ADMIN_PASSWORD=password,
        TSEEDER_LOG="warn",
        **settings,
    )
    cloud = os.path.join(bin_dir, "tseeder-cloud")
    subprocess.run([cloud, "admin", "create-user", "--email", "bench@tseeder.test",
                    "--role", role], env=cloud_env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    services.start("cloud", [cloud, "serve"], env=cloud_env)
    api = Api(f"http://127.0.0.1:{port}")
    api.password, api.env = password, cloud_env

    def up():
        try:
            urllib.request.urlopen(api.base + "/health", timeout=1)
            return True
        except OSError:
            return False

    wait_until("the cloud API", up, timeout=60)
    signed_in = api.call("POST", "/api/v1/auth/login",
                         {"email": "bench@tseeder.test", "password": password})
    api.csrf = signed_in["csrfToken"]
    return api


def bench_agent(args, swarm, garage, bin_dir, logs, services):
    """The real agent binary on a whole job (download then upload to Garage)."""
    api = start_cloud(args.work, services, bin_dir, "superadmin",
                      TSEEDER_EMBEDDED_AGENT__ENABLED="false",
                      TSEEDER_STORAGE__BACKEND="s3",
                      **garage.s3_env("TSEEDER_STORAGE__S3__"))
    samples = []
    for run in range(1, args.runs + 1):
        issued = api.call("POST", "/api/v1/admin/agents", {
            "name": f"bench-{run}", "region": "bench",
            "reason": "benchmark of the agent", "ticketId": f"BENCH-{run}",
        })
        agent_env = dict(
            os.environ,
            TSEEDER_AGENT_CLOUD_URL=api.base,
            TSEEDER_AGENT_TOKEN=issued["token"],
            TSEEDER_AGENT_NAME=f"bench-{run}",
            TSEEDER_AGENT_REGION="bench",
            TSEEDER_AGENT_CAPACITY="1",
            TSEEDER_AGENT_WORK_DIR=os.path.join(args.work, "agent"),
            TSEEDER_AGENT_HEALTH_LISTEN=f"127.0.0.1:{free_port()}",
            TSEEDER_AGENT_POLL_INTERVAL_MS="200",
            TSEEDER_AGENT_ENGINE__LISTEN_IP="127.0.0.1",
            TSEEDER_AGENT_ENGINE__DHT="false",
            TSEEDER_AGENT_TORRENT_NETWORK__ALLOW_PRIVATE_ADDRESSES="true",
            TSEEDER_AGENT_STORAGE__BACKEND="s3",
            TSEEDER_AGENT_LOG="warn",
            **garage.s3_env("TSEEDER_AGENT_STORAGE__S3__"),
        )
        agent = services.start(f"agent-{run}", [os.path.join(bin_dir, "tseeder-agent")],
                               env=agent_env)
        log(f"agent run {run}: whole job")
        started = time.monotonic()
        seeder_cpu, garage_cpu = cpu_seconds(swarm.seeder.pid), cpu_seconds(garage.pid)
        created = api.call("POST", "/api/v1/jobs", {"magnet": swarm.magnet, "region": "bench"})
        job_id = created["job"]["id"]

        wait_until("the job to complete",
                   lambda: api.completed(job_id, f"agent run {run}", logs),
                   timeout=900, interval=0.1)
        seconds = time.monotonic() - started
        peak = vm_hwm_mib(agent.pid)
        cpu = cpu_seconds(agent.pid)
        served = cpu_seconds(swarm.seeder.pid) - seeder_cpu + cpu_seconds(garage.pid) - garage_cpu
        files = api.call("GET", f"/api/v1/jobs/{job_id}/files")
        stored = sum(f["size"] for f in files)
        if stored != args.size_mib * MIB:
            raise RuntimeError(f"agent run {run}: {stored} bytes stored")
        agent.terminate()
        agent.wait(timeout=30)
        api.call("DELETE", f"/api/v1/jobs/{job_id}")
        samples.append(Sample(seconds, peak, cpu, served))
        log(f"  {seconds:.2f} s, peak {peak:.1f} MiB, CPU {cpu:.2f} s, "
            f"seeder + Garage CPU {served:.2f} s")
    median = median_row(samples)
    print(f"\nThe tseeder-agent binary on a whole {args.size_mib} MiB job (claim, download from the "
          f"seeder, multipart upload to Garage, report), median of {args.runs}")
    print(f"{'median s':>10}{'MiB/s':>10}{'peak RSS MiB':>15}{'CPU s':>8}"
          f"{'seeder + Garage CPU s':>24}")
    print(f"{median.seconds:>10.2f}{args.size_mib / median.seconds:>10.1f}"
          f"{median.peak_mib:>15.1f}{median.cpu_seconds:>8.2f}{median.server_cpu_seconds:>24.2f}")
    return {
        "median_seconds": median.seconds,
        "median_peak_rss_mib": median.peak_mib,
        "median_cpu_seconds": median.cpu_seconds,
        "runs": [sample_json(s) for s in samples],
    }


def cpu_seconds(pid, default=None):
    """User + system CPU time a process has used so far (`default` once it has gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # Fields after the command name, which may hold spaces, start after its ')'.
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        if default is None:
            raise RuntimeError(f"no CPU figures for process {pid}") from None
        return default


def vm_hwm_mib(pid, default=None):
    """A process's peak resident memory so far, in MiB (`default` once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    if default is None:
        raise RuntimeError(f"no memory figures for process {pid}")
    return default


def verdicts(results):
    lines = []
    download = results.get("download")
    if download:
        ours = download["tseeder engine"]["median_seconds"]
        fastest = min(download[t]["median_seconds"] for t in ("aria2c", "transmission-cli"))
        ratio = fastest / ours
        lines.append(f"engine vs the faster client: {ratio:.2f}× (target ≥ 1.0×) "
                     + ("met" if ratio >= 1.0 else "NOT met"))
    upload = results.get("upload")
    if upload:
        aws = upload["aws s3 cp"]["speed_ratio_tseeder_over_tool"]
        rclone = upload["rclone copy"]["speed_ratio_tseeder_over_tool"]
        lines.append(f"upload vs aws s3 cp: {aws:.2f}× (target ≥ 1.5×) "
                     + ("met" if aws >= 1.5 else "NOT met"))
        lines.append(f"upload vs rclone copy: {rclone:.2f}× (target ≥ 1.0×) "
                     + ("met" if rclone >= 1.0 else "NOT met"))
    return lines


def fresh_logs(work):
    """Makes the work folder if needed and returns its logs folder, emptied of earlier runs."""
    os.makedirs(work, exist_ok=True)
    logs = os.path.join(work, "logs")
    shutil.rmtree(logs, ignore_errors=True)
    os.makedirs(logs)
    return logs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["download", "upload", "agent"], action="append")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "tseeder-bench"))
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--stall-seconds", type=int, default=240,
                        help="a download with no result after this long is started again once")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    parts = args.only or ["download", "upload", "agent"]
    logs = fresh_logs(args.work)
    services = Services(logs)
    results = {"size_mib": args.size_mib, "runs": args.runs}
    try:
        swarm = Swarm(args.work, services, args.size_mib)
        if "download" in parts:
            results["download"] = bench_downloads(args, swarm, args.bin_dir, logs)
        if "upload" in parts or "agent" in parts:
            garage = Garage(args.work, services)
            if "upload" in parts:
                results["upload"] = bench_uploads(args, swarm.source, garage, args.bin_dir, logs)
            if "agent" in parts:
                results["agent"] = bench_agent(args, swarm, garage, args.bin_dir, logs, services)
    finally:
        services.stop_all()
    print()
    for line in verdicts(results):
        print(line)
    path = os.path.join(args.work, "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nresults: {path}; logs: {logs}")


if __name__ == "__main__":
    main()

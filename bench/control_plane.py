#!/usr/bin/env python3
"""The control plane under load, on SQLite and on PostgreSQL, side by side in one run.

Started by `scripts/bench control-plane` inside `scripts/with-postgres` (which gives a fresh
PostgreSQL server on loopback). For each backend the real tseeder-cloud serves a store seeded
with 100,000 queued jobs (100 users, 1,000 each) and a user with 100,000 finished jobs:

- claims: 1,000 agents registered through the API; `tseeder-bench claims` has one caller, then
  16, claim back to back through them in turn and times every claim's round trip (p50, p99):
  one caller shows what a claim costs, sixteen what the queue sustains;
- the job list: wrk (2 threads, 32 connections) on `GET /api/v1/jobs?perPage=50` with the
  user's API key, beside a bare axum handler serving the same page's JSON in the same run, and
  on PostgreSQL two replicas of the same store loaded at once;
- live events: `tseeder-bench sse` holds N streams of one user on one replica (SQLite) and
  times each progress report from the agent's POST to its arrival on every stream.
"""

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Services, fresh_logs, log, start_cloud, free_port, wait_until  # noqa: E402

JOBS = 100_000
USERS = 100


def seed_sql(list_user):
    """Queued jobs of USERS users, and JOBS finished jobs of `list_user`; the same SQL on both
    backends."""
    return [
        f"""INSERT INTO users (id, email, password_hash, created_at, updated_at)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {USERS})
            SELECT 'queue-user-' || i, 'queue-' || i || '@bench.test', 'x', i, i FROM n""",
        f"""INSERT INTO organizations (id, name, personal_of, created_at, updated_at)
            SELECT 'org_' || id, 'Personal', id, created_at, updated_at FROM users
            WHERE id LIKE 'queue-user-%'""",
        f"""INSERT INTO jobs (id, user_id, org_id, name, source, info_hash, status, created_at,
                              updated_at)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {JOBS})
            SELECT 'queued-' || i, 'queue-user-' || (1 + i % {USERS}),
                   'org_queue-user-' || (1 + i % {USERS}), 'queued ' || i, 'magnet',
                   'q' || i, 'queued', 1000 + i, 1000 + i FROM n""",
        f"""INSERT INTO jobs (id, user_id, org_id, name, source, info_hash, status, total_bytes,
                              downloaded_bytes, created_at, updated_at)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {JOBS})
            SELECT 'done-' || i, '{list_user}', 'org_{list_user}', 'finished job number ' || i, 'magnet',
                   'd' || i, 'completed', 1048576, 1048576, 1000 + i, 1000 + i FROM n""",
    ]


def run_sql(backend, statements):
    if backend["kind"] == "sqlite":
        import sqlite3
        with sqlite3.connect(backend["path"], timeout=60) as db:
            for sql in statements:
                db.execute(sql)
    else:
        for sql in statements:
            subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", backend["url"], "-c", sql],
                           check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["psql", "-q", backend["url"], "-c", "ANALYZE"], check=True,
                       stdout=subprocess.DEVNULL)


def new_postgres_database(server_url, name):
    subprocess.run(["psql", "-q", server_url, "-c", f"CREATE DATABASE {name}"], check=True,
                   stdout=subprocess.DEVNULL)
    parsed = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(parsed._replace(path=f"/{name}"))


def wrk(url, key, seconds, threads=2, connections=32):
    """wrk's requests/s and latency percentiles (ms) for GET `url`."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if key:
        args[1:1] = ["-H", f"Authorization: Bearer {key}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk on {url}: {errors.group(1)} answers were errors\n{out}")

    def pct(label):
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50_ms": pct("50"), "p99_ms": pct("99")}


def bench_binary(bin_dir):
    return os.path.join(bin_dir, "tseeder-bench")


def api_key(api, password):
    made = api.call("POST", "/api/v1/api-keys", {"name": "bench", "currentPassword": password})
    return made["secret"]


def issue_agents(api, count):
    tokens = []
    for n in range(count):
        issued = api.call("POST", "/api/v1/admin/agents", {
            "name": f"bench-{n}", "region": "bench", "reason": "capacity for the benchmark", "ticketId": "BENCH-1"})
        tokens.append(issued["token"])
    return tokens


def start_replica(services, bin_dir, env, name):
    """One more tseeder-cloud on the same store and secrets, on a port of its own."""
    port = free_port()
    env = dict(env, TSEEDER_LISTEN=f"127.0.0.1:{port}",
               TSEEDER_PUBLIC_URL=f"http://127.0.0.1:{port}")
    services.start(name, [os.path.join(bin_dir, "tseeder-cloud"), "serve"], env=env)
    base = f"http://127.0.0.1:{port}"

    def up():
        import urllib.request
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            return True
        except OSError:
            return False

    wait_until(name, up, timeout=60)
    return base


def bench_backend(args, kind, services, logs):
    work = os.path.join(args.work, kind)
    os.makedirs(work, exist_ok=True)
    settings = dict(TSEEDER_EMBEDDED_AGENT__ENABLED="false",
                    TSEEDER_STORAGE__URL_SIGNING_SECRET=secrets.token_hex(32))
    if kind == "sqlite":
        backend = {"kind": kind, "path": os.path.join(work, "cloud", "tseeder.db")}
    else:
        url = new_postgres_database(args.postgres, f"bench_{secrets.token_hex(4)}")
        backend = {"kind": kind, "url": url}
        settings["TSEEDER_DATABASE__URL"] = url
    api = start_cloud(work, services, args.bin_dir, "superadmin", **settings)
    me = api.call("GET", "/api/v1/auth/me")["user"]
    key = api_key(api, api.password)
    log(f"{kind}: seeding {JOBS} queued jobs of {USERS} users and {JOBS} finished jobs")
    started = time.monotonic()
    run_sql(backend, seed_sql(me["id"]))
    log(f"{kind}: seeded in {time.monotonic() - started:.1f} s; issuing {args.agents} agents")
    tokens_file = os.path.join(work, "agent-tokens")
    with open(tokens_file, "w") as out:
        out.write("\n".join(issue_agents(api, args.agents)))

    result = {"claims": []}
    for callers in (1, 16):
        log(f"{kind}: {args.claims} claims by {args.agents} agents, {callers} at a time")
        claims = subprocess.run(
            [bench_binary(args.bin_dir), "claims", "--base", api.base, "--tokens", tokens_file,
             "--claims", str(args.claims), "--concurrency", str(callers)],
            capture_output=True, text=True)
        if claims.returncode != 0:
            raise RuntimeError(f"{kind}: the claims failed: {claims.stderr[-1500:]}")
        measured = json.loads(claims.stdout.strip().splitlines()[-1])
        measured["callers"] = callers
        result["claims"].append(measured)

    list_url = f"{api.base}/api/v1/jobs?perPage=50"
    page = api.call("GET", "/api/v1/jobs?perPage=50")
    if len(page["items"]) != 50:
        raise RuntimeError(f"{kind}: the job list gave {len(page['items'])} jobs, not 50")
    document = os.path.join(work, "page.json")
    with open(document, "w") as out:
        json.dump(page, out)
    bare_port = free_port()
    services.start(f"bare-{kind}", [bench_binary(args.bin_dir), "bare-json", "--listen",
                                    f"127.0.0.1:{bare_port}", "--body", document])
    bare_url = f"http://127.0.0.1:{bare_port}/"
    wait_until("the bare handler", lambda: subprocess.run(
        ["curl", "-sf", "-o", "/dev/null", bare_url]).returncode == 0, timeout=30)
    log(f"{kind}: the job list against a bare axum handler, {args.seconds} s each")
    result["bare"] = wrk(bare_url, None, args.seconds)
    result["list"] = wrk(list_url, key, args.seconds)
    if kind == "postgres":
        second = start_replica(services, args.bin_dir, api.env, f"replica-{kind}")
        log(f"{kind}: two replicas loaded at once")
        both = []
        procs = [subprocess.Popen(
            [sys.executable, __file__, "--wrk-one", url, "--key", key,
             "--seconds", str(args.seconds)], stdout=subprocess.PIPE, text=True)
            for url in (list_url, f"{second}/api/v1/jobs?perPage=50")]
        for proc in procs:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError("wrk on a replica failed")
            both.append(json.loads(out))
        result["two_replicas"] = {
            "rps": sum(r["rps"] for r in both),
            "p99_ms": max(r["p99_ms"] for r in both),
            "p50_ms": max(r["p50_ms"] for r in both),
        }
    result["_api"] = api
    result["_key"] = key
    return result


def bench_sse(args, services, logs):
    """A fresh replica on SQLite, one running job and N streams of its owner."""
    work = os.path.join(args.work, "sse")
    os.makedirs(work, exist_ok=True)
    api = start_cloud(work, services, args.bin_dir, "superadmin",
                      TSEEDER_EMBEDDED_AGENT__ENABLED="false")
    key = api_key(api, api.password)
    magnet = "magnet:?xt=urn:btih:" + secrets.token_hex(20) + "&dn=sse-bench"
    job = api.call("POST", "/api/v1/jobs", {"magnet": magnet})["job"]
    token = issue_agents(api, 1)[0]
    agent = AgentCall(api.base, token)
    agent.call("/register", {"name": "sse", "region": "bench", "capacity": 4, "version": "b"})
    claimed = agent.call("/claim", {})["assignment"]
    if not claimed or claimed["jobId"] != job["id"]:
        raise RuntimeError(f"the agent did not get the job: {claimed}")
    out = []
    for subscribers in args.subscribers:
        log(f"sse: {subscribers} streams, {args.reports} reports")
        env = dict(os.environ, TSEEDER_BENCH_API_KEY=key, TSEEDER_BENCH_AGENT_TOKEN=token)
        run = subprocess.run(
            [bench_binary(args.bin_dir), "sse", "--base", api.base, "--job", job["id"],
             "--lease", claimed["leaseId"], "--subscribers", str(subscribers),
             "--reports", str(args.reports)],
            env=env, capture_output=True, text=True)
        if run.returncode != 0:
            log(run.stderr[-2000:])
            out.append({"subscribers": subscribers, "failed": run.stderr.strip()[-300:]})
            break
        out.append(json.loads(run.stdout.strip().splitlines()[-1]))
    return out


class AgentCall:
    def __init__(self, base, token):
        self.base, self.token = base, token

    def call(self, path, body):
        import urllib.request
        request = urllib.request.Request(
            f"{self.base}/api/v1/agent{path}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())


def print_results(results, sse):
    print("\nClaims: 100,000 queued jobs of 100 users, 1,000 agents; callers claim back to back")
    print("| backend | callers | claims | granted | p50 ms | p99 ms | claims/s | target p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    targets = {"sqlite": 5.0, "postgres": 20.0}
    for kind, r in results.items():
        for c in r["claims"]:
            # The target is what one claim costs; sixteen callers queue behind one another.
            verdict = ""
            if c["callers"] == 1:
                met = "met" if c["p99_ms"] < targets[kind] else "not met"
                verdict = f"< {targets[kind]:.0f} ms: {met}"
            print(f"| {kind} | {c['callers']} | {c['count']} | {c['granted']} | "
                  f"{c['p50_ms']:.2f} | {c['p99_ms']:.2f} | {c['claims_per_second']:.0f} | "
                  f"{verdict} |")
    print("\nGET /api/v1/jobs?perPage=50 (a user with 100,000 jobs), wrk 2 threads 32 connections")
    print("| backend | what | requests/s | p50 ms | p99 ms | ÷ bare axum | target |")
    print("|---|---|---:|---:|---:|---:|---|")
    for kind, r in results.items():
        bare = r["bare"]["rps"]
        for label, key in (("bare axum JSON", "bare"), ("one replica", "list"),
                           ("two replicas", "two_replicas")):
            if key in r:
                m = r[key]
                verdict = ""
                if key == "list":
                    met = m["rps"] / bare >= 0.5 and m["p99_ms"] < 10
                    verdict = f"≥ 0.5× and p99 < 10 ms: {'met' if met else 'not met'}"
                print(f"| {kind} | {label} | {m['rps']:.0f} | {m['p50_ms']:.2f} | "
                      f"{m['p99_ms']:.2f} | {m['rps'] / bare:.2f}× | {verdict} |")
    print("\nLive events: streams of one user on one replica (SQLite), progress POST → arrival")
    print("| streams | deliveries | expected | resyncs | p50 ms | p99 ms | max ms | streams opened in s "
          "| target |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for s in sse:
        if "failed" in s:
            print(f"| {s['subscribers']} | failed: {s['failed']} | | | | | | | |")
            continue
        verdict = ""
        if s["subscribers"] >= 10_000:
            met = s["p99_ms"] < 100 and s["count"] == s["expected"]
            verdict = f"p99 < 100 ms: {'met' if met else 'not met'}"
        print(f"| {s['subscribers']} | {s['count']} | {s['expected']} | {s['resyncs']} | "
              f"{s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} | "
              f"{s['open_seconds']:.1f} | {verdict} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir")
    parser.add_argument("--work", default=None)
    parser.add_argument("--postgres", default=os.environ.get("TSEEDER_TEST_POSTGRES_URL"))
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--only", choices=["sqlite", "postgres", "sse"], default=None)
    parser.add_argument("--wrk-one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--key", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.wrk_one:
        print(json.dumps(wrk(args.wrk_one, args.key, args.seconds, threads=1, connections=16)))
        return
    # Ten thousand streams are ten thousand sockets on each side.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    args.work = args.work or tempfile.mkdtemp(prefix="tseeder-bench-cp.")
    logs = fresh_logs(args.work)
    services = Services(logs)
    results, sse = {}, []
    try:
        for kind in ("sqlite", "postgres"):
            if args.only in (None, kind):
                if kind == "postgres" and not args.postgres:
                    raise SystemExit("PostgreSQL: run inside scripts/with-postgres")
                results[kind] = bench_backend(args, kind, services, logs)
                services.stop_all()
        if args.only in (None, "sse"):
            sse = bench_sse(args, services, logs)
    finally:
        services.stop_all()
    for r in results.values():
        r.pop("_api", None)
        r.pop("_key", None)
    print_results(results, sse)
    print(f"\nlogs: {logs}", file=sys.stderr)


if __name__ == "__main__":
    main()

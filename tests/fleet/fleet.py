#!/usr/bin/env python3
"""Fleet drill for Workestra Time: three `serve` on one PostgreSQL behind HAProxy.

Run through `make fleet` (tests/fleet/run.sh: a throwaway cluster from
scripts/test-pg.sh, migrated, DATABASE_URL set). Reuses the failure drills'
pieces (tests/drill/drill.py: the database, serve, the webhook receiver, the
judgement of writes and deliveries). Steps:

  1. seeds a workspace, subscribes a local receiver to every webhook event;
  2. throughput of POST /api/v1/time-entries (bench/load, 16 connections):
     one instance directly, then the three through HAProxy;
  3. mixed load through HAProxy for MIX_SECONDS: REST writes, MCP calls of
     the stateless era (2026-07-28) through HAProxy, MCP sessions (2025-11-25)
     opened on one instance and used on each instance in turn, every cron
     job triggered on every instance at once (twice: before and after the
     kill); one instance is SIGKILLed part-way and not restarted;
  4. waits for the outbox to drain (the killed instance's leases run out
     after 60 s) and judges: every acknowledged write committed, every event
     delivered, duplicates only with the same delivery id, each cron job ran
     once for the day, no session request failed on another instance.

Prints a markdown table (also OUT/report.md) and exits 1 when a check fails.
Loopback addresses only.
"""
import argparse
import collections
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "drill"))
import drill as D  # noqa: E402  (the failure drills' pieces)

INSTANCES = 3
MIX_SECONDS = 30
KILL_AT = 12            # seconds into the mixed load
CRON_AT = (6, 20)       # seconds into the mixed load: before and after the kill
DRAIN_AFTER_KILL = 90   # leases last 60 s, the dispatcher polls every 5 s
THROUGHPUT_SECONDS = 10
WRITERS = 4
STATELESS_CLIENTS = 2
SESSION_CLIENTS = 2
CALLS_PER_SESSION = 25
HAPROXY_CFG = """global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A connection refused by a dead instance goes to another; a request
    # already sent is never sent again (a write must not happen twice).
    retries 2
    option redispatch
    retry-on conn-failure
frontend fleet
    bind 127.0.0.1:{port}
    default_backend serve
backend serve
    balance roundrobin
    option httpchk GET /healthz
{servers}
"""


def mcp_post(port, token, body, session=None, stateless_name=None, timeout=15.0):
    """POST /mcp on a new connection: (status, JSON answer or None, session id header)."""
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "Authorization": f"Bearer {token}"}
    if session:
        headers["Mcp-Session-Id"] = session
    if stateless_name:
        headers.update({"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": body["method"],
                        "Mcp-Name": stateless_name})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            conn.connect()
        except OSError as e:
            raise D.NotSent(str(e)) from e
        try:
            conn.request("POST", "/mcp", body=json.dumps(body), headers=headers)
            r = conn.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException) as e:
            raise D.Uncertain(str(e)) from e
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return r.status, doc, r.getheader("Mcp-Session-Id")
    finally:
        conn.close()


def timesheet_call(i, stateless):
    params = {"name": "get_my_timesheet", "arguments": {}}
    if stateless:
        params["_meta"] = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                           "io.modelcontextprotocol/clientCapabilities": {}}
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": params}


def rpc_ok(status, doc):
    return status == 200 and isinstance(doc, dict) and "result" in doc and not doc["result"].get("isError")


def load_rate(load_bin, port, token, body, seconds):
    """Answers per second of bench/load, 16 keep-alive connections, on port:
    creates with token and body, else GET /healthz."""
    if body is None:
        argv = [f"http://127.0.0.1:{port}/healthz"]
    else:
        argv = ["-m", "POST", "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
                "-b", json.dumps(body), f"http://127.0.0.1:{port}/api/v1/time-entries"]
    p = subprocess.run([load_bin, "-c", "16", "-d", str(seconds)] + argv, capture_output=True, text=True,
                       timeout=seconds + 30)
    fields = dict(kv.split("=", 1) for kv in p.stdout.split() if "=" in kv)
    if p.returncode != 0 or "rps" not in fields:
        raise RuntimeError(f"bench/load failed: {p.stdout.strip()} {p.stderr.strip()[:300]}")
    return float(fields["rps"]), fields


class Fleet:
    def __init__(self, binary, out, env, haproxy):
        self.out = out
        self.servers = []
        for i in range(INSTANCES):
            port = D.free_port()
            e = dict(env, PORT=str(port))
            self.servers.append(D.Server(binary, port, e, os.path.join(out, f"serve{i + 1}.log"),
                                         os.path.join(out, f"serve{i + 1}.pid")))
        self.port = D.free_port()
        cfg = os.path.join(out, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(HAPROXY_CFG.format(port=self.port, servers="\n".join(
                f"    server s{i + 1} 127.0.0.1:{s.port} check inter 500ms fall 2 rise 2"
                for i, s in enumerate(self.servers))))
        check = subprocess.run([haproxy, "-c", "-f", cfg], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused {cfg}: {check.stdout} {check.stderr}")
        self.haproxy_argv = [haproxy, "-db", "-f", cfg]
        if shutil.which("setpriv"):
            self.haproxy_argv = ["setpriv", "--pdeathsig", "KILL", "--"] + self.haproxy_argv
        self.haproxy = None

    def start(self):
        for s in self.servers:
            s.start()
        with open(os.path.join(self.out, "haproxy.log"), "ab") as lf:
            self.haproxy = subprocess.Popen(self.haproxy_argv, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf)
        with open(os.path.join(self.out, "haproxy.pid"), "w") as f:
            f.write(str(self.haproxy.pid))
        if D.wait_healthy(self.port, 15) is None:
            raise RuntimeError("HAProxy did not answer /healthz (see haproxy.log)")

    def stop(self):
        for s in self.servers:
            s.stop()
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
            try:
                self.haproxy.wait(10)
            except subprocess.TimeoutExpired:
                self.haproxy.kill()
                self.haproxy.wait(10)


def run(ctx):
    R, db, fx, rcv, fleet = ctx.results, ctx.db, ctx.fx, ctx.receiver, ctx.fleet
    T = "fleet"
    ws = fx["workspace"]
    members = fx["members"]

    # 2. Throughput: one instance, then three behind HAProxy, twice. The
    # entries go away (and the statistics are fresh) before each run: a
    # create gets slower as the workspace's entries grow past what the last
    # ANALYZE saw, which would favour whichever side ran first.
    body = D.entry_body(fx, 0, "throughput")
    rates = {"one": [], "three": []}
    for _ in range(2):
        for side, port in (("one", fleet.servers[0].port), ("three", fleet.port)):
            db.query(f"DELETE FROM time_entries WHERE workspace_id = '{ws}' AND description = 'throughput #0'")
            db.query("ANALYZE time_entries")
            rates[side].append(load_rate(ctx.load, port, members[3]["token"], body, THROUGHPUT_SECONDS))
    db.query(f"DELETE FROM time_entries WHERE workspace_id = '{ws}' AND description = 'throughput #0'")
    one = max(r for r, _ in rates["one"])
    three = max(r for r, _ in rates["three"])
    R.add(T, "creates/s, 16 connections, 2 runs each: one instance / three behind HAProxy",
          " / ".join(", ".join(f"{r:.0f} (p99 {f['p99_ms']} ms)" for r, f in rates[k]) for k in ("one", "three"))
          + f"; best three / best one {three / one:.2f}×")
    health = [load_rate(ctx.load, p, None, None, 5)[0] for p in (fleet.servers[0].port, fleet.port)]
    R.add(T, "GET /healthz/s, 16 connections: one instance direct / through HAProxy (the proxy hop alone)",
          f"{health[0]:.0f} / {health[1]:.0f}")

    # 3. Mixed load.
    path = "/hook/fleet"
    st, doc = D.api(fleet.port, fx["admin"]["token"], "POST", "/api/v1/time/webhooks",
                    {"url": f"http://127.0.0.1:{rcv.port}{path}", "events": D.WEBHOOK_EVENTS})
    if st != 201:
        R.fail(T, f"creating the webhook answered {st}: {doc}")
        return
    wh = doc["data"]["id"]
    rcv.secrets[path] = doc["data"].get("secret", "")
    tag = f"fleet {secrets.token_hex(4)}"
    stop = threading.Event()
    lock = threading.Lock()
    outcome = {}
    counter = iter(range(10 ** 9))
    stateless = collections.Counter()
    sessions = collections.Counter()
    session_failures = []
    crons = []  # (round, instance, status, replayed, job)
    victim = fleet.servers[1]
    killing = threading.Event()  # set just before the SIGKILL: what breaks on victim after it is the kill's
    t0 = D.now()

    def writer(t):
        c = D.Client(fleet.port, members[t % 3]["token"], timeout=10.0)
        while not stop.is_set():
            with lock:
                i = next(counter)
            try:
                st, doc = c.request("POST", "/api/v1/time-entries", D.entry_body(fx, i, tag))
                if 200 <= st < 300:
                    res = ("ack", doc["data"]["id"])
                elif st in (502, 503, 504):
                    res = ("uncertain", f"HAProxy {st}")  # sent to the instance that died: judged by the database
                else:
                    res = ("status", st)
            except D.NotSent as e:
                res = ("not_sent", str(e))
            except D.Uncertain as e:
                res = ("uncertain", str(e))
            with lock:
                outcome[i] = res
        c.close()

    def stateless_client(t):
        i = 0
        while not stop.is_set():
            i += 1
            try:
                st, doc, _ = mcp_post(fleet.port, members[t % 3]["token"], timesheet_call(i, True),
                                      stateless_name="get_my_timesheet")
                key = "ok" if rpc_ok(st, doc) else f"HTTP {st}"
            except (D.NotSent, D.Uncertain) as e:
                key = type(e).__name__
            with lock:
                stateless[key] += 1

    def session_client(t):
        """Opens a session on one instance, then calls on each live instance in turn."""
        token = members[t % 3]["token"]
        turn = t
        while not stop.is_set():
            alive = [s for s in fleet.servers if s.alive()]
            home = alive[turn % len(alive)]
            turn += 1
            try:
                st, doc, sid = mcp_post(home.port, token, {
                    "jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                               "clientInfo": {"name": "fleet", "version": "1"}}})
            except (D.NotSent, D.Uncertain):
                continue  # that instance just died: open the session elsewhere
            if st != 200 or not sid:
                session_failures.append(f"initialize on :{home.port} answered {st}")
                continue
            try:
                mcp_post(home.port, token, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session=sid)
            except (D.NotSent, D.Uncertain):
                continue
            for k in range(CALLS_PER_SESSION):
                if stop.is_set():
                    break
                alive = [s for s in fleet.servers if s.alive()]
                srv = alive[(turn + k) % len(alive)]
                try:
                    st, doc, _ = mcp_post(srv.port, token, timesheet_call(k + 2, False), session=sid)
                except D.NotSent:
                    with lock:
                        sessions["refused by a dead instance"] += 1
                    continue
                except D.Uncertain as e:
                    if srv is victim and killing.is_set():
                        with lock:
                            sessions["cut by the kill"] += 1
                    else:
                        session_failures.append(f"call on :{srv.port}: {e}")
                    continue
                with lock:
                    sessions["ok, same instance" if srv is home else "ok, another instance"] += rpc_ok(st, doc)
                if not rpc_ok(st, doc):
                    session_failures.append(f"call on :{srv.port} (opened on :{home.port}) answered {st}: "
                                            f"{json.dumps(doc)[:200]}")

    def fire_crons(rnd):
        """Every job on every instance at once (a barrier per job)."""
        def one(srv, job, barrier):
            try:
                barrier.wait(10)
            except threading.BrokenBarrierError:
                pass
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
            try:
                conn.request("POST", f"/api/cron/{job}", headers={"Authorization": f"Bearer {ctx.cron_secret}"})
                r = conn.getresponse()
                doc = json.loads(r.read() or b"null")
                replayed = bool(doc and isinstance(doc.get("data"), dict) and doc["data"].get("replayed"))
                res = (rnd, srv.port, r.status, replayed, job)
            except (OSError, http.client.HTTPException, ValueError) as e:
                res = (rnd, srv.port, type(e).__name__, None, job)
            finally:
                conn.close()
            with lock:
                crons.append(res)
        for job in ctx.jobs:
            barrier = threading.Barrier(INSTANCES)
            ths = [threading.Thread(target=one, args=(s, job, barrier), daemon=True) for s in fleet.servers]
            for th in ths:
                th.start()
            for th in ths:
                th.join(150)

    threads = ([threading.Thread(target=writer, args=(t,), daemon=True) for t in range(WRITERS)]
               + [threading.Thread(target=stateless_client, args=(t,), daemon=True) for t in range(STATELESS_CLIENTS)]
               + [threading.Thread(target=session_client, args=(t,), daemon=True) for t in range(SESSION_CLIENTS)])
    for th in threads:
        th.start()
    events = sorted([(CRON_AT[0], "cron", 1), (KILL_AT, "kill", None), (CRON_AT[1], "cron", 2)])
    killed_at = None
    for at, what, rnd in events:
        while D.now() - t0 < at:
            time.sleep(0.05)
        if what == "kill":
            D.log(f"fleet: SIGKILL instance 2 (pid {victim.pid}, port {victim.port})")
            killing.set()
            victim.kill9()
            killed_at = D.now()
        else:
            D.log(f"fleet: every cron job on every instance at once (round {rnd})")
            fire_crons(rnd)
    while D.now() - t0 < MIX_SECONDS:
        time.sleep(0.1)
    stop.set()
    for th in threads:
        th.join(30)
    mix_end = D.now()
    D.log(f"fleet: mixed load done ({len(outcome)} writes); waiting for the outbox to drain")
    drained_at = D.wait_drained(db, rcv, wh, path, max(killed_at + DRAIN_AFTER_KILL, mix_end + 30))

    # 4. Judgement. The throughput runs left tens of thousands of outbox
    # events that autovacuum may not have counted yet: without fresh
    # statistics the judgement's joins plan as if the tables were empty.
    db.query("ANALYZE time_entries, time_webhook_events, time_webhook_deliveries")
    acked = sum(1 for r in outcome.values() if r[0] == "ack")
    R.add(T, "mixed load: seconds / writes sent / acknowledged",
          f"{mix_end - t0:.0f} / {len(outcome)} / {acked} ({acked / (mix_end - t0):.0f}/s)")
    D.judge_writes(R, T, db, ws, wh, path, tag, outcome, rcv)
    R.add(T, "outbox drained, seconds after the kill",
          f"{drained_at - killed_at:.1f}" if drained_at else "not in time", f"< {DRAIN_AFTER_KILL}",
          drained_at is not None)
    if not drained_at:
        R.fail(T, "the outbox did not drain in time")

    ok = stateless.get("ok", 0)
    R.add(T, "MCP 2026-07-28 (stateless) calls through HAProxy: ok / other",
          f"{ok} / {dict((k, v) for k, v in stateless.items() if k != 'ok') or 0}")
    if not ok:
        R.fail(T, "no stateless MCP call succeeded")
    same, other = sessions.get("ok, same instance", 0), sessions.get("ok, another instance", 0)
    R.add(T, "MCP 2025-11-25 session calls ok on the opening instance / on another / cut by the kill / "
             "refused by the dead one", f"{same} / {other} / {sessions.get('cut by the kill', 0)} / "
          f"{sessions.get('refused by a dead instance', 0)}")
    R.add(T, "session requests that failed on a live instance", len(session_failures), "0", not session_failures)
    if session_failures:
        R.fail(T, f"{len(session_failures)} session requests failed, e.g. {session_failures[:2]}")
    if not other:
        R.fail(T, "no session call was answered by another instance")

    today = db.scalar("SELECT (now() AT TIME ZONE 'UTC')::date")
    rows = db.query(f"SELECT job, status, attempts FROM cron_runs WHERE run_date = '{today}'")
    runs = {r[0]: r for r in rows}
    bad = []
    for job in ctx.jobs:
        mine = [c for c in crons if c[4] == job]
        fresh = [c for c in mine if c[2] == 200 and c[3] is False]
        answered = [c for c in mine if isinstance(c[2], int)]
        if job not in runs or len(fresh) > 1 or runs[job][2] != "1" or runs[job][1] != "succeeded":
            bad.append(f"{job}: run row {runs.get(job)}, {len(fresh)} fresh runs among {len(answered)} answers")
    R.add(T, "cron jobs × instances triggered at once (2 rounds) / answers / ran (not replayed)",
          f"{len(ctx.jobs)} × {INSTANCES} / {sum(1 for c in crons if isinstance(c[2], int))} / "
          f"{sum(1 for c in crons if c[2] == 200 and c[3] is False)}")
    R.add(T, "jobs with a cron_runs row for today / with more than one run or attempt", f"{len(runs)} / {len(bad)}",
          f"{len(ctx.jobs)} / 0", len(runs) == len(ctx.jobs) and not bad)
    if bad:
        R.fail(T, "a cron job did not run exactly once today: " + "; ".join(bad[:3]))
    refused = collections.Counter(c[2] for c in crons if not isinstance(c[2], int))
    if refused:
        R.note(T, f"cron triggers that got no answer (the dead instance): {dict(refused)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--load", required=True, help="bench/load, built")
    ap.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        ap.error("DATABASE_URL is not set (run through tests/fleet/run.sh)")
    binary, out = os.path.abspath(args.bin), os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    D.raise_nofile(8192)
    ctx = D.Ctx()
    ctx.results = R = D.Results()
    ctx.db = D.Database(url, os.environ.get("PG_BINDIR", ""))
    ctx.load = os.path.abspath(args.load)
    ctx.cron_secret = "fleet-cron-" + secrets.token_hex(16)
    env = dict(os.environ)
    env.update({"HOST": "127.0.0.1", "WEBHOOK_ALLOW_PRIVATE": "1", "SCHEDULER": "off", "CRON_SECRET": ctx.cron_secret,
                "WORKESTRA_SECRET_KEY": "fleet-secret-key-" + secrets.token_hex(16),
                "WORKESTRA_DATA_DIR": os.path.join(out, "data"), "WORKERS": env.get("WORKERS", "4"),
                "LOG_LEVEL": env.get("LOG_LEVEL", "warn"),
                # Counted, never refusing: the load is thousands a minute per token.
                "RATE_LIMIT_PER_TOKEN": "1000000", "RATE_LIMIT_PER_WORKSPACE": "1000000",
                # HAProxy's connections all come from 127.0.0.1.
                "HTTP_MAX_CONNECTIONS_PER_IP": "0"})
    for k in ("SMTP_URL", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(k, None)
    os.makedirs(env["WORKESTRA_DATA_DIR"], exist_ok=True)
    t_all = D.now()
    ctx.fx = D.seed(binary, env)
    ctx.jobs = [j["name"] for j in D.cli(binary, env, "cron", "list")]
    ctx.receiver = D.Receiver()
    ctx.fleet = Fleet(binary, out, env, args.haproxy)
    signal.signal(signal.SIGTERM, D.on_signal)
    signal.signal(signal.SIGINT, D.on_signal)
    try:
        ctx.fleet.start()
        D.log(f"fleet: {INSTANCES} instances on ports {[s.port for s in ctx.fleet.servers]}, "
              f"HAProxy on {ctx.fleet.port}")
        run(ctx)
    except D.Interrupted as e:
        R.fail("run", f"interrupted by {e}: the figures are partial")
    except Exception as e:
        import traceback
        traceback.print_exc()
        R.fail("setup", f"{type(e).__name__}: {e}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        ctx.fleet.stop()
        ctx.receiver.close()
    report = [f"Fleet drill: {INSTANCES} × `{os.path.basename(binary)}` behind HAProxy on one PostgreSQL "
              f"({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average "
              f"{' '.join(open('/proc/loadavg').read().split()[:3])}, {D.now() - t_all:.0f} s in all):", "",
              R.markdown(), ""]
    if R.notes:
        report += ["Notes:", ""] + [f"- {d}: {t}" for d, t in R.notes] + [""]
    report += (["Failed:", ""] + [f"- {d}: {w}" for d, w in R.failures] + [""]) if R.failures else \
        ["Every check passed.", ""]
    text = "\n".join(report)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    print(text, flush=True)
    return 1 if R.failures else 0


if __name__ == "__main__":
    sys.exit(main())

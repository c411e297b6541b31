#!/usr/bin/env python3
"""Failure drills for Workestra Time, against a real `serve` and PostgreSQL.

Run through `make drill` (tests/drill/run.sh), which starts a throwaway
cluster with scripts/test-pg.sh, migrates and runs this program with
DATABASE_URL set. This program seeds a workspace with the CLI, starts `serve`
on a free loopback port (and restarts it when a drill kills it), runs:

  1. kill -9 of serve (twice) during 2,000 webhook-producing writes;
  2. PostgreSQL stopped for 10 s under a steady request load;
  3. 1,000 slowloris connections and 300 slow bodies while a probe measures
     the latency of ordinary requests;
  4. pipelined requests on one connection;

and prints a markdown table of figures. It exits 1 when a drill's acceptance
fails, naming which. Every wait is bounded: a hung server fails a drill, it
does not hang the run. Standard library only; loopback addresses only.

`drill.py --attack CONFIG_JSON` is the attacker process of drill 3 (kept in a
process of its own so that its event loop does not share the probe's GIL).
"""
import argparse
import asyncio
import collections
import datetime
import hashlib
import hmac
import http.client
import http.server
import json
import os
import queue
import random
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SAFE_ID = re.compile(r"^[A-Za-z0-9_]+$")
WEBHOOK_EVENTS = [
    "time_entry.created", "time_entry.updated", "time_entry.deleted", "time_entry.invoiced",
    "timer.started", "timer.stopped", "timesheet.submitted", "timesheet.approved", "timesheet.rejected",
]

# Drill sizes and bounds (seconds unless named otherwise).
D1_WRITES = 2000
D1_THREADS = 8
D1_KILL_AT = (0.3, 0.6)          # fractions of the writes done when serve is SIGKILLed
D1_WRITE_BOUND = 120
D1_DRAIN_AFTER_KILL = 80         # delivery leases last 60 s, the dispatcher polls every 5 s
D1_DRAIN_AFTER_WRITES = 30
D2_THREADS = 4
D2_BEFORE = 3
D2_OUTAGE = 10
D2_RECOVERY_BOUND = 40
D2_AFTER_RECOVERY = 3
D3_SLOWLORIS = 1000
D3_SLOWBODY = 300
D3_SOURCES = [f"127.0.0.{i}" for i in range(2, 21)]
D3_PROBES = 200                  # rounds of (GET /healthz, GET /api/v1/time-entries?limit=5)
D3_PROBE_TIMEOUT = 2.0
D3_RAMP_BOUND = 10               # the attackers start over 4 s; a server capping them never lets 95 % in
D3_LOADED_BOUND = 45
D3_LOADED_AT_LEAST = 15          # the loaded probe lasts this long even when fast
D3_RATIO_MAX = 10.0
D4_ANSWER_TIMEOUT = 5.0
D4_HEALTH_QUICK = 1.0
IDLE_WINDOW = 3.0
SPIN_PERCENT = 20.0              # CPU of an idle server above this is a spinning loop (idle is ~1 %)


def log(msg):
    print(f"[drill {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def now():
    return time.monotonic()


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(values, p):
    """Nearest-rank percentile; None when there are no values."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def fmt_ms(v):
    if v is None:
        return "n/a"
    if v == float("inf"):
        return "timeout"
    return f"{v:.1f} ms"


# --------------------------------------------------------------------------
# Results


class Results:
    def __init__(self):
        self.rows = []        # (drill, figure, value, target, verdict)
        self.failures = []    # (drill, why)
        self.notes = []

    def add(self, drill, figure, value, target="", ok=None):
        verdict = "" if ok is None else ("ok" if ok else "FAIL")
        self.rows.append((drill, figure, str(value), target, verdict))

    def fail(self, drill, why):
        self.failures.append((drill, why))
        log(f"FAIL {drill}: {why}")

    def note(self, drill, text):
        self.notes.append((drill, text))
        log(f"note {drill}: {text}")

    def markdown(self):
        out = ["| drill | figure | value | target | |", "|---|---|---|---|---|"]
        for d, f, v, t, ok in self.rows:
            out.append(f"| {d} | {f} | {v} | {t} | {ok} |")
        return "\n".join(out)


# --------------------------------------------------------------------------
# The database (psql) and the cluster (pg_ctl, as the account that owns it)


class Database:
    def __init__(self, url, bindir):
        self.url = url
        self.bindir = bindir
        parts = dict(p.split("=", 1) for p in url.split() if "=" in p)
        self.host = parts.get("host", "")
        self.port = parts.get("port", "5432")
        self.base = os.path.dirname(self.host.rstrip("/")) if self.host.startswith("/") else ""
        self.data = os.path.join(self.base, "data") if self.base else ""
        psql = os.path.join(bindir, "psql") if bindir else ""
        self.psql_bin = psql if psql and os.access(psql, os.X_OK) else (shutil.which("psql") or "psql")

    def query(self, sql, timeout=60):
        """Rows of a query as lists of strings (tab-separated psql output)."""
        p = subprocess.run([self.psql_bin, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-F", "\t",
                            "-d", self.url, "-c", sql], capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"psql failed: {p.stderr.strip()} (query: {sql[:200]})")
        return [line.split("\t") for line in p.stdout.splitlines() if line != ""]

    def scalar(self, sql):
        rows = self.query(sql)
        return rows[0][0] if rows else None

    def _as_pg(self, argv):
        if os.geteuid() == 0:
            if shutil.which("runuser"):
                return ["runuser", "-u", "postgres", "--"] + argv
            return ["su", "postgres", "-s", "/bin/sh", "-c", 'exec "$0" "$@"', "--"] + argv
        return argv

    def _server_options(self):
        """The options test-pg.sh started the server with (postmaster.opts), minus -D."""
        try:
            with open(os.path.join(self.data, "postmaster.opts")) as f:
                argv = shlex.split(f.read().strip())[1:]
        except OSError:
            argv = []
        out, i = [], 0
        while i < len(argv):
            if argv[i] == "-D":
                i += 2
                continue
            out.append(argv[i])
            i += 1
        if not out:  # as scripts/test-pg.sh starts it
            out = ["-k", self.host, "-c", "listen_addresses=", "-p", self.port, "-c", "fsync=off",
                   "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"]
        return " ".join(shlex.quote(a) for a in out)

    def pg_ctl(self, args, logfile, timeout):
        argv = self._as_pg([os.path.join(self.bindir, "pg_ctl"), "-D", self.data] + args)
        with open(logfile, "ab") as lf:
            # A session of its own: the drill's signals are not the cluster's.
            p = subprocess.run(argv, cwd=self.base, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                               timeout=timeout, start_new_session=True)
        return p.returncode

    def stop_cluster(self, logfile):
        self.opts = self._server_options()
        return self.pg_ctl(["-m", "fast", "-w", "-t", "30", "stop"], logfile, 45)

    def start_cluster(self, logfile):
        return self.pg_ctl(["-l", os.path.join(self.base, "log"), "-w", "-t", "60", "-o", self.opts, "start"],
                           logfile, 75)


# --------------------------------------------------------------------------
# serve: started, SIGKILLed, restarted; its CPU time and RSS from /proc


def proc_cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    except (OSError, IndexError, ValueError):
        return None


def proc_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


class Server:
    def __init__(self, binary, port, env, log_path, pid_file):
        self.binary, self.port, self.env, self.log_path, self.pid_file = binary, port, env, log_path, pid_file
        self.proc = None
        self.cpu_dead = 0.0     # CPU seconds of processes already gone
        self.starts = 0
        self.lock = threading.Lock()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, bound=30.0):
        """Starts serve and waits for /healthz 200; returns seconds to healthy."""
        t0 = now()
        argv = [self.binary, "serve"]
        if shutil.which("setpriv"):
            # Dies with the drill, whatever kills the drill.
            argv = ["setpriv", "--pdeathsig", "KILL", "--"] + argv
        attempt = 0
        while now() - t0 < bound:
            attempt += 1
            with open(self.log_path, "ab") as lf:
                lf.write(f"\n=== drill: serve start #{self.starts + 1} (attempt {attempt}) ===\n".encode())
                lf.flush()
                proc = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf)
            with self.lock:
                self.proc = proc
            with open(self.pid_file, "w") as f:  # for run.sh's cleanup
                f.write(str(proc.pid))
            while now() - t0 < bound:
                if proc.poll() is not None:
                    break
                if health(self.port, 1.0)[0] == 200:
                    self.starts += 1
                    return now() - t0
                time.sleep(0.05)
            if proc.poll() is None:
                break
            log(f"serve exited with {proc.returncode} while starting; retrying (see {self.log_path})")
            time.sleep(0.5)
        raise RuntimeError(f"serve did not become healthy within {bound:.0f} s (see {self.log_path})")

    def cpu_total(self):
        c = proc_cpu(self.pid) if self.alive() else None
        return self.cpu_dead + (c or 0.0)

    def _reap(self, sig, wait):
        if not self.proc:
            return
        c = proc_cpu(self.proc.pid)
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.cpu_dead += c or 0.0
        with self.lock:
            self.proc = None

    def kill9(self):
        self._reap(signal.SIGKILL, 10)

    def stop(self):
        self._reap(signal.SIGTERM, 15)

    def idle_cpu_percent(self, window=IDLE_WINDOW):
        """CPU use of serve over a quiet window, in % of one core."""
        if not self.alive():
            return None
        pid = self.pid
        a = proc_cpu(pid)
        time.sleep(window)
        b = proc_cpu(pid)
        if a is None or b is None:
            return None
        return 100.0 * (b - a) / window


class RssSampler(threading.Thread):
    """Samples serve's VmRSS every 250 ms for the whole run."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.samples = []  # (monotonic time, kB)
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.wait(0.25):
            pid = self.server.pid
            if pid:
                kb = proc_rss_kb(pid)
                if kb:
                    self.samples.append((now(), kb))

    def max_between(self, t0, t1):
        vals = [kb for t, kb in self.samples if t0 <= t <= t1]
        return max(vals) if vals else None


# --------------------------------------------------------------------------
# HTTP clients


def health(port, timeout):
    """(status, seconds) of GET /healthz on a new connection; status 0 on failure."""
    t0 = now()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=("127.0.0.1", 0))
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        return r.status, now() - t0
    except (OSError, http.client.HTTPException):
        return 0, now() - t0
    finally:
        conn.close()


def wait_healthy(port, bound):
    t0 = now()
    while now() - t0 < bound:
        if health(port, 1.0)[0] == 200:
            return now() - t0
        time.sleep(0.1)
    return None


class NotSent(Exception):
    """The request never left: the connection could not be made."""


class Uncertain(Exception):
    """The connection failed after the request started to go out."""


class Client:
    """One keep-alive connection from 127.0.0.1, reopened when it drops."""

    def __init__(self, port, token=None, timeout=10.0):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def _dropped(self):
        """True when the peer already closed the idle connection (as urllib3 checks)."""
        sock = self.conn.sock if self.conn else None
        if sock is None:
            return True
        old = sock.gettimeout()
        sock.settimeout(0)  # with a timeout, recv would first wait for data
        try:
            sock.recv(1, socket.MSG_PEEK)
            return True  # end of stream, or bytes nobody asked for: start afresh
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            sock.settimeout(old)

    def request(self, method, path, body=None):
        if self.conn is not None and self._dropped():
            self.close()
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                                   source_address=("127.0.0.1", 0))
            try:
                self.conn.connect()
            except OSError as e:
                self.close()
                raise NotSent(str(e)) from e
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            r = self.conn.getresponse()
            raw = r.read()
            if r.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise Uncertain(f"{type(e).__name__}: {e}") from e
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return r.status, doc


def api(port, token, method, path, body=None, timeout=10.0):
    c = Client(port, token, timeout)
    try:
        return c.request(method, path, body)
    finally:
        c.close()


def parse_response(buf, eof):
    """One HTTP/1.1 response from the front of buf: (dict, bytes used) or None if incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1").split("\r\n")
    parts = head[0].split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        status = -1
    headers = {}
    for line in head[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    pos = end + 4
    if status // 100 == 1 or status in (204, 304):
        return {"status": status, "headers": headers, "body": b""}, pos
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                return None
            try:
                size = int(buf[pos:nl].split(b";")[0], 16)
            except ValueError:
                return {"status": status, "headers": headers, "body": body, "malformed": True}, len(buf)
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", nl)
                if buf[nl:nl + 4] == b"\r\n\r\n":
                    return {"status": status, "headers": headers, "body": body}, nl + 4
                if trailer_end < 0:
                    return None
                return {"status": status, "headers": headers, "body": body}, trailer_end + 4
            if len(buf) < nl + 2 + size + 2:
                return None
            body += buf[nl + 2:nl + 2 + size]
            pos = nl + 2 + size + 2
    if "content-length" in headers:
        try:
            n = int(headers["content-length"])
        except ValueError:
            n = 0
        if len(buf) < pos + n:
            return None
        return {"status": status, "headers": headers, "body": buf[pos:pos + n]}, pos + n
    if not eof:
        return None
    return {"status": status, "headers": headers, "body": buf[pos:]}, len(buf)


def raw_exchange(port, payload, want, timeout):
    """Sends payload in one write on a new connection; reads up to `want`
    responses within timeout. Returns (responses, how it ended, seconds)."""
    t0 = now()
    deadline = t0 + timeout
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    responses, buf, ended = [], b"", "timeout"
    try:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        s.sendall(payload)
        eof = False
        while len(responses) < want:
            got = parse_response(buf, eof)
            if got:
                responses.append(got[0])
                buf = buf[got[1]:]
                continue
            if eof:
                ended = "closed by server"
                break
            left = deadline - now()
            if left <= 0:
                ended = "timeout"
                break
            s.settimeout(left)
            try:
                data = s.recv(65536)
            except socket.timeout:
                ended = "timeout"
                break
            except OSError as e:
                ended = f"error: {e}"
                break
            if not data:
                eof = True
            buf += data
        else:
            ended = "answered"
    except OSError as e:
        ended = f"error: {e}"
    finally:
        s.close()
    return responses, ended, now() - t0


# --------------------------------------------------------------------------
# The webhook receiver


class Receiver:
    """A threaded http.server on 127.0.0.1 that records every delivery."""

    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries = []  # dicts: path, delivery, event, event_id, signature_ok, t
        self.secrets = {}     # path -> signing secret
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n > 0 else b""
                ts = self.headers.get("X-Workestra-Timestamp", "")
                sig = self.headers.get("X-Workestra-Signature", "")
                secret = receiver.secrets.get(self.path)
                ok = None
                if secret:
                    want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
                    ok = hmac.compare_digest(want, sig)
                try:
                    event_id = json.loads(body).get("id")
                except (ValueError, AttributeError):
                    event_id = None
                with receiver.lock:
                    receiver.deliveries.append({
                        "path": self.path, "delivery": self.headers.get("X-Workestra-Delivery"),
                        "event": self.headers.get("X-Workestra-Event"), "event_id": event_id,
                        "signature_ok": ok, "t": now()})
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        class Srv(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request, client_address):
                pass  # connections of a SIGKILLed serve reset: expected here

        self.httpd = Srv(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def for_path(self, path):
        with self.lock:
            return [d for d in self.deliveries if d["path"] == path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------
# Seeding with the CLI


def cli(binary, env, *args):
    p = subprocess.run([binary] + list(args), env=env, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed: {p.stderr.strip()}")
    return json.loads(p.stdout)


def seed(binary, env):
    ws = cli(binary, env, "admin", "workspace", "create", "--name", "Drill workspace", "--plan", "pro",
             "--modules", "projects,finance")["id"]

    def user(email, role):
        uid = cli(binary, env, "admin", "user", "create", "--workspace", ws, "--email", email,
                  "--name", email.split("@")[0], "--role", role, "--weekly-hours", "40")["id"]
        tok = cli(binary, env, "admin", "token", "create", "--user", uid, "--name", "drill")["token"]
        return {"id": uid, "token": tok}

    admin = user("admin@drill.example", "admin")
    members = [user(f"member{i}@drill.example", "member") for i in range(4)]
    demo = cli(binary, env, "admin", "demo", "--workspace", ws)
    tasks = [t["id"] for t in demo.get("tasks", [])]
    if not tasks:
        raise RuntimeError("admin demo made no tasks")
    return {"workspace": ws, "admin": admin, "members": members, "tasks": tasks}


def entry_body(fx, i, tag):
    day = datetime.date.today() - datetime.timedelta(days=i % 28)
    return {"entity_type": "task", "entity_id": fx["tasks"][i % len(fx["tasks"])], "hours": 0.25,
            "log_date": day.isoformat(), "description": f"{tag} #{i}"}


# --------------------------------------------------------------------------
# Drill 1: kill -9 during 2,000 webhook-producing writes


def wait_drained(db, rcv, wh, path, deadline):
    """When every delivery of webhook wh is done and every one of its events
    reached rcv at path (monotonic time), or None if not by deadline."""
    while now() < deadline:
        try:
            rows = db.query(f"SELECT event_id, status FROM time_webhook_deliveries WHERE webhook_id = '{wh}'")
        except Exception as e:  # the database is ours; a failure here is worth a line, not a crash
            log(f"polling the outbox failed: {e}")
            rows = None
        if rows is not None:
            expected = {r[0] for r in rows}
            pending = sum(1 for r in rows if r[1] == "pending")
            got = {d["event_id"] for d in rcv.for_path(path)}
            if pending == 0 and expected <= got:
                return now()
        time.sleep(1.0)
    return None


def judge_writes(R, D, db, ws, wh, path, tag, outcome, rcv):
    """Judges writes (outcome: index -> ("ack", id) | ("uncertain", why) |
    ("status", code) | ("not_sent", why); descriptions "TAG #index") and the
    webhook wh's deliveries to rcv at path against the database: every 2xx
    write committed, every committed entry has its event and a delivery row,
    every event received, duplicates only under the same delivery id."""
    rows = db.query(f"SELECT id, description FROM time_entries WHERE workspace_id = '{ws}'"
                    f" AND description LIKE '{tag} #%' AND deleted_at IS NULL")
    db_ids = {r[0] for r in rows}
    db_descs = {r[1] for r in rows}
    acked = {i: r[1] for i, r in outcome.items() if r[0] == "ack"}
    uncertain = [i for i, r in outcome.items() if r[0] == "uncertain"]
    other = collections.Counter(r[1] for r in outcome.values() if r[0] == "status")
    not_sent = [i for i, r in outcome.items() if r[0] == "not_sent"]
    missing = [e for e in acked.values() if e not in db_ids]
    uncertain_committed = sum(1 for i in uncertain if f"{tag} #{i}" in db_descs)
    refused_but_committed = sum(1 for i, r in outcome.items()
                                if r[0] in ("status", "not_sent") and f"{tag} #{i}" in db_descs)
    no_event = db.query(
        f"SELECT te.id FROM time_entries te LEFT JOIN (SELECT payload->'data'->>'id' AS entry_id"
        f" FROM time_webhook_events WHERE workspace_id = '{ws}' AND event = 'time_entry.created') e"
        f" ON e.entry_id = te.id WHERE te.workspace_id = '{ws}' AND te.description LIKE '{tag} #%'"
        f" AND e.entry_id IS NULL")
    no_delivery = db.query(
        f"SELECT e.id FROM time_webhook_events e JOIN time_entries te ON te.id = e.payload->'data'->>'id'"
        f" WHERE e.workspace_id = '{ws}' AND te.workspace_id = '{ws}' AND te.description LIKE '{tag} #%'"
        f" AND NOT EXISTS (SELECT 1 FROM time_webhook_deliveries d WHERE d.event_id = e.id"
        f" AND d.webhook_id = '{wh}')")
    dl = db.query(f"SELECT event_id, id, status, attempts FROM time_webhook_deliveries WHERE webhook_id = '{wh}'")
    expected = {r[0]: r[1] for r in dl}
    statuses = collections.Counter(r[2] for r in dl)
    retried = sum(1 for r in dl if int(r[3]) > 1)
    recs = rcv.for_path(path)
    by_event = collections.defaultdict(list)
    for d in recs:
        by_event[d["event_id"]].append(d["delivery"])
    lost = [e for e in expected if e not in by_event]
    unknown = [e for e in by_event if e not in expected]
    dups = {e: v for e, v in by_event.items() if len(v) > 1}
    dup_extra = sum(len(v) - 1 for v in dups.values())
    dup_same_id = all(len(set(v)) == 1 for v in dups.values())
    wrong_delivery_id = sum(1 for e, v in by_event.items() if e in expected and any(x != expected[e] for x in v))
    bad_sig = sum(1 for d in recs if d["signature_ok"] is False)

    R.add(D, "writes acknowledged (2xx)", len(acked))
    R.add(D, "writes cut by a kill (no answer) / of which committed", f"{len(uncertain)} / {uncertain_committed}")
    R.add(D, "non-2xx answers / never sent", f"{dict(other) or 0} / {len(not_sent)}")
    R.add(D, "entries in DB", len(db_ids), f"= {len(acked)} acked + {uncertain_committed} cut", 
          len(db_ids) == len(acked) + uncertain_committed + refused_but_committed)
    R.add(D, "2xx writes missing from DB", len(missing), "0", not missing)
    R.add(D, "entries without their outbox event", len(no_event), "0", not no_event)
    R.add(D, "events without a delivery row", len(no_delivery), "0", not no_delivery)
    R.add(D, "events expected (deliveries to the receiver)", len(expected))
    R.add(D, "events received (distinct)", len([e for e in by_event if e in expected]))
    R.add(D, "events lost", len(lost), "0", not lost)
    R.add(D, "duplicate receipts / all with the same delivery id",
          f"{dup_extra} / {'yes' if dup_same_id else 'NO'}", "same id", dup_same_id)
    R.add(D, "deliveries delivered / pending / failed; retried",
          f"{statuses.get('delivered', 0)} / {statuses.get('pending', 0)} / {statuses.get('failed', 0)}; {retried}")
    R.add(D, "bad signatures / wrong delivery ids / unknown events", f"{bad_sig} / {wrong_delivery_id} / {len(unknown)}",
          "0 / 0 / 0", bad_sig == 0 and wrong_delivery_id == 0 and not unknown)
    if missing:
        R.fail(D, f"{len(missing)} acknowledged writes are not in the database (e.g. {missing[:3]})")
    if no_event:
        R.fail(D, f"{len(no_event)} committed entries have no time_entry.created outbox event")
    if no_delivery:
        R.fail(D, f"{len(no_delivery)} events of committed entries have no delivery row for the subscription")
    if lost:
        R.fail(D, f"{len(lost)} events never reached the receiver (e.g. {lost[:3]})")
    if not dup_same_id:
        R.fail(D, "a duplicated event came with different delivery ids")
    if bad_sig or wrong_delivery_id or unknown:
        R.fail(D, f"{bad_sig} bad signatures, {wrong_delivery_id} wrong delivery ids, {len(unknown)} unknown events")
    if refused_but_committed:
        R.note(D, f"{refused_but_committed} writes answered non-2xx (or never sent) are in the database")


def drill1(ctx):
    R, srv, db, fx, rcv = ctx.results, ctx.server, ctx.db, ctx.fx, ctx.receiver
    D = "1 kill -9"
    path = "/hook/drill1"
    st, doc = api(ctx.port, fx["admin"]["token"], "POST", "/api/v1/time/webhooks",
                  {"url": f"http://127.0.0.1:{rcv.port}{path}", "events": WEBHOOK_EVENTS})
    if st != 201 or not doc or "data" not in doc:
        R.fail(D, f"creating the webhook answered {st}: {doc}")
        return
    wh = doc["data"]["id"]
    rcv.secrets[path] = doc["data"].get("secret", "")
    if not SAFE_ID.match(wh):
        R.fail(D, f"unexpected webhook id {wh!r}")
        return
    tag = f"drill1 {secrets.token_hex(4)}"
    work = queue.Queue()
    for i in range(D1_WRITES):
        work.put(i)
    outcome = {}
    lock = threading.Lock()
    done = [0]
    stop = threading.Event()

    def writer(t):
        c = Client(ctx.port, fx["members"][t % len(fx["members"])]["token"], timeout=10.0)
        while not stop.is_set():
            try:
                i = work.get_nowait()
            except queue.Empty:
                break
            first = now()
            while True:
                if stop.is_set():
                    res = ("not_sent", "stopped")
                    break
                try:
                    st, doc = c.request("POST", "/api/v1/time-entries", entry_body(fx, i, tag))
                except NotSent as e:
                    # Nothing left this process: safe to try again (serve restarting).
                    if now() - first > 30:
                        res = ("not_sent", str(e))
                        break
                    time.sleep(0.05)
                    continue
                except Uncertain as e:
                    # The request may have committed: not retried, judged against the database.
                    res = ("uncertain", str(e))
                    break
                if 200 <= st < 300 and isinstance(doc, dict) and isinstance(doc.get("data"), dict):
                    res = ("ack", doc["data"].get("id", ""))
                else:
                    res = ("status", st)
                break
            with lock:
                outcome[i] = res
                done[0] += 1
        c.close()

    threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(D1_THREADS)]
    t0 = now()
    for th in threads:
        th.start()
    deadline = t0 + D1_WRITE_BOUND
    kills, restarts = [], []
    for frac in D1_KILL_AT:
        while done[0] < frac * D1_WRITES and now() < deadline and any(th.is_alive() for th in threads):
            time.sleep(0.005)
        if now() >= deadline or not any(th.is_alive() for th in threads):
            break
        log(f"drill 1: SIGKILL serve (pid {srv.pid}) after {done[0]} writes")
        srv.kill9()
        kills.append(now())
        restarts.append(srv.start())
        log(f"drill 1: serve back (pid {srv.pid}) in {restarts[-1]:.2f} s")
    for th in threads:
        th.join(max(0.0, deadline - now()))
    if any(th.is_alive() for th in threads):
        stop.set()
        for th in threads:
            th.join(15)
        R.fail(D, f"the writes did not finish within {D1_WRITE_BOUND} s ({done[0]} of {D1_WRITES} done)")
    writes_end = now()
    log(f"drill 1: {done[0]} writes in {writes_end - t0:.1f} s; waiting for the outbox to drain")

    # Drain: every delivery of the subscription done and every event at the receiver.
    last_kill = kills[-1] if kills else t0
    drain_deadline = max(last_kill + D1_DRAIN_AFTER_KILL, writes_end + D1_DRAIN_AFTER_WRITES)
    drained_at = wait_drained(db, rcv, wh, path, drain_deadline)

    R.add(D, "writes sent (8 client threads)", f"{len(outcome)} of {D1_WRITES}")
    R.add(D, "serve SIGKILLs / seconds back to healthy", f"{len(kills)} / " + (", ".join(f"{r:.1f}" for r in restarts) or "-"),
          "2", len(kills) == len(D1_KILL_AT))
    judge_writes(R, D, db, fx["workspace"], wh, path, tag, outcome, rcv)
    R.add(D, "outbox drained, seconds after the last kill",
          f"{drained_at - last_kill:.1f}" if drained_at else f"not within {drain_deadline - last_kill:.0f}",
          f"< {D1_DRAIN_AFTER_KILL}", drained_at is not None)
    if len(kills) < len(D1_KILL_AT):
        R.fail(D, f"serve was killed {len(kills)} times, not {len(D1_KILL_AT)}")
    if len(outcome) < D1_WRITES:
        R.fail(D, f"only {len(outcome)} of {D1_WRITES} writes were made")
    if not drained_at:
        R.fail(D, "the outbox did not drain in time")


# --------------------------------------------------------------------------
# Drill 2: PostgreSQL stopped for 10 s under load


def drill2(ctx):
    R, srv, db, fx = ctx.results, ctx.server, ctx.db, ctx.fx
    D = "2 PG stop"
    if not db.data or not os.path.isdir(db.base):
        R.fail(D, f"cannot find the cluster of DATABASE_URL ({db.url})")
        return
    tag = f"drill2 {secrets.token_hex(4)}"
    records = []
    lock = threading.Lock()
    stop = threading.Event()
    seq = [0]
    pid0 = srv.pid

    def loader(t):
        c = Client(ctx.port, fx["members"][t % len(fx["members"])]["token"], timeout=5.0)
        k = t
        while not stop.is_set():
            kind = "POST" if k % 2 else "GET"
            k += 1
            i = None
            t_send = now()
            eid = None
            try:
                if kind == "GET":
                    st, doc = c.request("GET", "/api/v1/time-entries?limit=5")
                else:
                    with lock:
                        i = seq[0]
                        seq[0] += 1
                    st, doc = c.request("POST", "/api/v1/time-entries", entry_body(fx, i, tag))
                    if 200 <= st < 300 and isinstance(doc, dict) and isinstance(doc.get("data"), dict):
                        eid = doc["data"].get("id")
                res = st
            except NotSent:
                res = "refused"
            except Uncertain as e:
                cause = e.__cause__
                res = "timeout" if isinstance(cause, (TimeoutError, socket.timeout)) else "connection error"
            with lock:
                records.append((t_send, now(), kind, res, i, eid))
            time.sleep(0.02)
        c.close()

    threads = [threading.Thread(target=loader, args=(t,), daemon=True) for t in range(D2_THREADS)]
    for th in threads:
        th.start()
    time.sleep(D2_BEFORE)
    pglog = os.path.join(ctx.out, "pg_ctl.log")
    t_stop = now()
    rc = db.stop_cluster(pglog)
    t_stopped = now()
    log(f"drill 2: PostgreSQL stopped (pg_ctl {rc}) in {t_stopped - t_stop:.2f} s")
    if rc != 0:
        R.fail(D, f"pg_ctl stop failed ({rc}); see {pglog}")
    time.sleep(max(0.0, t_stop + D2_OUTAGE - now()))
    t_start = now()
    rc = db.start_cluster(pglog)
    t_started = now()
    log(f"drill 2: PostgreSQL started (pg_ctl {rc}) after {t_start - t_stop:.1f} s down")
    if rc != 0:
        R.fail(D, f"pg_ctl start failed ({rc}); see {pglog}")
    recovered = {}
    end_bound = t_started + D2_RECOVERY_BOUND
    while now() < end_bound and len(recovered) < 2:
        with lock:
            for (_, td, kind, res, _, _) in records:
                if td >= t_started and isinstance(res, int) and 200 <= res < 300 and kind not in recovered:
                    recovered[kind] = td - t_started
        time.sleep(0.05)
    time.sleep(D2_AFTER_RECOVERY)
    stop.set()
    for th in threads:
        th.join(10)

    with lock:
        recs = list(records)
    outage = [r for r in recs if t_stopped <= r[0] <= t_start]
    answers = collections.Counter(r[3] for r in outage)
    n503 = answers.get(503, 0)
    ok_in_outage = sum(1 for r in outage if isinstance(r[3], int) and 200 <= r[3] < 300)
    after = [r for r in recs if r[0] >= t_started]
    first_ok = min(recovered.values()) if recovered else float("inf")
    failed_after_start = sum(1 for r in after if not (isinstance(r[3], int) and 200 <= r[3] < 300)
                             and r[1] - t_started <= first_ok)
    posted = [r for r in recs if r[2] == "POST" and r[5]]
    ids = [r[5] for r in posted]
    ws = fx["workspace"]
    rows = db.query(f"SELECT id, description FROM time_entries WHERE workspace_id = '{ws}'"
                    f" AND description LIKE '{tag} #%' AND deleted_at IS NULL")
    in_db = {r[0] for r in rows}
    descs = {r[1] for r in rows}
    missing = [e for e in ids if e not in in_db]
    non2xx_persisted = sum(1 for r in recs if r[2] == "POST" and r[4] is not None and not r[5]
                           and f"{tag} #{r[4]}" in descs)
    totals = collections.Counter(r[3] for r in recs)
    R.add(D, "requests (GET list + POST create, 4 threads)", len(recs))
    R.add(D, "outage: database down, seconds", f"{t_start - t_stopped:.1f}")
    R.add(D, "answers while down: 503 / all", f"{n503} / {len(outage)}", "503s", n503 > 0)
    if n503 != len(outage):
        R.add(D, "other answers while down", dict((str(k), v) for k, v in answers.items() if k != 503))
    R.add(D, "recovery: first 2xx after PostgreSQL is back (GET / POST)",
          " / ".join(f"{recovered[k]:.2f} s" if k in recovered else "none" for k in ("GET", "POST")),
          f"< {D2_RECOVERY_BOUND} s", len(recovered) == 2)
    R.add(D, "failed answers after PostgreSQL was back, before recovery", failed_after_start)
    R.add(D, "2xx writes / missing from DB", f"{len(ids)} / {len(missing)}", "0 missing", not missing)
    R.add(D, "non-2xx writes found in DB anyway", non2xx_persisted)
    R.add(D, "serve restarted or crashed", "no" if srv.alive() and srv.pid == pid0 else "YES", "no",
          srv.alive() and srv.pid == pid0)
    R.add(D, "all answers", ", ".join(f"{k}: {v}" for k, v in sorted(totals.items(), key=lambda kv: str(kv[0]))))
    if n503 == 0:
        R.fail(D, "no 503 during the outage")
    elif n503 != len(outage):
        R.note(D, f"answers while down other than 503: {dict(answers)}")
    if len(recovered) < 2:
        R.fail(D, f"no 2xx for {', '.join(k for k in ('GET', 'POST') if k not in recovered)} within "
                  f"{D2_RECOVERY_BOUND} s of PostgreSQL's restart")
    if missing:
        R.fail(D, f"{len(missing)} writes answered 2xx are not in the database (e.g. {missing[:3]})")
    if ok_in_outage:
        R.note(D, f"{ok_in_outage} requests sent while the database was down answered 2xx")
    if non2xx_persisted:
        R.note(D, f"{non2xx_persisted} writes answered non-2xx were committed anyway (commit outcome unknown)")
    if not (srv.alive() and srv.pid == pid0):
        R.fail(D, "serve did not survive the outage")


# --------------------------------------------------------------------------
# Drill 3: slowloris and slow bodies while a probe measures latency


def probe_once(port, path, token, timeout=D3_PROBE_TIMEOUT):
    """(milliseconds, ok, status or error) of one GET on a new connection from 127.0.0.1."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=("127.0.0.1", 0))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        r.read()
        st = r.status
    except (OSError, http.client.HTTPException) as e:
        return (time.perf_counter() - t0) * 1000.0, False, type(e).__name__
    finally:
        conn.close()
    return (time.perf_counter() - t0) * 1000.0, st == 200, st


def probe(port, token, rounds, bound, at_least=0.0, give_up_after=10):
    """Sequential rounds of /healthz and an authenticated list (at least `rounds`
    and `at_least` seconds, at most `bound` seconds); a failure counts as an
    infinite latency. Returns {path: [ms]} and the failures."""
    lat, fails, consecutive, t0, n = {"/healthz": [], "/api/v1/time-entries": []}, collections.Counter(), 0, now(), 0
    while n < rounds or now() - t0 < at_least:
        n += 1
        for path, tok in (("/healthz", None), ("/api/v1/time-entries?limit=5", token)):
            ms, ok, info = probe_once(port, path, tok)
            key = path.split("?")[0]
            if ok:
                lat[key].append(ms)
                consecutive = 0
            else:
                lat[key].append(float("inf"))
                fails[f"{key}: {info}"] += 1
                consecutive += 1
        if now() - t0 > bound or consecutive >= give_up_after:
            break
    return lat, fails


def probe_figures(lat):
    """'p50 / p99' over every probe, then per path."""
    everything = lat["/healthz"] + lat["/api/v1/time-entries"]
    p50, p99 = percentile(everything, 50), percentile(everything, 99)
    per = ", ".join(f"{'healthz' if k == '/healthz' else 'list'} {fmt_ms(percentile(v, 50))} / {fmt_ms(percentile(v, 99))}"
                    for k, v in lat.items())
    return p50, p99, f"{fmt_ms(p50)} / {fmt_ms(p99)} ({per}; {len(everything)} requests)"


class Attackers:
    """The attacker process (this file with --attack) and its status lines."""

    def __init__(self, ctx, slowloris, slowbody):
        cfg = {"port": ctx.port, "token": ctx.fx["members"][0]["token"], "slowloris": slowloris,
               "slowbody": slowbody, "sources": D3_SOURCES, "interval": 3.0, "ramp": 4.0, "max_seconds": 150}
        self.errlog = open(os.path.join(ctx.out, "attackers.log"), "ab")
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--attack", json.dumps(cfg)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errlog)
        self.lines = []  # (monotonic time, status dict)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.lines.append((now(), json.loads(line)))
            except ValueError:
                pass

    def latest(self):
        return self.lines[-1][1] if self.lines else {}

    def open_between(self, t0, t1):
        return [sum(s.get("open", {}).values()) for t, s in self.lines if t0 <= t <= t1]

    def cpu(self):
        return proc_cpu(self.proc.pid) or 0.0

    def stop(self):
        self.cpu_used = self.cpu()
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.thread.join(5)
        self.errlog.close()


def drill3(ctx):
    R, srv = ctx.results, ctx.server
    D = "3 slow clients"
    token = ctx.fx["members"][1]["token"]
    t_begin = now()
    rss_idle = proc_rss_kb(srv.pid)
    probe(ctx.port, token, 20, 10)  # warm-up (connections to PostgreSQL, caches): not counted
    idle, idle_fails = probe(ctx.port, token, D3_PROBES, 30)
    _, idle_p99, idle_text = probe_figures(idle)
    log(f"drill 3: idle probe p50 / p99 {idle_text}, failures {sum(idle_fails.values())}")
    total = D3_SLOWLORIS + D3_SLOWBODY
    att = Attackers(ctx, D3_SLOWLORIS, D3_SLOWBODY)
    loaded, loaded_fails, t_probe0, t_probe1 = {"/healthz": [], "/api/v1/time-entries": []}, collections.Counter(), None, None
    status_at_end = {}
    try:
        t_ramp = now()
        while now() - t_ramp < D3_RAMP_BOUND:
            if sum(att.latest().get("open", {}).values()) >= 0.95 * total or att.proc.poll() is not None:
                break
            time.sleep(0.25)
        ramp_open = sum(att.latest().get("open", {}).values())
        log(f"drill 3: {ramp_open} of {total} attacker connections open after {now() - t_ramp:.1f} s; probing")
        t_probe0 = now()
        loaded, loaded_fails = probe(ctx.port, token, D3_PROBES, D3_LOADED_BOUND, D3_LOADED_AT_LEAST)
        t_probe1 = now()
        status_at_end = att.latest()
    finally:
        att.stop()
    back = wait_healthy(ctx.port, 15)
    _, loaded_p99, loaded_text = probe_figures(loaded)
    n_loaded = sum(len(v) for v in loaded.values())
    open_during = (att.open_between(t_probe0, t_probe1) if t_probe0 else []) or [0]
    ratio = (loaded_p99 / idle_p99) if idle_p99 and loaded_p99 is not None else float("inf")
    n_fail = sum(loaded_fails.values())
    rss_max = ctx.rss.max_between(t_begin, now())
    s = status_at_end
    R.add(D, "probe idle p50 / p99 (a new connection each)", idle_text)
    R.add(D, f"attackers: open during the probe (min / max of {total})", f"{min(open_during)} / {max(open_during)}")
    R.add(D, "attackers: connects / failed connects / dropped by server / answered",
          f"{s.get('connected', 0)} / {s.get('connect_failed', 0)} / {s.get('dropped', 0) + s.get('reset', 0)}"
          f" / {s.get('answered', {}) or 0}")
    R.add(D, "probe loaded p50 / p99", loaded_text)
    R.add(D, "p99 loaded / idle", "inf" if ratio == float("inf") else f"{ratio:.1f}x", f"< {D3_RATIO_MAX:.0f}x",
          ratio < D3_RATIO_MAX)
    R.add(D, "probe failures (loaded)", f"{n_fail} of {n_loaded}", "0", n_fail == 0)
    R.add(D, "attacker process CPU (for scale: it shares the machine)", f"{att.cpu_used:.1f} s")
    R.add(D, "serve RSS idle / max", f"{(rss_idle or 0) / 1024:.1f} MiB / {(rss_max or 0) / 1024:.1f} MiB")
    R.add(D, "/healthz after the attackers left", f"{back:.2f} s" if back is not None else "no answer in 15 s",
          "answers", back is not None)
    if idle_fails:
        R.fail(D, f"the idle probe failed: {dict(idle_fails)}")
    if ratio >= D3_RATIO_MAX:
        R.fail(D, f"probe p99 under load is {fmt_ms(loaded_p99)} against {fmt_ms(idle_p99)} idle"
                  f" (ratio {'inf' if ratio == float('inf') else f'{ratio:.1f}'} >= {D3_RATIO_MAX:.0f})")
    if n_fail:
        R.fail(D, f"{n_fail} probe requests failed under load: {dict(loaded_fails)}")
    if back is None:
        R.fail(D, "serve did not answer /healthz within 15 s after the attackers left")


# The attacker process ------------------------------------------------------


def attack_main(cfg):
    total = cfg["slowloris"] + cfg["slowbody"]
    raise_nofile(total + 1024)
    asyncio.run(attack(cfg))


async def attack(cfg):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def watch_stdin():
        sys.stdin.buffer.read()  # EOF: the drill is done with us (or gone)
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    port, token, interval = cfg["port"], cfg["token"], cfg["interval"]
    sources = cfg["sources"]
    stats = collections.Counter()
    answered = collections.Counter()
    open_now = collections.Counter()
    heads = {
        "slowloris": (f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: drill-slowloris\r\n"
                      f"X-Drill-Slow: ").encode(),
        "slowbody": (f"POST /api/v1/time-entries HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"User-Agent: drill-slowbody\r\nAuthorization: Bearer {token}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n").encode(),
    }
    trickle = {"slowloris": b"a", "slowbody": b" "}

    async def one(kind, idx, delay):
        rnd = random.Random(idx * 7919 + len(kind))
        src = sources[idx % len(sources)]
        await asyncio.sleep(delay)
        quick = 0
        while not stop.is_set():
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0)), 5)
            except (OSError, asyncio.TimeoutError):
                stats["connect_failed"] += 1
                await asyncio.sleep(1 + rnd.random())
                continue
            stats["connected"] += 1
            open_now[kind] += 1
            opened = loop.time()
            try:
                writer.write(heads[kind])
                while not stop.is_set():
                    try:
                        data = await asyncio.wait_for(reader.read(4096), interval * (0.5 + rnd.random()))
                    except asyncio.TimeoutError:
                        writer.write(trickle[kind])
                        stats["bytes_trickled"] += 1
                        continue
                    if not data:
                        stats["dropped"] += 1
                    else:
                        m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
                        answered[m.group(1).decode() if m else "?"] += 1
                    break
            except (OSError, ConnectionError):
                stats["reset"] += 1
            finally:
                open_now[kind] -= 1
                writer.close()
            # Reconnect at once-ish; back off (up to ~5 s) while the server keeps
            # turning us away quickly, so the drill measures the server, not
            # this process saturating the machine with connects.
            quick = quick + 1 if loop.time() - opened < 1.0 else 0
            if not stop.is_set():
                await asyncio.sleep(min(5.0, 0.5 * 2 ** min(quick, 4)) * (0.5 + rnd.random()))

    def status():
        d = dict(stats)
        d["open"] = dict(open_now)
        d["answered"] = dict(answered)
        print(json.dumps(d), flush=True)

    kinds = ["slowloris"] * cfg["slowloris"] + ["slowbody"] * cfg["slowbody"]
    random.Random(1).shuffle(kinds)
    ramp = cfg["ramp"]
    tasks = [asyncio.create_task(one(k, i, ramp * i / max(1, len(kinds)))) for i, k in enumerate(kinds)]
    t0 = loop.time()
    while not stop.is_set() and loop.time() - t0 < cfg["max_seconds"]:
        status()
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    status()


# --------------------------------------------------------------------------
# Drill 4: pipelined requests


def drill4(ctx):
    R, srv, fx = ctx.results, ctx.server, ctx.fx
    D = "4 pipelining"
    host = f"Host: 127.0.0.1:{ctx.port}\r\n"
    tok = fx["members"][2]["token"]
    post_empty = lambda rid: (f"POST /api/v1/time-entries HTTP/1.1\r\n{host}X-Request-Id: {rid}\r\n"
                              f"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}").encode()
    get = lambda rid, path, auth: (f"GET {path} HTTP/1.1\r\n{host}X-Request-Id: {rid}\r\n"
                                   + (f"Authorization: Bearer {tok}\r\n" if auth else "") + "\r\n").encode()
    tag = f"drill4 {secrets.token_hex(4)}"

    def post_full(rid, i):
        body = json.dumps(entry_body(fx, i, tag)).encode()
        return (f"POST /api/v1/time-entries HTTP/1.1\r\n{host}X-Request-Id: {rid}\r\n"
                f"Authorization: Bearer {tok}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    cases = [
        ("two POSTs, Content-Length 2, body {}, no token", post_empty("drill4-a1") + post_empty("drill4-a2"),
         [401, 401], ["drill4-a1", "drill4-a2"]),
        ("two GETs (/healthz, authenticated list)",
         get("drill4-b1", "/healthz", False) + get("drill4-b2", "/api/v1/time-entries?limit=1", True),
         [200, 200], ["drill4-b1", "drill4-b2"]),
        ("a GET after a POST with a body", post_full("drill4-c1", 0) + get("drill4-c2", "/healthz", False),
         [201, 200], ["drill4-c1", "drill4-c2"]),
        ("a POST with a body after a GET", get("drill4-d1", "/healthz", False) + post_full("drill4-d2", 1),
         [200, 201], ["drill4-d1", "drill4-d2"]),
    ]
    for name, payload, want, rids in cases:
        if not srv.alive() or health(ctx.port, 2.0)[0] != 200:
            R.note(D, f"serve unresponsive before '{name}': restarted")
            srv.kill9()
            srv.start()
        cpu0 = srv.cpu_total()
        responses, ended, secs = raw_exchange(ctx.port, payload, len(want), D4_ANSWER_TIMEOUT)
        got = [r["status"] for r in responses]
        got_rids = [r["headers"].get("x-request-id") for r in responses]
        in_order = all(g is None or g == w for g, w in zip(got_rids, rids))
        hs, hsecs = health(ctx.port, 5.0)
        quick = hs == 200 and hsecs <= D4_HEALTH_QUICK
        cpu1 = srv.cpu_total()
        idle = srv.idle_cpu_percent()
        spinning = idle is not None and idle >= SPIN_PERCENT
        answered = got == want and in_order
        R.add(D, f"{name}: answers", f"{got or 'none'} ({ended}, {secs:.2f} s)", str(want), answered)
        R.add(D, f"{name}: /healthz right after", f"{hs or 'no answer'} in {hsecs:.2f} s",
              f"200 in < {D4_HEALTH_QUICK:.0f} s", quick)
        R.add(D, f"{name}: serve CPU, exchange / idle after", f"{cpu1 - cpu0:.2f} s / "
              + ("n/a" if idle is None else f"{idle:.0f} %"), f"idle < {SPIN_PERCENT:.0f} %", not spinning)
        if not answered:
            R.fail(D, f"{name}: wanted {want} in order, got {got} ({ended} after {secs:.2f} s)"
                      + ("" if in_order else f"; request ids {got_rids}"))
        if not quick:
            R.fail(D, f"{name}: /healthz right after answered {hs or 'nothing'} in {hsecs:.2f} s")
        if spinning:
            R.fail(D, f"{name}: serve burns {idle:.0f} % CPU while idle afterwards (a spinning event loop)")


# --------------------------------------------------------------------------
# Main


class Ctx:
    pass


class Interrupted(BaseException):
    """SIGTERM (run.sh's time limit) or SIGINT: stop, clean up, print what we have."""


def on_signal(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_drill(ctx, name, fn):
    R, srv = ctx.results, ctx.server
    log(f"=== drill {name} ===")
    if not srv.alive() or wait_healthy(ctx.port, 5) is None:
        R.note(name, "serve was not healthy before the drill: restarted")
        srv.kill9()
        srv.start()
    cpu0, t0 = srv.cpu_total(), now()
    try:
        fn(ctx)
    except Exception as e:
        import traceback
        traceback.print_exc()
        R.fail(name, f"the drill itself failed: {type(e).__name__}: {e}")
    cpu1, t1 = srv.cpu_total(), now()
    R.add(name, "serve CPU time (utime+stime) before → after",
          f"{cpu0:.1f} → {cpu1:.1f} s (+{cpu1 - cpu0:.1f} s in {t1 - t0:.0f} s)")
    if name.startswith("4"):
        return  # drill 4 checks idleness after each exchange
    idle = srv.idle_cpu_percent()
    spinning = idle is not None and idle >= SPIN_PERCENT
    R.add(name, "serve CPU when idle afterwards", "n/a (not running)" if idle is None else f"{idle:.0f} %",
          f"< {SPIN_PERCENT:.0f} %", not spinning)
    if spinning:
        R.fail(name, f"serve burns {idle:.0f} % CPU while idle after the drill (a spinning event loop)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the workestra-time binary")
    ap.add_argument("--out", help="folder for logs and the report")
    ap.add_argument("--only", default="1234", help="which drills to run, e.g. 34")
    ap.add_argument("--attack", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.attack:
        attack_main(json.loads(args.attack))
        return 0
    if not args.bin or not args.out:
        ap.error("--bin and --out are required")
    url = os.environ.get("DATABASE_URL")
    if not url:
        ap.error("DATABASE_URL is not set (run through tests/drill/run.sh)")
    binary = os.path.abspath(args.bin)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    nofile = raise_nofile(8192)  # serve inherits it: 1,300 attacker connections need their descriptors

    ctx = Ctx()
    ctx.out = out
    ctx.results = R = Results()
    ctx.db = Database(url, os.environ.get("PG_BINDIR", ""))
    ctx.port = free_port()
    env = dict(os.environ)
    env.update({"PORT": str(ctx.port), "HOST": "127.0.0.1", "WEBHOOK_ALLOW_PRIVATE": "1", "SCHEDULER": "off",
                "WORKESTRA_SECRET_KEY": "drill-secret-key-" + secrets.token_hex(16),
                "WORKESTRA_DATA_DIR": os.path.join(out, "data"), "WORKERS": env.get("WORKERS", "4"),
                "LOG_LEVEL": env.get("LOG_LEVEL", "info"),
                # The drills load the server on purpose: its rate limits
                # would answer 429 instead of showing how it holds up.
                "RATE_LIMIT_PER_TOKEN": "0", "RATE_LIMIT_PER_WORKSPACE": "0"})
    for k in ("CRON_SECRET", "SMTP_URL", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(k, None)
    os.makedirs(env["WORKESTRA_DATA_DIR"], exist_ok=True)
    t_all = now()
    log(f"seeding a workspace with the CLI ({binary})")
    ctx.fx = seed(binary, env)
    ctx.receiver = Receiver()
    ctx.server = Server(binary, ctx.port, env, os.path.join(out, "serve.log"), os.path.join(out, "serve.pid"))
    ctx.rss = RssSampler(ctx.server)
    interrupted = False
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        log(f"starting serve on 127.0.0.1:{ctx.port} (log {ctx.server.log_path}, RLIMIT_NOFILE {nofile})")
        ctx.server.start()
        ctx.rss.start()
        drills = {"1": ("1 kill -9", drill1), "2": ("2 PG stop", drill2), "3": ("3 slow clients", drill3),
                  "4": ("4 pipelining", drill4)}
        for key in args.only:
            if key in drills:
                run_drill(ctx, *drills[key])
    except Interrupted as e:
        interrupted = True
        R.fail("run", f"interrupted by {e} (time limit or ^C): the figures are partial")
    except Exception as e:
        import traceback
        traceback.print_exc()
        R.fail("setup", f"{type(e).__name__}: {e}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        ctx.rss.stop_event.set()
        if interrupted:
            ctx.server.kill9()
        else:
            ctx.server.stop()
        ctx.receiver.close()
    elapsed = now() - t_all
    table = R.markdown()
    report = [f"Drills against `{os.path.basename(binary)}` ({time.strftime('%Y-%m-%d %H:%M')}, "
              f"{os.cpu_count()} CPUs, {elapsed:.0f} s in all):", "", table, ""]
    if R.notes:
        report += ["Notes:", ""] + [f"- drill {d}: {t}" for d, t in R.notes] + [""]
    if R.failures:
        report += ["Failed:", ""] + [f"- drill {d}: {w}" for d, w in R.failures] + [""]
    else:
        report += ["Every drill passed.", ""]
    text = "\n".join(report)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    print(text, flush=True)
    return 1 if R.failures else 0


if __name__ == "__main__":
    sys.exit(main())

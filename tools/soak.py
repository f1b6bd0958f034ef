#!/usr/bin/env python3
"""soak.py - drives a live `hazmap serve` with mixed traffic, killing it with SIGKILL every few
minutes and restarting it on the same port and database (issue 16, item 6).

    tools/soak.py --hazmap build/hazmap --db DB [--seconds 1800] [--kill-every 120]
                  [--clients 32] [--json OUT.json] [--workdir DIR]

DB must be a scratch database (`make soak` and tests/integration/soak.sh make one with
tools/load-sample.sh): the run creates a planner and an editor token in it and adds incidents.

Each of --clients threads (python's http.client, one keep-alive connection each) loops until
--seconds have passed, drawing a request from the mix below and then pausing --think-ms (a
uniform 0..think-ms) before the next:
  public   (no token)   /?f=json, /collections/areas/items, /collections/hotspots/items,
                        /tiles/density/{z}/{x}/{y}.png (z 12-15 in Jinjiang), /api/stats
  planner  (Bearer)     the same, plus /collections/incidents/items?bbox=..., /api/blackspots
                        (planner hot spots ask cell=250: the default grid takes ~4 s
                        of both cores, and every write renews the planners' caches)
  write    (~5 %)       POST /collections/incidents/items: one new incident, a unique source_id,
                        with the editor or the planner token
Every write answered 2xx (and `inserted` 1) is an acknowledged write, kept by source_id.

A supervisor thread kills the server with SIGKILL every --kill-every seconds and starts it again
on the same port and database; a request failing with a connection error between a kill and
1 s after the new server printed 'listening' is "refused during restart"; one failing at any
other time is a connection error (a failure). It also notices a server that exits by itself
(a crash; counted and restarted). Each 5 s a sampler reads VmRSS of the live server from
/proc/PID/status.

At the end the server is stopped with SIGTERM and the incidents table is read with python's
sqlite3: every acknowledged source_id must be there (else it is a lost write). The report gives
p50/p99 latency per route, status counts, 5xx per route (503s from a full analysis queue
separately), lost writes, restarts and the RSS samples with a least-squares slope (MB/min) per
server lifetime. It is printed as markdown and written as JSON (--json). Exit status 0 when there
was no 5xx, no 4xx, no lost write, no crash and no connection error outside a restart; 1
otherwise.

The analysis queue: each client has at most one request outstanding, so at most --clients
analyses can wait; the configuration sets analysis_queue to max(64, 2 x clients) so that a
refusal (503 + Retry-After) would mean the pool lost track of its queue, not load.
"""
import argparse
import http.client
import json
import math
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

# Places of existing incidents in Jinjiang (read from the database at start): new incidents are
# put there (so they lie inside an area), tiles and bbox queries are drawn around them
POINTS = []
MECHANISMS = ["traffic", "fall", "cut_pierce", "animal", "fire_burn", "violence"]
SEVERITIES = ["minor", "serious", "none", "fatal"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def pct(sorted_vals, p):
    """nearest-rank percentile of an ascending list"""
    if not sorted_vals:
        return None
    i = max(0, min(len(sorted_vals) - 1, int(math.ceil(p / 100.0 * len(sorted_vals))) - 1))
    return sorted_vals[i]


def slope_mb_per_min(samples):
    """least-squares slope of [(t seconds, rss kB)] in MB per minute"""
    if len(samples) < 3:
        return None
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mr = sum(r for _, r in samples) / n
    sxx = sum((t - mt) ** 2 for t, _ in samples)
    if sxx == 0:
        return None
    sxy = sum((t - mt) * (r - mr) for t, r in samples)
    return sxy / sxx * 60.0 / 1024.0


class Server:
    """the hazmap process under test: start, kill -9, restart on the same port and database"""

    def __init__(self, args, port, conf, workdir):
        self.args, self.port, self.conf, self.workdir = args, port, conf, workdir
        self.proc = None
        self.lifetime = 0
        self.lock = threading.Lock()
        self.windows = []  # [t_kill, t_ready] of every restart (t_ready None while down)
        self.out = open(os.path.join(workdir, "server.out"), "ab")
        self.err = open(os.path.join(workdir, "server.err"), "ab")  # the access log
        self.start_times = []

    def start(self):
        mark = os.path.getsize(os.path.join(self.workdir, "server.out"))
        proc = subprocess.Popen(
            [self.args.hazmap, "serve", "--db", self.args.db, "--bind", "127.0.0.1",
             "--port", str(self.port), "--config", self.conf],
            stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        t0 = time.monotonic()
        path = os.path.join(self.workdir, "server.out")
        while time.monotonic() - t0 < 60:
            with open(path, "rb") as f:
                f.seek(mark)
                if b"listening on" in f.read():
                    break
            if proc.poll() is not None:
                raise RuntimeError("server exited at start (status %s); see %s/server.err"
                                   % (proc.returncode, self.workdir))
            time.sleep(0.02)
        else:
            raise RuntimeError("server did not print 'listening' within 60 s")
        with self.lock:
            self.proc = proc
            self.lifetime += 1
            self.start_times.append(time.monotonic() - t0)
            if self.windows and self.windows[-1][1] is None:
                self.windows[-1][1] = time.monotonic()
        return proc

    def kill9(self):
        with self.lock:
            self.windows.append([time.monotonic(), None])
            proc = self.proc
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def in_restart(self, t, slack=1.0):
        with self.lock:
            for a, b in self.windows:
                if t >= a - 0.05 and (b is None or t <= b + slack):
                    return True
        return False

    def pid(self):
        with self.lock:
            return (self.proc.pid, self.lifetime) if self.proc else (None, None)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = {}  # route -> [seconds]
        self.status = {}  # route -> {status: n}
        self.e5xx = {}  # route -> n (503 with Retry-After excluded)
        self.e503q = {}  # route -> n: 503 with Retry-After (a full analysis queue)
        self.e4xx = {}  # route -> n
        self.refused_restart = 0
        self.conn_errors = []  # (t, route, error) outside a restart window
        self.acked = []  # source_ids answered 2xx
        self.unacked_writes = 0  # POSTs whose answer was lost in a restart
        self.samples_5xx = []

    def add(self, route, status, dt, retry_after, body_head):
        with self.lock:
            self.lat.setdefault(route, []).append(dt)
            d = self.status.setdefault(route, {})
            d[status] = d.get(status, 0) + 1
            if status == 503 and retry_after:
                self.e503q[route] = self.e503q.get(route, 0) + 1
            elif status >= 500:
                self.e5xx[route] = self.e5xx.get(route, 0) + 1
                if len(self.samples_5xx) < 20:
                    self.samples_5xx.append((route, status, body_head))
            elif status >= 400:
                self.e4xx[route] = self.e4xx.get(route, 0) + 1
                if len(self.samples_5xx) < 20:
                    self.samples_5xx.append((route, status, body_head))


def client(cid, args, srv, stats, tokens, deadline, seq):
    rnd = random.Random(args.seed * 1000 + cid)
    conn = None
    planner, editor = tokens
    n = 0
    while time.monotonic() < deadline:
        r = rnd.random()
        auth = None
        body = None
        method = "GET"
        if r < args.write_share:
            kind = "write"
        elif r < args.write_share + (1 - args.write_share) * 0.45:
            kind = "public"
        else:
            kind = "planner"
            auth = planner
        if kind == "write":
            n += 1
            sid = "soak-%d-%d-%d" % (args.seed, cid, n)
            lon, lat = rnd.choice(POINTS)  # an existing incident's place: inside an area
            feat = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {"source": "soak", "source_id": sid,
                                   "occurred_at": "2014-%02d-%02dT%02d:%02d:00+08:00" % (
                                       rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23),
                                       rnd.randint(0, 59)),
                                   "mechanism": rnd.choice(MECHANISMS),
                                   "severity": rnd.choice(SEVERITIES),
                                   "age": rnd.randint(1, 90), "sex": rnd.choice(["male", "female"])}}
            body = json.dumps(feat).encode()
            method = "POST"
            path = "/collections/incidents/items"
            route = "POST incidents"
            auth = editor if rnd.random() < 0.5 else planner
        else:
            choices = ["landing", "areas", "hotspots", "tile", "tile", "stats"]
            if kind == "planner":
                choices += ["incidents_bbox", "incidents_bbox", "blackspots"]
            what = rnd.choice(choices)
            if what == "landing":
                path = "/?f=json"
            elif what == "areas":
                path = "/collections/areas/items"
            elif what == "hotspots":
                path = ("/collections/hotspots/items?cell=250&limit=100" if kind == "planner"
                        else "/collections/hotspots/items?limit=100")
            elif what == "tile":
                z = rnd.randint(12, 15)
                x, y = tile_of(*rnd.choice(POINTS), z)
                path = "/tiles/density/%d/%d/%d.png" % (z, x, y)
            elif what == "stats":
                path = "/api/stats"
            elif what == "incidents_bbox":
                lon, lat = rnd.choice(POINTS)
                path = "/collections/incidents/items?bbox=%.4f,%.4f,%.4f,%.4f&limit=100" % (
                    lon - 0.005, lat - 0.005, lon + 0.005, lat + 0.005)
            else:
                path = "/api/blackspots"
            route = "%s %s" % (kind, what)
        headers = {"Host": "127.0.0.1"}
        if auth:
            headers["Authorization"] = "Bearer " + auth
        if body is not None:
            headers["Content-Type"] = "application/geo+json"
        t0 = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=args.timeout)
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            dt = time.monotonic() - t0
            status = resp.status
            retry_after = resp.getheader("Retry-After")
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            if conn is not None:
                conn.close()
                conn = None
            t1 = time.monotonic()
            if srv.in_restart(t1) or srv.in_restart(t0):
                with stats.lock:
                    stats.refused_restart += 1
                    if method == "POST":
                        stats.unacked_writes += 1
            else:
                with stats.lock:
                    stats.conn_errors.append((round(t1 - seq[0], 2), route, repr(e)))
            time.sleep(0.05 + rnd.random() * 0.1)
            continue
        stats.add(route, status, dt, retry_after, data[:200].decode("utf-8", "replace"))
        if method == "POST" and 200 <= status < 300:
            ok = False
            try:
                ok = json.loads(data).get("inserted") == 1
            except ValueError:
                pass
            with stats.lock:
                stats.acked.append(sid)
                if not ok:
                    stats.conn_errors.append((round(time.monotonic() - seq[0], 2), route,
                                              "2xx without inserted=1: " + data[:200].decode()))
        if args.think_ms > 0:
            time.sleep(rnd.random() * args.think_ms / 1000.0)
    if conn is not None:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hazmap", default="build/hazmap")
    ap.add_argument("--db", required=True)
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 1800)))
    ap.add_argument("--kill-every", type=float, default=float(os.environ.get("KILL_EVERY", 120)))
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--write-share", type=float, default=0.05)
    ap.add_argument("--think-ms", type=float, default=20.0,
                    help="each client pauses uniform 0..this many ms between requests")
    ap.add_argument("--timeout", type=float, default=60.0, help="per-request socket timeout")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--json", default=None)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    workdir = args.workdir or os.path.dirname(os.path.abspath(args.db))
    os.makedirs(workdir, exist_ok=True)
    tok = lambda role: subprocess.check_output(
        [args.hazmap, "token", "create", "--db", args.db, "--role", role, "--label", "soak-" + role],
        text=True).strip()
    planner, editor = tok("planner"), tok("editor")
    db = sqlite3.connect(args.db)
    n_before = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
    POINTS.extend(db.execute("SELECT lon, lat FROM incidents WHERE area_code IS NOT NULL "
                             "ORDER BY random() LIMIT 5000").fetchall())
    db.close()
    if not POINTS:
        sys.exit("soak: no incident with an area in " + args.db)

    conf = os.path.join(workdir, "soak.conf")
    with open(conf, "w") as f:
        f.write("title = hazmap soak\n")
        f.write("analysis_queue = %d\n" % max(64, 2 * args.clients))
        f.write("per_ip_connections = %d\n" % max(64, 2 * args.clients))
    port = free_port()
    srv = Server(args, port, conf, workdir)
    srv.start()
    stats = Stats()
    t_start = time.monotonic()
    seq = [t_start]
    deadline = t_start + args.seconds
    stop = threading.Event()
    crashes = []
    kills = []
    rss = []  # (lifetime, t since start, kB)

    def supervisor():
        next_kill = t_start + args.kill_every
        while not stop.is_set():
            now = time.monotonic()
            with srv.lock:
                proc = srv.proc
            if proc.poll() is not None:  # exited by itself: a crash
                crashes.append((round(now - t_start, 2), proc.returncode))
                with srv.lock:
                    srv.windows.append([now, None])
                srv.start()
                continue
            if now >= next_kill and now < deadline - 5:
                srv.kill9()
                kills.append(round(time.monotonic() - t_start, 2))
                srv.start()
                next_kill += args.kill_every
            stop.wait(0.1)

    def sampler():
        while not stop.is_set():
            pid, life = srv.pid()
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss.append((life, round(time.monotonic() - t_start, 2),
                                        int(line.split()[1])))
            except (OSError, TypeError):
                pass
            stop.wait(5.0)

    sup = threading.Thread(target=supervisor, daemon=True)
    smp = threading.Thread(target=sampler, daemon=True)
    sup.start()
    smp.start()
    threads = [threading.Thread(target=client, args=(i, args, srv, stats, (planner, editor),
                                                      deadline, seq))
               for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t_start
    stop.set()
    sup.join()
    smp.join()
    with srv.lock:
        proc = srv.proc
    final_alive = proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    try:
        rc_term = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc_term = "timeout"

    # acknowledged writes present in the database?
    db = sqlite3.connect(args.db)
    have = {r[0] for r in db.execute("SELECT source_id FROM incidents WHERE source='soak'")}
    n_after = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
    db.close()
    lost = [s for s in stats.acked if s not in have]

    routes = {}
    for route in sorted(stats.lat):
        v = sorted(stats.lat[route])
        routes[route] = {"requests": len(v), "p50_ms": round(pct(v, 50) * 1000, 1),
                         "p99_ms": round(pct(v, 99) * 1000, 1), "max_ms": round(v[-1] * 1000, 1),
                         "status": {str(k): n for k, n in sorted(stats.status[route].items())},
                         "5xx": stats.e5xx.get(route, 0), "503_queue": stats.e503q.get(route, 0),
                         "4xx": stats.e4xx.get(route, 0)}
    lifetimes = []
    for life in sorted({l for l, _, _ in rss}):
        s = [(t, kb) for l, t, kb in rss if l == life]
        warm = [(t, kb) for t, kb in s if t - s[0][0] >= 30]
        lifetimes.append({"lifetime": life, "samples": len(s), "from_s": s[0][0], "to_s": s[-1][0],
                          "rss_first_mb": round(s[0][1] / 1024, 1),
                          "rss_last_mb": round(s[-1][1] / 1024, 1),
                          "rss_max_mb": round(max(kb for _, kb in s) / 1024, 1),
                          "slope_mb_per_min": (None if slope_mb_per_min(s) is None
                                               else round(slope_mb_per_min(s), 2)),
                          "slope_after_30s_mb_per_min": (None if slope_mb_per_min(warm) is None
                                                         else round(slope_mb_per_min(warm), 2))})
    total = sum(r["requests"] for r in routes.values())
    res = {
        "seconds": round(elapsed, 1), "clients": args.clients, "kill_every_s": args.kill_every,
        "think_ms": args.think_ms, "write_share": args.write_share, "seed": args.seed,
        "analysis_queue": max(64, 2 * args.clients),
        "requests": total, "requests_per_s": round(total / elapsed, 1),
        "kills": kills, "restarts": len(kills) + len(crashes), "crashes": crashes,
        "start_s": [round(x, 2) for x in srv.start_times],
        "refused_during_restart": stats.refused_restart,
        "writes_unanswered_in_restart": stats.unacked_writes,
        "connection_errors": len(stats.conn_errors), "connection_error_samples": stats.conn_errors[:20],
        "5xx": sum(stats.e5xx.values()), "503_queue": sum(stats.e503q.values()),
        "4xx": sum(stats.e4xx.values()), "error_samples": stats.samples_5xx,
        "writes_acknowledged": len(stats.acked), "writes_lost": len(lost), "lost_samples": lost[:20],
        "incidents_before": n_before, "incidents_after": n_after,
        "server_alive_at_end": final_alive, "sigterm_exit": rc_term,
        "routes": routes, "rss_lifetimes": lifetimes,
        "rss_samples": [{"lifetime": l, "t_s": t, "rss_kb": kb} for l, t, kb in rss],
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    print(markdown(res))
    good = (res["5xx"] == 0 and res["writes_lost"] == 0 and not crashes and res["4xx"] == 0
            and res["connection_errors"] == 0 and final_alive)
    return 0 if good else 1


def markdown(r):
    L = []
    L.append("### Soak: %.0f s, %d clients, SIGKILL + restart every %g s" % (
        r["seconds"], r["clients"], r["kill_every_s"]))
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append("| requests | %d (%.1f/s; think time 0-%g ms; writes %g %%) |" % (
        r["requests"], r["requests_per_s"], r["think_ms"], r["write_share"] * 100))
    L.append("| kill -9 + restart | %d (at %s s); server start %s s |" % (
        len(r["kills"]), ", ".join("%g" % k for k in r["kills"]) or "-",
        "/".join("%.2f" % s for s in r["start_s"])))
    L.append("| crashes (exits not caused by the soak) | %d %s |" % (
        len(r["crashes"]), r["crashes"] or ""))
    L.append("| refused during restart (connection errors in a restart window) | %d (%d of them writes) |"
             % (r["refused_during_restart"], r["writes_unanswered_in_restart"]))
    L.append("| connection errors outside a restart | %d |" % r["connection_errors"])
    L.append("| HTTP 5xx | %d |" % r["5xx"])
    L.append("| 503 + Retry-After (full analysis queue, %d places) | %d |" % (
        r["analysis_queue"], r["503_queue"]))
    L.append("| HTTP 4xx | %d |" % r["4xx"])
    L.append("| acknowledged writes | %d |" % r["writes_acknowledged"])
    L.append("| lost acknowledged writes | %d |" % r["writes_lost"])
    L.append("| incidents before / after | %d / %d |" % (r["incidents_before"], r["incidents_after"]))
    L.append("| SIGTERM at the end | exit %s |" % r["sigterm_exit"])
    L.append("")
    L.append("| route | requests | p50 ms | p99 ms | max ms | statuses | 5xx |")
    L.append("|---|---:|---:|---:|---:|---|---:|")
    for k, v in r["routes"].items():
        L.append("| %s | %d | %.1f | %.1f | %.1f | %s | %d |" % (
            k, v["requests"], v["p50_ms"], v["p99_ms"], v["max_ms"],
            " ".join("%s:%d" % kv for kv in v["status"].items()), v["5xx"]))
    L.append("")
    L.append("| server lifetime | RSS samples | span s | RSS first / last / max MB | slope MB/min | slope after its first 30 s |")
    L.append("|---:|---:|---|---|---:|---:|")
    for x in r["rss_lifetimes"]:
        fmt = lambda v: "-" if v is None else "%+.2f" % v
        L.append("| %d | %d | %g-%g | %.1f / %.1f / %.1f | %s | %s |" % (
            x["lifetime"], x["samples"], x["from_s"], x["to_s"], x["rss_first_mb"],
            x["rss_last_mb"], x["rss_max_mb"], fmt(x["slope_mb_per_min"]),
            fmt(x["slope_after_30s_mb_per_min"])))
    if r["connection_error_samples"]:
        L.append("")
        L.append("Connection errors outside a restart (first %d):" % len(r["connection_error_samples"]))
        for e in r["connection_error_samples"]:
            L.append("- %s" % (e,))
    if r["error_samples"]:
        L.append("")
        L.append("4xx/5xx samples:")
        for e in r["error_samples"]:
            L.append("- %s" % (e,))
    if r["lost_samples"]:
        L.append("")
        L.append("Lost writes (first 20): " + ", ".join(r["lost_samples"]))
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# slowclients.sh - issue 16, item 3: the slow-header (slowloris) and slow-body attacks, and the
# request-body bytes buffered per client address.
#
# A server with 3 connections per address, a 2 s header deadline and a 2 s body deadline:
#  1. three connections dribble header bytes (one every 0.3 s, so never idle long enough for the
#     idle timeout) and fill the address's slots; another client from that address is refused
#     while they hold, and served once their deadline has passed (the server shut them down);
#  2. the same with three POSTs whose bodies crawl;
#  3. two uploads at once from one address over body_bytes_per_addr: the second is answered 429,
#     the first still succeeds.
# Before the guard (connguard.c) the dribbling clients kept their slots for as long as they
# liked: checks 1 and 2 failed. Env: HAZMAP (binary, default build/hazmap).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib/serve.sh
HAZMAP=${HAZMAP:-build/hazmap}
WORK=$(mktemp -d /tmp/hazmap-slowclients.$$.XXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

DB=$WORK/test.sqlite
NO_PUBLISH=1 tools/load-sample.sh "$HAZMAP" "$DB" > "$WORK/load.log" 2>&1 ||
  { echo "FAIL load-sample: $(tail -1 "$WORK/load.log")"; exit 1; }
TOKEN=$("$HAZMAP" token create --db "$DB" --role planner --label slow | tail -1 | tr -d '[:space:]') ||
  { echo "FAIL token create"; exit 1; }
cat > "$WORK/hazmap.conf" <<CONF
per_ip_connections = 3
header_deadline_s = 2
body_deadline_s = 2
connection_timeout_s = 30
max_body_bytes = 40000
body_bytes_per_addr = 50000
CONF
hz_serve "$WORK/out.log" "$WORK/access.log" --db "$DB" --config "$WORK/hazmap.conf" ||
  { echo "FAIL server did not start"; exit 1; }
PID=$HZ_PID

PORT=$PORT TOKEN=$TOKEN python3 - <<'PY'
import os, socket, threading, time

PORT = int(os.environ["PORT"])
TOKEN = os.environ["TOKEN"]
fails = 0


def check(what, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails += 1


def served():
    """A normal request from this address: True when it gets an HTTP answer within 1.5 s."""
    try:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=1.5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = s.recv(64)
        s.close()
        return data.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def dribbler(first, byte, closed, stop):
    """Sends first, then byte every 0.3 s until the server closes or stop is set."""
    try:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        s.sendall(first)
        while not stop.is_set():
            time.sleep(0.3)
            s.sendall(byte)
    except OSError:
        closed.append(time.monotonic())


def attack(first, byte, name):
    stop = threading.Event()
    closed = []
    ts = [threading.Thread(target=dribbler, args=(first, byte, closed, stop)) for _ in range(3)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    time.sleep(0.8)
    check(f"{name}: while three clients dribble, a fourth from the address is refused", not served())
    time.sleep(2.5)
    check(f"{name}: the dribbling connections were shut down at their deadline "
          f"({len(closed)} of 3, after {[round(c - t0, 1) for c in closed]} s)",
          len(closed) == 3 and all(c - t0 < 4.5 for c in closed))
    check(f"{name}: then a client from the same address is served", served())
    stop.set()
    for t in ts:
        t.join(timeout=5)


attack(b"GET /healthz HTTP/1.1\r\nHost: t\r\n", b"X", "slow headers")
head = ("POST /collections/incidents/items HTTP/1.1\r\nHost: t\r\nContent-Type: application/geo+json\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Length: 30000\r\n\r\n").encode()
attack(head + b"{", b" ", "slow body")


def post(n, hold, out):
    """POSTs an n-byte body (a valid FeatureCollection padded with spaces), pausing hold s before
    the last 10 bytes; appends the status line."""
    body = b'{"type": "FeatureCollection", "features": []}'
    body = body[:-1] + b" " * (n - len(body)) + b"}"
    try:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        s.sendall(("POST /collections/incidents/items HTTP/1.1\r\nHost: t\r\n"
                   "Content-Type: application/geo+json\r\nConnection: close\r\n"
                   f"Authorization: Bearer {TOKEN}\r\nContent-Length: {n}\r\n\r\n").encode())
        s.sendall(body[:-10])
        time.sleep(hold)
        s.sendall(body[-10:])
        out.append(s.recv(64).split(b"\r\n")[0].decode())
        s.close()
    except OSError as e:
        out.append(f"error {e}")


a, b = [], []
ta = threading.Thread(target=post, args=(30000, 1.0, a))
ta.start()
time.sleep(0.4)
post(30000, 0, b)
ta.join()
check(f"two 30 kB uploads at once over the address's 50 kB: the second is refused ({b})",
      b and " 429 " in b[0])
check(f"... and the first is not ({a})", a and (" 200 " in a[0] or " 201 " in a[0] or " 400 " in a[0]))
print("slowclients: %d failed" % fails)
raise SystemExit(1 if fails else 0)
PY

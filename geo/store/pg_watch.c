/* pg_watch.c - store_wait_change() on PostGIS (store.h's contract; store_pg.h).
 *
 * A commit that changes data (pg_commit()) and a release (pg_release_put()) send
 * NOTIFY hazmap_data_version inside their transaction, so the notification leaves at commit and
 * never for a rollback. The watcher's handle LISTENs on its own connection and waits with poll()
 * on PQsocket() up to the timeout; a notification makes it look at the store: the data version
 * and the newest release id (one query). What it reports comes from that look, never from a
 * payload, so a late or duplicated notification cannot report a change that is not there.
 *
 * Invariants:
 *  1. listening is 1 only while the current connection has run LISTEN successfully; a dropped
 *     connection (PQstatus() not CONNECTION_OK) resets it.
 *  2. Without LISTEN (it failed: a hot standby or a transaction-pooling proxy refuses it) the
 *     handle polls the look every STORE_WATCH_POLL_MS, so a change is seen within one period.
 *  3. A dropped connection is re-established by pg_reconnect() at most once per backoff_ms,
 *     which doubles from STORE_WATCH_POLL_MS to PG_WATCH_BACKOFF_MAX_MS while the server stays
 *     unreachable and is reset by a success. While it is down the call returns HZ_EDB (the
 *     caller waits and calls again, as for any unreadable store).
 *  4. After a reconnection the next look reports a change (dropped = 1): commits made while the
 *     connection was down sent notifications nobody heard, and a release is not in the data
 *     version, so the caller re-reads rather than miss one. */
#include "store_pg.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

enum { PG_WATCH_BACKOFF_MAX_MS = 5000 };

struct pg_watch {
    int init;         /* a look was made on this handle (the first only compares versions) */
    int listening;    /* invariant 1 */
    int dropped;      /* invariant 4 */
    int64_t release;  /* the newest release id at the previous look (0: none) */
    int64_t retry_at; /* invariant 3: CLOCK_MONOTONIC ms of the next reconnection attempt */
    int backoff_ms;   /* invariant 3 */
};

/* The look; the comment names the query in pg_stat_activity (tests terminate it there). */
static const char *const look_sql =
    "SELECT /* hazmap watch */ (SELECT value::bigint FROM meta WHERE key='data_version'),"
    " (SELECT coalesce(max(id),0) FROM releases)";

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0) return;
    struct timespec d = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&d, &d) != 0 && errno == EINTR) {
    }
}

void pg_watch_free(pg_watch *w)
{
    free(w);
}

static hz_status look(pgstore *pg, int64_t *version, int64_t *release)
{
    PGresult *r = pg_query(pg, look_sql, 0, NULL, NULL, 0, "watching");
    if (!r) return pg_last_status(pg);
    hz_status s = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? HZ_OK : HZ_EDB;
    if (s == HZ_OK) {
        *version = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        *release = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    }
    PQclear(r);
    return s;
}

/* Invariant 3: HZ_OK when the connection is (again) up. */
static hz_status ensure_connected(pgstore *pg, pg_watch *w)
{
    if (PQstatus(pg_conn(pg)) == CONNECTION_OK) return HZ_OK;
    w->listening = 0;
    w->dropped = 1;
    int64_t now = now_ms();
    if (now < w->retry_at) return HZ_EDB;
    char err[256];
    if (pg_reconnect(pg, err, sizeof err) != HZ_OK) {
        w->backoff_ms = w->backoff_ms * 2 > PG_WATCH_BACKOFF_MAX_MS ? PG_WATCH_BACKOFF_MAX_MS
                                                                    : w->backoff_ms * 2;
        w->retry_at = now + w->backoff_ms;
        return HZ_EDB;
    }
    w->backoff_ms = STORE_WATCH_POLL_MS;
    return HZ_OK;
}

/* 1 when a notification arrived (all queued ones are consumed), 0 when none, -1 when the
 * connection failed. */
static int drain(PGconn *c)
{
    if (!PQconsumeInput(c)) return -1;
    int got = 0;
    for (PGnotify *n = PQnotifies(c); n; n = PQnotifies(c)) {
        got = 1;
        PQfreemem(n);
    }
    return got;
}

/* Waits up to ms for input on the connection (listening) or just sleeps (polling). */
static void pause_for(pgstore *pg, const pg_watch *w, int64_t ms)
{
    if (!w->listening) {
        sleep_ms(ms < STORE_WATCH_POLL_MS ? ms : STORE_WATCH_POLL_MS);
        return;
    }
    struct pollfd p = {.fd = PQsocket(pg_conn(pg)), .events = POLLIN};
    if (p.fd < 0 || poll(&p, 1, (int)ms) < 0) sleep_ms(ms < STORE_WATCH_POLL_MS ? ms : 10);
}

hz_status pg_wait_change(pgstore *pg, int64_t known_version, int timeout_ms, int64_t *version)
{
    assert(!pg_in_tx(pg)); /* a transaction would pin the version it started at */
    pg_watch **slot = pg_watch_slot(pg);
    if (!*slot && !(*slot = calloc(1, sizeof **slot))) return HZ_ENOMEM;
    pg_watch *w = *slot;
    if (!w->backoff_ms) w->backoff_ms = STORE_WATCH_POLL_MS;
    int64_t until = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    *version = known_version;
    for (;;) {
        hz_status s = ensure_connected(pg, w);
        if (s != HZ_OK) return s;
        int due = !w->init || !w->listening; /* a first look, or polling (invariant 2) */
        if (!w->listening) {
            /* the name shows the watcher's backend in pg_stat_activity (set again after every
             * reconnection: PQreset() starts a new session) */
            PGresult *r = PQexec(pg_conn(pg), "SET application_name='hazmap watcher';"
                                              "LISTEN hazmap_data_version");
            w->listening = PQresultStatus(r) == PGRES_COMMAND_OK;
            PQclear(r);
            due = 1; /* what was committed before LISTEN took effect is seen by this look */
        }
        if (w->listening) {
            int got = drain(pg_conn(pg));
            if (got < 0 && PQstatus(pg_conn(pg)) == CONNECTION_OK) return HZ_EDB;
            if (got < 0) continue; /* dropped: ensure_connected() sees it */
            due |= got;
        }
        if (due) {
            int64_t v = 0, rel = 0;
            s = look(pg, &v, &rel);
            if (s != HZ_OK && PQstatus(pg_conn(pg)) != CONNECTION_OK) continue;
            if (s != HZ_OK) return s;
            int changed = v != known_version || (w->init && (rel != w->release || w->dropped));
            w->init = 1;
            w->release = rel;
            w->dropped = 0;
            if (changed) {
                *version = v;
                return HZ_OK;
            }
        }
        int64_t left = until - now_ms();
        if (left <= 0) return HZ_ELIMIT;
        pause_for(pg, w, left);
    }
}

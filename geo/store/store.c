/* store.c - the SpatiaLite implementation of the store: connection, schema, transactions,
 * data version, areas, incidents and import bookkeeping; and the backend dispatch: store_open()
 * of a PostgreSQL URI or conninfo makes a PostGIS store (store_pg.h), and every function here
 * hands such a store's calls to its pg_* counterpart first.
 *
 * Invariants:
 *  1. meta.data_version only grows, by one per committed write transaction that changed a row
 *     (store_commit()): a transaction whose writes all found their rows as they were (a re-sent
 *     incident, STORE_PUT_UNCHANGED) keeps the version, so no cache is emptied for it. The
 *     import bookkeeping (import_batches, import_rejects) is not data: its rows are taken out of
 *     the count (bookkeeping_done()), so re-importing an unchanged file keeps the version.
 *  2. incidents.lon/lat equal ST_X/ST_Y of incidents.geom (both written by store_incident_put()),
 *     or all three are NULL: an incident known only by its area (schema 3; hz_incident_rec's
 *     lon and lat are NaN then, and the R*Tree has no entry for it).
 *  3. incidents.content_hash is the FNV-1a hash of every stored field but the key (source,
 *     source_id) and the batch, so a re-import of an unchanged row can be recognised without
 *     comparing columns one by one. It is computed only by store_incident_hash(), called by
 *     store_bind_incident(), the binder of every SpatiaLite incident write (here and in
 *     store_bulk.c), from the very values it binds, and by the PostGIS writes (pg_store.c).
 *  4. in_tx is 1 exactly between a successful store_begin() and store_commit()/store_rollback().
 *  5. meta.data_id is renewed (random) in the same transaction as every data_version bump, and
 *     set when the schema is created: one data_id names one state of the data.
 *  6. Incidents are never deleted, ids only grow, and a row replaced outside an import batch
 *     (store_incident_put(), a bulk load with batch 0) sets meta.reload_horizon to the data
 *     version it was written on top of (store_sqlite_unbatched()): what store_marks and
 *     incset_reload() rely on (store.h). */
#include "hazmap/store.h"
#include "hazmap/vocab.h"
#include "store_pg.h"
#include "schema.h"
#include "store_sqlite.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spatialite.h>
#include <sqlite3.h>

enum { ST_AREA_PUT, ST_INC_FIND, ST_INC_INSERT, ST_INC_UPDATE, ST_INC_GET, ST_REJECT, ST_COUNT };

struct store {
    pgstore *pg; /* the PostGIS backend (store_pg.h); NULL for SpatiaLite, whose fields follow */
    sqlite3 *db;
    void *splite; /* SpatiaLite's per-connection cache */
    char *path;
    int in_tx;           /* invariant 4 */
    int64_t tx_changes0; /* sqlite3_total_changes64() at store_begin(): invariant 1 */
    int timeout_ms;
    struct timespec deadline;
    int64_t watch_pv; /* PRAGMA data_version at the previous store_wait_change(); */
    int watch_init;   /* ... valid once watch_init is 1 */
    sqlite3_stmt *stmt[ST_COUNT];
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_AREA_PUT] =
        "INSERT OR REPLACE INTO areas(code,name,name_en,level,parent_code,population,geom)"
        " VALUES(?,?,?,?,?,?,CastToMultiPolygon(GeomFromWKB(?,4326)))",
    [ST_INC_FIND] = "SELECT id, content_hash FROM incidents WHERE source=? AND source_id=?",
    [ST_INC_INSERT] = "INSERT INTO incidents(" STORE_INC_COLS ",geom) VALUES(" STORE_INC_VALUES
                      "," STORE_INC_POINT ")",
    [ST_INC_UPDATE] =
        "UPDATE incidents SET " STORE_INC_SET ",geom=" STORE_INC_POINT " WHERE id=?23",
    [ST_INC_GET] = "SELECT id,source,source_id,occurred_at,t,mechanism,place,intent,severity,"
                   "victims,age,sex,disability,description,area_code,extra,lon,lat,"
                   "activity,outcome,nature,body_part FROM incidents WHERE id=?",
    [ST_REJECT] = "INSERT INTO import_rejects(batch_id,line,raw,reason) VALUES(?,?,?,?)",
};

hz_status store_sqlite_status(sqlite3 *db)
{
    int code = sqlite3_errcode(db) & 0xff;
    if (code == SQLITE_FULL) return HZ_ENOSPC;
    if (code == SQLITE_INTERRUPT) return HZ_ELIMIT;
    int e = sqlite3_system_errno(db);
    if (code == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT)) return HZ_ENOSPC;
    return HZ_EDB;
}

const char *store_sqlite_errmsg(sqlite3 *db)
{
    if ((sqlite3_errcode(db) & 0xff) != SQLITE_FULL && store_sqlite_status(db) == HZ_ENOSPC)
        return "disk I/O error: no space left on device";
    return sqlite3_errmsg(db);
}

static hz_status db_fail(store *st, char *err, size_t errlen, const char *what)
{
    hz_status s = store_sqlite_status(st->db);
    return hz_fail(s, err, errlen, "%s: %s: %s", st->path, what,
                   s == HZ_ELIMIT ? "query time limit reached" : store_sqlite_errmsg(st->db));
}

static int progress_cb(void *ud)
{
    store *st = ud;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > st->deadline.tv_sec ||
           (now.tv_sec == st->deadline.tv_sec && now.tv_nsec > st->deadline.tv_nsec);
}

void store_arm_timeout(store *st)
{
    if (st->timeout_ms <= 0) return;
    clock_gettime(CLOCK_MONOTONIC, &st->deadline);
    st->deadline.tv_sec += st->timeout_ms / 1000;
    st->deadline.tv_nsec += (long)(st->timeout_ms % 1000) * 1000000L;
    if (st->deadline.tv_nsec >= 1000000000L) {
        st->deadline.tv_sec++;
        st->deadline.tv_nsec -= 1000000000L;
    }
}

void store_set_timeout(store *st, int ms)
{
    if (st->pg) {
        pg_set_timeout(st->pg, ms);
        return;
    }
    st->timeout_ms = ms;
    if (ms > 0) {
        store_arm_timeout(st);
        sqlite3_progress_handler(st->db, 10000, progress_cb, st);
    } else {
        sqlite3_progress_handler(st->db, 0, NULL, NULL);
    }
}

pgstore *store_pg(store *st)
{
    return st->pg;
}

sqlite3 *store_sqlite(store *st)
{
    return st->db;
}

int store_has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1, &s,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static hz_status create_schema(store *st, char *err, size_t errlen)
{
    char *msg = NULL;
    char *ddl = schema_create_sql(SCHEMA_SQLITE, SCHEMA_CORE, 0);
    if (!ddl) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    /* InitSpatialMetadata(1) runs its own transaction, so it goes first; a crash between the two
     * steps leaves a file without an incidents table, which the next store_open() completes. */
    if (sqlite3_exec(st->db, "SELECT InitSpatialMetadata(1)", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(st->db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(st->db, ddl, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        free(ddl);
        hz_status s = store_sqlite_status(st->db);
        hz_fail(s, err, errlen, "%s: creating schema: %s", st->path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return s;
    }
    free(ddl);
    return HZ_OK;
}

/* Gives a store created before data identities existed its first one (invariant 5). Looked up
 * first so that an ordinary open never takes the write lock; failure (a read-only file) leaves
 * the store without one, which only disables the caches that key on it. */
static void ensure_data_id(store *st)
{
    char id[STORE_DATA_ID_SIZE];
    if (store_data_id(st, id, sizeof id) != HZ_ENOTFOUND) return;
    sqlite3_exec(st->db,
                 "INSERT OR IGNORE INTO meta(key,value) VALUES('data_id',"
                 "lower(hex(randomblob(16))))",
                 NULL, NULL, NULL);
}

static hz_status migrate(store *st, int from, char *err, size_t errlen);
static hz_status schema_version(store *st, int *v);

store *store_open(const char *path, int flags, char *err, size_t errlen)
{
    store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    if (store_pg_target(path)) {
        if (!(st->pg = pg_open(path, flags, err, errlen))) {
            store_close(st);
            return NULL;
        }
        return st;
    }
    int oflags = (flags & STORE_READONLY)
                     ? SQLITE_OPEN_READONLY
                     : SQLITE_OPEN_READWRITE | ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
    oflags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
        hz_fail(HZ_EDB, err, errlen, "%s: cannot open database: %s", path,
                st->db ? sqlite3_errmsg(st->db) : "out of memory");
        store_close(st);
        return NULL;
    }
    st->splite = spatialite_alloc_connection();
    spatialite_init_ex(st->db, st->splite, 0);
    sqlite3_busy_timeout(st->db, 10000);
    if (!(flags & STORE_READONLY)) {
        sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    }
    sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    int has_meta = store_has_table(st->db, "meta");
    if (has_meta < 0) {
        db_fail(st, err, errlen, "reading the schema");
        store_close(st);
        return NULL;
    }
    if (!has_meta) {
        if (!(flags & STORE_CREATE)) {
            hz_fail(HZ_ENOTFOUND, err, errlen, "%s: not a hazmap database (no incidents table)",
                    path);
            store_close(st);
            return NULL;
        }
        if (create_schema(st, err, errlen) != HZ_OK) {
            store_close(st);
            return NULL;
        }
    }
    int version = 0;
    if (schema_version(st, &version) != HZ_OK) {
        db_fail(st, err, errlen, "reading the schema version");
        store_close(st);
        return NULL;
    }
    if (version > STORE_SCHEMA_VERSION) {
        hz_fail(HZ_EINVAL, err, errlen,
                "%s: schema version %d is newer than this hazmap's %d: use a newer hazmap", path,
                version, STORE_SCHEMA_VERSION);
        store_close(st);
        return NULL;
    }
    if (version < STORE_SCHEMA_VERSION && (flags & STORE_READONLY)) {
        /* migrate through a read-write connection, then open read-only as asked */
        store_close(st);
        store *rw = store_open(path, 0, err, errlen);
        if (!rw) return NULL;
        store_close(rw);
        return store_open(path, flags, err, errlen);
    }
    if (version < STORE_SCHEMA_VERSION && migrate(st, version, err, errlen) != HZ_OK) {
        store_close(st);
        return NULL;
    }
    if (!(flags & STORE_READONLY)) ensure_data_id(st);
    /* Like the data identity: a file that cannot be written to (write-protected, a full disk)
     * stays usable without road tables, which read as no roads; an import into it fails then. */
    if (!(flags & STORE_READONLY)) store_roads_ensure(st, NULL, 0);
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                               NULL) != SQLITE_OK) {
            db_fail(st, err, errlen, "preparing statements");
            store_close(st);
            return NULL;
        }
    }
    return st;
}

void store_close(store *st)
{
    if (!st) return;
    pg_close(st->pg);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    if (st->db) {
        if (st->in_tx) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close_v2(st->db);
    }
    if (st->splite) spatialite_cleanup_ex(st->splite);
    free(st->path);
    free(st);
}

hz_status store_last_status(store *st)
{
    if (st->pg) return pg_last_status(st->pg);
    return store_sqlite_status(st->db);
}

const char *store_backend_name(const store *st)
{
    return st->pg ? "postgis" : "spatialite";
}

const char *store_path(const store *st)
{
    if (st->pg) return pg_name(st->pg);
    return st->path;
}

hz_status store_begin(store *st, char *err, size_t errlen)
{
    if (st->pg) return pg_begin(st->pg, err, errlen);
    assert(!st->in_tx);
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(st, err, errlen, "begin");
    st->in_tx = 1;
    st->tx_changes0 = sqlite3_total_changes64(st->db);
    return HZ_OK;
}

/* Invariant 5. randomblob() draws on SQLite's ChaCha20 generator, seeded from the system's. */
static const char *const bump_sql =
    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='data_version';"
    "INSERT OR REPLACE INTO meta(key,value) VALUES('data_id',lower(hex(randomblob(16))))";

hz_status store_commit(store *st, char *err, size_t errlen)
{
    if (st->pg) return pg_commit(st->pg, err, errlen);
    assert(st->in_tx);
    /* total_changes counts every row inserted, updated or deleted, triggers' included */
    int changed = sqlite3_total_changes64(st->db) != st->tx_changes0;
    if ((changed && sqlite3_exec(st->db, bump_sql, NULL, NULL, NULL) != SQLITE_OK) ||
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        hz_status s = db_fail(st, err, errlen, "commit");
        store_rollback(st);
        return s;
    }
    st->in_tx = 0;
    return HZ_OK;
}

void store_rollback(store *st)
{
    if (st->pg) {
        pg_rollback(st->pg);
        return;
    }
    if (!st->in_tx) return;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->in_tx = 0;
}

static hz_status single_int(store *st, const char *sql, int64_t *out)
{
    sqlite3_stmt *s;
    hz_status rc = HZ_EDB;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) return HZ_EDB;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = HZ_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

hz_status store_data_version(store *st, int64_t *version)
{
    if (st->pg) return pg_data_version(st->pg, version);
    return single_int(st, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='data_version'",
                      version);
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* PRAGMA data_version reads the WAL index (shared memory) and nothing of the file's pages: a
 * poll costs microseconds, so a replica may do it ten times a second. */
hz_status store_wait_change(store *st, int64_t known_version, int timeout_ms, int64_t *version)
{
    if (st->pg) return pg_wait_change(st->pg, known_version, timeout_ms, version);
    assert(!st->in_tx); /* a transaction would pin the version it started at */
    int64_t until = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    *version = known_version;
    for (;;) {
        int64_t pv = 0;
        hz_status s = single_int(st, "PRAGMA data_version", &pv);
        if (s != HZ_OK) return s;
        if (!st->watch_init || pv != st->watch_pv) {
            int first = !st->watch_init;
            st->watch_pv = pv;
            st->watch_init = 1;
            int64_t v = 0;
            if ((s = store_data_version(st, &v)) != HZ_OK) return s;
            *version = v;
            if (v != known_version || !first) return HZ_OK;
        }
        int64_t left = until - mono_ms();
        if (left <= 0) return HZ_ELIMIT;
        int64_t ms = left < STORE_WATCH_POLL_MS ? left : STORE_WATCH_POLL_MS;
        struct timespec d = {.tv_sec = (time_t)(ms / 1000),
                             .tv_nsec = (long)(ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
}

hz_status store_data_id(store *st, char *id, size_t idlen)
{
    if (st->pg) return pg_data_id(st->pg, id, idlen);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key='data_id'", -1, &s, NULL) !=
        SQLITE_OK)
        return HZ_EDB;
    int rc = sqlite3_step(s);
    const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
    hz_status res = rc == SQLITE_ROW || rc == SQLITE_DONE ? HZ_OK : HZ_EDB;
    if (res == HZ_OK && (!v || strlen(v) != STORE_DATA_ID_SIZE - 1)) res = HZ_ENOTFOUND;
    if (res == HZ_OK && idlen < STORE_DATA_ID_SIZE) res = HZ_EINVAL;
    if (res == HZ_OK) memcpy(id, v, STORE_DATA_ID_SIZE);
    sqlite3_finalize(s);
    return res;
}

hz_status store_counts(store *st, int64_t *areas, int64_t *incidents)
{
    if (st->pg) return pg_counts(st->pg, areas, incidents);
    hz_status s = single_int(st, "SELECT count(*) FROM areas", areas);
    if (s == HZ_OK) s = single_int(st, "SELECT count(*) FROM incidents", incidents);
    return s;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bind_int_or_null(sqlite3_stmt *s, int i, int v, int null_value)
{
    if (v == null_value)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int(s, i, v);
}

hz_status store_area_put(store *st, const hz_area_rec *a, char *err, size_t errlen)
{
    if (st->pg) return pg_area_put(st->pg, a, err, errlen);
    sqlite3_stmt *s = st->stmt[ST_AREA_PUT];
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    sqlite3_bind_text(s, 1, a->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->name, -1, SQLITE_STATIC);
    bind_text_or_null(s, 3, a->name_en);
    sqlite3_bind_text(s, 4, a->level, -1, SQLITE_STATIC);
    bind_text_or_null(s, 5, a->parent_code);
    if (a->population >= 0)
        sqlite3_bind_int64(s, 6, a->population);
    else
        sqlite3_bind_null(s, 6);
    sqlite3_bind_blob(s, 7, a->wkb, (int)a->wkb_len, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return db_fail(st, err, errlen, "storing area");
    return HZ_OK;
}

hz_status store_areas_scan(store *st, store_area_cb cb, void *ud, char *err, size_t errlen)
{
    if (st->pg) return pg_areas_scan(st->pg, cb, ud, err, errlen);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT code,name,name_en,level,parent_code,population,AsBinary(geom)"
                           " FROM areas ORDER BY code",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(st, err, errlen, "reading areas");
    int rc;
    store_arm_timeout(st);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hz_area_rec a = {
            .code = (const char *)sqlite3_column_text(s, 0),
            .name = (const char *)sqlite3_column_text(s, 1),
            .name_en = (const char *)sqlite3_column_text(s, 2),
            .level = (const char *)sqlite3_column_text(s, 3),
            .parent_code = (const char *)sqlite3_column_text(s, 4),
            .population =
                sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 5),
            .wkb = sqlite3_column_blob(s, 6),
            .wkb_len = (size_t)sqlite3_column_bytes(s, 6),
        };
        if (cb(ud, &a)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    hz_status res = rc == SQLITE_DONE ? HZ_OK : db_fail(st, err, errlen, "reading areas");
    sqlite3_finalize(s);
    return res;
}

/* FNV-1a, 64 bit (Fowler, Noll, Vo). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    if (!s) return fnv(h, "\xff", 1);
    return fnv(h, s, strlen(s) + 1);
}

/* store.c invariant 3; store_bind_incident() and the PostGIS writes (store_pg.h) call it. */
int64_t store_incident_hash(const hz_incident_rec *r)
{
    uint64_t h = 14695981039346656037ULL;
    int ints[13] = {r->mechanism, r->place,  r->intent,     r->severity, r->sex,
                    r->victims,   r->age,    r->disability, 0,           r->activity,
                    r->outcome,   r->nature, r->body_part};
    h = fnv_str(h, r->occurred_at);
    h = fnv(h, &r->t, sizeof r->t);
    h = fnv(h, ints, sizeof ints);
    h = fnv_str(h, r->description);
    h = fnv_str(h, r->area_code);
    h = fnv_str(h, r->extra);
    /* one NaN for "no point", whatever bits the caller's NaN had */
    double lon = hz_rec_has_point(r) ? r->lon : NAN, lat = hz_rec_has_point(r) ? r->lat : NAN;
    h = fnv(h, &lon, sizeof lon);
    h = fnv(h, &lat, sizeof lat);
    return (int64_t)h;
}

int64_t store_bind_incident(sqlite3_stmt *s, int base, const hz_incident_rec *r)
{
    assert(sqlite3_bind_parameter_count(s) >= base + STORE_INC_NPARAMS);
    int64_t hash = store_incident_hash(r);
    sqlite3_bind_text(s, base + 1, r->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, base + 2, r->source_id, -1, SQLITE_STATIC);
    bind_text_or_null(s, base + 3, r->occurred_at);
    if (r->t == INT64_MIN)
        sqlite3_bind_null(s, base + 4);
    else
        sqlite3_bind_int64(s, base + 4, r->t);
    bind_text_or_null(s, base + 5, vocab_name(HZ_VOCAB_MECHANISM, r->mechanism));
    bind_text_or_null(s, base + 6, vocab_name(HZ_VOCAB_PLACE, r->place));
    bind_text_or_null(s, base + 7, vocab_name(HZ_VOCAB_INTENT, r->intent));
    bind_text_or_null(s, base + 8, vocab_name(HZ_VOCAB_SEVERITY, r->severity));
    bind_int_or_null(s, base + 9, r->victims, -1);
    bind_int_or_null(s, base + 10, r->age, -1);
    bind_text_or_null(s, base + 11, vocab_name(HZ_VOCAB_SEX, r->sex));
    bind_int_or_null(s, base + 12, r->disability, -1);
    bind_text_or_null(s, base + 13, r->description);
    bind_text_or_null(s, base + 14, r->area_code);
    bind_text_or_null(s, base + 15, r->extra);
    if (hz_rec_has_point(r)) {
        sqlite3_bind_double(s, base + 16, r->lon);
        sqlite3_bind_double(s, base + 17, r->lat);
    } else { /* no point: NULL lon, lat and (MakePoint(NULL, NULL)) geometry */
        sqlite3_bind_null(s, base + 16);
        sqlite3_bind_null(s, base + 17);
    }
    sqlite3_bind_int64(s, base + 18, hash);
    bind_text_or_null(s, base + 19, vocab_name(HZ_VOCAB_ACTIVITY, r->activity));
    bind_text_or_null(s, base + 20, vocab_name(HZ_VOCAB_OUTCOME, r->outcome));
    bind_text_or_null(s, base + 21, vocab_name(HZ_VOCAB_NATURE, r->nature));
    bind_text_or_null(s, base + 22, vocab_name(HZ_VOCAB_BODY_PART, r->body_part));
    return hash;
}

int store_sqlite_unbatched(sqlite3 *db)
{
    return sqlite3_exec(db,
                        "INSERT OR REPLACE INTO meta SELECT 'reload_horizon',value FROM meta"
                        " WHERE key='data_version'",
                        NULL, NULL, NULL);
}

hz_status store_incident_put(store *st, const hz_incident_rec *r, store_put_outcome *outcome,
                             char *err, size_t errlen)
{
    if (st->pg) return pg_incident_put(st->pg, r, 0, outcome, err, errlen);
    sqlite3_stmt *ins = st->stmt[ST_INC_INSERT];
    sqlite3_reset(ins);
    int64_t hash = store_bind_incident(ins, 0, r); /* the hash, and the insert if it is new */
    sqlite3_stmt *f = st->stmt[ST_INC_FIND];
    sqlite3_reset(f);
    sqlite3_bind_text(f, 1, r->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(f, 2, r->source_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(f);
    if (rc == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(f, 0), old = sqlite3_column_int64(f, 1);
        sqlite3_reset(f);
        sqlite3_clear_bindings(ins);
        if (old == hash) {
            *outcome = STORE_PUT_UNCHANGED;
            return HZ_OK;
        }
        sqlite3_stmt *u = st->stmt[ST_INC_UPDATE];
        sqlite3_reset(u);
        store_bind_incident(u, 0, r);
        sqlite3_bind_int64(u, STORE_INC_NPARAMS + 1, id);
        rc = sqlite3_step(u);
        sqlite3_reset(u);
        if (rc != SQLITE_DONE) return db_fail(st, err, errlen, "replacing incident");
        if (store_sqlite_unbatched(st->db) != SQLITE_OK)
            return db_fail(st, err, errlen, "replacing incident");
        *outcome = STORE_PUT_REPLACED;
        return HZ_OK;
    }
    sqlite3_reset(f);
    if (rc != SQLITE_DONE) {
        sqlite3_clear_bindings(ins);
        return db_fail(st, err, errlen, "looking up incident");
    }
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE) return db_fail(st, err, errlen, "inserting incident");
    *outcome = STORE_PUT_INSERTED;
    return HZ_OK;
}

static int vocab_col(sqlite3_stmt *s, int col, hz_vocab voc)
{
    int v = 0;
    const char *name = (const char *)sqlite3_column_text(s, col);
    if (name) vocab_parse(voc, name, &v);
    return v;
}

static int int_col(sqlite3_stmt *s, int col, int null_value)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? null_value : sqlite3_column_int(s, col);
}

/* Reads a row of ST_INC_GET's column layout. */
static void read_incident(sqlite3_stmt *s, hz_incident_rec *r)
{
    r->id = sqlite3_column_int64(s, 0);
    r->source = (const char *)sqlite3_column_text(s, 1);
    r->source_id = (const char *)sqlite3_column_text(s, 2);
    r->occurred_at = (const char *)sqlite3_column_text(s, 3);
    r->t = sqlite3_column_type(s, 4) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(s, 4);
    r->mechanism = vocab_col(s, 5, HZ_VOCAB_MECHANISM);
    r->place = vocab_col(s, 6, HZ_VOCAB_PLACE);
    r->intent = vocab_col(s, 7, HZ_VOCAB_INTENT);
    r->severity = vocab_col(s, 8, HZ_VOCAB_SEVERITY);
    r->victims = int_col(s, 9, -1);
    r->age = int_col(s, 10, -1);
    r->sex = vocab_col(s, 11, HZ_VOCAB_SEX);
    r->disability = int_col(s, 12, -1);
    r->description = (const char *)sqlite3_column_text(s, 13);
    r->area_code = (const char *)sqlite3_column_text(s, 14);
    r->extra = (const char *)sqlite3_column_text(s, 15);
    int nopoint = sqlite3_column_type(s, 16) == SQLITE_NULL;
    r->lon = nopoint ? NAN : sqlite3_column_double(s, 16);
    r->lat = nopoint ? NAN : sqlite3_column_double(s, 17);
    r->activity = vocab_col(s, 18, HZ_VOCAB_ACTIVITY);
    r->outcome = vocab_col(s, 19, HZ_VOCAB_OUTCOME);
    r->nature = vocab_col(s, 20, HZ_VOCAB_NATURE);
    r->body_part = vocab_col(s, 21, HZ_VOCAB_BODY_PART);
}

/* The snapshot scan's columns (ST_INC_GET's layout, the fields of an analysis only). */
#define STORE_SCAN_SELECT                                                                          \
    "SELECT id,NULL,NULL,NULL,t,mechanism,place,intent,"                                           \
    "severity,victims,age,sex,disability,NULL,area_code,NULL,lon,lat,"                             \
    "activity,outcome,nature,body_part FROM incidents"

/* Steps s (prepared and bound), calling cb with each row; finalizes s. */
static hz_status scan_rows(store *st, sqlite3_stmt *s, store_incident_cb cb, void *ud, char *err,
                           size_t errlen)
{
    int rc;
    store_arm_timeout(st);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hz_incident_rec r;
        read_incident(s, &r);
        if (cb(ud, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    hz_status res = rc == SQLITE_DONE ? HZ_OK : db_fail(st, err, errlen, "reading incidents");
    sqlite3_finalize(s);
    return res;
}

hz_status store_incidents_scan(store *st, store_incident_cb cb, void *ud, char *err, size_t errlen)
{
    if (st->pg) return pg_incidents_scan(st->pg, cb, ud, err, errlen);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, STORE_SCAN_SELECT " ORDER BY id", -1, &s, NULL) != SQLITE_OK)
        return db_fail(st, err, errlen, "reading incidents");
    return scan_rows(st, s, cb, ud, err, errlen);
}

hz_status store_incidents_scan_since(store *st, int64_t after_id, int64_t after_batch,
                                     store_incident_cb cb, void *ud, char *err, size_t errlen)
{
    if (st->pg) return pg_incidents_scan_since(st->pg, after_id, after_batch, cb, ud, err, errlen);
    sqlite3_stmt *s;
    /* Without a batch after after_batch, only new ids: a range of the primary key. */
    const char *sql = after_batch == INT64_MAX ? STORE_SCAN_SELECT " WHERE id>?1 ORDER BY id"
                                               : STORE_SCAN_SELECT
                          " WHERE id>?1 OR batch_id>?2 ORDER BY id";
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(st, err, errlen, "reading incidents");
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, after_batch);
    return scan_rows(st, s, cb, ud, err, errlen);
}

hz_status store_incident_marks(store *st, int counts, store_marks *m, char *err, size_t errlen)
{
    if (st->pg) return pg_incident_marks(st->pg, counts, m, err, errlen);
    m->count = m->max_id = 0;
    hz_status s = counts ? single_int(st, "SELECT count(*) FROM incidents", &m->count) : HZ_OK;
    if (s == HZ_OK && counts)
        s = single_int(st, "SELECT coalesce(max(id),0) FROM incidents", &m->max_id);
    if (s == HZ_OK)
        s = single_int(st, "SELECT coalesce(max(id),0) FROM import_batches", &m->max_batch);
    if (s == HZ_OK)
        s = single_int(st,
                       "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta"
                       " WHERE key='reload_horizon'),0)",
                       &m->horizon);
    return s == HZ_OK ? HZ_OK : db_fail(st, err, errlen, "reading the incidents' marks");
}

hz_status store_incidents_get(store *st, const int64_t *ids, size_t n, store_incident_cb cb,
                              void *ud, char *err, size_t errlen)
{
    if (st->pg) return pg_incidents_get(st->pg, ids, n, cb, ud, err, errlen);
    sqlite3_stmt *s = st->stmt[ST_INC_GET];
    store_arm_timeout(st);
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, ids[i]);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            hz_incident_rec r;
            read_incident(s, &r);
            if (cb(ud, &r)) break;
        } else if (rc != SQLITE_DONE) {
            hz_status res = db_fail(st, err, errlen, "reading incident");
            sqlite3_reset(s);
            return res;
        }
    }
    sqlite3_reset(s);
    return HZ_OK;
}

/* Invariant 1: the rows the last statement wrote were bookkeeping, not data. */
static void bookkeeping_done(store *st)
{
    if (st->in_tx) st->tx_changes0 += sqlite3_changes64(st->db);
}

hz_status store_batch_begin(store *st, const char *kind, const char *file, int64_t *batch_id,
                            char *err, size_t errlen)
{
    if (st->pg) return pg_batch_begin(st->pg, kind, file, batch_id, err, errlen);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO import_batches(kind,file,started_at)"
                           " VALUES(?,?,strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(st, err, errlen, "recording import");
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, file, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) bookkeeping_done(st);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return db_fail(st, err, errlen, "recording import");
    *batch_id = sqlite3_last_insert_rowid(st->db);
    return HZ_OK;
}

hz_status store_reject_add(store *st, int64_t batch_id, int64_t line, const char *raw,
                           const char *reason, char *err, size_t errlen)
{
    if (st->pg) return pg_reject_add(st->pg, batch_id, line, raw, reason, err, errlen);
    sqlite3_stmt *s = st->stmt[ST_REJECT];
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, batch_id);
    sqlite3_bind_int64(s, 2, line);
    bind_text_or_null(s, 3, raw);
    sqlite3_bind_text(s, 4, reason, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) bookkeeping_done(st);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return db_fail(st, err, errlen, "recording rejected row");
    return HZ_OK;
}

hz_status store_batch_finish(store *st, int64_t batch_id, const char *summary_json, char *err,
                             size_t errlen)
{
    if (st->pg) return pg_batch_finish(st->pg, batch_id, summary_json, err, errlen);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE import_batches SET summary=?,"
                           " finished_at=strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id=?",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(st, err, errlen, "recording import summary");
    sqlite3_bind_text(s, 1, summary_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, batch_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) bookkeeping_done(st);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return db_fail(st, err, errlen, "recording import summary");
    return HZ_OK;
}

/* ---- schema migrations ---- */

static hz_status schema_version(store *st, int *v)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema_version'", -1,
                           &s, NULL) != SQLITE_OK)
        return HZ_EDB;
    int rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 1;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? HZ_OK : HZ_EDB;
}

/* Schema 1 -> 2 (issue 11): mechanism and intent become separate axes. Every row's mechanism word
 * is read as vocab_mechanism_legacy() says (traffic -> traffic_other, violence -> unspecified
 * with intent assault, ...), its intent joined with the one the word implies by
 * vocab_merge_intent() (a contradiction keeps the word's intent: what mechanism=violence selected
 * before), and its content hash recomputed (invariant 3: the hash covers the vocabulary values,
 * so a re-import of the same file after the migration finds its rows unchanged). The four new
 * columns (activity .. body_part) are schema.c's, added by migrate_step() just before. */
static hz_status migrate_1_2(store *st, char *err, size_t errlen)
{
    sqlite3_stmt *sel = NULL, *upd = NULL;
    hz_status res = HZ_OK;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id,source,source_id,occurred_at,t,mechanism,place,intent,"
                           "severity,victims,age,sex,disability,description,area_code,extra,lon,"
                           "lat,activity,outcome,nature,body_part FROM incidents ORDER BY id",
                           -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            st->db, "UPDATE incidents SET mechanism=?1,intent=?2,content_hash=?3 WHERE id=?4", -1,
            &upd, NULL) != SQLITE_OK) {
        res = db_fail(st, err, errlen, "migrating to schema 2");
        goto out;
    }
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        hz_incident_rec r;
        read_incident(sel, &r);
        int mech = 0, implied = 0;
        const char *word = (const char *)sqlite3_column_text(sel, 5);
        if (word && vocab_mechanism_legacy(word, &mech, &implied) == 0) r.mechanism = mech;
        vocab_merge_intent(implied, r.intent, &r.intent);
        sqlite3_reset(upd);
        bind_text_or_null(upd, 1, vocab_name(HZ_VOCAB_MECHANISM, r.mechanism));
        bind_text_or_null(upd, 2, vocab_name(HZ_VOCAB_INTENT, r.intent));
        sqlite3_bind_int64(upd, 3, store_incident_hash(&r));
        sqlite3_bind_int64(upd, 4, r.id);
        if (sqlite3_step(upd) != SQLITE_DONE) break;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        res = db_fail(st, err, errlen, "migrating to schema 2 (reading)");
    } else if (rc == SQLITE_ROW) {
        res = db_fail(st, err, errlen, "migrating to schema 2 (writing)");
    }
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return res;
}

/* Schema 2 -> 3 (issue 11): an incident may have no point (known only by its area), so
 * incidents.lon, lat and geom lose their NOT NULL. SQLite cannot drop a NOT NULL with ALTER
 * TABLE; removing one changes nothing on disk, so the table's CREATE text is edited in place, the
 * procedure the SQLite documentation gives for it ("ALTER TABLE", section "Making Other Kinds Of
 * Table Schema Changes": writable_schema, then the schema cookie bumped so every connection
 * re-reads it). No row is copied or rewritten; the triggers and the R*Tree stay as they are (a
 * NULL geometry passes GeometryConstraints() and gets no R*Tree entry). The edit is checked: the
 * text must contain the three constraints exactly as schema 1 and 2 wrote them. Its own function
 * so that the numbering can move (another migration may take number 3). */
static hz_status migrate_2_3(store *st, char *err, size_t errlen)
{
    static const char *const edit = "UPDATE sqlite_master SET sql=replace(replace(sql,"
                                    "'lon REAL NOT NULL, lat REAL NOT NULL','lon REAL, lat REAL'),"
                                    "'\"geom\" POINT NOT NULL DEFAULT ''''','\"geom\" POINT')"
                                    " WHERE type='table' AND name='incidents'"
                                    " AND instr(sql,'lon REAL NOT NULL, lat REAL NOT NULL') > 0"
                                    " AND instr(sql,'\"geom\" POINT NOT NULL DEFAULT ''''') > 0";
    sqlite3_stmt *v = NULL;
    if (sqlite3_prepare_v2(st->db, "PRAGMA schema_version", -1, &v, NULL) != SQLITE_OK ||
        sqlite3_step(v) != SQLITE_ROW) {
        sqlite3_finalize(v);
        return db_fail(st, err, errlen, "migrating to schema 3 (reading the schema cookie)");
    }
    int cookie = sqlite3_column_int(v, 0);
    sqlite3_finalize(v);
    if (sqlite3_exec(st->db, "PRAGMA writable_schema=ON", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(st, err, errlen, "migrating to schema 3 (writable_schema)");
    int rc = sqlite3_exec(st->db, edit, NULL, NULL, NULL);
    int changed = sqlite3_changes(st->db);
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA schema_version=%d", cookie + 1);
    if (rc == SQLITE_OK && changed == 1) rc = sqlite3_exec(st->db, bump, NULL, NULL, NULL);
    sqlite3_exec(st->db, "PRAGMA writable_schema=RESET", NULL, NULL, NULL);
    if (rc != SQLITE_OK) return db_fail(st, err, errlen, "migrating to schema 3");
    if (changed != 1)
        return hz_fail(HZ_EDB, err, errlen,
                       "%s: migrating to schema 3: the incidents table is not as schema 2 made "
                       "it (NOT NULL lon, lat and geom not found)",
                       st->path);
    return HZ_OK;
}

/* One step of migrate(), version to-1 -> to: schema.c's DDL of it (the tables, columns and indexes
 * it adds; 1 -> 2 the WHO ICECI columns, 3 -> 4 the projects registry), then its C hook. */
static hz_status migrate_step(store *st, int to, char *err, size_t errlen)
{
    schema_hook hook;
    char *ddl = schema_migrate_sql(SCHEMA_SQLITE, SCHEMA_CORE, to, &hook);
    if (!ddl) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    char *msg = NULL;
    if (sqlite3_exec(st->db, ddl, NULL, NULL, &msg) != SQLITE_OK) {
        hz_status s = store_sqlite_status(st->db);
        hz_fail(s, err, errlen, "%s: migrating to schema %d: %s", st->path, to, msg ? msg : "?");
        sqlite3_free(msg);
        free(ddl);
        return s;
    }
    free(ddl);
    switch (hook) {
    case SCHEMA_HOOK_VOCAB_2:
        return migrate_1_2(st, err, errlen);
    case SCHEMA_HOOK_NULL_POINT_3:
        return migrate_2_3(st, err, errlen);
    case SCHEMA_HOOK_NONE:
        break;
    }
    return HZ_OK;
}

/* Brings a schema of version from up to STORE_SCHEMA_VERSION in one transaction; the rows it
 * changes renew the data version and identity (store_commit()), so no cache survives it. */
static hz_status migrate(store *st, int from, char *err, size_t errlen)
{
    hz_status s = store_begin(st, err, errlen);
    if (s != HZ_OK) return s;
    /* another process may have migrated while this one waited for the write lock */
    if (schema_version(st, &from) != HZ_OK)
        s = db_fail(st, err, errlen, "reading the schema version");
    if (s == HZ_OK && from >= STORE_SCHEMA_VERSION) {
        store_rollback(st);
        return HZ_OK;
    }
    for (int v = from + 1; s == HZ_OK && v <= STORE_SCHEMA_VERSION; v++)
        s = migrate_step(st, v, err, errlen);
    char set[96];
    snprintf(set, sizeof set, "UPDATE meta SET value='%d' WHERE key='schema_version'",
             (int)STORE_SCHEMA_VERSION);
    if (s == HZ_OK && sqlite3_exec(st->db, set, NULL, NULL, NULL) != SQLITE_OK)
        s = db_fail(st, err, errlen, "migrating: recording the schema version");
    if (s != HZ_OK) {
        store_rollback(st);
        return s;
    }
    return store_commit(st, err, errlen);
}

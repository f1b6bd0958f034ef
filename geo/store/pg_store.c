/* pg_store.c - the PostGIS implementation of the store (store_pg.h): connection, schema,
 * transactions, data version, areas, incidents, import bookkeeping and tokens, on libpq.
 *
 * Invariants (store.c's, on PostgreSQL):
 *  1. meta.data_version only grows, by one per committed write transaction that changed a row:
 *     every write of data calls pg_dirty(), the bookkeeping (import_batches, import_rejects) does
 *     not, and pg_commit() bumps the version and renews meta.data_id only when dirty.
 *  2. incidents.lon/lat equal ST_X/ST_Y of incidents.geom (one statement writes both).
 *  3. incidents.content_hash is store_incident_hash() of the row, as SpatiaLite's.
 *  4. in_tx is 1 exactly between a successful pg_begin() and pg_commit()/pg_rollback(); in_read
 *     likewise for pg_read_begin()/pg_read_end(); never both.
 *  5. writers are serialised: pg_begin() takes the transaction-level advisory lock PG_WRITE_LOCK,
 *     as SQLite's BEGIN IMMEDIATE takes the write lock, so find-then-insert cannot race and
 *     versions are bumped one commit at a time. A commit that bumps also sends
 *     NOTIFY hazmap_data_version (the new version), for replicas (issue 14, item 2).
 *  6. store.c's invariant 6: a row replaced outside an import batch (batch_id 0) sets
 *     meta.reload_horizon (pg_unbatched()); import_batches ids are drawn under PG_WRITE_LOCK,
 *     so they grow in commit order, as store_marks needs.
 *
 * The schema is schema.c's, the description both backends render theirs from; the PostGIS side
 * creates every table group at once (geometry(MultiPolygon|Point|LineString, 4326) with GiST
 * indexes). A new schema version is a change there; pg_migrate() runs its steps.
 *
 * Schema 3 (SURVEILLANCE.md, "records with an area but no point"): incidents.lon, lat and geom
 * are NULL together for a record known only by its area (NaN lon/lat in hz_incident_rec, see
 * hz_rec_has_point()): inc_bind() and pg_bulk.c's copy_row() send NULL, PG_INC_POINT and the
 * bulk's ST_MakePoint() then give NULL, and every reader maps NULL to NaN. */
#include "hazmap/vocab.h"
#include "schema.h"
#include "store_pg.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define PG_WRITE_LOCK "7526411283028010000" /* pg_advisory_xact_lock key of the writers */

/* The incident columns in store_sqlite.h's STORE_INC_COLS order ($1 .. $22), then $23 batch. */
#define PG_INC_COLS                                                                                \
    "source,source_id,occurred_at,t,mechanism,place,intent,severity,victims,age,sex,disability,"   \
    "description,area_code,extra,lon,lat,content_hash,activity,outcome,nature,body_part"
#define PG_INC_POINT "ST_SetSRID(ST_MakePoint($16,$17),4326)"
#define PG_INC_GET_COLS                                                                            \
    "id,source,source_id,occurred_at,t,mechanism,place,intent,severity,victims,age,sex,"           \
    "disability,description,area_code,extra,lon,lat,activity,outcome,nature,body_part"

static const struct {
    const char *name, *sql;
} prepared[] = {
    {"area_put",
     "INSERT INTO areas(code,name,name_en,level,parent_code,population,geom)"
     " VALUES($1,$2,$3,$4,$5,$6,ST_Multi(ST_GeomFromWKB($7,4326)))"
     " ON CONFLICT(code) DO UPDATE SET name=EXCLUDED.name,name_en=EXCLUDED.name_en,"
     "level=EXCLUDED.level,parent_code=EXCLUDED.parent_code,population=EXCLUDED.population,"
     "geom=EXCLUDED.geom"},
    {"inc_find", "SELECT id, content_hash FROM incidents WHERE source=$1 AND source_id=$2"},
    {"inc_ins",
     "INSERT INTO incidents(" PG_INC_COLS ",batch_id,geom) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,"
     "$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23," PG_INC_POINT ")"},
    {"inc_upd",
     "UPDATE incidents SET source=$1,source_id=$2,occurred_at=$3,t=$4,mechanism=$5,place=$6,"
     "intent=$7,severity=$8,victims=$9,age=$10,sex=$11,disability=$12,description=$13,"
     "area_code=$14,extra=$15,lon=$16,lat=$17,content_hash=$18,activity=$19,outcome=$20,"
     "nature=$21,body_part=$22,batch_id=COALESCE($23::bigint,batch_id),geom=" PG_INC_POINT
     " WHERE id=$24"},
    {"inc_get", "SELECT " PG_INC_GET_COLS " FROM incidents WHERE id=$1"},
    {"reject", "INSERT INTO import_rejects(batch_id,line,raw,reason) VALUES($1,$2,$3,$4)"},
};
enum { NPREPARED = sizeof prepared / sizeof prepared[0] };

struct pgstore {
    PGconn *conn;
    char *name; /* the conninfo without a password, for messages */
    int in_tx, in_read, dirty;
    hz_status last;
    int flags; /* pg_open()'s, and the statement timeout: what pg_reconnect() restores */
    int timeout_ms;
    pg_watch *watch; /* pg_watch.c's state, owned; NULL until store_wait_change() */
};

int store_pg_target(const char *t)
{
    if (strncmp(t, "postgresql://", 13) == 0 || strncmp(t, "postgres://", 11) == 0) return 1;
    /* a conninfo: key=value pairs, one of them dbname= or host= */
    return strchr(t, '/') != t && (strncmp(t, "dbname=", 7) == 0 || strncmp(t, "host=", 5) == 0 ||
                                   strstr(t, " dbname=") || strstr(t, " host="));
}

hz_status pg_unsupported(const char *what, char *err, size_t errlen)
{
    return hz_fail(HZ_EUNSUPPORTED, err, errlen, "%s: not supported on PostGIS yet", what);
}

/* The conninfo with the password of a URI (user:PASSWORD@) or of password=... blanked. */
static char *redact(const char *c)
{
    char *s = strdup(c);
    if (!s) return NULL;
    char *p = strstr(s, "://");
    if (p) {
        char *at = strchr(p + 3, '@'), *colon = strchr(p + 3, ':');
        if (at && colon && colon < at) memmove(colon, at, strlen(at) + 1);
    }
    for (char *q = strstr(s, "password="); q; q = strstr(q + 1, "password=")) {
        char *v = q + 9;
        while (*v && *v != ' ' && *v != '&')
            *v++ = '*';
    }
    return s;
}

/* Fails with the server's message; res (may be NULL) is cleared. SQLSTATE 57014 (a statement
 * timeout) is HZ_ELIMIT, class 53 (disk full, out of memory) HZ_ENOSPC. */
static hz_status pfail(pgstore *pg, PGresult *res, char *err, size_t errlen, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    hz_status s = HZ_EDB;
    if (state && strcmp(state, "57014") == 0) s = HZ_ELIMIT;
    if (state && strcmp(state, "53100") == 0) s = HZ_ENOSPC;
    const char *msg = res ? PQresultErrorMessage(res) : "";
    if (!msg[0]) msg = PQerrorMessage(pg->conn);
    int len = (int)strcspn(msg, "\n");
    pg->last = s;
    hz_fail(s, err, errlen, "%s: %s: %s%.*s", pg->name, what,
            s == HZ_ELIMIT ? "query time limit reached: " : "", len, msg);
    PQclear(res);
    return s;
}

static int res_ok(const PGresult *r)
{
    ExecStatusType t = PQresultStatus(r);
    return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* Runs sql (no parameters); HZ_OK or the failure. */
static hz_status exec(pgstore *pg, const char *sql, char *err, size_t errlen, const char *what)
{
    PGresult *r = PQexec(pg->conn, sql);
    if (!res_ok(r)) return pfail(pg, r, err, errlen, what);
    PQclear(r);
    return HZ_OK;
}

/* Runs the prepared statement name, or sql when name is NULL, with text parameters. The result
 * is the caller's to clear; NULL after a failure (reported). */
static PGresult *run(pgstore *pg, const char *name, const char *sql, int n, const char *const *vals,
                     char *err, size_t errlen, const char *what)
{
    PGresult *r = name ? PQexecPrepared(pg->conn, name, n, vals, NULL, NULL, 0)
                       : PQexecParams(pg->conn, sql, n, NULL, vals, NULL, NULL, 0);
    if (!res_ok(r)) {
        pfail(pg, r, err, errlen, what);
        return NULL;
    }
    return r;
}

PGconn *pg_conn(pgstore *pg)
{
    return pg->conn;
}

PGresult *pg_query(pgstore *pg, const char *sql, int n, const char *const *vals, char *err,
                   size_t errlen, const char *what)
{
    return run(pg, NULL, sql, n, vals, err, errlen, what);
}

hz_status pg_fail(pgstore *pg, PGresult *res, char *err, size_t errlen, const char *what)
{
    return pfail(pg, res, err, errlen, what);
}

int pg_in_tx(const pgstore *pg)
{
    return pg->in_tx;
}

static int64_t col_i64(const PGresult *r, int row, int col, int64_t null_value)
{
    return PQgetisnull(r, row, col) ? null_value : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static const char *col_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* ---- connection and schema ---- */

static hz_status schema_version(pgstore *pg, int *v, char *err, size_t errlen)
{
    PGresult *r = run(pg, NULL, "SELECT value FROM meta WHERE key='schema_version'", 0, NULL, err,
                      errlen, "reading the schema version");
    if (!r) return pg->last;
    *v = PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : 1;
    PQclear(r);
    return HZ_OK;
}

/* Runs ddl (schema.c's text: NULL when it ran out of memory) and frees it. */
static hz_status exec_ddl(pgstore *pg, char *ddl, char *err, size_t errlen, const char *what)
{
    if (!ddl) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    hz_status s = exec(pg, ddl, err, errlen, what);
    free(ddl);
    return s;
}

/* Creates the schema unless another connection did while this one waited for the lock. */
static hz_status create_schema(pgstore *pg, char *err, size_t errlen)
{
    hz_status s = exec(pg, "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")", err, errlen,
                       "creating schema");
    if (s != HZ_OK) return s;
    PGresult *r = run(pg, NULL, "SELECT to_regclass('meta') IS NOT NULL", 0, NULL, err, errlen,
                      "creating schema");
    int exists = r && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!r) s = pg->last;
    if (s == HZ_OK && !exists)
        s = exec(pg, "CREATE EXTENSION IF NOT EXISTS postgis", err, errlen, "creating schema");
    if (s == HZ_OK && !exists)
        s = exec_ddl(pg, schema_create_sql(SCHEMA_PG, SCHEMA_ALL, 0), err, errlen,
                     "creating schema");
    if (s == HZ_OK) return exec(pg, "COMMIT", err, errlen, "creating schema");
    PQclear(PQexec(pg->conn, "ROLLBACK"));
    return s;
}

/* Brings a schema of version from (2 or more: PostGIS stores started at 2) up to
 * STORE_SCHEMA_VERSION in one write transaction, as store.c's migrate(): the schema version row
 * changes, so the data version and identity are renewed (pg_dirty()) and no cache survives. */
static hz_status pg_migrate(pgstore *pg, int from, char *err, size_t errlen)
{
    if (from < 2)
        return hz_fail(HZ_EUNSUPPORTED, err, errlen, "%s: schema %d: no migration from it",
                       pg->name, from);
    hz_status s = pg_begin(pg, err, errlen);
    if (s != HZ_OK) return s;
    /* another connection may have migrated while this one waited for the writers' lock */
    if ((s = schema_version(pg, &from, err, errlen)) == HZ_OK && from >= STORE_SCHEMA_VERSION) {
        pg_rollback(pg);
        return HZ_OK;
    }
    /* schema.c's steps: 2 -> 3 incident points become nullable (records with an area but no
     * point), 3 -> 4 the projects registry's tables (issue 12), new; no existing row changes */
    for (int v = from + 1; s == HZ_OK && v <= STORE_SCHEMA_VERSION; v++) {
        schema_hook hook;
        char what[64];
        snprintf(what, sizeof what, "migrating to schema %d", v);
        s = exec_ddl(pg, schema_migrate_sql(SCHEMA_PG, SCHEMA_ALL, v, &hook), err, errlen, what);
        if (s == HZ_OK && hook != SCHEMA_HOOK_NONE) /* none on PostGIS so far */
            s = hz_fail(HZ_EUNSUPPORTED, err, errlen, "%s: %s: step %d not implemented here",
                        pg->name, what, (int)hook);
    }
    char set[96];
    snprintf(set, sizeof set, "UPDATE meta SET value='%d' WHERE key='schema_version'",
             (int)STORE_SCHEMA_VERSION);
    if (s == HZ_OK) s = exec(pg, set, err, errlen, "migrating: recording the schema version");
    if (s != HZ_OK) {
        pg_rollback(pg);
        return s;
    }
    pg_dirty(pg);
    return pg_commit(pg, err, errlen);
}

/* What a new connection needs after the schema is current: the prepared statements and, for a
 * read-only store, read-only transactions. */
static hz_status session_setup(pgstore *pg, char *err, size_t errlen)
{
    for (int i = 0; i < NPREPARED; i++) {
        PGresult *r = PQprepare(pg->conn, prepared[i].name, prepared[i].sql, 0, NULL);
        if (!res_ok(r)) return pfail(pg, r, err, errlen, "preparing statements");
        PQclear(r);
    }
    if (pg->flags & STORE_READONLY)
        return exec(pg, "SET default_transaction_read_only=on", err, errlen, "connecting");
    return HZ_OK;
}

pgstore *pg_open(const char *conninfo, int flags, char *err, size_t errlen)
{
    pgstore *pg = calloc(1, sizeof *pg);
    if (!pg || !(pg->name = redact(conninfo))) {
        free(pg);
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    pg->conn = PQconnectdb(conninfo);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        const char *m = PQerrorMessage(pg->conn);
        hz_fail(HZ_EDB, err, errlen, "%s: cannot connect: %.*s", pg->name, (int)strcspn(m, "\n"),
                m);
        pg_close(pg);
        return NULL;
    }
    hz_status s = exec(pg, "SET client_min_messages=warning", err, errlen, "connecting");
    PGresult *r = s == HZ_OK ? run(pg, NULL, "SELECT to_regclass('meta') IS NOT NULL", 0, NULL, err,
                                   errlen, "reading the schema")
                             : NULL;
    int has_meta = r && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!r) goto fail;
    if (!has_meta && !(flags & STORE_CREATE)) {
        hz_fail(HZ_ENOTFOUND, err, errlen, "%s: not a hazmap database (no incidents table)",
                pg->name);
        goto fail;
    }
    if (!has_meta && create_schema(pg, err, errlen) != HZ_OK) goto fail;
    int version = 0;
    if (schema_version(pg, &version, err, errlen) != HZ_OK) goto fail;
    if (version > STORE_SCHEMA_VERSION) {
        hz_fail(HZ_EINVAL, err, errlen,
                "%s: schema version %d is newer than this hazmap's %d: use a newer hazmap",
                pg->name, version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (version < STORE_SCHEMA_VERSION && pg_migrate(pg, version, err, errlen) != HZ_OK) goto fail;
    pg->flags = flags;
    if (session_setup(pg, err, errlen) != HZ_OK) goto fail;
    return pg;
fail:
    pg_close(pg);
    return NULL;
}

hz_status pg_reconnect(pgstore *pg, char *err, size_t errlen)
{
    assert(!pg->in_tx && !pg->in_read);
    PQreset(pg->conn);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        const char *m = PQerrorMessage(pg->conn);
        pg->last = HZ_EDB;
        return hz_fail(HZ_EDB, err, errlen, "%s: cannot reconnect: %.*s", pg->name,
                       (int)strcspn(m, "\n"), m);
    }
    hz_status s = exec(pg, "SET client_min_messages=warning", err, errlen, "reconnecting");
    if (s == HZ_OK) s = session_setup(pg, err, errlen);
    if (s == HZ_OK && pg->timeout_ms > 0) pg_set_timeout(pg, pg->timeout_ms);
    return s;
}

pg_watch **pg_watch_slot(pgstore *pg)
{
    return &pg->watch;
}

void pg_close(pgstore *pg)
{
    if (!pg) return;
    if (pg->conn) PQfinish(pg->conn); /* an open transaction is rolled back by the server */
    pg_watch_free(pg->watch);
    free(pg->name);
    free(pg);
}

hz_status pg_last_status(pgstore *pg)
{
    return pg->last;
}

const char *pg_name(const pgstore *pg)
{
    return pg->name;
}

void pg_set_timeout(pgstore *pg, int ms)
{
    char sql[64];
    pg->timeout_ms = ms > 0 ? ms : 0;
    snprintf(sql, sizeof sql, "SET statement_timeout=%d", pg->timeout_ms);
    PQclear(PQexec(pg->conn, sql));
}

/* ---- transactions and the data version ---- */

hz_status pg_begin(pgstore *pg, char *err, size_t errlen)
{
    assert(!pg->in_tx && !pg->in_read);
    hz_status s =
        exec(pg, "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK ")", err, errlen, "begin");
    if (s != HZ_OK) {
        PQclear(PQexec(pg->conn, "ROLLBACK"));
        return s;
    }
    pg->in_tx = 1;
    pg->dirty = 0;
    return HZ_OK;
}

void pg_dirty(pgstore *pg)
{
    if (pg->in_tx) pg->dirty = 1;
}

static const char *const bump_sql =
    "UPDATE meta SET value=(value::bigint+1)::text WHERE key='data_version';"
    "UPDATE meta SET value=replace(gen_random_uuid()::text,'-','') WHERE key='data_id';"
    "SELECT pg_notify('hazmap_data_version',value) FROM meta WHERE key='data_version'";

hz_status pg_commit(pgstore *pg, char *err, size_t errlen)
{
    assert(pg->in_tx);
    hz_status s = pg->dirty ? exec(pg, bump_sql, err, errlen, "commit") : HZ_OK;
    if (s == HZ_OK) s = exec(pg, "COMMIT", err, errlen, "commit");
    if (s != HZ_OK) {
        pg_rollback(pg);
        return s;
    }
    pg->in_tx = 0;
    return HZ_OK;
}

void pg_rollback(pgstore *pg)
{
    if (!pg->in_tx) return;
    PQclear(PQexec(pg->conn, "ROLLBACK"));
    pg->in_tx = 0;
}

hz_status pg_read_begin(pgstore *pg, char *err, size_t errlen)
{
    assert(!pg->in_tx && !pg->in_read);
    hz_status s =
        exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen, "begin read");
    if (s == HZ_OK) pg->in_read = 1;
    return s;
}

void pg_read_end(pgstore *pg)
{
    if (!pg->in_read) return;
    PQclear(PQexec(pg->conn, "COMMIT"));
    pg->in_read = 0;
}

static hz_status single_i64(pgstore *pg, const char *sql, int64_t *out)
{
    PGresult *r = run(pg, NULL, sql, 0, NULL, NULL, 0, "reading");
    if (!r) return pg->last;
    hz_status s = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? HZ_OK : HZ_EDB;
    if (s == HZ_OK) *out = col_i64(r, 0, 0, 0);
    PQclear(r);
    return s;
}

hz_status pg_data_version(pgstore *pg, int64_t *version)
{
    return single_i64(pg, "SELECT value::bigint FROM meta WHERE key='data_version'", version);
}

hz_status pg_data_id(pgstore *pg, char *id, size_t idlen)
{
    PGresult *r =
        run(pg, NULL, "SELECT value FROM meta WHERE key='data_id'", 0, NULL, NULL, 0, "reading");
    if (!r) return HZ_EDB;
    const char *v = PQntuples(r) ? PQgetvalue(r, 0, 0) : NULL;
    hz_status res = !v || strlen(v) != STORE_DATA_ID_SIZE - 1 ? HZ_ENOTFOUND
                    : idlen < STORE_DATA_ID_SIZE              ? HZ_EINVAL
                                                              : HZ_OK;
    if (res == HZ_OK) memcpy(id, v, STORE_DATA_ID_SIZE);
    PQclear(r);
    return res;
}

hz_status pg_counts(pgstore *pg, int64_t *areas, int64_t *incidents)
{
    hz_status s = single_i64(pg, "SELECT count(*) FROM areas", areas);
    if (s == HZ_OK) s = single_i64(pg, "SELECT count(*) FROM incidents", incidents);
    return s;
}

/* ---- areas ---- */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int pg_hex_decode(const char *hex, unsigned char *out, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        int hi = hexval(hex[2 * k]), lo = hexval(hex[2 * k + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[k] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

hz_status pg_area_put(pgstore *pg, const hz_area_rec *a, char *err, size_t errlen)
{
    char pop[24];
    snprintf(pop, sizeof pop, "%" PRId64, a->population);
    const char *v[7] = {a->code,  a->name,        a->name_en,
                        a->level, a->parent_code, a->population >= 0 ? pop : NULL,
                        NULL};
    const int lens[7] = {0, 0, 0, 0, 0, 0, (int)a->wkb_len};
    const int fmts[7] = {0, 0, 0, 0, 0, 0, 1}; /* the WKB goes as binary bytea */
    v[6] = (const char *)a->wkb;
    PGresult *r = PQexecPrepared(pg->conn, "area_put", 7, v, lens, fmts, 0);
    if (!res_ok(r)) return pfail(pg, r, err, errlen, "storing area");
    PQclear(r);
    pg_dirty(pg);
    return HZ_OK;
}

hz_status pg_areas_scan(pgstore *pg, store_area_cb cb, void *ud, char *err, size_t errlen)
{
    PGresult *r =
        run(pg, NULL,
            "SELECT code,name,name_en,level,parent_code,population,"
            "encode(ST_AsBinary(geom,'NDR'),'hex') FROM areas ORDER BY code COLLATE \"C\"",
            0, NULL, err, errlen, "reading areas");
    if (!r) return pg->last;
    unsigned char *wkb = NULL;
    size_t cap = 0;
    hz_status s = HZ_OK;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *hex = PQgetvalue(r, i, 6);
        size_t n = strlen(hex) / 2;
        if (n > cap) {
            unsigned char *w = realloc(wkb, n);
            if (!w) {
                s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
                break;
            }
            wkb = w;
            cap = n;
        }
        if (pg_hex_decode(hex, wkb, n) != 0) {
            s = hz_fail(HZ_EDB, err, errlen, "areas: a geometry is not hex EWKB");
            break;
        }
        hz_area_rec a = {.code = col_str(r, i, 0),
                         .name = col_str(r, i, 1),
                         .name_en = col_str(r, i, 2),
                         .level = col_str(r, i, 3),
                         .parent_code = col_str(r, i, 4),
                         .population = col_i64(r, i, 5, -1),
                         .wkb = wkb,
                         .wkb_len = n};
        if (cb(ud, &a)) break;
    }
    free(wkb);
    PQclear(r);
    return s;
}

/* ---- incidents ---- */

/* The text parameters $1 .. $23 of an incident write (PG_INC_COLS, then the batch). */
typedef struct inc_params {
    char num[10][32];
    const char *v[24];
} inc_params;

static const char *fmt_int(char *buf, int v, int null_value)
{
    if (v == null_value) return NULL;
    snprintf(buf, 32, "%d", v);
    return buf;
}

static void inc_bind(inc_params *p, const hz_incident_rec *r, int64_t batch_id)
{
    const char **v = p->v;
    v[0] = r->source;
    v[1] = r->source_id;
    v[2] = r->occurred_at;
    v[3] = NULL;
    if (r->t != INT64_MIN) {
        snprintf(p->num[0], 32, "%" PRId64, r->t);
        v[3] = p->num[0];
    }
    v[4] = vocab_name(HZ_VOCAB_MECHANISM, r->mechanism);
    v[5] = vocab_name(HZ_VOCAB_PLACE, r->place);
    v[6] = vocab_name(HZ_VOCAB_INTENT, r->intent);
    v[7] = vocab_name(HZ_VOCAB_SEVERITY, r->severity);
    v[8] = fmt_int(p->num[1], r->victims, -1);
    v[9] = fmt_int(p->num[2], r->age, -1);
    v[10] = vocab_name(HZ_VOCAB_SEX, r->sex);
    v[11] = fmt_int(p->num[3], r->disability, -1);
    v[12] = r->description;
    v[13] = r->area_code;
    v[14] = r->extra;
    v[15] = v[16] = NULL; /* no point: NULL lon, lat and so geom */
    if (hz_rec_has_point(r)) {
        snprintf(p->num[4], 32, "%.17g", r->lon);
        snprintf(p->num[5], 32, "%.17g", r->lat);
        v[15] = p->num[4];
        v[16] = p->num[5];
    }
    snprintf(p->num[6], 32, "%" PRId64, store_incident_hash(r));
    v[17] = p->num[6];
    v[18] = vocab_name(HZ_VOCAB_ACTIVITY, r->activity);
    v[19] = vocab_name(HZ_VOCAB_OUTCOME, r->outcome);
    v[20] = vocab_name(HZ_VOCAB_NATURE, r->nature);
    v[21] = vocab_name(HZ_VOCAB_BODY_PART, r->body_part);
    v[22] = NULL;
    if (batch_id > 0) {
        snprintf(p->num[7], 32, "%" PRId64, batch_id);
        v[22] = p->num[7];
    }
}

hz_status pg_unbatched(pgstore *pg, char *err, size_t errlen)
{
    PGresult *r =
        run(pg, NULL,
            "INSERT INTO meta SELECT 'reload_horizon',value FROM meta"
            " WHERE key='data_version' ON CONFLICT(key) DO UPDATE SET value=EXCLUDED.value",
            0, NULL, err, errlen, "replacing incident");
    if (!r) return pg->last;
    PQclear(r);
    return HZ_OK;
}

hz_status pg_incident_put(pgstore *pg, const hz_incident_rec *r, int64_t batch_id,
                          store_put_outcome *outcome, char *err, size_t errlen)
{
    inc_params p = {0};
    inc_bind(&p, r, batch_id);
    PGresult *f = run(pg, "inc_find", NULL, 2, p.v, err, errlen, "looking up incident");
    if (!f) return pg->last;
    if (PQntuples(f) == 1) {
        int64_t old = col_i64(f, 0, 1, 0);
        char id[32];
        snprintf(id, sizeof id, "%s", PQgetvalue(f, 0, 0));
        PQclear(f);
        if (old == strtoll(p.v[17], NULL, 10)) {
            *outcome = STORE_PUT_UNCHANGED;
            return HZ_OK;
        }
        p.v[23] = id;
        PGresult *u = run(pg, "inc_upd", NULL, 24, p.v, err, errlen, "replacing incident");
        if (!u) return pg->last;
        PQclear(u);
        if (batch_id <= 0 && pg_unbatched(pg, err, errlen) != HZ_OK) return pg->last;
        pg_dirty(pg);
        *outcome = STORE_PUT_REPLACED;
        return HZ_OK;
    }
    PQclear(f);
    PGresult *i = run(pg, "inc_ins", NULL, 23, p.v, err, errlen, "inserting incident");
    if (!i) return pg->last;
    PQclear(i);
    pg_dirty(pg);
    *outcome = STORE_PUT_INSERTED;
    return HZ_OK;
}

static int vocab_of(const char *name, hz_vocab voc)
{
    int v = 0;
    if (name) vocab_parse(voc, name, &v);
    return v;
}

/* Reads row i of a text result in PG_INC_GET_COLS layout. */
static void read_incident(const PGresult *r, int i, hz_incident_rec *o)
{
    o->id = col_i64(r, i, 0, 0);
    o->source = col_str(r, i, 1);
    o->source_id = col_str(r, i, 2);
    o->occurred_at = col_str(r, i, 3);
    o->t = col_i64(r, i, 4, INT64_MIN);
    o->mechanism = vocab_of(col_str(r, i, 5), HZ_VOCAB_MECHANISM);
    o->place = vocab_of(col_str(r, i, 6), HZ_VOCAB_PLACE);
    o->intent = vocab_of(col_str(r, i, 7), HZ_VOCAB_INTENT);
    o->severity = vocab_of(col_str(r, i, 8), HZ_VOCAB_SEVERITY);
    o->victims = (int)col_i64(r, i, 9, -1);
    o->age = (int)col_i64(r, i, 10, -1);
    o->sex = vocab_of(col_str(r, i, 11), HZ_VOCAB_SEX);
    o->disability = (int)col_i64(r, i, 12, -1);
    o->description = col_str(r, i, 13);
    o->area_code = col_str(r, i, 14);
    o->extra = col_str(r, i, 15);
    o->lon = PQgetisnull(r, i, 16) ? NAN : strtod(PQgetvalue(r, i, 16), NULL);
    o->lat = PQgetisnull(r, i, 17) ? NAN : strtod(PQgetvalue(r, i, 17), NULL);
    o->activity = vocab_of(col_str(r, i, 18), HZ_VOCAB_ACTIVITY);
    o->outcome = vocab_of(col_str(r, i, 19), HZ_VOCAB_OUTCOME);
    o->nature = vocab_of(col_str(r, i, 20), HZ_VOCAB_NATURE);
    o->body_part = vocab_of(col_str(r, i, 21), HZ_VOCAB_BODY_PART);
}

/* Big-endian fields of a binary cursor's row. */
static uint64_t be64(const char *p)
{
    const unsigned char *b = (const unsigned char *)p;
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v = v << 8 | b[k];
    return v;
}

/* The snapshot scan's columns, read from a binary COPY: int8, int8, text x4, int4 x2, text,
 * int4, text, float8 x2, text x4. */
#define PG_SCAN_SELECT                                                                             \
    "SELECT id,t,mechanism,place,intent,severity,victims,age,sex,disability,area_code,lon,lat,"    \
    "activity,outcome,nature,body_part FROM incidents"
#define PG_SCAN_SQL PG_SCAN_SELECT " ORDER BY id"

typedef void (*row_reader)(const PGresult *r, int i, hz_incident_rec *o);

/* Runs sql through a cursor (BINARY when binary), FETCH_ROWS rows at a time, calling cb with each
 * row as read; inside the open transaction, else in a read-only one of its own. */
enum { FETCH_ROWS = 20000 };
static hz_status cursor_scan(pgstore *pg, const char *sql, int binary, row_reader rd,
                             store_incident_cb cb, void *ud, char *err, size_t errlen)
{
    int own = !pg->in_tx && !pg->in_read;
    if (own && pg_read_begin(pg, err, errlen) != HZ_OK) return pg->last;
    char decl[512];
    snprintf(decl, sizeof decl, "DECLARE hz_scan NO SCROLL %sCURSOR FOR %s",
             binary ? "BINARY " : "", sql);
    hz_status s = exec(pg, decl, err, errlen, "reading incidents");
    int stop = 0;
    while (s == HZ_OK && !stop) {
        char fetch[48];
        snprintf(fetch, sizeof fetch, "FETCH %d FROM hz_scan", FETCH_ROWS);
        PGresult *r = PQexec(pg->conn, fetch);
        if (!res_ok(r)) {
            s = pfail(pg, r, err, errlen, "reading incidents");
            break;
        }
        int n = PQntuples(r);
        for (int i = 0; i < n && !stop; i++) {
            hz_incident_rec o;
            rd(r, i, &o);
            stop = cb(ud, &o);
        }
        PQclear(r);
        if (n < FETCH_ROWS) break;
    }
    if (s == HZ_OK) s = exec(pg, "CLOSE hz_scan", err, errlen, "reading incidents");
    if (own) pg_read_end(pg);
    return s;
}

/* The snapshot scan as a stream: COPY (PG_SCAN_SQL) TO STDOUT (FORMAT binary), one row per
 * CopyData message, so the server produces rows while the client reads them (a cursor's FETCH
 * waits for each batch whole). A row's fields, as in PG_SCAN_SQL's order: the values point
 * into the message, the text ones copied NUL-terminated into text (valid until the next row). */
enum { SCAN_COLS = 17 };
typedef struct {
    const char *v[SCAN_COLS];
    int len[SCAN_COLS]; /* -1: NULL */
    char text[1024];
} scan_row;

static int32_t rd_i32(const char *p)
{
    const unsigned char *b = (const unsigned char *)p;
    return (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
}

/* Parses one tuple at buf[*pos] (len bytes in all) into row; 1 = a row, 0 = the trailer,
 * -1 = malformed. */
static int copy_tuple(const char *buf, int len, int *pos, scan_row *row)
{
    if (*pos + 2 > len) return -1;
    int16_t nf = (int16_t)((unsigned char)buf[*pos] << 8 | (unsigned char)buf[*pos + 1]);
    *pos += 2;
    if (nf == -1) return 0;
    if (nf != SCAN_COLS) return -1;
    size_t used = 0;
    for (int c = 0; c < SCAN_COLS; c++) {
        if (*pos + 4 > len) return -1;
        int32_t n = rd_i32(buf + *pos);
        *pos += 4;
        row->len[c] = n < 0 ? -1 : n;
        row->v[c] = NULL;
        if (n < 0) continue;
        if (n > len - *pos) return -1;
        const char *val = buf + *pos;
        *pos += n;
        if (c == 0 || c == 1 || c == 6 || c == 7 || c == 9 || c == 11 || c == 12) {
            row->v[c] = val; /* int8, int4 and float8: big-endian bytes */
            continue;
        }
        if ((size_t)n + 1 > sizeof row->text - used) return -1;
        memcpy(row->text + used, val, (size_t)n);
        row->text[used + (size_t)n] = '\0';
        row->v[c] = row->text + used;
        used += (size_t)n + 1;
    }
    return 1;
}

static int64_t row_i64(const scan_row *w, int c, int64_t null_value)
{
    return w->len[c] == 8 ? (int64_t)be64(w->v[c]) : null_value;
}

static int row_i32(const scan_row *w, int c, int null_value)
{
    return w->len[c] == 4 ? rd_i32(w->v[c]) : null_value;
}

static double row_f64(const scan_row *w, int c)
{
    if (w->len[c] != 8) return NAN;
    uint64_t u = be64(w->v[c]);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void scan_rec(const scan_row *w, hz_incident_rec *o)
{
    memset(o, 0, sizeof *o);
    o->id = row_i64(w, 0, 0);
    o->t = row_i64(w, 1, INT64_MIN);
    o->mechanism = vocab_of(w->v[2], HZ_VOCAB_MECHANISM);
    o->place = vocab_of(w->v[3], HZ_VOCAB_PLACE);
    o->intent = vocab_of(w->v[4], HZ_VOCAB_INTENT);
    o->severity = vocab_of(w->v[5], HZ_VOCAB_SEVERITY);
    o->victims = row_i32(w, 6, -1);
    o->age = row_i32(w, 7, -1);
    o->sex = vocab_of(w->v[8], HZ_VOCAB_SEX);
    o->disability = row_i32(w, 9, -1);
    o->area_code = w->v[10];
    o->lon = row_f64(w, 11);
    o->lat = row_f64(w, 12);
    o->activity = vocab_of(w->v[13], HZ_VOCAB_ACTIVITY);
    o->outcome = vocab_of(w->v[14], HZ_VOCAB_OUTCOME);
    o->nature = vocab_of(w->v[15], HZ_VOCAB_NATURE);
    o->body_part = vocab_of(w->v[16], HZ_VOCAB_BODY_PART);
}

/* Reads the COPY stream to its end, calling cb per row; after a stop or a malformed row the
 * rest is drained (libpq needs the COPY finished before the next command). */
static hz_status copy_scan_rows(pgstore *pg, store_incident_cb cb, void *ud, char *err,
                                size_t errlen)
{
    static const char sig[11] = "PGCOPY\n\377\r\n";
    scan_row row;
    int first = 1, stop = 0, bad = 0, n;
    char *buf;
    while ((n = PQgetCopyData(pg->conn, &buf, 0)) > 0) {
        int pos = 0;
        if (first) { /* the header: signature, flags, extension length and extension */
            first = 0;
            if (n < 19 || memcmp(buf, sig, sizeof sig) != 0 || rd_i32(buf + 15) < 0 ||
                rd_i32(buf + 15) > n - 19)
                bad = 1;
            else
                pos = 19 + rd_i32(buf + 15);
        }
        while (!stop && !bad && pos < n) {
            int k = copy_tuple(buf, n, &pos, &row);
            if (k < 0) bad = 1;
            if (k <= 0) break;
            hz_incident_rec o;
            scan_rec(&row, &o);
            stop = cb(ud, &o);
        }
        PQfreemem(buf);
    }
    PGresult *r = PQgetResult(pg->conn);
    hz_status s = n == -1 && res_ok(r) ? HZ_OK : pfail(pg, r, err, errlen, "reading incidents");
    if (s == HZ_OK) PQclear(r);
    while ((r = PQgetResult(pg->conn)))
        PQclear(r);
    if (s == HZ_OK && bad)
        s = hz_fail(HZ_EDB, err, errlen, "%s: reading incidents: a malformed COPY row", pg->name);
    return s;
}

/* Streams the rows of `COPY (sql) TO STDOUT (FORMAT binary)` to cb, in a read transaction of its
 * own unless one is open. */
static hz_status copy_scan(pgstore *pg, const char *sql, store_incident_cb cb, void *ud, char *err,
                           size_t errlen)
{
    int own = !pg->in_tx && !pg->in_read;
    if (own && pg_read_begin(pg, err, errlen) != HZ_OK) return pg->last;
    PGresult *r = PQexec(pg->conn, sql);
    hz_status s = HZ_OK;
    if (PQresultStatus(r) != PGRES_COPY_OUT)
        s = pfail(pg, r, err, errlen, "reading incidents");
    else {
        PQclear(r);
        s = copy_scan_rows(pg, cb, ud, err, errlen);
    }
    if (own) pg_read_end(pg);
    return s;
}

hz_status pg_incidents_scan(pgstore *pg, store_incident_cb cb, void *ud, char *err, size_t errlen)
{
    return copy_scan(pg, "COPY (" PG_SCAN_SQL ") TO STDOUT (FORMAT binary)", cb, ud, err, errlen);
}

hz_status pg_incidents_scan_since(pgstore *pg, int64_t after_id, int64_t after_batch,
                                  store_incident_cb cb, void *ud, char *err, size_t errlen)
{
    /* COPY takes no parameters: the two bounds are formatted integers, never caller text */
    char sql[1024], batch[64] = "";
    if (after_batch != INT64_MAX) /* else only new ids: a range of the primary key */
        snprintf(batch, sizeof batch, " OR batch_id>%" PRId64, after_batch);
    snprintf(sql, sizeof sql,
             "COPY (" PG_SCAN_SELECT " WHERE id>%" PRId64
             "%s ORDER BY id) TO STDOUT (FORMAT binary)",
             after_id, batch);
    return copy_scan(pg, sql, cb, ud, err, errlen);
}

hz_status pg_incident_marks(pgstore *pg, int counts, store_marks *m, char *err, size_t errlen)
{
    m->count = m->max_id = 0;
    hz_status s = counts ? single_i64(pg, "SELECT count(*) FROM incidents", &m->count) : HZ_OK;
    if (s == HZ_OK && counts)
        s = single_i64(pg, "SELECT coalesce(max(id),0) FROM incidents", &m->max_id);
    if (s == HZ_OK)
        s = single_i64(pg, "SELECT coalesce(max(id),0) FROM import_batches", &m->max_batch);
    if (s == HZ_OK)
        s = single_i64(pg,
                       "SELECT coalesce((SELECT value::bigint FROM meta"
                       " WHERE key='reload_horizon'),0)",
                       &m->horizon);
    return s == HZ_OK ? HZ_OK : hz_fail(s, err, errlen, "reading the incidents' marks");
}

static void read_link_row(const PGresult *r, int i, hz_incident_rec *o)
{
    read_incident(r, i, o);
}

hz_status pg_link_records(pgstore *pg, store_incident_cb cb, void *ud, char *err, size_t errlen)
{
    return cursor_scan(pg,
                       "SELECT id,source,NULL,NULL,t,mechanism,NULL,NULL,NULL,NULL,age,sex,NULL,"
                       "NULL,area_code,NULL,lon,lat,NULL,NULL,NULL,NULL FROM incidents ORDER BY id",
                       0, read_link_row, cb, ud, err, errlen);
}

hz_status pg_incidents_get(pgstore *pg, const int64_t *ids, size_t n, store_incident_cb cb,
                           void *ud, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%" PRId64, ids[i]);
        const char *v[1] = {id};
        PGresult *r = run(pg, "inc_get", NULL, 1, v, err, errlen, "reading incident");
        if (!r) return pg->last;
        int stop = 0;
        if (PQntuples(r) == 1) {
            hz_incident_rec o;
            read_incident(r, 0, &o);
            stop = cb(ud, &o);
        }
        PQclear(r);
        if (stop) break;
    }
    return HZ_OK;
}

/* ---- import bookkeeping (not data: no pg_dirty()) ---- */

hz_status pg_batch_begin(pgstore *pg, const char *kind, const char *file, int64_t *batch_id,
                         char *err, size_t errlen)
{
    const char *v[2] = {kind, file};
    PGresult *r = run(pg, NULL,
                      "INSERT INTO import_batches(kind,file,started_at) VALUES($1,$2," PG_NOW
                      ") RETURNING id",
                      2, v, err, errlen, "recording import");
    if (!r) return pg->last;
    *batch_id = col_i64(r, 0, 0, 0);
    PQclear(r);
    return HZ_OK;
}

/* store_pg.h: PostgreSQL refuses invalid text, and a rejected row's raw text is often exactly
 * that. */
char *pg_utf8_clean(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n + 1);
    if (!o) return NULL;
    const unsigned char *b = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        int len = b[i] < 0x80         ? 1
                  : (b[i] >> 5) == 6  ? 2
                  : (b[i] >> 4) == 14 ? 3
                  : (b[i] >> 3) == 30 ? 4
                                      : 0;
        int ok = len > 0 && i + (size_t)len <= n;
        for (int k = 1; ok && k < len; k++)
            ok = (b[i + k] & 0xc0) == 0x80;
        if (ok && len == 2) ok = b[i] >= 0xc2;
        if (!ok) {
            o[i++] = '?';
            continue;
        }
        memcpy(o + i, s + i, (size_t)len);
        i += (size_t)len;
    }
    o[n] = 0;
    return o;
}

hz_status pg_reject_add(pgstore *pg, int64_t batch_id, int64_t line, const char *raw,
                        const char *reason, char *err, size_t errlen)
{
    char b[32], l[32];
    snprintf(b, sizeof b, "%" PRId64, batch_id);
    snprintf(l, sizeof l, "%" PRId64, line);
    char *craw = raw ? pg_utf8_clean(raw) : NULL, *creason = pg_utf8_clean(reason);
    if ((raw && !craw) || !creason) {
        free(craw);
        free(creason);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    const char *v[4] = {b, l, craw, creason};
    PGresult *r = run(pg, "reject", NULL, 4, v, err, errlen, "recording rejected row");
    free(craw);
    free(creason);
    if (!r) return pg->last;
    PQclear(r);
    return HZ_OK;
}

hz_status pg_batch_finish(pgstore *pg, int64_t batch_id, const char *summary_json, char *err,
                          size_t errlen)
{
    char b[32];
    snprintf(b, sizeof b, "%" PRId64, batch_id);
    const char *v[2] = {summary_json, b};
    PGresult *r =
        run(pg, NULL, "UPDATE import_batches SET summary=$1,finished_at=" PG_NOW " WHERE id=$2", 2,
            v, err, errlen, "recording import summary");
    if (!r) return pg->last;
    PQclear(r);
    return HZ_OK;
}

/* ---- tokens ---- */

hz_status pg_token_insert(pgstore *pg, const char *hash, const char *role, const char *label,
                          char *err, size_t errlen)
{
    const char *v[3] = {hash, role, label};
    PGresult *r =
        run(pg, NULL, "INSERT INTO tokens(hash,role,created_at,label) VALUES($1,$2," PG_NOW ",$3)",
            3, v, err, errlen, "storing token");
    if (!r) return pg->last;
    PQclear(r);
    return HZ_OK;
}

hz_status pg_tokens_scan(pgstore *pg, pg_token_cb cb, void *ud, char *err, size_t errlen)
{
    PGresult *r = run(pg, NULL, "SELECT hash, role, label FROM tokens", 0, NULL, err, errlen,
                      "reading tokens");
    if (!r) return pg->last;
    for (int i = 0; i < PQntuples(r); i++)
        cb(ud, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), col_str(r, i, 2));
    PQclear(r);
    return HZ_OK;
}

/* pg_bulk.c - the PostGIS store's bulk incident load (store_bulk.h on PostGIS).
 *
 * A group of rows goes to the server in one COPY hz_stage FROM STDIN (FORMAT binary) into a
 * temporary staging table (dropped at commit; created inside the caller's transaction, so a
 * rollback takes it too), then set-wise statements: one reads every staged row's outcome (no row
 * with its key: INSERTED; the same content hash: UNCHANGED; else REPLACED) and the id of the row
 * it meets, one inserts the new rows in input order (ids in input order, as row by row), one
 * updates the changed rows by id. Writers are serialised (pg_begin()), so the outcomes read stay
 * true until the writes.
 * Same keys, same content hash (store_incident_hash()) and same columns as pg_incident_put().
 * A group holding a key twice, or too small to be worth the round trips, goes row by row. Into
 * a table empty when the load began, a group whose keys are all new to the load (the key set
 * below) is copied straight into incidents, the point as EWKB.
 *
 * Invariant: hz_stage is empty between calls of pg_bulk_put_many(). */
#include "hazmap/vocab.h"
#include "schema.h"
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

enum { BULK_MIN_COPY = 32 }; /* groups below this go row by row */

/* The staging table: seq, then the incident columns in PG_INC_COLS order, then batch_id. */
static const char *const stage_sql =
    "CREATE TEMP TABLE IF NOT EXISTS hz_stage(seq int4, source text, source_id text,"
    " occurred_at text, t int8, mechanism text, place text, intent text, severity text,"
    " victims int4, age int4, sex text, disability int4, description text, area_code text,"
    " extra text, lon float8, lat float8, content_hash int8, activity text, outcome text,"
    " nature text, body_part text, batch_id int8) ON COMMIT DROP;"
    "TRUNCATE hz_stage";

#define STAGE_COLS                                                                                 \
    "source,source_id,occurred_at,t,mechanism,place,intent,severity,victims,age,sex,disability,"   \
    "description,area_code,extra,lon,lat,content_hash,activity,outcome,nature,body_part"

static const char *const outcome_sql =
    "SELECT i.id, i.content_hash IS NOT DISTINCT FROM s.content_hash,"
    " count(*) OVER (PARTITION BY s.source, s.source_id)"
    " FROM hz_stage s LEFT JOIN incidents i ON i.source=s.source AND i.source_id=s.source_id"
    " ORDER BY s.seq";

/* The writes, for the rows the outcomes say: $1 the seqs to insert (NULL: every row), or $1 the
 * seqs to update and $2 their rows' ids. Keys and ids come from C, not from a join the planner
 * would have to estimate (the statistics of a table filled in this transaction are stale). */
static const char *const insert_sql =
    "INSERT INTO incidents(" STAGE_COLS ",batch_id,geom) SELECT " STAGE_COLS
    ",batch_id,ST_SetSRID(ST_MakePoint(lon,lat),4326) FROM hz_stage"
    " WHERE $1::int4[] IS NULL OR seq=ANY($1::int4[]) ORDER BY seq";
static const char *const update_sql =
    "UPDATE incidents i SET (" STAGE_COLS ",batch_id,geom)=(s.source,s.source_id,s.occurred_at,"
    "s.t,s.mechanism,s.place,s.intent,s.severity,s.victims,s.age,s.sex,s.disability,"
    "s.description,s.area_code,s.extra,s.lon,s.lat,s.content_hash,s.activity,s.outcome,s.nature,"
    "s.body_part,COALESCE(s.batch_id,i.batch_id),ST_SetSRID(ST_MakePoint(s.lon,s.lat),4326))"
    " FROM unnest($1::int4[],$2::int8[]) AS m(seq,id) JOIN hz_stage s ON s.seq=m.seq"
    " WHERE i.id=m.id";

/* Into an empty table the secondary indexes are dropped for the load and built once at the end
 * (a sorted GiST build instead of one insert per row); inside the caller's transaction, so a
 * rollback brings them back. Their names and definitions are schema.c's (schema_index_sql()). */
static hz_status incident_indexes(pgstore *pg, int create, char *err, size_t errlen,
                                  const char *what)
{
    char *sql = schema_index_sql(SCHEMA_PG, "incidents", create);
    if (!sql) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    PGresult *r = PQexec(pg_conn(pg), sql);
    free(sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(pg, r, err, errlen, what);
    PQclear(r);
    return HZ_OK;
}

struct pg_bulk {
    pgstore *pg;
    int dropped; /* the secondary indexes are to be rebuilt by pg_bulk_finish() */
    /* Into an empty table: the XXH64 of every key written by this load (open addressing, 0 =
     * free), so a group none of whose keys is there is all INSERTED without asking the server.
     * A hash met again (the same key, or rarely another) sends the group the general way. */
    uint64_t *keys;
    size_t nkeys, capkeys;
    unsigned char *buf; /* the COPY data of one group */
    size_t len, cap;
    int oom;
};

pg_bulk *pg_bulk_begin(pgstore *pg, char *err, size_t errlen)
{
    pg_bulk *b = calloc(1, sizeof *b);
    if (!b) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    b->pg = pg;
    PGresult *r = PQexec(pg_conn(pg), stage_sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        pg_fail(pg, r, err, errlen, "starting bulk load");
        free(b);
        return NULL;
    }
    PQclear(r);
    r = PQexec(pg_conn(pg), "SELECT NOT EXISTS(SELECT 1 FROM incidents)");
    int empty = PQresultStatus(r) == PGRES_TUPLES_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (empty) {
        if (incident_indexes(pg, 0, err, errlen, "starting bulk load") != HZ_OK) {
            free(b);
            return NULL;
        }
        b->dropped = 1;
    }
    return b;
}

static uint64_t key_hash(const hz_incident_rec *r)
{
    uint64_t h = XXH64(r->source_id, strlen(r->source_id), XXH64(r->source, strlen(r->source), 0));
    return h ? h : 1;
}

/* Slot of h in the key set: where it is, or the free one it would go to. */
static size_t key_slot(const pg_bulk *b, uint64_t h)
{
    size_t i = (size_t)h & (b->capkeys - 1);
    while (b->keys[i] && b->keys[i] != h)
        i = (i + 1) & (b->capkeys - 1);
    return i;
}

static int key_grow(pg_bulk *b, size_t more)
{
    if ((b->nkeys + more) * 2 < b->capkeys) return 0;
    size_t nc = b->capkeys ? b->capkeys : 1024;
    while ((b->nkeys + more) * 2 >= nc)
        nc *= 2;
    uint64_t *old = b->keys;
    size_t oc = b->capkeys;
    if (!(b->keys = calloc(nc, sizeof *b->keys))) {
        b->keys = old;
        return -1;
    }
    b->capkeys = nc;
    for (size_t i = 0; i < oc; i++)
        if (old[i]) b->keys[key_slot(b, old[i])] = old[i];
    free(old);
    return 0;
}

/* 1 if every key of the group is new to this load of a table empty at its start (and then they
 * are in the set), 0 if the server must be asked. */
static int all_new(pg_bulk *b, const hz_incident_rec *const *recs, size_t n)
{
    if (key_grow(b, n) < 0) {
        b->dropped = 2;
        return 0;
    }
    size_t k;
    for (k = 0; k < n; k++) {
        uint64_t h = key_hash(recs[k]);
        size_t i = key_slot(b, h);
        if (b->keys[i]) break;
        b->keys[i] = h;
        b->nkeys++;
    }
    if (k == n) return 1;
    b->dropped = 2; /* the set stops being complete: no more shortcuts */
    return 0;
}

/* ---- the binary COPY format (PostgreSQL's "COPY", "Binary Format"): big-endian ---- */

static void put(pg_bulk *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->len + n)
            nc *= 2;
        unsigned char *nb = realloc(b->buf, nc);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = nc;
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void put_be(pg_bulk *b, uint64_t v, int bytes)
{
    unsigned char o[8];
    for (int k = 0; k < bytes; k++)
        o[k] = (unsigned char)(v >> (8 * (bytes - 1 - k)));
    put(b, o, (size_t)bytes);
}

static void f_null(pg_bulk *b)
{
    put_be(b, 0xffffffffu, 4); /* length -1 */
}

static void f_text(pg_bulk *b, const char *s)
{
    if (!s) {
        f_null(b);
        return;
    }
    size_t n = strlen(s);
    put_be(b, (uint32_t)n, 4);
    put(b, s, n);
}

static void f_i32(pg_bulk *b, int v, int null_value)
{
    if (v == null_value) {
        f_null(b);
        return;
    }
    put_be(b, 4, 4);
    put_be(b, (uint32_t)v, 4);
}

static void f_i64(pg_bulk *b, int64_t v)
{
    put_be(b, 8, 4);
    put_be(b, (uint64_t)v, 8);
}

static void f_f64(pg_bulk *b, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    put_be(b, 8, 4);
    put_be(b, u, 8);
}

/* A little-endian EWKB POINT with SRID 4326 (PostGIS's binary input of geometry). */
static void f_point(pg_bulk *b, double lon, double lat)
{
    unsigned char w[25];
    uint32_t type = 1u | 0x20000000u, srid = 4326;
    double xy[2] = {lon, lat};
    w[0] = 1;
    for (int k = 0; k < 4; k++) {
        w[1 + k] = (unsigned char)(type >> (8 * k));
        w[5 + k] = (unsigned char)(srid >> (8 * k));
    }
    for (int c = 0; c < 2; c++) {
        uint64_t u;
        memcpy(&u, &xy[c], 8);
        for (int k = 0; k < 8; k++)
            w[9 + 8 * c + k] = (unsigned char)(u >> (8 * k));
    }
    put_be(b, sizeof w, 4);
    put(b, w, sizeof w);
}

/* One row: for hz_stage (seq >= 0) seq, the incident columns and the batch; straight into
 * incidents (seq < 0) the incident columns, the batch and the point. */
static void copy_row(pg_bulk *b, int seq, const hz_incident_rec *r, int64_t batch_id)
{
    put_be(b, 24, 2);
    if (seq >= 0) f_i32(b, seq, -1);
    f_text(b, r->source);
    f_text(b, r->source_id);
    f_text(b, r->occurred_at);
    if (r->t == INT64_MIN)
        f_null(b);
    else
        f_i64(b, r->t);
    f_text(b, vocab_name(HZ_VOCAB_MECHANISM, r->mechanism));
    f_text(b, vocab_name(HZ_VOCAB_PLACE, r->place));
    f_text(b, vocab_name(HZ_VOCAB_INTENT, r->intent));
    f_text(b, vocab_name(HZ_VOCAB_SEVERITY, r->severity));
    f_i32(b, r->victims, -1);
    f_i32(b, r->age, -1);
    f_text(b, vocab_name(HZ_VOCAB_SEX, r->sex));
    f_i32(b, r->disability, -1);
    f_text(b, r->description);
    f_text(b, r->area_code);
    f_text(b, r->extra);
    int point = hz_rec_has_point(r); /* else NULL lon, lat and geom (schema 3) */
    if (point) {
        f_f64(b, r->lon);
        f_f64(b, r->lat);
    } else {
        f_null(b);
        f_null(b);
    }
    f_i64(b, store_incident_hash(r));
    f_text(b, vocab_name(HZ_VOCAB_ACTIVITY, r->activity));
    f_text(b, vocab_name(HZ_VOCAB_OUTCOME, r->outcome));
    f_text(b, vocab_name(HZ_VOCAB_NATURE, r->nature));
    f_text(b, vocab_name(HZ_VOCAB_BODY_PART, r->body_part));
    if (batch_id > 0)
        f_i64(b, batch_id);
    else
        f_null(b);
    if (seq < 0 && point) f_point(b, r->lon, r->lat);
    if (seq < 0 && !point) f_null(b);
}

/* Sends recs in one COPY: to hz_stage, or with direct straight into incidents (ids in input
 * order, from the column's sequence). */
static hz_status copy_group(pg_bulk *b, const hz_incident_rec *const *recs, size_t n,
                            int64_t batch_id, int direct, char *err, size_t errlen)
{
    static const unsigned char head[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n',
                                           0,   0,   0,   0,   0,   0,   0,    0,    0};
    b->len = 0;
    b->oom = 0;
    put(b, head, sizeof head);
    for (size_t i = 0; i < n; i++)
        copy_row(b, direct ? -1 : (int)i, recs[i], batch_id);
    put_be(b, 0xffff, 2); /* trailer: -1 */
    if (b->oom) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    PGconn *c = pg_conn(b->pg);
    PGresult *r = PQexec(c, direct ? "COPY incidents(" STAGE_COLS ",batch_id,geom) FROM STDIN"
                                     " (FORMAT binary)"
                                   : "COPY hz_stage FROM STDIN (FORMAT binary)");
    if (PQresultStatus(r) != PGRES_COPY_IN) return pg_fail(b->pg, r, err, errlen, "bulk COPY");
    PQclear(r);
    int ok = PQputCopyData(c, (const char *)b->buf, (int)b->len) == 1 && PQputCopyEnd(c, NULL) == 1;
    hz_status s = HZ_OK;
    while ((r = PQgetResult(c)) != NULL) {
        if (s == HZ_OK && (!ok || PQresultStatus(r) != PGRES_COMMAND_OK))
            s = pg_fail(b->pg, r, err, errlen, "bulk COPY");
        else
            PQclear(r);
    }
    return s;
}

static hz_status row_by_row(pg_bulk *b, const hz_incident_rec *const *recs, size_t n,
                            int64_t batch_id, store_put_outcome *outcomes, char *err, size_t errlen)
{
    if (b->dropped == 1 && key_grow(b, n) < 0) b->dropped = 2;
    for (size_t i = 0; b->dropped == 1 && i < n; i++) { /* the set stays complete */
        uint64_t h = key_hash(recs[i]);
        size_t k = key_slot(b, h);
        if (!b->keys[k]) {
            b->keys[k] = h;
            b->nkeys++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        hz_status s = pg_incident_put(b->pg, recs[i], batch_id, &outcomes[i], err, errlen);
        if (s != HZ_OK) return s;
    }
    return HZ_OK;
}

/* Runs sql with the array literals of b->buf (NUL-separated, nvals of them). */
static hz_status run_arrays(pg_bulk *b, const char *sql, const char *const *vals, int nvals,
                            char *err, size_t errlen)
{
    PGresult *r = pg_query(b->pg, sql, nvals, vals, err, errlen, "bulk load");
    if (!r) return pg_last_status(b->pg);
    PQclear(r);
    return HZ_OK;
}

hz_status pg_bulk_put_many(pg_bulk *b, const hz_incident_rec *const *recs, size_t n,
                           int64_t batch_id, store_put_outcome *outcomes, char *err, size_t errlen)
{
    if (n < BULK_MIN_COPY || n > INT32_MAX)
        return row_by_row(b, recs, n, batch_id, outcomes, err, errlen);
    int fresh = b->dropped == 1 && all_new(b, recs, n);
    hz_status s = copy_group(b, recs, n, batch_id, fresh, err, errlen);
    if (s != HZ_OK) return s;
    if (fresh) { /* every key new: the rows went straight into incidents */
        for (size_t i = 0; i < n; i++)
            outcomes[i] = STORE_PUT_INSERTED;
        pg_dirty(b->pg);
        return HZ_OK;
    }
    PGresult *r = pg_query(b->pg, outcome_sql, 0, NULL, err, errlen, "bulk load");
    if (!r) return pg_last_status(b->pg);
    int rows = PQntuples(r), dup = 0;
    size_t nins = 0, nrep = 0;
    for (int i = 0; i < rows && (size_t)i < n; i++) {
        int found = !PQgetisnull(r, i, 0), same = PQgetvalue(r, i, 1)[0] == 't';
        dup |= strcmp(PQgetvalue(r, i, 2), "1") != 0;
        outcomes[i] = !found ? STORE_PUT_INSERTED : same ? STORE_PUT_UNCHANGED : STORE_PUT_REPLACED;
        nins += outcomes[i] == STORE_PUT_INSERTED;
        nrep += outcomes[i] == STORE_PUT_REPLACED;
    }
    if (rows != (int)n || dup) {
        PQclear(r);
        if (rows != (int)n)
            return hz_fail(HZ_EDB, err, errlen, "bulk load: %d of %zu rows staged", rows, n);
        /* a key twice in the group: its second row must see the first */
        PGresult *t = pg_query(b->pg, "TRUNCATE hz_stage", 0, NULL, err, errlen, "bulk load");
        if (!t) return pg_last_status(b->pg);
        PQclear(t);
        return row_by_row(b, recs, n, batch_id, outcomes, err, errlen);
    }
    /* the arrays as text in b->buf: seqs to insert; seqs and ids to update */
    b->len = 0;
    b->oom = 0;
    size_t a0 = b->len;
    put(b, "{", 1);
    for (int i = 0; i < rows && nins < n; i++)
        if (outcomes[i] == STORE_PUT_INSERTED) {
            char v[16];
            snprintf(v, sizeof v, "%d", i);
            if (b->len > a0 + 1) put(b, ",", 1);
            put(b, v, strlen(v));
        }
    put(b, "}", 2); /* with the NUL */
    size_t a1 = b->len;
    put(b, "{", 1);
    for (int i = 0; i < rows; i++)
        if (outcomes[i] == STORE_PUT_REPLACED) {
            char v[16];
            snprintf(v, sizeof v, "%d", i);
            if (b->len > a1 + 1) put(b, ",", 1);
            put(b, v, strlen(v));
        }
    put(b, "}", 2);
    size_t a2 = b->len;
    put(b, "{", 1);
    for (int i = 0; i < rows; i++)
        if (outcomes[i] == STORE_PUT_REPLACED) {
            if (b->len > a2 + 1) put(b, ",", 1);
            put(b, PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)));
        }
    put(b, "}", 2);
    PQclear(r);
    if (b->oom) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    const char *buf = (const char *)b->buf;
    if (nins) {
        const char *v[1] = {nins == n ? NULL : buf + a0};
        s = run_arrays(b, insert_sql, v, 1, err, errlen);
    }
    if (s == HZ_OK && nrep) {
        const char *v[2] = {buf + a1, buf + a2};
        s = run_arrays(b, update_sql, v, 2, err, errlen);
        if (s == HZ_OK && batch_id <= 0) s = pg_unbatched(b->pg, err, errlen);
    }
    if (s == HZ_OK) s = run_arrays(b, "TRUNCATE hz_stage", NULL, 0, err, errlen);
    if (s == HZ_OK && (nins || nrep)) pg_dirty(b->pg);
    return s;
}

hz_status pg_bulk_finish(pg_bulk *b, char *err, size_t errlen)
{
    hz_status s = HZ_OK;
    if (b->dropped) s = incident_indexes(b->pg, 1, err, errlen, "finishing bulk load (indexes)");
    pg_bulk_free(b);
    return s;
}

void pg_bulk_free(pg_bulk *b)
{
    if (!b) return;
    free(b->keys);
    free(b->buf);
    free(b);
}

/* pg_bulk.c - the PostGIS store's bulk incident load (store_bulk.h on PostGIS).
 *
 * A group of rows goes to the server in one COPY hz_stage FROM STDIN (FORMAT binary) into a
 * temporary staging table (dropped at commit; created inside the caller's transaction, so a
 * rollback takes it too), then three set-wise statements: one reads every staged row's outcome
 * (no row with its key: INSERTED; the same content hash: UNCHANGED; else REPLACED), one updates
 * the changed rows, one inserts the new ones in input order (ids in input order, as row by row).
 * Same keys, same content hash (store_incident_hash()) and same columns as pg_incident_put().
 * A group holding a key twice, or too small to be worth the round trips, goes row by row.
 *
 * Invariant: hz_stage is empty between calls of pg_bulk_put_many(). */
#include "hazmap/vocab.h"
#include "store_pg.h"

#include <stdlib.h>
#include <string.h>

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
    "SELECT i.id IS NOT NULL, i.content_hash IS NOT DISTINCT FROM s.content_hash,"
    " count(*) OVER (PARTITION BY s.source, s.source_id)"
    " FROM hz_stage s LEFT JOIN incidents i ON i.source=s.source AND i.source_id=s.source_id"
    " ORDER BY s.seq";

static const char *const apply_sql =
    "UPDATE incidents i SET (" STAGE_COLS ",batch_id,geom)=(s.source,s.source_id,s.occurred_at,"
    "s.t,s.mechanism,s.place,s.intent,s.severity,s.victims,s.age,s.sex,s.disability,"
    "s.description,s.area_code,s.extra,s.lon,s.lat,s.content_hash,s.activity,s.outcome,s.nature,"
    "s.body_part,COALESCE(s.batch_id,i.batch_id),ST_SetSRID(ST_MakePoint(s.lon,s.lat),4326))"
    " FROM hz_stage s WHERE i.source=s.source AND i.source_id=s.source_id"
    " AND i.content_hash<>s.content_hash;"
    "INSERT INTO incidents(" STAGE_COLS ",batch_id,geom) SELECT " STAGE_COLS
    ",batch_id,ST_SetSRID(ST_MakePoint(lon,lat),4326) FROM hz_stage s WHERE NOT EXISTS("
    "SELECT 1 FROM incidents i WHERE i.source=s.source AND i.source_id=s.source_id)"
    " ORDER BY seq;"
    "TRUNCATE hz_stage";

struct pg_bulk {
    pgstore *pg;
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
    return b;
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

static void copy_row(pg_bulk *b, int seq, const hz_incident_rec *r, int64_t batch_id)
{
    put_be(b, 24, 2);
    f_i32(b, seq, -1);
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
    f_f64(b, r->lon);
    f_f64(b, r->lat);
    f_i64(b, store_incident_hash(r));
    f_text(b, vocab_name(HZ_VOCAB_ACTIVITY, r->activity));
    f_text(b, vocab_name(HZ_VOCAB_OUTCOME, r->outcome));
    f_text(b, vocab_name(HZ_VOCAB_NATURE, r->nature));
    f_text(b, vocab_name(HZ_VOCAB_BODY_PART, r->body_part));
    if (batch_id > 0)
        f_i64(b, batch_id);
    else
        f_null(b);
}

/* Sends recs to hz_stage in one COPY. */
static hz_status copy_group(pg_bulk *b, const hz_incident_rec *const *recs, size_t n,
                            int64_t batch_id, char *err, size_t errlen)
{
    static const unsigned char head[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0,
                                           0,   0,   0,   0,   0,   0,   0,    0};
    b->len = 0;
    b->oom = 0;
    put(b, head, sizeof head);
    for (size_t i = 0; i < n; i++)
        copy_row(b, (int)i, recs[i], batch_id);
    put_be(b, 0xffff, 2); /* trailer: -1 */
    if (b->oom) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    PGconn *c = pg_conn(b->pg);
    PGresult *r = PQexec(c, "COPY hz_stage FROM STDIN (FORMAT binary)");
    if (PQresultStatus(r) != PGRES_COPY_IN) return pg_fail(b->pg, r, err, errlen, "bulk COPY");
    PQclear(r);
    int ok = PQputCopyData(c, (const char *)b->buf, (int)b->len) == 1 &&
             PQputCopyEnd(c, NULL) == 1;
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
                            int64_t batch_id, store_put_outcome *outcomes, char *err,
                            size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        hz_status s = pg_incident_put(b->pg, recs[i], batch_id, &outcomes[i], err, errlen);
        if (s != HZ_OK) return s;
    }
    return HZ_OK;
}

hz_status pg_bulk_put_many(pg_bulk *b, const hz_incident_rec *const *recs, size_t n,
                           int64_t batch_id, store_put_outcome *outcomes, char *err, size_t errlen)
{
    if (n < BULK_MIN_COPY || n > INT32_MAX)
        return row_by_row(b, recs, n, batch_id, outcomes, err, errlen);
    hz_status s = copy_group(b, recs, n, batch_id, err, errlen);
    if (s != HZ_OK) return s;
    PGresult *r = pg_query(b->pg, outcome_sql, 0, NULL, err, errlen, "bulk load");
    if (!r) return pg_last_status(b->pg);
    int dup = 0, changed = 0;
    for (size_t i = 0; i < n && (int)i < PQntuples(r); i++) {
        int found = PQgetvalue(r, (int)i, 0)[0] == 't', same = PQgetvalue(r, (int)i, 1)[0] == 't';
        dup |= strcmp(PQgetvalue(r, (int)i, 2), "1") != 0;
        outcomes[i] = !found ? STORE_PUT_INSERTED : same ? STORE_PUT_UNCHANGED : STORE_PUT_REPLACED;
        changed |= outcomes[i] != STORE_PUT_UNCHANGED;
    }
    int rows = PQntuples(r);
    PQclear(r);
    if (rows != (int)n) return hz_fail(HZ_EDB, err, errlen, "bulk load: %d of %zu rows", rows, n);
    if (dup) { /* a key twice in the group: its second row must see the first */
        if (!(r = pg_query(b->pg, "TRUNCATE hz_stage", 0, NULL, err, errlen, "bulk load")))
            return pg_last_status(b->pg);
        PQclear(r);
        return row_by_row(b, recs, n, batch_id, outcomes, err, errlen);
    }
    r = PQexec(pg_conn(b->pg), apply_sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return pg_fail(b->pg, r, err, errlen, "bulk load");
    PQclear(r);
    if (changed) pg_dirty(b->pg);
    return HZ_OK;
}

hz_status pg_bulk_finish(pg_bulk *b, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    pg_bulk_free(b);
    return HZ_OK;
}

void pg_bulk_free(pg_bulk *b)
{
    if (!b) return;
    free(b->buf);
    free(b);
}

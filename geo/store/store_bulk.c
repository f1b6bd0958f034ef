/* store_bulk.c - the bulk incident write path of the SpatiaLite store (store_bulk.h).
 *
 * Why it is fast: store_incident_put() runs per row a lookup, MakePoint(), and SpatiaLite's
 * triggers (GeometryConstraints() with a sub-query, a geometry_columns_time update, an R*Tree
 * delete and RTreeAlign()). Here the triggers on incidents are dropped for the load (inside the
 * transaction, so a crash restores them), the point BLOB is built in C, a row is inserted first
 * and looked up only when the UNIQUE(source, source_id) constraint says it exists, and the
 * R*Tree receives the new rows in one INSERT ... SELECT at the end.
 *
 * Invariants (as store.c's):
 *  1. incidents.content_hash is store.c's invariant 3: the columns are bound, and the hash
 *     computed, by store_bind_incident() as store_incident_put() does.
 *  2. every incidents row with a point has exactly one idx_incidents_geom entry after
 *     store_bulk_finish(), and a row without one (an area-only incident, NULL geometry) none:
 *     rows with id > max_id0 (inserted during the load) get theirs at the end; replaced older
 *     rows get theirs updated at once. */
#include "hazmap/store_bulk.h"
#include "store_pg.h"
#include "store_sqlite.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Below this many existing rows the secondary indexes are dropped and rebuilt (a sorted build is
 * faster than a million random inserts; above it the rebuild would cost more than it saves). */
#define BULK_REBUILD_MAX_ROWS 200000

/* Parameters of one row: the incident columns (store_sqlite.h), the batch, the point BLOB. */
#define BULK_NPARAMS (STORE_INC_NPARAMS + 2)
_Static_assert(STORE_INC_NPARAMS == 22, "the ?23, ?24 and ?25 below follow the incident columns");

typedef struct saved_sql {
    char **sql;
    size_t n;
} saved_sql;

typedef struct rt_ent {
    int64_t id;
    float x0, x1, y0, y1;
} rt_ent;

static float f_down(double d)
{
    float f = (float)d;
    if ((double)f > d) f = nextafterf(f, -INFINITY);
    return f;
}

static float f_up(double d)
{
    float f = (float)d;
    if ((double)f < d) f = nextafterf(f, INFINITY);
    return f;
}

struct store_bulk {
    pg_bulk *pg; /* a PostGIS store's load (pg_bulk.c); the fields below are SpatiaLite's */
    store *st;
    sqlite3 *db;
    int64_t max_id0;
    int64_t nrows0; /* rows before the load */
    int64_t inserted;
    saved_sql triggers, indexes;
    sqlite3_stmt *ins, *find, *upd, *rt_del, *rt_ins;
    sqlite3_stmt *ins_many; /* BULK_GROUP rows per INSERT; prepared on first use */
    /* R*Tree entries of the rows inserted, kept while the table was empty before the load and
     * ids come in sequence (entry k is id max_id0 + 1 + k), so the rebuild need not read the
     * table back */
    rt_ent *mem;
    size_t nmem, capmem;
    int mem_ok;
};

static hz_status bfail(store_bulk *b, char *err, size_t errlen, const char *what)
{
    return hz_fail(store_sqlite_status(b->db), err, errlen, "%s: %s: %s", store_path(b->st), what,
                   store_sqlite_errmsg(b->db));
}

/* SpatiaLite's internal BLOB-Geometry for a POINT (SpatiaLite manual, "BLOB-Geometry format"):
 * START 0x00, byte order 0x01 (little endian), SRID int32, MBR (4 doubles), MBR_END 0x7C,
 * class int32 (1 = POINT), X, Y, END 0xFE: 60 bytes. */
static void point_blob(unsigned char out[60], double x, double y)
{
    int32_t srid = 4326, cls = 1;
    double mbr[4] = {x, y, x, y};
    out[0] = 0x00;
    out[1] = 0x01;
    memcpy(out + 2, &srid, 4);
    memcpy(out + 6, mbr, 32);
    out[38] = 0x7C;
    memcpy(out + 39, &cls, 4);
    memcpy(out + 43, &x, 8);
    memcpy(out + 51, &y, 8);
    out[59] = 0xFE;
}

static int save_sql(sqlite3 *db, const char *query, saved_sql *out)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, query, -1, &s, NULL) != SQLITE_OK) return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char **n = realloc(out->sql, (out->n + 1) * sizeof *n);
        if (!n) break;
        out->sql = n;
        if (!(out->sql[out->n] = strdup((const char *)sqlite3_column_text(s, 0)))) break;
        out->n++;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void free_sql(saved_sql *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->sql[i]);
    free(v->sql);
    v->sql = NULL;
    v->n = 0;
}

static int journal_mode(sqlite3 *db, const char *mode, char *out, size_t len)
{
    char sql[64];
    sqlite3_stmt *s;
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode);
    out[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return 0;
}

int store_bulk_journal_begin(store *st)
{
    if (store_pg(st)) return 0; /* no journal to switch */
    char got[16];
    if (journal_mode(store_sqlite(st), "DELETE", got, sizeof got) < 0) return 0;
    return strcmp(got, "delete") == 0;
}

void store_bulk_journal_end(store *st, int switched)
{
    if (store_pg(st)) return;
    char got[16];
    if (switched) journal_mode(store_sqlite(st), "WAL", got, sizeof got);
}

void store_bulk_free(store_bulk *b)
{
    if (!b) return;
    pg_bulk_free(b->pg);
    sqlite3_finalize(b->ins);
    sqlite3_finalize(b->ins_many);
    sqlite3_finalize(b->find);
    sqlite3_finalize(b->upd);
    sqlite3_finalize(b->rt_del);
    sqlite3_finalize(b->rt_ins);
    free_sql(&b->triggers);
    free_sql(&b->indexes);
    free(b->mem);
    free(b);
}

/* Runs "DROP kind name" for every object named in the saved CREATE statements' rows. */
static int drop_all(sqlite3 *db, const char *query, const char *kind)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, query, -1, &s, NULL) != SQLITE_OK) return -1;
    char **names = NULL;
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char **nn = realloc(names, (n + 1) * sizeof *nn);
        if (!nn) break;
        names = nn;
        if (!(names[n] = strdup((const char *)sqlite3_column_text(s, 1)))) break;
        n++;
    }
    sqlite3_finalize(s);
    int res = rc == SQLITE_DONE ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        /* names come from sqlite_master, quoted as identifiers; no user input */
        char *sql = sqlite3_mprintf("DROP %s \"%w\"", kind, names[i]);
        if (!sql || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) res = -1;
        sqlite3_free(sql);
        free(names[i]);
    }
    free(names);
    return res;
}

store_bulk *store_bulk_begin(store *st, char *err, size_t errlen)
{
    store_bulk *b = calloc(1, sizeof *b);
    if (!b) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    b->st = st;
    if (store_pg(st)) {
        if (!(b->pg = pg_bulk_begin(store_pg(st), err, errlen))) {
            free(b);
            return NULL;
        }
        return b;
    }
    b->db = store_sqlite(st);
    sqlite3_stmt *s;
    int64_t nrows = 0;
    if (sqlite3_prepare_v2(b->db, "SELECT coalesce(max(id),0), count(*) FROM incidents", -1, &s,
                           NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        bfail(b, err, errlen, "starting bulk load");
        store_bulk_free(b);
        return NULL;
    }
    b->max_id0 = sqlite3_column_int64(s, 0);
    nrows = sqlite3_column_int64(s, 1);
    b->nrows0 = nrows;
    b->mem_ok = nrows == 0;
    sqlite3_finalize(s);
    /* A large page cache keeps the B-trees of a million-row load in memory (about 128 MB). */
    sqlite3_exec(b->db, "PRAGMA cache_size=-131072", NULL, NULL, NULL);
    /* lets the sorter of CREATE INDEX (the rebuild at the end) use a second core */
    sqlite3_exec(b->db, "PRAGMA threads=2", NULL, NULL, NULL);
    static const char trig_q[] =
        "SELECT sql, name FROM sqlite_master WHERE type='trigger' AND lower(tbl_name)='incidents'";
    static const char idx_q[] = "SELECT sql, name FROM sqlite_master WHERE type='index' AND"
                                " lower(tbl_name)='incidents' AND sql IS NOT NULL";
    if (save_sql(b->db, trig_q, &b->triggers) < 0 || drop_all(b->db, trig_q, "TRIGGER") < 0 ||
        (nrows < BULK_REBUILD_MAX_ROWS &&
         (save_sql(b->db, idx_q, &b->indexes) < 0 || drop_all(b->db, idx_q, "INDEX") < 0))) {
        bfail(b, err, errlen, "setting aside triggers");
        store_bulk_free(b);
        return NULL;
    }
    if (sqlite3_prepare_v2(b->db,
                           "INSERT INTO incidents(" STORE_INC_COLS
                           ",batch_id,geom) VALUES(" STORE_INC_VALUES ",?23,?24)",
                           -1, &b->ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(b->db,
                           "SELECT id, content_hash FROM incidents WHERE source=? AND source_id=?",
                           -1, &b->find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            b->db, "UPDATE incidents SET " STORE_INC_SET ",batch_id=?23,geom=?24 WHERE id=?25", -1,
            &b->upd, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(b->db, "DELETE FROM idx_incidents_geom WHERE pkid=?", -1, &b->rt_del,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(b->db,
                           "INSERT INTO idx_incidents_geom(pkid,xmin,xmax,ymin,ymax)"
                           " VALUES(?1,?2,?2,?3,?3)",
                           -1, &b->rt_ins, NULL) != SQLITE_OK) {
        bfail(b, err, errlen, "preparing bulk statements");
        store_bulk_free(b);
        return NULL;
    }
    return b;
}

/* Binds r to the parameters base+1 .. base+BULK_NPARAMS of s: the columns of every incident
 * write (store_bind_incident()), then the batch and the point BLOB. Returns the content hash. */
static int64_t bind_incident_at(sqlite3_stmt *s, int base, const hz_incident_rec *r,
                                int64_t batch_id, const unsigned char *blob)
{
    int64_t hash = store_bind_incident(s, base, r);
    sqlite3_bind_int64(s, base + STORE_INC_NPARAMS + 1, batch_id);
    if (hz_rec_has_point(r))
        sqlite3_bind_blob(s, base + STORE_INC_NPARAMS + 2, blob, 60, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, base + STORE_INC_NPARAMS + 2);
    return hash;
}

/* Keeps the R*Tree entry of a newly inserted row (see mem in struct store_bulk). */
static void remember(store_bulk *b, int64_t id, double lon, double lat)
{
    if (id != b->max_id0 + 1 + (int64_t)b->nmem) {
        b->mem_ok = 0; /* ids out of sequence: read the table back at the end instead */
        return;
    }
    if (b->nmem == b->capmem) {
        size_t n = b->capmem ? b->capmem * 2 : 4096;
        rt_ent *m = realloc(b->mem, n * sizeof *m);
        if (!m) {
            b->mem_ok = 0;
            return;
        }
        b->mem = m;
        b->capmem = n;
    }
    /* a row without a point keeps its place (ids stay in sequence) marked NaN: rt_entries()
     * drops it */
    if (!isfinite(lon) || !isfinite(lat))
        b->mem[b->nmem++] = (rt_ent){id, NAN, NAN, NAN, NAN};
    else
        b->mem[b->nmem++] = (rt_ent){id, f_down(lon), f_up(lon), f_down(lat), f_up(lat)};
}

/* Drops the entries of rows without a point (NaN boxes) from ents[0..*n), keeping the order. */
static void drop_pointless(rt_ent *ents, int64_t *n)
{
    int64_t out = 0;
    for (int64_t i = 0; i < *n; i++)
        if (!isnan(ents[i].x0)) ents[out++] = ents[i];
    *n = out;
}

hz_status store_bulk_put(store_bulk *b, const hz_incident_rec *r, int64_t batch_id,
                         store_put_outcome *outcome, char *err, size_t errlen)
{
    if (b->pg) return pg_bulk_put_many(b->pg, &r, 1, batch_id, outcome, err, errlen);
    unsigned char blob[60];
    point_blob(blob, r->lon, r->lat);
    sqlite3_stmt *s = b->ins;
    int64_t hash = bind_incident_at(s, 0, r, batch_id, blob);
    int rc = sqlite3_step(s);
    int ext = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(b->db);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        if (b->mem_ok) remember(b, sqlite3_last_insert_rowid(b->db), r->lon, r->lat);
        b->inserted++;
        *outcome = STORE_PUT_INSERTED;
        return HZ_OK;
    }
    if (ext != SQLITE_CONSTRAINT_UNIQUE) {
        hz_status st = bfail(b, err, errlen, "inserting incident");
        sqlite3_reset(s);
        return st;
    }
    sqlite3_reset(s);
    /* (source, source_id) exists: unchanged, or replace it */
    sqlite3_stmt *f = b->find;
    sqlite3_bind_text(f, 1, r->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(f, 2, r->source_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(f);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(f);
        return bfail(b, err, errlen, "looking up incident");
    }
    int64_t id = sqlite3_column_int64(f, 0), old = sqlite3_column_int64(f, 1);
    sqlite3_reset(f);
    if (old == hash) {
        *outcome = STORE_PUT_UNCHANGED;
        return HZ_OK;
    }
    bind_incident_at(b->upd, 0, r, batch_id, blob);
    sqlite3_bind_int64(b->upd, BULK_NPARAMS + 1, id);
    rc = sqlite3_step(b->upd);
    sqlite3_reset(b->upd);
    if (rc != SQLITE_DONE) return bfail(b, err, errlen, "replacing incident");
    if (batch_id <= 0 && store_sqlite_unbatched(b->db) != SQLITE_OK)
        return bfail(b, err, errlen, "replacing incident");
    if (id > b->max_id0 && b->mem_ok && (size_t)(id - b->max_id0 - 1) < b->nmem) {
        rt_ent *e = &b->mem[id - b->max_id0 - 1];
        int p = hz_rec_has_point(r);
        e->x0 = p ? f_down(r->lon) : NAN;
        e->x1 = p ? f_up(r->lon) : NAN;
        e->y0 = p ? f_down(r->lat) : NAN;
        e->y1 = p ? f_up(r->lat) : NAN;
    }
    if (id <= b->max_id0) {
        /* an older row: its R*Tree entry moves now (new rows get theirs at the end) */
        sqlite3_bind_int64(b->rt_del, 1, id);
        rc = sqlite3_step(b->rt_del);
        sqlite3_reset(b->rt_del);
        if (rc == SQLITE_DONE && hz_rec_has_point(r)) {
            sqlite3_bind_int64(b->rt_ins, 1, id);
            sqlite3_bind_double(b->rt_ins, 2, r->lon);
            sqlite3_bind_double(b->rt_ins, 3, r->lat);
            rc = sqlite3_step(b->rt_ins);
            sqlite3_reset(b->rt_ins);
        }
        if (rc != SQLITE_DONE) return bfail(b, err, errlen, "updating the spatial index");
    }
    *outcome = STORE_PUT_REPLACED;
    return HZ_OK;
}

/* Rows per multi-row INSERT (BULK_NPARAMS parameters each; SQLite allows 32766). */
#define BULK_GROUP 32

static int prepare_many(store_bulk *b)
{
    /* each row: "(" and BULK_NPARAMS "?NNNN," at most 7 bytes */
    char sql[256 + BULK_GROUP * 7 * BULK_NPARAMS];
    size_t len = (size_t)snprintf(sql, sizeof sql,
                                  "INSERT INTO incidents(" STORE_INC_COLS ",batch_id,geom) VALUES");
    for (int k = 0; k < BULK_GROUP; k++) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(", k ? "," : "");
        for (int j = 1; j <= BULK_NPARAMS; j++)
            len += (size_t)snprintf(sql + len, sizeof sql - len, "?%d%s", k * BULK_NPARAMS + j,
                                    j < BULK_NPARAMS ? "," : ")");
        if (len >= sizeof sql - 200) return -1;
    }
    return sqlite3_prepare_v2(b->db, sql, -1, &b->ins_many, NULL) == SQLITE_OK ? 0 : -1;
}

hz_status store_bulk_put_many(store_bulk *b, const hz_incident_rec *const *recs, size_t n,
                              int64_t batch_id, store_put_outcome *outcomes, char *err,
                              size_t errlen)
{
    if (b->pg) return pg_bulk_put_many(b->pg, recs, n, batch_id, outcomes, err, errlen);
    size_t i = 0;
    while (i < n) {
        if (b->mem_ok && n - i >= BULK_GROUP && (b->ins_many || prepare_many(b) == 0)) {
            unsigned char blobs[BULK_GROUP][60];
            for (int k = 0; k < BULK_GROUP; k++) {
                const hz_incident_rec *r = recs[i + (size_t)k];
                point_blob(blobs[k], r->lon, r->lat);
                bind_incident_at(b->ins_many, BULK_NPARAMS * k, r, batch_id, blobs[k]);
            }
            int rc = sqlite3_step(b->ins_many);
            int ext = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(b->db);
            sqlite3_reset(b->ins_many);
            if (rc == SQLITE_DONE) {
                /* one statement, consecutive new row ids ending at the last insert rowid */
                int64_t last = sqlite3_last_insert_rowid(b->db);
                for (int k = 0; k < BULK_GROUP; k++) {
                    const hz_incident_rec *r = recs[i + (size_t)k];
                    remember(b, last - BULK_GROUP + 1 + k, r->lon, r->lat);
                    outcomes[i + (size_t)k] = STORE_PUT_INSERTED;
                }
                b->inserted += BULK_GROUP;
                i += BULK_GROUP;
                continue;
            }
            if (ext != SQLITE_CONSTRAINT_UNIQUE)
                return bfail(b, err, errlen, "inserting incidents");
            /* a duplicate key in the group: nothing of it was written; one by one below */
            for (int k = 0; k < BULK_GROUP && i < n; k++, i++) {
                hz_status s = store_bulk_put(b, recs[i], batch_id, &outcomes[i], err, errlen);
                if (s != HZ_OK) return s;
            }
            continue;
        }
        hz_status s = store_bulk_put(b, recs[i], batch_id, &outcomes[i], err, errlen);
        if (s != HZ_OK) return s;
        i++;
    }
    return HZ_OK;
}

/* ---- R*Tree bulk load ----
 *
 * SQLite's rtree module keeps a tree in three shadow tables (ext/rtree/rtree.c, header comment):
 * %_node(nodeno, data) with node 1 the root, %_rowid(rowid, nodeno) for every leaf entry and
 * %_parent(nodeno, parentnode) for every other node. A node's data is the root's fixed size:
 * 2 bytes tree depth (root only; big-endian), 2 bytes entry count, then entries of an 8-byte
 * big-endian id and 4 big-endian 32-bit float coordinates (xmin, xmax, ymin, ymax), lower bounds
 * rounded down and upper bounds up. Inserting a million entries one at a time costs a descent and
 * R* re-insertions each; instead the tree is packed with Sort-Tile-Recursive (Leutenegger, Lopez
 * and Edgington, "STR: a simple and efficient algorithm for R-tree packing", ICDE 1997) and
 * written node by node. SQLite's rtreecheck() verifies the result (tests/check_import.c). */

static int cmp_x(const void *pa, const void *pb)
{
    const rt_ent *a = pa, *b = pb;
    float ca = a->x0 + a->x1, cb = b->x0 + b->x1;
    return ca < cb ? -1 : ca > cb;
}

static int cmp_y(const void *pa, const void *pb)
{
    const rt_ent *a = pa, *b = pb;
    float ca = a->y0 + a->y1, cb = b->y0 + b->y1;
    return ca < cb ? -1 : ca > cb;
}

static void put_be64(unsigned char *p, int64_t v)
{
    for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
        p[i] = (unsigned char)(v & 0xff);
}

static void put_bef(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    p[0] = (unsigned char)(u >> 24);
    p[1] = (unsigned char)(u >> 16);
    p[2] = (unsigned char)(u >> 8);
    p[3] = (unsigned char)u;
}

/* Rows per multi-row INSERT into %_rowid. */
#define RT_ROWS_PER_INSERT 200

typedef struct rt_writer {
    sqlite3_stmt *node, *rowid, *parent;
    unsigned char *buf;
    int node_size, per_node;
    int64_t next_node;
    /* leaf node of each entry, indexed by id - idmin: the %_rowid rows are written afterwards in
     * id order, appending to the B-tree instead of inserting at random places */
    int64_t *leaf_of, idmin;
    size_t range;
} rt_writer;

/* Writes one node holding ents[0..n); returns its bounding entry (id = node number). */
static int write_node(rt_writer *w, const rt_ent *ents, int n, int leaf, int depth, int root,
                      rt_ent *box)
{
    memset(w->buf, 0, (size_t)w->node_size);
    int64_t no = root ? 1 : w->next_node++;
    if (root) {
        w->buf[0] = (unsigned char)(depth >> 8);
        w->buf[1] = (unsigned char)depth;
    }
    w->buf[2] = (unsigned char)(n >> 8);
    w->buf[3] = (unsigned char)n;
    rt_ent bb = {no, INFINITY, -INFINITY, INFINITY, -INFINITY};
    for (int i = 0; i < n; i++) {
        unsigned char *c = w->buf + 4 + 24 * i;
        put_be64(c, ents[i].id);
        put_bef(c + 8, ents[i].x0);
        put_bef(c + 12, ents[i].x1);
        put_bef(c + 16, ents[i].y0);
        put_bef(c + 20, ents[i].y1);
        bb.x0 = fminf(bb.x0, ents[i].x0);
        bb.x1 = fmaxf(bb.x1, ents[i].x1);
        bb.y0 = fminf(bb.y0, ents[i].y0);
        bb.y1 = fmaxf(bb.y1, ents[i].y1);
        if (leaf && w->leaf_of) {
            w->leaf_of[ents[i].id - w->idmin] = no;
            continue;
        }
        sqlite3_stmt *s = leaf ? w->rowid : w->parent;
        sqlite3_bind_int64(s, 1, ents[i].id);
        sqlite3_bind_int64(s, 2, no);
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) return -1;
    }
    sqlite3_bind_int64(w->node, 1, no);
    sqlite3_bind_blob(w->node, 2, w->buf, w->node_size, SQLITE_STATIC);
    int rc = sqlite3_step(w->node);
    sqlite3_reset(w->node);
    *box = bb;
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The leaf level's STR order: by x, then each vertical slice of slices * m entries by y. */
static void str_order(rt_ent *ents, size_t n, size_t m)
{
    if (n <= m) return;
    size_t pages = (n + m - 1) / m;
    size_t per_slice = (size_t)ceil(sqrt((double)pages)) * m;
    qsort(ents, n, sizeof *ents, cmp_x);
    for (size_t s0 = 0; s0 < n; s0 += per_slice)
        qsort(ents + s0, n - s0 < per_slice ? n - s0 : per_slice, sizeof *ents, cmp_y);
}

typedef struct str_job {
    rt_ent *ents;
    size_t n, m;
} str_job;

static void *str_thread(void *ud)
{
    str_job *j = ud;
    str_order(j->ents, j->n, j->m);
    return NULL;
}

/* Packs one level: ents[0..n) into nodes, whose boxes replace ents[0..*nout). With presorted,
 * ents are already in str_order(). */
static int pack_level(rt_writer *w, rt_ent *ents, size_t n, int leaf, int depth, int presorted,
                      size_t *nout)
{
    size_t m = (size_t)w->per_node;
    if (n <= m) {
        rt_ent box;
        if (write_node(w, ents, (int)n, leaf, depth, 1, &box) < 0) return -1;
        *nout = 1;
        return 0;
    }
    size_t pages = (n + m - 1) / m;
    size_t slices = (size_t)ceil(sqrt((double)pages));
    size_t per_slice = slices * m;
    if (!presorted) str_order(ents, n, m);
    size_t out = 0;
    for (size_t s0 = 0; s0 < n; s0 += per_slice) {
        size_t sn = n - s0 < per_slice ? n - s0 : per_slice;
        for (size_t k = 0; k < sn; k += m) {
            int cnt = (int)(sn - k < m ? sn - k : m);
            rt_ent box;
            if (write_node(w, ents + s0 + k, cnt, leaf, depth, 0, &box) < 0) return -1;
            assert(out <= s0 + k); /* never overwrites unread entries */
            ents[out++] = box;
        }
    }
    *nout = out;
    return 0;
}

/* Recreates the secondary indexes dropped by store_bulk_begin() (once). */
static hz_status rebuild_indexes(store_bulk *b, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->indexes.n; i++)
        if (sqlite3_exec(b->db, b->indexes.sql[i], NULL, NULL, NULL) != SQLITE_OK)
            return bfail(b, err, errlen, "rebuilding an index");
    free_sql(&b->indexes);
    return HZ_OK;
}

/* The byte size of an R*Tree node: the root's, which SQLite created with the table. -1 on a
 * database error. */
static int rt_node_size(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    int size = -1;
    if (sqlite3_prepare_v2(db, "SELECT length(data) FROM idx_incidents_geom_node WHERE nodeno=1",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        size = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return size;
}

/* The entries of every incidents row into *ents (n of them; NULL when out of memory): the
 * remembered ones when the table was empty before the load, else read back from the table.
 * -1 on a database error. */
static int rt_entries(store_bulk *b, rt_ent **ents, int64_t *n)
{
    if (b->mem_ok && (int64_t)b->nmem == b->inserted) {
        /* the table was empty: its rows are exactly the remembered ones, entry k id
         * max_id0 + 1 + k (see mem in struct store_bulk) */
        *ents = b->mem;
        *n = (int64_t)b->nmem;
        b->mem = NULL;
        assert(*n == 0 ||
               ((*ents)[0].id == b->max_id0 + 1 && (*ents)[*n - 1].id == b->max_id0 + *n));
        drop_pointless(*ents, n);
        return 0;
    }
    sqlite3_stmt *s = NULL;
    int rc = -1;
    *ents = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(b->db, "SELECT count(*) FROM incidents WHERE lon IS NOT NULL", -1, &s,
                           NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        goto out;
    int64_t count = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    *ents = malloc((size_t)(count ? count : 1) * sizeof **ents);
    if (*ents &&
        sqlite3_prepare_v2(b->db, "SELECT id, lon, lat FROM incidents WHERE lon IS NOT NULL", -1,
                           &s, NULL) != SQLITE_OK)
        goto out;
    int64_t k = 0;
    while (*ents && k < count && sqlite3_step(s) == SQLITE_ROW) {
        double x = sqlite3_column_double(s, 1), y = sqlite3_column_double(s, 2);
        (*ents)[k] = (rt_ent){sqlite3_column_int64(s, 0), f_down(x), f_up(x), f_down(y), f_up(y)};
        k++;
    }
    *n = k;
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

/* Empties the tree's shadow tables and prepares w's statements. -1 on a database error. */
static int rt_writer_open(sqlite3 *db, rt_writer *w)
{
    if (sqlite3_exec(db,
                     "DELETE FROM idx_incidents_geom_node; DELETE FROM idx_incidents_geom_rowid;"
                     " DELETE FROM idx_incidents_geom_parent",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO idx_incidents_geom_node(nodeno,data) VALUES(?,?)", -1,
                           &w->node, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO idx_incidents_geom_rowid(rowid,nodeno) VALUES(?,?)", -1,
                           &w->rowid, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO idx_incidents_geom_parent(nodeno,parentnode) VALUES(?,?)",
                           -1, &w->parent, NULL) != SQLITE_OK)
        return -1;
    return 0;
}

/* w's leaf_of map over the entries' id range: ids are unique row ids, dense when the table has
 * seen few deletions. Sparse ids (or no memory) leave range 0: write_node() then writes the
 * %_rowid rows node by node. */
static void rt_leaf_map(rt_writer *w, const rt_ent *ents, int64_t n)
{
    int64_t idmax = 0;
    w->idmin = n ? ents[0].id : 0;
    for (int64_t i = 0; i < n; i++) {
        if (ents[i].id < w->idmin) w->idmin = ents[i].id;
        if (ents[i].id > idmax) idmax = ents[i].id;
    }
    w->range = n ? (size_t)(idmax - w->idmin + 1) : 0;
    if (w->range > 0 && w->range <= 4 * (size_t)n + 4096)
        w->leaf_of = calloc(w->range, sizeof *w->leaf_of);
    if (!w->leaf_of) w->range = 0;
}

/* Sorts the leaf level into STR order on a second core while SQLite rebuilds the secondary
 * indexes on this one. */
static hz_status rt_sort_and_reindex(store_bulk *b, rt_ent *ents, int64_t n, int per_node,
                                     char *err, size_t errlen)
{
    str_job job = {ents, (size_t)n, (size_t)per_node};
    pthread_t th;
    int threaded = pthread_create(&th, NULL, str_thread, &job) == 0;
    if (!threaded) str_order(ents, (size_t)n, (size_t)per_node);
    hz_status ir = rebuild_indexes(b, err, errlen);
    if (threaded) pthread_join(th, NULL);
    return ir;
}

/* Packs the sorted entries into nodes level by level, up to the root. -1 on a database error. */
static int rt_pack(rt_writer *w, rt_ent *ents, int64_t n)
{
    w->next_node = 2;
    size_t level_n = (size_t)n;
    int depth = 0, leaf = 1;
    for (;;) {
        size_t out = 0;
        if (pack_level(w, ents, level_n, leaf, depth, leaf, &out) < 0) return -1;
        if (level_n <= (size_t)w->per_node) return 0; /* that was the root */
        level_n = out;
        leaf = 0;
        depth++;
    }
}

/* The %_rowid rows of leaf_of in id order, RT_ROWS_PER_INSERT rows per statement (fewer VDBE
 * round trips), the remainder one by one. -1 on a database error. */
static int rt_write_rowids(sqlite3 *db, rt_writer *w, int64_t n)
{
    sqlite3_stmt *multi = NULL;
    char sql[64 + RT_ROWS_PER_INSERT * 8];
    size_t len = (size_t)snprintf(sql, sizeof sql,
                                  "INSERT INTO idx_incidents_geom_rowid(rowid,nodeno) VALUES");
    for (int k = 0; k < RT_ROWS_PER_INSERT; k++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(?,?)", k ? "," : "");
    if (sqlite3_prepare_v2(db, sql, -1, &multi, NULL) != SQLITE_OK) return -1;
    int nb = 0;
    size_t rows = 0;
    for (size_t i = 0; i < w->range; i++) {
        if (!w->leaf_of[i]) continue;
        rows++;
        sqlite3_bind_int64(multi, 2 * nb + 1, w->idmin + (int64_t)i);
        sqlite3_bind_int64(multi, 2 * nb + 2, w->leaf_of[i]);
        if (++nb < RT_ROWS_PER_INSERT) continue;
        nb = 0;
        int rc = sqlite3_step(multi);
        sqlite3_reset(multi);
        if (rc != SQLITE_DONE) {
            sqlite3_finalize(multi);
            return -1;
        }
    }
    sqlite3_finalize(multi);
    /* invariant 2: every row with a point has exactly one entry */
    assert(w->range == 0 || rows == (size_t)n);
    /* the remainder */
    for (size_t i = w->range; nb > 0 && i-- > 0;) {
        if (!w->leaf_of[i]) continue;
        sqlite3_bind_int64(w->rowid, 1, w->idmin + (int64_t)i);
        sqlite3_bind_int64(w->rowid, 2, w->leaf_of[i]);
        int rc = sqlite3_step(w->rowid);
        sqlite3_reset(w->rowid);
        if (rc != SQLITE_DONE) return -1;
        nb--;
    }
    return 0;
}

/* Replaces the whole spatial index of incidents with an STR-packed one (and rebuilds the
 * secondary indexes meanwhile): the stages above in order, one cleanup path. */
static hz_status rtree_rebuild(store_bulk *b, char *err, size_t errlen)
{
    rt_ent *ents = NULL;
    rt_writer w = {0};
    int64_t n = 0;
    hz_status res;
    w.node_size = rt_node_size(b->db);
    w.per_node = (w.node_size - 4) / 24;
    if (w.per_node < 4) goto fail;
    w.buf = malloc((size_t)w.node_size);
    if (rt_entries(b, &ents, &n) < 0) goto fail;
    if (!ents || !w.buf) {
        res = hz_fail(HZ_ENOMEM, err, errlen, "out of memory building the spatial index");
        goto out;
    }
    if (rt_writer_open(b->db, &w) < 0) goto fail;
    rt_leaf_map(&w, ents, n);
    res = rt_sort_and_reindex(b, ents, n, w.per_node, err, errlen);
    if (res != HZ_OK) goto out;
    if (rt_pack(&w, ents, n) < 0 || rt_write_rowids(b->db, &w, n) < 0) goto fail;
    res = HZ_OK;
    goto out;
fail:
    res = bfail(b, err, errlen, "building the spatial index");
out:
    sqlite3_finalize(w.node);
    sqlite3_finalize(w.rowid);
    sqlite3_finalize(w.parent);
    free(w.buf);
    free(w.leaf_of);
    free(ents);
    return res;
}

hz_status store_bulk_finish(store_bulk *b, char *err, size_t errlen)
{
    if (b->pg) {
        hz_status ps = pg_bulk_finish(b->pg, err, errlen);
        b->pg = NULL;
        store_bulk_free(b);
        return ps;
    }
    hz_status res = HZ_OK;
    sqlite3_stmt *s = NULL;
    /* R*Tree coordinates are 32-bit floats; SQLite's rtree rounds lower bounds down and upper
     * bounds up on insert (rtreeValueDown/Up), the same alignment RTreeAlign() gives. */
    if (b->inserted > 0 && b->inserted >= b->nrows0 / 4) {
        /* many new rows: pack the whole tree afresh */
        if ((res = rtree_rebuild(b, err, errlen)) != HZ_OK) goto out;
    } else if (b->inserted > 0) {
        if (sqlite3_prepare_v2(b->db,
                               "INSERT INTO idx_incidents_geom(pkid,xmin,xmax,ymin,ymax)"
                               " SELECT id,lon,lon,lat,lat FROM incidents"
                               " WHERE id > ? AND lon IS NOT NULL",
                               -1, &s, NULL) != SQLITE_OK) {
            res = bfail(b, err, errlen, "filling the spatial index");
            goto out;
        }
        sqlite3_bind_int64(s, 1, b->max_id0);
        if (sqlite3_step(s) != SQLITE_DONE) {
            res = bfail(b, err, errlen, "filling the spatial index");
            goto out;
        }
    }
    if ((res = rebuild_indexes(b, err, errlen)) != HZ_OK) goto out;
    for (size_t i = 0; i < b->triggers.n; i++)
        if (sqlite3_exec(b->db, b->triggers.sql[i], NULL, NULL, NULL) != SQLITE_OK) {
            res = bfail(b, err, errlen, "restoring a trigger");
            goto out;
        }
    if (b->inserted > 0)
        sqlite3_exec(b->db,
                     "UPDATE geometry_columns_time SET last_insert ="
                     " strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE lower(f_table_name)='incidents'",
                     NULL, NULL, NULL);
out:
    sqlite3_finalize(s);
    store_bulk_free(b);
    return res;
}

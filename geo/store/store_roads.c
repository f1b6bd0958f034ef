/* store_roads.c - the road network tables of the store (store.h, "roads"): a source's nodes and
 * segments written whole, read back in id order.
 *
 * Tables: road_nodes (store-wide id, source, the node's id within its source, degree, POINT),
 * road_segments (LINESTRING EPSG:4326, source, source_id, from_node and to_node as road_nodes
 * ids, attributes, length_m, extra JSON) and road_sources (source, content hash).
 *
 * Invariants:
 *  1. road_sources.content_hash is the FNV-1a hash of everything store_roads_put() was given for
 *     the source (nodes and segments, in order, every field and every coordinate bit), computed
 *     by roads_hash() alone: equal hashes mean the same network, which is then left unwritten
 *     (no row changes, so store_commit() keeps the data version).
 *  2. Every road_segments.from_node/to_node is the id of a road_nodes row of the same source
 *     (checked before anything is written; the foreign keys hold it afterwards).
 *  3. A source's rows are replaced together: all its segments and nodes are deleted before the
 *     new ones are inserted, in the caller's transaction. */
#include "hazmap/store.h"
#include "hazmap/wkb.h"
#include "store_pg.h"
#include "schema.h"
#include "store_sqlite.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static hz_status roads_fail(store *st, char *err, size_t errlen, const char *what)
{
    sqlite3 *db = store_sqlite(st);
    hz_status s = store_sqlite_status(db);
    return hz_fail(s, err, errlen, "%s: %s: %s", store_path(st), what,
                   s == HZ_ELIMIT ? "query time limit reached" : store_sqlite_errmsg(db));
}

hz_status store_roads_ensure(store *st, char *err, size_t errlen)
{
    if (store_pg(st)) return HZ_OK;
    sqlite3 *db = store_sqlite(st);
    int has = store_has_table(db, "road_sources");
    if (has < 0) return roads_fail(st, err, errlen, "reading the schema");
    if (has) return HZ_OK;
    /* Looked at again under the write lock: another connection may have made them meanwhile. */
    char *msg = NULL, *ddl = schema_create_sql(SCHEMA_SQLITE, SCHEMA_ROADS, 0);
    if (!ddl) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
    if (rc == SQLITE_OK) has = store_has_table(db, "road_sources");
    if (rc == SQLITE_OK && has == 0) rc = sqlite3_exec(db, ddl, NULL, NULL, &msg);
    free(ddl);
    if (rc == SQLITE_OK && has >= 0) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK || has < 0) {
        hz_status s = store_sqlite_status(db);
        hz_fail(s, err, errlen, "%s: creating the road tables: %s", store_path(st),
                msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return s;
    }
    return HZ_OK;
}

/* ---- the content hash (invariant 1) ---- */

/* FNV-1a, 64 bit (Fowler, Noll, Vo), as store.c's incident hash. */
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

static uint64_t fnv_i64(uint64_t h, int64_t v)
{
    return fnv(h, &v, sizeof v);
}

static uint64_t fnv_dbl(uint64_t h, double v)
{
    if (isnan(v)) v = NAN; /* one NaN: unknown is unknown */
    return fnv(h, &v, sizeof v);
}

static int64_t roads_hash(size_t n, const hz_road_node_rec *nodes, size_t m,
                          const hz_road_seg_rec *segs)
{
    uint64_t h = 14695981039346656037ULL;
    h = fnv_i64(fnv_i64(h, (int64_t)n), (int64_t)m);
    for (size_t i = 0; i < n; i++) {
        const hz_road_node_rec *a = &nodes[i];
        h = fnv_i64(fnv_i64(h, a->node), a->degree);
        h = fnv_dbl(fnv_dbl(h, a->lon), a->lat);
    }
    for (size_t i = 0; i < m; i++) {
        const hz_road_seg_rec *r = &segs[i];
        h = fnv_str(h, r->source_id);
        h = fnv_i64(fnv_i64(h, r->from_node), r->to_node);
        h = fnv_str(fnv_str(h, r->name), r->cls);
        h = fnv_i64(fnv_i64(h, r->oneway), r->lanes);
        h = fnv_dbl(fnv_dbl(fnv_dbl(h, r->maxspeed_kmh), r->volume), r->length_m);
        h = fnv_str(h, r->extra);
        h = fnv_i64(h, (int64_t)r->npts);
        for (size_t k = 0; k < r->npts; k++)
            h = fnv_dbl(fnv_dbl(h, r->lon[k]), r->lat[k]);
    }
    return (int64_t)h;
}

/* ---- writing ---- */

/* Node ids in sorted order with their index in the caller's array, for the segments' lookups. */
typedef struct node_key {
    int64_t node;
    size_t idx;
} node_key;

static int key_cmp(const void *a, const void *b)
{
    int64_t x = ((const node_key *)a)->node, y = ((const node_key *)b)->node;
    return (x > y) - (x < y);
}

static const node_key *key_find(const node_key *keys, size_t n, int64_t node)
{
    node_key k = {node, 0};
    return bsearch(&k, keys, n, sizeof *keys, key_cmp);
}

/* Invariant 2, before anything is written: node ids unique, every segment's ends among them,
 * at least 2 finite vertices and a positive length. Returns the sorted keys (free()) or NULL. */
static node_key *check_network(const char *source, size_t n, const hz_road_node_rec *nodes,
                               size_t m, const hz_road_seg_rec *segs, hz_status *s, char *err,
                               size_t errlen)
{
    node_key *keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys) {
        *s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (node_key){nodes[i].node, i};
    qsort(keys, n, sizeof *keys, key_cmp);
    *s = HZ_OK;
    for (size_t i = 1; i < n && *s == HZ_OK; i++)
        if (keys[i].node == keys[i - 1].node)
            *s = hz_fail(HZ_EINVAL, err, errlen, "roads of %s: node %lld given twice", source,
                         (long long)keys[i].node);
    for (size_t i = 0; i < m && *s == HZ_OK; i++) {
        const hz_road_seg_rec *r = &segs[i];
        if (!r->source_id || r->npts < 2 || !(r->length_m > 0) || !isfinite(r->length_m) ||
            (r->oneway != 0 && r->oneway != 1 && r->oneway != -1))
            *s = hz_fail(HZ_EINVAL, err, errlen,
                         "roads of %s: segment %zu: no id, fewer than 2 vertices, no length or a "
                         "bad one-way value",
                         source, i);
        else if (!key_find(keys, n, r->from_node) || !key_find(keys, n, r->to_node))
            *s = hz_fail(HZ_EINVAL, err, errlen, "roads of %s: segment %s: end node not given",
                         source, r->source_id);
    }
    if (*s != HZ_OK) {
        free(keys);
        return NULL;
    }
    return keys;
}

/* Little-endian WKB LINESTRING of r's vertices (OGC SFA 8.2.6); the caller frees it. */
unsigned char *store_road_line_wkb(const hz_road_seg_rec *r, size_t *len)
{
    *len = 9 + 16 * r->npts;
    unsigned char *b = malloc(*len), *p = b;
    if (!b) return NULL;
    uint32_t type = 2, np = (uint32_t)r->npts;
    *p++ = 1;
    for (int k = 0; k < 4; k++)
        *p++ = (unsigned char)(type >> (8 * k));
    for (int k = 0; k < 4; k++)
        *p++ = (unsigned char)(np >> (8 * k));
    for (size_t i = 0; i < r->npts; i++) {
        double xy[2] = {r->lon[i], r->lat[i]};
        for (int c = 0; c < 2; c++) {
            uint64_t u;
            memcpy(&u, &xy[c], 8);
            for (int k = 0; k < 8; k++)
                *p++ = (unsigned char)(u >> (8 * k));
        }
    }
    return b;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bind_real_or_null(sqlite3_stmt *s, int i, double v)
{
    if (isfinite(v) && v > 0)
        sqlite3_bind_double(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

/* One statement run once with its bindings; SQLITE_DONE or the error. */
static int step_once(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
}

/* Invariant 3: deletes the source's rows. */
static hz_status delete_source(store *st, const char *source, char *err, size_t errlen)
{
    static const char *const sql[] = {"DELETE FROM road_segments WHERE source=?",
                                      "DELETE FROM road_nodes WHERE source=?",
                                      "DELETE FROM road_sources WHERE source=?"};
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(store_sqlite(st), sql[i], -1, &s, NULL) != SQLITE_OK)
            return roads_fail(st, err, errlen, "replacing roads");
        sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) return roads_fail(st, err, errlen, "replacing roads");
    }
    return HZ_OK;
}

/* Inserts the nodes; ids[i] receives node i's store-wide id. */
static hz_status insert_nodes(store *st, const char *source, size_t n,
                              const hz_road_node_rec *nodes, int64_t *ids, char *err, size_t errlen)
{
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO road_nodes(source,node,degree,geom)"
                           " VALUES(?,?,?,MakePoint(?,?,4326))",
                           -1, &s, NULL) != SQLITE_OK)
        return roads_fail(st, err, errlen, "storing road nodes");
    hz_status res = HZ_OK;
    for (size_t i = 0; i < n && res == HZ_OK; i++) {
        sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, nodes[i].node);
        sqlite3_bind_int64(s, 3, nodes[i].degree);
        sqlite3_bind_double(s, 4, nodes[i].lon);
        sqlite3_bind_double(s, 5, nodes[i].lat);
        if (step_once(s) != SQLITE_DONE)
            res = roads_fail(st, err, errlen, "storing road nodes");
        else
            ids[i] = sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(s);
    return res;
}

static hz_status insert_segs(store *st, const char *source, size_t m, const hz_road_seg_rec *segs,
                             const node_key *keys, size_t n, const int64_t *ids, char *err,
                             size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "INSERT INTO road_segments(source,source_id,from_node,to_node,name,"
                           "class,oneway,lanes,maxspeed,volume,length_m,extra,geom)"
                           " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,GeomFromWKB(?,4326))",
                           -1, &s, NULL) != SQLITE_OK)
        return roads_fail(st, err, errlen, "storing road segments");
    hz_status res = HZ_OK;
    for (size_t i = 0; i < m && res == HZ_OK; i++) {
        const hz_road_seg_rec *r = &segs[i];
        size_t len;
        unsigned char *wkb = store_road_line_wkb(r, &len);
        if (!wkb) {
            res = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
            break;
        }
        sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, r->source_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, ids[key_find(keys, n, r->from_node)->idx]);
        sqlite3_bind_int64(s, 4, ids[key_find(keys, n, r->to_node)->idx]);
        bind_text_or_null(s, 5, r->name);
        bind_text_or_null(s, 6, r->cls);
        sqlite3_bind_int(s, 7, r->oneway);
        if (r->lanes >= 0)
            sqlite3_bind_int(s, 8, r->lanes);
        else
            sqlite3_bind_null(s, 8);
        bind_real_or_null(s, 9, r->maxspeed_kmh);
        bind_real_or_null(s, 10, r->volume);
        sqlite3_bind_double(s, 11, r->length_m);
        bind_text_or_null(s, 12, r->extra);
        sqlite3_bind_blob(s, 13, wkb, (int)len, SQLITE_STATIC);
        if (step_once(s) != SQLITE_DONE) res = roads_fail(st, err, errlen, "storing road segment");
        sqlite3_clear_bindings(s);
        free(wkb);
    }
    sqlite3_finalize(s);
    return res;
}

/* The stored hash of source: 1 and *hash when the source has roads, 0 when not, -1 on error. */
static int stored_hash(store *st, const char *source, int64_t *hash)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st), "SELECT content_hash FROM road_sources WHERE source=?",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *hash = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static hz_status put_hash(store *st, const char *source, int64_t hash, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "INSERT INTO road_sources(source,content_hash) VALUES(?,?)", -1, &s,
                           NULL) != SQLITE_OK)
        return roads_fail(st, err, errlen, "storing road source");
    sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, hash);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? HZ_OK : roads_fail(st, err, errlen, "storing road source");
}

hz_status store_roads_put(store *st, const char *source, size_t n, const hz_road_node_rec *nodes,
                          size_t m, const hz_road_seg_rec *segs, store_put_outcome *outcome,
                          char *err, size_t errlen)
{
    assert(source && (n == 0 || nodes) && (m == 0 || segs));
    int64_t hash = roads_hash(n, nodes, m, segs), old = 0;
    pgstore *pg = store_pg(st);
    int had = pg ? pg_roads_hash(pg, source, &old) : stored_hash(st, source, &old);
    if (had < 0 && pg)
        return hz_fail(pg_last_status(pg), err, errlen, "%s: reading road sources", store_path(st));
    if (had < 0) return roads_fail(st, err, errlen, "reading road sources");
    if (had && old == hash) {
        *outcome = STORE_PUT_UNCHANGED;
        return HZ_OK;
    }
    hz_status s;
    node_key *keys = check_network(source, n, nodes, m, segs, &s, err, errlen);
    if (!keys) return s;
    if (pg) { /* the same checks and hash; the rows are pg_more.c's */
        size_t *ends = malloc((m ? 2 * m : 1) * sizeof *ends);
        for (size_t i = 0; ends && i < m; i++) {
            ends[2 * i] = key_find(keys, n, segs[i].from_node)->idx;
            ends[2 * i + 1] = key_find(keys, n, segs[i].to_node)->idx;
        }
        s = ends ? pg_roads_write(pg, source, hash, n, nodes, m, segs, ends, err, errlen)
                 : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        if (s == HZ_OK) *outcome = had ? STORE_PUT_REPLACED : STORE_PUT_INSERTED;
        free(ends);
        free(keys);
        return s;
    }
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    s = ids ? delete_source(st, source, err, errlen)
            : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (s == HZ_OK) s = insert_nodes(st, source, n, nodes, ids, err, errlen);
    if (s == HZ_OK) s = insert_segs(st, source, m, segs, keys, n, ids, err, errlen);
    if (s == HZ_OK) s = put_hash(st, source, hash, err, errlen);
    if (s == HZ_OK) *outcome = had ? STORE_PUT_REPLACED : STORE_PUT_INSERTED;
    free(ids);
    free(keys);
    return s;
}

/* ---- reading ---- */

static hz_status count_rows(store *st, const char *sql, int64_t *out)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK) return HZ_EDB;
    hz_status res = sqlite3_step(s) == SQLITE_ROW ? HZ_OK : HZ_EDB;
    if (res == HZ_OK) *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return res;
}

hz_status store_roads_counts(store *st, int64_t *segments, int64_t *nodes)
{
    if (store_pg(st)) return pg_roads_counts(store_pg(st), segments, nodes);
    *segments = *nodes = 0;
    int has = store_has_table(store_sqlite(st), "road_sources");
    if (has <= 0) return has < 0 ? HZ_EDB : HZ_OK;
    hz_status s = count_rows(st, "SELECT count(*) FROM road_segments", segments);
    if (s == HZ_OK) s = count_rows(st, "SELECT count(*) FROM road_nodes", nodes);
    return s;
}

static double real_or_nan(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? NAN : sqlite3_column_double(s, col);
}

/* The vertices of one row's LINESTRING, split into the reusable arrays lon and lat (capacity
 * *cap). 0, or -1 when the geometry is unreadable or memory runs out. */
static int row_line(sqlite3_stmt *s, int col, double **lon, double **lat, size_t *cap, size_t *npts)
{
    wkb_geom *g = wkb_read(sqlite3_column_blob(s, col), (size_t)sqlite3_column_bytes(s, col));
    if (!g || g->type != WKB_LINESTRING) {
        wkb_geom_free(g);
        return -1;
    }
    if (g->npoints > *cap) {
        double *a = realloc(*lon, g->npoints * sizeof *a);
        if (a) *lon = a;
        double *b = a ? realloc(*lat, g->npoints * sizeof *b) : NULL;
        if (b) *lat = b;
        if (!a || !b) {
            wkb_geom_free(g);
            return -1;
        }
        *cap = g->npoints;
    }
    for (size_t i = 0; i < g->npoints; i++) {
        (*lon)[i] = g->xy[2 * i];
        (*lat)[i] = g->xy[2 * i + 1];
    }
    *npts = g->npoints;
    wkb_geom_free(g);
    return 0;
}

static void read_seg(sqlite3_stmt *s, hz_road_seg_rec *r)
{
    r->id = sqlite3_column_int64(s, 0);
    r->source = (const char *)sqlite3_column_text(s, 1);
    r->source_id = (const char *)sqlite3_column_text(s, 2);
    r->from_node = sqlite3_column_int64(s, 3);
    r->to_node = sqlite3_column_int64(s, 4);
    r->from_id = sqlite3_column_int64(s, 5);
    r->to_id = sqlite3_column_int64(s, 6);
    r->name = (const char *)sqlite3_column_text(s, 7);
    r->cls = (const char *)sqlite3_column_text(s, 8);
    r->oneway = sqlite3_column_int(s, 9);
    r->lanes = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 10);
    r->maxspeed_kmh = real_or_nan(s, 11);
    r->volume = real_or_nan(s, 12);
    r->length_m = sqlite3_column_double(s, 13);
    r->extra = (const char *)sqlite3_column_text(s, 14);
}

hz_status store_road_segs_scan(store *st, store_road_seg_cb cb, void *ud, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_road_segs_scan(store_pg(st), cb, ud, err, errlen);
    sqlite3 *db = store_sqlite(st);
    int has = store_has_table(db, "road_sources");
    if (has <= 0) return has < 0 ? roads_fail(st, err, errlen, "reading the schema") : HZ_OK;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.id,s.source,s.source_id,f.node,t.node,s.from_node,s.to_node,"
                           "s.name,s.class,s.oneway,s.lanes,s.maxspeed,s.volume,s.length_m,"
                           "s.extra,AsBinary(s.geom) FROM road_segments s"
                           " JOIN road_nodes f ON f.id=s.from_node"
                           " JOIN road_nodes t ON t.id=s.to_node ORDER BY s.id",
                           -1, &s, NULL) != SQLITE_OK)
        return roads_fail(st, err, errlen, "reading road segments");
    double *lon = NULL, *lat = NULL;
    size_t cap = 0;
    hz_status res = HZ_OK;
    int rc;
    store_arm_timeout(st);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hz_road_seg_rec r;
        read_seg(s, &r);
        if (row_line(s, 15, &lon, &lat, &cap, &r.npts) < 0) {
            res = hz_fail(HZ_EDB, err, errlen, "%s: road segment %lld: unreadable geometry",
                          store_path(st), (long long)r.id);
            break;
        }
        r.lon = lon;
        r.lat = lat;
        if (cb(ud, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (res == HZ_OK && rc != SQLITE_DONE)
        res = roads_fail(st, err, errlen, "reading road segments");
    sqlite3_finalize(s);
    free(lon);
    free(lat);
    return res;
}

hz_status store_road_nodes_scan(store *st, store_road_node_cb cb, void *ud, char *err,
                                size_t errlen)
{
    if (store_pg(st)) return pg_road_nodes_scan(store_pg(st), cb, ud, err, errlen);
    sqlite3 *db = store_sqlite(st);
    int has = store_has_table(db, "road_sources");
    if (has <= 0) return has < 0 ? roads_fail(st, err, errlen, "reading the schema") : HZ_OK;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT id,source,node,degree,ST_X(geom),ST_Y(geom) FROM road_nodes"
                           " ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return roads_fail(st, err, errlen, "reading road nodes");
    int rc;
    store_arm_timeout(st);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hz_road_node_rec r = {
            .id = sqlite3_column_int64(s, 0),
            .source = (const char *)sqlite3_column_text(s, 1),
            .node = sqlite3_column_int64(s, 2),
            .degree = (uint32_t)sqlite3_column_int64(s, 3),
            .lon = sqlite3_column_double(s, 4),
            .lat = sqlite3_column_double(s, 5),
        };
        if (cb(ud, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    hz_status res = rc == SQLITE_DONE ? HZ_OK : roads_fail(st, err, errlen, "reading road nodes");
    sqlite3_finalize(s);
    return res;
}

/* pg_more.c - the PostGIS store's releases, roads and links (store_pg.h): the same rows and
 * rules as store_release.c, store_roads.c and store_links.c. The tables come with the schema
 * (schema.c, created by pg_store.c), so no function here needs to create or look for one.
 * store_roads.c and store_links.c keep the checks and the content hash; they call here for the
 * rows. */
#include "hazmap/wkb.h"
#include "store_pg.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t i64_at(const PGresult *r, int i, int c, int64_t null_value)
{
    return PQgetisnull(r, i, c) ? null_value : strtoll(PQgetvalue(r, i, c), NULL, 10);
}

static const char *str_at(const PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
}

static double f64_at(const PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? NAN : strtod(PQgetvalue(r, i, c), NULL);
}

/* ---- releases ---- */

/* Inside the open write transaction (a savepoint, as store_release.c) or a transaction of its
 * own holding the writers' lock; tables first, then the row that seals them (the triggers). */
hz_status pg_release_put(pgstore *pg, const store_release_rec *r, size_t n,
                         const store_release_blob *blobs, int64_t *id, char *err, size_t errlen)
{
    if (!r->created_at || !r->metadata)
        return hz_fail(HZ_EINVAL, err, errlen, "release: created_at and metadata are required");
    int own = !pg_in_tx(pg);
    hz_status s = own ? pg_begin(pg, err, errlen) : HZ_OK;
    if (s != HZ_OK) return s;
    PGresult *q = pg_query(pg, "SAVEPOINT release_put", 0, NULL, err, errlen, "starting release");
    if (!q) goto fail;
    PQclear(q);
    if (!(q = pg_query(pg, "SELECT coalesce(max(id),0)+1 FROM releases", 0, NULL, err, errlen,
                       "numbering release")))
        goto fail;
    int64_t next = i64_at(q, 0, 0, 1);
    PQclear(q);
    char idtxt[32], dv[32];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, next);
    snprintf(dv, sizeof dv, "%" PRId64, r->data_version);
    for (size_t k = 0; k < n; k++) {
        const char *v[3] = {idtxt, blobs[k].name, (const char *)blobs[k].data};
        const int lens[3] = {0, 0, (int)blobs[k].len}, fmts[3] = {0, 0, 1};
        q = PQexecParams(pg_conn(pg),
                         "INSERT INTO release_tables(release_id,name,cells) VALUES($1,$2,$3)", 3,
                         NULL, v, lens, fmts, 0);
        if (PQresultStatus(q) != PGRES_COMMAND_OK) {
            pg_fail(pg, q, err, errlen, "writing release table");
            goto fail;
        }
        PQclear(q);
    }
    const char *v[4] = {idtxt, r->created_at, dv, r->metadata};
    if (!(q = pg_query(pg,
                       "INSERT INTO releases(id,created_at,data_version,metadata)"
                       " VALUES($1,$2,$3,$4)",
                       4, v, err, errlen, "writing release")))
        goto fail;
    PQclear(q);
    /* a release keeps the data version but is a change to replicas (pg_watch.c): announced at
     * the commit of the enclosing transaction, never for a rollback */
    if (!(q = pg_query(pg,
                       "SELECT pg_notify('hazmap_data_version',value) FROM meta"
                       " WHERE key='data_version'",
                       0, NULL, err, errlen, "announcing release")))
        goto fail;
    PQclear(q);
    if (!(q = pg_query(pg, "RELEASE release_put", 0, NULL, err, errlen, "committing release")))
        goto fail;
    PQclear(q);
    if (own && (s = pg_commit(pg, err, errlen)) != HZ_OK) return s;
    *id = next;
    return HZ_OK;
fail:
    s = pg_last_status(pg);
    if (own) {
        pg_rollback(pg);
    } else {
        PQclear(PQexec(pg_conn(pg), "ROLLBACK TO release_put; RELEASE release_put"));
    }
    return s;
}

static void read_release(const PGresult *q, int i, store_release_rec *r)
{
    r->id = i64_at(q, i, 0, 0);
    r->created_at = str_at(q, i, 1);
    r->data_version = i64_at(q, i, 2, 0);
    r->metadata = str_at(q, i, 3);
}

hz_status pg_release_list(pgstore *pg, store_release_cb cb, void *ud, char *err, size_t errlen)
{
    PGresult *q =
        pg_query(pg, "SELECT id,created_at,data_version,metadata FROM releases ORDER BY id", 0,
                 NULL, err, errlen, "listing releases");
    if (!q) return pg_last_status(pg);
    for (int i = 0; i < PQntuples(q); i++) {
        store_release_rec r;
        read_release(q, i, &r);
        if (cb(ud, &r)) break;
    }
    PQclear(q);
    return HZ_OK;
}

hz_status pg_release_latest(pgstore *pg, int64_t *id, char *err, size_t errlen)
{
    PGresult *q = pg_query(pg, "SELECT max(id) FROM releases", 0, NULL, err, errlen,
                           "finding the latest release");
    if (!q) return pg_last_status(pg);
    hz_status s =
        PQgetisnull(q, 0, 0) ? hz_fail(HZ_ENOTFOUND, err, errlen, "no release published") : HZ_OK;
    if (s == HZ_OK) *id = i64_at(q, 0, 0, 0);
    PQclear(q);
    return s;
}

hz_status pg_release_get(pgstore *pg, int64_t id, store_release_cb meta_cb,
                         store_release_blob_cb blob_cb, void *ud, char *err, size_t errlen)
{
    char idtxt[32];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    const char *v[1] = {idtxt};
    PGresult *q =
        pg_query(pg, "SELECT id,created_at,data_version,metadata FROM releases WHERE id=$1", 1, v,
                 err, errlen, "reading release");
    if (!q) return pg_last_status(pg);
    if (PQntuples(q) == 0) {
        PQclear(q);
        return hz_fail(HZ_ENOTFOUND, err, errlen, "no release %lld", (long long)id);
    }
    store_release_rec r;
    read_release(q, 0, &r);
    int stop = meta_cb ? meta_cb(ud, &r) : 0;
    PQclear(q);
    if (stop || !blob_cb) return HZ_OK;
    /* binary results: the name's bytes and the cells as stored */
    q = PQexecParams(pg_conn(pg),
                     "SELECT name,cells FROM release_tables WHERE release_id=$1 ORDER BY name", 1,
                     NULL, v, NULL, NULL, 1);
    if (PQresultStatus(q) != PGRES_TUPLES_OK)
        return pg_fail(pg, q, err, errlen, "reading release tables");
    for (int i = 0; i < PQntuples(q); i++) {
        store_release_blob b = {.name = PQgetvalue(q, i, 0),
                                .data = (const unsigned char *)PQgetvalue(q, i, 1),
                                .len = (size_t)PQgetlength(q, i, 1)};
        if (blob_cb(ud, &b)) break;
    }
    PQclear(q);
    return HZ_OK;
}

/* ---- roads ---- */

int pg_roads_hash(pgstore *pg, const char *source, int64_t *hash)
{
    const char *v[1] = {source};
    PGresult *q = pg_query(pg, "SELECT content_hash FROM road_sources WHERE source=$1", 1, v, NULL,
                           0, "reading road sources");
    if (!q) return -1;
    int had = PQntuples(q) == 1;
    if (had) *hash = i64_at(q, 0, 0, 0);
    PQclear(q);
    return had;
}

/* Runs sql with vals, expecting no rows back; clears the result. */
static hz_status write_q(pgstore *pg, const char *sql, int n, const char *const *vals, char *err,
                         size_t errlen, const char *what)
{
    PGresult *q = pg_query(pg, sql, n, vals, err, errlen, what);
    if (!q) return pg_last_status(pg);
    PQclear(q);
    return HZ_OK;
}

static const char *real_or_null(char *buf, double v)
{
    if (!(isfinite(v) && v > 0)) return NULL;
    snprintf(buf, 32, "%.17g", v);
    return buf;
}

hz_status pg_roads_write(pgstore *pg, const char *source, int64_t hash, size_t n,
                         const hz_road_node_rec *nodes, size_t m, const hz_road_seg_rec *segs,
                         const size_t *ends, char *err, size_t errlen)
{
    const char *src[1] = {source};
    hz_status s = write_q(pg, "DELETE FROM road_segments WHERE source=$1", 1, src, err, errlen,
                          "replacing roads");
    if (s == HZ_OK)
        s = write_q(pg, "DELETE FROM road_nodes WHERE source=$1", 1, src, err, errlen,
                    "replacing roads");
    if (s == HZ_OK)
        s = write_q(pg, "DELETE FROM road_sources WHERE source=$1", 1, src, err, errlen,
                    "replacing roads");
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids && s == HZ_OK) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; i < n && s == HZ_OK; i++) {
        char node[32], deg[32], lon[32], lat[32];
        snprintf(node, sizeof node, "%" PRId64, nodes[i].node);
        snprintf(deg, sizeof deg, "%u", (unsigned)nodes[i].degree);
        snprintf(lon, sizeof lon, "%.17g", nodes[i].lon);
        snprintf(lat, sizeof lat, "%.17g", nodes[i].lat);
        const char *v[5] = {source, node, deg, lon, lat};
        PGresult *q = pg_query(pg,
                               "INSERT INTO road_nodes(source,node,degree,geom) VALUES($1,$2,$3,"
                               "ST_SetSRID(ST_MakePoint($4,$5),4326)) RETURNING id",
                               5, v, err, errlen, "storing road nodes");
        if (!q) {
            s = pg_last_status(pg);
            break;
        }
        ids[i] = i64_at(q, 0, 0, 0);
        PQclear(q);
    }
    for (size_t i = 0; i < m && s == HZ_OK; i++) {
        const hz_road_seg_rec *r = &segs[i];
        size_t len;
        unsigned char *wkb = store_road_line_wkb(r, &len);
        if (!wkb) {
            s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
            break;
        }
        char from[32], to[32], ow[8], lanes[16], ms[32], vol[32], lm[32];
        snprintf(from, sizeof from, "%" PRId64, ids[ends[2 * i]]);
        snprintf(to, sizeof to, "%" PRId64, ids[ends[2 * i + 1]]);
        snprintf(ow, sizeof ow, "%d", r->oneway);
        snprintf(lanes, sizeof lanes, "%d", r->lanes);
        snprintf(lm, sizeof lm, "%.17g", r->length_m);
        const char *v[13] = {source,
                             r->source_id,
                             from,
                             to,
                             r->name,
                             r->cls,
                             ow,
                             r->lanes >= 0 ? lanes : NULL,
                             real_or_null(ms, r->maxspeed_kmh),
                             real_or_null(vol, r->volume),
                             lm,
                             r->extra,
                             (const char *)wkb};
        int lens[13] = {0}, fmts[13] = {0};
        lens[12] = (int)len;
        fmts[12] = 1;
        PGresult *q = PQexecParams(pg_conn(pg),
                                   "INSERT INTO road_segments(source,source_id,from_node,to_node,"
                                   "name,class,oneway,lanes,maxspeed,volume,length_m,extra,geom)"
                                   " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,"
                                   "ST_GeomFromWKB($13,4326))",
                                   13, NULL, v, lens, fmts, 0);
        free(wkb);
        if (PQresultStatus(q) != PGRES_COMMAND_OK)
            s = pg_fail(pg, q, err, errlen, "storing road segment");
        else
            PQclear(q);
    }
    free(ids);
    char h[32];
    snprintf(h, sizeof h, "%" PRId64, hash);
    const char *hv[2] = {source, h};
    if (s == HZ_OK)
        s = write_q(pg, "INSERT INTO road_sources(source,content_hash) VALUES($1,$2)", 2, hv, err,
                    errlen, "storing road source");
    if (s == HZ_OK) pg_dirty(pg);
    return s;
}

static hz_status count_of(pgstore *pg, const char *sql, int64_t *out)
{
    PGresult *q = pg_query(pg, sql, 0, NULL, NULL, 0, "counting");
    if (!q) return pg_last_status(pg);
    *out = i64_at(q, 0, 0, 0);
    PQclear(q);
    return HZ_OK;
}

hz_status pg_roads_counts(pgstore *pg, int64_t *segments, int64_t *nodes)
{
    hz_status s = count_of(pg, "SELECT count(*) FROM road_segments", segments);
    if (s == HZ_OK) s = count_of(pg, "SELECT count(*) FROM road_nodes", nodes);
    return s;
}

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
}

hz_status pg_road_segs_scan(pgstore *pg, store_road_seg_cb cb, void *ud, char *err, size_t errlen)
{
    PGresult *q = pg_query(pg,
                           "SELECT s.id,s.source,s.source_id,f.node,t.node,s.from_node,s.to_node,"
                           "s.name,s.class,s.oneway,s.lanes,s.maxspeed,s.volume,s.length_m,"
                           "s.extra,encode(ST_AsBinary(s.geom,'NDR'),'hex') FROM road_segments s"
                           " JOIN road_nodes f ON f.id=s.from_node"
                           " JOIN road_nodes t ON t.id=s.to_node ORDER BY s.id",
                           0, NULL, err, errlen, "reading road segments");
    if (!q) return pg_last_status(pg);
    hz_status s = HZ_OK;
    for (int i = 0; i < PQntuples(q) && s == HZ_OK; i++) {
        const char *hex = PQgetvalue(q, i, 15);
        size_t len = strlen(hex) / 2;
        unsigned char *wkb = malloc(len ? len : 1);
        if (!wkb) {
            s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
            break;
        }
        for (size_t k = 0; k < len; k++)
            wkb[k] = (unsigned char)(hexv(hex[2 * k]) << 4 | hexv(hex[2 * k + 1]));
        wkb_geom *g = wkb_read(wkb, len);
        free(wkb);
        double *lon = g ? malloc((g->npoints + 1) * sizeof *lon) : NULL;
        double *lat = g ? malloc((g->npoints + 1) * sizeof *lat) : NULL;
        if (!g || g->type != WKB_LINESTRING || !lon || !lat) {
            s = hz_fail(HZ_EDB, err, errlen, "%s: road segment %s: unreadable geometry",
                        pg_name(pg), PQgetvalue(q, i, 0));
        } else {
            for (size_t k = 0; k < g->npoints; k++) {
                lon[k] = g->xy[2 * k];
                lat[k] = g->xy[2 * k + 1];
            }
            hz_road_seg_rec r = {
                .id = i64_at(q, i, 0, 0),
                .source = str_at(q, i, 1),
                .source_id = str_at(q, i, 2),
                .from_node = i64_at(q, i, 3, 0),
                .to_node = i64_at(q, i, 4, 0),
                .from_id = i64_at(q, i, 5, 0),
                .to_id = i64_at(q, i, 6, 0),
                .name = str_at(q, i, 7),
                .cls = str_at(q, i, 8),
                .oneway = (int)i64_at(q, i, 9, 0),
                .lanes = (int)i64_at(q, i, 10, -1),
                .maxspeed_kmh = f64_at(q, i, 11),
                .volume = f64_at(q, i, 12),
                .length_m = f64_at(q, i, 13),
                .extra = str_at(q, i, 14),
                .npts = g->npoints,
                .lon = lon,
                .lat = lat,
            };
            if (cb(ud, &r)) i = PQntuples(q);
        }
        free(lon);
        free(lat);
        wkb_geom_free(g);
    }
    PQclear(q);
    return s;
}

hz_status pg_road_nodes_scan(pgstore *pg, store_road_node_cb cb, void *ud, char *err, size_t errlen)
{
    PGresult *q = pg_query(pg,
                           "SELECT id,source,node,degree,ST_X(geom),ST_Y(geom) FROM road_nodes"
                           " ORDER BY id",
                           0, NULL, err, errlen, "reading road nodes");
    if (!q) return pg_last_status(pg);
    for (int i = 0; i < PQntuples(q); i++) {
        hz_road_node_rec r = {.id = i64_at(q, i, 0, 0),
                              .source = str_at(q, i, 1),
                              .node = i64_at(q, i, 2, 0),
                              .degree = (uint32_t)i64_at(q, i, 3, 0),
                              .lon = f64_at(q, i, 4),
                              .lat = f64_at(q, i, 5)};
        if (cb(ud, &r)) break;
    }
    PQclear(q);
    return HZ_OK;
}

/* ---- links ---- */

/* Appends v to the array literal in *buf (a growing "{...}" text). 0, or -1 out of memory. */
typedef struct arr {
    char *p;
    size_t len, cap;
} arr;

static int arr_add(arr *a, const char *v)
{
    size_t need = a->len + strlen(v) + 4;
    if (need > a->cap) {
        size_t nc = need * 2;
        char *np = realloc(a->p, nc);
        if (!np) return -1;
        a->p = np;
        a->cap = nc;
    }
    a->len += (size_t)sprintf(a->p + a->len, "%s%s", a->len ? "," : "{", v);
    return 0;
}

static const char *arr_end(arr *a)
{
    if (arr_add(a, "") < 0) return NULL;
    a->p[a->len - 1] = '}'; /* the "," of the empty element */
    if (a->len == 1) return "{}";
    return a->p;
}

/* store_links_sync() on PostGIS (links validated, sorted and unique): set-wise, through a
 * temporary table of the wanted pairs, in one transaction. The reviewed rows are never touched
 * (invariant 2 of store_links.c); new pairs are inserted in (a, b) order, as there. */
hz_status pg_links_sync(pgstore *pg, const store_link_rec *links, size_t n, int64_t *changed,
                        char *err, size_t errlen)
{
    arr a = {0}, b = {0}, sc = {0}, st = {0};
    int oom = 0;
    for (size_t i = 0; i < n && !oom; i++) {
        char x[32], y[32], z[32];
        snprintf(x, sizeof x, "%" PRId64, links[i].a);
        snprintf(y, sizeof y, "%" PRId64, links[i].b);
        snprintf(z, sizeof z, "%.17g", links[i].score);
        oom = arr_add(&a, x) || arr_add(&b, y) || arr_add(&sc, z) || arr_add(&st, links[i].status);
    }
    const char *v[4] = {NULL, NULL, NULL, NULL};
    if (!oom) {
        v[0] = arr_end(&a);
        v[1] = arr_end(&b);
        v[2] = arr_end(&sc);
        v[3] = arr_end(&st);
    }
    hz_status s = oom || !v[0] || !v[1] || !v[2] || !v[3]
                      ? hz_fail(HZ_ENOMEM, err, errlen, "out of memory")
                      : pg_begin(pg, err, errlen);
    int64_t total = 0;
    static const char *const steps[] = {
        "DELETE FROM record_links r WHERE r.status IN ('auto','possible') AND NOT EXISTS("
        "SELECT 1 FROM hz_links t WHERE t.a=r.a AND t.b=r.b)",
        "UPDATE record_links r SET score=t.score, status=t.status FROM hz_links t WHERE r.a=t.a"
        " AND r.b=t.b AND r.status IN ('auto','possible') AND (r.score IS DISTINCT FROM t.score"
        " OR r.status<>t.status)",
        "INSERT INTO record_links(a,b,score,status) SELECT a,b,score,status FROM hz_links t"
        " WHERE NOT EXISTS(SELECT 1 FROM record_links r WHERE r.a=t.a AND r.b=t.b) ORDER BY a,b"};
    if (s == HZ_OK)
        s = write_q(pg,
                    "CREATE TEMP TABLE hz_links ON COMMIT DROP AS SELECT * FROM"
                    " unnest($1::bigint[],$2::bigint[],$3::float8[],$4::text[])"
                    " AS t(a,b,score,status)",
                    4, v, err, errlen, "writing links");
    for (size_t k = 0; k < sizeof steps / sizeof *steps && s == HZ_OK; k++) {
        PGresult *q = pg_query(pg, steps[k], 0, NULL, err, errlen, "writing links");
        if (!q) {
            s = pg_last_status(pg);
            break;
        }
        total += strtoll(PQcmdTuples(q), NULL, 10);
        PQclear(q);
    }
    free(a.p);
    free(b.p);
    free(sc.p);
    free(st.p);
    if (s == HZ_OK && total > 0) pg_dirty(pg);
    if (s == HZ_OK) s = pg_commit(pg, err, errlen);
    if (s != HZ_OK) {
        pg_rollback(pg);
        return s;
    }
    if (changed) *changed = total;
    return HZ_OK;
}

hz_status pg_link_review(pgstore *pg, int64_t id, const char *status, const char *reviewer,
                         char *err, size_t errlen)
{
    char idtxt[32];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    const char *v[3] = {status, reviewer, idtxt};
    hz_status s = pg_begin(pg, err, errlen);
    if (s != HZ_OK) return s;
    PGresult *q = pg_query(pg,
                           "UPDATE record_links SET status=$1, reviewer=$2, at=to_char("
                           "clock_timestamp() AT TIME ZONE 'UTC','YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                           " WHERE id=$3",
                           3, v, err, errlen, "recording the review");
    if (!q) {
        s = pg_last_status(pg);
    } else {
        if (strtoll(PQcmdTuples(q), NULL, 10) == 0)
            s = hz_fail(HZ_ENOTFOUND, err, errlen, "no link %lld", (long long)id);
        PQclear(q);
    }
    if (s == HZ_OK) {
        pg_dirty(pg);
        return pg_commit(pg, err, errlen);
    }
    pg_rollback(pg);
    return s;
}

static void read_link(const PGresult *q, int i, store_link_rec *l)
{
    l->id = i64_at(q, i, 0, 0);
    l->a = i64_at(q, i, 1, 0);
    l->b = i64_at(q, i, 2, 0);
    l->score = f64_at(q, i, 3);
    l->status = str_at(q, i, 4);
    l->reviewer = str_at(q, i, 5);
    l->at = str_at(q, i, 6);
}

hz_status pg_links_scan(pgstore *pg, const char *status, int64_t offset, int64_t limit,
                        store_link_cb cb, void *ud, int64_t *total, char *err, size_t errlen)
{
    char lim[32], off[32];
    snprintf(lim, sizeof lim, "%" PRId64, limit);
    snprintf(off, sizeof off, "%" PRId64, offset < 0 ? 0 : offset);
    const char *v[3] = {status, limit < 0 ? NULL : lim, off};
    PGresult *q;
    if (total) {
        if (!(q = pg_query(pg,
                           "SELECT count(*) FROM record_links WHERE $1::text IS NULL OR status=$1",
                           1, v, err, errlen, "counting links")))
            return pg_last_status(pg);
        *total = i64_at(q, 0, 0, 0);
        PQclear(q);
    }
    if (!(q = pg_query(pg,
                       "SELECT id,a,b,score,status,reviewer,at FROM record_links"
                       " WHERE $1::text IS NULL OR status=$1 ORDER BY id LIMIT $2 OFFSET $3",
                       3, v, err, errlen, "reading links")))
        return pg_last_status(pg);
    for (int i = 0; i < PQntuples(q); i++) {
        store_link_rec l;
        read_link(q, i, &l);
        if (cb(ud, &l)) break;
    }
    PQclear(q);
    return HZ_OK;
}

hz_status pg_link_get(pgstore *pg, int64_t id, store_link_cb cb, void *ud, char *err, size_t errlen)
{
    char idtxt[32];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    const char *v[1] = {idtxt};
    PGresult *q =
        pg_query(pg, "SELECT id,a,b,score,status,reviewer,at FROM record_links WHERE id=$1", 1, v,
                 err, errlen, "reading link");
    if (!q) return pg_last_status(pg);
    hz_status s = HZ_OK;
    if (PQntuples(q) == 1) {
        store_link_rec l;
        read_link(q, 0, &l);
        cb(ud, &l);
    } else {
        s = hz_fail(HZ_ENOTFOUND, err, errlen, "no link %lld", (long long)id);
    }
    PQclear(q);
    return s;
}

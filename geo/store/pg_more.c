/* pg_more.c - the PostGIS store's releases, roads and links (store_pg.h): the same rows and
 * rules as store_release.c, store_roads.c and store_links.c. The tables come with the schema
 * (pg_store.c), so no function here needs to create or look for one.
 *
 * Not yet on PostGIS (HZ_EUNSUPPORTED): pg_roads_put(), pg_links_sync(), pg_link_review(). */
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
    hz_status s = PQgetisnull(q, 0, 0) ? hz_fail(HZ_ENOTFOUND, err, errlen, "no release published")
                                       : HZ_OK;
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
    PGresult *q = pg_query(pg, "SELECT id,created_at,data_version,metadata FROM releases WHERE id=$1",
                           1, v, err, errlen, "reading release");
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

hz_status pg_roads_put(pgstore *pg, const char *source, size_t n, const hz_road_node_rec *nodes,
                       size_t m, const hz_road_seg_rec *segs, store_put_outcome *outcome,
                       char *err, size_t errlen)
{
    (void)pg, (void)source, (void)n, (void)nodes, (void)m, (void)segs, (void)outcome;
    return pg_unsupported("writing a road network (store_roads_put)", err, errlen);
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

hz_status pg_road_nodes_scan(pgstore *pg, store_road_node_cb cb, void *ud, char *err,
                             size_t errlen)
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

hz_status pg_links_sync(pgstore *pg, const store_link_rec *links, size_t n, int64_t *changed,
                        char *err, size_t errlen)
{
    (void)pg, (void)links, (void)n, (void)changed;
    return pg_unsupported("writing record links (store_links_sync)", err, errlen);
}

hz_status pg_link_review(pgstore *pg, int64_t id, const char *status, const char *reviewer,
                         char *err, size_t errlen)
{
    (void)pg, (void)id, (void)status, (void)reviewer;
    return pg_unsupported("reviewing a record link (store_link_review)", err, errlen);
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
        if (!(q = pg_query(pg, "SELECT count(*) FROM record_links WHERE $1::text IS NULL OR status=$1",
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

hz_status pg_link_get(pgstore *pg, int64_t id, store_link_cb cb, void *ud, char *err,
                      size_t errlen)
{
    char idtxt[32];
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    const char *v[1] = {idtxt};
    PGresult *q = pg_query(pg, "SELECT id,a,b,score,status,reviewer,at FROM record_links WHERE id=$1",
                           1, v, err, errlen, "reading link");
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

/* check_roads.c - tests of the road import (geo/import/import_roads.c, roadtopo.c), the road
 * tables of the store (geo/store/store_roads.c) and roadnet_load() (geo/roadnet_load.c), on the
 * real OpenStreetMap and Jinjiang clips of tests/data/chengdu-roads/ and on small fixtures
 * written to /tmp.
 *
 * References are independent of the code under test: the OSM clip's ways and nodes read by a
 * line parser of the test's own and split by the rule of import_roads.h counted here; the
 * GeoJSON clip read with jansson; lengths from SpatiaLite's ST_Length(ST_Transform(geom, 32648))
 * over a separate connection; GCJ-02 coordinates made with chinacrs' exact forward formula. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>
#include <spatialite.h>

#include "hazmap/chinacrs.h"
#include "hazmap/import_roads.h"
#include "hazmap/roadnet.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"
#include "testutil.h"

#define OSM_CLIP "data/chengdu-roads/chengdu_north_2018_clip.osm"
#define EDGES_CLIP "data/chengdu-roads/jinjiang_edges_clip.geojson"

static char dbpath[256];

static store *fresh_store(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap_check_roads_%d.sqlite", (int)getpid());
    tu_remove_db(dbpath);
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    return st;
}

static void drop_store(store *st)
{
    store_close(st);
    tu_remove_db(dbpath);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static import_summary import_ok(store *st, const char *path, const import_roads_opts *o)
{
    import_summary sum;
    char err[1024];
    hz_status s = import_roads(st, path, o, &sum, err, sizeof err);
    ck_assert_msg(s == HZ_OK, "import_roads(%s): %s", path, err);
    return sum;
}

/* ---- an independent SQL connection with SpatiaLite ---- */

typedef struct sqlconn {
    sqlite3 *db;
    void *cache;
} sqlconn;

static sqlconn sql_open(void)
{
    sqlconn c = {0};
    ck_assert_int_eq(sqlite3_open_v2(dbpath, &c.db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    c.cache = spatialite_alloc_connection();
    spatialite_init_ex(c.db, c.cache, 0);
    return c;
}

static void sql_close(sqlconn *c)
{
    sqlite3_close(c->db);
    spatialite_cleanup_ex(c->cache);
}

static sqlite3_stmt *sql_prep(sqlconn *c, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(c->db));
    return s;
}

static double sql_double(sqlconn *c, const char *sql)
{
    sqlite3_stmt *s = sql_prep(c, sql);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    double v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int64_t sql_int(sqlconn *c, const char *sql)
{
    return (int64_t)llround(sql_double(c, sql));
}

/* Every row of the query as text, one line per row, fields separated by '|' (malloc'd). */
static char *sql_dump(sqlconn *c, const char *sql)
{
    sqlite3_stmt *s = sql_prep(c, sql);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    out[0] = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(s); i++) {
            const char *v = (const char *)sqlite3_column_text(s, i);
            size_t need = len + (v ? strlen(v) : 4) + 3;
            if (need > cap) {
                while (cap < need)
                    cap *= 2;
                char *grown = realloc(out, cap);
                ck_assert_ptr_nonnull(grown);
                out = grown;
            }
            len += (size_t)snprintf(out + len, cap - len, "%s%c", v ? v : "NULL",
                                    i + 1 < sqlite3_column_count(s) ? '|' : '\n');
        }
    }
    sqlite3_finalize(s);
    return out;
}

/* ---- the OSM clip read by the test's own parser ---- */

#define MAX_NODES 1024
#define MAX_WAYS 128
#define MAX_ND 256

typedef struct osm_way {
    char id[24];
    char name[128], name_en[128], highway[48], oneway[16], maxspeed[16], lanes[8];
    int nnd;
    double lon[MAX_ND], lat[MAX_ND];
} osm_way;

typedef struct osm_clip {
    int nnodes, nways;
    long long node_id[MAX_NODES];
    double node_lon[MAX_NODES], node_lat[MAX_NODES];
    osm_way way[MAX_WAYS];
} osm_clip;

/* The value of attribute name="..." in line, copied into out (size n); 0 if absent. */
static int attr(const char *line, const char *name, char *out, size_t n)
{
    char key[32];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *p = strstr(line, key);
    if (!p) return 0;
    p += strlen(key);
    const char *q = strchr(p, '"');
    ck_assert_ptr_nonnull(q);
    snprintf(out, n, "%.*s", (int)(q - p), p);
    return 1;
}

static void osm_tag(osm_way *w, const char *k, const char *v)
{
    struct {
        const char *k;
        char *dst;
        size_t n;
    } keep[] = {{"name", w->name, sizeof w->name},
                {"name:en", w->name_en, sizeof w->name_en},
                {"highway", w->highway, sizeof w->highway},
                {"oneway", w->oneway, sizeof w->oneway},
                {"maxspeed", w->maxspeed, sizeof w->maxspeed},
                {"lanes", w->lanes, sizeof w->lanes}};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        if (strcmp(k, keep[i].k) == 0) snprintf(keep[i].dst, keep[i].n, "%s", v);
}

static void osm_nd(osm_clip *c, osm_way *w, long long ref)
{
    for (int i = 0; i < c->nnodes; i++)
        if (c->node_id[i] == ref) {
            ck_assert_int_lt(w->nnd, MAX_ND);
            w->lon[w->nnd] = c->node_lon[i];
            w->lat[w->nnd] = c->node_lat[i];
            w->nnd++;
            return;
        }
    ck_abort_msg("nd ref %lld has no node", ref);
}

static void osm_read(osm_clip *c, const char *path)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024], a[256], b[256];
    osm_way *w = NULL;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "<node ")) {
            ck_assert_int_lt(c->nnodes, MAX_NODES);
            ck_assert(attr(line, "id", a, sizeof a));
            c->node_id[c->nnodes] = strtoll(a, NULL, 10);
            ck_assert(attr(line, "lon", a, sizeof a) && attr(line, "lat", b, sizeof b));
            c->node_lon[c->nnodes] = strtod(a, NULL);
            c->node_lat[c->nnodes] = strtod(b, NULL);
            c->nnodes++;
        } else if (strstr(line, "<way ")) {
            ck_assert_int_lt(c->nways, MAX_WAYS);
            w = &c->way[c->nways++];
            ck_assert(attr(line, "id", w->id, sizeof w->id));
        } else if (w && strstr(line, "<nd ")) {
            ck_assert(attr(line, "ref", a, sizeof a));
            osm_nd(c, w, strtoll(a, NULL, 10));
        } else if (w && strstr(line, "<tag ")) {
            ck_assert(attr(line, "k", a, sizeof a) && attr(line, "v", b, sizeof b));
            osm_tag(w, a, b);
        } else if (strstr(line, "</way>")) {
            w = NULL;
        }
    }
    fclose(f);
}

/* The split rule of import_roads.h, counted here: a place (coordinates) is a node when it is a
 * way's end or is used twice (consecutive equal places once). Returns the segments of way wi and
 * adds the nodes to *nodes (a list of places). */
static int place_uses(const osm_clip *c, double lon, double lat)
{
    int n = 0;
    for (int k = 0; k < c->nways; k++) {
        const osm_way *w = &c->way[k];
        for (int i = 0; i < w->nnd; i++) {
            int same = w->lon[i] == lon && w->lat[i] == lat;
            int prev = i > 0 && w->lon[i - 1] == w->lon[i] && w->lat[i - 1] == w->lat[i];
            if (same && !prev) n++;
            if (same && (i == 0 || i == w->nnd - 1)) n += 2;
        }
    }
    return n;
}

static int way_segments(const osm_clip *c, int wi, double *nodes_lon, double *nodes_lat,
                        int *nnodes)
{
    const osm_way *w = &c->way[wi];
    int cuts = 0;
    for (int i = 0; i < w->nnd; i++) {
        if (i > 0 && w->lon[i] == w->lon[i - 1] && w->lat[i] == w->lat[i - 1]) continue;
        if (place_uses(c, w->lon[i], w->lat[i]) < 2) continue;
        cuts++;
        int known = 0;
        for (int k = 0; k < *nnodes; k++)
            known |= nodes_lon[k] == w->lon[i] && nodes_lat[k] == w->lat[i];
        if (!known) {
            nodes_lon[*nnodes] = w->lon[i];
            nodes_lat[*nnodes] = w->lat[i];
            (*nnodes)++;
        }
    }
    return cuts - 1;
}

/* Checks the rows of way w: n of them (source ids "ID", or "ID/1".."ID/n"), with its attributes. */
static void check_way_rows(sqlconn *q, const osm_way *w, int n)
{
    sqlite3_stmt *s =
        sql_prep(q, "SELECT source_id,name,class,oneway,lanes,maxspeed,extra"
                    " FROM road_segments WHERE source_id=?1 OR source_id LIKE ?1||'/%'"
                    " ORDER BY id");
    sqlite3_bind_text(s, 1, w->id, -1, SQLITE_STATIC);
    int rows = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        rows++;
        const char *name = (const char *)sqlite3_column_text(s, 1);
        const char *extra = (const char *)sqlite3_column_text(s, 6);
        ck_assert_str_eq(name ? name : "", w->name);
        ck_assert_str_eq((const char *)sqlite3_column_text(s, 2), w->highway);
        int ow = strcmp(w->oneway, "yes") == 0 ? 1 : strcmp(w->oneway, "-1") == 0 ? -1 : 0;
        ck_assert_int_eq(sqlite3_column_int(s, 3), ow);
        if (*w->lanes) ck_assert_int_eq(sqlite3_column_int(s, 4), atoi(w->lanes));
        if (*w->maxspeed)
            ck_assert_double_eq_tol(sqlite3_column_double(s, 5), strtod(w->maxspeed, NULL), 1e-9);
        if (*w->name_en) {
            char want[200];
            snprintf(want, sizeof want, "\"name:en\":\"%s\"", w->name_en);
            ck_assert_msg(extra && strstr(extra, want), "way %s: extra %s lacks %s", w->id,
                          extra ? extra : "NULL", want);
        }
        if (extra) ck_assert_ptr_null(strstr(extra, "\"oneway\""));
    }
    sqlite3_finalize(s);
    ck_assert_msg(rows == n, "way %s: %d segments stored, %d expected", w->id, rows, n);
}

START_TEST(test_osm_split_at_shared_nodes)
{
    static osm_clip c;
    osm_read(&c, OSM_CLIP);
    ck_assert_int_eq(c.nways, 44);
    store *st = fresh_store();
    import_summary sum = import_ok(st, OSM_CLIP, NULL);
    static double nlon[4 * MAX_NODES], nlat[4 * MAX_NODES];
    int nnodes = 0, nsegs = 0;
    int per_way[MAX_WAYS];
    for (int k = 0; k < c.nways; k++)
        nsegs += per_way[k] = way_segments(&c, k, nlon, nlat, &nnodes);
    ck_assert_int_eq(sum.read, c.nways);
    ck_assert_int_eq(sum.rejected, 0);
    ck_assert_int_eq(sum.segments, nsegs);
    ck_assert_int_eq(sum.nodes, nnodes);
    ck_assert_int_gt(nsegs, c.nways); /* some ways were split */
    sqlconn q = sql_open();
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_segments"), nsegs);
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_nodes"), nnodes);
    ck_assert_int_eq(sql_int(&q, "SELECT sum(degree) FROM road_nodes"), 2 * nsegs);
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_nodes WHERE degree >= 3"),
                     sum.junctions);
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_nodes WHERE degree = 1"),
                     sum.dead_ends);
    /* every segment starts and ends exactly at its nodes */
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_segments s JOIN road_nodes f ON"
                                 " f.id=s.from_node JOIN road_nodes t ON t.id=s.to_node WHERE"
                                 " ST_Equals(StartPoint(s.geom), f.geom) AND"
                                 " ST_Equals(EndPoint(s.geom), t.geom)"),
                     nsegs);
    for (int k = 0; k < c.nways; k++)
        check_way_rows(&q, &c.way[k], per_way[k]);
    /* lengths: metres along the geometry in UTM 48N, which is the working CRS here */
    ck_assert_double_le(sql_double(&q, "SELECT max(abs(length_m - ST_Length(ST_Transform(geom,"
                                       " 32648)))) FROM road_segments"),
                        1e-6);
    ck_assert_double_eq_tol(sql_double(&q, "SELECT sum(ST_Length(ST_Transform(geom, 32648)))"
                                           " FROM road_segments") /
                                1000,
                            sum.km, 1e-6);
    sql_close(&q);
    drop_store(st);
}
END_TEST

/* ---- the Jinjiang clip with its own topology ---- */

START_TEST(test_given_topology_kept)
{
    json_error_t jerr;
    json_t *doc = json_load_file(EDGES_CLIP, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s", jerr.text);
    json_t *feats = json_object_get(doc, "features");
    size_t n = json_array_size(feats);
    ck_assert_uint_eq(n, 30);
    json_int_t ids[64];
    size_t nids = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_object_get(json_array_get(feats, i), "properties");
        json_int_t uv[2] = {json_integer_value(json_object_get(p, "u")),
                            json_integer_value(json_object_get(p, "v"))};
        for (int k = 0; k < 2; k++) {
            size_t j = 0;
            while (j < nids && ids[j] != uv[k])
                j++;
            if (j == nids) ids[nids++] = uv[k];
        }
    }
    store *st = fresh_store();
    import_roads_opts o = {.from_field = "u", .to_field = "v"};
    import_summary sum = import_ok(st, EDGES_CLIP, &o);
    ck_assert_int_eq(sum.segments, (int64_t)n);
    ck_assert_int_eq(sum.nodes, (int64_t)nids);
    sqlconn q = sql_open();
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_object_get(json_array_get(feats, i), "properties");
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM road_segments s JOIN road_nodes f ON f.id=s.from_node"
                 " JOIN road_nodes t ON t.id=s.to_node WHERE s.source_id='%lld' AND"
                 " f.node=%lld AND t.node=%lld AND s.extra LIKE '%%\"length_m\":%%'",
                 (long long)json_integer_value(json_object_get(p, "edge_id")),
                 (long long)json_integer_value(json_object_get(p, "u")),
                 (long long)json_integer_value(json_object_get(p, "v")));
        ck_assert_msg(sql_int(&q, sql) == 1, "edge %zu not stored as given", i);
    }
    sql_close(&q);
    json_decref(doc);
    drop_store(st);
}
END_TEST

/* ---- small fixtures near Chengdu, in metres ---- */

#define LON0 104.08
#define LAT0 30.65

/* Degrees per metre at LAT0 (spherical approximation; the tests leave wide margins). */
static double dlon(double m)
{
    return m / (111319.49 * cos(LAT0 * M_PI / 180));
}

static double dlat(double m)
{
    return m / 110574.0;
}

/* A GeoJSON LineString feature from n (x, y) metre offsets, with properties props ("" none). */
static void line_feature(char *buf, size_t n, const char *props, int npts, const double *xy)
{
    size_t len = (size_t)snprintf(buf, n,
                                  "{\"type\":\"Feature\",\"properties\":{%s},"
                                  "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[",
                                  props);
    for (int i = 0; i < npts; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s[%.10f,%.10f]", i ? "," : "",
                                LON0 + dlon(xy[2 * i]), LAT0 + dlat(xy[2 * i + 1]));
    snprintf(buf + len, n - len, "]}}");
}

static void write_lines(const char *path, int nlines, const char *const *props, const int *npts,
                        const double *const *xy)
{
    static char buf[1 << 16];
    size_t len =
        (size_t)snprintf(buf, sizeof buf, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int i = 0; i < nlines; i++) {
        char f[4096];
        line_feature(f, sizeof f, props[i], npts[i], xy[i]);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s\n", i ? "," : "", f);
    }
    snprintf(buf + len, sizeof buf - len, "]}\n");
    write_file(path, buf);
}

START_TEST(test_snap_tolerance)
{
    /* A: 0,0 -> 100,0. B starts 0.3 m from A's end; C starts 2 m from B's end. E starts at F's
     * interior vertex and so splits F there. */
    const double a[] = {0, 0, 100, 0}, b[] = {100.3, 0, 200, 0}, cc[] = {202, 0, 300, 0};
    const double f[] = {0, 100, 50, 100, 100, 100}, e[] = {50, 100, 50, 200};
    const double *xy[] = {a, b, cc, f, e};
    const int npts[] = {2, 2, 2, 3, 2};
    const char *props[] = {"\"id\":\"A\"", "\"id\":\"B\"", "\"id\":\"C\"", "\"id\":\"F\"",
                           "\"id\":\"E\""};
    char path[256];
    snprintf(path, sizeof path, "/tmp/hazmap_check_roads_snap_%d.geojson", (int)getpid());
    write_lines(path, 5, props, npts, xy);
    store *st = fresh_store();
    import_summary sum = import_ok(st, path, NULL); /* default 0.5 m */
    /* A-B joined (0.3 m), B-C not (2 m): 5 nodes on that road; F split at E: 4 more */
    ck_assert_int_eq(sum.segments, 6);
    ck_assert_int_eq(sum.nodes, 9);
    ck_assert_int_eq(sum.junctions, 1);
    ck_assert_int_eq(sum.dead_ends, 7);
    sqlconn q = sql_open();
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_segments WHERE source_id IN"
                                 " ('F/1','F/2','A','B','C','E')"),
                     6);
    /* the joined node is A's end (the first vertex of the cluster): B starts exactly there */
    ck_assert_int_eq(sql_int(&q, "SELECT ST_Equals(EndPoint(a.geom), StartPoint(b.geom)) FROM"
                                 " road_segments a, road_segments b WHERE a.source_id='A' AND"
                                 " b.source_id='B'"),
                     1);
    sql_close(&q);
    import_roads_opts o = {.snap_m = 3}; /* now B-C join too */
    sum = import_ok(st, path, &o);
    ck_assert_int_eq(sum.nodes, 8);
    ck_assert_int_eq(sum.replaced, 6);
    o.snap_m = IMPORT_ROADS_SNAP_EXACT; /* nothing joins but F-E (the same vertex) */
    sum = import_ok(st, path, &o);
    ck_assert_int_eq(sum.nodes, 10);
    /* A 3 m line with a 5 m snap collapses to one place: rejected, and no node is left of it. */
    const double s3[] = {0, 0, 3, 0}, g[] = {0, 50, 100, 50};
    const double *xy2[] = {s3, g};
    const int npts2[] = {2, 2};
    const char *props2[] = {"\"id\":\"short\"", "\"id\":\"long\""};
    write_lines(path, 2, props2, npts2, xy2);
    o.snap_m = 5;
    sum = import_ok(st, path, &o);
    ck_assert_int_eq(sum.segments, 1);
    ck_assert_int_eq(sum.nodes, 2);
    ck_assert_int_eq(sum.rejected, 1);
    sqlconn q2 = sql_open();
    ck_assert_int_eq(sql_int(&q2, "SELECT count(*) FROM road_nodes WHERE degree < 1"), 0);
    ck_assert_int_eq(sql_int(&q2, "SELECT count(*) FROM road_nodes"), 2);
    sql_close(&q2);
    unlink(path);
    drop_store(st);
}
END_TEST

START_TEST(test_gcj02_moved_back)
{
    /* A line whose WGS84 vertices are known, written in GCJ-02 with the exact forward formula. */
    const double wlon[] = {104.0801, 104.0825, 104.0850}, wlat[] = {30.6501, 30.6510, 30.6497};
    char path[256], buf[1024];
    snprintf(path, sizeof path, "/tmp/hazmap_check_roads_gcj_%d.geojson", (int)getpid());
    size_t len = (size_t)snprintf(buf, sizeof buf,
                                  "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                                  "\"Feature\",\"properties\":{\"name\":\"g\"},\"geometry\":{"
                                  "\"type\":\"LineString\",\"coordinates\":[");
    for (int i = 0; i < 3; i++) {
        double glon, glat;
        chinacrs_wgs84_to_gcj02(wlon[i], wlat[i], &glon, &glat);
        ck_assert_double_gt(fabs(glon - wlon[i]) + fabs(glat - wlat[i]), 1e-3); /* it moved */
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s[%.9f,%.9f]", i ? "," : "", glon,
                                glat);
    }
    snprintf(buf + len, sizeof buf - len, "]}}]}");
    write_file(path, buf);
    store *st = fresh_store();
    import_roads_opts o = {.srs = "gcj02"};
    import_summary sum = import_ok(st, path, &o);
    ck_assert_int_eq(sum.segments, 1);
    sqlconn q = sql_open();
    for (int i = 0; i < 3; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT abs(ST_X(PointN(geom,%d)) - %.10f) + abs(ST_Y(PointN(geom,%d)) - %.10f)"
                 " FROM road_segments",
                 i + 1, wlon[i], i + 1, wlat[i]);
        ck_assert_double_le(sql_double(&q, sql), 1e-6); /* 10 cm */
    }
    sql_close(&q);
    unlink(path);
    drop_store(st);
}
END_TEST

/* ---- re-import ---- */

START_TEST(test_reimport_idempotent)
{
    store *st = fresh_store();
    import_summary s1 = import_ok(st, OSM_CLIP, NULL);
    import_roads_opts og = {.from_field = "u", .to_field = "v"};
    import_ok(st, EDGES_CLIP, &og);
    int64_t v1, v2, v3;
    ck_assert_int_eq(store_data_version(st, &v1), HZ_OK);
    sqlconn q = sql_open();
    const char *dump_sql = "SELECT s.id,s.source,s.source_id,s.from_node,s.to_node,s.name,s.class,"
                           "s.oneway,s.lanes,s.maxspeed,s.volume,s.length_m,s.extra,AsText(s.geom)"
                           " FROM road_segments s ORDER BY s.id";
    const char *nodes_sql = "SELECT id,source,node,degree,AsText(geom) FROM road_nodes ORDER BY id";
    char *d1 = sql_dump(&q, dump_sql), *n1 = sql_dump(&q, nodes_sql);
    sql_close(&q);
    import_summary s2 = import_ok(st, OSM_CLIP, NULL);
    ck_assert_int_eq(s2.unchanged, s1.segments);
    ck_assert_int_eq(s2.loaded + s2.replaced, 0);
    ck_assert_int_eq(store_data_version(st, &v2), HZ_OK);
    ck_assert_int_eq(v2, v1);
    q = sql_open();
    char *d2 = sql_dump(&q, dump_sql), *n2 = sql_dump(&q, nodes_sql);
    ck_assert_str_eq(d1, d2);
    ck_assert_str_eq(n1, n2);
    sql_close(&q);
    /* A changed file (one name, one way removed) replaces the source; the other source stays. */
    char path[256];
    snprintf(path, sizeof path, "/tmp/hazmap_check_roads_re_%d.osm", (int)getpid());
    FILE *in = fopen(OSM_CLIP, "r"), *out = fopen(path, "w");
    ck_assert(in && out);
    char line[1024];
    int renamed = 0;
    while (fgets(line, sizeof line, in)) {
        if (!renamed && strstr(line, "k=\"name\" v=\"")) {
            fputs("\t\t<tag k=\"name\" v=\"改名路\"/>\n", out);
            renamed = 1;
        } else {
            fputs(line, out);
        }
    }
    fclose(in);
    fclose(out);
    q = sql_open();
    int64_t other = sql_int(&q, "SELECT count(*) FROM road_segments WHERE source ="
                                " 'jinjiang_edges_clip.geojson'");
    sql_close(&q);
    import_roads_opts oo = {.source = "chengdu_north_2018_clip.osm"};
    import_summary s3 = import_ok(st, path, &oo);
    ck_assert_int_eq(s3.replaced, s1.segments);
    ck_assert_int_eq(store_data_version(st, &v3), HZ_OK);
    ck_assert_int_eq(v3, v1 + 1);
    q = sql_open();
    ck_assert_int_ge(sql_int(&q, "SELECT count(*) FROM road_segments WHERE name='改名路'"), 1);
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_segments"), s1.segments + other);
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_segments WHERE source ="
                                 " 'jinjiang_edges_clip.geojson'"),
                     other);
    sql_close(&q);
    free(d1), free(d2), free(n1), free(n2);
    unlink(path);
    drop_store(st);
}
END_TEST

/* ---- rejects ---- */

static char *rejects(void)
{
    sqlconn q = sql_open();
    char *r = sql_dump(&q, "SELECT line, reason FROM import_rejects ORDER BY rowid");
    sql_close(&q);
    return r;
}

START_TEST(test_rejects_named)
{
    char path[256];
    snprintf(path, sizeof path, "/tmp/hazmap_check_roads_bad_%d.geojson", (int)getpid());
    write_file(path,
               "{\"type\":\"FeatureCollection\",\"features\":[\n"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"ok\",\"maxspeed\":\"30 mph\","
               "\"oneway\":\"reverse\",\"aadt\":12000,\"surface\":\"asphalt\"},\"geometry\":"
               "{\"type\":\"LineString\",\"coordinates\":[[104.08,30.65],[104.081,30.65]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"pt\"},\"geometry\":{\"type\":"
               "\"Point\",\"coordinates\":[104.08,30.65]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"none\"},\"geometry\":null},\n"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"one\"},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.09,30.65],[104.09,30.65]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"lanes\",\"lanes\":\"abc\"},"
               "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[104.08,30.66],"
               "[104.081,30.66]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"far\"},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[504.08,30.66],[104.081,30.66]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"multi\",\"oneway\":\"yes\"},"
               "\"geometry\":{\"type\":\"MultiLineString\",\"coordinates\":[[[104.10,30.65],"
               "[104.101,30.65]],[[104.10,30.66],[104.101,30.66]]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"ok\"},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.12,30.65],[104.121,30.65]]}}\n"
               "]}\n");
    store *st = fresh_store();
    import_summary sum = import_ok(st, path, NULL);
    ck_assert_int_eq(sum.read, 8);
    ck_assert_int_eq(sum.rejected, 6);
    ck_assert_int_eq(sum.segments, 3);
    char *r = rejects();
    const char *want[] = {"2|feature 2: geometry is a POINT, not a line",
                          "3|feature 3: no geometry",
                          "4|feature 4: part 1 has fewer than 2 distinct vertices",
                          "5|feature 5: bad lanes value 'abc'",
                          "6|feature 6: part 1 has a coordinate that is not finite or outside",
                          "8|feature 8: id 'ok' is also feature 1's"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(strstr(r, want[i]), "no reject '%s' in:\n%s", want[i], r);
    free(r);
    sqlconn q = sql_open();
    ck_assert_double_eq_tol(sql_double(&q, "SELECT maxspeed FROM road_segments WHERE"
                                           " source_id='ok'"),
                            30 * 1.609344, 1e-9);
    ck_assert_int_eq(sql_int(&q, "SELECT oneway FROM road_segments WHERE source_id='ok'"), -1);
    ck_assert_int_eq(sql_int(&q, "SELECT volume FROM road_segments WHERE source_id='ok'"), 12000);
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_segments WHERE source_id='ok' AND"
                                 " extra='{\"surface\":\"asphalt\"}'"),
                     1);
    ck_assert_int_eq(sql_int(&q, "SELECT count(*) FROM road_segments WHERE source_id IN"
                                 " ('multi/1','multi/2') AND oneway=1"),
                     2);
    sql_close(&q);
    /* Given topology: from == to on an open line, a node in two places, a bad node id. */
    write_file(path,
               "{\"type\":\"FeatureCollection\",\"features\":[\n"
               "{\"type\":\"Feature\",\"properties\":{\"a\":1,\"b\":2},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.08,30.65],[104.081,30.65]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"a\":3,\"b\":3},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.08,30.66],[104.081,30.66]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"a\":2,\"b\":4},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.09,30.65],[104.091,30.65]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"a\":\"x\",\"b\":4},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.09,30.65],[104.091,30.65]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"a\":2,\"b\":5},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.081,30.65],[104.082,30.65]]}}\n"
               "]}\n");
    import_roads_opts o = {.from_field = "a", .to_field = "b", .source = "given"};
    sum = import_ok(st, path, &o);
    ck_assert_int_eq(sum.segments, 2);
    ck_assert_int_eq(sum.rejected, 3);
    r = rejects();
    ck_assert_msg(strstr(r, "2|feature 2: from and to node are both 3 but the line is not closed"),
                  "%s", r);
    ck_assert_msg(strstr(r, "3|feature 3: node 2 is "), "%s", r);
    ck_assert_msg(strstr(r, "4|feature 4: from/to node 'x'/'4' is not an integer"), "%s", r);
    free(r);
    /* A field named by an option must exist: an error, nothing written. */
    o.to_field = "nope";
    char err[512];
    ck_assert_int_eq(import_roads(st, path, &o, &sum, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "--to-node 'nope' not found"), "%s", err);
    ck_assert_int_eq(import_roads(st, "/nonexistent/roads.geojson", NULL, &sum, err, sizeof err),
                     HZ_EIO);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/roads.geojson"));
    unlink(path);
    drop_store(st);
}
END_TEST

/* ---- roadnet_load ---- */

typedef struct len_check {
    const roadnet *net;
    int checked;
} len_check;

static int check_len_cb(void *ud, const hz_road_seg_rec *r)
{
    len_check *c = ud;
    int64_t k = roadnet_seg_find(c->net, r->id);
    ck_assert_int_ge(k, 0);
    const roadnet_seg *s = &roadnet_segs(c->net)[k];
    ck_assert_double_eq_tol(s->length, r->length_m, 1e-6 * r->length_m);
    ck_assert_uint_eq(s->npts, r->npts);
    ck_assert_int_eq(roadnet_nodes(c->net)[s->from].id, r->from_id);
    ck_assert_int_eq(roadnet_nodes(c->net)[s->to].id, r->to_id);
    c->checked++;
    return 0;
}

START_TEST(test_roadnet_load_round_trip)
{
    store *st = fresh_store();
    char err[512];
    workcrs *w = workcrs_new(NULL, 104.08, 30.67, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    roadnet *net = roadnet_load(st, w, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    ck_assert_uint_eq(roadnet_seg_count(net), 0); /* no roads: an empty network */
    roadnet_free(net);
    import_summary a = import_ok(st, OSM_CLIP, NULL);
    /* A second source whose own node ids (1, 2, ...) are the numbers the first got: the
     * networks must not merge by those numbers (roadnet_build would refuse one id at two
     * places). */
    char path[256];
    snprintf(path, sizeof path, "/tmp/hazmap_check_roads_ids_%d.geojson", (int)getpid());
    write_file(path,
               "{\"type\":\"FeatureCollection\",\"features\":[\n"
               "{\"type\":\"Feature\",\"properties\":{\"f\":1,\"t\":2},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.20,30.60],[104.201,30.60]]}},\n"
               "{\"type\":\"Feature\",\"properties\":{\"f\":2,\"t\":3},\"geometry\":{\"type\":"
               "\"LineString\",\"coordinates\":[[104.201,30.60],[104.201,30.601]]}}]}\n");
    import_roads_opts o = {.from_field = "f", .to_field = "t"};
    import_summary b = import_ok(st, path, &o);
    int64_t nsegs, nnodes;
    ck_assert_int_eq(store_roads_counts(st, &nsegs, &nnodes), HZ_OK);
    ck_assert_int_eq(nsegs, a.segments + b.segments);
    net = roadnet_load(st, w, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    ck_assert_uint_eq(roadnet_seg_count(net), (size_t)nsegs);
    ck_assert_uint_eq(roadnet_node_count(net), (size_t)nnodes);
    ck_assert_double_eq_tol(roadnet_total_length(net) / 1000, a.km + b.km, 1e-6);
    len_check c = {net, 0};
    ck_assert_int_eq(store_road_segs_scan(st, check_len_cb, &c, err, sizeof err), HZ_OK);
    ck_assert_int_eq(c.checked, nsegs);
    roadnet_free(net);
    workcrs_free(w);
    unlink(path);
    drop_store(st);
}
END_TEST

START_TEST(test_old_database_migrated)
{
    store *st = fresh_store();
    store_close(st);
    /* a database from before roads: the tables dropped */
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(dbpath, &h), SQLITE_OK);
    void *cache = spatialite_alloc_connection();
    spatialite_init_ex(h, cache, 0);
    ck_assert_int_eq(sqlite3_exec(h,
                                  "SELECT DropTable(NULL, 'road_segments');"
                                  "SELECT DropTable(NULL, 'road_nodes');"
                                  "DROP TABLE road_sources;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    spatialite_cleanup_ex(cache);
    char err[512];
    st = store_open(dbpath, STORE_READONLY, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    int64_t ns = -1, nn = -1;
    ck_assert_int_eq(store_roads_counts(st, &ns, &nn), HZ_OK);
    ck_assert_int_eq(ns + nn, 0);
    workcrs *w = workcrs_new(NULL, 104.08, 30.67, err, sizeof err);
    roadnet *net = roadnet_load(st, w, err, sizeof err);
    ck_assert_msg(net != NULL, "%s", err);
    ck_assert_uint_eq(roadnet_seg_count(net), 0);
    roadnet_free(net);
    workcrs_free(w);
    store_close(st);
    st = store_open(dbpath, 0, err, sizeof err); /* read-write: the tables are added */
    ck_assert_msg(st != NULL, "%s", err);
    import_summary sum = import_ok(st, EDGES_CLIP, NULL);
    ck_assert_int_gt(sum.segments, 0);
    drop_store(st);
}
END_TEST

Suite *roads_suite(void)
{
    Suite *s = suite_create("roads");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_osm_split_at_shared_nodes);
    tcase_add_test(tc, test_given_topology_kept);
    tcase_add_test(tc, test_snap_tolerance);
    tcase_add_test(tc, test_gcj02_moved_back);
    tcase_add_test(tc, test_reimport_idempotent);
    tcase_add_test(tc, test_rejects_named);
    tcase_add_test(tc, test_roadnet_load_round_trip);
    tcase_add_test(tc, test_old_database_migrated);
    suite_add_tcase(s, tc);
    return s;
}

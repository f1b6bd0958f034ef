/* oapif.c - OGC API - Features Part 1 (core, geojson, oas30): landing page, conformance,
 * collections, the areas and incidents items, /healthz and /api/config.
 *
 * Items are selected from the in-memory snapshot (filters, bbox, datetime, paging in id order);
 * the incidents of the returned page are then read in full from the store by id. */
#include "hazmap/oapif.h"
#include "hazmap/apiroutes.h"
#include "hazmap/geojson.h"
#include "hazmap/hztime.h"
#include "hazmap/json_out.h"
#include "hazmap/poisson.h"
#include "hazmap/ptindex.h"
#include "hazmap/store_query.h"
#include "hazmap/qparam.h"
#include "hazmap/webroot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define GEOJSON "application/geo+json"
#define OPENAPI_TYPE "application/vnd.oai.openapi+json;version=3.0"

static json_t *link(const char *base, const char *path, const char *rel, const char *type,
                    const char *title)
{
    char href[1024];
    snprintf(href, sizeof href, "%s%s", base, path);
    return json_pack("{s:s, s:s, s:s, s:s}", "href", href, "rel", rel, "type", type, "title",
                     title);
}

/* Checks the arguments of an endpoint that takes only f=json|html (and optionally filters). */
static int check_plain_args(const hreq *rq, hresp *rs, const char *const *extra, int filters)
{
    const char *allowed[16] = {"f"};
    int n = 1;
    for (const char *const *e = extra; e && *e && n < 15; e++)
        allowed[n++] = *e;
    allowed[n] = NULL;
    char err[256];
    if (hreq_check_args(rq, allowed, filters, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    const char *f = hreq_arg_get(rq, "f");
    if (f && strcmp(f, "json") && strcmp(f, "html") && strcmp(f, "geojson")) {
        hresp_error(rs, 400, "InvalidParameterValue", "f: '%.32s' is not json or html", f);
        return -1;
    }
    return 0;
}

void oapif_landing(hctx *c, const hreq *rq, hresp *rs)
{
    if (check_plain_args(rq, rs, NULL, 0)) return;
    const char *f = hreq_arg_get(rq, "f");
    int html = f ? strcmp(f, "html") == 0 : hreq_wants_html(rq);
    if (html && c->cfg->web[0] && webroot_serve_path(c->cfg->web, "/index.html", rs) == 0) return;
    hresp_free(rs);
    json_t *links = json_array();
    json_array_append_new(links,
                          link(c->base, "/?f=json", "self", "application/json", "This document"));
    json_array_append_new(links, link(c->base, "/api", "service-desc", OPENAPI_TYPE,
                                      "The API definition (OpenAPI 3.0)"));
    json_array_append_new(
        links, link(c->base, "/api", "service-doc", OPENAPI_TYPE, "The API documentation"));
    json_array_append_new(links, link(c->base, "/conformance", "conformance", "application/json",
                                      "Conformance classes"));
    json_array_append_new(links, link(c->base, "/conformance",
                                      "http://www.opengis.net/def/rel/ogc/1.0/conformance",
                                      "application/json", "Conformance classes"));
    json_array_append_new(
        links, link(c->base, "/collections", "data", "application/json", "The collections"));
    json_array_append_new(links, link(c->base, "/collections",
                                      "http://www.opengis.net/def/rel/ogc/1.0/data",
                                      "application/json", "The collections"));
    if (c->cfg->web[0])
        json_array_append_new(links,
                              link(c->base, "/?f=html", "alternate", "text/html", "The map page"));
    json_t *j = json_pack("{s:s, s:s, s:o}", "title", c->cfg->title, "description",
                          "Injury hazard mapping: incidents, areas with rates per 100,000, "
                          "hot spots, black spots and density tiles",
                          "links", links);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

void oapif_conformance(hctx *c, const hreq *rq, hresp *rs)
{
    (void)c;
    if (check_plain_args(rq, rs, NULL, 0)) return;
    json_t *j = json_pack("{s:[s,s,s]}", "conformsTo",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson");
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

/* Spatial extent of the snapshot (areas, else incidents) and its time span. */
static void data_extent(const incset *s, double bb[4], int64_t *tmin, int64_t *tmax)
{
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    const hz_area *a = incset_areas(s);
    for (size_t i = 0; i < incset_area_count(s); i++) {
        bb[0] = fmin(bb[0], a[i].minlon);
        bb[1] = fmin(bb[1], a[i].minlat);
        bb[2] = fmax(bb[2], a[i].maxlon);
        bb[3] = fmax(bb[3], a[i].maxlat);
    }
    const hz_incident *it = incset_items(s);
    size_t n = incset_count(s);
    incset_time_span(s, tmin, tmax);
    if (*tmin == INT64_MIN) {
        *tmin = INT64_MAX; /* none dated */
        *tmax = INT64_MIN;
    }
    if (!incset_area_count(s)) {
        incset_note_scan(s);
        for (size_t i = 0; i < n; i++) {
            bb[0] = fmin(bb[0], it[i].lon);
            bb[1] = fmin(bb[1], it[i].lat);
            bb[2] = fmax(bb[2], it[i].lon);
            bb[3] = fmax(bb[3], it[i].lat);
        }
    }
    if (!isfinite(bb[0])) {
        bb[0] = -180;
        bb[1] = -90;
        bb[2] = 180;
        bb[3] = 90;
    }
}

static json_t *time_or_null(int64_t t)
{
    if (t == INT64_MIN || t == INT64_MAX) return json_null();
    char buf[32];
    hztime_format_iso(t, 0, buf);
    return json_string(buf);
}

typedef struct coll_def {
    const char *id, *title, *description;
    int planner_only;
} coll_def;

static coll_def collections_def(int i)
{
    coll_def d[] = {
        {"areas", "Areas",
         "Sub-district boundaries with population, incident counts and rates per "
         "100,000 per year (exact Poisson 95 % limits) under the filters",
         0},
        {"incidents", "Incidents", "Geocoded injury incidents (planners and editors only)", 1},
        {"hotspots", "Hot spots", "Getis-Ord Gi* hot and cold spot cells under the filters", 0},
        {"blackspots", "Black spots", "DBSCAN black-spot clusters, ranked", 0},
    };
    if (i < 0 || i >= (int)(sizeof d / sizeof *d)) return (coll_def){0};
    return d[i];
}

static int find_collection(hctx *c, const char *id, coll_def *out)
{
    for (int i = 0;; i++) {
        coll_def d = collections_def(i);
        if (!d.id) return -1;
        if (strcmp(d.id, id) == 0) {
            *out = d;
            return d.planner_only && c->role == HZ_ROLE_PUBLIC ? 1 : 0;
        }
    }
}

static json_t *collection_json(hctx *c, const coll_def *d, const double bb[4], int64_t tmin,
                               int64_t tmax)
{
    char path[128];
    json_t *links = json_array();
    snprintf(path, sizeof path, "/collections/%s", d->id);
    json_array_append_new(links, link(c->base, path, "self", "application/json", d->title));
    snprintf(path, sizeof path, "/collections/%s/items", d->id);
    json_array_append_new(links, link(c->base, path, "items", GEOJSON, d->title));
    return json_pack("{s:s, s:s, s:s, s:o, s:{s:{s:[[f,f,f,f]], s:s}, s:{s:[[o,o]], s:s}},"
                     " s:s, s:[s]}",
                     "id", d->id, "title", d->title, "description", d->description, "links", links,
                     "extent", "spatial", "bbox", bb[0], bb[1], bb[2], bb[3], "crs", CRS84,
                     "temporal", "interval", time_or_null(tmin), time_or_null(tmax), "trs",
                     "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian", "itemType", "feature",
                     "crs", CRS84);
}

void oapif_collections(hctx *c, const hreq *rq, hresp *rs)
{
    if (check_plain_args(rq, rs, NULL, 0)) return;
    double bb[4];
    int64_t tmin, tmax;
    data_extent(c->snap, bb, &tmin, &tmax);
    json_t *arr = json_array();
    for (int i = 0;; i++) {
        coll_def d = collections_def(i);
        if (!d.id) break;
        if (d.planner_only && c->role == HZ_ROLE_PUBLIC) continue;
        json_array_append_new(arr, collection_json(c, &d, bb, tmin, tmax));
    }
    json_t *links = json_array();
    json_array_append_new(
        links, link(c->base, "/collections", "self", "application/json", "The collections"));
    json_t *j = json_pack("{s:o, s:o}", "links", links, "collections", arr);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

static int collection_or_fail(hctx *c, const char *id, coll_def *d, hresp *rs)
{
    int r = find_collection(c, id, d);
    if (r < 0) {
        hresp_error(rs, 404, "NotFound", "no collection '%.64s'", id);
        return -1;
    }
    if (r > 0) {
        hresp_error(rs, 401, "Unauthorized", "collection '%s' needs a planner or editor token", id);
        hresp_header(rs, "WWW-Authenticate", "Bearer");
        return -1;
    }
    return 0;
}

void oapif_collection(hctx *c, const hreq *rq, hresp *rs)
{
    if (check_plain_args(rq, rs, NULL, 0)) return;
    coll_def d;
    if (collection_or_fail(c, c->seg[0], &d, rs)) return;
    double bb[4];
    int64_t tmin, tmax;
    data_extent(c->snap, bb, &tmin, &tmax);
    json_t *j = collection_json(c, &d, bb, tmin, tmax);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

/* ---- items ---- */

static const char *const items_args[] = {"f", "bbox", "limit", "offset", "datetime", NULL};

int oapif_parse_paging(hctx *c, const hreq *rq, oapif_paging *pg, hz_filter *f, hresp *rs,
                       const char *const *extra)
{
    const char *allowed[24];
    int n = 0;
    for (const char *const *a = items_args; *a; a++)
        allowed[n++] = *a;
    for (const char *const *e = extra; e && *e && n < 23; e++)
        allowed[n++] = *e;
    allowed[n] = NULL;
    char err[512];
    if (hreq_check_args(rq, allowed, 1, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    const char *fv = hreq_arg_get(rq, "f");
    if (fv && strcmp(fv, "json") && strcmp(fv, "geojson") && strcmp(fv, "html")) {
        hresp_error(rs, 400, "InvalidParameterValue", "f: '%.32s' is not json", fv);
        return -1;
    }
    memset(pg, 0, sizeof *pg);
    pg->limit = 100;
    pg->dt_from = INT64_MIN;
    pg->dt_to = INT64_MAX;
    const char *v;
    hz_status s = HZ_OK;
    if ((v = hreq_arg_get(rq, "bbox"))) {
        s = qparam_bbox(v, pg->bb, err, sizeof err);
        pg->has_bbox = 1;
    }
    if (s == HZ_OK && (v = hreq_arg_get(rq, "limit")))
        s = qparam_long("limit", v, 1, 10000, &pg->limit, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "offset")))
        s = qparam_long("offset", v, 0, 1000000000L, &pg->offset, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "datetime")))
        s = qparam_datetime(v, HZ_TZ_SHANGHAI, &pg->dt_from, &pg->dt_to, err, sizeof err);
    if (s != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    if (app_request_filter(c, rq, f, rs)) return -1;
    /* datetime narrows the filter's own date range */
    if (pg->dt_from > f->from) f->from = pg->dt_from;
    if (pg->dt_to < f->to) f->to = pg->dt_to;
    if (f->from >= f->to) f->to = f->from; /* empty, not an error: nothing matches */
    return 0;
}

/* "base/path?args-without-offset&offset=K". */
static json_t *page_link(hctx *c, const hreq *rq, const char *rel, long offset, const char *title)
{
    char href[4096];
    size_t off = 0;
    int n = snprintf(href, sizeof href, "%s%s?", c->base, rq->path);
    if (n < 0 || (size_t)n >= sizeof href) return NULL;
    off = (size_t)n;
    for (size_t i = 0; i < rq->nargs; i++) {
        if (strcmp(rq->args[i].key, "offset") == 0) continue;
        if (geojson_urlencode(href, sizeof href, &off, rq->args[i].key) || off + 2 >= sizeof href)
            return NULL;
        href[off++] = '=';
        href[off] = 0;
        if (geojson_urlencode(href, sizeof href, &off, rq->args[i].value) || off + 2 >= sizeof href)
            return NULL;
        href[off++] = '&';
        href[off] = 0;
    }
    n = snprintf(href + off, sizeof href - off, "offset=%ld", offset);
    if (n < 0 || (size_t)n >= sizeof href - off) return NULL;
    return json_pack("{s:s, s:s, s:s, s:s}", "href", href, "rel", rel, "type", GEOJSON, "title",
                     title);
}

/* Writes the FeatureCollection around the features' text ("f1,f2,..." without brackets). */
/* prov (may be NULL: none) is written as the "provenance" member; borrowed. */
static void send_collection_text(hctx *c, const hreq *rq, hresp *rs, const char *features,
                                 size_t flen, size_t returned, size_t matched,
                                 const oapif_paging *pg, json_t *prov)
{
    json_t *links = json_array();
    json_array_append_new(links, page_link(c, rq, "self", pg->offset, "This page"));
    if ((size_t)pg->offset + returned < matched)
        json_array_append_new(links,
                              page_link(c, rq, "next", pg->offset + (long)returned, "Next page"));
    if (pg->offset > 0) {
        long prev = pg->offset - pg->limit;
        json_array_append_new(links,
                              page_link(c, rq, "prev", prev < 0 ? 0 : prev, "Previous page"));
    }
    char ts[32];
    hztime_format_iso((int64_t)time(NULL), 0, ts);
    jbuf b = {0};
    jbuf_lit(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    jbuf_raw(&b, features, flen);
    jbuf_lit(&b, "],\"numberMatched\":");
    jbuf_int(&b, (long long)matched);
    jbuf_lit(&b, ",\"numberReturned\":");
    jbuf_int(&b, (long long)returned);
    jbuf_lit(&b, ",\"timeStamp\":");
    jbuf_str(&b, ts);
    jbuf_lit(&b, ",\"links\":");
    jbuf_json(&b, links);
    if (prov) {
        jbuf_lit(&b, ",\"provenance\":");
        jbuf_json(&b, prov);
    }
    jbuf_lit(&b, "}");
    json_decref(links);
    size_t len;
    char *text = jbuf_take(&b, &len);
    if (!text) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    hresp_take(rs, 200, GEOJSON, (unsigned char *)text, len);
}

void oapif_send_collection(hctx *c, const hreq *rq, hresp *rs, json_t *features, size_t matched,
                           const oapif_paging *pg)
{
    size_t returned = json_array_size(features);
    char *text = json_dumps(features, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(features);
    if (!text) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    size_t len = strlen(text); /* "[...]": the brackets are written by the caller below */
    send_collection_text(c, rq, rs, text + 1, len >= 2 ? len - 2 : 0, returned, matched, pg, NULL);
    free(text);
}

static void set_num_or_null(json_t *o, const char *k, double v, int is_null)
{
    json_object_set_new(o, k, is_null || !isfinite(v) ? json_null() : json_real(v));
}

/* Per-area counts under f (an incident counts for its area and every ancestor), and the years
 * the filter's date range covers within the data's span. */
typedef struct area_stats {
    long *count;
    char *suppressed; /* per area: hidden from the public */
    double years;
} area_stats;

static void area_stats_free(area_stats *as)
{
    free(as->count);
    free(as->suppressed);
    as->count = NULL;
    as->suppressed = NULL;
}

/* Which areas the audience may not see: disc_suppress_tree() over the area tree. */
static int mark_suppressed(hctx *c, area_stats *as)
{
    const hz_area *areas = incset_areas(c->snap);
    size_t na = incset_area_count(c->snap);
    long *parent = malloc((na ? na : 1) * sizeof *parent);
    if (!parent) return -1;
    for (size_t i = 0; i < na; i++)
        parent[i] = areas[i].parent;
    disc_policy pol = app_disclosure(c);
    disc_suppress_tree(&pol, na, as->count, parent, as->suppressed);
    free(parent);
    return 0;
}

static int compute_area_stats(hctx *c, const hz_filter *f, area_stats *as)
{
    const incset *s = c->snap;
    size_t na = incset_area_count(s);
    as->count = calloc(na ? na : 1, sizeof *as->count);
    as->suppressed = calloc(na ? na : 1, 1);
    if (!as->count || !as->suppressed) {
        area_stats_free(as);
        return -1;
    }
    const hz_area *areas = incset_areas(s);
    int32_t aidx = f->area[0] ? incset_area_find(s, f->area) : -1;
    const hz_incident *it = incset_items(s);
    int64_t tmin, tmax;
    incset_time_span(s, &tmin, &tmax);
    if (tmin == INT64_MIN) tmin = INT64_MAX; /* none dated */
    incset_note_scan(s);
    for (size_t i = 0; i < incset_count(s); i++) {
        if (it[i].area < 0 || !incset_match(s, f, aidx, &it[i])) continue;
        int32_t a = it[i].area;
        for (int depth = 0; a >= 0 && depth < 16; depth++) {
            as->count[a]++;
            a = areas[a].parent;
        }
    }
    /* Person-time as in rates.h (so /api/stats and this collection agree): the filter's date
     * range, open ends closed by the data's first and last local (+08:00) days; 365.25-day years.
     */
    int64_t from = f->from, to = f->to;
    if (tmin != INT64_MAX) {
        const int64_t tz = HZ_TZ_SHANGHAI, day = 86400;
        int64_t dmin = ((tmin + tz) / day) * day - tz, dmax = ((tmax + tz) / day + 1) * day - tz;
        if (from == INT64_MIN) from = dmin;
        if (to == INT64_MAX) to = dmax;
    }
    as->years = from != INT64_MIN && to != INT64_MAX && to > from
                    ? (double)(to - from) / (365.25 * 86400.0)
                    : NAN;
    if (mark_suppressed(c, as)) {
        area_stats_free(as);
        return -1;
    }
    return 0;
}

static json_t *area_feature(const hz_area *a, long count, int suppressed, double years)
{
    json_t *geom = geojson_from_wkb(a->wkb, a->wkb_len);
    json_t *p =
        json_pack("{s:s, s:s, s:o, s:s, s:o}", "code", a->code, "name", a->name, "name_en",
                  a->name_en ? json_string(a->name_en) : json_null(), "level", a->level,
                  "parent_code", a->parent_code ? json_string(a->parent_code) : json_null());
    if (!p) {
        json_decref(geom);
        return NULL;
    }
    json_object_set_new(p, "population",
                        a->population >= 0 ? json_integer(a->population) : json_null());
    json_object_set_new(p, "count", suppressed ? json_null() : json_integer(count));
    double rate = NAN, lo = NAN, hi = NAN;
    if (a->population > 0 && isfinite(years) && years > 0) {
        double scale = 1e5 / ((double)a->population * years);
        poisson_ci(count, 0.95, &lo, &hi);
        rate = (double)count * scale;
        lo *= scale;
        hi *= scale;
    }
    set_num_or_null(p, "rate", rate, suppressed);
    set_num_or_null(p, "rate_lo", lo, suppressed);
    set_num_or_null(p, "rate_hi", hi, suppressed);
    json_object_set_new(p, "unstable", json_boolean(count < 20));
    json_object_set_new(p, "suppressed", json_boolean(suppressed));
    return json_pack("{s:s, s:s, s:o, s:o}", "type", "Feature", "id", a->code, "geometry",
                     geom ? geom : json_null(), "properties", p);
}

static int bbox_hits(const double bb[4], double w, double s, double e, double n)
{
    return !(e < bb[0] || w > bb[2] || n < bb[1] || s > bb[3]);
}

static void areas_items(hctx *c, const hreq *rq, hresp *rs)
{
    oapif_paging pg;
    hz_filter f;
    if (oapif_parse_paging(c, rq, &pg, &f, rs, NULL)) return;
    area_stats as;
    if (compute_area_stats(c, &f, &as)) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    const hz_area *areas = incset_areas(c->snap);
    json_t *features = json_array();
    size_t matched = 0;
    for (size_t i = 0; i < incset_area_count(c->snap); i++) {
        const hz_area *a = &areas[i];
        if (pg.has_bbox && !bbox_hits(pg.bb, a->minlon, a->minlat, a->maxlon, a->maxlat)) continue;
        matched++;
        if (matched <= (size_t)pg.offset || json_array_size(features) >= (size_t)pg.limit) continue;
        json_array_append_new(features, area_feature(a, as.count[i], as.suppressed[i], as.years));
    }
    /* The analysis behind the counts and rates (no incident total: the total less the visible
     * counts would be the suppressed ones). */
    char filters[1024];
    filter_canonical(&f, filters, sizeof filters);
    json_t *prov = json_pack(
        "{s:s, s:s, s:o, s:I, s:i}", "filters", filters, "method",
        "count of the filtered incidents in the area and its sub-areas; crude rate per 100,000 per "
        "year, exact Poisson 95 % CI (Garwood 1936), as /api/stats",
        "years", isfinite(as.years) ? json_real(as.years) : json_null(), "data_version",
        (json_int_t)incset_data_version(c->snap), "suppress_below",
        c->role == HZ_ROLE_PUBLIC ? c->cfg->min_count : 0);
    area_stats_free(&as);
    char *text = json_dumps(features, JSON_COMPACT | JSON_REAL_PRECISION(12));
    size_t returned = json_array_size(features);
    json_decref(features);
    if (!text) {
        json_decref(prov);
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    size_t len = strlen(text);
    send_collection_text(c, rq, rs, text + 1, len >= 2 ? len - 2 : 0, returned, matched, &pg, prov);
    json_decref(prov);
    free(text);
}

typedef struct inc_page {
    jbuf b;
    size_t n;
} inc_page;

static void put_key(jbuf *b, const char *key)
{
    jbuf_lit(b, ",\"");
    jbuf_lit(b, key);
    jbuf_lit(b, "\":");
}

static void put_int_or_null(jbuf *b, const char *key, long v, long null_value)
{
    put_key(b, key);
    if (v == null_value)
        jbuf_lit(b, "null");
    else
        jbuf_int(b, v);
}

/* One incident as a GeoJSON Feature, written directly (a page holds up to 10,000). */
static int incident_feature_cb(void *ud, const hz_incident_rec *r)
{
    inc_page *pg = ud;
    jbuf *b = &pg->b;
    if (pg->n++) jbuf_lit(b, ",");
    jbuf_lit(b, "{\"type\":\"Feature\",\"id\":");
    jbuf_int(b, r->id);
    jbuf_lit(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
    jbuf_fixed7(b, r->lon);
    jbuf_lit(b, ",");
    jbuf_fixed7(b, r->lat);
    jbuf_lit(b, "]},\"properties\":{\"id\":");
    jbuf_int(b, r->id);
    put_key(b, "source");
    jbuf_str(b, r->source);
    put_key(b, "source_id");
    jbuf_str(b, r->source_id);
    put_key(b, "occurred_at");
    jbuf_str(b, r->occurred_at);
    put_key(b, "mechanism");
    jbuf_str(b, vocab_name(HZ_VOCAB_MECHANISM, r->mechanism));
    put_key(b, "place");
    jbuf_str(b, vocab_name(HZ_VOCAB_PLACE, r->place));
    put_key(b, "intent");
    jbuf_str(b, vocab_name(HZ_VOCAB_INTENT, r->intent));
    put_key(b, "severity");
    jbuf_str(b, vocab_name(HZ_VOCAB_SEVERITY, r->severity));
    put_int_or_null(b, "victims", r->victims, -1);
    put_int_or_null(b, "age", r->age, -1);
    put_key(b, "sex");
    jbuf_str(b, vocab_name(HZ_VOCAB_SEX, r->sex));
    put_key(b, "disability");
    jbuf_lit(b, r->disability < 0 ? "null" : r->disability ? "true" : "false");
    put_key(b, "description");
    jbuf_str(b, r->description);
    put_key(b, "area_code");
    jbuf_str(b, r->area_code);
    put_key(b, "extra");
    /* The source's extra columns, a JSON object; re-encoded so the output stays valid JSON
     * whatever the column holds. */
    json_t *extra = r->extra ? json_loads(r->extra, JSON_DECODE_ANY, NULL) : NULL;
    if (extra)
        jbuf_json(b, extra);
    else
        jbuf_str(b, r->extra);
    json_decref(extra);
    jbuf_lit(b, "}}");
    return b->failed;
}

static int need_planner(hctx *c, hresp *rs)
{
    if (c->role != HZ_ROLE_PUBLIC) return 0;
    hresp_error(rs, 401, "Unauthorized", "individual incidents need a planner or editor token");
    hresp_header(rs, "WWW-Authenticate", "Bearer");
    return -1;
}

static void incidents_items(hctx *c, const hreq *rq, hresp *rs)
{
    if (need_planner(c, rs)) return;
    oapif_paging pg;
    hz_filter f;
    if (oapif_parse_paging(c, rq, &pg, &f, rs, NULL)) return;
    const incset *s = c->snap;
    int32_t aidx = f.area[0] ? incset_area_find(s, f.area) : -1;
    const hz_incident *it = incset_items(s);
    size_t n = incset_count(s), matched = 0, np = 0;
    incset_note_scan(s);
    int64_t *ids = malloc((size_t)pg.limit * sizeof *ids);
    if (!ids) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    /* With a bbox only the grid cells it touches are visited (ptindex); the candidates come
     * back in id order, so paging is the same as for the full scan. The default filter matches
     * everything and needs no per-incident test. */
    hz_filter open;
    filter_init(&open);
    int all = memcmp(&open, &f, sizeof f) == 0;
    uint32_t *cand = NULL;
    size_t ncand = n;
    if (pg.has_bbox && (!c->pti || ptindex_query(c->pti, pg.bb, &cand, &ncand) != HZ_OK)) {
        free(ids);
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    for (size_t k = 0; k < ncand; k++) {
        size_t i = cand ? cand[k] : k;
        if (!all && !incset_match(s, &f, aidx, &it[i])) continue;
        if (matched >= (size_t)pg.offset && np < (size_t)pg.limit) ids[np++] = it[i].id;
        matched++;
        if (all && !pg.has_bbox && np == (size_t)pg.limit) {
            matched = n; /* every incident matches: no need to look further */
            break;
        }
    }
    free(cand);
    inc_page page = {{0}, 0};
    char err[512];
    hz_status st = store_query_read_begin(c->st, err, sizeof err);
    if (st == HZ_OK) {
        st = store_incidents_get(c->st, ids, np, incident_feature_cb, &page, err, sizeof err);
        store_query_read_end(c->st);
    }
    free(ids);
    if (st != HZ_OK) {
        jbuf_free(&page.b);
        app_fail(rs, st, err);
        return;
    }
    size_t flen;
    char *ftext = jbuf_take(&page.b, &flen);
    if (!ftext) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    send_collection_text(c, rq, rs, ftext, flen, page.n, matched, &pg, NULL);
    free(ftext);
}

void oapif_items(hctx *c, const hreq *rq, hresp *rs)
{
    coll_def d;
    if (collection_or_fail(c, c->seg[0], &d, rs)) return;
    if (strcmp(d.id, "areas") == 0)
        areas_items(c, rq, rs);
    else if (strcmp(d.id, "incidents") == 0)
        incidents_items(c, rq, rs);
    else
        apiroutes_collection_items(c, d.id, rq, rs);
}

void oapif_item(hctx *c, const hreq *rq, hresp *rs)
{
    coll_def d;
    if (collection_or_fail(c, c->seg[0], &d, rs)) return;
    const char *fid = c->seg[1];
    if (strcmp(d.id, "areas") == 0) {
        hz_filter f;
        if (check_plain_args(rq, rs, NULL, 1) || app_request_filter(c, rq, &f, rs)) return;
        int32_t k = incset_area_find(c->snap, fid);
        if (k < 0) {
            hresp_error(rs, 404, "NotFound", "no area '%.64s'", fid);
            return;
        }
        area_stats as;
        if (compute_area_stats(c, &f, &as)) {
            hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
            return;
        }
        json_t *feat =
            area_feature(&incset_areas(c->snap)[k], as.count[k], as.suppressed[k], as.years);
        area_stats_free(&as);
        hresp_json(rs, 200, feat, GEOJSON);
        json_decref(feat);
        return;
    }
    if (strcmp(d.id, "incidents") == 0) {
        if (check_plain_args(rq, rs, NULL, 0)) return;
        long id;
        char err[256];
        if (qparam_long("featureId", fid, 1, 9007199254740991L, &id, err, sizeof err) != HZ_OK) {
            hresp_error(rs, 404, "NotFound", "no incident '%.64s'", fid);
            return;
        }
        int64_t id64 = id;
        inc_page page = {{0}, 0};
        hz_status st =
            store_incidents_get(c->st, &id64, 1, incident_feature_cb, &page, err, sizeof err);
        size_t flen;
        char *ftext = jbuf_take(&page.b, &flen);
        if (st != HZ_OK || page.n != 1 || !ftext) {
            free(ftext);
            if (st != HZ_OK)
                app_fail(rs, st, err);
            else
                hresp_error(rs, 404, "NotFound", "no incident %ld", id);
            return;
        }
        hresp_take(rs, 200, GEOJSON, (unsigned char *)ftext, flen);
        return;
    }
    apiroutes_collection_item(c, d.id, fid, rq, rs);
}

void oapif_healthz(hctx *c, const hreq *rq, hresp *rs)
{
    if (check_plain_args(rq, rs, NULL, 0)) return;
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:I}", "status", "ok", "areas", (json_int_t)incset_area_count(c->snap),
        "incidents", (json_int_t)incset_count(c->snap), "data_version", (json_int_t)c->version);
    hresp_json(rs, 200, j, "application/json");
    hresp_header(rs, "Cache-Control", "no-store");
    json_decref(j);
}

void oapif_config(hctx *c, const hreq *rq, hresp *rs)
{
    if (check_plain_args(rq, rs, NULL, 0)) return;
    double bb[4];
    int64_t tmin, tmax;
    data_extent(c->snap, bb, &tmin, &tmax);
    json_t *basemap = c->cfg->basemap_url[0]
                          ? json_pack("{s:s, s:s, s:b}", "url", c->cfg->basemap_url, "attribution",
                                      c->cfg->basemap_attribution, "gcj02", c->cfg->basemap_gcj02)
                          : json_null();
    char from[32] = "", to[32] = "";
    if (tmin != INT64_MAX) {
        hztime_format_iso(tmin, HZ_TZ_SHANGHAI, from);
        hztime_format_iso(tmax, HZ_TZ_SHANGHAI, to);
        from[10] = to[10] = 0; /* the dates */
    }
    json_t *j = json_pack("{s:s, s:s, s:i, s:f, s:o, s:[f,f,f,f], s:I, s:o, s:o}", "title",
                          c->cfg->title, "role", tokens_role_name(c->role), "min_count",
                          c->cfg->min_count, "min_bandwidth", c->cfg->min_bandwidth, "basemap",
                          basemap ? basemap : json_null(), "bounds", bb[0], bb[1], bb[2], bb[3],
                          "data_version", (json_int_t)c->version, "data_from",
                          from[0] ? json_string(from) : json_null(), "data_to",
                          to[0] ? json_string(to) : json_null());
    hresp_json(rs, 200, j, "application/json");
    hresp_header(rs, "Cache-Control", "no-cache");
    hresp_header(rs, "Vary", "Authorization");
    json_decref(j);
}

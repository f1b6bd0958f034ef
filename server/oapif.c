/* oapif.c - OGC API - Features Part 1 (core, geojson, oas30): landing page, conformance, the
 * items of the areas and incidents collections (the table of collections is collections.c),
 * /healthz and /api/config.
 *
 * Items are selected from the in-memory snapshot (filters, bbox, datetime) and paged in id order
 * (paging.h); the incidents of the returned page are then read in full from the store by id. */
#include "hazmap/oapif.h"
#include "hazmap/pubstats.h"
#include "hazmap/release.h"
#include "hazmap/geojson.h"
#include "hazmap/htmlpage.h"
#include "hazmap/hztime.h"
#include "hazmap/json_out.h"
#include "hazmap/paging.h"
#include "hazmap/poisson.h"
#include "hazmap/ptindex.h"
#include "hazmap/store_query.h"
#include "hazmap/qparam.h"
#include "hazmap/vocab.h"
#include "hazmap/webroot.h"
#include "hazmap/wgroups.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEOJSON "application/geo+json"
#define OPENAPI_TYPE "application/vnd.oai.openapi+json;version=3.0"

json_t *oapif_link(const char *base, const char *path, const char *rel, const char *type,
                   const char *title)
{
    char href[1024];
    snprintf(href, sizeof href, "%s%s", base, path);
    return json_pack("{s:s, s:s, s:s, s:s}", "href", href, "rel", rel, "type", type, "title",
                     title);
}

void oapif_landing(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    const char *f = hreq_arg_get(rq, "f");
    int html = f ? strcmp(f, "html") == 0 : hreq_wants_html(rq);
    if (html && c->cfg->web[0] && webroot_serve_path(c->cfg->web, "/index.html", rs) == 0) return;
    hresp_free(rs);
    json_t *links = json_array();
    json_array_append_new(
        links, oapif_link(c->base, "/?f=json", "self", "application/json", "This document"));
    json_array_append_new(links, oapif_link(c->base, "/api", "service-desc", OPENAPI_TYPE,
                                            "The API definition (OpenAPI 3.0)"));
    json_array_append_new(
        links, oapif_link(c->base, "/api", "service-doc", OPENAPI_TYPE, "The API documentation"));
    json_array_append_new(links, oapif_link(c->base, "/conformance", "conformance",
                                            "application/json", "Conformance classes"));
    json_array_append_new(links, oapif_link(c->base, "/conformance",
                                            "http://www.opengis.net/def/rel/ogc/1.0/conformance",
                                            "application/json", "Conformance classes"));
    json_array_append_new(
        links, oapif_link(c->base, "/collections", "data", "application/json", "The collections"));
    json_array_append_new(links, oapif_link(c->base, "/collections",
                                            "http://www.opengis.net/def/rel/ogc/1.0/data",
                                            "application/json", "The collections"));
    json_array_append_new(links, oapif_link(c->base, "/conformance?f=html", "alternate",
                                            "text/html", "Conformance classes as HTML"));
    json_array_append_new(links, oapif_link(c->base, "/collections?f=html", "alternate",
                                            "text/html", "The collections as HTML"));
    json_array_append_new(links, oapif_link(c->base, "/?f=html", "alternate", "text/html",
                                            c->cfg->web[0] ? "The map page" : "This page as HTML"));
    json_t *j = json_pack("{s:s, s:s, s:o}", "title", c->cfg->title, "description",
                          "Injury hazard mapping: incidents, areas with rates per 100,000, "
                          "hot spots, black spots and density tiles",
                          "links", links);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    htmlpage_convert(c, rq, rs, c->cfg->title); /* f=html without a web root */
}

void oapif_conformance(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    json_t *j = json_pack("{s:[s,s,s,s,s, s,s,s,s,s,s]}", "conformsTo",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                          /* f=html of the landing page, conformance, collections and items
                           * (htmlpage.h) */
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
                          /* crs and bbox-crs on the items (paging.c, outcrs.h) */
                          "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
                          /* the density layer's tiles (ogctiles.h) */
                          "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
                          "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
                          "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
                          "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
                          "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png",
                          "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset");
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    htmlpage_convert(c, rq, rs, "Conformance classes");
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

typedef struct area_job {
    const hz_area *areas;
    const area_stats *as;
} area_job;

static json_t *area_feature_at(void *ud, size_t i)
{
    const area_job *j = ud;
    return area_feature(&j->areas[i], j->as->count[i], j->as->suppressed[i], j->as->years);
}

void oapif_areas_items(hctx *c, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC) {
        pubstats_areas_items(c, rq, rs);
        return;
    }
    paging_params pg;
    hz_filter f;
    if (paging_parse(c, rq, &pg, &f, rs, NULL)) return;
    area_stats as;
    paging_page *page = paging_page_new(&pg);
    if (!page || compute_area_stats(c, &f, &as)) {
        paging_page_free(page);
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    area_job job = {incset_areas(c->snap), &as};
    paging_add_areas(c, &pg, page, area_feature_at, &job);
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
    paging_send(c, rq, rs, page, prov);
    json_decref(prov);
}

void oapif_send_feature(hresp *rs, json_t *feat, int crs)
{
    char *text = feat ? json_dumps(feat, JSON_COMPACT) : NULL;
    json_decref(feat);
    if (text)
        paging_send_feature(rs, text, strlen(text), crs);
    else
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
    free(text);
}

void oapif_area_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    if (c->role == HZ_ROLE_PUBLIC) {
        pubstats_area_item(c, fid, rq, rs);
        return;
    }
    static const char *const allowed[] = {"crs", NULL};
    hz_filter f;
    int crs;
    if (app_check_args(rq, allowed, 1, rs) || paging_crs(c, rq, &crs, rs) ||
        app_request_filter(c, rq, &f, rs))
        return;
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
    json_t *feat = area_feature(&incset_areas(c->snap)[k], as.count[k], as.suppressed[k], as.years);
    area_stats_free(&as);
    json_object_set_new(feat, "links", paging_item_links(c));
    oapif_send_feature(rs, feat, crs);
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
    if (hz_rec_has_point(r)) {
        jbuf_lit(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
        jbuf_fixed7(b, r->lon);
        jbuf_lit(b, ",");
        jbuf_fixed7(b, r->lat);
        jbuf_lit(b, "]}");
    } else { /* an area-only incident: a feature without geometry (RFC 7946 3.2), its area_code
              * in the properties */
        jbuf_lit(b, ",\"geometry\":null");
    }
    jbuf_lit(b, ",\"properties\":{\"id\":");
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
    /* the surveillance card's fields (issue 11), null when unknown */
    put_key(b, "activity");
    jbuf_str(b, vocab_name(HZ_VOCAB_ACTIVITY, r->activity));
    put_key(b, "outcome");
    jbuf_str(b, vocab_name(HZ_VOCAB_OUTCOME, r->outcome));
    put_key(b, "nature");
    jbuf_str(b, vocab_name(HZ_VOCAB_NATURE, r->nature));
    put_key(b, "body_part");
    jbuf_str(b, vocab_name(HZ_VOCAB_BODY_PART, r->body_part));
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

int oapif_incidents_refused(hctx *c, hresp *rs)
{
    if (tokens_reads_incidents(c->role)) return 0;
    if (c->role == HZ_ROLE_PUBLIC) {
        hresp_error(rs, 401, "Unauthorized", "individual incidents need a planner token");
        hresp_header(rs, "WWW-Authenticate", "Bearer");
    } else {
        hresp_error(rs, 403, "Forbidden",
                    "individual incidents are read by planners only; an editor's token may add "
                    "incidents (POST) but not read them");
    }
    return -1;
}

/* The ids of the page's incidents, in id order, into ids (room for pg's limit). With a bbox only
 * the grid cells it touches are visited (ptindex); the candidates come back in id order, so
 * paging is the same as for the full scan. The default filter matches everything and needs no
 * per-incident test. Returns the number of ids, or -1 on OOM. */
/* The incidents in the request's bbox, in id order (ptindex), into a malloc'd *cand; a box
 * across the antimeridian is two boxes, merged. -1 on OOM. */
static int bbox_candidates(hctx *c, const paging_params *pg, uint32_t **cand, size_t *n)
{
    double parts[2][4];
    int np = qparam_bbox_split(pg->bb, parts);
    uint32_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (!c->pti || ptindex_query(c->pti, parts[0], &a, &na) != HZ_OK) return -1;
    if (np == 2 && ptindex_query(c->pti, parts[1], &b, &nb) != HZ_OK) {
        free(a);
        return -1;
    }
    if (np == 1 || nb == 0) {
        *cand = a;
        *n = na;
        free(b);
        return 0;
    }
    uint32_t *m = malloc((na + nb) * sizeof *m);
    size_t i = 0, j = 0, k = 0;
    while (m && (i < na || j < nb)) { /* both in id order; a point on the antimeridian once */
        if (j >= nb || (i < na && a[i] < b[j]))
            m[k++] = a[i++];
        else if (i >= na || b[j] < a[i])
            m[k++] = b[j++];
        else
            m[k++] = a[i++], j++;
    }
    free(a);
    free(b);
    if (!m) return -1;
    *cand = m;
    *n = k;
    return 0;
}

static long select_incidents(hctx *c, const paging_params *pg, const hz_filter *f,
                             paging_page *page, int64_t *ids)
{
    const incset *s = c->snap;
    int32_t aidx = f->area[0] ? incset_area_find(s, f->area) : -1;
    const hz_incident *it = incset_items(s);
    size_t n = incset_count(s), np = 0;
    incset_note_scan(s);
    hz_filter open;
    filter_init(&open);
    int all = memcmp(&open, f, sizeof *f) == 0;
    uint32_t *cand = NULL;
    size_t ncand = n;
    if (pg->has_bbox && bbox_candidates(c, pg, &cand, &ncand)) return -1;
    for (size_t k = 0; k < ncand; k++) {
        size_t i = cand ? cand[k] : k;
        if (!all && !incset_match(s, f, aidx, &it[i])) continue;
        if (paging_match(page)) ids[np++] = it[i].id;
        if (all && !pg->has_bbox && paging_full(page)) {
            paging_set_matched(page, n); /* every incident matches: no need to look further */
            break;
        }
    }
    free(cand);
    return (long)np;
}

void oapif_incidents_items(hctx *c, const hreq *rq, hresp *rs)
{
    if (oapif_incidents_refused(c, rs)) return;
    paging_params pg;
    hz_filter f;
    if (paging_parse(c, rq, &pg, &f, rs, NULL)) return;
    paging_page *page = paging_page_new(&pg);
    int64_t *ids = malloc((size_t)pg.limit * sizeof *ids);
    long np = page && ids ? select_incidents(c, &pg, &f, page, ids) : -1;
    if (np < 0) {
        free(ids);
        paging_page_free(page);
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    inc_page feats = {{0}, 0};
    char err[512];
    hz_status st = store_query_read_begin(c->st, err, sizeof err);
    if (st == HZ_OK) {
        st = store_incidents_get(c->st, ids, (size_t)np, incident_feature_cb, &feats, err,
                                 sizeof err);
        store_query_read_end(c->st);
    }
    free(ids);
    size_t flen;
    char *ftext = jbuf_take(&feats.b, &flen);
    if (st != HZ_OK || !ftext) {
        free(ftext);
        paging_page_free(page);
        if (st != HZ_OK)
            app_fail(rs, st, err);
        else
            hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    paging_add_text(page, ftext, flen, feats.n);
    free(ftext);
    paging_send(c, rq, rs, page, NULL);
}

void oapif_incident_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    static const char *const allowed[] = {"crs", NULL};
    int crs;
    if (oapif_incidents_refused(c, rs) || app_check_args(rq, allowed, 0, rs) ||
        paging_crs(c, rq, &crs, rs))
        return;
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
    /* the feature's text ends with its closing brace: its links go before it */
    json_t *links = paging_item_links(c);
    char *ltext = links ? json_dumps(links, JSON_COMPACT) : NULL;
    json_decref(links);
    size_t llen = ltext ? strlen(ltext) : 0;
    char *full = ltext ? malloc(flen + llen + 16) : NULL;
    if (!full) {
        free(ftext);
        free(ltext);
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    int n = snprintf(full, flen + llen + 16, "%.*s,\"links\":%s}", (int)(flen - 1), ftext, ltext);
    free(ftext);
    free(ltext);
    paging_send_feature(rs, full, (size_t)n, crs);
    free(full);
}

void oapif_healthz(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    json_t *j;
    if (c->role == HZ_ROLE_PUBLIC) /* no counts: the public learns only the release it sees */
        j = json_pack("{s:s, s:o}", "status", "ok", "release",
                      c->rel ? json_integer(rel_id(c->rel)) : json_null());
    else
        j = json_pack("{s:s, s:I, s:I, s:I}", "status", "ok", "areas",
                      (json_int_t)incset_area_count(c->snap), "incidents",
                      (json_int_t)incset_count(c->snap), "data_version", (json_int_t)c->version);
    hresp_json(rs, 200, j, "application/json");
    hresp_header(rs, "Cache-Control", "no-store");
    json_decref(j);
}

/* Every vocabulary by its name, each the list of its words in code order (vocab.h): the words the
 * filters accept and the incidents carry, so that the page offers exactly those. */
/* The working groups of wgroups.h, in the programme's order: {key, name_zh, name_en, filter (a
 * query string of filter parameters, "" for every incident), working}. The page builds its
 * group selector and filters from it (web/js/state.js); the C table is the only copy. */
static json_t *groups_json(void)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < wgroup_count(); i++) {
        const wgroup *g = wgroup_at(i);
        if (json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b}", "key", g->key,
                                               "name_zh", g->name_zh, "name_en", g->name_en,
                                               "filter", g->filter, "working", g->working)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *vocabularies_json(void)
{
    json_t *o = json_object();
    for (int k = 0; k < HZ_VOCAB_KINDS; k++) {
        json_t *words = json_array();
        for (int v = 1; v < vocab_count((hz_vocab)k); v++)
            json_array_append_new(words, json_string(vocab_name((hz_vocab)k, v)));
        json_object_set_new(o, vocab_label((hz_vocab)k), words);
    }
    return o;
}

/* What the public page may ask of the release it is shown (the public answers only from it): the
 * release's id, its period, and the labels of its year, injury group and place group dimensions,
 * copied from the release's metadata. NULL without a release. */
static json_t *release_json(const rel_release *r)
{
    if (!r) return NULL;
    const json_t *meta = rel_metadata(r), *dims = json_object_get(meta, "dimensions");
    const json_t *period = json_object_get(meta, "period");
    json_t *o = json_pack("{s:I}", "id", (json_int_t)rel_id(r));
    if (!o) return NULL;
    static const char *const keys[] = {"first_quarter", "last_quarter", "from", "until"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const json_t *v = json_object_get(period, keys[k]);
        json_object_set_new(o, keys[k], v ? json_deep_copy(v) : json_null());
    }
    static const char *const dimnames[][2] = {
        {"years", "year"}, {"injury_group", "injury_group"}, {"place_group", "place_group"}};
    for (size_t k = 0; k < sizeof dimnames / sizeof *dimnames; k++) {
        const json_t *l = json_object_get(json_object_get(dims, dimnames[k][1]), "labels");
        json_object_set_new(o, dimnames[k][0], l ? json_deep_copy(l) : json_array());
    }
    return o;
}

void oapif_config(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    double bb[4];
    int64_t tmin, tmax;
    incset_extent(c->snap, bb);
    app_time_span(c, &tmin, &tmax);
    json_t *basemap = c->cfg->basemap_url[0]
                          ? json_pack("{s:s, s:s, s:b}", "url", c->cfg->basemap_url, "attribution",
                                      c->cfg->basemap_attribution, "gcj02", c->cfg->basemap_gcj02)
                          : json_null();
    char from[32] = "", to[32] = "";
    if (tmin != INT64_MIN) { /* some incident is dated */
        hztime_format_iso(tmin, HZ_TZ_SHANGHAI, from);
        hztime_format_iso(tmax, HZ_TZ_SHANGHAI, to);
        from[10] = to[10] = 0; /* the dates */
    }
    json_t *j = json_pack(
        "{s:s, s:s, s:i, s:f, s:o, s:[f,f,f,f], s:I, s:o, s:o, s:o, s:o}", "title", c->cfg->title,
        "role", tokens_role_name(c->role), "min_count", c->cfg->min_count, "min_bandwidth",
        c->cfg->min_bandwidth, "basemap", basemap ? basemap : json_null(), "bounds", bb[0], bb[1],
        bb[2], bb[3], "data_version",
        (json_int_t)(c->role == HZ_ROLE_PUBLIC ? (c->rel ? rel_id(c->rel) : 0) : c->version),
        "data_from", from[0] ? json_string(from) : json_null(), "data_to",
        to[0] ? json_string(to) : json_null(), "vocabularies", vocabularies_json(), "groups",
        groups_json());
    json_t *rel = c->role == HZ_ROLE_PUBLIC ? release_json(c->rel) : NULL;
    if (j && rel)
        json_object_set_new(j, "release", rel);
    else
        json_decref(rel);
    hresp_json(rs, 200, j, "application/json");
    hresp_header(rs, "Cache-Control", "no-cache");
    json_decref(j);
}

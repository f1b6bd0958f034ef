/* paging.c - one page of a collection's items and the FeatureCollection around it (paging.h).
 *
 * Invariants of a page (asserted): returned <= selected <= limit, and selected <= matched -
 * offset when matched > offset (else selected = 0): a feature is selected only when its number
 * is past the offset and the page has room, and only selected features are added. */
#include "hazmap/paging.h"
#include "hazmap/oapif.h"
#include "hazmap/geojson.h"
#include "hazmap/hztime.h"
#include "hazmap/json_out.h"
#include "hazmap/qparam.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GEOJSON "application/geo+json"

struct paging_page {
    paging_params pg;
    size_t matched;  /* matching features seen (or set) */
    size_t selected; /* of them on the page */
    size_t returned; /* features added */
    jbuf features;   /* their text, comma-separated */
};

static const char *const items_args[] = {"bbox", "limit", "offset", "datetime"};
enum { N_ITEMS_ARGS = sizeof items_args / sizeof *items_args };

/* The paging arguments (and the filters' names when filters is non-zero) into pg. */
static int parse_paging(const hreq *rq, paging_params *pg, hresp *rs, const char *const *extra,
                        int filters, int datetime)
{
    const char *allowed[APP_MAX_ARGS + 1];
    int n = 0;
    for (int k = 0; k < N_ITEMS_ARGS; k++)
        if (datetime || strcmp(items_args[k], "datetime")) allowed[n++] = items_args[k];
    for (const char *const *e = extra; e && *e; e++) {
        assert(n < APP_MAX_ARGS);
        allowed[n++] = *e;
    }
    allowed[n] = NULL;
    if (app_check_args(rq, allowed, filters, rs)) return -1;
    memset(pg, 0, sizeof *pg);
    pg->limit = 100;
    pg->dt_from = INT64_MIN;
    pg->dt_to = INT64_MAX;
    char err[512];
    const char *v;
    hz_status s = HZ_OK;
    if ((v = hreq_arg_get(rq, "bbox"))) {
        s = qparam_bbox(v, pg->bb, err, sizeof err);
        pg->has_bbox = 1;
    }
    /* OGC API - Features 1, 7.15.4: a limit above the maximum is the maximum, not an error */
    if (s == HZ_OK && (v = hreq_arg_get(rq, "limit")) &&
        (s = qparam_long("limit", v, 1, 1000000000L, &pg->limit, err, sizeof err)) == HZ_OK &&
        pg->limit > PAGING_MAX_LIMIT)
        pg->limit = PAGING_MAX_LIMIT;
    if (s == HZ_OK && (v = hreq_arg_get(rq, "offset")))
        s = qparam_long("offset", v, 0, 1000000000L, &pg->offset, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "datetime")))
        s = qparam_datetime(v, HZ_TZ_SHANGHAI, &pg->dt_from, &pg->dt_to, err, sizeof err);
    if (s != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    return 0;
}

int paging_parse(hctx *c, const hreq *rq, paging_params *pg, hz_filter *f, hresp *rs,
                 const char *const *extra)
{
    if (parse_paging(rq, pg, rs, extra, 1, 1)) return -1;
    if (app_request_filter(c, rq, f, rs)) return -1;
    if (pg->dt_from > f->from) f->from = pg->dt_from;
    if (pg->dt_to < f->to) f->to = pg->dt_to;
    if (f->from >= f->to) f->to = f->from; /* empty, not an error: nothing matches */
    return 0;
}

int paging_parse_untimed(const hreq *rq, paging_params *pg, hresp *rs)
{
    return parse_paging(rq, pg, rs, NULL, 0, 0);
}

int paging_bbox_hits(const paging_params *pg, const double bb[4])
{
    if (!pg->has_bbox) return 1;
    double parts[2][4];
    int n = qparam_bbox_split(pg->bb, parts);
    for (int k = 0; k < n; k++) {
        const double *q = parts[k];
        if (!(bb[2] < q[0] || bb[0] > q[2] || bb[3] < q[1] || bb[1] > q[3])) return 1;
    }
    return 0;
}

paging_page *paging_page_new(const paging_params *pg)
{
    assert(pg->limit >= 1 && pg->offset >= 0);
    paging_page *p = calloc(1, sizeof *p);
    if (p) p->pg = *pg;
    return p;
}

void paging_page_free(paging_page *p)
{
    if (!p) return;
    jbuf_free(&p->features);
    free(p);
}

int paging_match(paging_page *p)
{
    p->matched++;
    if (p->matched <= (size_t)p->pg.offset || p->selected >= (size_t)p->pg.limit) return 0;
    p->selected++;
    assert(p->selected <= p->matched - (size_t)p->pg.offset);
    return 1;
}

int paging_full(const paging_page *p)
{
    return p->selected >= (size_t)p->pg.limit;
}

void paging_set_matched(paging_page *p, size_t n)
{
    assert(n >= p->matched);
    p->matched = n;
}

void paging_add_json(paging_page *p, const json_t *feature)
{
    assert(p->returned < p->selected);
    if (p->returned++) jbuf_lit(&p->features, ",");
    jbuf_json(&p->features, feature);
}

void paging_add_text(paging_page *p, const char *features, size_t len, size_t n)
{
    assert(p->returned + n <= p->selected);
    if (!n) return;
    if (p->returned) jbuf_lit(&p->features, ",");
    jbuf_raw(&p->features, features, len);
    p->returned += n;
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

static json_t *page_links(hctx *c, const hreq *rq, const paging_page *p)
{
    const paging_params *pg = &p->pg;
    json_t *links = json_array();
    json_array_append_new(links, page_link(c, rq, "self", pg->offset, "This page"));
    if ((size_t)pg->offset + p->returned < p->matched)
        json_array_append_new(
            links, page_link(c, rq, "next", pg->offset + (long)p->returned, "Next page"));
    if (pg->offset > 0) {
        long prev = pg->offset - pg->limit;
        json_array_append_new(links,
                              page_link(c, rq, "prev", prev < 0 ? 0 : prev, "Previous page"));
    }
    return links;
}

void paging_send(hctx *c, const hreq *rq, hresp *rs, paging_page *p, const json_t *prov)
{
    assert(p->returned <= p->selected && p->selected <= (size_t)p->pg.limit);
    size_t flen, len;
    char *features = jbuf_take(&p->features, &flen), ts[32];
    json_t *links = page_links(c, rq, p);
    hztime_format_iso((int64_t)time(NULL), 0, ts);
    jbuf b = {0};
    jbuf_lit(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    jbuf_raw(&b, features ? features : "", flen);
    jbuf_lit(&b, "],\"numberMatched\":");
    jbuf_int(&b, (long long)p->matched);
    jbuf_lit(&b, ",\"numberReturned\":");
    jbuf_int(&b, (long long)p->returned);
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
    paging_page_free(p);
    char *text = jbuf_take(&b, &len);
    if (!features || !text) { /* out of memory in the features or in the page */
        free(features);
        free(text);
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    free(features);
    hresp_take(rs, 200, GEOJSON, (unsigned char *)text, len);
}

/* Bounding box of the coordinates of a GeoJSON geometry (any nesting). */
static void coords_bbox(const json_t *v, double bb[4])
{
    if (!json_is_array(v)) return;
    if (json_array_size(v) >= 2 && json_is_number(json_array_get(v, 0))) {
        double x = json_number_value(json_array_get(v, 0));
        double y = json_number_value(json_array_get(v, 1));
        bb[0] = fmin(bb[0], x);
        bb[1] = fmin(bb[1], y);
        bb[2] = fmax(bb[2], x);
        bb[3] = fmax(bb[3], y);
        return;
    }
    for (size_t i = 0; i < json_array_size(v); i++)
        coords_bbox(json_array_get(v, i), bb);
}

void paging_send_computed(hctx *c, const hreq *rq, hresp *rs, const paging_params *pg, json_t *fc)
{
    paging_page *p = paging_page_new(pg);
    if (!p) {
        json_decref(fc);
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    json_t *all = json_object_get(fc, "features");
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *f = json_array_get(all, i);
        if (pg->has_bbox) {
            double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
            coords_bbox(json_object_get(json_object_get(f, "geometry"), "coordinates"), bb);
            if (!isfinite(bb[0]) || !paging_bbox_hits(pg, bb)) continue;
        }
        if (!paging_match(p)) continue;
        json_object_set_new(f, "id", json_integer((json_int_t)i + 1));
        paging_add_json(p, f);
    }
    paging_send(c, rq, rs, p, json_object_get(fc, "provenance"));
    json_decref(fc);
}

json_t *paging_item_links(const hctx *c)
{
    char self[400], coll[300];
    snprintf(coll, sizeof coll, "/collections/%.128s", c->seg[0]);
    snprintf(self, sizeof self, "%s/items/%.64s", coll, c->seg[1]);
    return json_pack("[o, o]", oapif_link(c->base, self, "self", GEOJSON, "This feature"),
                     oapif_link(c->base, coll, "collection", "application/json", "The collection"));
}

/* One feature (1-based position fid) of a computed FeatureCollection fc (consumed). */
void paging_send_item(hctx *c, hresp *rs, json_t *fc, const char *fid)
{
    long k;
    char err[128];
    json_t *all = json_object_get(fc, "features");
    if (qparam_long("featureId", fid, 1, 100000000L, &k, err, sizeof err) != HZ_OK ||
        (size_t)k > json_array_size(all)) {
        hresp_error(rs, 404, "NotFound", "no feature '%.64s'", fid);
        json_decref(fc);
        return;
    }
    json_t *f = json_array_get(all, (size_t)k - 1);
    json_object_set_new(f, "id", json_integer(k));
    json_object_set_new(f, "links", paging_item_links(c));
    hresp_json(rs, 200, f, "application/geo+json");
    json_decref(fc);
}

void paging_add_areas(hctx *c, const paging_params *pg, paging_page *page,
                      json_t *(*feature)(void *ud, size_t i), void *ud)
{
    const hz_area *areas = incset_areas(c->snap);
    for (size_t i = 0; i < incset_area_count(c->snap); i++) {
        const hz_area *a = &areas[i];
        if (!paging_bbox_hits(pg, (const double[4]){a->minlon, a->minlat, a->maxlon, a->maxlat}) ||
            !paging_match(page))
            continue;
        json_t *feat = feature(ud, i);
        if (feat) paging_add_json(page, feat);
        json_decref(feat);
    }
}

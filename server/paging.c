/* paging.c - one page of a collection's items and the FeatureCollection around it (paging.h).
 *
 * Invariants of a page (asserted): returned <= selected <= limit, and selected <= matched -
 * offset when matched > offset (else selected = 0): a feature is selected only when its number
 * is past the offset and the page has room, and only selected features are added. */
#include "hazmap/paging.h"
#include "hazmap/boxhit.h"
#include "hazmap/oapif.h"
#include "hazmap/fcexport.h"
#include "hazmap/outcrs.h"
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

static const char *const items_args[] = {"bbox", "limit", "offset", "datetime", "crs", "bbox-crs"};
enum { N_ITEMS_ARGS = sizeof items_args / sizeof *items_args };

int paging_work_epsg(const hctx *c)
{
    const char *w = c->snap ? incset_work_srs(c->snap) : NULL;
    if (!w || strncmp(w, "EPSG:", 5) != 0) return 0;
    char *end;
    long v = strtol(w + 5, &end, 10);
    return !*end && ((v >= 32601 && v <= 32660) || (v >= 32701 && v <= 32760)) ? (int)v : 0;
}

/* Parses the CRS URI of parameter key (absent: CRS84). OGC API - Features Part 2,
 * /req/crs/crs-action and /req/crs/bbox-crs-action: a CRS the collection does not list is a 400. */
static int crs_arg(const hctx *c, const hreq *rq, const char *key, int *epsg, hresp *rs)
{
    const char *v = hreq_arg_get(rq, key);
    *epsg = 0;
    if (!v || outcrs_parse(v, paging_work_epsg(c), epsg) == 0) return 0;
    hresp_error(rs, 400, "InvalidParameterValue",
                "%s: '%.128s' is not one of the collection's CRSs (its crs list: CRS84, EPSG 4326, "
                "4490, 3857 and the working UTM zone)",
                key, v);
    return -1;
}

int paging_crs(const hctx *c, const hreq *rq, int *epsg, hresp *rs)
{
    return crs_arg(c, rq, "crs", epsg, rs);
}

/* A bbox given in bbox-crs epsg (its axis order; 4 numbers, or 6 with heights) as the CRS84 box
 * that holds it: its outline, 16 points an edge, transformed back (a projected box's edges are
 * curves in longitude and latitude). */
static hz_status bbox_from_crs(const char *v, int epsg, double bb[4], char *err, size_t errlen)
{
    double x[6];
    int n = 0;
    const char *p = v;
    for (;;) {
        char *end;
        if (n == 6) break;
        x[n] = strtod(p, &end);
        if (end == p || (*end && *end != ',') || !isfinite(x[n])) break;
        n++;
        if (!*end) break;
        p = end + 1;
    }
    if (n != 4 && n != 6)
        return hz_fail(HZ_EINVAL, err, errlen, "bbox: expected 4 (or 6) numbers in '%.64s'", v);
    double a0 = x[0], b0 = x[1], a1 = n == 6 ? x[3] : x[2], b1 = n == 6 ? x[4] : x[3];
    if (!(a0 < a1 && b0 < b1))
        return hz_fail(HZ_EINVAL, err, errlen, "bbox: the lower corner must come first ('%.64s')",
                       v);
    enum { K = 16 };
    double a[4 * K], b[4 * K];
    for (int i = 0; i < K; i++) {
        double t = (double)i / K;
        a[i] = a0 + t * (a1 - a0), b[i] = b0;
        a[K + i] = a1, b[K + i] = b0 + t * (b1 - b0);
        a[2 * K + i] = a1 - t * (a1 - a0), b[2 * K + i] = b1;
        a[3 * K + i] = a0, b[3 * K + i] = b1 - t * (b1 - b0);
    }
    outcrs *t = outcrs_new(epsg, err, errlen);
    if (!t) return HZ_ECRS;
    hz_status s = outcrs_inverse(t, 4 * K, a, b);
    outcrs_free(t);
    if (s != HZ_OK) return hz_fail(HZ_EINVAL, err, errlen, "bbox: outside bbox-crs's area");
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    for (int i = 0; i < 4 * K; i++) {
        bb[0] = fmin(bb[0], a[i]);
        bb[1] = fmin(bb[1], b[i]);
        bb[2] = fmax(bb[2], a[i]);
        bb[3] = fmax(bb[3], b[i]);
    }
    return HZ_OK;
}

/* The paging arguments (the filters' names too when filters is non-zero, datetime when datetime
 * is) into pg. */
static int parse_paging(hctx *c, const hreq *rq, paging_params *pg, hresp *rs,
                        const char *const *extra, int filters, int datetime)
{
    const char *allowed[APP_MAX_ARGS + 2];
    int n = 0;
    for (int k = 0; k < N_ITEMS_ARGS; k++)
        if (datetime || strcmp(items_args[k], "datetime")) allowed[n++] = items_args[k];
    for (const char *const *e = extra; e && *e; e++) {
        assert(n < APP_MAX_ARGS);
        allowed[n++] = *e;
    }
    allowed[n] = NULL;
    /* f is checked here, not by app_check_args(): items also come as downloads */
    const char *fv = hreq_arg_get(rq, "f");
    static const char *const formats[] = {"json", "geojson", "html", "csv", "gpkg", NULL};
    int fi = 0;
    char ferr[256];
    allowed[n++] = "f";
    allowed[n] = NULL;
    if (fv && qparam_enum("f", fv, formats, &fi, ferr, sizeof ferr) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", ferr);
        return -1;
    }
    char aerr[512];
    if (hreq_check_args(rq, allowed, filters, aerr, sizeof aerr) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", aerr);
        return -1;
    }
    memset(pg, 0, sizeof *pg);
    pg->format = fi == 3 ? PAGING_CSV : fi == 4 ? PAGING_GPKG : PAGING_GEOJSON;
    pg->limit = pg->format == PAGING_GEOJSON ? 100 : PAGING_MAX_DOWNLOAD;
    pg->dt_from = INT64_MIN;
    pg->dt_to = INT64_MAX;
    char err[512];
    const char *v;
    hz_status s = HZ_OK;
    int bbox_crs;
    if (paging_crs(c, rq, &pg->crs, rs) || crs_arg(c, rq, "bbox-crs", &bbox_crs, rs)) return -1;
    if ((v = hreq_arg_get(rq, "bbox"))) {
        s = bbox_crs ? bbox_from_crs(v, bbox_crs, pg->bb, err, sizeof err)
                     : qparam_bbox(v, pg->bb, err, sizeof err);
        pg->has_bbox = 1;
    }
    /* OGC API - Features 1, 7.15.4: a limit above the maximum is the maximum, not an error */
    if (s == HZ_OK && (v = hreq_arg_get(rq, "limit")) &&
        (s = qparam_long("limit", v, 1, 1000000000L, &pg->limit, err, sizeof err)) == HZ_OK &&
        pg->limit > PAGING_MAX_LIMIT && pg->format == PAGING_GEOJSON)
        pg->limit = PAGING_MAX_LIMIT;
    if (pg->limit > PAGING_MAX_DOWNLOAD) pg->limit = PAGING_MAX_DOWNLOAD;
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
    if (parse_paging(c, rq, pg, rs, extra, 1, 1)) return -1;
    if (app_request_filter(c, rq, f, rs)) return -1;
    if (pg->dt_from > f->from) f->from = pg->dt_from;
    if (pg->dt_to < f->to) f->to = pg->dt_to;
    if (f->from >= f->to) f->to = f->from; /* empty, not an error: nothing matches */
    return 0;
}

int paging_parse_untimed(hctx *c, const hreq *rq, paging_params *pg, hresp *rs)
{
    return parse_paging(c, rq, pg, rs, NULL, 0, 0);
}

int paging_bbox_meets(const paging_params *pg, const double bb[4], paging_exact exact, void *ud)
{
    if (!pg->has_bbox) return 1;
    if (!(bb[0] <= bb[2] && bb[1] <= bb[3])) return 0; /* no geometry (NAN, or empty) */
    double parts[2][4];
    int n = qparam_bbox_split(pg->bb, parts);
    for (int k = 0; k < n; k++) {
        const double *q = parts[k];
        if (bb[2] < q[0] || bb[0] > q[2] || bb[3] < q[1] || bb[1] > q[3]) continue;
        if ((bb[0] >= q[0] && bb[2] <= q[2] && bb[1] >= q[1] && bb[3] <= q[3]) || exact(ud, q))
            return 1;
    }
    return 0;
}

/* paging_exact of a GeoJSON geometry (borrowed). */
static int geojson_exact(void *ud, const double box[4])
{
    return boxhit_geojson(ud, box);
}

/* paging_exact of a packed feature's text: its geometry parsed (only on the bbox's edge). */
typedef struct text_feature {
    const char *text;
    size_t len;
} text_feature;

static int text_exact(void *ud, const double box[4])
{
    const text_feature *t = ud;
    json_t *f = json_loadb(t->text, t->len, 0, NULL);
    int hit = f && boxhit_geojson(json_object_get(f, "geometry"), box);
    json_decref(f);
    return hit;
}

/* paging_exact of an area (its WKB). */
static int area_exact(void *ud, const double box[4])
{
    const hz_area *a = ud;
    return boxhit_wkb(a->wkb, a->wkb_len, box);
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

/* "base/path?args-without-offset&offset=K", and "&limit=L" in place of the request's limit when
 * limit is non-zero, "&f=F" in place of its f when f is not NULL; typed by its f. */
static json_t *page_link(hctx *c, const hreq *rq, const char *rel, long offset, long limit,
                         const char *f, const char *title)
{
    char href[4096];
    size_t off = 0;
    int n = snprintf(href, sizeof href, "%s%s?", c->base, rq->path);
    if (n < 0 || (size_t)n >= sizeof href) return NULL;
    off = (size_t)n;
    for (size_t i = 0; i < rq->nargs; i++) {
        if (strcmp(rq->args[i].key, "offset") == 0) continue;
        if (limit && strcmp(rq->args[i].key, "limit") == 0) continue;
        if (f && strcmp(rq->args[i].key, "f") == 0) continue;
        size_t j = 0; /* a repeat (the same value: hreq_repeated_arg()) is written once */
        while (j < i && strcmp(rq->args[j].key, rq->args[i].key) != 0)
            j++;
        if (j < i) continue;
        if (geojson_urlencode(href, sizeof href, &off, rq->args[i].key) || off + 2 >= sizeof href)
            return NULL;
        href[off++] = '=';
        href[off] = 0;
        if (geojson_urlencode(href, sizeof href, &off, rq->args[i].value) || off + 2 >= sizeof href)
            return NULL;
        href[off++] = '&';
        href[off] = 0;
    }
    char tail[96] = "";
    if (f) snprintf(tail, sizeof tail, "f=%s&", f);
    size_t t = strlen(tail);
    if (limit) snprintf(tail + t, sizeof tail - t, "limit=%ld&", limit);
    n = snprintf(href + off, sizeof href - off, "%soffset=%ld", tail, offset);
    if (n < 0 || (size_t)n >= sizeof href - off) return NULL;
    const char *fv = f ? f : hreq_arg_get(rq, "f");
    return json_pack("{s:s, s:s, s:s, s:s}", "href", href, "rel", rel, "type",
                     fv && strcmp(fv, "html") == 0 ? "text/html" : GEOJSON, "title", title);
}

/* The largest page a next link grows to. GDAL 3.6's OAPIF client parses each page as one JSON
 * tree: pages of 1,000 features cost it 16 % less CPU than pages of 10,000 (bench/gisclients.sh
 * measures both side by side: 3.4 s against 4.0 s for the planners' 83,659 hot-spot cells), for
 * 91 requests instead of 19, each under a millisecond from the packed view. */
#define PAGING_NEXT_CAP 1000

/* The limit of the next link: twice this page's, up to PAGING_NEXT_CAP (a larger page asked for
 * keeps its size). A client that follows next links (GDAL 3.6 asks for 10 features, then takes
 * every next href as it is) reads a long collection in about a hundred requests instead of one
 * per 10 features; one that wants pages of its own size builds its own offsets. OGC API -
 * Features 1, 7.15.4 leaves the next link's form to the server (the limit only bounds the page
 * it was given for). */
static long next_limit(long limit)
{
    return limit >= PAGING_NEXT_CAP / 2 ? (limit > PAGING_NEXT_CAP ? limit : PAGING_NEXT_CAP)
                                        : 2 * limit;
}

/* self, the other representation (alternate: HTML for JSON, JSON for HTML; OGC API - Features
 * 1, /req/core/fc-links), next and prev. An HTML page is read by a person: its next page keeps
 * its size. */
static json_t *page_links(hctx *c, const hreq *rq, const paging_page *p)
{
    const paging_params *pg = &p->pg;
    const char *f = hreq_arg_get(rq, "f");
    int html = f && strcmp(f, "html") == 0;
    json_t *links = json_array();
    json_array_append_new(links, page_link(c, rq, "self", pg->offset, 0, NULL, "This page"));
    json_array_append_new(links,
                          page_link(c, rq, "alternate", pg->offset, 0, html ? "json" : "html",
                                    html ? "This page as GeoJSON" : "This page as HTML"));
    if ((size_t)pg->offset + p->returned < p->matched)
        json_array_append_new(links,
                              page_link(c, rq, "next", pg->offset + (long)p->returned,
                                        html ? 0 : next_limit(pg->limit), NULL, "Next page"));
    if (pg->offset > 0) {
        long prev = pg->offset - pg->limit;
        json_array_append_new(
            links, page_link(c, rq, "prev", prev < 0 ? 0 : prev, 0, NULL, "Previous page"));
    }
    return links;
}

/* Transforms every position of GeoJSON coordinates v (any nesting) in place. */
static int transform_coords(json_t *v, outcrs *t)
{
    if (!json_is_array(v)) return 0;
    if (json_array_size(v) >= 2 && json_is_number(json_array_get(v, 0))) {
        double a = json_number_value(json_array_get(v, 0)),
               b = json_number_value(json_array_get(v, 1));
        if (outcrs_forward(t, 1, &a, &b) != HZ_OK) return -1;
        json_array_set_new(v, 0, json_real(a));
        json_array_set_new(v, 1, json_real(b));
        return 0;
    }
    for (size_t i = 0; i < json_array_size(v); i++)
        if (transform_coords(json_array_get(v, i), t)) return -1;
    return 0;
}

/* The features (comma-separated JSON text, or one feature when one is 1) with their geometries
 * in EPSG:epsg, as new text (caller frees; NULL with rs filled on failure). Properties are left
 * as they are: a CRS is about the geometry (OGC API - Features Part 2, /req/crs/crs-action). */
static char *features_in_crs(const char *text, size_t len, int one, int epsg, size_t *outlen,
                             hresp *rs)
{
    char err[256];
    outcrs *t = outcrs_new(epsg, err, sizeof err);
    jbuf in = {0};
    if (!one) jbuf_lit(&in, "[");
    jbuf_raw(&in, text, len);
    if (!one) jbuf_lit(&in, "]");
    size_t ilen;
    char *itext = jbuf_take(&in, &ilen);
    json_t *all = t && itext ? json_loadb(itext, ilen, 0, NULL) : NULL;
    free(itext);
    int rc = all ? 0 : -1;
    for (size_t i = 0; !rc && i < (one ? 1 : json_array_size(all)); i++) {
        json_t *f = one ? all : json_array_get(all, i);
        rc = transform_coords(json_object_get(json_object_get(f, "geometry"), "coordinates"), t);
    }
    outcrs_free(t);
    jbuf out = {0};
    for (size_t i = 0; !rc && i < (one ? 1 : json_array_size(all)); i++) {
        if (i) jbuf_lit(&out, ",");
        jbuf_json(&out, one ? all : json_array_get(all, i));
    }
    json_decref(all);
    char *o = rc ? NULL : jbuf_take(&out, outlen);
    jbuf_free(&out);
    if (!o) hresp_error(rs, 500, "InternalError", "the features cannot be given in EPSG:%d", epsg);
    return o;
}

static void content_crs(hresp *rs, int epsg)
{
    char uri[96], h[100];
    outcrs_uri(epsg, uri, sizeof uri);
    snprintf(h, sizeof h, "<%s>", uri); /* OGC API - Features Part 2, /req/crs/ogc-crs-header */
    hresp_header(rs, "Content-Crs", h);
}

/* The layer and file name of a download: the collection's id of /collections/{id}/items, else
 * the path's last segment; letters, digits and '_' only. */
static void download_name(const char *path, char *name, size_t n)
{
    const char *p = path, *pre = "/collections/";
    if (strncmp(p, pre, strlen(pre)) == 0)
        p += strlen(pre);
    else if (strrchr(p, '/'))
        p = strrchr(p, '/') + 1;
    size_t k = 0;
    for (; *p && *p != '/' && *p != '.' && k + 1 < n; p++)
        name[k++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                                   (*p >= '0' && *p <= '9') || *p == '_'
                               ? *p
                               : '_');
    name[k] = 0;
    if (!k) snprintf(name, n, "hazmap");
}

/* The features (their comma-separated text) as the download of pg's format. */
static void send_download(const hreq *rq, hresp *rs, const paging_params *pg, const char *features,
                          size_t flen)
{
    jbuf b = {0};
    jbuf_lit(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    jbuf_raw(&b, features, flen);
    jbuf_lit(&b, "]}");
    size_t len;
    char *text = jbuf_take(&b, &len), name[96], err[512], cd[160];
    if (!text) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    fcexport_format fmt = pg->format == PAGING_GPKG ? FCEXPORT_GPKG : FCEXPORT_CSV;
    download_name(rq->path, name, sizeof name);
    unsigned char *out;
    size_t outlen;
    hz_status s = fcexport_bytes(text, len, fmt, name, pg->crs, &out, &outlen, err, sizeof err);
    free(text);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    hresp_take(rs, 200, fcexport_type(fmt), out, outlen);
    snprintf(cd, sizeof cd, "attachment; filename=\"hazmap-%s.%s\"", name, fcexport_ext(fmt));
    hresp_header(rs, "Content-Disposition", cd);
}

void paging_send(hctx *c, const hreq *rq, hresp *rs, paging_page *p, const json_t *prov)
{
    assert(p->returned <= p->selected && p->selected <= (size_t)p->pg.limit);
    size_t flen, len;
    char *features = jbuf_take(&p->features, &flen), ts[32];
    if (p->pg.format != PAGING_GEOJSON) {
        if (features)
            send_download(rq, rs, &p->pg, features, flen);
        else
            hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        free(features);
        paging_page_free(p);
        return;
    }
    if (features && p->pg.crs) {
        size_t tlen;
        char *t = features_in_crs(features, flen, 0, p->pg.crs, &tlen, rs);
        free(features);
        if (!t) {
            paging_page_free(p);
            return;
        }
        features = t;
        flen = tlen;
    }
    int crs = p->pg.crs;
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
    content_crs(rs, crs);
    char *ptext = prov ? json_dumps(prov, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (ptext) hresp_header(rs, "X-Hazmap-Provenance", ptext);
    free(ptext);
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
            json_t *g = json_object_get(f, "geometry");
            coords_bbox(json_object_get(g, "coordinates"), bb);
            if (!paging_bbox_meets(pg, bb, geojson_exact, g)) continue;
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
    char self[400], coll[300], html[420];
    snprintf(coll, sizeof coll, "/collections/%.128s", c->seg[0]);
    snprintf(self, sizeof self, "%s/items/%.64s", coll, c->seg[1]);
    snprintf(html, sizeof html, "%s?f=html", self);
    return json_pack("[o, o, o]", oapif_link(c->base, self, "self", GEOJSON, "This feature"),
                     oapif_link(c->base, html, "alternate", "text/html", "This feature as HTML"),
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

/* The packed form (paging_pack()): a header, n records, then the texts. Native byte order and
 * alignment: it never leaves the process. */
#define PACK_MAGIC "HZFCPK1"
typedef struct pack_head {
    char magic[8];
    uint64_t n, prov_off, prov_len; /* prov_len 0: no provenance */
} pack_head;
typedef struct pack_rec {
    double bb[4]; /* NAN without coordinates (never in a bbox) */
    uint64_t off, len;
} pack_rec;

struct paging_packer {
    jbuf texts;
    pack_rec *recs;
    size_t n, cap;
    size_t open; /* where the feature being written starts in texts */
};

paging_packer *paging_packer_new(size_t n_hint)
{
    paging_packer *pk = calloc(1, sizeof *pk);
    if (!pk) return NULL;
    pk->cap = n_hint ? n_hint : 16;
    pk->recs = malloc(pk->cap * sizeof *pk->recs);
    if (!pk->recs) {
        free(pk);
        return NULL;
    }
    return pk;
}

void paging_packer_free(paging_packer *pk)
{
    if (!pk) return;
    jbuf_free(&pk->texts);
    free(pk->recs);
    free(pk);
}

jbuf *paging_packer_text(paging_packer *pk)
{
    return &pk->texts;
}

int paging_packer_end(paging_packer *pk, const double bb[4])
{
    if (pk->n == pk->cap) {
        pack_rec *r = realloc(pk->recs, 2 * pk->cap * sizeof *r);
        if (!r) return -1;
        pk->recs = r;
        pk->cap *= 2;
    }
    pack_rec *r = &pk->recs[pk->n++];
    for (int k = 0; k < 4; k++)
        r->bb[k] = isfinite(bb[0]) ? bb[k] : NAN;
    r->off = pk->open;
    r->len = pk->texts.len - pk->open;
    assert(pk->texts.failed || r->len > 0); /* a feature is never empty text */
    pk->open = pk->texts.len;
    return pk->texts.failed ? -1 : 0;
}

int paging_packer_finish(paging_packer *pk, const json_t *prov, unsigned char **blob, size_t *len)
{
    assert(pk->open == pk->texts.len); /* no feature left open */
    pack_head h = {PACK_MAGIC, pk->n, pk->texts.len, 0};
    if (prov) {
        jbuf_json(&pk->texts, prov);
        h.prov_len = pk->texts.len - h.prov_off;
    }
    size_t head = sizeof h + pk->n * sizeof *pk->recs;
    unsigned char *b = pk->texts.failed ? NULL : malloc(head + pk->texts.len + 1);
    if (b) {
        memcpy(b, &h, sizeof h);
        memcpy(b + sizeof h, pk->recs, pk->n * sizeof *pk->recs);
        memcpy(b + head, pk->texts.p ? pk->texts.p : "", pk->texts.len);
        *blob = b;
        *len = head + pk->texts.len;
    }
    paging_packer_free(pk);
    return b ? 0 : -1;
}

int paging_pack(const json_t *fc, unsigned char **blob, size_t *len)
{
    const json_t *all = json_object_get(fc, "features");
    size_t n = json_array_size(all);
    paging_packer *pk = paging_packer_new(n);
    if (!pk) return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_copy(json_array_get(all, i)); /* shallow: only "id" is set */
        if (!f) {
            paging_packer_free(pk);
            return -1;
        }
        json_object_set_new(f, "id", json_integer((json_int_t)i + 1));
        double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        coords_bbox(json_object_get(json_object_get(f, "geometry"), "coordinates"), bb);
        jbuf_json(paging_packer_text(pk), f);
        json_decref(f);
        if (paging_packer_end(pk, bb)) {
            paging_packer_free(pk);
            return -1;
        }
    }
    return paging_packer_finish(pk, json_object_get(fc, "provenance"), blob, len);
}

/* The header of blob and where its records and texts start; -1 when it is not one of ours. */
static int unpack(const unsigned char *blob, size_t len, pack_head *h, const unsigned char **recs,
                  const char **texts)
{
    if (len < sizeof *h) return -1;
    memcpy(h, blob, sizeof *h);
    if (memcmp(h->magic, PACK_MAGIC, sizeof h->magic) != 0 ||
        h->n > (len - sizeof *h) / sizeof(pack_rec))
        return -1;
    size_t head = sizeof *h + (size_t)h->n * sizeof(pack_rec);
    if (h->prov_off + h->prov_len > len - head) return -1;
    *recs = blob + sizeof *h;
    *texts = (const char *)blob + head;
    return 0;
}

static void get_rec(const unsigned char *recs, size_t i, pack_rec *r)
{
    memcpy(r, recs + i * sizeof *r, sizeof *r);
}

void paging_send_packed(hctx *c, const hreq *rq, hresp *rs, const paging_params *pg,
                        const unsigned char *blob, size_t len)
{
    pack_head h;
    const unsigned char *recs;
    const char *texts;
    if (unpack(blob, len, &h, &recs, &texts)) {
        hresp_error(rs, 500, "InternalError", "a cached result is damaged");
        return;
    }
    paging_page *p = paging_page_new(pg);
    if (!p) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    pack_rec r;
    if (!pg->has_bbox) { /* every feature matches: read only the page's */
        p->matched = (size_t)pg->offset < h.n ? (size_t)pg->offset : (size_t)h.n;
        for (size_t i = p->matched; i < h.n && !paging_full(p); i++) {
            get_rec(recs, i, &r);
            if (paging_match(p)) paging_add_text(p, texts + r.off, (size_t)r.len, 1);
        }
        p->matched = (size_t)h.n;
    } else {
        for (size_t i = 0; i < h.n; i++) {
            get_rec(recs, i, &r);
            text_feature t = {texts + r.off, (size_t)r.len};
            if (!paging_bbox_meets(pg, r.bb, text_exact, &t) || !paging_match(p)) continue;
            paging_add_text(p, texts + r.off, (size_t)r.len, 1);
        }
    }
    json_t *prov = h.prov_len ? json_loadb(texts + h.prov_off, (size_t)h.prov_len, 0, NULL) : NULL;
    paging_send(c, rq, rs, p, prov);
    json_decref(prov);
}

void paging_send_packed_item(hctx *c, hresp *rs, const unsigned char *blob, size_t len,
                             const char *fid, int crs)
{
    pack_head h;
    const unsigned char *recs;
    const char *texts;
    if (unpack(blob, len, &h, &recs, &texts)) {
        hresp_error(rs, 500, "InternalError", "a cached result is damaged");
        return;
    }
    long k;
    char err[128];
    if (qparam_long("featureId", fid, 1, 100000000L, &k, err, sizeof err) != HZ_OK ||
        (uint64_t)k > h.n) {
        hresp_error(rs, 404, "NotFound", "no feature '%.64s'", fid);
        return;
    }
    pack_rec r;
    get_rec(recs, (size_t)k - 1, &r);
    /* the feature's text ends with its closing brace: its links go before it */
    json_t *links = paging_item_links(c);
    jbuf b = {0};
    jbuf_raw(&b, texts + r.off, (size_t)r.len - 1);
    jbuf_lit(&b, ",\"links\":");
    jbuf_json(&b, links);
    jbuf_lit(&b, "}");
    json_decref(links);
    size_t n;
    char *text = jbuf_take(&b, &n);
    if (!text) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    paging_send_feature(rs, text, n, crs);
    free(text);
}

void paging_send_feature(hresp *rs, const char *ftext, size_t flen, int crs)
{
    char *moved = NULL;
    if (crs && !(moved = features_in_crs(ftext, flen, 1, crs, &flen, rs))) return;
    hresp_bytes(rs, 200, GEOJSON, moved ? moved : ftext, flen);
    free(moved);
    content_crs(rs, crs);
}

void paging_add_areas(hctx *c, const paging_params *pg, paging_page *page,
                      json_t *(*feature)(void *ud, size_t i), void *ud)
{
    const hz_area *areas = incset_areas(c->snap);
    for (size_t i = 0; i < incset_area_count(c->snap); i++) {
        const hz_area *a = &areas[i];
        const double bb[4] = {a->minlon, a->minlat, a->maxlon, a->maxlat};
        if (!paging_bbox_meets(pg, bb, area_exact, (void *)a) || !paging_match(page)) continue;
        json_t *feat = feature(ud, i);
        if (feat) paging_add_json(page, feat);
        json_decref(feat);
    }
}

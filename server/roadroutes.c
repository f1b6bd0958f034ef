/* roadroutes.c - the road endpoints: street tiles, the roads collection, network density tiles
 * and the screened road sites (roadroutes.h). */
#include "hazmap/roadroutes.h"
#include "hazmap/boxhit.h"
#include "hazmap/json_out.h"
#include "hazmap/paging.h"
#include "hazmap/qparam.h"
#include "hazmap/rescache.h"
#include "hazmap/roadnet.h"
#include "hazmap/roadtile.h"
#include "hazmap/nettile.h"
#include "hazmap/screen.h"
#include "hazmap/tilemath.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEOJSON "application/geo+json"

/* ---- tiles ---- */

typedef struct street_job {
    const roadtile *rt;
    int z, x, y;
} street_job;

static hz_status render_street(void *ud, unsigned char **png, size_t *len, char *err, size_t errlen)
{
    const street_job *j = ud;
    return roadtile_png(j->rt, j->z, j->x, j->y, png, len, err, errlen);
}

void roadroutes_tile(hctx *c, const hreq *rq, hresp *rs)
{
    int z;
    long x, y;
    char err[256];
    if (tilemath_parse_zxy(c->seg[0], c->seg[1], c->seg[2], ".png", &z, &x, &y)) {
        hresp_error(rs, 400, "InvalidParameterValue",
                    "tile: /tiles/roads/{z}/{x}/{y}.png with z 0..%d and x, y 0..2^z-1",
                    TILEMATH_MAXZOOM);
        return;
    }
    if (hreq_check_args(rq, NULL, 0, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    /* The roads change only with the data version; every audience gets the same tile. */
    char key[128];
    snprintf(key, sizeof key, "roads/v%lld/street/%d/%ld/%ld", (long long)c->version, z, x, y);
    street_job job = {c->roads, z, (int)x, (int)y};
    rescache_tile(c, rq, key, 300, render_street, &job, rs);
}

/* ---- network density tiles (planners and editors) ---- */

/* The public gets no answer computed live from the incidents: 401 (non-zero) for it. */
static int live_only(const hctx *c, const char *what, hresp *rs)
{
    if (c->role != HZ_ROLE_PUBLIC) return 0;
    hresp_error(rs, 401, "Unauthorized",
                "%s is computed live from the incidents: planners and editors only (a token)",
                what);
    hresp_header(rs, "WWW-Authenticate", "Bearer");
    return 1;
}

static hz_status net_set(void *p, const char *k, const char *v, char *err, size_t errlen)
{
    return nettile_params_set(p, k, v, err, errlen);
}

/* The request's network density view (filters and bandwidth); 400 on a bad or unknown one. */
static int net_params_of(hctx *c, const hreq *rq, nettile_params *p, hresp *rs)
{
    nettile_params_init(p);
    return app_apply_args(c, rq, net_set, p, &p->filter, rs);
}

/* The view of p into v: on the analysis pool when it is not memoised yet (1 with rs empty and
 * marked for the pool, app_offload()); -1 with rs filled on failure; 0 done. */
static int net_view(hctx *c, const nettile_params *p, nettile_view *v, hresp *rs)
{
    if (!nettile_view_ready(c->nt, p) && app_offload(c, rs)) return 1;
    char err[512];
    hz_status s = nettile_view_get(c->nt, p, v, err, sizeof err);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return -1;
    }
    return 0;
}

typedef struct net_job {
    nettile *nt;
    const nettile_params *p;
    int z, x, y;
} net_job;

static hz_status render_net(void *ud, unsigned char **png, size_t *len, char *err, size_t errlen)
{
    const net_job *j = ud;
    return nettile_png(j->nt, j->p, j->z, j->x, j->y, png, len, err, errlen);
}

void roadroutes_network_tile(hctx *c, const hreq *rq, hresp *rs)
{
    int z;
    long x, y;
    if (tilemath_parse_zxy(c->seg[0], c->seg[1], c->seg[2], ".png", &z, &x, &y)) {
        hresp_error(rs, 400, "InvalidParameterValue",
                    "tile: /tiles/network/{z}/{x}/{y}.png with z 0..%d and x, y 0..2^z-1",
                    TILEMATH_MAXZOOM);
        return;
    }
    if (live_only(c, "network density", rs)) return;
    nettile_params p;
    nettile_view v;
    if (net_params_of(c, rq, &p, rs) || net_view(c, &p, &v, rs)) return;
    char key[2048];
    nettile_cache_key(c->nt, &p, &v, z, (int)x, (int)y, key, sizeof key);
    net_job job = {c->nt, &p, z, (int)x, (int)y};
    rescache_tile(c, rq, key, 60, render_net, &job, rs);
}

void roadroutes_network_legend(hctx *c, const hreq *rq, hresp *rs)
{
    if (live_only(c, "network density", rs)) return;
    nettile_params p;
    nettile_view v;
    if (net_params_of(c, rq, &p, rs) || net_view(c, &p, &v, rs)) return;
    json_t *j = nettile_legend_json(&p, &v);
    if (!j) {
        app_fail(rs, HZ_ENOMEM, "out of memory");
        return;
    }
    json_object_set_new(j, "data_version", json_integer((json_int_t)c->version));
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    hresp_header(rs, "Cache-Control", "public, max-age=60");
}

/* ---- the roads collection ---- */

int roadroutes_extent(const hctx *c, double bb[4])
{
    return c->roads && roadtile_bounds(c->roads, bb);
}

/* Segment k's box in degrees. */
static void seg_bbox(const roadnet *net, const roadnet_seg *s, double bb[4])
{
    const double *lon, *lat;
    roadnet_lonlat(net, &lon, &lat);
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    for (uint32_t i = s->pts; i < s->pts + s->npts; i++) {
        bb[0] = fmin(bb[0], lon[i]);
        bb[1] = fmin(bb[1], lat[i]);
        bb[2] = fmax(bb[2], lon[i]);
        bb[3] = fmax(bb[3], lat[i]);
    }
}

/* paging_exact of a segment: its polyline against the box. */
typedef struct seg_ref {
    const roadnet *net;
    const roadnet_seg *s;
} seg_ref;

static int seg_exact(void *ud, const double box[4])
{
    const seg_ref *r = ud;
    const double *lon, *lat;
    roadnet_lonlat(r->net, &lon, &lat);
    boxhit h;
    boxhit_init(&h, box);
    uint32_t i0 = r->s->pts, n = r->s->npts;
    if (n == 1) boxhit_point(&h, lon[i0], lat[i0]);
    for (uint32_t i = i0; i + 1 < i0 + n; i++)
        boxhit_edge(&h, lon[i], lat[i], lon[i + 1], lat[i + 1], 0);
    return boxhit_met(&h);
}

/* Segment s as a GeoJSON Feature (its id is the store's segment id). */
static void road_feature(jbuf *b, const roadnet *net, const roadnet_seg *s)
{
    const double *lon, *lat;
    roadnet_lonlat(net, &lon, &lat);
    jbuf_lit(b, "{\"type\":\"Feature\",\"id\":");
    jbuf_int(b, s->id);
    jbuf_lit(b, ",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
    for (uint32_t i = s->pts; i < s->pts + s->npts; i++) {
        jbuf_lit(b, i > s->pts ? ",[" : "[");
        jbuf_fixed7(b, lon[i]);
        jbuf_lit(b, ",");
        jbuf_fixed7(b, lat[i]);
        jbuf_lit(b, "]");
    }
    jbuf_lit(b, "]},\"properties\":{\"id\":");
    jbuf_int(b, s->id);
    jbuf_lit(b, ",\"name\":");
    jbuf_str(b, s->name && s->name[0] ? s->name : NULL);
    jbuf_lit(b, ",\"class\":");
    jbuf_str(b, s->cls && s->cls[0] ? s->cls : NULL);
    jbuf_lit(b, ",\"oneway\":");
    jbuf_int(b, s->oneway);
    jbuf_lit(b, ",\"lanes\":");
    if (s->lanes >= 0)
        jbuf_int(b, s->lanes);
    else
        jbuf_lit(b, "null");
    jbuf_lit(b, ",\"length_m\":");
    jbuf_num(b, round(s->length * 10) / 10, 10);
    jbuf_lit(b, "}}");
}

static json_t *roads_provenance(void)
{
    return json_pack("{s:s, s:s}", "source", "road_segments of the store", "attribution",
                     "© OpenStreetMap contributors (ODbL)");
}

void roadroutes_items(hctx *c, const hreq *rq, hresp *rs)
{
    paging_params pg;
    if (paging_parse_untimed(c, rq, &pg, rs)) return;
    paging_page *page = paging_page_new(&pg);
    if (!page) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    const roadnet_seg *segs = roadnet_segs(c->net);
    size_t n = roadnet_seg_count(c->net), returned = 0;
    jbuf b = {0};
    /* The segments in id order (roadnet.h keeps them so). */
    for (size_t k = 0; k < n; k++) {
        if (pg.has_bbox) {
            double bb[4];
            seg_bbox(c->net, &segs[k], bb);
            seg_ref ref = {c->net, &segs[k]};
            if (!paging_bbox_meets(&pg, bb, seg_exact, &ref)) continue;
        } else if (paging_full(page)) {
            paging_set_matched(page, n); /* every segment matches: no need to look further */
            break;
        }
        if (!paging_match(page)) continue;
        if (returned++) jbuf_lit(&b, ",");
        road_feature(&b, c->net, &segs[k]);
    }
    size_t len = 0;
    char *text = jbuf_take(&b, &len);
    if (!text && returned) {
        paging_page_free(page);
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    paging_add_text(page, text ? text : "", len, returned);
    free(text);
    json_t *prov = roads_provenance();
    paging_send(c, rq, rs, page, prov);
    json_decref(prov);
}

void roadroutes_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    char err[256];
    long id;
    if (app_check_args(rq, NULL, 0, rs)) return;
    int64_t k = qparam_long("featureId", fid, 1, 0x7fffffffL, &id, err, sizeof err) == HZ_OK
                    ? roadnet_seg_find(c->net, id)
                    : -1;
    if (k < 0) {
        hresp_error(rs, 404, "NotFound", "no road segment '%.64s'", fid);
        return;
    }
    jbuf b = {0};
    road_feature(&b, c->net, &roadnet_segs(c->net)[k]);
    size_t len = 0;
    char *text = jbuf_take(&b, &len);
    json_t *f = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    if (!f) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    json_object_set_new(f, "links", paging_item_links(c));
    hresp_json(rs, 200, f, GEOJSON);
    json_decref(f);
}

/* ---- the road_sites collection: network screening (planners and editors) ---- */

static const char *const sites_args[] = {"rank", NULL};

/* The screening of the request's filters as a FeatureCollection (new reference), from the result
 * cache or computed; NULL with rs filled (or marked for the pool) otherwise. */
static json_t *sites_fc(hctx *c, const hreq *rq, const hz_filter *f, hresp *rs)
{
    screen_opts o;
    screen_opts_init(&o);
    const char *r = hreq_arg_get(rq, "rank");
    if (r && screen_rank_parse(r, &o.rank) != 0) {
        hresp_error(rs, 400, "InvalidParameterValue", "rank: '%.32s' is not excess, epdo or count",
                    r);
        return NULL;
    }
    char fc_[1024], canon[1200], key[1400], err[512];
    filter_canonical(f, fc_, sizeof fc_);
    snprintf(canon, sizeof canon, "%s|rank=%s|%lld-%lld", fc_, screen_rank_name(o.rank),
             (long long)f->from, (long long)f->to);
    rescache_key(c, "road_sites", canon, key, sizeof key);
    json_t *fc = rescache_json(c, key);
    if (fc || app_offload(c, rs)) return fc;
    screen_result *res = NULL;
    hz_status s = screen_run(c->net, c->snap, f, &o, &res, err, sizeof err);
    if (s == HZ_OK) s = screen_geojson(res, &fc, err, sizeof err);
    screen_free(res);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return NULL;
    }
    rescache_store_json(c, key, fc, GEOJSON);
    return fc;
}

void roadroutes_sites_items(hctx *c, const hreq *rq, hresp *rs)
{
    if (live_only(c, "network screening", rs)) return;
    paging_params pg;
    hz_filter f;
    if (paging_parse(c, rq, &pg, &f, rs, sites_args)) return;
    json_t *fc = sites_fc(c, rq, &f, rs);
    if (fc) paging_send_computed(c, rq, rs, &pg, fc);
}

void roadroutes_sites_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    if (live_only(c, "network screening", rs)) return;
    hz_filter f;
    if (app_check_args(rq, sites_args, 1, rs) || app_request_filter(c, rq, &f, rs)) return;
    json_t *fc = sites_fc(c, rq, &f, rs);
    if (fc) paging_send_item(c, rs, fc, fid);
}

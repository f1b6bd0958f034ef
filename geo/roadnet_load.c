/* roadnet_load.c - the store's road network as a roadnet (roadnet.h): the road_segments rows read
 * in id order, their WGS84 vertices projected to the working CRS, given to roadnet_build().
 *
 * Node ids are the store's road_nodes ids, unique across the store, so the networks of two
 * sources meet only where an import joined them (never by equal node numbers of two files). */
#include "hazmap/roadnet.h"

#include <stdlib.h>
#include <string.h>

/* All segments, copied out of the scan: the records with their own strings and vertices. */
typedef struct load_ctx {
    roadnet_seg_in *segs;
    size_t n, cap;
    int oom;
} load_ctx;

static void *dup_mem(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (q && n) memcpy(q, p, n);
    return q;
}

static int seg_cb(void *ud, const hz_road_seg_rec *r)
{
    load_ctx *c = ud;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        roadnet_seg_in *s = realloc(c->segs, cap * sizeof *s);
        if (!s) return c->oom = 1;
        c->segs = s;
        c->cap = cap;
    }
    roadnet_seg_in *s = &c->segs[c->n];
    memset(s, 0, sizeof *s);
    size_t vb = r->npts * sizeof(double);
    /* x and y get their own arrays, filled by the projection after the scan */
    s->lon = dup_mem(r->lon, vb);
    s->lat = dup_mem(r->lat, vb);
    s->x = malloc(vb ? vb : 1);
    s->y = malloc(vb ? vb : 1);
    s->name = r->name ? strdup(r->name) : NULL;
    s->cls = r->cls ? strdup(r->cls) : NULL;
    c->n++; /* counted before the checks: freed with the others */
    if (!s->lon || !s->lat || !s->x || !s->y || (r->name && !s->name) || (r->cls && !s->cls))
        return c->oom = 1;
    s->id = r->id;
    s->from = r->from_id;
    s->to = r->to_id;
    s->npts = r->npts;
    s->oneway = r->oneway;
    s->lanes = r->lanes;
    s->maxspeed_kmh = r->maxspeed_kmh;
    s->volume = r->volume;
    return 0;
}

static void load_free(load_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        roadnet_seg_in *s = &c->segs[i];
        free((void *)s->x);
        free((void *)s->y);
        free((void *)s->lon);
        free((void *)s->lat);
        free((void *)s->name);
        free((void *)s->cls);
    }
    free(c->segs);
}

roadnet *roadnet_load(store *st, workcrs *w, char *err, size_t errlen)
{
    load_ctx c = {0};
    hz_status s = store_road_segs_scan(st, seg_cb, &c, err, errlen);
    if (s == HZ_OK && c.oom) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; i < c.n && s == HZ_OK; i++) {
        roadnet_seg_in *g = &c.segs[i];
        s = workcrs_forward(w, g->npts, g->lon, g->lat, (double *)g->x, (double *)g->y);
        if (s != HZ_OK)
            hz_fail(s, err, errlen, "road segment %lld: projection to %s failed", (long long)g->id,
                    workcrs_srs(w));
    }
    roadnet *net = s == HZ_OK ? roadnet_build(c.n, c.segs, err, errlen) : NULL;
    load_free(&c);
    return net;
}

/* nettile.c - network density tiles (nettile.h).
 *
 * Invariants: every memoised view (views[i] non-NULL) holds one reference of its own, plus one
 * per caller between acquire() and release(); a view leaves the memo (evicted) before its last
 * reference is dropped, and is freed by whoever drops it. A view's pieces are sorted by colour
 * class, ascending (asserted when built). */
#include "hazmap/nettile.h"
#include "hazmap/nkde.h"
#include "hazmap/tilemath.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct netview {
    char key[1200]; /* nettile_params_canonical() */
    nettile_view v;
    roadtile_piece *pieces; /* the coloured lixels, lightest class first */
    size_t npieces;
    int refs;
    unsigned long long used; /* LRU stamp */
} netview;

struct nettile {
    const incset *s;
    const roadnet *net;
    const roadtile *rt;
    pthread_mutex_t mu;
    netview *views[NETTILE_VIEWS];
    unsigned long long clock;
};

void nettile_params_init(nettile_params *p)
{
    filter_init(&p->filter);
    p->bandwidth = NETTILE_DEFAULT_BANDWIDTH;
}

hz_status nettile_params_set(nettile_params *p, const char *key, const char *value, char *err,
                             size_t errlen)
{
    if (strcmp(key, "bandwidth") == 0) {
        char *end = NULL;
        double h = strtod(value, &end);
        if (!value[0] || *end || !isfinite(h) || h < 50 || h > NETTILE_MAX_BANDWIDTH)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "bandwidth: '%s' is not a number of metres in [50, %.0f]", value,
                           NETTILE_MAX_BANDWIDTH);
        p->bandwidth = h;
        return HZ_OK;
    }
    if (filter_is_param(key)) return filter_set(&p->filter, key, value, err, errlen);
    return hz_fail(HZ_ENOTFOUND, err, errlen, "unknown parameter '%s'", key);
}

int nettile_params_canonical(const nettile_params *p, char *buf, size_t buflen)
{
    char f[1024];
    filter_canonical(&p->filter, f, sizeof f);
    return snprintf(buf, buflen, "%s%sbandwidth=%.6g", f, f[0] ? "&" : "", p->bandwidth);
}

nettile *nettile_new(const incset *s, const roadnet *net, const roadtile *rt, char *err,
                     size_t errlen)
{
    nettile *nt = calloc(1, sizeof *nt);
    if (!nt) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    nt->s = s;
    nt->net = net;
    nt->rt = rt;
    pthread_mutex_init(&nt->mu, NULL);
    return nt;
}

static void view_free(netview *v)
{
    if (!v) return;
    free(v->pieces);
    free(v);
}

void nettile_free(nettile *nt)
{
    if (!nt) return;
    for (int i = 0; i < NETTILE_VIEWS; i++) {
        assert(!nt->views[i] || nt->views[i]->refs == 1); /* no render is running */
        view_free(nt->views[i]);
    }
    pthread_mutex_destroy(&nt->mu);
    free(nt);
}

static void release(nettile *nt, netview *v)
{
    pthread_mutex_lock(&nt->mu);
    int last = --v->refs == 0;
    pthread_mutex_unlock(&nt->mu);
    if (last) view_free(v);
}

/* The memoised view of key with a reference taken, or NULL. Called with mu held. */
static netview *find_locked(nettile *nt, const char *key)
{
    for (int i = 0; i < NETTILE_VIEWS; i++) {
        netview *v = nt->views[i];
        if (v && strcmp(v->key, key) == 0) {
            v->refs++;
            v->used = ++nt->clock;
            return v;
        }
    }
    return NULL;
}

int nettile_view_ready(nettile *nt, const nettile_params *p)
{
    char key[1200];
    nettile_params_canonical(p, key, sizeof key);
    pthread_mutex_lock(&nt->mu);
    netview *v = find_locked(nt, key);
    if (v) v->refs--; /* the memo still holds its own */
    pthread_mutex_unlock(&nt->mu);
    return v != NULL;
}

/* Computes the view of p into a new netview (refs 0). */
static hz_status compute(nettile *nt, const nettile_params *p, const char *key, netview **out,
                         char *err, size_t errlen)
{
    *out = NULL;
    hz_points pts = {0};
    hz_status s = incset_select(nt->s, &p->filter, &pts, err, errlen);
    if (s != HZ_OK) return s;
    int64_t from, to;
    double years = incset_study_period(nt->s, &p->filter, &from, &to);
    if (!(years > 0)) years = 1;
    nkde_opts o;
    nkde_opts_init(&o);
    o.bandwidth = p->bandwidth;
    o.scale = nkde_per_km_year(years);
    o.budget = NETTILE_MAX_WORK;
    nkde_result *r = NULL;
    s = nkde_compute(nt->net, &pts, &o, &r, err, errlen);
    size_t without_point = pts.without_point;
    hz_points_free(&pts);
    if (s != HZ_OK) return s;
    netview *v = calloc(1, sizeof *v);
    double *vals = malloc((r->nlixels ? r->nlixels : 1) * sizeof *vals);
    if (v) v->pieces = malloc((r->nlixels ? r->nlixels : 1) * sizeof *v->pieces);
    if (!v || !vals || !v->pieces) {
        view_free(v);
        free(vals);
        nkde_result_free(r);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    snprintf(v->key, sizeof v->key, "%s", key);
    size_t nz = 0;
    for (size_t i = 0; i < r->nlixels; i++)
        if (r->density[i] > 0) vals[nz++] = r->density[i];
    v->v.lixels = r->nlixels;
    v->v.nonzero = nz;
    v->v.snapped = r->snapped;
    v->v.unsnapped = r->unsnapped;
    v->v.without_point = without_point;
    v->v.years = years;
    colorramp_scale_fit(vals, nz, &v->v.scale, &v->v.top_share);
    free(vals);
    /* The coloured lixels by class (a counting sort: the darkest are drawn last, on top). */
    size_t start[COLORRAMP_CLASSES + 1] = {0};
    for (size_t i = 0; i < r->nlixels; i++) {
        int k = colorramp_class(&v->v.scale, r->density[i]);
        if (k >= 0) start[k + 1]++;
    }
    for (int k = 0; k < COLORRAMP_CLASSES; k++)
        start[k + 1] += start[k];
    v->npieces = start[COLORRAMP_CLASSES];
    for (size_t i = 0; i < r->nlixels; i++) {
        int k = colorramp_class(&v->v.scale, r->density[i]);
        if (k < 0) continue;
        roadtile_piece *pc = &v->pieces[start[k]++];
        pc->seg = r->lixels[i].seg;
        pc->s0 = r->lixels[i].s0;
        pc->s1 = r->lixels[i].s1;
        colorramp_rgba(k, pc->rgba);
        pc->width_scale = NETTILE_WIDTH_SCALE;
    }
    assert(start[COLORRAMP_CLASSES - 1] == v->npieces);
    nkde_result_free(r);
    *out = v;
    return HZ_OK;
}

/* The view of p with a reference taken: memoised, or computed and memoised (evicting the least
 * recently used view, which its last user frees). */
static hz_status acquire(nettile *nt, const nettile_params *p, netview **out, char *err,
                         size_t errlen)
{
    char key[1200];
    nettile_params_canonical(p, key, sizeof key);
    pthread_mutex_lock(&nt->mu);
    netview *v = find_locked(nt, key);
    pthread_mutex_unlock(&nt->mu);
    if (v) {
        *out = v;
        return HZ_OK;
    }
    /* Computed outside the lock: two threads asking a new view at once may both compute it;
     * the second to finish keeps the first's. */
    netview *nv = NULL;
    hz_status s = compute(nt, p, key, &nv, err, errlen);
    if (s != HZ_OK) return s;
    netview *evicted = NULL;
    pthread_mutex_lock(&nt->mu);
    if ((v = find_locked(nt, key))) {
        pthread_mutex_unlock(&nt->mu);
        view_free(nv);
        *out = v;
        return HZ_OK;
    }
    int slot = 0;
    for (int i = 0; i < NETTILE_VIEWS; i++) {
        if (!nt->views[i]) {
            slot = i;
            break;
        }
        if (nt->views[i]->used < nt->views[slot]->used) slot = i;
    }
    if (nt->views[slot] && --nt->views[slot]->refs == 0) evicted = nt->views[slot];
    nv->refs = 2; /* the memo's and the caller's */
    nv->used = ++nt->clock;
    nt->views[slot] = nv;
    pthread_mutex_unlock(&nt->mu);
    view_free(evicted);
    *out = nv;
    return HZ_OK;
}

hz_status nettile_view_get(nettile *nt, const nettile_params *p, nettile_view *out, char *err,
                           size_t errlen)
{
    netview *v = NULL;
    hz_status s = acquire(nt, p, &v, err, errlen);
    if (s != HZ_OK) return s;
    *out = v->v;
    release(nt, v);
    return HZ_OK;
}

hz_status nettile_png(nettile *nt, const nettile_params *p, int z, int x, int y,
                      unsigned char **png, size_t *len, char *err, size_t errlen)
{
    *png = NULL;
    *len = 0;
    if (!tilemath_valid(z, x, y)) return hz_fail(HZ_EINVAL, err, errlen, "invalid tile");
    netview *v = NULL;
    hz_status s = acquire(nt, p, &v, err, errlen);
    if (s != HZ_OK) return s;
    s = roadtile_png_pieces(nt->rt, z, x, y, v->pieces, v->npieces, png, len, err, errlen);
    release(nt, v);
    return s;
}

int nettile_cache_key(const nettile *nt, const nettile_params *p, const nettile_view *v, int z,
                      int x, int y, char *buf, size_t buflen)
{
    char q[1200], sc[512];
    nettile_params_canonical(p, q, sizeof q);
    colorramp_scale_canonical(&v->scale, sc, sizeof sc);
    return snprintf(buf, buflen, "net/v%lld/%s/%s/%d/%d/%d", (long long)incset_data_version(nt->s),
                    q, sc, z, x, y);
}

json_t *nettile_legend_json(const nettile_params *p, const nettile_view *v)
{
    json_t *j = colorramp_legend_json(&v->scale, p->filter.weight);
    if (!j) return NULL;
    char q[1200];
    nettile_params_canonical(p, q, sizeof q);
    json_object_set_new(j, "unit",
                        json_string(p->filter.weight == HZ_WEIGHT_SCORE
                                        ? "severity score per km of road per year"
                                        : "incidents per km of road per year"));
    json_object_set_new(j, "view", json_string(q));
    json_object_set_new(
        j, "network",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:s}", "lixels", (json_int_t)v->lixels,
                  "nonzero_lixels", (json_int_t)v->nonzero, "snapped", (json_int_t)v->snapped,
                  "unsnapped", (json_int_t)v->unsnapped, "without_point",
                  (json_int_t)v->without_point, "years", v->years, "top_share", v->top_share,
                  "method",
                  "network kernel density (nkde.h: quartic, discontinuous, at most 10 junctions "
                  "a path, 20 m lixels, 30 m snap); class breaks fitted on the non-zero lixels "
                  "by the density tiles' rule"));
    return j;
}

/* nkde_events.c - the lixels of a network and the events snapped onto it, sorted along their
 * segments, with the prefix sums from either segment end (nkde_impl.h). */
#include <assert.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/cancel.h"
#include "hazmap/parfor.h"
#include "nkde_impl.h"

#define MAX_LIXELS 2000000000.0

hz_status nkde_lix_build(const roadnet *net, double lixel, nkde_lix *lx, char *err, size_t errlen)
{
    size_t ns = roadnet_seg_count(net);
    const roadnet_seg *sg = roadnet_segs(net);
    double total = 0;
    for (size_t i = 0; i < ns; i++)
        total += ceil(sg[i].length / lixel);
    if (total > MAX_LIXELS)
        return hz_fail(HZ_ELIMIT, err, errlen, "lixel: %g m cuts the network into %.3g lixels",
                       lixel, total);
    lx->first = malloc((ns + 1) * sizeof *lx->first);
    if (!lx->first) return hz_fail(HZ_ENOMEM, err, errlen, "nkde: out of memory for lixels");
    size_t n = 0;
    for (size_t i = 0; i < ns; i++) {
        lx->first[i] = n;
        size_t c = (size_t)ceil(sg[i].length / lixel);
        n += c ? c : 1;
    }
    lx->first[ns] = n;
    lx->n = n;
    return HZ_OK;
}

void nkde_lix_free(nkde_lix *lx)
{
    free(lx->first);
    lx->first = NULL;
}

void nkde_lix_fill(const roadnet *net, const nkde_lix *lx, nkde_lixel *out)
{
    const roadnet_seg *sg = roadnet_segs(net);
    for (size_t i = 0; i < roadnet_seg_count(net); i++) {
        size_t m = lx->first[i + 1] - lx->first[i];
        double len = sg[i].length / (double)m;
        for (size_t j = 0; j < m; j++) {
            nkde_lixel *l = &out[lx->first[i] + j];
            l->seg = (uint32_t)i;
            l->index = (uint32_t)j;
            l->s0 = (double)j * len;
            l->s1 = j + 1 == m ? sg[i].length : (double)(j + 1) * len;
        }
    }
}

nkde_result *nkde_result_new(const roadnet *net, const nkde_lix *lx)
{
    nkde_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->nlixels = lx->n;
    r->lixels = malloc((lx->n ? lx->n : 1) * sizeof *r->lixels);
    r->density = calloc(lx->n ? lx->n : 1, sizeof *r->density);
    if (!r->lixels || !r->density) {
        nkde_result_free(r);
        return NULL;
    }
    nkde_lix_fill(net, lx, r->lixels);
    return r;
}

void nkde_result_free(nkde_result *r)
{
    if (!r) return;
    free(r->lixels);
    free(r->density);
    free(r);
}

void nkde_events_free(nkde_events *ev)
{
    free(ev->start);
    free(ev->s);
    free(ev->w);
    for (int e = 0; e < 2; e++) {
        free(ev->off[e]);
        free(ev->d[e]);
        free(ev->P[e]);
    }
    memset(ev, 0, sizeof *ev);
}

/* Snapping, one thread's share: seg[q] (UINT32_MAX when unsnapped) and s[q]. */
typedef struct snap_job {
    const roadnet *net;
    const hz_points *p;
    double snap;
    uint32_t *seg;
    double *s;
    _Atomic int stopped; /* cancelled (cancel.h), polled every SNAP_POLL points */
} snap_job;

#define SNAP_POLL 8192

static void snap_range(void *ctx, size_t lo, size_t hi, int tid)
{
    (void)tid;
    snap_job *J = ctx;
    for (size_t q = lo; q < hi; q++) {
        if ((q - lo) % SNAP_POLL == 0 && (atomic_load(&J->stopped) || hz_cancel_check())) {
            atomic_store(&J->stopped, 1);
            return;
        }
        roadnet_hit hit;
        double w = J->p->w ? J->p->w[q] : 1.0;
        if (w != 0 && roadnet_nearest(J->net, J->p->x[q], J->p->y[q], J->snap, &hit)) {
            J->seg[q] = hit.seg;
            J->s[q] = hit.s;
        } else {
            J->seg[q] = UINT32_MAX;
            J->s[q] = w == 0 ? 0 : 1; /* 1 marks a real miss (a zero weight is no event) */
        }
    }
}

static int cmp_sw(const void *a, const void *b)
{
    const double *p = a, *q = b;
    return (p[0] > q[0]) - (p[0] < q[0]);
}

/* Sorting and prefix sums of segments [lo, hi). */
typedef struct sort_job {
    const roadnet *net;
    nkde_events *ev;
    const nkde_basis *b;
    double *tmp; /* 2 per event: (s, w) pairs */
} sort_job;

static void prefix_end(nkde_events *ev, const nkde_basis *b, size_t i, int end, double len)
{
    size_t a = ev->start[i], n = ev->start[i + 1] - a;
    size_t o = ev->off[end][i], c = ev->off[end][i + 1] - o;
    double *row = ev->P[end] + (o + i) * (size_t)ev->nb;
    memset(row, 0, (size_t)ev->nb * sizeof *row);
    for (size_t j = 0; j < c; j++) {
        size_t q = end == 0 ? a + j : a + n - 1 - j;
        double d = end == 0 ? ev->s[q] : len - ev->s[q];
        if (d < 0) d = 0;
        assert(d < ev->h && (j == 0 || d >= ev->d[end][o + j - 1]));
        ev->d[end][o + j] = d;
        double phi[NKDE_MAXB];
        nkde_basis_phi(b, d / ev->h, phi);
        double *next = row + ev->nb;
        for (int k = 0; k < ev->nb; k++)
            next[k] = row[k] + ev->w[q] * phi[k];
        row = next;
    }
}

static void sort_range(void *ctx, size_t lo, size_t hi, int tid)
{
    (void)tid;
    sort_job *J = ctx;
    nkde_events *ev = J->ev;
    const roadnet_seg *sg = roadnet_segs(J->net);
    for (size_t i = lo; i < hi; i++) {
        size_t a = ev->start[i], n = ev->start[i + 1] - a;
        double *t = J->tmp + 2 * a;
        for (size_t j = 0; j < n; j++)
            t[2 * j] = ev->s[a + j], t[2 * j + 1] = ev->w[a + j];
        qsort(t, n, 2 * sizeof *t, cmp_sw);
        for (size_t j = 0; j < n; j++)
            ev->s[a + j] = t[2 * j], ev->w[a + j] = t[2 * j + 1];
        prefix_end(ev, J->b, i, 0, sg[i].length);
        prefix_end(ev, J->b, i, 1, sg[i].length);
    }
}

/* off[end]: the counts of events closer than h to each end (the events sorted already would be
 * needed for a binary search; a pass over them is as cheap). */
static hz_status make_offsets(const roadnet *net, nkde_events *ev)
{
    size_t ns = ev->nseg;
    const roadnet_seg *sg = roadnet_segs(net);
    for (int e = 0; e < 2; e++) {
        ev->off[e] = malloc((ns + 1) * sizeof *ev->off[e]);
        if (!ev->off[e]) return HZ_ENOMEM;
    }
    size_t c0 = 0, c1 = 0;
    for (size_t i = 0; i < ns; i++) {
        ev->off[0][i] = c0, ev->off[1][i] = c1;
        for (size_t q = ev->start[i]; q < ev->start[i + 1]; q++) {
            double d1 = sg[i].length - ev->s[q];
            c0 += ev->s[q] < ev->h;
            c1 += (d1 < 0 ? 0 : d1) < ev->h;
        }
    }
    ev->off[0][ns] = c0, ev->off[1][ns] = c1;
    size_t nb = (size_t)ev->nb;
    for (int e = 0; e < 2; e++) {
        size_t c = ev->off[e][ns];
        ev->d[e] = malloc((c ? c : 1) * sizeof *ev->d[e]);
        ev->P[e] = malloc((c + ns + 1) * nb * sizeof *ev->P[e]);
        if (!ev->d[e] || !ev->P[e]) return HZ_ENOMEM;
    }
    return HZ_OK;
}

/* Counting sort of the snapped events by segment (stable: input order within a segment). */
static hz_status place(nkde_events *ev, const hz_points *p, const uint32_t *seg, const double *s)
{
    size_t ns = ev->nseg;
    ev->start = calloc(ns + 1, sizeof *ev->start);
    if (!ev->start) return HZ_ENOMEM;
    for (size_t q = 0; q < p->n; q++) {
        if (seg[q] != UINT32_MAX) {
            ev->start[seg[q] + 1]++;
            ev->snapped++;
            ev->weight += p->w ? p->w[q] : 1.0;
        } else {
            ev->unsnapped += s[q] != 0;
        }
    }
    for (size_t i = 0; i < ns; i++)
        ev->start[i + 1] += ev->start[i];
    size_t m = ev->snapped;
    ev->s = malloc((m ? m : 1) * sizeof *ev->s);
    ev->w = malloc((m ? m : 1) * sizeof *ev->w);
    size_t *cur = malloc((ns + 1) * sizeof *cur);
    if (!ev->s || !ev->w || !cur) {
        free(cur);
        return HZ_ENOMEM;
    }
    memcpy(cur, ev->start, (ns + 1) * sizeof *cur);
    for (size_t q = 0; q < p->n; q++) {
        if (seg[q] == UINT32_MAX) continue;
        size_t k = cur[seg[q]]++;
        ev->s[k] = s[q];
        ev->w[k] = p->w ? p->w[q] : 1.0;
    }
    free(cur);
    return HZ_OK;
}

hz_status nkde_events_build(const roadnet *net, const hz_points *p, double snap, double h,
                            const nkde_basis *b, int nthreads, nkde_events *ev, char *err,
                            size_t errlen)
{
    memset(ev, 0, sizeof *ev);
    ev->nseg = roadnet_seg_count(net);
    ev->nb = b->nb;
    ev->h = h;
    for (size_t q = 0; q < p->n; q++) {
        double w = p->w ? p->w[q] : 1.0;
        if (!isfinite(p->x[q]) || !isfinite(p->y[q]) || !isfinite(w))
            return hz_fail(HZ_EINVAL, err, errlen,
                           "nkde: point %zu has a non-finite coordinate or weight", q);
    }
    uint32_t *seg = malloc((p->n ? p->n : 1) * sizeof *seg);
    double *s = malloc((p->n ? p->n : 1) * sizeof *s);
    hz_status rc = seg && s ? HZ_OK : HZ_ENOMEM;
    int stopped = 0;
    if (rc == HZ_OK) {
        snap_job J = {net, p, snap, seg, s, 0};
        if (ev->nseg)
            par_for(p->n, par_threads(nthreads), snap_range, &J);
        else
            for (size_t q = 0; q < p->n; q++)
                seg[q] = UINT32_MAX, s[q] = 1;
        stopped = atomic_load(&J.stopped);
        if (!stopped) rc = place(ev, p, seg, s);
    }
    free(seg);
    free(s);
    if (stopped) {
        nkde_events_free(ev);
        return hz_cancel_status(err, errlen);
    }
    if (rc == HZ_OK) rc = make_offsets(net, ev);
    double *tmp = rc == HZ_OK ? malloc((2 * ev->snapped + 1) * sizeof *tmp) : NULL;
    if (rc == HZ_OK && !tmp) rc = HZ_ENOMEM;
    if (rc == HZ_OK) {
        sort_job J = {net, ev, b, tmp};
        par_for(ev->nseg, par_threads(nthreads), sort_range, &J);
    }
    free(tmp);
    if (rc != HZ_OK) {
        nkde_events_free(ev);
        return hz_fail(rc, err, errlen, "nkde: out of memory for %zu events", p->n);
    }
    return HZ_OK;
}

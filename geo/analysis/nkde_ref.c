/* nkde_ref.c - the straightforward network kernel density (nkde_compute_reference()): event by
 * event, the kernel evaluated at every sample point reached, as spNetwork computes it. The fast
 * path (nkde.c) is checked against it in tests/check_nkde.c and timed against it in
 * bench/nkde_bench.c.
 *   - path methods: from the event along its segment both ways to the end nodes, then a
 *     depth-first walk over every path shorter than h with the node factors of nkde.h;
 *   - simple: Dijkstra (bounded by h, a linear scan for the closest open node) from the event's
 *     segment's two end nodes; the distance to a sample is the shortest over the ends of both
 *     segments, or along the segment when the event and the sample share it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nkde_impl.h"

typedef struct ref {
    const roadnet *net;
    const roadnet_seg *sg;
    const roadnet_node *nd;
    const roadnet_end *adj;
    const nkde_opts *o;
    const nkde_lix *lx;
    nkde_basis B;
    double h;
    double *out;
} ref;

static double kern(const ref *R, double d)
{
    return d >= 0 && d < R->h ? nkde_basis_k(&R->B, d / R->h) / R->h : 0;
}

/* Sample j of segment g: its distance from g's from-node. */
static double sample_x(const ref *R, uint32_t g, size_t j)
{
    size_t m = R->lx->first[g + 1] - R->lx->first[g];
    return ((double)j + 0.5) * (R->sg[g].length / (double)m);
}

typedef struct step {
    uint32_t node, in_seg;
    int in_at, depth;
    double D, c;
} step;

/* Every path from an event: arrived at `node` through in_seg's end in_at, D from the event. */
static int walk(const ref *R, step s0, double w)
{
    size_t cap = 64, top = 0;
    step *st = malloc(cap * sizeof *st);
    if (!st) return -1;
    st[top++] = s0;
    while (top) {
        step s = st[--top];
        const roadnet_node *X = &R->nd[s.node];
        uint32_t n = X->degree;
        int depth = s.depth + (n > 2);
        if (n <= 1 || depth > R->o->max_depth) continue;
        for (uint32_t k = 0; k < n; k++) {
            roadnet_end e = R->adj[X->adj + k];
            int back = e.seg == s.in_seg && e.at_to == s.in_at;
            double c;
            if (R->o->method == NKDE_CONTINUOUS)
                c = back ? (n > 2 ? s.c * (2.0 - n) / n : 0) : s.c * 2.0 / n;
            else
                c = back ? 0 : s.c / (n - 1);
            if (c == 0) continue;
            const roadnet_seg *g = &R->sg[e.seg];
            for (size_t j = R->lx->first[e.seg]; j < R->lx->first[e.seg + 1]; j++) {
                double x = sample_x(R, e.seg, j - R->lx->first[e.seg]);
                R->out[j] += w * c * kern(R, s.D + (e.at_to ? g->length - x : x));
            }
            if (s.D + g->length < R->h) {
                if (top == cap) {
                    step *p = realloc(st, 2 * cap * sizeof *p);
                    if (!p) {
                        free(st);
                        return -1;
                    }
                    st = p, cap *= 2;
                }
                st[top++] =
                    (step){e.at_to ? g->from : g->to, e.seg, !e.at_to, depth, s.D + g->length, c};
            }
        }
    }
    free(st);
    return 0;
}

static int path_event(const ref *R, uint32_t e, double s, double w)
{
    const roadnet_seg *g = &R->sg[e];
    for (size_t j = R->lx->first[e]; j < R->lx->first[e + 1]; j++)
        R->out[j] += w * kern(R, fabs(sample_x(R, e, j - R->lx->first[e]) - s));
    if (s < R->h && walk(R, (step){g->from, e, 0, 0, s, 1}, w)) return -1;
    if (g->length - s < R->h && walk(R, (step){g->to, e, 1, 0, g->length - s, 1}, w)) return -1;
    return 0;
}

/* Bounded Dijkstra from two sources at distances d0 (from src0) and d1 (from src1): dist[] over
 * the nodes (INFINITY when h or more), the reached nodes listed in seen[] (*nseen). */
static void dijkstra2(const ref *R, uint32_t src0, double d0, uint32_t src1, double d1,
                      double *dist, char *done, uint32_t *seen, size_t *nseen)
{
    size_t n = 0;
    if (d0 < R->h) dist[src0] = d0, seen[n++] = src0;
    if (d1 < R->h && d1 < dist[src1]) {
        if (dist[src1] == INFINITY) seen[n++] = src1;
        dist[src1] = d1;
    }
    for (;;) {
        uint32_t best = UINT32_MAX;
        for (size_t i = 0; i < n; i++)
            if (!done[seen[i]] && (best == UINT32_MAX || dist[seen[i]] < dist[best]))
                best = seen[i];
        if (best == UINT32_MAX) break;
        done[best] = 1;
        const roadnet_node *X = &R->nd[best];
        for (uint32_t k = 0; k < X->degree; k++) {
            roadnet_end e = R->adj[X->adj + k];
            const roadnet_seg *g = &R->sg[e.seg];
            uint32_t y = e.at_to ? g->from : g->to;
            double d = dist[best] + g->length;
            if (d < R->h && d < dist[y]) {
                if (dist[y] == INFINITY) seen[n++] = y;
                dist[y] = d;
            }
        }
    }
    *nseen = n;
}

static void simple_event(const ref *R, uint32_t e, double s, double w, double *dist, char *done,
                         uint32_t *seen, uint32_t *mark, uint32_t stamp)
{
    const roadnet_seg *g = &R->sg[e];
    size_t n;
    dijkstra2(R, g->from, s, g->to, g->length - s, dist, done, seen, &n);
    mark[e] = stamp;
    for (size_t j = R->lx->first[e]; j < R->lx->first[e + 1]; j++) {
        double x = sample_x(R, e, j - R->lx->first[e]);
        double d = fmin(fabs(x - s), fmin(x + dist[g->from], g->length - x + dist[g->to]));
        R->out[j] += w * kern(R, d);
    }
    for (size_t i = 0; i < n; i++) {
        const roadnet_node *X = &R->nd[seen[i]];
        for (uint32_t k = 0; k < X->degree; k++) {
            uint32_t f = R->adj[X->adj + k].seg;
            if (mark[f] == stamp) continue;
            mark[f] = stamp;
            const roadnet_seg *sf = &R->sg[f];
            for (size_t j = R->lx->first[f]; j < R->lx->first[f + 1]; j++) {
                double x = sample_x(R, f, j - R->lx->first[f]);
                R->out[j] += w * kern(R, fmin(x + dist[sf->from], sf->length - x + dist[sf->to]));
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        dist[seen[i]] = INFINITY, done[seen[i]] = 0;
}

static int run(const ref *R, const nkde_events *ev)
{
    size_t nn = roadnet_node_count(R->net), ns = roadnet_seg_count(R->net);
    double *dist = malloc((nn + 1) * sizeof *dist);
    char *done = calloc(nn + 1, 1);
    uint32_t *seen = malloc((nn + 1) * sizeof *seen), *mark = calloc(ns + 1, sizeof *mark);
    int rc = dist && done && seen && mark ? 0 : -1;
    for (size_t v = 0; dist && v < nn; v++)
        dist[v] = INFINITY;
    uint32_t stamp = 0;
    for (uint32_t e = 0; rc == 0 && e < ns; e++) {
        for (size_t i = ev->start[e]; rc == 0 && i < ev->start[e + 1]; i++) {
            if (R->o->method == NKDE_SIMPLE) {
                if (++stamp == 0) memset(mark, 0, ns * sizeof *mark), stamp = 1;
                simple_event(R, e, ev->s[i], ev->w[i], dist, done, seen, mark, stamp);
            } else {
                rc = path_event(R, e, ev->s[i], ev->w[i]);
            }
        }
    }
    free(dist);
    free(done);
    free(seen);
    free(mark);
    return rc;
}

hz_status nkde_compute_reference(const roadnet *net, const hz_points *p, const nkde_opts *o,
                                 nkde_result **out, char *err, size_t errlen)
{
    nkde_lix lx = {0};
    nkde_events ev;
    hz_status rc = nkde_prepare_reference(net, p, o, &lx, &ev, out, err, errlen);
    if (rc != HZ_OK) return rc;
    ref R = {.net = net,
             .sg = roadnet_segs(net),
             .nd = roadnet_nodes(net),
             .adj = roadnet_adj(net),
             .o = o,
             .lx = &lx,
             .h = o->bandwidth,
             .out = (*out)->density};
    nkde_basis_init(o->kernel, &R.B);
    if (run(&R, &ev)) {
        rc = hz_fail(HZ_ENOMEM, err, errlen, "nkde: out of memory (reference)");
        nkde_result_free(*out);
        *out = NULL;
    } else {
        double f = nkde_out_factor(o, ev.weight);
        for (size_t j = 0; j < lx.n; j++)
            (*out)->density[j] *= f;
    }
    nkde_events_free(&ev);
    nkde_lix_free(&lx);
    return rc;
}

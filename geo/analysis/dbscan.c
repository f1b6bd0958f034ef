/* dbscan.c - DBSCAN over planar points with a uniform-grid neighbour index (see dbscan.h).
 *
 * The index: every point gets an integer cell (cx, cy) = floor((p - min) / cell) with
 * cell = eps (1 + 1e-9), the tiny margin guaranteeing that two points within eps lie in the same
 * or adjacent cells despite rounding. Points are sorted by the cell key cy * W + cx (LSD radix
 * sort), so the three cells of one grid row next to a cell form one contiguous key range: each
 * query scans three runs of the sorted arrays. Distances are then checked exactly (dx² + dy² <=
 * eps², as R's kd-tree does).
 *
 * Algorithm (equivalent to R dbscan's dbscan_int): first mark core points (neighbour count >=
 * min_points, counting stops at min_points); then scan points in input order and grow a cluster
 * from every core point not yet labelled, depth-first with an explicit stack. A non-core point
 * is labelled by the first cluster to reach it and never relabelled. */
#include "hazmap/dbscan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct grid {
    size_t n;
    double eps2;
    double *sx, *sy;  /* coordinates in sorted (cell) order */
    uint32_t *ord;    /* sorted position -> input index */
    uint32_t *cellof; /* sorted position -> cell number */
    uint32_t *range;  /* per cell: 3 [begin, end) runs of sorted positions (6 values) */
} grid;

static void grid_free(grid *g)
{
    free(g->sx);
    free(g->sy);
    free(g->ord);
    free(g->cellof);
    free(g->range);
}

/* LSD radix sort of (key, idx) pairs by key, 16 bits per pass over the bits in use. */
static int radix_sort(size_t n, uint64_t *key, uint32_t *idx, uint64_t maxkey)
{
    uint64_t *k2 = malloc((n ? n : 1) * sizeof *k2);
    uint32_t *i2 = malloc((n ? n : 1) * sizeof *i2);
    size_t *cnt = malloc(65537 * sizeof *cnt);
    if (!k2 || !i2 || !cnt) {
        free(k2);
        free(i2);
        free(cnt);
        return -1;
    }
    for (int shift = 0; shift < 64 && (maxkey >> shift) != 0; shift += 16) {
        memset(cnt, 0, 65537 * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[((key[i] >> shift) & 0xffff) + 1]++;
        for (size_t b = 0; b < 65536; b++)
            cnt[b + 1] += cnt[b];
        for (size_t i = 0; i < n; i++) {
            size_t d = cnt[(key[i] >> shift) & 0xffff]++;
            k2[d] = key[i];
            i2[d] = idx[i];
        }
        memcpy(key, k2, n * sizeof *key);
        memcpy(idx, i2, n * sizeof *idx);
    }
    free(k2);
    free(i2);
    free(cnt);
    return 0;
}

/* First position in keys[0..m) with keys[pos] >= k. */
static size_t lower_bound(const uint64_t *keys, size_t m, uint64_t k)
{
    size_t lo = 0, hi = m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static hz_status grid_build(grid *g, size_t n, const double *x, const double *y, double eps,
                            char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    g->eps2 = eps * eps;
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return hz_fail(HZ_EINVAL, err, errlen, "dbscan: point %zu has a non-finite coordinate",
                           i);
        minx = fmin(minx, x[i]);
        miny = fmin(miny, y[i]);
        maxx = fmax(maxx, x[i]);
        maxy = fmax(maxy, y[i]);
    }
    double cell = eps * (1.0 + 1e-9);
    double fw = floor((maxx - minx) / cell) + 3.0, fh = floor((maxy - miny) / cell) + 3.0;
    if (!(fw * fh < 4.6e18))
        return hz_fail(HZ_ELIMIT, err, errlen, "dbscan: eps %g m is too small for the extent", eps);
    uint64_t w = (uint64_t)fw;
    uint64_t *key = malloc((n ? n : 1) * sizeof *key);
    g->ord = malloc((n ? n : 1) * sizeof *g->ord);
    if (!key || !g->ord) goto oom;
    uint64_t maxkey = 0;
    for (size_t i = 0; i < n; i++) {
        /* +1 keeps a margin column/row so that neighbours of edge cells never underflow. */
        uint64_t cx = (uint64_t)floor((x[i] - minx) / cell) + 1;
        uint64_t cy = (uint64_t)floor((y[i] - miny) / cell) + 1;
        key[i] = cy * w + cx;
        if (key[i] > maxkey) maxkey = key[i];
        g->ord[i] = (uint32_t)i;
    }
    if (radix_sort(n, key, g->ord, maxkey) != 0) goto oom;
    g->sx = malloc((n ? n : 1) * sizeof *g->sx);
    g->sy = malloc((n ? n : 1) * sizeof *g->sy);
    g->cellof = malloc((n ? n : 1) * sizeof *g->cellof);
    if (!g->sx || !g->sy || !g->cellof) goto oom;
    /* Distinct cell keys (compacted in place at the front of key) and their first positions. */
    size_t m = 0;
    uint32_t *start = malloc((n + 1) * sizeof *start);
    if (!start) goto oom;
    for (size_t s = 0; s < n; s++) {
        g->sx[s] = x[g->ord[s]];
        g->sy[s] = y[g->ord[s]];
        if (s == 0 || key[s] != key[m - 1]) {
            key[m] = key[s];
            start[m++] = (uint32_t)s;
        }
        g->cellof[s] = (uint32_t)(m - 1);
    }
    start[m] = (uint32_t)n;
    g->range = malloc((m ? m : 1) * 6 * sizeof *g->range);
    if (!g->range) {
        free(start);
        goto oom;
    }
    for (size_t c = 0; c < m; c++) {
        for (int dy = -1; dy <= 1; dy++) {
            uint64_t k0 = key[c] + (uint64_t)((int64_t)dy * (int64_t)w) - 1;
            size_t a = lower_bound(key, m, k0), b = lower_bound(key, m, k0 + 3);
            g->range[c * 6 + (size_t)(dy + 1) * 2] = start[a];
            g->range[c * 6 + (size_t)(dy + 1) * 2 + 1] = start[b];
        }
    }
    free(start);
    free(key);
    return HZ_OK;
oom:
    free(key);
    grid_free(g);
    return hz_fail(HZ_ENOMEM, err, errlen, "dbscan: out of memory for %zu points", n);
}

/* Number of points within eps of sorted position s, stopping once it reaches cap. */
static int count_neighbours(const grid *g, size_t s, int cap)
{
    const uint32_t *r = g->range + (size_t)g->cellof[s] * 6;
    double px = g->sx[s], py = g->sy[s];
    int c = 0;
    for (int k = 0; k < 3; k++) {
        for (uint32_t t = r[2 * k]; t < r[2 * k + 1]; t++) {
            double dx = g->sx[t] - px, dy = g->sy[t] - py;
            if (dx * dx + dy * dy <= g->eps2 && ++c >= cap) return c;
        }
    }
    return c;
}

hz_status dbscan_run(size_t n, const double *x, const double *y, double eps, int min_points,
                     int32_t *label, uint8_t *core, int32_t *nclusters, char *err, size_t errlen)
{
    *nclusters = 0;
    if (!(eps > 0) || !isfinite(eps))
        return hz_fail(HZ_EINVAL, err, errlen, "eps: must be a positive number of metres, not %g",
                       eps);
    if (min_points < 1)
        return hz_fail(HZ_EINVAL, err, errlen, "min_points: must be at least 1, not %d",
                       min_points);
    if (n > UINT32_MAX - 1)
        return hz_fail(HZ_ELIMIT, err, errlen, "dbscan: at most %u points", UINT32_MAX - 1);
    if (n == 0) return HZ_OK;
    grid g;
    hz_status rc = grid_build(&g, n, x, y, eps, err, errlen);
    if (rc != HZ_OK) return rc;
    /* iscore and lab are indexed by sorted position; stack holds sorted positions. */
    uint8_t *iscore = malloc(n ? n : 1);
    int32_t *lab = malloc((n ? n : 1) * sizeof *lab);
    uint32_t *pos = malloc((n ? n : 1) * sizeof *pos);
    uint32_t *stack = malloc((n ? n : 1) * sizeof *stack);
    if (!iscore || !lab || !pos || !stack) {
        rc = hz_fail(HZ_ENOMEM, err, errlen, "dbscan: out of memory for %zu points", n);
        goto done;
    }
    for (size_t s = 0; s < n; s++) {
        iscore[s] = count_neighbours(&g, s, min_points) >= min_points;
        lab[s] = -1;
        pos[g.ord[s]] = (uint32_t)s;
    }
    int32_t ncl = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t s0 = pos[i];
        if (!iscore[s0] || lab[s0] >= 0) continue;
        ncl++;
        size_t top = 0;
        lab[s0] = ncl;
        stack[top++] = s0;
        /* Every point is pushed at most once (when labelled, and only if core): top <= n. */
        while (top) {
            uint32_t s = stack[--top];
            const uint32_t *r = g.range + (size_t)g.cellof[s] * 6;
            double px = g.sx[s], py = g.sy[s];
            for (int k = 0; k < 3; k++) {
                for (uint32_t t = r[2 * k]; t < r[2 * k + 1]; t++) {
                    if (lab[t] >= 0) continue;
                    double dx = g.sx[t] - px, dy = g.sy[t] - py;
                    if (dx * dx + dy * dy > g.eps2) continue;
                    lab[t] = ncl;
                    if (iscore[t]) stack[top++] = t;
                }
            }
        }
    }
    for (size_t s = 0; s < n; s++) {
        label[g.ord[s]] = lab[s] < 0 ? 0 : lab[s];
        if (core) core[g.ord[s]] = iscore[s];
    }
    *nclusters = ncl;
done:
    free(iscore);
    free(lab);
    free(pos);
    free(stack);
    grid_free(&g);
    return rc;
}

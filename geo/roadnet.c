/* roadnet.c - the road network model (see roadnet.h).
 *
 * Build: the 2 n segment ends sorted by node id give the nodes (index = rank of the id) and,
 * grouped by node, the adjacency; the vertices are copied segment after segment. Queries: points
 * sampled along every segment at most SAMPLE_STEP metres apart (every vertex included) sit in a
 * ptgrid. A point Q of a segment within r of the query point X has a sample within SAMPLE_STEP / 2
 * of Q, hence within r + SAMPLE_STEP / 2 of X: the samples in that box name every candidate
 * segment, and each candidate's exact distance decides. Nodes sit in a second ptgrid. */
#include "hazmap/roadnet.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/ptgrid.h"

#define SAMPLE_STEP 25.0 /* metres between the samples of the segment index */
#define GRID_CELL 100.0  /* metres, the side of both index grids' cells */

struct roadnet {
    size_t nseg, nnode, npts;
    roadnet_seg *seg;          /* nseg, input order */
    uint32_t *by_id;           /* nseg segment indices sorted by id */
    roadnet_node *node;        /* nnode, ascending id */
    roadnet_end *adj;          /* 2 nseg, grouped by node */
    double *x, *y, *lon, *lat; /* npts */
    double total;
    ptgrid *samples; /* sampled points; reported index = segment */
    ptgrid *nodes;   /* node positions; reported index = node */
};

/* One segment end, for sorting by node id. */
typedef struct end_key {
    int64_t node;
    uint32_t seg;
    uint8_t at_to;
} end_key;

static int cmp_end(const void *a, const void *b)
{
    const end_key *p = a, *q = b;
    if (p->node != q->node) return p->node < q->node ? -1 : 1;
    if (p->seg != q->seg) return p->seg < q->seg ? -1 : 1;
    return (int)p->at_to - (int)q->at_to;
}

void roadnet_free(roadnet *net)
{
    if (!net) return;
    for (size_t i = 0; net->seg && i < net->nseg; i++) { /* seg is NULL when its calloc failed */
        free((char *)net->seg[i].name);
        free((char *)net->seg[i].cls);
    }
    free(net->seg);
    free(net->by_id);
    free(net->node);
    free(net->adj);
    free(net->x);
    free(net->y);
    free(net->lon);
    free(net->lat);
    ptgrid_free(net->samples);
    ptgrid_free(net->nodes);
    free(net);
}

static char *dup_or_null(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static double known_or_nan(double v)
{
    return isfinite(v) && v > 0 ? v : NAN;
}

/* Checks segment i's input; HZ_OK or HZ_EINVAL naming it. */
static hz_status check_seg(const roadnet_seg_in *in, size_t i, char *err, size_t errlen)
{
    if (in->npts < 2 || !in->x || !in->y || !in->lon || !in->lat)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "road segment %lld (input %zu): fewer than 2 vertices", (long long)in->id,
                       i);
    for (size_t k = 0; k < in->npts; k++) {
        if (!isfinite(in->x[k]) || !isfinite(in->y[k]) || !isfinite(in->lon[k]) ||
            !isfinite(in->lat[k]))
            return hz_fail(HZ_EINVAL, err, errlen,
                           "road segment %lld: vertex %zu has a non-finite coordinate",
                           (long long)in->id, k);
    }
    return HZ_OK;
}

/* Copies the segments and their vertices; HZ_ENOMEM or HZ_EINVAL. */
static hz_status copy_segs(roadnet *net, const roadnet_seg_in *segs, char *err, size_t errlen)
{
    size_t p = 0;
    for (size_t i = 0; i < net->nseg; i++) {
        const roadnet_seg_in *in = &segs[i];
        roadnet_seg *s = &net->seg[i];
        double len = 0;
        for (size_t k = 0; k < in->npts; k++) {
            net->x[p + k] = in->x[k];
            net->y[p + k] = in->y[k];
            net->lon[p + k] = in->lon[k];
            net->lat[p + k] = in->lat[k];
            if (k) len += hypot(in->x[k] - in->x[k - 1], in->y[k] - in->y[k - 1]);
        }
        if (!(len > 0))
            return hz_fail(HZ_EINVAL, err, errlen, "road segment %lld has zero length",
                           (long long)in->id);
        s->id = in->id;
        s->pts = (uint32_t)p;
        s->npts = (uint32_t)in->npts;
        s->length = len;
        s->oneway = in->oneway > 0 ? 1 : in->oneway < 0 ? -1 : 0;
        s->lanes = in->lanes > 0 ? in->lanes : -1;
        s->maxspeed_kmh = known_or_nan(in->maxspeed_kmh);
        s->volume = known_or_nan(in->volume);
        s->name = dup_or_null(in->name);
        s->cls = dup_or_null(in->cls);
        if ((in->name && !s->name) || (in->cls && !s->cls)) return HZ_ENOMEM;
        net->total += len;
        p += in->npts;
    }
    assert(p == net->npts);
    return HZ_OK;
}

/* The nodes and the adjacency from the sorted ends. */
static hz_status make_nodes(roadnet *net, const roadnet_seg_in *segs, char *err, size_t errlen)
{
    size_t ne = 2 * net->nseg;
    end_key *ends = malloc((ne ? ne : 1) * sizeof *ends);
    if (!ends) return HZ_ENOMEM;
    for (size_t i = 0; i < net->nseg; i++) {
        ends[2 * i] = (end_key){segs[i].from, (uint32_t)i, 0};
        ends[2 * i + 1] = (end_key){segs[i].to, (uint32_t)i, 1};
    }
    qsort(ends, ne, sizeof *ends, cmp_end);
    size_t nn = 0;
    for (size_t e = 0; e < ne; e++)
        nn += e == 0 || ends[e].node != ends[e - 1].node;
    net->node = calloc(nn ? nn : 1, sizeof *net->node);
    net->adj = malloc((ne ? ne : 1) * sizeof *net->adj);
    if (!net->node || !net->adj) {
        free(ends);
        return HZ_ENOMEM;
    }
    hz_status rc = HZ_OK;
    size_t v = 0;
    for (size_t e = 0; e < ne && rc == HZ_OK; e++) {
        const roadnet_seg *s = &net->seg[ends[e].seg];
        uint32_t vx = ends[e].at_to ? s->pts + s->npts - 1 : s->pts;
        if (e > 0 && ends[e].node != ends[e - 1].node) v++;
        roadnet_node *nd = &net->node[v];
        if (nd->degree == 0) {
            *nd = (roadnet_node){ends[e].node, net->x[vx], net->y[vx], net->lon[vx],
                                 net->lat[vx], 0,          (uint32_t)e};
        } else if (nd->x != net->x[vx] || nd->y != net->y[vx]) {
            rc = hz_fail(HZ_EINVAL, err, errlen,
                         "road segment %lld: its %s end is not at node %lld's position",
                         (long long)s->id, ends[e].at_to ? "to" : "from", (long long)nd->id);
        }
        nd->degree++;
        net->adj[e] = (roadnet_end){ends[e].seg, ends[e].at_to};
        if (ends[e].at_to)
            net->seg[ends[e].seg].to = (uint32_t)v;
        else
            net->seg[ends[e].seg].from = (uint32_t)v;
    }
    net->nnode = nn;
    free(ends);
    return rc;
}

static int cmp_u32_by_id_ctx(const roadnet *net, uint32_t a, uint32_t b)
{
    int64_t p = net->seg[a].id, q = net->seg[b].id;
    return p < q ? -1 : p > q;
}

/* Insertion-free id index: a merge sort over indices (qsort has no context argument). */
static void sort_by_id(const roadnet *net, uint32_t *a, uint32_t *tmp, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_by_id(net, a, tmp, h);
    sort_by_id(net, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_u32_by_id_ctx(net, a[j], a[i]) < 0 ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static hz_status make_id_index(roadnet *net, char *err, size_t errlen)
{
    size_t n = net->nseg;
    net->by_id = malloc((n ? n : 1) * sizeof *net->by_id);
    uint32_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!net->by_id || !tmp) {
        free(tmp);
        return HZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        net->by_id[i] = (uint32_t)i;
    sort_by_id(net, net->by_id, tmp, n);
    free(tmp);
    for (size_t i = 1; i < n; i++) {
        if (net->seg[net->by_id[i]].id == net->seg[net->by_id[i - 1]].id)
            return hz_fail(HZ_EINVAL, err, errlen, "road segment id %lld appears twice",
                           (long long)net->seg[net->by_id[i]].id);
    }
    return HZ_OK;
}

/* Samples along segment s at most SAMPLE_STEP apart, vertices included; appends to xs/ys/ix
 * from *m on (NULL arrays: only counts). */
static void sample_seg(const roadnet *net, uint32_t si, double *xs, double *ys, uint32_t *ix,
                       size_t *m)
{
    const roadnet_seg *s = &net->seg[si];
    for (uint32_t k = 0; k < s->npts; k++) {
        size_t p = s->pts + k;
        size_t steps = 1;
        if (k + 1 < s->npts) {
            double d = hypot(net->x[p + 1] - net->x[p], net->y[p + 1] - net->y[p]);
            steps = (size_t)ceil(d / SAMPLE_STEP);
            if (steps < 1) steps = 1;
        }
        for (size_t j = 0; j < steps; j++) {
            if (xs) {
                double f = (double)j / (double)steps;
                xs[*m] = k + 1 < s->npts ? net->x[p] + f * (net->x[p + 1] - net->x[p]) : net->x[p];
                ys[*m] = k + 1 < s->npts ? net->y[p] + f * (net->y[p + 1] - net->y[p]) : net->y[p];
                ix[*m] = si;
            }
            (*m)++;
        }
    }
}

static hz_status make_indexes(roadnet *net, char *err, size_t errlen)
{
    size_t m = 0;
    for (uint32_t i = 0; i < net->nseg; i++)
        sample_seg(net, i, NULL, NULL, NULL, &m);
    double *xs = malloc((m ? m : 1) * sizeof *xs), *ys = malloc((m ? m : 1) * sizeof *ys);
    uint32_t *ix = malloc((m ? m : 1) * sizeof *ix);
    hz_status rc = HZ_ENOMEM;
    if (xs && ys && ix) {
        size_t k = 0;
        for (uint32_t i = 0; i < net->nseg; i++)
            sample_seg(net, i, xs, ys, ix, &k);
        assert(k == m);
        ptgrid_spec spec = {.cell = GRID_CELL, .across = 4096};
        rc = ptgrid_new(m, xs, ys, ix, &spec, &net->samples, err, errlen);
    }
    free(xs);
    free(ys);
    free(ix);
    if (rc != HZ_OK) return rc;
    double *nx = malloc((net->nnode ? net->nnode : 1) * sizeof *nx);
    double *ny = malloc((net->nnode ? net->nnode : 1) * sizeof *ny);
    rc = HZ_ENOMEM;
    if (nx && ny) {
        for (size_t v = 0; v < net->nnode; v++) {
            nx[v] = net->node[v].x;
            ny[v] = net->node[v].y;
        }
        ptgrid_spec spec = {.cell = GRID_CELL, .across = 4096};
        rc = ptgrid_new(net->nnode, nx, ny, NULL, &spec, &net->nodes, err, errlen);
    }
    free(nx);
    free(ny);
    return rc;
}

roadnet *roadnet_build(size_t n, const roadnet_seg_in *segs, char *err, size_t errlen)
{
    if (n >= UINT32_MAX / 2) {
        hz_fail(HZ_ELIMIT, err, errlen, "%zu road segments: too many", n);
        return NULL;
    }
    size_t npts = 0;
    for (size_t i = 0; i < n; i++) {
        if (check_seg(&segs[i], i, err, errlen) != HZ_OK) return NULL;
        npts += segs[i].npts;
    }
    roadnet *net = calloc(1, sizeof *net);
    if (!net) goto oom;
    net->nseg = n;
    net->npts = npts;
    net->seg = calloc(n ? n : 1, sizeof *net->seg);
    net->x = malloc((npts ? npts : 1) * sizeof(double));
    net->y = malloc((npts ? npts : 1) * sizeof(double));
    net->lon = malloc((npts ? npts : 1) * sizeof(double));
    net->lat = malloc((npts ? npts : 1) * sizeof(double));
    if (!net->seg || !net->x || !net->y || !net->lon || !net->lat) goto oom;
    hz_status rc = copy_segs(net, segs, err, errlen);
    if (rc == HZ_OK) rc = make_id_index(net, err, errlen);
    if (rc == HZ_OK) rc = make_nodes(net, segs, err, errlen);
    if (rc == HZ_OK) rc = make_indexes(net, err, errlen);
    if (rc == HZ_ENOMEM) goto oom;
    if (rc != HZ_OK) {
        roadnet_free(net);
        return NULL;
    }
    return net;
oom:
    roadnet_free(net);
    hz_fail(HZ_ENOMEM, err, errlen, "out of memory building a road network of %zu segments", n);
    return NULL;
}

size_t roadnet_seg_count(const roadnet *net)
{
    return net->nseg;
}

size_t roadnet_node_count(const roadnet *net)
{
    return net->nnode;
}

const roadnet_seg *roadnet_segs(const roadnet *net)
{
    return net->seg;
}

const roadnet_node *roadnet_nodes(const roadnet *net)
{
    return net->node;
}

const roadnet_end *roadnet_adj(const roadnet *net)
{
    return net->adj;
}

void roadnet_xy(const roadnet *net, const double **x, const double **y)
{
    *x = net->x;
    *y = net->y;
}

void roadnet_lonlat(const roadnet *net, const double **lon, const double **lat)
{
    *lon = net->lon;
    *lat = net->lat;
}

double roadnet_total_length(const roadnet *net)
{
    return net->total;
}

int64_t roadnet_seg_find(const roadnet *net, int64_t id)
{
    size_t lo = 0, hi = net->nseg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t v = net->seg[net->by_id[mid]].id;
        if (v == id) return net->by_id[mid];
        if (v < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The vertex piece of seg holding distance s: sets *k (piece from vertex pts + k) and *f (the
 * fraction along it). s is clamped. */
static void locate(const roadnet *net, const roadnet_seg *sg, double s, uint32_t *k, double *f)
{
    double acc = 0;
    if (s < 0) s = 0;
    for (uint32_t j = 0; j + 1 < sg->npts; j++) {
        size_t p = sg->pts + j;
        double d = hypot(net->x[p + 1] - net->x[p], net->y[p + 1] - net->y[p]);
        if (s <= acc + d || j + 2 == sg->npts) {
            *k = j;
            *f = d > 0 ? (s - acc) / d : 0;
            if (*f > 1) *f = 1;
            if (*f < 0) *f = 0;
            return;
        }
        acc += d;
    }
    assert(!"a segment has at least two vertices");
}

static double lerp(double a, double b, double f)
{
    return a + f * (b - a);
}

void roadnet_point_at(const roadnet *net, uint32_t seg, double s, double *x, double *y, double *lon,
                      double *lat)
{
    assert(seg < net->nseg);
    const roadnet_seg *sg = &net->seg[seg];
    uint32_t k;
    double f;
    locate(net, sg, s, &k, &f);
    size_t p = sg->pts + k;
    if (x) *x = lerp(net->x[p], net->x[p + 1], f);
    if (y) *y = lerp(net->y[p], net->y[p + 1], f);
    if (lon) *lon = lerp(net->lon[p], net->lon[p + 1], f);
    if (lat) *lat = lerp(net->lat[p], net->lat[p + 1], f);
}

size_t roadnet_subline(const roadnet *net, uint32_t seg, double s0, double s1, double *lon,
                       double *lat, size_t cap)
{
    assert(seg < net->nseg);
    const roadnet_seg *sg = &net->seg[seg];
    if (s0 < 0) s0 = 0;
    if (s1 > sg->length) s1 = sg->length;
    if (s1 < s0) s1 = s0;
    size_t n = 0;
    double a, b;
    roadnet_point_at(net, seg, s0, NULL, NULL, &a, &b);
    if (n < cap) lon[n] = a, lat[n] = b;
    n++;
    double acc = 0;
    for (uint32_t j = 1; j + 1 < sg->npts; j++) {
        size_t p = sg->pts + j;
        acc += hypot(net->x[p] - net->x[p - 1], net->y[p] - net->y[p - 1]);
        if (acc > s0 && acc < s1) {
            if (n < cap) lon[n] = net->lon[p], lat[n] = net->lat[p];
            n++;
        }
    }
    roadnet_point_at(net, seg, s1, NULL, NULL, &a, &b);
    if (n < cap) lon[n] = a, lat[n] = b;
    return n + 1;
}

/* The nearest point of segment si to (x, y): distance and position along. */
static void seg_nearest(const roadnet *net, uint32_t si, double x, double y, double *dist,
                        double *s)
{
    const roadnet_seg *sg = &net->seg[si];
    double best = INFINITY, bests = 0, acc = 0;
    for (uint32_t j = 0; j + 1 < sg->npts; j++) {
        size_t p = sg->pts + j;
        double ax = net->x[p], ay = net->y[p], dx = net->x[p + 1] - ax, dy = net->y[p + 1] - ay;
        double l2 = dx * dx + dy * dy, t = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double d = hypot(x - (ax + t * dx), y - (ay + t * dy));
        if (d < best) best = d, bests = acc + t * sqrt(l2);
        acc += sqrt(l2);
    }
    *dist = best;
    *s = bests > sg->length ? sg->length : bests;
}

int roadnet_nearest(const roadnet *net, double x, double y, double maxdist, roadnet_hit *hit)
{
    if (!net->samples || !(maxdist >= 0) || !isfinite(x) || !isfinite(y)) return 0;
    double r = maxdist + SAMPLE_STEP / 2;
    double rect[4] = {x - r, y - r, x + r, y + r};
    const double *xs = ptgrid_xs(net->samples), *ys = ptgrid_ys(net->samples);
    const uint32_t *ix = ptgrid_index(net->samples);
    ptgrid_rows it;
    size_t p0, p1;
    int found = 0;
    uint32_t last = UINT32_MAX;
    ptgrid_rows_begin(net->samples, rect, &it);
    while (ptgrid_rows_next(net->samples, &it, &p0, &p1)) {
        for (size_t p = p0; p < p1; p++) {
            if (fabs(xs[p] - x) > r || fabs(ys[p] - y) > r || ix[p] == last) continue;
            last = ix[p];
            double d, s;
            seg_nearest(net, ix[p], x, y, &d, &s);
            if (d > maxdist) continue;
            if (!found || d < hit->dist || (d == hit->dist && ix[p] < hit->seg)) {
                *hit = (roadnet_hit){ix[p], s, d};
                found = 1;
            }
        }
    }
    return found;
}

int64_t roadnet_nearest_node(const roadnet *net, double x, double y, double maxdist,
                             uint32_t min_degree)
{
    if (!net->nodes || !(maxdist >= 0) || !isfinite(x) || !isfinite(y)) return -1;
    double rect[4] = {x - maxdist, y - maxdist, x + maxdist, y + maxdist};
    const double *xs = ptgrid_xs(net->nodes), *ys = ptgrid_ys(net->nodes);
    const uint32_t *ix = ptgrid_index(net->nodes);
    ptgrid_rows it;
    size_t p0, p1;
    int64_t best = -1;
    double bestd = INFINITY;
    ptgrid_rows_begin(net->nodes, rect, &it);
    while (ptgrid_rows_next(net->nodes, &it, &p0, &p1)) {
        for (size_t p = p0; p < p1; p++) {
            if (net->node[ix[p]].degree < min_degree) continue;
            double d = hypot(xs[p] - x, ys[p] - y);
            if (d > maxdist) continue;
            if (d < bestd || (d == bestd && ix[p] < best)) best = ix[p], bestd = d;
        }
    }
    return best;
}

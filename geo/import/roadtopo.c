/* roadtopo.c - nodes and segments from road line parts (roadtopo.h): the given topology checked
 * against the geometry, or the nodes found among shared vertices and the lines split there.
 *
 * Noding (roadtopo_in.given == 0). Vertices within snap metres of each other are joined into
 * clusters (union-find over a grid of snap-sized cells: single linkage, so a chain of close
 * vertices is one cluster). A cluster is a node when it holds a line end or is used twice (by two
 * lines, or by one line at two places; a line's consecutive vertices in one cluster count once).
 * Each line is then walked: consecutive vertices of one cluster collapse into one, a node vertex
 * takes its cluster's position (the cluster's first vertex in input order) and ends the current
 * segment.
 *
 * Invariants of the result (asserted): every segment has >= 2 vertices and length > 0; its first
 * and last vertices are bit for bit its nodes' positions; a node's degree is the number of
 * segment ends at it, and at least 1 (a node made for a line that gave no segment is dropped). */
#include "roadtopo.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable output ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

typedef struct builder {
    const roadtopo_in *in;
    roadtopo *out;
    size_t cap_segs, cap_pts, cap_nodes, cap_rej;
} builder;

/* Makes room for need points (the four coordinate arrays grow together). */
static int reserve_points(builder *b, size_t need)
{
    if (need <= b->cap_pts) return 0;
    roadtopo *t = b->out;
    size_t n = b->cap_pts ? 2 * b->cap_pts : 256;
    double **arr[4] = {&t->lon, &t->lat, &t->x, &t->y};
    for (int k = 0; k < 4; k++) {
        double *q = realloc(*arr[k], n * sizeof *q);
        if (!q) return -1;
        *arr[k] = q;
    }
    b->cap_pts = n;
    return 0;
}

static int add_point(builder *b, double lon, double lat, double x, double y)
{
    roadtopo *t = b->out;
    if (reserve_points(b, t->npts + 1)) return -1;
    t->lon[t->npts] = lon;
    t->lat[t->npts] = lat;
    t->x[t->npts] = x;
    t->y[t->npts] = y;
    t->npts++;
    return 0;
}

static int add_point_of(builder *b, size_t v)
{
    const roadtopo_in *in = b->in;
    return add_point(b, in->lon[v], in->lat[v], in->x[v], in->y[v]);
}

/* Makes room for need nodes (the node arrays grow together). */
static int reserve_nodes(builder *b, size_t need)
{
    if (need <= b->cap_nodes) return 0;
    roadtopo *t = b->out;
    size_t n = b->cap_nodes ? 2 * b->cap_nodes : 64;
    int64_t *id = realloc(t->node_id, n * sizeof *id);
    if (id) t->node_id = id;
    double *lon = id ? realloc(t->node_lon, n * sizeof *lon) : NULL;
    if (lon) t->node_lon = lon;
    double *lat = lon ? realloc(t->node_lat, n * sizeof *lat) : NULL;
    if (lat) t->node_lat = lat;
    uint32_t *deg = lat ? realloc(t->degree, n * sizeof *deg) : NULL;
    if (deg) t->degree = deg;
    if (!deg) return -1;
    b->cap_nodes = n;
    return 0;
}

/* A new node with id at vertex v's position; its index, or -1 when out of memory. */
static int64_t add_node(builder *b, int64_t id, size_t v)
{
    roadtopo *t = b->out;
    if (reserve_nodes(b, t->nnodes + 1)) return -1;
    t->node_id[t->nnodes] = id;
    t->node_lon[t->nnodes] = b->in->lon[v];
    t->node_lat[t->nnodes] = b->in->lat[v];
    t->degree[t->nnodes] = 0;
    return (int64_t)t->nnodes++;
}

static double seg_length(const roadtopo *t, size_t p0, size_t np)
{
    double len = 0;
    for (size_t i = p0 + 1; i < p0 + np; i++)
        len += hypot(t->x[i] - t->x[i - 1], t->y[i] - t->y[i - 1]);
    return len;
}

/* Ends the segment of points p0 .. npts - 1 between node indices a and b. A segment shorter than
 * 2 points or of zero length is dropped (its points too): returns 0 then, 1 when kept, -1. */
static int add_seg(builder *b, size_t line, size_t p0, size_t na, size_t nb)
{
    roadtopo *t = b->out;
    size_t np = t->npts - p0;
    double len = np >= 2 ? seg_length(t, p0, np) : 0;
    if (!(len > 0)) {
        t->npts = p0;
        return 0;
    }
    if (grow((void **)&t->segs, &b->cap_segs, t->nsegs + 1, sizeof *t->segs)) return -1;
    assert(t->lon[p0] == t->node_lon[na] && t->lat[p0] == t->node_lat[na]);
    assert(t->lon[t->npts - 1] == t->node_lon[nb] && t->lat[t->npts - 1] == t->node_lat[nb]);
    t->segs[t->nsegs++] = (roadtopo_seg){line, t->node_id[na], t->node_id[nb], p0, np, len};
    t->degree[na]++;
    t->degree[nb]++;
    return 1;
}

static int add_reject(builder *b, size_t line, const char *kind, const char *msg)
{
    roadtopo *t = b->out;
    if (grow((void **)&t->rejects, &b->cap_rej, t->nrejects + 1, sizeof *t->rejects)) return -1;
    roadtopo_reject *r = &t->rejects[t->nrejects++];
    r->line = line;
    r->kind = kind;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    return 0;
}

/* ---- an int64 -> index hash table (open addressing, linear probing) ---- */

typedef struct idmap {
    size_t cap; /* a power of 2 */
    int64_t *key;
    int64_t *val; /* -1: empty */
} idmap;

static int idmap_init(idmap *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n + 16)
        m->cap *= 2;
    m->key = malloc(m->cap * sizeof *m->key);
    m->val = malloc(m->cap * sizeof *m->val);
    if (!m->key || !m->val) return -1;
    for (size_t i = 0; i < m->cap; i++)
        m->val[i] = -1;
    return 0;
}

static void idmap_free(idmap *m)
{
    free(m->key);
    free(m->val);
}

static size_t idmap_slot(const idmap *m, int64_t k)
{
    uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 17) & (m->cap - 1);
    while (m->val[i] >= 0 && m->key[i] != k)
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* ---- given topology ---- */

static double vdist(const roadtopo_in *in, size_t a, size_t b)
{
    return hypot(in->x[a] - in->x[b], in->y[a] - in->y[b]);
}

/* 1 when vertices a and b count as one place (within snap, or equal when snap < 0). */
static int same_place(const roadtopo_in *in, size_t a, size_t b)
{
    if (in->snap < 0) return in->lon[a] == in->lon[b] && in->lat[a] == in->lat[b];
    return vdist(in, a, b) <= in->snap;
}

/* Where node id already is (its first vertex), or SIZE_MAX. */
static size_t given_at(const idmap *m, const size_t *first, int64_t id)
{
    size_t s = idmap_slot(m, id);
    return m->val[s] < 0 ? SIZE_MAX : first[m->val[s]];
}

/* The node index of id, made at vertex v when new; -1 when out of memory. first has room for
 * two nodes per line, the most there can be. */
static int64_t given_node(builder *b, idmap *m, size_t *first, int64_t id, size_t v)
{
    size_t s = idmap_slot(m, id);
    if (m->val[s] >= 0) return m->val[s];
    int64_t k = add_node(b, id, v);
    if (k < 0) return -1;
    assert((size_t)k < 2 * b->in->nlines);
    first[k] = v;
    m->key[s] = id;
    m->val[s] = k;
    return k;
}

/* Checks line li against the nodes so far: 1 when it fits, 0 when rejected, -1. */
static int given_check(builder *b, const idmap *m, const size_t *first, size_t li)
{
    const roadtopo_in *in = b->in;
    const roadtopo_line *l = &in->lines[li];
    size_t e[2] = {l->v0, l->v0 + l->nv - 1};
    int64_t id[2] = {l->from, l->to};
    char msg[160];
    if (l->from == l->to && !same_place(in, e[0], e[1])) {
        snprintf(msg, sizeof msg,
                 "from and to node are both %lld but the line is not closed (its ends are "
                 "%.2f m apart)",
                 (long long)l->from, vdist(in, e[0], e[1]));
        return add_reject(b, li, "open loop", msg) < 0 ? -1 : 0;
    }
    for (int k = 0; k < 2; k++) {
        size_t at = given_at(m, first, id[k]);
        if (at != SIZE_MAX && !same_place(in, at, e[k])) {
            snprintf(msg, sizeof msg, "node %lld is %.2f m from where an earlier feature put it",
                     (long long)id[k], vdist(in, at, e[k]));
            return add_reject(b, li, "node mismatch", msg) < 0 ? -1 : 0;
        }
    }
    return 1;
}

/* Line li as one segment between its given nodes, its ends moved onto them. */
static int given_line(builder *b, idmap *m, size_t *first, size_t li)
{
    const roadtopo_in *in = b->in;
    const roadtopo_line *l = &in->lines[li];
    int ok = given_check(b, m, first, li);
    if (ok <= 0) return ok;
    int64_t na = given_node(b, m, first, l->from, l->v0);
    int64_t nb = na < 0 ? -1 : given_node(b, m, first, l->to, l->v0 + l->nv - 1);
    if (nb < 0) return -1;
    roadtopo *t = b->out;
    size_t p0 = t->npts, fa = first[na], fb = first[nb];
    if (add_point_of(b, fa)) return -1;
    for (size_t i = 1; i + 1 < l->nv; i++) {
        size_t v = l->v0 + i;
        if (in->lon[v] == t->lon[t->npts - 1] && in->lat[v] == t->lat[t->npts - 1]) continue;
        if (add_point_of(b, v)) return -1;
    }
    if ((t->lon[t->npts - 1] == in->lon[fb] && t->lat[t->npts - 1] == in->lat[fb] &&
         t->npts - p0 > 1))
        t->npts--; /* the last interior vertex sits on the end node */
    if (add_point_of(b, fb)) return -1;
    int kept = add_seg(b, li, p0, (size_t)na, (size_t)nb);
    if (kept == 0 && add_reject(b, li, "zero length", "zero length between its end nodes") < 0)
        return -1;
    return kept < 0 ? -1 : 1;
}

static hz_status build_given(builder *b)
{
    const roadtopo_in *in = b->in;
    idmap m = {0};
    size_t *first = malloc((2 * in->nlines + 1) * sizeof *first);
    hz_status s = !first || idmap_init(&m, 2 * in->nlines) ? HZ_ENOMEM : HZ_OK;
    for (size_t li = 0; li < in->nlines && s == HZ_OK; li++)
        if (given_line(b, &m, first, li) < 0) s = HZ_ENOMEM;
    idmap_free(&m);
    free(first);
    return s;
}

/* ---- noding ---- */

static size_t uf_find(size_t *parent, size_t v)
{
    while (parent[v] != v) {
        parent[v] = parent[parent[v]];
        v = parent[v];
    }
    return v;
}

/* The root is the smaller index: a cluster's root is its first vertex in input order. */
static void uf_union(size_t *parent, size_t a, size_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

static int64_t cell_key(int64_t cx, int64_t cy)
{
    return (int64_t)((uint64_t)cx * 0x100000001B3ULL ^ (uint64_t)cy);
}

/* Joins every pair of vertices within snap: a grid of cells of the tolerance's size (1 m for
 * identical coordinates), each vertex compared with the earlier ones of its 3 x 3 cells. */
static void join_close(const roadtopo_in *in, size_t *parent, const int64_t *cx, const int64_t *cy,
                       const size_t *next, const idmap *heads)
{
    for (size_t v = 0; v < in->nverts; v++)
        for (int dx = -1; dx <= 1; dx++)
            for (int dy = -1; dy <= 1; dy++) {
                size_t s = idmap_slot(heads, cell_key(cx[v] + dx, cy[v] + dy));
                size_t w = heads->val[s] < 0 ? SIZE_MAX : (size_t)heads->val[s];
                for (; w != SIZE_MAX; w = next[w])
                    if (w < v && cx[w] == cx[v] + dx && cy[w] == cy[v] + dy && same_place(in, v, w))
                        uf_union(parent, v, w);
            }
}

static int cluster(const roadtopo_in *in, size_t *parent)
{
    double cell = in->snap > 0 ? in->snap : 1.0;
    size_t n = in->nverts, alloc = n ? n : 1;
    int64_t *cx = malloc(alloc * sizeof *cx), *cy = malloc(alloc * sizeof *cy);
    size_t *next = malloc(alloc * sizeof *next);
    idmap heads = {0};
    for (size_t v = 0; v < n; v++)
        parent[v] = v;
    int rc = (!cx || !cy || !next || idmap_init(&heads, n)) ? -1 : 0;
    for (size_t v = 0; v < n && rc == 0; v++) {
        cx[v] = (int64_t)floor(in->x[v] / cell);
        cy[v] = (int64_t)floor(in->y[v] / cell);
        int64_t key = cell_key(cx[v], cy[v]);
        size_t s = idmap_slot(&heads, key);
        next[v] = heads.val[s] < 0 ? SIZE_MAX : (size_t)heads.val[s];
        heads.key[s] = key;
        heads.val[s] = (int64_t)v;
    }
    if (rc == 0) join_close(in, parent, cx, cy, next, &heads);
    idmap_free(&heads);
    free(cx);
    free(cy);
    free(next);
    return rc;
}

/* uses[root] = how often the cluster is used (consecutive uses by one line once), +2 for an end:
 * a cluster is a node when uses >= 2. */
static void count_uses(const roadtopo_in *in, size_t *parent, uint32_t *uses)
{
    for (size_t li = 0; li < in->nlines; li++) {
        const roadtopo_line *l = &in->lines[li];
        size_t prev = SIZE_MAX;
        for (size_t i = 0; i < l->nv; i++) {
            size_t r = uf_find(parent, l->v0 + i);
            if (r != prev && uses[r] < UINT32_MAX - 2) uses[r]++;
            if ((i == 0 || i + 1 == l->nv) && uses[r] < UINT32_MAX - 2) uses[r] += 2;
            prev = r;
        }
    }
}

typedef struct noder {
    size_t *parent;
    uint32_t *uses;
    int64_t *node_of; /* root -> node index, -1 none yet */
} noder;

static int64_t noded_node(builder *b, noder *nd, size_t root)
{
    if (nd->node_of[root] >= 0) return nd->node_of[root];
    int64_t k = add_node(b, (int64_t)b->out->nnodes + 1, root);
    nd->node_of[root] = k;
    return k;
}

/* Walks line li, splitting it at its node vertices (its first and last vertices are always
 * nodes: their clusters hold a line end). A segment runs from points p0 to the next node. */
static int noded_line(builder *b, noder *nd, size_t li)
{
    const roadtopo_line *l = &b->in->lines[li];
    roadtopo *t = b->out;
    size_t prev = SIZE_MAX, p0 = t->npts, closed = t->npts;
    int64_t start = -1;
    for (size_t i = 0; i < l->nv; i++) {
        size_t v = l->v0 + i, r = uf_find(nd->parent, v);
        if (r == prev) continue;
        prev = r;
        if (nd->uses[r] < 2) {
            if (add_point_of(b, v)) return -1;
            continue;
        }
        int64_t k = noded_node(b, nd, r);
        if (k < 0 || add_point_of(b, r)) return -1;
        if (start >= 0) {
            if (add_seg(b, li, p0, (size_t)start, (size_t)k) < 0) return -1;
            closed = t->npts;
            p0 = t->npts;
            if (add_point_of(b, r)) return -1; /* the next segment's first point */
        }
        start = k;
    }
    t->npts = closed; /* the last vertex is a node: nothing after it belongs to a segment */
    return 0;
}

static hz_status build_noded(builder *b)
{
    const roadtopo_in *in = b->in;
    size_t n = in->nverts ? in->nverts : 1;
    noder nd = {malloc(n * sizeof(size_t)), calloc(n, sizeof(uint32_t)),
                malloc(n * sizeof(int64_t))};
    hz_status s = nd.parent && nd.uses && nd.node_of ? HZ_OK : HZ_ENOMEM;
    if (s == HZ_OK && cluster(in, nd.parent) < 0) s = HZ_ENOMEM;
    if (s == HZ_OK) {
        count_uses(in, nd.parent, nd.uses);
        for (size_t v = 0; v < in->nverts; v++)
            nd.node_of[v] = -1;
    }
    for (size_t li = 0; li < in->nlines && s == HZ_OK; li++) {
        size_t before = b->out->nsegs;
        if (noded_line(b, &nd, li) < 0)
            s = HZ_ENOMEM;
        else if (b->out->nsegs == before &&
                 add_reject(b, li, "zero length",
                            "zero length once the vertices within the snap distance are joined") <
                     0)
            s = HZ_ENOMEM;
    }
    free(nd.parent);
    free(nd.uses);
    free(nd.node_of);
    return s;
}

/* Drops the nodes no segment ended at: made for a line whose only segment then had zero length
 * (segments name their nodes by id, so the others need no change). */
static void drop_unused_nodes(roadtopo *t)
{
    size_t n = 0;
    for (size_t k = 0; k < t->nnodes; k++) {
        if (t->degree[k] == 0) continue;
        t->node_id[n] = t->node_id[k];
        t->node_lon[n] = t->node_lon[k];
        t->node_lat[n] = t->node_lat[k];
        t->degree[n] = t->degree[k];
        n++;
    }
    t->nnodes = n;
}

hz_status roadtopo_build(const roadtopo_in *in, roadtopo *out)
{
    memset(out, 0, sizeof *out);
    builder b = {.in = in, .out = out};
    hz_status s = in->given ? build_given(&b) : build_noded(&b);
    if (s == HZ_OK) drop_unused_nodes(out);
#ifndef NDEBUG
    if (s == HZ_OK) {
        uint64_t sum = 0;
        for (size_t k = 0; k < out->nnodes; k++) {
            assert(out->degree[k] > 0);
            sum += out->degree[k];
        }
        assert(sum == 2 * (uint64_t)out->nsegs);
    }
#endif
    return s;
}

void roadtopo_free(roadtopo *t)
{
    free(t->segs);
    free(t->lon);
    free(t->lat);
    free(t->x);
    free(t->y);
    free(t->node_id);
    free(t->node_lon);
    free(t->node_lat);
    free(t->degree);
    free(t->rejects);
    memset(t, 0, sizeof *t);
}

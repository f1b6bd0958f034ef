/* roadsites.c - junctions and road sections of a road network (roadsites.h).
 *
 * Sections are walked, not searched: from every node of degree != 2, each end not walked yet
 * starts a chain that goes on through degree-2 nodes (leaving each by its other end) until it
 * reaches a node of degree != 2. Segments left unwalked after that lie on cycles of degree-2
 * nodes only; each such cycle is walked from its lowest-index segment's from-node until it is
 * back there. Every step marks its segment, and a walk never meets a marked segment (asserted):
 * at a degree-2 node the other end is the only way on, and it cannot have been walked, since a
 * walk reaching it from the other side would have gone on through this node. */
#include "hazmap/roadsites.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct roadsites {
    const roadnet *net;
    size_t njunc, nsec, nstep;
    roadsites_junction *junc;
    roadsites_section *sec;
    roadsites_step *step; /* nseg, section after section */
    uint32_t *seg_sec;    /* per segment: its section */
    uint32_t *seg_step;   /* per segment: its step (index into step) */
    int32_t *node_junc;   /* per node: its junction index, -1 */
};

void roadsites_free(roadsites *rs)
{
    if (!rs) return;
    free(rs->junc);
    free(rs->sec);
    free(rs->step);
    free(rs->seg_sec);
    free(rs->seg_step);
    free(rs->node_junc);
    free(rs);
}

/* The node a step leaves by. */
static uint32_t step_exit(const roadnet_seg *sg, uint8_t reversed)
{
    return reversed ? sg->from : sg->to;
}

/* Appends the step (seg, reversed) to the open section (the last one). */
static void push_step(roadsites *rs, uint32_t seg, uint8_t reversed)
{
    const roadnet_seg *sg = &roadnet_segs(rs->net)[seg];
    roadsites_section *sc = &rs->sec[rs->nsec - 1];
    assert(rs->seg_sec[seg] == UINT32_MAX); /* each segment on one step only */
    rs->step[rs->nstep] = (roadsites_step){seg, reversed, sc->length};
    rs->seg_sec[seg] = (uint32_t)(rs->nsec - 1);
    rs->seg_step[seg] = (uint32_t)rs->nstep;
    rs->nstep++;
    sc->nsteps++;
    sc->length += sg->length;
}

/* Walks a section from node v along end e (at v) until a node of degree != 2, or back at stop
 * (a cycle). */
static void walk(roadsites *rs, uint32_t v, roadnet_end e, uint32_t stop)
{
    const roadnet_seg *segs = roadnet_segs(rs->net);
    const roadnet_node *nodes = roadnet_nodes(rs->net);
    const roadnet_end *adj = roadnet_adj(rs->net);
    rs->sec[rs->nsec++] = (roadsites_section){.first = (uint32_t)rs->nstep, .from_node = v};
    roadsites_section *sc = &rs->sec[rs->nsec - 1];
    for (;;) {
        push_step(rs, e.seg, e.at_to);
        uint32_t u = step_exit(&segs[e.seg], e.at_to);
        if (nodes[u].degree != 2 || u == stop) {
            sc->to_node = u;
            return;
        }
        /* Leave u by its other end: the one that is not (e.seg, the end we arrived at). */
        const roadnet_end *a = &adj[nodes[u].adj];
        uint8_t arrived_at_to = !e.at_to;
        e = a[0].seg == e.seg && a[0].at_to == arrived_at_to ? a[1] : a[0];
    }
}

/* The non-NULL string carrying the most weight over n items (ties: the first met). */
static const char *dominant(size_t n, const char *const *s, const double *w)
{
    const char *best = NULL;
    double bestw = -1;
    for (size_t i = 0; i < n; i++) {
        if (!s[i]) continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = s[j] && strcmp(s[j], s[i]) == 0;
        if (seen) continue;
        double t = 0;
        for (size_t j = i; j < n; j++)
            if (s[j] && strcmp(s[j], s[i]) == 0) t += w[j];
        if (t > bestw) best = s[i], bestw = t;
    }
    return best;
}

/* Name, class and volume of every section (scratch: room for the longest section). */
static void describe_sections(roadsites *rs, const char **tmp, double *w)
{
    const roadnet_seg *segs = roadnet_segs(rs->net);
    for (size_t c = 0; c < rs->nsec; c++) {
        roadsites_section *sc = &rs->sec[c];
        const roadsites_step *st = &rs->step[sc->first];
        double vk = 0;
        int known = 1;
        for (uint32_t i = 0; i < sc->nsteps; i++) {
            const roadnet_seg *sg = &segs[st[i].seg];
            tmp[i] = sg->name;
            w[i] = sg->length;
            if (isnan(sg->volume)) known = 0;
            vk += sg->volume * sg->length;
            if (i) assert(st[i].start == st[i - 1].start + segs[st[i - 1].seg].length);
        }
        sc->name = dominant(sc->nsteps, tmp, w);
        for (uint32_t i = 0; i < sc->nsteps; i++)
            tmp[i] = segs[st[i].seg].cls;
        sc->cls = dominant(sc->nsteps, tmp, w);
        sc->volume = known ? vk / sc->length : NAN;
        sc->cycle =
            sc->from_node == sc->to_node && roadnet_nodes(rs->net)[sc->from_node].degree == 2;
    }
}

static void describe_junctions(roadsites *rs, const char **tmp, double *w)
{
    const roadnet_seg *segs = roadnet_segs(rs->net);
    const roadnet_node *nodes = roadnet_nodes(rs->net);
    const roadnet_end *adj = roadnet_adj(rs->net);
    for (size_t j = 0; j < rs->njunc; j++) {
        roadsites_junction *jn = &rs->junc[j];
        const roadnet_node *nd = &nodes[jn->node];
        double v = 0;
        int known = 1;
        for (uint32_t k = 0; k < nd->degree; k++) {
            const roadnet_seg *sg = &segs[adj[nd->adj + k].seg];
            tmp[k] = sg->name;
            w[k] = 1;
            if (isnan(sg->volume)) known = 0;
            v += sg->volume;
        }
        jn->name = dominant(nd->degree, tmp, w);
        jn->volume = known ? v / 2 : NAN;
    }
}

static hz_status alloc_all(roadsites *rs, size_t nseg, size_t nnode)
{
    rs->sec = malloc((nseg ? nseg : 1) * sizeof *rs->sec);
    rs->step = malloc((nseg ? nseg : 1) * sizeof *rs->step);
    rs->seg_sec = malloc((nseg ? nseg : 1) * sizeof *rs->seg_sec);
    rs->seg_step = malloc((nseg ? nseg : 1) * sizeof *rs->seg_step);
    rs->node_junc = malloc((nnode ? nnode : 1) * sizeof *rs->node_junc);
    rs->junc = malloc((nnode ? nnode : 1) * sizeof *rs->junc);
    if (!rs->sec || !rs->step || !rs->seg_sec || !rs->seg_step || !rs->node_junc || !rs->junc)
        return HZ_ENOMEM;
    for (size_t i = 0; i < nseg; i++)
        rs->seg_sec[i] = UINT32_MAX;
    return HZ_OK;
}

static void find_junctions(roadsites *rs, size_t nnode)
{
    const roadnet_node *nodes = roadnet_nodes(rs->net);
    for (size_t v = 0; v < nnode; v++) {
        rs->node_junc[v] = -1;
        if (nodes[v].degree < 3) continue;
        rs->node_junc[v] = (int32_t)rs->njunc;
        rs->junc[rs->njunc++] =
            (roadsites_junction){.node = (uint32_t)v, .degree = nodes[v].degree};
    }
}

static void walk_all(roadsites *rs, size_t nseg, size_t nnode)
{
    const roadnet_node *nodes = roadnet_nodes(rs->net);
    const roadnet_end *adj = roadnet_adj(rs->net);
    const roadnet_seg *segs = roadnet_segs(rs->net);
    for (size_t v = 0; v < nnode; v++) {
        if (nodes[v].degree == 2) continue;
        for (uint32_t k = 0; k < nodes[v].degree; k++) {
            roadnet_end e = adj[nodes[v].adj + k];
            if (rs->seg_sec[e.seg] == UINT32_MAX) walk(rs, (uint32_t)v, e, UINT32_MAX);
        }
    }
    for (size_t i = 0; i < nseg; i++) { /* cycles of degree-2 nodes */
        if (rs->seg_sec[i] != UINT32_MAX) continue;
        uint32_t v = segs[i].from;
        assert(nodes[v].degree == 2);
        walk(rs, v, (roadnet_end){(uint32_t)i, 0}, v);
    }
    assert(rs->nstep == nseg); /* every segment on a step */
}

roadsites *roadsites_build(const roadnet *net, char *err, size_t errlen)
{
    size_t nseg = roadnet_seg_count(net), nnode = roadnet_node_count(net);
    roadsites *rs = calloc(1, sizeof *rs);
    const char **tmp = NULL;
    double *w = NULL;
    if (!rs) goto oom;
    rs->net = net;
    if (alloc_all(rs, nseg, nnode) != HZ_OK) goto oom;
    find_junctions(rs, nnode);
    walk_all(rs, nseg, nnode);
    size_t maxn = 1;
    for (size_t v = 0; v < nnode; v++)
        if (roadnet_nodes(net)[v].degree > maxn) maxn = roadnet_nodes(net)[v].degree;
    for (size_t c = 0; c < rs->nsec; c++)
        if (rs->sec[c].nsteps > maxn) maxn = rs->sec[c].nsteps;
    tmp = malloc(maxn * sizeof *tmp);
    w = malloc(maxn * sizeof *w);
    if (!tmp || !w) goto oom;
    describe_sections(rs, tmp, w);
    describe_junctions(rs, tmp, w);
    free(tmp);
    free(w);
    return rs;
oom:
    free(tmp);
    free(w);
    roadsites_free(rs);
    hz_fail(HZ_ENOMEM, err, errlen, "out of memory building the road sites");
    return NULL;
}

const roadnet *roadsites_net(const roadsites *rs)
{
    return rs->net;
}

size_t roadsites_junction_count(const roadsites *rs)
{
    return rs->njunc;
}

const roadsites_junction *roadsites_junctions(const roadsites *rs)
{
    return rs->junc;
}

size_t roadsites_section_count(const roadsites *rs)
{
    return rs->nsec;
}

const roadsites_section *roadsites_sections(const roadsites *rs)
{
    return rs->sec;
}

const roadsites_step *roadsites_steps(const roadsites *rs)
{
    return rs->step;
}

void roadsites_seg_place(const roadsites *rs, uint32_t seg, uint32_t *section, uint32_t *step)
{
    assert(seg < roadnet_seg_count(rs->net));
    if (section) *section = rs->seg_sec[seg];
    if (step) *step = rs->seg_step[seg];
}

double roadsites_section_pos(const roadsites *rs, uint32_t seg, double s)
{
    const roadsites_step *st = &rs->step[rs->seg_step[seg]];
    double len = roadnet_segs(rs->net)[seg].length;
    s = s < 0 ? 0 : s > len ? len : s;
    return st->start + (st->reversed ? len - s : s);
}

int32_t roadsites_node_junction(const roadsites *rs, uint32_t node)
{
    return rs->node_junc[node];
}

/* Writes the part [s0, s1] of step st (in the section's direction) from point *n on, or from
 * *n - 1 when a previous step wrote the joint (the shared node, written once). */
static void append_step(const roadsites *rs, const roadsites_step *st, double s0, double s1,
                        double *lon, double *lat, size_t cap, size_t *n)
{
    double len = roadnet_segs(rs->net)[st->seg].length;
    double a = st->reversed ? len - s1 : s0, b = st->reversed ? len - s0 : s1;
    size_t at = *n > 0 ? *n - 1 : 0, room = cap > at ? cap - at : 0;
    size_t m = roadnet_subline(rs->net, st->seg, a, b, room ? lon + at : NULL,
                               room ? lat + at : NULL, room);
    if (st->reversed && m <= room) {
        for (size_t i = 0, j = m - 1; i < j; i++, j--) {
            double t = lon[at + i];
            lon[at + i] = lon[at + j], lon[at + j] = t;
            t = lat[at + i];
            lat[at + i] = lat[at + j], lat[at + j] = t;
        }
    }
    *n = at + m;
}

size_t roadsites_section_line(const roadsites *rs, uint32_t sec, double a, double b, double *lon,
                              double *lat, size_t cap)
{
    assert(sec < rs->nsec);
    const roadsites_section *sc = &rs->sec[sec];
    const roadnet_seg *segs = roadnet_segs(rs->net);
    a = a < 0 ? 0 : a;
    b = b > sc->length ? sc->length : b;
    if (b < a) b = a;
    size_t n = 0;
    for (uint32_t i = 0; i < sc->nsteps; i++) {
        const roadsites_step *st = &rs->step[sc->first + i];
        double len = segs[st->seg].length, lo = st->start, hi = st->start + len;
        if (hi < a || (hi == a && i + 1 < sc->nsteps) || (n > 0 && lo >= b)) continue;
        append_step(rs, st, (a > lo ? a - lo : 0), (b < hi ? b - lo : len), lon, lat, cap, &n);
    }
    return n;
}

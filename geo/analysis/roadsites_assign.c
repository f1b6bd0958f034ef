/* roadsites_assign.c - incidents to junctions and road sections (roadsites.h, "Assignment").
 *
 * Each point is independent: par_for() splits the points into chunks, each writing its own part
 * of loc; the unassigned are counted per chunk and summed. Cancellation is polled every
 * CHECK_EVERY points. */
#include "hazmap/cancel.h"
#include "hazmap/parfor.h"
#include "hazmap/roadsites.h"

#include <math.h>

enum { CHECK_EVERY = 4096 };

void roadsites_assign_opts_init(roadsites_assign_opts *o)
{
    o->junction_radius = 50;
    o->tolerance = 30;
    o->nthreads = 0;
}

/* One point's site. */
static roadsites_loc assign_one(const roadsites *rs, double x, double y,
                                const roadsites_assign_opts *o)
{
    const roadnet *net = roadsites_net(rs);
    int64_t v = roadnet_nearest_node(net, x, y, o->junction_radius, 3);
    if (v >= 0) {
        int32_t j = roadsites_node_junction(rs, (uint32_t)v);
        return (roadsites_loc){ROADSITES_JUNCTION, (uint32_t)j, 0};
    }
    roadnet_hit hit;
    if (!roadnet_nearest(net, x, y, o->tolerance, &hit)) return (roadsites_loc){0, 0, 0};
    uint32_t sec;
    roadsites_seg_place(rs, hit.seg, &sec, NULL);
    return (roadsites_loc){ROADSITES_SECTION, sec, roadsites_section_pos(rs, hit.seg, hit.s)};
}

typedef struct assign_job {
    const roadsites *rs;
    const double *x, *y;
    const roadsites_assign_opts *o;
    roadsites_loc *loc;
    size_t none[PAR_MAX_THREADS];
    int stopped[PAR_MAX_THREADS];
} assign_job;

static void assign_chunk(void *ctx, size_t lo, size_t hi, int tid)
{
    assign_job *j = ctx;
    for (size_t i = lo; i < hi; i++) {
        if ((i - lo) % CHECK_EVERY == 0 && hz_cancel_check()) {
            j->stopped[tid] = 1;
            return;
        }
        j->loc[i] = assign_one(j->rs, j->x[i], j->y[i], j->o);
        j->none[tid] += j->loc[i].kind == ROADSITES_NONE;
    }
}

hz_status roadsites_assign(const roadsites *rs, size_t n, const double *x, const double *y,
                           const roadsites_assign_opts *o, roadsites_loc *loc, size_t *unassigned,
                           char *err, size_t errlen)
{
    roadsites_assign_opts def;
    if (!o) {
        roadsites_assign_opts_init(&def);
        o = &def;
    }
    if (!(o->junction_radius >= 0) || !isfinite(o->junction_radius) || !(o->tolerance >= 0) ||
        !isfinite(o->tolerance))
        return hz_fail(HZ_EINVAL, err, errlen,
                       "junction radius %g m and tolerance %g m must be finite and >= 0",
                       o->junction_radius, o->tolerance);
    assign_job j = {.rs = rs, .x = x, .y = y, .o = o, .loc = loc};
    int nt = par_threads(o->nthreads);
    if (n < 2 * CHECK_EVERY) nt = 1;
    par_for(n, nt, assign_chunk, &j);
    size_t none = 0;
    for (int t = 0; t < PAR_MAX_THREADS; t++) {
        if (j.stopped[t]) return hz_cancel_status(err, errlen);
        none += j.none[t];
    }
    if (unassigned) *unassigned = none;
    return HZ_OK;
}

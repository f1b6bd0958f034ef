/* nkde.h - network kernel density: the density of weighted events along a road network, sampled
 * at the centres of short pieces of road ("lixels"), in the definitions of the R package
 * spNetwork (Gelb 2021), after Okabe & Sugihara (2012, ch. 9) and Xie & Yan (2008).
 *
 * Lixels. Every segment of length L is cut into ceil(L / lixel) equal lixels (so no lixel is
 * longer than `lixel` and none is a sliver; spNetwork's lixelize_lines() instead cuts lixels of
 * exactly `lixel` metres and merges a last piece shorter than its mindist into its neighbour).
 * The density is evaluated at each lixel's centre.
 *
 * Events. Each point is snapped to the nearest network position within `snap` metres
 * (roadnet_nearest()); farther points are counted as unsnapped and left out. A point's weight is
 * hz_points.w (1 when w is NULL): the count, or the severity score of hz_filter's weight mode.
 *
 * Kernels (spNetwork's one-dimensional kernels, each integrating to 1 over [-h, h]; the 1/h
 * factor is part of K; u = d / h; K = 0 for d >= h):
 *   quartic       K = 15/16 (1 - u^2)^2 / h          (the default)
 *   triangle      K = (1 - u) / h
 *   epanechnikov  K = 3/4 (1 - u^2) / h
 *   triweight     K = 35/32 (1 - u^2)^3 / h
 *   tricube       K = 70/81 (1 - u^3)^3 / h
 *   cosine        K = pi/4 cos(pi u / 2) / h
 *   uniform       K = 1 / (2 h)
 * (spNetwork's Gaussian is not offered: it is not a polynomial, which the sums below rely on.)
 *
 * Methods: the density at a sample point x is the sum over events e of w_e times
 *   simple         K(d(x, e)), d the shortest network distance (spNetwork's "simple"; it does
 *                  not conserve mass: near a junction of degree n it counts n arms in full);
 *   discontinuous  the sum over the paths from e to x shorter than h of K(path length) times the
 *                  product, over the nodes of degree n the path passes, of 1/(n - 1): at every
 *                  junction the mass continuing on each of the n - 1 other edges is divided
 *                  equally (Okabe & Sugihara 2012, ch. 9; spNetwork's "discontinuous");
 *   continuous     the same sum with a factor 2/n at a node of degree n where the path goes on to
 *                  another edge and (2 - n)/n where it turns back on the edge it came from
 *                  (Okabe & Sugihara 2012, ch. 9; spNetwork's "continuous"). Only nodes of
 *                  degree >= 3 reflect.
 * Both path methods follow spNetwork: a path stops at a dead end (degree 1), and passes at most
 * max_depth nodes of degree >= 3 (spNetwork's max_depth). Nodes of degree 2 are transparent to
 * every method. The path methods integrate to 1 along the network for an event whose paths meet
 * no dead end and no depth limit; simple integrates to more near junctions.
 * max_depth defaults to 10, not spNetwork's 15: paths are not forbidden to revisit an edge, so in
 * the small loops of dual-carriageway junctions their number grows as 2^depth. On the Jinjiang
 * network (7,473 edges, 10 % shorter than 18 m) the paths within 300 m of a segment end number
 * about 900 at depth 10 and 30,000 at depth 15 (1M incidents: 1.7 against 20 CPU-seconds), while
 * the mass the limit cuts is about 1.7 % against 0.2 % (counted over the paths from 400 random
 * segment ends when the default was chosen; NKDE_DEPTH15=1 bench/nkde.sh times both depths).
 * The default is discontinuous: it conserves mass, so the map's total is the events' (counts per
 * km of road stay unbiased), and it walks only forward paths, where continuous also sends mass
 * back at every junction (n instead of n - 1 branches per junction: the costliest). simple is
 * cheaper (one Dijkstra per segment end) but overcounts near junctions.
 *
 * Values. value(x) = scale * sum_e w_e K_e(x) / div, div = 1 ("none"), h ("bw": spNetwork's
 * div = "bw") or the sum of the snapped events' weights ("n"). With div "none" and scale 1 the
 * value is events per metre of road (the "raw" mode the tests check against hand-computed
 * cases); with scale = 1000 / years (nkde_per_km_year()) it is events (or score) per km of road
 * per year, the unit of `hazmap network-density`.
 *
 * Work. The estimate nkde_work() = lixels x (2 h / lixel) (the samples within reach of each
 * sample along one line) is checked against opts.budget before any work; the walks and Dijkstras
 * also count the sample evaluations they make and stop with HZ_ELIMIT past 64 x budget. Long
 * loops poll hz_cancel_check() (cancel.h) and return HZ_ELIMIT with its reason.
 * The cost is set by the network and h more than by the events (every segment end walks its
 * paths once for all its lixels): below about 100,000 events on a large network the reference's
 * per-event walks are cheaper.
 *
 * Thread-safety: reentrant; the network is only read. Results do not depend on the number of
 * threads (each thread writes whole segments' lixels, summed in a fixed order).
 * Ownership: nkde_compute() returns a result freed with nkde_result_free() (NULL is a no-op). */
#ifndef HAZMAP_NKDE_H
#define HAZMAP_NKDE_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/incset.h"
#include "hazmap/roadnet.h"
#include "hazmap/status.h"

typedef enum nkde_kernel {
    NKDE_QUARTIC = 0,
    NKDE_TRIANGLE,
    NKDE_EPANECHNIKOV,
    NKDE_TRIWEIGHT,
    NKDE_TRICUBE,
    NKDE_COSINE,
    NKDE_UNIFORM
} nkde_kernel;

typedef enum nkde_method { NKDE_DISCONTINUOUS = 0, NKDE_SIMPLE, NKDE_CONTINUOUS } nkde_method;

typedef enum nkde_div { NKDE_DIV_NONE = 0, NKDE_DIV_BW, NKDE_DIV_N } nkde_div;

/* Names as spNetwork spells them ("quartic", ...; "simple", ...; "none", "bw", "n"). The parsers
 * return 0, or -1 for an unknown name; the names are borrowed. */
int nkde_kernel_parse(const char *name, nkde_kernel *k);
const char *nkde_kernel_name(nkde_kernel k);
int nkde_method_parse(const char *name, nkde_method *m);
const char *nkde_method_name(nkde_method m);
int nkde_div_parse(const char *name, nkde_div *d);
const char *nkde_div_name(nkde_div d);

/* K(d, h) of the table above (0 for d >= h or d < 0). */
double nkde_kernel_value(nkde_kernel k, double d, double h);

typedef struct nkde_opts {
    double lixel;     /* metres, > 0; default 20 */
    double bandwidth; /* metres along the network, > 0; default 300 */
    double snap;      /* metres, >= 0; default 30 */
    nkde_kernel kernel;
    nkde_method method;
    nkde_div div;
    int max_depth; /* junctions a path may pass (path methods); default 10 */
    double scale;  /* multiplies every value; default 1 (raw) */
    double budget; /* the most nkde_work() allowed; 0 = no limit; default 0 */
    int nthreads;  /* <= 0: one per core */
} nkde_opts;

/* The defaults above: 20 m lixels, 300 m, 30 m snap, quartic, discontinuous, div none, depth 10,
 * scale 1, no budget, one thread per core. */
void nkde_opts_init(nkde_opts *o);

/* 1000 / years: events per metre to events per km per year (years > 0). */
double nkde_per_km_year(double years);

/* One lixel: the part [s0, s1] of segment seg (roadnet's index), the index-th from its from-node;
 * the sample point is at (s0 + s1) / 2. */
typedef struct nkde_lixel {
    uint32_t seg, index;
    double s0, s1;
} nkde_lixel;

typedef struct nkde_result {
    size_t nlixels;
    nkde_lixel *lixels; /* segment after segment, from-node first */
    double *density;    /* nlixels values (see "Values") */
    size_t snapped;     /* events placed on the network */
    size_t unsnapped;   /* events farther than snap from every segment (left out) */
    double weight;      /* sum of the snapped events' weights */
    double work;        /* nkde_work() of the run */
} nkde_result;

/* The work estimate of "Work" above for net and o (lixel counts as nkde_compute() cuts them). */
double nkde_work(const roadnet *net, const nkde_opts *o);

/* The density of the points p (working CRS metres, the network's) on net. HZ_EINVAL for bad
 * options or non-finite points, HZ_ELIMIT past the budget or when cancelled, HZ_ENOMEM. On
 * success *out owns the result. An empty network or no snapped event gives zeros. */
hz_status nkde_compute(const roadnet *net, const hz_points *p, const nkde_opts *o,
                       nkde_result **out, char *err, size_t errlen);

/* The same densities by the straightforward method, for tests and the benchmark: per event, a
 * walk over the paths from it (path methods) or a Dijkstra from its edge's ends (simple),
 * evaluating K at every sample reached; one thread, no budget. */
hz_status nkde_compute_reference(const roadnet *net, const hz_points *p, const nkde_opts *o,
                                 nkde_result **out, char *err, size_t errlen);

void nkde_result_free(nkde_result *r);

/* Writes the lixels as WGS84 LineStrings (roadnet_subline()) with the properties density,
 * segment_id (the roadnet segment's id), lixel (its index along the segment), s0 and s1 (metres
 * from the segment's from-node), through OGR: GeoPackage when path ends in ".gpkg", else GeoJSON
 * (layer "network_density"). Lixels whose density is 0 are written too unless skip_zero.
 * HZ_EIO when path exists or cannot be written (nothing is left behind). geo/analysis/nkde_out.c */
hz_status nkde_write(const roadnet *net, const nkde_result *r, const char *path, int skip_zero,
                     char *err, size_t errlen);

#endif

/* roadsites.h - the sites of network screening: junctions and road sections of a road network,
 * and the assignment of incidents to them.
 *
 * Definitions (on a roadnet, roadnet.h):
 *   junction  a node of degree >= 3.
 *   section   a maximal chain of segments joined at nodes of degree 2: it starts and ends at
 *             nodes of degree != 2 (junctions, dead ends of degree 1), and every node inside it
 *             has degree 2. A cycle of segments whose nodes all have degree 2 (a ring road with
 *             no junction, a lone self-loop) is one section, started at the from-node of its
 *             lowest-index segment; its first and last node are the same. A section is an
 *             ordered list of steps (segment, direction) with the cumulative length at each
 *             step's start: position p along a section (metres from its start) is on step i when
 *             start_i <= p <= start_i + length_i.
 *   name, class   of a section: the non-NULL name (class) that carries the most of its length
 *             (ties: the one met first along the section); NULL when no segment has one.
 *   volume    of a section: the length-weighted mean of its segments' volumes (AADT) when every
 *             segment carries one, else NaN. Of a junction: the entering vehicles per day, half
 *             the sum of the two-way volumes of the segment ends meeting there (each vehicle
 *             through it is counted on the leg it enters by and the leg it leaves by), when
 *             every end carries one, else NaN.
 *
 * Assignment of an incident at (x, y), working CRS metres (roadsites_assign):
 *   1. to the nearest junction within junction_radius (default 50 m; ties: the lower node
 *      index), else
 *   2. to the section holding the nearest point of any segment within tolerance (default 30 m;
 *      ties: the lower segment index), with its position along the section,
 *   3. else unassigned (counted).
 * These are the answers of roadnet_nearest_node(..., 3) and roadnet_nearest(), found through an
 * index of the assignment's own (roadsites_assign.c): about 2.5 times less CPU per point.
 *
 * Invariants (asserted by roadsites_build): every segment is on exactly one step of exactly one
 * section; a section's step starts are cumulative (start_0 = 0, start_{i+1} = start_i +
 * length_i) and its length their total; consecutive steps share a node of degree 2.
 *
 * Ownership: roadsites_build() returns an object freed with roadsites_free() (NULL is a no-op);
 * it borrows the network, which must outlive it. Names and classes are borrowed from the network.
 * Thread-safety: immutable once built; any number of threads may read and assign. */
#ifndef HAZMAP_ROADSITES_H
#define HAZMAP_ROADSITES_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/roadnet.h"
#include "hazmap/status.h"

typedef struct roadsites roadsites;

/* One step of a section: a segment walked from its from-node (reversed 0) or from its to-node. */
typedef struct roadsites_step {
    uint32_t seg;
    uint8_t reversed;
    double start; /* metres from the section's start to this step's start */
} roadsites_step;

typedef struct roadsites_section {
    uint32_t first, nsteps;      /* steps first .. first + nsteps - 1 of roadsites_steps() */
    uint32_t from_node, to_node; /* end nodes (equal for a cycle) */
    int cycle;                   /* 1 for a cycle of degree-2 nodes */
    double length;               /* metres */
    const char *name, *cls;      /* borrowed from the network; may be NULL */
    double volume;               /* AADT, NaN unknown (see above) */
} roadsites_section;

typedef struct roadsites_junction {
    uint32_t node; /* index into roadnet_nodes() */
    uint32_t degree;
    const char *name; /* the most frequent non-NULL name of its segments; may be NULL */
    double volume;    /* entering vehicles per day, NaN unknown */
} roadsites_junction;

/* Builds the sites of net; NULL with the reason in err (HZ_ENOMEM). O(segments). */
roadsites *roadsites_build(const roadnet *net, char *err, size_t errlen);

void roadsites_free(roadsites *rs);

const roadnet *roadsites_net(const roadsites *rs);
size_t roadsites_junction_count(const roadsites *rs);
const roadsites_junction *roadsites_junctions(const roadsites *rs);
size_t roadsites_section_count(const roadsites *rs);
const roadsites_section *roadsites_sections(const roadsites *rs);
const roadsites_step *roadsites_steps(const roadsites *rs);

/* The section holding segment seg and the step it is on. */
void roadsites_seg_place(const roadsites *rs, uint32_t seg, uint32_t *section, uint32_t *step);

/* The junction at node (an index into roadnet_nodes()), or -1 when its degree is < 3. */
int32_t roadsites_node_junction(const roadsites *rs, uint32_t node);

/* The position along its section of the point at distance s from segment seg's from-node. */
double roadsites_section_pos(const roadsites *rs, uint32_t seg, double s);

/* The part [a, b] of section sec (0 <= a < b <= length, clamped) as a WGS84 polyline, in the
 * section's direction, the joints between steps written once. Writes at most cap points and
 * returns how many the part has (cap 0 sizes it; with too small a cap the points written are
 * unspecified). */
size_t roadsites_section_line(const roadsites *rs, uint32_t sec, double a, double b, double *lon,
                              double *lat, size_t cap);

/* Where an incident went. */
typedef enum roadsites_kind {
    ROADSITES_NONE = 0,     /* unassigned */
    ROADSITES_JUNCTION = 1, /* site = junction index */
    ROADSITES_SECTION = 2   /* site = section index, pos = position along it */
} roadsites_kind;

typedef struct roadsites_loc {
    uint8_t kind; /* roadsites_kind */
    uint32_t site;
    double pos; /* metres along the section; 0 for a junction */
} roadsites_loc;

typedef struct roadsites_assign_opts {
    double junction_radius; /* metres, >= 0; default 50 */
    double tolerance;       /* metres, >= 0; default 30 */
    int nthreads;           /* <= 0: one per core (par_for) */
} roadsites_assign_opts;

void roadsites_assign_opts_init(roadsites_assign_opts *o);

/* Assigns n points (working CRS metres) into loc[0..n-1]; *unassigned counts the NONE ones.
 * HZ_EINVAL for a negative or non-finite radius or tolerance; HZ_ELIMIT when cancelled
 * (cancel.h, checked every few thousand points). O(n * segments near a point). */
hz_status roadsites_assign(const roadsites *rs, size_t n, const double *x, const double *y,
                           const roadsites_assign_opts *o, roadsites_loc *loc, size_t *unassigned,
                           char *err, size_t errlen);

#endif

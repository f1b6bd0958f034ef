/* hotspots.h - Getis-Ord Gi* hot spot analysis of incidents aggregated to fishnet or hexagon cells.
 *
 * The analysis: the filtered incidents (their count, or their score under the filter's severity
 * weights) are summed into square or hexagonal cells of a lattice in the working CRS aligned to
 * multiples of the cell size (so the same cell keeps the same place whatever the filter); the
 * study area is the set of cells whose CENTRE lies in the union of the study polygons (a cell
 * cut by the boundary belongs to the side of its centre: the area counted is right on average
 * and no cell is mostly outside). Cells in the study area with no incident are values of 0: a
 * zero is data. Incidents in cells outside it are left out (and counted in the provenance).
 * Gi* (or Gi) runs on the lattice (gistar.h) with a distance band or contiguity; each cell is
 * classed hot or cold at 99/95/90 % confidence on its Benjamini-Hochberg adjusted p by default.
 *
 * auto mode, in the spirit of ArcGIS Pro's Optimized Hot Spot Analysis:
 *  - cell size: twice the mean nearest-neighbour distance between distinct incident locations
 *    (at most 20,000 sampled), rounded to the metre. Under complete spatial randomness that is
 *    1 / sqrt(density) (Clark & Evans 1954: E[d_NN] = 0.5 / sqrt(density)), the side of a square
 *    holding one incident on average; clustered data give smaller cells. Clamped so the study
 *    area's bounding box holds between 30 (ArcGIS's minimum number of features) and 200,000
 *    cells.
 *  - distance band: incremental spatial autocorrelation (ArcGIS's Incremental Spatial
 *    Autocorrelation tool): global Moran's I z-scores (randomisation) at 15 distances from one
 *    cell spacing up, in whole-cell steps, to about a tenth of the study box's diagonal; the band
 *    is the first peak (a z higher than both neighbours in the series) with z >= 1.96. With no
 *    such peak, ArcGIS's fallback on the aggregated features: the mean, over the study area's
 *    cells, of the distance (centre to centre) to the K-th nearest other cell of the study area,
 *    K = 5 % of those cells rounded, within 3..30 (and below their number). Exact, by offsets on
 *    the lattice nearest first; over at most 200,000 cells, taken evenly in row order when there
 *    are more. A series with no peak is what a trend across the whole study area gives (z rising
 *    to the longest band tried); its highest z would map the trend, not the clusters. The series
 *    and the reason (with K and the cell count) are in the provenance ("incremental_moran",
 *    "band_rule") and printed.
 *
 * Ownership: hotspots_compute()/hotspots_run() return a result freed with hotspots_free()
 * (NULL is a no-op); pointers from the accessors are borrowed until then.
 * Thread-safety: reentrant; a result is immutable and may be read by several threads. */
#ifndef HAZMAP_HOTSPOTS_H
#define HAZMAP_HOTSPOTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "hazmap/disclosure.h"
#include "hazmap/filter.h"
#include "hazmap/gistar.h"
#include "hazmap/incset.h"
#include "hazmap/json_out.h"
#include "hazmap/status.h"

typedef enum hotspots_shape { HOTSPOTS_SQUARE = 0, HOTSPOTS_HEX = 1 } hotspots_shape;

typedef struct hotspots_params {
    double cell; /* metres (hexagons: distance between adjacent centres); <= 0 auto */
    hotspots_shape shape;
    double band;            /* metres; <= 0 auto; ignored when contiguity is set */
    int contiguity;         /* 1: queen contiguity (8 squares, 6 hexagons) instead of a band */
    gistar_weights weights; /* binary (default) or row-standardised */
    int star;               /* 1 Gi* (default), 0 Gi */
    int fdr;                /* 1 (default): classify on BH-adjusted p */
    int permutations;       /* > 0: classify on conditional-permutation p instead of normal p */
    uint64_t seed;          /* for the permutations (default 1) */
    int nthreads;           /* <= 0: one per core */
    size_t max_cells;       /* lattice cells allowed; 0 = HOTSPOTS_MAX_CELLS (the server: fewer) */
    double max_band_ratio;  /* > 0: a band above this many cell sizes is HZ_ELIMIT (the stencil
                             * holds about pi x ratio^2 cells) */
    disc_policy disclosure; /* floors of cell and band (disclosure.h); zero = none */
    int band_peak_only;     /* auto band: without a peak, 2 cell spacings rather than the
                             * K-th-nearest-cell fallback (emerging.c sets it) */
} hotspots_params;

#define HOTSPOTS_MAX_CELLS 4000000

/* Defaults: auto cell and band, squares, binary, Gi*, FDR, no permutations, no limits beyond
 * HOTSPOTS_MAX_CELLS. */
void hotspots_params_init(hotspots_params *p);

/* Parses "square"/"hex", "binary"/"row". 0 or -1. */
int hotspots_shape_parse(const char *s, hotspots_shape *out);
int hotspots_weights_parse(const char *s, gistar_weights *out);

/* The study region: polygons in the working CRS. Rings of one group combine even-odd (outer
 * ring and holes of an area); groups unite. ring_start has nrings + 1 entries indexing points
 * in xy (x0, y0, x1, y1, ...); rings need not repeat their first point. */
typedef struct hotspots_region {
    size_t nrings;
    const size_t *ring_start;
    const int *ring_group;
    const double *xy;
} hotspots_region;

/* What the analysis needs besides the points. */
typedef struct hotspots_input {
    const hz_points *pts;          /* filtered incidents, working CRS metres; weights in w */
    const hotspots_region *region; /* NULL: every cell of the points' bounding box */
    const char *work_srs;          /* for the output (inverse projection) and the provenance */
    const char *filters;           /* canonical filter string; may be NULL ("") */
    int score;                     /* 1: the values are scores (w), 0: counts */
    int64_t data_version;          /* -1 unknown */
} hotspots_input;

/* One analysed cell. */
typedef struct hotspots_cell {
    int row, col;       /* lattice position; row 0 is the northernmost */
    double cx, cy;      /* centre, working CRS metres */
    int count;          /* incidents in the cell */
    double value;       /* count, or score */
    double z, p, p_fdr; /* p: two-sided normal (or permutation); p_fdr: BH adjusted */
    double p_perm;      /* permutation p; NaN when none were run */
    int confidence;     /* 99, 95, 90, 0; negative for cold spots */
    int neighbours;     /* neighbours in the study area, the cell itself excluded */
} hotspots_cell;

typedef struct hotspots_result hotspots_result;

/* Runs the analysis. why (may be NULL) receives, one per line, what auto chose and why.
 * HZ_EINVAL with a message for no incidents, no cell in the study area, fewer than 3 cells,
 * or all cells equal; HZ_ELIMIT above max_cells lattice cells (message naming cell) or a band
 * over max_band_ratio cells (message naming band). */
hz_status hotspots_compute(const hotspots_input *in, const hotspots_params *p,
                           hotspots_result **out, char *why, size_t whylen, char *err,
                           size_t errlen);

/* Convenience for the CLI and the server: selects the incidents of s under f, takes the study
 * region from the areas (f's area, or every top-level area; none: the points' bounding box),
 * and runs hotspots_compute(). */
hz_status hotspots_run(const incset *s, const hz_filter *f, const hotspots_params *p,
                       hotspots_result **out, char *why, size_t whylen, char *err, size_t errlen);

/* The same on given points (working CRS metres of s; weights in pts->w when score is 1): the
 * study region from s's areas (area's, or every top-level area when area is NULL or ""),
 * filters only for the provenance. The public's hot spots run it on a release's grid. */
hz_status hotspots_run_points(const incset *s, const char *area, const hz_points *pts,
                              const char *filters, int score, const hotspots_params *p,
                              hotspots_result **out, char *why, size_t whylen, char *err,
                              size_t errlen);

void hotspots_free(hotspots_result *r);

/* The analysed cells (the study area's cells, row-major). */
const hotspots_cell *hotspots_cells(const hotspots_result *r, size_t *n);

/* The parameters actually used (auto resolved) and the number of incidents in the cells. */
double hotspots_cell_size(const hotspots_result *r);
double hotspots_band(const hotspots_result *r); /* 0 with contiguity */
size_t hotspots_incidents(const hotspots_result *r);
/* The filtered incidents left out for having no point (area-only records; incset.h). */
size_t hotspots_without_point(const hotspots_result *r);

/* The feature id of cell i (row x lattice columns + col): the same place has the same id in
 * every result on the same lattice. */
int64_t hotspots_cell_id(const hotspots_result *r, size_t i);

/* 1 when the cells' values are scores (severity-weighted), 0 for counts. */
int hotspots_scored(const hotspots_result *r);
/* The permutations run for p_perm (0: none). */
int hotspots_permutations(const hotspots_result *r);

/* How the cell size and the band were chosen, one line each (auto's reasons). Borrowed. */
const char *hotspots_cell_rule(const hotspots_result *r);
const char *hotspots_band_rule(const hotspots_result *r);

/* Index into hotspots_cells() of the analysed cell holding (x, y) (working CRS metres), or -1
 * when the point is in no cell of the study area. O(log cells). */
long hotspots_locate(const hotspots_result *r, double x, double y);

/* The cells' outlines in WGS84 (lon, lat): nv vertices per cell (4 squares, 6 hexagons), cell
 * i's at [i * nv, (i + 1) * nv), not closed. *lon and *lat are new arrays the caller frees. */
hz_status hotspots_outlines(const hotspots_result *r, double **lon, double **lat, int *nv,
                            char *err, size_t errlen);

/* How far past its study box a cell of an automatic size can reach, in metres, for a study box
 * of box_area_m2: a cell's centre lies in the study area, and the automatic size is at most
 * the box cut into 30 cells (a given `cell` may be larger). For collection extents. */
double hotspots_auto_reach(double box_area_m2);

/* Class name of a confidence: "hot99", ..., "ns", ..., "cold99". Borrowed. */
const char *hotspots_class_name(int confidence);

/* The GeoJSON FeatureCollection of API.md: one Polygon per cell in EPSG:4326 (lon/lat order)
 * with count (and score), z, p, p_fdr, class, confidence, row, col, cx, cy; and "provenance".
 * Cells hidden by pol (disclosure.h; NULL = none) get count (and score) null and
 * "suppressed": true (0 disables). With suppression on, no cell carries z or p values (only its
 * class and confidence): Gi* is linear in the counts, so all z values together would reveal the
 * suppressed counts. The provenance carries "warning" when the mean count per cell is below 1:
 * Gi*'s normal approximation is poor for such sparse counts.
 * *out is a new reference the caller releases (json_decref). */
hz_status hotspots_geojson(const hotspots_result *r, const disc_policy *pol, json_t **out,
                           char *err, size_t errlen);

/* The same FeatureCollection as compact text (*text malloc'd, NUL-terminated; *len without the
 * NUL), written without a tree: the CLI's output. hotspots_geojson() is its parse. */
hz_status hotspots_geojson_text(const hotspots_result *r, const disc_policy *pol, char **text,
                                size_t *len, char *err, size_t errlen);

/* The "provenance" member of hotspots_geojson(): a new reference, NULL on OOM. */
json_t *hotspots_provenance(const hotspots_result *r);

/* The cells as GeoJSON text, one Feature at a time and without a jansson tree: the one writer of
 * a cell's Feature, which hotspots_geojson() parses and the server packs for paging (a view of
 * 100,000 cells in a tenth of the time and memory of the tree). The writer holds the outlines
 * (hotspots_outlines()); it borrows r and pol (NULL: none), which outlive it. */
typedef struct hotspots_writer hotspots_writer;
hz_status hotspots_writer_new(const hotspots_result *r, const disc_policy *pol,
                              hotspots_writer **out, char *err, size_t errlen);
/* Appends cell i as a compact Feature with "id" id to b, and the bounding box of its written
 * (rounded) lon/lat coordinates to bb as min lon, min lat, max lon, max lat. Reads w only, so
 * threads may write different cells into their own buffers. */
void hotspots_writer_feature(const hotspots_writer *w, size_t i, long long id, jbuf *b,
                             double bb[4]);
void hotspots_writer_free(hotspots_writer *w);

#endif

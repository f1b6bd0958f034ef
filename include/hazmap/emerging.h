/* emerging.h - emerging hot spot analysis: where injuries are new, intensifying, persistent,
 * diminishing, sporadic, oscillating or historical hot (or cold) spots over time.
 *
 * The method of ArcGIS Pro's Create Space Time Cube + Emerging Hot Spot Analysis:
 *  1. the space-time cube: the hot-spot lattice (hotspots.h: squares or hexagons, cell size and
 *     band given or auto, chosen on all the steps' incidents pooled; cells whose centre lies in
 *     the study area) x calendar steps (timestep.h; month by default). A bin's value is the
 *     count (or score) of the filtered incidents in it; a cell with nothing in a step is a zero,
 *     not missing. The steps run over the study period (the filter's from/to, else the data's
 *     span) in whole steps: a step only partly inside the period is left out, and its incidents
 *     are counted as outside the cube, so a half month at the end cannot look like a fall. A
 *     filter whose from/to reaches past the data's span is refused: the steps outside it would
 *     be zeros that were never observed.
 *  2. Gi* of every bin over the space-time neighbourhood (stgistar.h), with the mean and the
 *     variance of the whole cube; Benjamini-Hochberg FDR over all the cube's bins by default;
 *     a bin is significant at q <= alpha (0.10: ArcGIS's 90 % confidence).
 *  3. Mann-Kendall trends (ehsa.h) per location: of its counts (the cube's trend) and of its
 *     Gi* z-scores (intensifying or diminishing, significant at p <= trend_alpha, 0.05).
 *  4. The 17 patterns of ehsa_classify().
 *
 * Ownership: emerging_run()/emerging_compute() return a result freed with emerging_free() (NULL
 * is a no-op); pointers from the accessors are borrowed until then.
 * Thread-safety: reentrant; a result is immutable and may be read by several threads. */
#ifndef HAZMAP_EMERGING_H
#define HAZMAP_EMERGING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "hazmap/ehsa.h"
#include "hazmap/filter.h"
#include "hazmap/hotspots.h"
#include "hazmap/incset.h"
#include "hazmap/status.h"
#include "hazmap/timestep.h"

typedef struct emerging_params {
    hotspots_params space; /* cell, shape, band or contiguity, nthreads, max_cells, disclosure */
    ts_unit step;          /* default month */
    int time_lag;          /* previous steps in a bin's neighbourhood; default 1 */
    double alpha;          /* bin significance, on q (p when fdr is off); default 0.10 */
    double trend_alpha;    /* Mann-Kendall significance; default 0.05 */
    int fdr;               /* 1 (default): Benjamini-Hochberg over the cube's bins */
    size_t max_bins;       /* cells x steps allowed; 0 = EMERGING_MAX_BINS */
} emerging_params;

#define EMERGING_MAX_BINS 20000000
#define EMERGING_MAX_STEPS 1200

void emerging_params_init(emerging_params *p);

/* One location (cell of the lattice) with its pattern and trends. */
typedef struct emerging_cell {
    int row, col;  /* lattice position, as hotspots_cell */
    double cx, cy; /* centre, working CRS metres */
    long count;    /* incidents (points) in the cell over all the steps */
    double value;  /* their count, or score (the sum of the points' weights) */
    ehsa_pattern pattern;
    mk_result trend_count;     /* Mann-Kendall of the counts (or scores) */
    mk_result trend_z;         /* Mann-Kendall of the Gi* z-scores */
    int hot_steps, cold_steps; /* significant bins */
} emerging_cell;

/* One bin (cell i, step t): value, Gi*, p, q and class (+1 hot, -1 cold, 0 not significant). */
typedef struct emerging_bin {
    double value;
    int count;
    double z, p, q;
    int cls;
} emerging_bin;

typedef struct emerging_result emerging_result;

/* The cube's steps under f (ts_index() numbers first..last, inclusive): f's from/to, else the
 * data's span, in whole steps. HZ_EINVAL naming from or to when f reaches past the data's span
 * (its steps would be zeros nobody observed), or step when no whole step fits, and also when no
 * incident has a date; HZ_ELIMIT above EMERGING_MAX_STEPS. No pass over the incidents. */
hz_status emerging_period(const incset *s, const hz_filter *f, ts_unit u, int64_t *first,
                          int64_t *last, char *err, size_t errlen);

/* Selects the incidents of s under f and runs the analysis on them (their times from the
 * snapshot). why (may be NULL) receives what auto chose and why. HZ_EINVAL with a message naming
 * the parameter (from, to, step, cell, band) for a cube that cannot be made; HZ_ELIMIT above
 * max_bins. */
hz_status emerging_run(const incset *s, const hz_filter *f, const emerging_params *p,
                       emerging_result **out, char *why, size_t whylen, char *err, size_t errlen);

/* The analysis on given points: pts (working CRS metres; weights in pts->w when score) with the
 * time t[k] of point k (seconds since the epoch; INT64_MIN undated, left out), over the steps
 * first..last (ts_index() numbers, inclusive) at UTC offset tz. The study region is s's areas
 * (area's, or every top-level area when area is NULL or ""); filters is for the provenance. */
hz_status emerging_compute(const incset *s, const char *area, const hz_points *pts,
                           const int64_t *t, int64_t first, int64_t last, int tz,
                           const char *filters, int score, const emerging_params *p,
                           emerging_result **out, char *why, size_t whylen, char *err,
                           size_t errlen);

void emerging_free(emerging_result *r);

/* The locations (the study area's cells, row-major) and the number of steps. */
const emerging_cell *emerging_cells(const emerging_result *r, size_t *n);
size_t emerging_steps(const emerging_result *r);
/* Bin of location i at step t (t < emerging_steps()). */
const emerging_bin *emerging_bin_at(const emerging_result *r, size_t i, size_t t);
/* Step t's first second and label ("2014-03"). */
int64_t emerging_step_start(const emerging_result *r, size_t t);
const char *emerging_step_label(const emerging_result *r, size_t t);
/* 1 when the values are scores (the points' weights), 0 counts. */
int emerging_score(const emerging_result *r);

/* The parameters as given, the canonical filter string, and the incidents in the cube,
 * outside it (outside the study area's cells or the whole steps) and undated. */
const emerging_params *emerging_params_used(const emerging_result *r);
const char *emerging_filters(const emerging_result *r);
void emerging_tally(const emerging_result *r, size_t *in, size_t *outside, size_t *undated);
/* The filtered incidents left out for having no point (area-only records; incset.h). */
size_t emerging_without_point(const emerging_result *r);
/* What was counted, "events" or "records" (incset_counted()), and how many records were left
 * out as another record's event (hz_points.linked_duplicates). */
const char *emerging_counted(const emerging_result *r, size_t *linked_duplicates);

/* The spatial lattice the cube is built on (cell size, band, outlines). */
const hotspots_result *emerging_lattice(const emerging_result *r);

/* The locations as a GeoJSON FeatureCollection (EPSG:4326 polygons) with pattern, label,
 * label_zh, colour, count (and score, for scores), the two trends, hot/cold steps; with series 1
 * each feature also carries "series": {"step": [...], "count": [...], "z": [...], "q": [...],
 * "class": [...]} (and "score": [...] for scores).
 * Under pol (disclosure.h; NULL = none) a cell counting fewer than min_count gets its count and
 * count trend null and "suppressed": true (its pattern stays); each bin is an aggregate too, so
 * a series count under min_count is null even in a shown cell; with a restricting policy the
 * series carry no z or q (Gi* is linear in the counts: all the z-scores would give the hidden
 * counts back; the classes stay), and the provenance's incidents and incidents_outside are null
 * beside a hidden cell (rule 3). "provenance" says how the cube was made. *out is a new
 * reference. */
hz_status emerging_geojson(const emerging_result *r, const disc_policy *pol, int series,
                           json_t **out, char *err, size_t errlen);

/* Writes a GeoPackage with two layers: "emerging_locations" (one polygon per location, as the
 * GeoJSON without series) and "emerging_bins" (one polygon row per bin: location id, step
 * index, step_start, step_end, label, count, value, z, p, q, class), which QGIS's temporal
 * controller can play. path must not exist. */
hz_status emerging_gpkg(const emerging_result *r, const char *path, char *err, size_t errlen);

/* The same GeoPackage as bytes (*buf: a new buffer the caller frees), for a download. */
hz_status emerging_gpkg_bytes(const emerging_result *r, unsigned char **buf, size_t *len, char *err,
                              size_t errlen);

#endif

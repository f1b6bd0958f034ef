/* release.h - the public statistical release: immutable, versioned tables of noisy counts that
 * every public answer is to come from, instead of live queries over the incidents.
 *
 * What a release holds (PRIVACY.md says the same for readers), tables in this order:
 *   district_year              district (+ outside all districts) x year: totals for rates
 *   subdistrict_year           sub-district (+ outside all sub-districts) x year: totals for rates
 *   subdistrict_period_injury  sub-district x period (quarter, month or year) x injury group
 *   subdistrict_period_place   sub-district x period x place group
 *   subdistrict_year_severity  sub-district x year x severity group
 *   subdistrict_year_age_sex   sub-district x year x age band x sex
 *   district_month_injury      district x month x injury group (the monthly trend chart)
 *   district_month_place       district x month x place group
 *   grid_year_injury           100 m cell of the working CRS over the areas' extent x year x
 *                              injury group
 *   grid_year_place            the same by place group
 * The groups are defined in geo/release/relgroups.c (and in every release's metadata). Each
 * incident with a date in the study period falls in exactly one cell of each table (an incident
 * in a community counts for its sub-district and district; one outside the grid's extent is in no
 * grid cell; an undated one is in no table), so each table has L2 sensitivity 1. A district's
 * total is its own cell of district_year, never a sum of other cells.
 *
 * Noise: the budget (epsilon, delta) is turned into zCDP rho and split over the tables in fixed
 * shares (dpn_split(), dpnoise.h); each cell, zeros included, gets one draw of the discrete
 * Gaussian N_Z(0, s2_t) of its table, drawn once when the release is built, tables in the order
 * above and cells in row-major order (last dimension fastest). Then, in the count tables, a noisy
 * value below the policy's min_count is suppressed: withheld, only its flag is kept; the grid
 * tables' cells are never withheld and may be negative, because they exist to be smoothed into
 * density surfaces (disclosure.h rule 6). A released value carries its 95 % interval value -/+
 * the 97.5 % quantile of its table's discrete Gaussian (dpn_quantile()), the lower end raised
 * to 0.
 *
 * The study period is whole quarters (+08:00 local time): given, or the data's span (from the
 * quarter of the first dated incident to that of the last). Periods are never finer than a
 * month. The metadata (JSON) states the budget, rho, each table's share and s2, min_count, the
 * dimensions with their labels, the period, the data version and the creation time; it holds
 * no count of incidents and no incident's time, and is the same for any two databases with the
 * same areas and period.
 *
 * Ownership: rel_build() and rel_load() return a release freed with rel_free() (NULL is a
 * no-op); a release is immutable and may be read by any number of threads. Pointers returned by
 * the accessors are borrowed and valid until rel_free(). */
#ifndef HAZMAP_RELEASE_H
#define HAZMAP_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/disclosure.h"
#include "hazmap/dpnoise.h"
#include "hazmap/incset.h"
#include "hazmap/status.h"
#include "hazmap/store.h"

/* The default budget: see PRIVACY.md for what it buys on the sample. */
#define REL_DEFAULT_EPSILON 4.0
#define REL_DEFAULT_DELTA 1e-6
/* Cells of all tables together; a larger release is HZ_ELIMIT. */
#define REL_MAX_CELLS 50000000

typedef enum rel_granularity {
    REL_MONTH = 1,   /* months per period */
    REL_QUARTER = 3, /* the default */
    REL_YEAR = 12
} rel_granularity;

typedef struct rel_options {
    double epsilon, delta;    /* the whole release's budget */
    disc_policy disclosure;   /* min_count withholds noisy values; min_cell floors the grid cell */
    rel_granularity period;   /* of the subdistrict_period_* tables */
    int first_quarter;        /* study period, as year * 4 + quarter - 1; -1 = the data's span */
    int last_quarter;         /* inclusive; -1 = the data's span */
    double cell;              /* grid cell, metres (raised to disclosure.min_cell) */
    int64_t created;          /* creation time, seconds since the epoch; INT64_MIN = now */
    const char *noise_source; /* how the noise was drawn, for the metadata; borrowed */
} rel_options;

/* Defaults: REL_DEFAULT_EPSILON, REL_DEFAULT_DELTA, disc_public(10, 300), quarters, the data's
 * span, 100 m cells, now, "OpenSSL RAND_bytes". */
void rel_options_init(rel_options *o);

/* "quarter" | "month" | "year" -> *g; HZ_EINVAL naming the word. */
hz_status rel_parse_granularity(const char *text, rel_granularity *g, char *err, size_t errlen);

/* "2012Q1" or "2012-Q1" -> 2012 * 4 + 0; HZ_EINVAL otherwise. */
hz_status rel_parse_quarter(const char *text, int *quarter, char *err, size_t errlen);

/* Quarter q as "2012-Q1" into buf (16 bytes). */
void rel_format_quarter(int q, char buf[16]);

typedef struct rel_release rel_release;
typedef struct rel_table rel_table;

/* Builds a release of snapshot s under o, drawing every noise value from noise (dpnoise.h).
 * HZ_EINVAL for bad options, or no dated incident and no given period; HZ_ELIMIT when the tables
 * would exceed REL_MAX_CELLS; HZ_ECRS when the areas cannot be projected; the noise source's
 * HZ_EIO or HZ_ELIMIT. One pass over the snapshot. */
hz_status rel_build(const incset *s, const rel_options *o, dpn_source *noise, rel_release **out,
                    char *err, size_t errlen);

void rel_free(rel_release *r);

/* The store's id of the release (0 until rel_publish()). */
int64_t rel_id(const rel_release *r);

/* The metadata (see above). Borrowed; do not modify. */
const json_t *rel_metadata(const rel_release *r);

/* Sets the metadata's "project_effects" (projeval_public_summary(): the started projects'
 * effects, published with the release; an array), before rel_publish(). Steals effects. HZ_EINVAL
 * for a non-array, HZ_ENOMEM. */
hz_status rel_set_project_effects(rel_release *r, json_t *effects);

/* Its tables, in the order above. */
size_t rel_table_count(const rel_release *r);
const rel_table *rel_table_at(const rel_release *r, size_t i);
/* The table with this name, or NULL. */
const rel_table *rel_table_find(const rel_release *r, const char *name);

const char *rel_table_name(const rel_table *t);
/* Number of dimensions, and dimension d's name (a key of the metadata's "dimensions") and size.
 */
size_t rel_table_ndims(const rel_table *t);
const char *rel_table_dim(const rel_table *t, size_t d);
size_t rel_table_shape(const rel_table *t, size_t d);
size_t rel_table_cells(const rel_table *t);
/* The variance of the table's noise and the half-width of its 95 % interval. */
dpn_ratio rel_table_s2(const rel_table *t);
int64_t rel_table_half95(const rel_table *t);

/* A released cell: the noisy count and its 95 % interval. */
typedef struct rel_value {
    int64_t value, lo, hi;
} rel_value;

/* Cell index (row-major; see rel_table_index()): 1 and *v when released, 0 when suppressed (v
 * untouched) or index is out of range. */
int rel_table_cell(const rel_table *t, size_t index, rel_value *v);

/* The row-major index of the cell at coordinates idx[0..ndims-1]; (size_t)-1 when one is out of
 * range. */
size_t rel_table_index(const rel_table *t, const size_t *idx);

/* Writes the release into the store (store_release_put(): one transaction, immutable) and sets
 * *id (and the release's id). The tables are stored as blobs: zlib-compressed sequences of
 * LEB128 varints, 0 for a suppressed cell and zigzag(value) + 1 for a released one. */
hz_status rel_publish(store *st, rel_release *r, int64_t *id, char *err, size_t errlen);

/* rel_publish() after attaching the started projects' effects evaluated under pol, the release's
 * disclosure policy (projeval_list(), projeval_public_summary(), rel_set_project_effects()):
 * what `hazmap publish` and the server's publishing run. */
hz_status rel_publish_projects(store *st, rel_release *r, const incset *s, const disc_policy *pol,
                               int64_t *id, char *err, size_t errlen);

/* Reads release id back from the store (id 0: the newest). HZ_ENOTFOUND when there is none;
 * HZ_EINVAL when the stored release is malformed. */
hz_status rel_load(store *st, int64_t id, rel_release **out, char *err, size_t errlen);

/* ---- views: what one public map shows (geo/release/relview.c) ---- */

/* A view of the grid tables: one family of groups, one group or all, some years or all. */
typedef struct rel_view {
    const char *family; /* "injury_group" or "place_group" (static storage) */
    int group;          /* label index of the family's dimension; -1 = every group */
    unsigned years;     /* bit k = label k of the "year" dimension; 0 = every year */
} rel_view;

/* The names the public may give a map, for messages. */
#define REL_VIEW_PARAMS "year, and one of injury_group, place_group"

/* Every group of injury_group, every year. */
void rel_view_init(rel_view *v);

/* Sets one parameter of a public map: "year" (a year label of r), "injury_group" or
 * "place_group" (a label of that dimension of r). HZ_ENOTFOUND for any other key; HZ_EINVAL,
 * naming the parameter and the values r has, for a value r does not have or a second group. */
hz_status rel_view_set(const rel_release *r, rel_view *v, const char *key, const char *value,
                       char *err, size_t errlen);

/* "r<id>/<family>=<label or all>/years=<hex mask>": equal views of one release, equal strings.
 * Like snprintf. */
int rel_view_canonical(const rel_release *r, const rel_view *v, char *buf, size_t buflen);

/* A view's grid: per 100 m cell of the release, the noisy counts summed over the view's years
 * and groups. A sum of `terms` independent cells has noise variance terms x s2 of the table. */
typedef struct rel_grid {
    double x0, y1, cell; /* west and north edges, cell size; working CRS metres */
    int nx, ny;          /* cell (i, j) is index j * nx + i, row 0 north */
    char crs[64];        /* the working CRS, e.g. "EPSG:32648" */
    double years;        /* exposure years of the view's years */
    int terms;           /* noisy cells summed into each */
    double var;          /* noise variance of each sum: terms x s2 */
    double *count;       /* nx * ny sums, possibly negative; owned */
} rel_grid;

/* Sums view v of r's grid table into *g (free with rel_grid_free()). HZ_EINVAL for a view r
 * cannot answer or malformed grid metadata; HZ_ENOMEM. */
hz_status rel_grid_sum(const rel_release *r, const rel_view *v, rel_grid *g, char *err,
                       size_t errlen);

/* Frees g's array and zeroes it; a zeroed grid is a no-op. */
void rel_grid_free(rel_grid *g);

/* ---- public density surfaces from the grid tables (geo/release/reldensity.c) ---- */

struct density_result;

/* The public density surface of release r: the cells of grid_year_<family> ("injury_group" or
 * "place_group"; NULL = injury_group) summed over the years whose bit is set in years_mask (bit k
 * = label k of the "year" dimension; 0 = every year) and over group `group` of the family (-1 =
 * all groups), each cell's noisy count spread from its centre with the quartic kernel of
 * bandwidth h metres (raised to min_h), on the release's own lattice, per km² per year of the
 * chosen years' exposure, and clamped at 0 (noise makes some sums negative). *out is a
 * density_result (density.h) freed with density_result_free(); its provenance names the
 * release, the groups and years, the kernel and the bandwidth, and holds no count (its
 * `incidents` is 0). HZ_EINVAL for an unknown family, group or year; HZ_ECRS when the
 * release's CRS cannot be opened; HZ_ENOMEM. */
hz_status rel_density(const rel_release *r, const char *family, int group, unsigned years_mask,
                      double h, double min_h, struct density_result **out, char *err,
                      size_t errlen);

/* ---- public hot spots and black spots from the grid tables (geo/release/relspots.c) ----
 *
 * Both read only view v's grid (rel_grid_sum()): whatever they compute is post-processing of the
 * released noisy counts, so the release's guarantee covers it, and they need no suppression.
 * Both work on REL_SPOT_CELL m squares aligned to multiples of that size in the working CRS (each
 * of them holds whole 100 m cells of the release). */
#define REL_SPOT_CELL 200.0
/* The hot spots' distance band: a fixed local scale (about 20 squares around each), since on the
 * grid's noisy counts incremental spatial autocorrelation finds no peak (its old fallback, the
 * widest band, mapped the old town as one blob). */
#define REL_SPOT_BAND 500.0
/* At most this many black spots are listed (the strongest first). */
enum { REL_MAX_BLACKSPOTS = 200 };

struct incset;

/* Getis-Ord Gi* (binary weights, distance band REL_SPOT_BAND, FDR classes) on the view's noisy
 * counts summed into REL_SPOT_CELL squares, over the study region of areas's areas (every top-level
 * one). *out: hotspots.h's FeatureCollection whose "count" is the noisy count of a square (no
 * "score"), and a provenance naming the release and the view with no count of incidents. HZ_EINVAL
 * when the view's grid is flat (nothing to test) or the view is bad; HZ_ECRS; HZ_ENOMEM. */
hz_status rel_hotspots(const rel_release *r, const rel_view *v, const struct incset *areas,
                       int min_count, json_t **out, char *err, size_t errlen);

/* Emerging hot spots (emerging.h) of the view's groups on the release's grid: each year's noisy
 * counts summed into REL_SPOT_CELL squares (the space-time cube's bins, one step a year, the
 * release's coarsest time step), band REL_SPOT_BAND, one previous year in the neighbourhood.
 * *out: emerging_geojson()'s collection with series, whose counts are the noisy sums (withheld
 * below min_count, as in the count tables), and a provenance naming the release and view.
 * The view's year is ignored: the cube takes every year. HZ_EINVAL when the grid is flat. */
hz_status rel_emerging(const rel_release *r, const rel_view *v, const struct incset *areas,
                       int min_count, json_t **out, char *err, size_t errlen);

/* Released black spots: REL_SPOT_CELL squares whose noisy count c, less its 95 % half-width
 * 1.96 sqrt(cells x s2) (normal approximation of a sum of discrete Gaussians), is at least the
 * threshold T = max(min_count, ceil(3 x mean)), where mean is the average noisy count of the
 * "occupied" squares (those whose count is itself above its half-width): the grid analogue of
 * blackspots_auto_min_points()'s "three times the even spread". Ranked by c (ties: north-west
 * first), at most REL_MAX_BLACKSPOTS. *out: a FeatureCollection of square Polygons (EPSG:4326)
 * with rank, count, count_lo, count_hi, per_year and a provenance stating the rule, T, the mean
 * and the release; no hull, centroid of points, radius or histogram exists to publish. */
hz_status rel_blackspots(const rel_release *r, const rel_view *v, int min_count, json_t **out,
                         char *err, size_t errlen);

#endif

/* density.h - the kernel density analysis shared by `hazmap density`, the server's GeoTIFF
 * download and anyone needing the grid with its provenance.
 *
 * From a snapshot, a filter and options it selects the incidents, chooses the bandwidth (given,
 * or by a rule: kde.h), lays a grid over the extent (the areas' or the points'), computes the
 * density in incidents (or score) per km² per year and describes what it did in a provenance
 * object (API.md: filters, method, kernel, bandwidth and how chosen, cell size, work_srs,
 * incidents, years, data_version).
 *
 * "Per year": the study period of incset_study_period(), the filter's from..to intersected with
 * the data's span (dated incidents of the whole snapshot, first to last calendar day inclusive,
 * in the filter's UTC offset), in days / 365.25. Without any dated incident in it, years = 1 and
 * the provenance says the values are per km² over the whole record.
 *
 * Default cell: bandwidth / 10 rounded to whole metres, at least 5 m, coarsened (in whole metres)
 * until the grid has at most min(DENSITY_DEFAULT_CELLS, max_cells) cells; an explicit cell is used
 * as given, up to max_cells. The grid is aligned to multiples of the cell size in the working CRS,
 * so reruns give the same lattice.
 *
 * Ownership: density_run() returns a result freed with density_result_free() (NULL is a no-op). */
#ifndef HAZMAP_DENSITY_H
#define HAZMAP_DENSITY_H

#include <stddef.h>

#include <jansson.h>

#include "hazmap/disclosure.h"
#include "hazmap/filter.h"
#include "hazmap/incset.h"
#include "hazmap/kde.h"
#include "hazmap/status.h"

#define DENSITY_DEFAULT_CELLS 4000000
#define DENSITY_MAX_CELLS 50000000
#define DENSITY_NODATA (-9999.0)

typedef enum density_extent {
    DENSITY_EXTENT_AREAS = 0, /* the bounding box of the areas (of f->area if set), projected */
    DENSITY_EXTENT_POINTS = 1 /* the selected incidents' box grown by the kernel's support */
} density_extent;

typedef struct density_opts {
    kde_kernel kernel;      /* default KDE_QUARTIC */
    double bandwidth;       /* metres; 0 = by rule */
    kde_bw_rule rule;       /* used when bandwidth is 0; default KDE_BW_ARCGIS ("auto") */
    double cell;            /* metres; 0 = the default above */
    density_extent extent;  /* default DENSITY_EXTENT_AREAS (points when there are no areas) */
    disc_policy disclosure; /* floors of bandwidth and cell (disclosure.h); zero = none */
    size_t max_cells;       /* 0 = DENSITY_MAX_CELLS; more is HZ_ELIMIT */
    double max_work;        /* > 0: a kde_work() estimate above it is HZ_ELIMIT, before any
                             * kernel is evaluated (the server's budget); 0 = none */
    int nthreads;           /* 0 = one per core */
    int mask_areas;         /* 1: cells whose centre is outside the areas (f->area's if set) are
                             * DENSITY_NODATA: incidents are recorded only inside them, so a
                             * value outside would read as a measured low. Default 0. */
} density_opts;

/* Defaults as documented in the struct. */
void density_opts_init(density_opts *o);

/* Sets one option from text, as the CLI (--kernel) and the server (?kernel=) receive it:
 * "kernel" (quartic|epanechnikov|triweight|triangular|uniform|gaussian), "bandwidth" (metres >
 * 0, or auto|arcgis|silverman|scott), "cell" (metres > 0 or auto), "extent" (areas|points),
 * "mask" (areas|none).
 * HZ_EINVAL naming the key and value. */
hz_status density_opts_set(density_opts *o, const char *key, const char *value, char *err,
                           size_t errlen);

typedef struct density_result {
    kde_grid grid;            /* in the working CRS */
    float *values;            /* grid.nx * grid.ny, row 0 = north (GeoTIFF order) */
    double bandwidth;         /* metres, as used */
    double years;             /* the "per year" divisor */
    double scale;             /* 1e6 / years */
    size_t incidents;         /* incidents selected (with a point) */
    size_t without_point;     /* selected by the filter but left out: no point (incset.h) */
    size_t linked_duplicates; /* left out as another record's event (incset.h) */
    const char *counted;      /* "events" or "records" (incset_counted()); static */
    double weight_sum;        /* their total weight (= incidents for count weights) */
    double max_value;         /* largest cell value */
    char work_srs[256];       /* "EPSG:32648" */
    char *wkt;                /* the working CRS as WKT */
    json_t *provenance;       /* owned by the result; json_incref() to keep it longer */
} density_result;

/* Runs the analysis. HZ_EINVAL for bad options or filter (unknown area), or when a rule cannot
 * choose a bandwidth (fewer than 2 incidents); HZ_ELIMIT when the grid exceeds max_cells;
 * HZ_ECRS when the areas cannot be projected. No incident with a given bandwidth is not an
 * error: the grid is zeros. */
hz_status density_run(const incset *s, const hz_filter *f, const density_opts *o,
                      density_result **out, char *err, size_t errlen);

void density_result_free(density_result *r);

/* The years divisor described above; basis (may be NULL) receives how it was obtained. */
double density_years(const incset *s, const hz_filter *f, char *basis, size_t basislen);

/* GeoTIFF of the result (Float32, DEFLATE, nodata DENSITY_NODATA, working CRS, the band's
 * colour interpretation gray), with the provenance as metadata item HAZMAP_PROVENANCE (JSON)
 * plus KERNEL, BANDWIDTH, CELL_SIZE, UNIT, INCIDENTS, YEARS, FILTERS, DATA_VERSION items, and
 * band_meta ("KEY=VALUE", NULL-terminated, borrowed; may be NULL: the colour legend of
 * densitystyle.h) on the band. */
hz_status density_write_geotiff(const density_result *r, const char *path,
                                const char *const *band_meta, char *err, size_t errlen);

/* The same GeoTIFF as malloc()ed bytes (for the server's /api/density.tif); free() them. */
hz_status density_geotiff_bytes(const density_result *r, const char *const *band_meta,
                                unsigned char **buf, size_t *len, char *err, size_t errlen);

#endif

/* relimpl.h - private to geo/release/: the body of a release, shared by the files that build
 * (release.c), describe (relmeta.c) and store (relstore.c) it.
 *
 * Invariants of a rel_table:
 *  1. ncells is the product of shape[0..ndims-1], and value and suppressed have ncells entries.
 *  2. value[k] is 0 wherever suppressed[k] is 1: a withheld value is not kept anywhere.
 *  3. name and dim[] point into static storage (built) or into the release's metadata (loaded),
 *     both living as long as the release. */
#ifndef HAZMAP_GEO_RELIMPL_H
#define HAZMAP_GEO_RELIMPL_H

#include <jansson.h>

#include "hazmap/release.h"

enum { REL_MAX_DIMS = 4 };

struct rel_table {
    const char *name;
    size_t ndims;
    const char *dim[REL_MAX_DIMS];
    size_t shape[REL_MAX_DIMS];
    size_t ncells;
    double share;     /* of rho */
    int density_grid; /* cells never withheld (disclosure.h rule 6) */
    dpn_ratio s2;
    int64_t half95;
    int64_t *value;
    unsigned char *suppressed;
};

struct rel_release {
    int64_t id;
    json_t *meta; /* owned */
    size_t ntables;
    rel_table *tables;
};

/* Allocates value and suppressed for t->ncells cells (zeroed). HZ_ENOMEM. */
hz_status rel_table_alloc(rel_table *t);

/* Encodes a table's cells as the blob described in release.h (malloc'd; the caller frees), and
 * decodes one into t (whose ncells is set and arrays allocated). HZ_ENOMEM; HZ_EINVAL for a
 * blob that is not a table of t->ncells cells. */
hz_status rel_blob_encode(const rel_table *t, unsigned char **out, size_t *len);
hz_status rel_blob_decode(rel_table *t, const unsigned char *blob, size_t len);

/* The dimensions a release is built over (release.c), described by relmeta.c. */
typedef enum rel_dim_kind {
    RELD_DISTRICT = 0,
    RELD_SUBDISTRICT,
    RELD_YEAR,
    RELD_PERIOD,
    RELD_MONTH,
    RELD_INJURY,
    RELD_PLACE,
    RELD_SEVERITY,
    RELD_AGE,
    RELD_SEX,
    RELD_CELL,
    RELD_KINDS
} rel_dim_kind;

/* The area levels of the release: RELD_DISTRICT and RELD_SUBDISTRICT. */
enum { REL_LEVELS = 2 };

typedef struct rel_dims {
    size_t size[RELD_KINDS];
    /* areas: at level l, rows 0..size-2 are the areas of that level in code order
     * (area_of_row[l][row] indexes the snapshot's areas), the last row is "outside" */
    int32_t *area_of_row[REL_LEVELS];
    int32_t *row_of_area[REL_LEVELS]; /* per snapshot area: its row at level l */
    /* time: months [m0, m1) counted as year * 12 + month - 1, in local time tz (seconds) */
    int m0, m1, gran, tz;
    int period_given; /* 1: the period came from the options */
    /* grid: cell (i, j), column i from the west, row j from the north, is index j * nx + i */
    double x0, y1, cell;
    int nx, ny;
} rel_dims;

/* The name of a dimension kind ("subdistrict", "injury_group", ...). Borrowed, static. */
const char *rel_dim_name(rel_dim_kind k);

/* The release's metadata (release.h) as a new JSON object, or NULL when out of memory. */
json_t *rel_meta_build(const rel_release *r, const rel_dims *d, const incset *s,
                       const rel_options *o, double rho);

#endif

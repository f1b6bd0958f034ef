/* ptgrid.h - planar points bucketed on a uniform grid of square cells, for neighbour and
 * rectangle queries (DBSCAN, Gi* distance bands, nearest neighbours, tile rendering, bbox
 * queries of the server).
 *
 * Geometry. Over the extent (x0, y0, x1, y1) - the points' bounding box, or one the caller
 * gives - with cells of side `cell` (or of the extent's longer side / `across` if that is more)
 * and `margin` empty rows and columns added on every side:
 *     col = floor((x - x0) / cell) + margin,   ncols = floor((x1 - x0) / cell) + 1 + 2 margin
 * and likewise row from y (row 0 is the southernmost). A point beyond a given extent is clamped
 * into the edge cell of its row or column (never into the margin). The key of a cell is
 * row * ncols + col, so the cells of one row between two columns form one key range.
 *
 * Storage. Only the occupied cells are kept, in increasing key order; the points are sorted by
 * key with a stable LSD radix sort (counting-sort passes), so cell c holds the sorted positions
 * [start[c], start[c + 1]) and, within a cell, the points keep their input order (sums over a
 * cell or a row run therefore add in input order). The sorted coordinates are copies of the
 * input ones, bit for bit. Optionally each occupied cell's bounding box.
 *
 * Invariants (asserted when built): start[0] = 0, start[m] = n, every stored cell holds at
 * least one point, keys strictly increase, every key lies below ncols * nrows.
 *
 * Ownership: ptgrid_new() copies what it needs (the caller's arrays may be freed afterwards);
 * ptgrid_free() frees the grid (NULL is a no-op). The arrays returned by the accessors are
 * borrowed, read-only, valid until ptgrid_free().
 * Thread-safety: a built grid is immutable; any number of threads may query it. */
#ifndef HAZMAP_PTGRID_H
#define HAZMAP_PTGRID_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

/* The most margin cells, and the widest reach of a sweep (ptgrid_sweep). */
enum { PTGRID_MAX_REACH = 4 };

typedef struct ptgrid ptgrid;

typedef struct ptgrid_box {
    double x0, y0, x1, y1;
} ptgrid_box;

/* How to build a grid. Zero-initialise, then set cell (and what else is wanted). */
typedef struct ptgrid_spec {
    double cell;      /* side of a cell, in the coordinates' unit; finite and > 0 */
    int across;       /* > 0: cells of max(cell, the extent's longer side / across) instead */
    int margin;       /* empty rows and columns on each side, 0..PTGRID_MAX_REACH */
    int boxes;        /* 1: keep each occupied cell's bounding box (ptgrid_boxes) */
    int dense;        /* 1: also index every cell, occupied or not, when there are at most
                       * 4 n + 65536 of them: ptgrid_run in O(1) instead of O(log m) */
    int has_extent;   /* 1: cells over extent (points beyond it clamped), 0: the points' bbox */
    double extent[4]; /* x0, y0, x1, y1 when has_extent */
} ptgrid_spec;

/* The grid's geometry (see the top of the file). */
typedef struct ptgrid_geom {
    double x0, y0, cell;  /* south-west corner of the extent; cell side */
    int64_t ncols, nrows; /* margins included */
    int margin;
} ptgrid_geom;

/* Buckets the n points (x[i], y[i]). idx: NULL (point i is reported as i), or n values reported
 * in their place (positions in a larger set, for instance). HZ_EINVAL for a bad spec or a
 * non-finite coordinate ("point I has a non-finite coordinate", I the input index); HZ_ELIMIT
 * for n >= UINT32_MAX or more than 2^62 cells; HZ_ENOMEM. n == 0 is fine: a grid of one cell
 * (plus margins) at the origin, or over the given extent, with no point. *out is NULL on
 * failure. */
hz_status ptgrid_new(size_t n, const double *x, const double *y, const uint32_t *idx,
                     const ptgrid_spec *spec, ptgrid **out, char *err, size_t errlen);

/* NULL is a no-op. */
void ptgrid_free(ptgrid *g);

/* Points, occupied cells, bytes held. */
size_t ptgrid_count(const ptgrid *g);
size_t ptgrid_cells(const ptgrid *g);
size_t ptgrid_bytes(const ptgrid *g);

const ptgrid_geom *ptgrid_geometry(const ptgrid *g);

/* Per sorted position: the coordinates and the reported index (idx[i] or i). */
const double *ptgrid_xs(const ptgrid *g);
const double *ptgrid_ys(const ptgrid *g);
const uint32_t *ptgrid_index(const ptgrid *g);

/* Per occupied cell: m + 1 start offsets into the sorted positions, m keys, and m bounding
 * boxes (NULL unless the spec asked for them). */
const uint32_t *ptgrid_start(const ptgrid *g);
const uint64_t *ptgrid_keys(const ptgrid *g);
const ptgrid_box *ptgrid_boxes(const ptgrid *g);

/* Hands the boxes over: the caller owns the returned array (m boxes; free() it) and may change
 * it; the grid keeps none (ptgrid_boxes() returns NULL afterwards). NULL when it kept none. */
ptgrid_box *ptgrid_take_boxes(ptgrid *g);

/* The column of x and the row of y as a point there is bucketed (clamped into the cells of the
 * extent, margins excluded; NaN gives the first). */
int64_t ptgrid_col(const ptgrid *g, double x);
int64_t ptgrid_row(const ptgrid *g, double y);

/* The occupied cells of row `row` with col0 <= col <= col1: cells [*c0, *c1) (empty when none).
 * Needs 0 <= row < nrows and 0 <= col0 <= col1 < ncols. O(log m), O(1) on a dense grid. */
void ptgrid_run(const ptgrid *g, int64_t row, int64_t col0, int64_t col1, size_t *c0, size_t *c1);

/* ---- rectangles ---- */

/* A walk over the rows of cells that a rectangle touches. */
typedef struct ptgrid_rows {
    int64_t row, row1, col0, col1;
    size_t from; /* first cell worth searching from */
} ptgrid_rows;

/* Starts a walk over rect = {x0, y0, x1, y1} (a NaN or an inverted rect touches nothing). */
void ptgrid_rows_begin(const ptgrid *g, const double rect[4], ptgrid_rows *it);

/* The next row with points in the rect's columns: sorted positions [*p0, *p1), the points of
 * that row's cells from the rect's first to its last column - every point of the row inside
 * the rect, and others near it - in grid order. Returns 0 when the walk is done. */
int ptgrid_rows_next(const ptgrid *g, ptgrid_rows *it, size_t *p0, size_t *p1);

/* Sorted positions of the points with x0 <= x <= x1 and y0 <= y <= y1, in grid order (rows from
 * the south, columns from the west, input order within a cell), into a malloc'd *pos (caller
 * frees; NULL when *n is 0). HZ_ENOMEM. */
hz_status ptgrid_query(const ptgrid *g, const double rect[4], uint32_t **pos, size_t *n);

/* ---- sweeps: the cells around each cell, for cells visited in increasing order ---- */

/* The occupied cells within r rows and columns of cell c, as 2r + 1 runs of cells, one per row
 * (southernmost first): row k covers cells [lo[k], hi[k]). Each move is amortised O(1) when the
 * cells are visited in increasing order. */
typedef struct ptgrid_sweep {
    int r;
    size_t lo[2 * PTGRID_MAX_REACH + 1], hi[2 * PTGRID_MAX_REACH + 1];
} ptgrid_sweep;

/* A sweep of reach r, 1 <= r <= the grid's margin (so the runs never leave the grid). */
void ptgrid_sweep_init(ptgrid_sweep *sw, int r);

/* Moves the sweep to cell c; c must not decrease between calls on one sweep. */
void ptgrid_sweep_to(const ptgrid *g, ptgrid_sweep *sw, size_t c);

#endif

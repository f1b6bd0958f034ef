/* check_ptgrid.c - the point grid against brute force: cells, order, rectangles, boxes, sweeps. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/ptgrid.h"

/* A deterministic generator (SplitMix64) so that every run tests the same sets. */
static double rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* Random points: a uniform background, a dense blob, points on cell-size multiples (exactly on
 * cell edges) and duplicates; coordinates near the origin or of UTM's size. */
static void random_points(uint64_t *seed, size_t n, double cell, double ox, double *x, double *y)
{
    double side = cell * (2 + rnd(seed) * 60);
    for (size_t i = 0; i < n; i++) {
        double u = rnd(seed);
        if (u < 0.5) {
            x[i] = ox + rnd(seed) * side;
            y[i] = ox / 10 + rnd(seed) * side;
        } else if (u < 0.75) {
            x[i] = ox + side / 2 + rnd(seed) * cell;
            y[i] = ox / 10 + side / 3 + rnd(seed) * cell;
        } else if (u < 0.9) {
            x[i] = ox + cell * (int)(rnd(seed) * 8);
            y[i] = ox / 10 + cell * (int)(rnd(seed) * 8);
        } else if (i > 0) {
            size_t j = (size_t)(rnd(seed) * (double)i);
            x[i] = x[j];
            y[i] = y[j];
        } else {
            x[i] = ox;
            y[i] = ox / 10;
        }
    }
}

/* The cell index of a coordinate, written from ptgrid.h's formula. */
static int64_t axis_ref(double v, double v0, double cell, int64_t ncells, int margin)
{
    double c = floor((v - v0) / cell);
    if (c < 0) c = 0;
    if (c > (double)(ncells - 1 - 2 * margin)) c = (double)(ncells - 1 - 2 * margin);
    return (int64_t)c + margin;
}

/* Every point is in exactly one cell, the cell of the formula, and within a cell the points
 * keep their input order; cells are stored once each, in key order. */
static void check_cells(const ptgrid *g, size_t n, const double *x, const double *y,
                        const uint32_t *idx)
{
    const ptgrid_geom *e = ptgrid_geometry(g);
    const uint32_t *start = ptgrid_start(g), *index = ptgrid_index(g);
    const uint64_t *key = ptgrid_keys(g);
    const double *xs = ptgrid_xs(g), *ys = ptgrid_ys(g);
    size_t m = ptgrid_cells(g);
    ck_assert_uint_eq(ptgrid_count(g), n);
    ck_assert_uint_eq(start[0], 0);
    ck_assert_uint_eq(start[m], n);
    char *seen = calloc(n + 1, 1);
    for (size_t c = 0; c < m; c++) {
        ck_assert_uint_lt(start[c], start[c + 1]);
        if (c > 0) ck_assert(key[c - 1] < key[c]);
        for (uint32_t s = start[c]; s < start[c + 1]; s++) {
            /* with idx the reported index is idx[i]; here idx[i] = 3 i + 1 */
            uint32_t i = idx ? (index[s] - 1) / 3 : index[s];
            ck_assert_uint_lt(i, n);
            ck_assert(!seen[i]);
            seen[i] = 1;
            if (s > start[c]) {
                uint32_t prev = idx ? (index[s - 1] - 1) / 3 : index[s - 1];
                ck_assert_uint_lt(prev, i); /* input order within the cell */
            }
            ck_assert(memcmp(&xs[s], &x[i], sizeof *xs) == 0);
            ck_assert(memcmp(&ys[s], &y[i], sizeof *ys) == 0);
            int64_t col = axis_ref(x[i], e->x0, e->cell, e->ncols, e->margin);
            int64_t row = axis_ref(y[i], e->y0, e->cell, e->nrows, e->margin);
            ck_assert(key[c] == (uint64_t)row * (uint64_t)e->ncols + (uint64_t)col);
            ck_assert_int_eq(ptgrid_col(g, x[i]), col);
            ck_assert_int_eq(ptgrid_row(g, y[i]), row);
        }
    }
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(seen[i], "point %zu in no cell", i);
    free(seen);
}

/* Boxes equal min and max over each cell's points. */
static void check_boxes(const ptgrid *g)
{
    const ptgrid_box *b = ptgrid_boxes(g);
    const uint32_t *start = ptgrid_start(g);
    const double *xs = ptgrid_xs(g), *ys = ptgrid_ys(g);
    ck_assert_ptr_nonnull(b);
    for (size_t c = 0; c < ptgrid_cells(g); c++) {
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (uint32_t s = start[c]; s < start[c + 1]; s++) {
            x0 = fmin(x0, xs[s]);
            y0 = fmin(y0, ys[s]);
            x1 = fmax(x1, xs[s]);
            y1 = fmax(y1, ys[s]);
        }
        ck_assert(b[c].x0 == x0 && b[c].y0 == y0 && b[c].x1 == x1 && b[c].y1 == y1);
    }
}

/* Rectangle queries equal a linear scan, in grid order; the row walk covers them. */
static void check_rects(const ptgrid *g, uint64_t *seed, size_t n, const double *x, const double *y)
{
    const ptgrid_geom *e = ptgrid_geometry(g);
    const uint32_t *index = ptgrid_index(g);
    double w = (double)e->ncols * e->cell, h = (double)e->nrows * e->cell;
    char *want = malloc(n + 1);
    for (int q = 0; q < 60; q++) {
        double r[4];
        if (q % 4 == 3 && n > 0) { /* edges exactly on points */
            size_t a = (size_t)(rnd(seed) * (double)n), b = (size_t)(rnd(seed) * (double)n);
            r[0] = fmin(x[a], x[b]);
            r[2] = fmax(x[a], x[b]);
            r[1] = fmin(y[a], y[b]);
            r[3] = fmax(y[a], y[b]);
        } else { /* anywhere, including beyond the grid */
            r[0] = e->x0 - w / 2 + rnd(seed) * 2 * w;
            r[1] = e->y0 - h / 2 + rnd(seed) * 2 * h;
            r[2] = r[0] + rnd(seed) * w * (q % 5 == 0 ? 2 : 0.3);
            r[3] = r[1] + rnd(seed) * h * (q % 5 == 0 ? 2 : 0.3);
        }
        size_t nwant = 0;
        for (size_t i = 0; i < n; i++) {
            want[i] = x[i] >= r[0] && x[i] <= r[2] && y[i] >= r[1] && y[i] <= r[3];
            nwant += (size_t)want[i];
        }
        uint32_t *pos;
        size_t np;
        ck_assert_int_eq(ptgrid_query(g, r, &pos, &np), HZ_OK);
        ck_assert_uint_eq(np, nwant);
        ck_assert(np > 0 || pos == NULL);
        for (size_t k = 0; k < np; k++) {
            ck_assert(want[index[pos[k]]]);
            if (k > 0) ck_assert_uint_lt(pos[k - 1], pos[k]);
        }
        free(pos);
        /* The row walk's candidates hold every point of the rect, each once. */
        size_t p0, p1, found = 0, last = 0;
        ptgrid_rows it;
        ptgrid_rows_begin(g, r, &it);
        while (ptgrid_rows_next(g, &it, &p0, &p1)) {
            ck_assert_uint_lt(p0, p1);
            ck_assert(found == 0 || p0 >= last);
            last = p1;
            for (size_t p = p0; p < p1; p++)
                found += (size_t)want[index[p]];
        }
        ck_assert_uint_eq(found, nwant);
    }
    free(want);
}

START_TEST(test_grid_against_brute_force)
{
    uint64_t seed = 7;
    enum { N = 3000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    uint32_t *idx = malloc(N * sizeof *idx);
    for (int round = 0; round < 40; round++) {
        size_t n = round == 0 ? 0 : 1 + (size_t)(rnd(&seed) * (N - 1));
        double cell = round % 3 == 0 ? 1.0 : 0.3 + rnd(&seed) * 200;
        random_points(&seed, n, cell, round % 2 ? 400000.0 : 0.0, x, y);
        for (size_t i = 0; i < n; i++)
            idx[i] = 3 * (uint32_t)i + 1;
        ptgrid_spec sp = {.cell = cell,
                          .margin = round % 4,
                          .boxes = 1,
                          .across = round % 5 ? 0 : 7,
                          .dense = round % 3 == 2};
        ptgrid *g;
        ck_assert_int_eq(ptgrid_new(n, x, y, round % 2 ? idx : NULL, &sp, &g, NULL, 0), HZ_OK);
        if (sp.across && n > 0) { /* at most about 7 cells along the longer side */
            double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
            for (size_t i = 0; i < n; i++) {
                x0 = fmin(x0, x[i]);
                y0 = fmin(y0, y[i]);
                x1 = fmax(x1, x[i]);
                y1 = fmax(y1, y[i]);
            }
            ck_assert(ptgrid_geometry(g)->cell == fmax(cell, fmax(x1 - x0, y1 - y0) / 7));
        }
        check_cells(g, n, x, y, round % 2 ? idx : NULL);
        check_boxes(g);
        if (!(round % 2)) check_rects(g, &seed, n, x, y);
        ptgrid_box *taken = ptgrid_take_boxes(g); /* now the caller's */
        ck_assert_ptr_nonnull(taken);
        ck_assert_ptr_null(ptgrid_boxes(g));
        free(taken);
        ptgrid_free(g);
    }
    free(x);
    free(y);
    free(idx);
}
END_TEST

/* A given extent smaller than the points' clamps them into its edge cells; queries still find
 * every point, inside the extent or beyond. */
START_TEST(test_given_extent_clamps)
{
    uint64_t seed = 99;
    enum { N = 2000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int round = 0; round < 10; round++) {
        double cell = 5 + rnd(&seed) * 50;
        random_points(&seed, N, cell, 0, x, y);
        ptgrid_spec sp = {.cell = cell, .boxes = 1, .has_extent = 1, .dense = round % 2};
        double cx = 100 + rnd(&seed) * 200, cy = 100 + rnd(&seed) * 200;
        sp.extent[0] = cx;
        sp.extent[1] = cy;
        sp.extent[2] = cx + rnd(&seed) * 300;
        sp.extent[3] = cy + rnd(&seed) * 300;
        ptgrid *g;
        ck_assert_int_eq(ptgrid_new(N, x, y, NULL, &sp, &g, NULL, 0), HZ_OK);
        const ptgrid_geom *e = ptgrid_geometry(g);
        ck_assert(e->x0 == cx && e->y0 == cy);
        ck_assert_int_eq(e->ncols, (int64_t)floor((sp.extent[2] - cx) / cell) + 1);
        check_cells(g, N, x, y, NULL);
        check_boxes(g);
        check_rects(g, &seed, N, x, y);
        ptgrid_free(g);
    }
    free(x);
    free(y);
}
END_TEST

/* A sweep of reach r at cell c covers exactly the occupied cells within r rows and columns. */
START_TEST(test_sweep_against_brute_force)
{
    uint64_t seed = 2024;
    enum { N = 1200 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int round = 0; round < 8; round++) {
        double cell = 2 + rnd(&seed) * 20;
        random_points(&seed, N, cell, round % 2 ? 500000.0 : 0.0, x, y);
        int r = 1 + round % PTGRID_MAX_REACH;
        ptgrid_spec sp = {.cell = cell, .margin = r, .dense = round % 2};
        ptgrid *g;
        ck_assert_int_eq(ptgrid_new(N, x, y, NULL, &sp, &g, NULL, 0), HZ_OK);
        const uint64_t *key = ptgrid_keys(g);
        int64_t w = ptgrid_geometry(g)->ncols;
        size_t m = ptgrid_cells(g);
        ptgrid_sweep sw;
        ptgrid_sweep_init(&sw, r);
        for (size_t c = 0; c < m; c++) {
            ptgrid_sweep_to(g, &sw, c);
            char *in = calloc(m, 1);
            for (int k = 0; k <= 2 * r; k++)
                for (size_t d = sw.lo[k]; d < sw.hi[k]; d++)
                    in[d]++;
            int64_t cr = (int64_t)(key[c] / (uint64_t)w), cc = (int64_t)(key[c] % (uint64_t)w);
            for (size_t d = 0; d < m; d++) {
                int64_t dr = (int64_t)(key[d] / (uint64_t)w), dc = (int64_t)(key[d] % (uint64_t)w);
                int near = llabs(dr - cr) <= r && llabs(dc - cc) <= r;
                ck_assert_int_eq(in[d], near);
            }
            free(in);
            /* ptgrid_run over the same rows agrees */
            for (int k = 0; k <= 2 * r; k++) {
                size_t c0, c1;
                ptgrid_run(g, cr - r + k, cc - r, cc + r, &c0, &c1);
                ck_assert_uint_eq(c0, sw.lo[k]);
                ck_assert_uint_eq(c1, sw.hi[k]);
            }
        }
        ptgrid_free(g);
    }
    free(x);
    free(y);
}
END_TEST

START_TEST(test_errors)
{
    double x[3] = {0, 1, NAN}, y[3] = {0, 1, 2};
    char err[256];
    ptgrid *g = (ptgrid *)1;
    ptgrid_spec sp = {.cell = 1};
    ck_assert_int_eq(ptgrid_new(3, x, y, NULL, &sp, &g, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_null(g);
    ck_assert_ptr_nonnull(strstr(err, "point 2"));
    sp.cell = 0;
    ck_assert_int_eq(ptgrid_new(2, x, y, NULL, &sp, &g, err, sizeof err), HZ_EINVAL);
    sp.cell = 1e-300; /* 1e300 x 1e300 cells */
    x[1] = 1e10;
    y[1] = 1e10;
    ck_assert_int_eq(ptgrid_new(2, x, y, NULL, &sp, &g, err, sizeof err), HZ_ELIMIT);
    sp.cell = 1;
    sp.margin = PTGRID_MAX_REACH + 1;
    ck_assert_int_eq(ptgrid_new(2, x, y, NULL, &sp, &g, err, sizeof err), HZ_EINVAL);
    ptgrid_free(NULL);
}
END_TEST

Suite *ptgrid_suite(void)
{
    Suite *s = suite_create("ptgrid");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_grid_against_brute_force);
    tcase_add_test(tc, test_given_extent_clamps);
    tcase_add_test(tc, test_sweep_against_brute_force);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

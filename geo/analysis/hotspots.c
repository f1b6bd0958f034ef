/* hotspots.c - Gi* hot spot analysis: aggregate incidents to a clipped lattice, auto scale,
 * classify.
 *
 * Pipeline (hotspots_compute), one stage per function: study_box (the region's or the points'
 * bounding box) -> choose_cell (given or auto: nearest neighbours on a point grid, ptgrid.h) ->
 * aggregate (lattice aligned to multiples of the cell size, study-area mask by scanline - cell
 * centre in the union of the polygons - and the incidents summed in input order, O(n)) ->
 * choose_band (given, contiguity, or auto: incremental Moran's I on the lattice stencil, else
 * the mean distance to the K-th nearest cell) ->
 * gi_star (on the lattice, gistar.h) -> classify (BH FDR, classes). The temporaries live in one
 * hs_work, freed on every path.
 * Invariants (asserted): every incident is counted in a cell or as outside; cells[] holds
 * exactly the mask's cells in row-major order. */
#include "hazmap/hotspots.h"
#include "hazmap/cancel.h"
#include "hazmap/ptgrid.h"
#include "hazmap/wkb.h"
#include "hazmap/workcrs.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTO_MAX_CELLS 200000
#define AUTO_MIN_CELLS 30
#define NN_SAMPLE 20000
#define ISA_STEPS 15
#define KNN_SAMPLE AUTO_MAX_CELLS
/* The widest offset disc, in cells (about 823,000 offsets, 13 MB); cells that meet fewer than K
 * others within it are measured against every cell of the study area instead, within
 * KNN_MAX_PAIRS distance evaluations (else HZ_ELIMIT). */
#define KNN_RAD_CAP 512.0
#define KNN_MAX_PAIRS 2e9

/* Square: centre (x0 + (c + 0.5) s, y0 - (r + 0.5) s). Hexagonal (pointy-top): centre
 * (x0 + (c + 0.5 (r & 1)) s, y0 - r h), h = s sqrt(3) / 2, with y0 on a multiple of 2h so that
 * a row's parity does not depend on the data. */
typedef struct lattice {
    int hex;
    double s, h, x0, y0;
    int nrows, ncols;
} lattice;

struct hotspots_result {
    hotspots_cell *cells;
    lattice L; /* the lattice the cells are on */
    size_t ncells;
    hotspots_params par; /* as used: cell and band resolved */
    int score;
    size_t incidents, outside;
    size_t without_point;     /* selected but left out: no point (hz_points.without_point) */
    size_t linked_duplicates; /* left out as another record's event (hz_points) */
    const char *counted;      /* hz_points.counted; static */
    char *work_srs, *filters;
    int64_t data_version;
    char cell_rule[512], band_rule[768];
    double isa_d[ISA_STEPS], isa_I[ISA_STEPS], isa_z[ISA_STEPS];
    int isa_n;
};

void hotspots_params_init(hotspots_params *p)
{
    memset(p, 0, sizeof *p);
    p->shape = HOTSPOTS_SQUARE;
    p->weights = GISTAR_BINARY;
    p->star = 1;
    p->fdr = 1;
    p->seed = 1;
}

int hotspots_shape_parse(const char *s, hotspots_shape *out)
{
    if (strcmp(s, "square") == 0 || strcmp(s, "fishnet") == 0) {
        *out = HOTSPOTS_SQUARE;
        return 0;
    }
    if (strcmp(s, "hex") == 0 || strcmp(s, "hexagon") == 0) {
        *out = HOTSPOTS_HEX;
        return 0;
    }
    return -1;
}

int hotspots_weights_parse(const char *s, gistar_weights *out)
{
    if (strcmp(s, "binary") == 0 || strcmp(s, "B") == 0) {
        *out = GISTAR_BINARY;
        return 0;
    }
    if (strcmp(s, "row") == 0 || strcmp(s, "R") == 0) {
        *out = GISTAR_ROW;
        return 0;
    }
    return -1;
}

const char *hotspots_class_name(int confidence)
{
    switch (confidence) {
    case 99:
        return "hot99";
    case 95:
        return "hot95";
    case 90:
        return "hot90";
    case -90:
        return "cold90";
    case -95:
        return "cold95";
    case -99:
        return "cold99";
    default:
        return "ns";
    }
}

void hotspots_free(hotspots_result *r)
{
    if (!r) return;
    free(r->cells);
    free(r->work_srs);
    free(r->filters);
    free(r);
}

const hotspots_cell *hotspots_cells(const hotspots_result *r, size_t *n)
{
    *n = r->ncells;
    return r->cells;
}

double hotspots_cell_size(const hotspots_result *r)
{
    return r->par.cell;
}

double hotspots_band(const hotspots_result *r)
{
    return r->par.contiguity ? 0.0 : r->par.band;
}

size_t hotspots_incidents(const hotspots_result *r)
{
    return r->incidents;
}

size_t hotspots_without_point(const hotspots_result *r)
{
    return r->without_point;
}

int64_t hotspots_cell_id(const hotspots_result *r, size_t i)
{
    assert(i < r->ncells);
    return (int64_t)r->cells[i].row * r->L.ncols + r->cells[i].col;
}

int hotspots_scored(const hotspots_result *r)
{
    return r->score;
}

int hotspots_permutations(const hotspots_result *r)
{
    return r->par.permutations;
}

const char *hotspots_cell_rule(const hotspots_result *r)
{
    return r->cell_rule;
}

const char *hotspots_band_rule(const hotspots_result *r)
{
    return r->band_rule;
}

/* ---- the lattice ---- */

static void cell_centre(const lattice *L, int r, int c, double *x, double *y)
{
    if (L->hex) {
        *x = L->x0 + (c + 0.5 * (r & 1)) * L->s;
        *y = L->y0 - r * L->h;
    } else {
        *x = L->x0 + (c + 0.5) * L->s;
        *y = L->y0 - (r + 0.5) * L->s;
    }
}

/* max: lattice cells allowed (inside and outside the study area). */
static hz_status lattice_make(lattice *L, int hex, double s, const double bb[4], size_t max,
                              char *err, size_t errlen)
{
    L->hex = hex;
    L->s = s;
    if (hex) {
        L->h = s * sqrt(3.0) / 2;
        /* one row and one column of margin: hexagons reach s/sqrt(3) beyond their centre */
        L->x0 = floor(bb[0] / s) * s - s;
        L->y0 = ceil(bb[3] / (2 * L->h)) * 2 * L->h + 2 * L->h;
        double nr = ceil((L->y0 - bb[1]) / L->h) + 2, nc = ceil((bb[2] - L->x0) / s) + 2;
        if (nr * nc > (double)max)
            return hz_fail(HZ_ELIMIT, err, errlen,
                           "cell: %g m gives %.0f x %.0f cells (more than %zu); use a larger cell",
                           s, nr, nc, max);
        L->nrows = (int)nr;
        L->ncols = (int)nc;
    } else {
        L->h = s;
        L->x0 = floor(bb[0] / s) * s;
        L->y0 = ceil(bb[3] / s) * s;
        if (L->y0 == bb[3]) L->y0 += s;
        double nr = floor((L->y0 - bb[1]) / s) + 1, nc = floor((bb[2] - L->x0) / s) + 1;
        if (nr * nc > (double)max)
            return hz_fail(HZ_ELIMIT, err, errlen,
                           "cell: %g m gives %.0f x %.0f cells (more than %zu); use a larger cell",
                           s, nr, nc, max);
        L->nrows = (int)nr;
        L->ncols = (int)nc;
    }
    return HZ_OK;
}

/* Lattice index of the cell containing (x, y), or -1 outside the lattice. */
static long cell_of(const lattice *L, double x, double y)
{
    int r, c;
    if (!L->hex) {
        double fr = floor((L->y0 - y) / L->s), fc = floor((x - L->x0) / L->s);
        if (!(fr >= 0 && fr < L->nrows && fc >= 0 && fc < L->ncols)) return -1;
        r = (int)fr;
        c = (int)fc;
    } else {
        /* The hexagons are the Voronoi cells of the centres: the nearest centre among the
         * three candidate rows wins. */
        double fr = floor((L->y0 - y) / L->h + 0.5);
        if (!(fr >= -1 && fr <= L->nrows)) return -1;
        double best = INFINITY;
        r = c = -1;
        for (int rr = (int)fr - 1; rr <= (int)fr + 1; rr++) {
            if (rr < 0 || rr >= L->nrows) continue;
            double fc = floor((x - L->x0) / L->s - 0.5 * (rr & 1) + 0.5);
            if (!(fc >= 0 && fc < L->ncols)) continue;
            double cx, cy;
            cell_centre(L, rr, (int)fc, &cx, &cy);
            double d = (cx - x) * (cx - x) + (cy - y) * (cy - y);
            if (d < best) {
                best = d;
                r = rr;
                c = (int)fc;
            }
        }
        if (r < 0) return -1;
    }
    return (long)r * L->ncols + c;
}

long hotspots_locate(const hotspots_result *r, double x, double y)
{
    long li = cell_of(&r->L, x, y);
    if (li < 0) return -1;
    /* cells[] is in row-major order: binary search on the lattice index */
    size_t lo = 0, hi = r->ncells;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t m = hotspots_cell_id(r, mid);
        if (m == li) return (long)mid;
        if (m < li)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* ---- the study-area mask ---- */

typedef struct xcross {
    int group;
    double x;
} xcross;

static int xcross_cmp(const void *a, const void *b)
{
    const xcross *p = a, *q = b;
    if (p->group != q->group) return p->group < q->group ? -1 : 1;
    return p->x < q->x ? -1 : p->x > q->x;
}

/* mask[i] = 1 for cells whose centre lies inside the region: per row, the crossings of the
 * horizontal line through the centres with each group's edges, paired even-odd. Edges are
 * first bucketed by the rows they span, so the cost is O(edges + crossings + cells). */
static hz_status region_mask(const lattice *L, const hotspots_region *g, unsigned char *mask,
                             char *err, size_t errlen)
{
    size_t nr = (size_t)L->nrows;
    size_t *cnt = calloc(nr + 1, sizeof *cnt);
    if (!cnt) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    /* pass 1 counts the edges per row, pass 2 fills them (edge = ring, point) */
    size_t total = 0;
    size_t(*ed)[2] = NULL;
    hz_status rc = HZ_OK;
    xcross *xs = NULL;
    size_t xcap = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < g->nrings; k++) {
            size_t a = g->ring_start[k], b = g->ring_start[k + 1];
            for (size_t q = a; q < b; q++) {
                size_t q2 = q + 1 < b ? q + 1 : a;
                double y1 = g->xy[2 * q + 1], y2 = g->xy[2 * q2 + 1];
                if (y1 == y2 || !isfinite(y1) || !isfinite(y2)) continue;
                double lo = fmin(y1, y2), hi = fmax(y1, y2);
                /* rows whose centre y is in [lo, hi) */
                double rfirst = ceil((L->y0 - hi) / L->h + (L->hex ? 0 : -0.5));
                double rlast = floor((L->y0 - lo) / L->h + (L->hex ? 0 : -0.5));
                if (rfirst < 0) rfirst = 0;
                if (rlast > (double)nr - 1) rlast = (double)nr - 1;
                for (double r = rfirst; r <= rlast; r++) {
                    if (pass == 0)
                        cnt[(size_t)r + 1]++;
                    else {
                        size_t at = cnt[(size_t)r]++;
                        ed[at][0] = k;
                        ed[at][1] = q;
                    }
                }
            }
        }
        if (pass == 0) {
            for (size_t r = 0; r < nr; r++)
                cnt[r + 1] += cnt[r];
            total = cnt[nr];
            ed = malloc((total ? total : 1) * sizeof *ed);
            if (!ed) {
                rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
                goto done;
            }
        }
    }
    /* after pass 2, cnt[r] is the end of row r's edges and cnt[r - 1] its start */
    for (size_t r = 0; r < nr; r++) {
        size_t a = r ? cnt[r - 1] : 0, b = cnt[r];
        if (a == b) continue;
        if (b - a > xcap) {
            xcap = (b - a) * 2;
            xcross *nx = realloc(xs, xcap * sizeof *nx);
            if (!nx) {
                rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
                goto done;
            }
            xs = nx;
        }
        double cy, dummy;
        cell_centre(L, (int)r, 0, &dummy, &cy);
        size_t m = 0;
        for (size_t e = a; e < b; e++) {
            size_t k = ed[e][0], q = ed[e][1];
            size_t q2 = q + 1 < g->ring_start[k + 1] ? q + 1 : g->ring_start[k];
            double x1 = g->xy[2 * q], y1 = g->xy[2 * q + 1];
            double x2 = g->xy[2 * q2], y2 = g->xy[2 * q2 + 1];
            if (!((y1 <= cy && cy < y2) || (y2 <= cy && cy < y1))) continue;
            xs[m].group = g->ring_group[k];
            xs[m].x = x1 + (cy - y1) * (x2 - x1) / (y2 - y1);
            m++;
        }
        qsort(xs, m, sizeof *xs, xcross_cmp);
        double off = L->hex ? 0.5 * (double)(r & 1) : 0.5;
        for (size_t i = 0; i + 1 < m; i += 2) {
            if (xs[i].group != xs[i + 1].group) { /* a ring not closed in y: skip one */
                i--;
                continue;
            }
            /* centres x0 + (c + off) s in [xa, xb) */
            double c0 = ceil((xs[i].x - L->x0) / L->s - off);
            double c1 = ceil((xs[i + 1].x - L->x0) / L->s - off) - 1;
            if (c0 < 0) c0 = 0;
            if (c1 > L->ncols - 1) c1 = L->ncols - 1;
            for (double c = c0; c <= c1; c++)
                mask[r * (size_t)L->ncols + (size_t)c] = 1;
        }
    }
done:
    free(cnt);
    free(ed);
    free(xs);
    return rc;
}

/* ---- auto cell size: mean nearest-neighbour distance ---- */

/* Lowers *best to the smallest positive squared distance from (px, py) to the points of row
 * `row`, columns col0..col1 of g (the parts outside the grid skipped). */
static void nearest_in_run(const ptgrid *g, int64_t row, int64_t col0, int64_t col1, double px,
                           double py, double *best)
{
    const ptgrid_geom *e = ptgrid_geometry(g);
    if (row < 0 || row >= e->nrows) return;
    if (col0 < 0) col0 = 0;
    if (col1 > e->ncols - 1) col1 = e->ncols - 1;
    if (col0 > col1) return;
    size_t c0, c1;
    ptgrid_run(g, row, col0, col1, &c0, &c1);
    const uint32_t *start = ptgrid_start(g);
    const double *xs = ptgrid_xs(g), *ys = ptgrid_ys(g);
    for (uint32_t q = start[c0]; q < start[c1]; q++) {
        double dx = xs[q] - px, dy = ys[q] - py;
        double d2 = dx * dx + dy * dy;
        if (d2 > 0 && d2 < *best) *best = d2;
    }
}

/* Mean distance from up to NN_SAMPLE incidents (evenly spaced in input order) to the nearest
 * incident at a different location, searched ring by ring of cells on a point grid over bb
 * (incidents beyond it are clamped into its edge cells). Returns NAN if no two locations
 * differ. */
static double mean_nn_distance(const hz_points *p, const double bb[4], size_t *sampled)
{
    size_t n = p->n;
    double w = bb[2] - bb[0], hgt = bb[3] - bb[1];
    double area = fmax(w, 1.0) * fmax(hgt, 1.0);
    double bs = sqrt(area / (double)n) * 2; /* about 4 points per cell under randomness */
    if (bs <= 0 || !isfinite(bs)) bs = 1;
    while (((size_t)(w / bs) + 1) * ((size_t)(hgt / bs) + 1) > 4 * n + 16)
        bs *= 1.5;
    ptgrid_spec spec = {
        .cell = bs, .dense = 1, .has_extent = 1, .extent = {bb[0], bb[1], bb[2], bb[3]}};
    ptgrid *g = NULL;
    *sampled = 0;
    if (ptgrid_new(n, p->x, p->y, NULL, &spec, &g, NULL, 0) != HZ_OK) return NAN;
    const ptgrid_geom *e = ptgrid_geometry(g);
    size_t step = n > NN_SAMPLE ? (n + NN_SAMPLE - 1) / NN_SAMPLE : 1, cnt = 0;
    double sum = 0;
    int64_t maxring = e->ncols > e->nrows ? e->ncols : e->nrows;
    for (size_t i = 0; i < n; i += step) {
        int64_t cx = ptgrid_col(g, p->x[i]), cy = ptgrid_row(g, p->y[i]);
        double best = INFINITY;
        for (int64_t ring = 0; ring <= maxring; ring++) {
            /* everything beyond this ring is at least (ring - 1) * bs away */
            if ((double)(ring - 1) * bs > 0 &&
                (double)(ring - 1) * bs * ((double)(ring - 1) * bs) > best)
                break;
            for (int64_t yy = cy - ring; yy <= cy + ring; yy++) {
                if (yy == cy - ring || yy == cy + ring) {
                    nearest_in_run(g, yy, cx - ring, cx + ring, p->x[i], p->y[i], &best);
                } else { /* the ring's two cells in this row */
                    nearest_in_run(g, yy, cx - ring, cx - ring, p->x[i], p->y[i], &best);
                    nearest_in_run(g, yy, cx + ring, cx + ring, p->x[i], p->y[i], &best);
                }
            }
        }
        if (isfinite(best)) {
            sum += sqrt(best);
            cnt++;
        }
    }
    ptgrid_free(g);
    *sampled = cnt;
    return cnt ? sum / (double)cnt : NAN;
}

/* ---- the analysis ---- */

static char *dup_str(const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* What one hotspots_compute() holds while it runs, all freed by work_free() on every path. */
typedef struct hs_work {
    double bb[4];            /* the study box: the region's, or the points' */
    lattice L;               /* the lattice over bb */
    size_t ncell, npresent;  /* lattice cells, of which in the study area */
    unsigned char *mask;     /* ncell: 1 in the study area */
    double *val;             /* ncell: count or score */
    int *cnt;                /* ncell: incidents */
    gistar_lattice gl;       /* the values on the lattice, for gistar.h */
    gistar_stencil *st;      /* the neighbourhood */
    double *z, *p, *pp, *pf; /* ncell: Gi* z, p, permutation p; npresent: the p to adjust */
    int *nbc;                /* ncell: neighbours */
} hs_work;

static void work_free(hs_work *w)
{
    free(w->mask);
    free(w->val);
    free(w->cnt);
    gistar_stencil_free(w->st);
    free(w->z);
    free(w->p);
    free(w->pp);
    free(w->pf);
    free(w->nbc);
}

/* The result with the inputs' strings and the parameters as given. */
static hz_status result_new(const hotspots_input *in, const hotspots_params *par,
                            hotspots_result **out, char *err, size_t errlen)
{
    hotspots_result *R = calloc(1, sizeof *R);
    if (R) {
        R->par = *par;
        R->score = in->score;
        R->without_point = in->pts->without_point;
        R->linked_duplicates = in->pts->linked_duplicates;
        R->counted = in->pts->counted ? in->pts->counted : "records";
        R->data_version = in->data_version;
        R->work_srs = dup_str(in->work_srs);
        R->filters = dup_str(in->filters);
    }
    if (!R || !R->work_srs || !R->filters) {
        hotspots_free(R);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    *out = R;
    return HZ_OK;
}

/* The study region, or NULL when the points' bounding box stands for it. */
static const hotspots_region *region_of(const hotspots_input *in)
{
    return in->region && in->region->nrings ? in->region : NULL;
}

/* Stage 1: the study box, the region's or the points'. */
static hz_status study_box(const hotspots_input *in, double bb[4], char *err, size_t errlen)
{
    const hotspots_region *g = region_of(in);
    size_t n = g ? g->ring_start[g->nrings] : in->pts->n;
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    for (size_t q = 0; q < n; q++) {
        double x = g ? g->xy[2 * q] : in->pts->x[q], y = g ? g->xy[2 * q + 1] : in->pts->y[q];
        if (!isfinite(x) || !isfinite(y)) continue;
        bb[0] = fmin(bb[0], x);
        bb[1] = fmin(bb[1], y);
        bb[2] = fmax(bb[2], x);
        bb[3] = fmax(bb[3], y);
    }
    if (!(bb[2] >= bb[0] && bb[3] >= bb[1]))
        return hz_fail(HZ_EINVAL, err, errlen, "no finite coordinates in the study region");
    return HZ_OK;
}

double hotspots_auto_reach(double box_area_m2)
{
    /* the largest automatic square (the study box cut into AUTO_MIN_CELLS cells) reaches half
     * its diagonal from its centre; a hexagon of the same count reaches less (its circumradius,
     * 0.62 of sqrt(area / cells) against the square's 0.71) */
    return sqrt(fmax(box_area_m2, 1.0) / AUTO_MIN_CELLS) * M_SQRT1_2;
}

/* Stage 2: the cell size, given or auto (twice the mean nearest-neighbour distance, clamped
 * to the cell counts of the study box), then raised to the disclosure floor. */
static void choose_cell(hotspots_result *R, const hz_points *pts, const double bb[4],
                        const hotspots_params *par, char *why, size_t whylen)
{
    double bbarea = fmax(bb[2] - bb[0], 1.0) * fmax(bb[3] - bb[1], 1.0);
    double cellarea_k = par->shape == HOTSPOTS_HEX ? sqrt(3.0) / 2 : 1.0; /* area = k s^2 */
    if (!(par->cell > 0)) {
        size_t sampled;
        double dnn = mean_nn_distance(pts, bb, &sampled);
        double smin = sqrt(bbarea / (AUTO_MAX_CELLS * cellarea_k));
        double smax = sqrt(bbarea / (AUTO_MIN_CELLS * cellarea_k));
        double s = isfinite(dnn) ? 2 * dnn : smax;
        const char *clamp = "";
        if (s < smin) {
            s = smin;
            clamp = " raised to the 200,000-cell limit of the study box";
        } else if (s > smax) {
            s = smax;
            clamp = " lowered so the study box holds 30 cells";
        }
        s = fmax(1.0, round(s));
        R->par.cell = s;
        if (isfinite(dnn))
            snprintf(R->cell_rule, sizeof R->cell_rule,
                     "auto: 2 x mean nearest-neighbour distance between distinct incident "
                     "locations (%.1f m over %zu sampled incidents; Clark & Evans 1954: "
                     "1/sqrt(density) under randomness)%s, rounded: %.0f m",
                     dnn, sampled, clamp, s);
        else
            snprintf(R->cell_rule, sizeof R->cell_rule,
                     "auto: all incidents at one location, so the study box is cut into 30 "
                     "cells: %.0f m",
                     s);
    } else {
        snprintf(R->cell_rule, sizeof R->cell_rule, "given: %g m", par->cell);
    }
    double floored_cell = disc_cell(&par->disclosure, R->par.cell);
    if (floored_cell != R->par.cell) {
        size_t l = strlen(R->cell_rule);
        snprintf(R->cell_rule + l, sizeof R->cell_rule - l,
                 "; raised from %g m to the minimum %g m", R->par.cell, floored_cell);
        R->par.cell = floored_cell;
    }
    hz_append(why, whylen, "cell size %s\n", R->cell_rule);
}

/* Stage 3: the lattice, the study-area mask and the aggregation, one pass over the incidents
 * (each incident counted in its cell or as outside, in input order). */
static hz_status aggregate(hotspots_result *R, const hotspots_input *in, const hotspots_params *par,
                           hs_work *w, char *err, size_t errlen)
{
    const hz_points *pts = in->pts;
    const hotspots_region *g = region_of(in);
    size_t max = par->max_cells ? par->max_cells : HOTSPOTS_MAX_CELLS;
    hz_status rc =
        lattice_make(&w->L, par->shape == HOTSPOTS_HEX, R->par.cell, w->bb, max, err, errlen);
    if (rc != HZ_OK) return rc;
    R->L = w->L;
    w->ncell = (size_t)w->L.nrows * (size_t)w->L.ncols;
    assert(w->L.nrows > 0 && w->L.ncols > 0 && w->ncell <= max);
    w->mask = calloc(w->ncell, 1);
    w->val = calloc(w->ncell, sizeof *w->val);
    w->cnt = calloc(w->ncell, sizeof *w->cnt);
    if (!w->mask || !w->val || !w->cnt) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (g) {
        rc = region_mask(&w->L, g, w->mask, err, errlen);
        if (rc != HZ_OK) return rc;
    } else {
        memset(w->mask, 1, w->ncell);
    }
    for (size_t i = 0; i < pts->n; i++) {
        long c = cell_of(&w->L, pts->x[i], pts->y[i]);
        if (c < 0 || !w->mask[c]) {
            R->outside++;
            continue;
        }
        w->val[c] += pts->w ? pts->w[i] : 1.0;
        w->cnt[c]++;
        R->incidents++;
    }
    assert(R->incidents + R->outside == pts->n);
    for (size_t i = 0; i < w->ncell; i++)
        w->npresent += w->mask[i];
    if (w->npresent < 3)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "only %zu cell(s) of %g m in the study area: use a smaller --cell",
                       w->npresent, R->par.cell);
    if (R->incidents == 0)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "none of the %zu incidents lies in the study area's cells", pts->n);
    w->gl = (gistar_lattice){w->L.nrows, w->L.ncols, w->L.hex, w->L.s, w->val, w->mask};
    return HZ_OK;
}

/* Incremental spatial autocorrelation (ArcGIS's Incremental Spatial Autocorrelation /
 * Optimized Hot Spot Analysis): Moran's I z at ISA_STEPS bands from one cell spacing up, in
 * whole-cell steps, to about a tenth of the study box's diagonal, into R->isa_*. */
static hz_status moran_series(hotspots_result *R, const hs_work *w, int nthreads, char *err,
                              size_t errlen)
{
    double diag = hypot(w->bb[2] - w->bb[0], w->bb[3] - w->bb[1]);
    double steps = round((diag / 10 / w->L.s - 1) / (ISA_STEPS - 1));
    if (steps < 1) steps = 1;
    R->isa_n = 0;
    for (int k = 0; k < ISA_STEPS; k++) {
        double d = w->L.s * (1 + k * steps);
        hz_status rc = hz_cancel_status(err, errlen);
        if (rc != HZ_OK) return rc;
        gistar_stencil *s = gistar_stencil_new(&w->gl, d, err, errlen);
        if (!s) {
            if (k == 0) return HZ_EINVAL;
            break; /* a band beyond the stencil limit ends the series */
        }
        double I, zI;
        rc = gistar_lattice_moran(&w->gl, s, nthreads, &I, &zI, err, errlen);
        gistar_stencil_free(s);
        if (rc != HZ_OK) return rc;
        R->isa_d[k] = d;
        R->isa_I[k] = I;
        R->isa_z[k] = zI;
        R->isa_n = k + 1;
    }
    return HZ_OK;
}

/* One offset on the lattice and the squared distance, in cell spacings, between the centres. */
typedef struct knn_off {
    int dr, dc;
    double d2;
} knn_off;

static int knn_off_cmp(const void *a, const void *b)
{
    const knn_off *x = a, *y = b;
    if (x->d2 != y->d2) return x->d2 < y->d2 ? -1 : 1;
    if (x->dr != y->dr) return x->dr < y->dr ? -1 : 1;
    return (x->dc > y->dc) - (x->dc < y->dc);
}

/* The offsets from a cell of a row of the given parity to the other cells whose centres lie
 * within rad cell spacings of it, nearest first (hexagons: odd rows sit half a spacing east, so
 * the two parities differ). NULL on out of memory. */
static knn_off *knn_offsets(const lattice *L, int parity, double rad, size_t *n)
{
    double hs = L->hex ? L->h / L->s : 1.0; /* row spacing in cell spacings */
    int mr = (int)fmin(ceil(rad / hs), L->nrows - 1), mc = (int)fmin(ceil(rad) + 1, L->ncols);
    knn_off *o = malloc((size_t)(2 * mr + 1) * (size_t)(2 * mc + 1) * sizeof *o);
    if (!o) return NULL;
    *n = 0;
    for (int dr = -mr; dr <= mr; dr++)
        for (int dc = -mc; dc <= mc; dc++) {
            double dx = dc;
            if (L->hex) dx += 0.5 * ((parity + dr) % 2 != 0) - 0.5 * parity;
            double d2 = dx * dx + (dr * hs) * (dr * hs);
            if ((dr || dc) && d2 <= rad * rad) o[(*n)++] = (knn_off){dr, dc, d2};
        }
    qsort(o, *n, sizeof *o, knn_off_cmp);
    return o;
}

/* The k-th smallest distance (in cell sides) from cell q to the other cells of the study area, by
 * a scan of them all (k <= 30: a sorted list of the k smallest). */
static double kth_by_scan(const hs_work *w, size_t q, int k)
{
    const lattice *L = &w->L;
    double best[32], qx, qy;
    int nb = 0;
    assert(k >= 1 && k <= 32);
    cell_centre(L, (int)(q / (size_t)L->ncols), (int)(q % (size_t)L->ncols), &qx, &qy);
    for (size_t i = 0; i < w->ncell; i++) {
        if (!w->mask[i] || i == q) continue;
        double x, y;
        cell_centre(L, (int)(i / (size_t)L->ncols), (int)(i % (size_t)L->ncols), &x, &y);
        double d = hypot(x - qx, y - qy) / L->s;
        if (nb == k && d >= best[k - 1]) continue;
        int j = nb < k ? nb++ : k - 1;
        while (j > 0 && best[j - 1] > d) {
            best[j] = best[j - 1];
            j--;
        }
        best[j] = d;
    }
    assert(nb == k);
    return best[k - 1];
}

/* The cells left after the widest offset disc (isolated pockets of the study area), each by a
 * scan of every cell, within KNN_MAX_PAIRS. */
static hz_status kth_remaining(const hs_work *w, int k, const size_t *cell, const size_t *todo,
                               size_t ntodo, double *dist, char *err, size_t errlen)
{
    if ((double)ntodo * (double)w->ncell > KNN_MAX_PAIRS)
        return hz_fail(HZ_ELIMIT, err, errlen,
                       "%zu cells of the study area lie in pockets more than %.0f cells from %d "
                       "others: give the band (--band) or a larger cell",
                       ntodo, KNN_RAD_CAP, k);
    for (size_t t = 0; t < ntodo; t++) {
        hz_status rc = t % 64 == 0 ? hz_cancel_status(err, errlen) : HZ_OK;
        if (rc != HZ_OK) return rc;
        dist[todo[t]] = kth_by_scan(w, cell[todo[t]], k) * w->L.s;
    }
    return HZ_OK;
}

/* The mean, over the study area's cells (all of them, or every stride-th in row-major order so
 * that at most KNN_SAMPLE are used), of the distance between centres to the k-th nearest other
 * cell of the study area (k < npresent). Exact: each cell walks the offsets nearest first within
 * a disc, and the cells that do not meet k others in it are walked again in a disc twice as wide,
 * up to KNN_RAD_CAP cells (or one holding the whole lattice); cells still short of k are scanned
 * against every cell (kth_remaining). */
static hz_status mean_kth_cell_distance(const hs_work *w, int k, double *mean, size_t *sampled,
                                        char *err, size_t errlen)
{
    const lattice *L = &w->L;
    assert(k >= 1 && (size_t)k < w->npresent);
    size_t stride = (w->npresent + KNN_SAMPLE - 1) / KNN_SAMPLE, ns = 0, ntodo;
    size_t nsample = (w->npresent + stride - 1) / stride;
    size_t *cell = malloc(nsample * sizeof *cell), *todo = malloc(nsample * sizeof *todo);
    double *dist = malloc(nsample * sizeof *dist);
    hz_status rc = HZ_OK;
    if (!cell || !todo || !dist) rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0, j = 0; rc == HZ_OK && i < w->ncell; i++)
        if (w->mask[i] && j++ % stride == 0) {
            todo[ns] = ns;
            cell[ns++] = i;
        }
    assert(rc != HZ_OK || ns == nsample);
    ntodo = ns;
    double hs = L->hex ? L->h / L->s : 1.0;
    double radmax = fmin(hypot(L->nrows * hs, L->ncols + 1.0), KNN_RAD_CAP);
    double rad = fmin(ceil(sqrt(4.0 * k / M_PI)) + 1, radmax);
    while (rc == HZ_OK && ntodo > 0) {
        rc = hz_cancel_status(err, errlen);
        if (rc != HZ_OK) break;
        knn_off *off[2];
        size_t noff[2] = {0, 0};
        off[0] = knn_offsets(L, 0, rad, &noff[0]);
        off[1] = L->hex ? knn_offsets(L, 1, rad, &noff[1]) : off[0];
        noff[1] = L->hex ? noff[1] : noff[0];
        if (!off[0] || !off[1]) {
            rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        } else {
            size_t keep = 0;
            for (size_t t = 0; t < ntodo; t++) {
                size_t q = todo[t];
                int r = (int)(cell[q] / (size_t)L->ncols), c = (int)(cell[q] % (size_t)L->ncols);
                const knn_off *o = off[L->hex ? r & 1 : 0];
                int found = 0;
                for (size_t m = 0; m < noff[L->hex ? r & 1 : 0]; m++) {
                    int rr = r + o[m].dr, cc = c + o[m].dc;
                    if (rr < 0 || rr >= L->nrows || cc < 0 || cc >= L->ncols) continue;
                    if (w->mask[(size_t)rr * (size_t)L->ncols + (size_t)cc] && ++found == k) {
                        dist[q] = sqrt(o[m].d2) * L->s;
                        break;
                    }
                }
                if (found < k) todo[keep++] = q;
            }
            ntodo = keep;
        }
        if (off[1] != off[0]) free(off[1]);
        free(off[0]);
        if (rc == HZ_OK && ntodo > 0 && rad >= radmax) {
            rc = kth_remaining(w, k, cell, todo, ntodo, dist, err, errlen);
            ntodo = 0;
        }
        rad = fmin(2 * rad, radmax);
    }
    if (rc == HZ_OK) {
        double sum = 0;
        for (size_t q = 0; q < ns; q++)
            sum += dist[q];
        *mean = sum / (double)ns;
        *sampled = ns;
    }
    free(cell);
    free(todo);
    free(dist);
    return rc;
}

/* The auto band from the series: the first peak (a z higher than both neighbours) with
 * z >= 1.96, where clustering is most pronounced at the smallest scale. Without one, ArcGIS
 * Optimized Hot Spot Analysis's fallback (ArcGIS Pro help, "How Optimized Hot Spot Analysis
 * works"): the average over the features of the distance that gives each of them K
 * neighbours, K 5 % of the features within 3..30; here the features are the study area's cells
 * (zeros are data) and the distance is to the K-th nearest cell, centre to centre. A monotonic
 * series is what data with a trend across the study area give (a district-wide gradient): its
 * highest z is at the longest band tried, a map of the trend rather than of the clusters.
 * band_peak_only: 2 cell spacings instead of the fallback. */
static hz_status pick_band(hotspots_result *R, const hs_work *w, char *err, size_t errlen)
{
    int pick = -1, n = R->isa_n;
    for (int k = 1; k + 1 < n && pick < 0; k++)
        if (R->isa_z[k] > R->isa_z[k - 1] && R->isa_z[k] > R->isa_z[k + 1] && R->isa_z[k] >= 1.96)
            pick = k;
    if (pick >= 0) {
        R->par.band = R->isa_d[pick];
        snprintf(R->band_rule, sizeof R->band_rule,
                 "auto: first peak of Moran's I z-scores over %d bands %.0f..%.0f m "
                 "(incremental spatial autocorrelation): z = %.2f at %.0f m",
                 n, R->isa_d[0], R->isa_d[n - 1], R->isa_z[pick], R->par.band);
        return HZ_OK;
    }
    int best = 0;
    for (int k = 1; k < n; k++)
        if (R->isa_z[k] > R->isa_z[best]) best = k;
    if (R->par.band_peak_only) {
        R->par.band = 2 * w->L.s;
        snprintf(R->band_rule, sizeof R->band_rule,
                 "auto: no peak of Moran's I z-scores >= 1.96 over %d bands %.0f..%.0f m (highest "
                 "z %.2f at %.0f m), so 2 cell spacings are used: %.0f m",
                 n, R->isa_d[0], R->isa_d[n - 1], R->isa_z[best], R->isa_d[best], R->par.band);
        return HZ_OK;
    }
    double k5 = round(0.05 * (double)w->npresent);
    int k = (int)fmin(fmax(k5, 3), 30);
    if ((size_t)k >= w->npresent) k = (int)w->npresent - 1; /* npresent >= 3 (aggregate) */
    double mean;
    size_t sampled;
    hz_status rc = mean_kth_cell_distance(w, k, &mean, &sampled, err, errlen);
    if (rc != HZ_OK) return rc;
    R->par.band = mean;
    char of[96] = "";
    if (sampled < w->npresent) snprintf(of, sizeof of, " (%zu sampled evenly)", sampled);
    snprintf(R->band_rule, sizeof R->band_rule,
             "auto: no peak of Moran's I z-scores >= 1.96 over %d bands %.0f..%.0f m (highest z "
             "%.2f at %.0f m), so, as ArcGIS's Optimized Hot Spot Analysis, the mean distance "
             "from the study area's %zu cells%s to their K-th nearest cell, K = %d (5 %% of the "
             "cells, %.0f, within 3..30): %.0f m",
             n, R->isa_d[0], R->isa_d[n - 1], R->isa_z[best], R->isa_d[best], w->npresent, of, k,
             k5, R->par.band);
    return HZ_OK;
}

/* Stage 4: the neighbourhood - contiguity, a given band or the auto band - raised to the
 * disclosure floor and bounded by max_band_ratio. */
static hz_status choose_band(hotspots_result *R, const hs_work *w, const hotspots_params *par,
                             char *why, size_t whylen, char *err, size_t errlen)
{
    if (par->contiguity) {
        R->par.band = 0;
        snprintf(R->band_rule, sizeof R->band_rule, "queen contiguity (%s)",
                 w->L.hex ? "6 hexagons sharing an edge" : "8 squares sharing an edge or corner");
    } else if (par->band > 0) {
        snprintf(R->band_rule, sizeof R->band_rule, "given: %g m", par->band);
    } else {
        hz_status rc = moran_series(R, w, par->nthreads, err, errlen);
        if (rc != HZ_OK) return rc;
        rc = pick_band(R, w, err, errlen);
        if (rc != HZ_OK) return rc;
    }
    double floored_band = disc_band(&par->disclosure, R->par.band);
    if (!par->contiguity && floored_band != R->par.band) {
        size_t l = strlen(R->band_rule);
        snprintf(R->band_rule + l, sizeof R->band_rule - l,
                 "; raised from %g m to the minimum %g m", R->par.band, floored_band);
        R->par.band = floored_band;
    }
    /* The stencil holds about pi (band / cell)^2 cells and each cell sums 2 band / cell + 1 of
     * its rows: the ratio bounds the work per cell. */
    if (!par->contiguity && par->max_band_ratio > 0 && R->par.band > par->max_band_ratio * w->L.s)
        return hz_fail(HZ_ELIMIT, err, errlen,
                       "band: %g m is more than %g cells of %g m; use a shorter band or a larger "
                       "cell",
                       R->par.band, par->max_band_ratio, w->L.s);
    hz_append(why, whylen, "neighbourhood %s\n", R->band_rule);
    return HZ_OK;
}

/* Stage 5: Gi* (or Gi) of every cell on the lattice. */
static hz_status gi_star(const hotspots_result *R, hs_work *w, const hotspots_params *par,
                         char *err, size_t errlen)
{
    w->st = gistar_stencil_new(&w->gl, par->contiguity ? 0.0 : R->par.band, err, errlen);
    if (!w->st) return HZ_EINVAL;
    size_t nst = gistar_stencil_size(w->st);
    if (par->permutations > 0 && (double)w->npresent * par->permutations * (double)nst > 2e10)
        return hz_fail(HZ_ELIMIT, err, errlen,
                       "permutations: %d x %zu cells x %zu neighbours is too much work; use "
                       "fewer permutations, a larger cell or a smaller band",
                       par->permutations, w->npresent, nst);
    w->z = malloc(w->ncell * sizeof *w->z);
    w->p = malloc(w->ncell * sizeof *w->p);
    w->nbc = malloc(w->ncell * sizeof *w->nbc);
    w->pp = par->permutations > 0 ? malloc(w->ncell * sizeof *w->pp) : NULL;
    w->pf = malloc(w->npresent * sizeof *w->pf);
    if (!w->z || !w->p || !w->nbc || !w->pf || (par->permutations > 0 && !w->pp))
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    gistar_opts o;
    gistar_opts_init(&o);
    o.star = par->star;
    o.weights = par->weights;
    o.permutations = par->permutations;
    o.seed = par->seed;
    o.nthreads = par->nthreads;
    gistar_out go = {w->z, w->p, w->pp, w->nbc};
    return gistar_lattice_compute(&w->gl, w->st, &o, &go, err, errlen);
}

/* Stage 6: the study area's cells in row-major order, their BH-adjusted p and classes. */
static hz_status classify(hotspots_result *R, hs_work *w, const hotspots_params *par, char *why,
                          size_t whylen, char *err, size_t errlen)
{
    R->cells = malloc(w->npresent * sizeof *R->cells);
    if (!R->cells) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < w->ncell; i++) {
        if (!w->mask[i]) continue;
        hotspots_cell *c = &R->cells[k];
        c->row = (int)(i / (size_t)w->L.ncols);
        c->col = (int)(i % (size_t)w->L.ncols);
        cell_centre(&w->L, c->row, c->col, &c->cx, &c->cy);
        c->count = w->cnt[i];
        c->value = w->val[i];
        c->z = w->z[i];
        c->p = w->p[i];
        c->p_perm = w->pp ? w->pp[i] : NAN;
        c->neighbours = w->nbc[i];
        w->pf[k] = w->pp ? w->pp[i] : w->p[i];
        k++;
    }
    assert(k == w->npresent); /* cells[] holds exactly the mask's cells */
    R->ncells = k;
    if (par->fdr && gistar_fdr_bh(k, w->pf, w->pf) != HZ_OK)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; i < k; i++) {
        hotspots_cell *c = &R->cells[i];
        double basis = par->permutations > 0 ? c->p_perm : c->p;
        c->p_fdr = par->fdr ? w->pf[i] : NAN;
        double q = par->fdr ? c->p_fdr : basis;
        int conf = q <= 0.01 ? 99 : q <= 0.05 ? 95 : q <= 0.10 ? 90 : 0;
        c->confidence = c->z < 0 ? -conf : c->z > 0 ? conf : 0;
    }
    hz_append(why, whylen, "%zu cells of %.0f m (%s), %zu incidents in them, %zu outside\n", k,
              R->par.cell, w->L.hex ? "hexagons" : "squares", R->incidents, R->outside);
    return HZ_OK;
}

hz_status hotspots_compute(const hotspots_input *in, const hotspots_params *par,
                           hotspots_result **out, char *why, size_t whylen, char *err,
                           size_t errlen)
{
    *out = NULL;
    if (why && whylen) why[0] = 0;
    if (!in->pts || in->pts->n == 0)
        return hz_fail(HZ_EINVAL, err, errlen, "no incidents match the filters");
    hotspots_result *R = NULL;
    hs_work w = {0};
    hz_status rc = result_new(in, par, &R, err, errlen);
    if (rc == HZ_OK) rc = study_box(in, w.bb, err, errlen);
    if (rc == HZ_OK) {
        choose_cell(R, in->pts, w.bb, par, why, whylen);
        rc = aggregate(R, in, par, &w, err, errlen);
    }
    if (rc == HZ_OK) rc = hz_cancel_status(err, errlen);
    if (rc == HZ_OK) rc = choose_band(R, &w, par, why, whylen, err, errlen);
    if (rc == HZ_OK) rc = hz_cancel_status(err, errlen);
    if (rc == HZ_OK) rc = gi_star(R, &w, par, err, errlen);
    if (rc == HZ_OK) rc = hz_cancel_status(err, errlen);
    if (rc == HZ_OK) rc = classify(R, &w, par, why, whylen, err, errlen);
    work_free(&w);
    if (rc != HZ_OK) {
        hotspots_free(R);
        return rc;
    }
    *out = R;
    return HZ_OK;
}

/* ---- from the snapshot: areas as the study region ---- */

typedef struct ringbuf {
    size_t *start;
    int *group;
    double *xy;
    size_t nrings, rcap, npts, pcap;
} ringbuf;

static int rb_point(ringbuf *b, double x, double y)
{
    if (b->npts == b->pcap) {
        size_t cap = b->pcap ? b->pcap * 2 : 4096;
        double *n = realloc(b->xy, 2 * cap * sizeof *n);
        if (!n) return -1;
        b->xy = n;
        b->pcap = cap;
    }
    b->xy[2 * b->npts] = x;
    b->xy[2 * b->npts + 1] = y;
    b->npts++;
    return 0;
}

static int rb_ring(ringbuf *b, int group)
{
    if (b->nrings + 2 > b->rcap) {
        size_t cap = b->rcap ? b->rcap * 2 : 64;
        size_t *ns = realloc(b->start, cap * sizeof *ns);
        if (!ns) return -1;
        b->start = ns;
        int *ng = realloc(b->group, cap * sizeof *ng);
        if (!ng) return -1;
        b->group = ng;
        b->rcap = cap;
    }
    b->start[b->nrings] = b->npts;
    b->group[b->nrings] = group;
    b->nrings++;
    b->start[b->nrings] = b->npts;
    return 0;
}

typedef struct rb_ctx {
    ringbuf *b;
    int group;
} rb_ctx;

static int rb_wkb_ring(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy)
{
    rb_ctx *c = ud;
    (void)polygon;
    (void)ring;
    if (rb_ring(c->b, c->group)) return -1;
    for (size_t k = 0; k < n; k++)
        if (rb_point(c->b, xy[2 * k], xy[2 * k + 1])) return -1;
    c->b->start[c->b->nrings] = c->b->npts;
    return 0;
}

/* Appends the rings of a WKB (MULTI)POLYGON (lon/lat) as one group. 0 or -1 if malformed. */
static int rb_wkb(ringbuf *b, const unsigned char *wkb, size_t len, int group)
{
    rb_ctx c = {b, group};
    return wkb_polygon_rings(wkb, len, rb_wkb_ring, &c) ? -1 : 0;
}

hz_status hotspots_run_points(const incset *s, const char *area, const hz_points *pts,
                              const char *filters, int score, const hotspots_params *p,
                              hotspots_result **out, char *why, size_t whylen, char *err,
                              size_t errlen)
{
    *out = NULL;
    hz_status rc = HZ_OK;
    ringbuf rb = {0};
    workcrs *w = NULL;
    const hz_area *areas = incset_areas(s);
    size_t na = incset_area_count(s);
    int32_t only = area && area[0] ? incset_area_find(s, area) : -1;
    if (area && area[0] && only < 0)
        return hz_fail(HZ_EINVAL, err, errlen, "area: no area with code '%.64s'", area);
    int group = 0;
    for (size_t a = 0; a < na; a++) {
        if (only >= 0 ? (int32_t)a != only : areas[a].parent >= 0) continue;
        if (rb_wkb(&rb, areas[a].wkb, areas[a].wkb_len, group++)) {
            rc = hz_fail(HZ_EINVAL, err, errlen, "area %s: unreadable geometry", areas[a].code);
            goto done;
        }
    }
    hotspots_region reg = {rb.nrings, rb.start, rb.group, rb.xy};
    if (rb.npts) {
        w = workcrs_new(incset_work_srs(s), 0, 0, err, errlen);
        if (!w) {
            rc = HZ_ECRS;
            goto done;
        }
        /* lon/lat to working metres in place (x may alias lon): split the interleaved pairs */
        double *tmp = malloc(2 * rb.npts * sizeof *tmp);
        if (!tmp) {
            rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < rb.npts; i++) {
            tmp[i] = rb.xy[2 * i];
            tmp[rb.npts + i] = rb.xy[2 * i + 1];
        }
        rc = workcrs_forward(w, rb.npts, tmp, tmp + rb.npts, tmp, tmp + rb.npts);
        for (size_t i = 0; i < rb.npts; i++) {
            rb.xy[2 * i] = tmp[i];
            rb.xy[2 * i + 1] = tmp[rb.npts + i];
        }
        free(tmp);
        if (rc != HZ_OK) {
            hz_fail(rc, err, errlen, "projecting the areas to %s failed", incset_work_srs(s));
            goto done;
        }
    }
    hotspots_input in = {pts,   rb.npts ? &reg : NULL, incset_work_srs(s), filters,
                         score, incset_data_version(s)};
    rc = hotspots_compute(&in, p, out, why, whylen, err, errlen);
done:
    workcrs_free(w);
    free(rb.start);
    free(rb.group);
    free(rb.xy);
    return rc;
}

hz_status hotspots_run(const incset *s, const hz_filter *f, const hotspots_params *p,
                       hotspots_result **out, char *why, size_t whylen, char *err, size_t errlen)
{
    *out = NULL;
    hz_points pts;
    hz_status rc = incset_select(s, f, &pts, err, errlen);
    if (rc != HZ_OK) return rc;
    char filters[1024];
    filter_canonical(f, filters, sizeof filters);
    rc = hotspots_run_points(s, f->area, &pts, filters, f->weight == HZ_WEIGHT_SCORE, p, out, why,
                             whylen, err, errlen);
    hz_points_free(&pts);
    return rc;
}

/* ---- output: provenance and outlines (the GeoJSON writer is hotspots_json.c) ---- */

json_t *hotspots_provenance(const hotspots_result *r)
{
    const hotspots_params *p = &r->par;
    json_t *isa = json_array();
    for (int k = 0; k < r->isa_n; k++)
        json_array_append_new(isa, json_pack("{s:f, s:f, s:f}", "distance", r->isa_d[k], "moran_i",
                                             r->isa_I[k], "z", r->isa_z[k]));
    json_t *pv = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:f, s:s, s:s, s:s, s:b, s:s, s:s, s:s, "
        "s:I, s:I, s:I, s:o, s:o}",
        "filters", r->filters, "method",
        "Getis-Ord local statistic on aggregated cells (Getis & Ord 1992; Ord & Getis 1995), "
        "as ArcGIS Hot Spot Analysis and R spdep localG",
        "statistic", p->star ? "Gi*" : "Gi", "weights",
        p->weights == GISTAR_ROW ? "row-standardised" : "binary", "neighbourhood",
        p->contiguity ? "queen contiguity" : "distance band", "value",
        r->score ? "score (severity-weighted)" : "count", "band",
        p->contiguity ? json_null() : json_real(p->band), "band_rule", r->band_rule, "cell_size",
        p->cell, "cell_rule", r->cell_rule, "shape", p->shape == HOTSPOTS_HEX ? "hex" : "square",
        "study_area",
        "cells whose centre lies in the union of the study areas (the filter's area, else every "
        "top-level area; none loaded: the incidents' bounding box); empty cells are zeros",
        "fdr", p->fdr, "p_basis",
        p->permutations > 0 ? "conditional permutation, two-sided" : "normal, two-sided", "classes",
        "99/95/90 % on p_fdr (p when fdr is off)", "work_srs", r->work_srs, "incidents",
        (json_int_t)r->incidents, "incidents_outside", (json_int_t)r->outside, "cells",
        (json_int_t)r->ncells, "data_version",
        r->data_version >= 0 ? json_integer(r->data_version) : json_null(), "incremental_moran",
        isa);
    /* Gi* is compared with the normal distribution; with fewer than one incident per cell on
     * average most cells are 0 and a single incident reaches a large z (Getis & Ord 1995 ask
     * for enough neighbours with data; ArcGIS warns below 30 features with values). */
    double mean = r->ncells ? (double)r->incidents / (double)r->ncells : 0.0;
    if (pv && mean < 1.0) {
        char w[256];
        snprintf(w, sizeof w,
                 "mean count per cell is %.3g (below 1): the normal approximation of Gi* is poor "
                 "for such sparse counts; use a larger cell",
                 mean);
        json_object_set_new(pv, "warning", json_string(w));
    }
    if (pv) json_object_set_new(pv, "mean_count_per_cell", json_real(mean));
    if (pv) json_object_set_new(pv, "without_point", json_integer((json_int_t)r->without_point));
    if (pv) json_object_set_new(pv, "counted", json_string(r->counted));
    if (pv)
        json_object_set_new(pv, "linked_duplicates",
                            json_integer((json_int_t)r->linked_duplicates));
    if (pv && p->permutations > 0) {
        json_object_set_new(pv, "permutations", json_integer(p->permutations));
        json_object_set_new(pv, "seed", json_integer((json_int_t)p->seed));
    }
    return pv;
}

hz_status hotspots_outlines(const hotspots_result *r, double **lon, double **lat, int *nv,
                            char *err, size_t errlen)
{
    *lon = *lat = NULL;
    int hex = r->par.shape == HOTSPOTS_HEX;
    *nv = hex ? 6 : 4;
    size_t nvert = r->ncells * (size_t)*nv;
    double *x = malloc((nvert ? nvert : 1) * sizeof *x),
           *y = malloc((nvert ? nvert : 1) * sizeof *y);
    workcrs *w = workcrs_new(r->work_srs, 0, 0, err, errlen);
    hz_status rc = HZ_OK;
    if (!w)
        rc = HZ_ECRS;
    else if (!x || !y)
        rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    double s = r->par.cell;
    for (size_t i = 0; rc == HZ_OK && i < r->ncells; i++) {
        const hotspots_cell *c = &r->cells[i];
        for (int v = 0; v < *nv; v++) {
            double vx, vy;
            if (hex) {
                /* pointy-top: vertices at 90 + 60 k degrees, circumradius s / sqrt 3 */
                double a = (90.0 + 60.0 * v) * M_PI / 180.0, R = s / sqrt(3.0);
                vx = c->cx + R * cos(a);
                vy = c->cy + R * sin(a);
            } else {
                static const double sx[4] = {-0.5, 0.5, 0.5, -0.5}, sy[4] = {-0.5, -0.5, 0.5, 0.5};
                vx = c->cx + sx[v] * s;
                vy = c->cy + sy[v] * s;
            }
            x[i * (size_t)*nv + (size_t)v] = vx;
            y[i * (size_t)*nv + (size_t)v] = vy;
        }
    }
    if (rc == HZ_OK && workcrs_inverse(w, nvert, x, y, x, y) != HZ_OK)
        rc = hz_fail(HZ_ECRS, err, errlen, "cell outlines: inverse projection from %s failed",
                     r->work_srs);
    workcrs_free(w);
    if (rc != HZ_OK) {
        free(x);
        free(y);
        return rc;
    }
    *lon = x;
    *lat = y;
    return HZ_OK;
}

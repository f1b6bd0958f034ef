/* areaindex.c - grid-accelerated point-in-polygon lookup of the most specific area (areaindex.h).
 *
 * Layout. Areas are ordered by precedence: community before subdistrict before district, then by
 * code; prec = position in that order, lower wins. All ring vertices live in one array xy[]
 * (rings closed, so edge i runs from vertex i to vertex i+1 inside a ring). A uniform grid covers
 * the bounding box of all areas. Each cell holds
 *   - inside: the best prec of the areas that contain the whole cell (no edge of theirs crosses
 *     it and its reference point is inside), or -1;
 *   - candidates: the areas (better than inside) with an edge crossing the cell, each with the
 *     edges crossing the cell and whether the cell's reference point R is inside that area.
 * A point P in a boundary cell is inside an area iff R's state flipped by the parity of crossings
 * of the segment P-R with the cell's edges of that area: P-R lies in the cell, so only those edges
 * can cross it (the Jordan curve theorem; the same idea as the "cell center" trick of S2's
 * S2ShapeIndex). R is put at an odd offset from the cell centre so that vertices and axis-parallel
 * edges of real data do not fall on it; vertices lying exactly on the line P-R are perturbed
 * symbolically to one side (orientation 0 counts as positive) so each is counted consistently.
 * Reference states are computed per grid row with an even-odd scanline (Franklin's PNPOLY rule).
 *
 * Invariant: after areaindex_new() nothing is written, so lookups are thread-safe. */
#include "hazmap/areaindex.h"
#include "hazmap/wkb.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reference point offsets within a cell (fractions of its width and height). */
#define REF_FX 0.5123456789
#define REF_FY 0.4876543211

typedef struct ai_area {
    char *code;
    char *name, *parent;     /* name as stored; parent code or NULL */
    int rank;                /* 3 community, 2 subdistrict, 1 district */
    size_t ring_off, nrings; /* into ring_start/ring_end */
    double minx, miny, maxx, maxy;
} ai_area;

typedef struct ai_cand {
    int32_t prec;
    int32_t ref_inside;
    uint32_t edge_off, nedges; /* into edges[] */
} ai_cand;

typedef struct ai_cell {
    int32_t inside;
    uint32_t cand_off, ncand;
} ai_cell;

/* A key an area can be named by in a record (areaindex_resolve()): its code, its name, or its
 * name without its level suffix. keys[] is sorted by (kind, key). */
enum { KEY_CODE, KEY_NAME, KEY_SHORT };
typedef struct ai_key {
    int kind;
    const char *key; /* borrowed from the area, or owned (short) when owned is set */
    size_t len;
    uint32_t area;
    int owned;
} ai_key;

struct areaindex {
    ai_area *areas; /* in precedence order */
    size_t narea;
    ai_key *keys;
    size_t nkeys;
    double *xy;                    /* x0 y0 x1 y1 ... */
    size_t nxy, capxy;             /* in vertices */
    size_t *ring_start, *ring_end; /* vertex ranges [start, end) */
    size_t nring, capring;
    double x0, y0, cw, ch;
    int nx, ny;
    ai_cell *cells;
    ai_cand *cands;
    size_t ncand;
    uint32_t *edges;
    size_t nedges;
};

/* ---- growable arrays used while building ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* ---- WKB ---- */

typedef struct ring_ctx {
    areaindex *ai;
    ai_area *a;
} ring_ctx;

/* Appends one ring of an area (closing it if the source did not); rings of fewer than 4
 * points enclose nothing and are skipped. */
static int add_ring(void *ud, uint32_t polygon, uint32_t ring, size_t npts, const double *xy)
{
    ring_ctx *c = ud;
    areaindex *ai = c->ai;
    ai_area *a = c->a;
    (void)polygon;
    (void)ring;
    if (npts < 4) return 0;
    if (grow((void **)&ai->xy, &ai->capxy, (ai->nxy + npts + 1) * 2, sizeof *ai->xy) < 0 ||
        grow((void **)&ai->ring_start, &ai->capring, ai->nring + 1, sizeof(size_t)) < 0)
        return -1;
    size_t cap = ai->capring;
    if (!ai->ring_end || cap > ai->nring) {
        size_t *q = realloc(ai->ring_end, cap * sizeof *q);
        if (!q) return -1;
        ai->ring_end = q;
    }
    size_t s = ai->nxy;
    for (size_t k = 0; k < npts; k++) {
        double x = xy[2 * k], y = xy[2 * k + 1];
        if (!isfinite(x) || !isfinite(y)) return -1;
        ai->xy[2 * ai->nxy] = x;
        ai->xy[2 * ai->nxy + 1] = y;
        ai->nxy++;
        if (x < a->minx) a->minx = x;
        if (x > a->maxx) a->maxx = x;
        if (y < a->miny) a->miny = y;
        if (y > a->maxy) a->maxy = y;
    }
    if (ai->xy[2 * s] != ai->xy[2 * (ai->nxy - 1)] ||
        ai->xy[2 * s + 1] != ai->xy[2 * (ai->nxy - 1) + 1]) {
        ai->xy[2 * ai->nxy] = ai->xy[2 * s];
        ai->xy[2 * ai->nxy + 1] = ai->xy[2 * s + 1];
        ai->nxy++;
    }
    ai->ring_start[ai->nring] = s;
    ai->ring_end[ai->nring] = ai->nxy;
    ai->nring++;
    a->nrings++;
    return 0;
}

static int parse_area_wkb(areaindex *ai, ai_area *a, const unsigned char *wkb, size_t len)
{
    a->ring_off = ai->nring;
    a->minx = a->miny = INFINITY;
    a->maxx = a->maxy = -INFINITY;
    ring_ctx c = {ai, a};
    return wkb_polygon_rings(wkb, len, add_ring, &c) ? -1 : 0;
}

typedef struct build {
    areaindex *ai;
    int failed;
    char *err;
    size_t errlen;
} build;

static int level_rank(const char *level)
{
    if (!level) return 0;
    if (strcmp(level, "community") == 0) return 3;
    if (strcmp(level, "subdistrict") == 0) return 2;
    if (strcmp(level, "district") == 0) return 1;
    return 0;
}

static int collect_cb(void *ud, const hz_area_rec *rec)
{
    build *b = ud;
    areaindex *ai = b->ai;
    ai_area *na = realloc(ai->areas, (ai->narea + 1) * sizeof *na);
    if (!na) {
        b->failed = 1;
        hz_fail(HZ_ENOMEM, b->err, b->errlen, "out of memory");
        return 1;
    }
    ai->areas = na;
    ai_area *a = &ai->areas[ai->narea];
    memset(a, 0, sizeof *a);
    a->rank = level_rank(rec->level);
    if (!(a->code = strdup(rec->code)) || !(a->name = strdup(rec->name ? rec->name : "")) ||
        (rec->parent_code && !(a->parent = strdup(rec->parent_code))) ||
        parse_area_wkb(ai, a, rec->wkb, rec->wkb_len) < 0) {
        free(a->code);
        free(a->name);
        free(a->parent);
        b->failed = 1;
        hz_fail(HZ_EINVAL, b->err, b->errlen, "area %s: unreadable geometry", rec->code);
        return 1;
    }
    ai->narea++;
    return 0;
}

/* Most specific level first; store_areas_scan() already ordered by code and qsort is not
 * stable, so the code breaks ties. */
static int area_cmp(const void *pa, const void *pb)
{
    const ai_area *a = pa, *b = pb;
    if (a->rank != b->rank) return b->rank - a->rank;
    return strcmp(a->code, b->code);
}

/* ---- grid construction ---- */

typedef struct pair {
    uint32_t cell, edge;
} pair;

static int pair_cmp(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->cell != b->cell) return a->cell < b->cell ? -1 : 1;
    return a->edge < b->edge ? -1 : a->edge > b->edge;
}

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

static int clampi(double v, int n)
{
    if (!(v >= 0)) return 0;
    if (v >= n) return n - 1;
    return (int)v;
}

typedef struct tmp_cand {
    uint32_t cell;
    ai_cand c;
} tmp_cand;

/* The scratch of build_grid(), freed by it alone (the edges move into the index at the end). */
typedef struct grid_build {
    uint8_t *boundary; /* per cell: 1 while the area being indexed has an edge crossing it */
    double *cross;     /* one row's crossings of the reference line */
    size_t capcross;
    pair *pairs; /* the area's (cell, edge) pairs, sorted by cell */
    size_t npairs, cappairs;
    tmp_cand *tc; /* the candidates of every area, in precedence order */
    size_t ntc, captc;
    uint32_t *edges; /* each candidate's edges, one run per candidate */
    size_t nedges, capedges;
} grid_build;

/* The index of cell (cx, cy), inside the grid. */
static uint32_t cell_at(const areaindex *ai, int cx, int cy)
{
    assert(cx >= 0 && cx < ai->nx && cy >= 0 && cy < ai->ny);
    return (uint32_t)((size_t)cy * ai->nx + cx);
}

/* Lays the grid over the bounding box of all areas: x0, y0, cw, ch, nx, ny. 0 when there is
 * nothing to index (no rings), else 1. */
static int lay_grid(areaindex *ai)
{
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < ai->narea; i++) {
        ai_area *a = &ai->areas[i];
        if (a->nrings == 0) continue;
        if (a->minx < minx) minx = a->minx;
        if (a->miny < miny) miny = a->miny;
        if (a->maxx > maxx) maxx = a->maxx;
        if (a->maxy > maxy) maxy = a->maxy;
    }
    if (!(minx <= maxx)) return 0;
    double w = maxx - minx, h = maxy - miny;
    if (w <= 0) w = 1e-9;
    if (h <= 0) h = 1e-9;
    /* about two cells per vertex keeps boundary cells down to a few edges each */
    double target = (double)ai->nxy * 2;
    if (target < 4096) target = 4096;
    if (target > 4e6) target = 4e6;
    double cs = sqrt(w * h / target);
    ai->nx = (int)ceil(w / cs);
    ai->ny = (int)ceil(h / cs);
    if (ai->nx < 1) ai->nx = 1;
    if (ai->ny < 1) ai->ny = 1;
    if (ai->nx > 4096) ai->nx = 4096;
    if (ai->ny > 4096) ai->ny = 4096;
    ai->cw = w / ai->nx;
    ai->ch = h / ai->ny;
    ai->x0 = minx;
    ai->y0 = miny;
    return 1;
}

/* Step 1: the cells each edge of area a crosses, as sorted (cell, edge) pairs, and their
 * boundary flags. Walks each edge in pieces no longer than half a cell and marks every cell
 * touched by a piece's bounding box (conservative). -1 when out of memory. */
static int edge_cells(const areaindex *ai, const ai_area *a, grid_build *gb)
{
    gb->npairs = 0;
    double step = 0.5 * (ai->cw < ai->ch ? ai->cw : ai->ch);
    double ex = ai->cw * 1e-7, ey = ai->ch * 1e-7;
    for (size_t ri = a->ring_off; ri < a->ring_off + a->nrings; ri++) {
        for (size_t v = ai->ring_start[ri]; v + 1 < ai->ring_end[ri]; v++) {
            double ax = ai->xy[2 * v], ay = ai->xy[2 * v + 1];
            double bx = ai->xy[2 * v + 2], by = ai->xy[2 * v + 3];
            double len = fmax(fabs(bx - ax), fabs(by - ay));
            int k = (int)ceil(len / step);
            if (k < 1) k = 1;
            for (int s = 0; s < k; s++) {
                double t0 = (double)s / k, t1 = (double)(s + 1) / k;
                double px = ax + (bx - ax) * t0, py = ay + (by - ay) * t0;
                double qx = ax + (bx - ax) * t1, qy = ay + (by - ay) * t1;
                int cx0 = clampi((fmin(px, qx) - ex - ai->x0) / ai->cw, ai->nx);
                int cx1 = clampi((fmax(px, qx) + ex - ai->x0) / ai->cw, ai->nx);
                int cy0 = clampi((fmin(py, qy) - ey - ai->y0) / ai->ch, ai->ny);
                int cy1 = clampi((fmax(py, qy) + ey - ai->y0) / ai->ch, ai->ny);
                for (int cy = cy0; cy <= cy1; cy++)
                    for (int cx = cx0; cx <= cx1; cx++) {
                        if (grow((void **)&gb->pairs, &gb->cappairs, gb->npairs + 1,
                                 sizeof *gb->pairs) < 0)
                            return -1;
                        gb->pairs[gb->npairs++] = (pair){cell_at(ai, cx, cy), (uint32_t)v};
                    }
            }
        }
    }
    if (gb->npairs > 1) qsort(gb->pairs, gb->npairs, sizeof *gb->pairs, pair_cmp);
    for (size_t i = 0; i < gb->npairs; i++)
        gb->boundary[gb->pairs[i].cell] = 1;
    return 0;
}

/* The x of every crossing of area a's edges with the line y = ry, sorted, into gb->cross;
 * *nc counts them. -1 when out of memory. */
static int row_crossings(const areaindex *ai, const ai_area *a, double ry, grid_build *gb,
                         size_t *nc)
{
    *nc = 0;
    for (size_t ri = a->ring_off; ri < a->ring_off + a->nrings; ri++) {
        for (size_t v = ai->ring_start[ri]; v + 1 < ai->ring_end[ri]; v++) {
            double ax = ai->xy[2 * v], ay = ai->xy[2 * v + 1];
            double bx = ai->xy[2 * v + 2], by = ai->xy[2 * v + 3];
            if ((ay > ry) != (by > ry)) {
                if (grow((void **)&gb->cross, &gb->capcross, *nc + 1, sizeof *gb->cross) < 0)
                    return -1;
                gb->cross[(*nc)++] = ax + (ry - ay) * (bx - ax) / (by - ay);
            }
        }
    }
    if (*nc > 1) qsort(gb->cross, *nc, sizeof *gb->cross, dbl_cmp);
    return 0;
}

/* Makes area prec a candidate of boundary cell `cell` with its reference state: its edges are
 * the pairs with this cell, found from *pi on. Cells come in ascending order and the pairs are
 * sorted by cell, so *pi only grows. -1 when out of memory. */
static int add_candidate(grid_build *gb, uint32_t cell, int32_t prec, int inside, size_t *pi)
{
    while (*pi < gb->npairs && gb->pairs[*pi].cell < cell)
        (*pi)++;
    uint32_t off = (uint32_t)gb->nedges;
    uint32_t prev = UINT32_MAX;
    for (size_t pe = *pi; pe < gb->npairs && gb->pairs[pe].cell == cell; pe++) {
        if (gb->pairs[pe].edge == prev) continue;
        if (grow((void **)&gb->edges, &gb->capedges, gb->nedges + 1, sizeof *gb->edges) < 0)
            return -1;
        gb->edges[gb->nedges++] = prev = gb->pairs[pe].edge;
    }
    assert(gb->nedges > off); /* a boundary cell has an edge of the area crossing it */
    if (grow((void **)&gb->tc, &gb->captc, gb->ntc + 1, sizeof *gb->tc) < 0) return -1;
    gb->tc[gb->ntc++] = (tmp_cand){cell, {prec, inside, off, (uint32_t)gb->nedges - off}};
    return 0;
}

/* Step 2: area ia's reference-point states over its cells, row by row (even-odd scanline):
 * a cell it wholly covers gets it as `inside` unless a better area did first; a boundary cell
 * gets it as a candidate. -1 when out of memory. */
static int scan_rows(areaindex *ai, size_t ia, grid_build *gb)
{
    const ai_area *a = &ai->areas[ia];
    int cx0 = clampi((a->minx - ai->x0) / ai->cw, ai->nx);
    int cx1 = clampi((a->maxx - ai->x0) / ai->cw, ai->nx);
    int cy0 = clampi((a->miny - ai->y0) / ai->ch, ai->ny);
    int cy1 = clampi((a->maxy - ai->y0) / ai->ch, ai->ny);
    size_t pi = 0;
    for (int cy = cy0; cy <= cy1; cy++) {
        size_t nc;
        if (row_crossings(ai, a, ai->y0 + (cy + REF_FY) * ai->ch, gb, &nc) < 0) return -1;
        size_t ci = 0;
        for (int cx = cx0; cx <= cx1; cx++) {
            double rx = ai->x0 + (cx + REF_FX) * ai->cw;
            while (ci < nc && gb->cross[ci] < rx)
                ci++;
            int inside = (int)(ci & 1);
            uint32_t cell = cell_at(ai, cx, cy);
            ai_cell *c = &ai->cells[cell];
            if (c->inside >= 0) continue; /* a better area already covers the whole cell */
            if (!gb->boundary[cell]) {
                if (inside) c->inside = (int32_t)ia;
                continue;
            }
            if (add_candidate(gb, cell, (int32_t)ia, inside, &pi) < 0) return -1;
        }
    }
    return 0;
}

/* Step 3: the candidates grouped by cell into ai->cands (counting sort, stable: precedence
 * order kept), dropping those worse than an area covering the whole cell (they can never
 * win); the edges move to ai. -1 when out of memory. */
static int group_candidates(areaindex *ai, grid_build *gb)
{
    size_t ncells = (size_t)ai->nx * ai->ny;
    for (size_t i = 0; i < gb->ntc; i++)
        ai->cells[gb->tc[i].cell].ncand++;
    uint32_t acc = 0;
    for (size_t c = 0; c < ncells; c++) {
        ai->cells[c].cand_off = acc;
        acc += ai->cells[c].ncand;
        ai->cells[c].ncand = 0;
    }
    assert(acc == gb->ntc);
    ai->cands = malloc((gb->ntc ? gb->ntc : 1) * sizeof *ai->cands);
    if (!ai->cands) return -1;
    for (size_t i = 0; i < gb->ntc; i++) {
        ai_cell *c = &ai->cells[gb->tc[i].cell];
        if (c->inside >= 0 && gb->tc[i].c.prec > c->inside) continue;
        /* the header's layout: candidates are better than inside */
        assert(c->inside < 0 || gb->tc[i].c.prec < c->inside);
        ai->cands[c->cand_off + c->ncand++] = gb->tc[i].c;
        assert(c->cand_off + c->ncand <= gb->ntc);
    }
    ai->ncand = gb->ntc;
    ai->edges = gb->edges;
    ai->nedges = gb->nedges;
    gb->edges = NULL;
    return 0;
}

/* The grid of the header comment: lays it out, then per area (in precedence order) steps 1
 * and 2, then step 3. The scratch is freed here whether they succeed or not. */
static int build_grid(areaindex *ai)
{
    if (!lay_grid(ai)) return 0; /* nothing to index */
    assert(ai->nx >= 1 && ai->nx <= 4096 && ai->ny >= 1 && ai->ny <= 4096);
    size_t ncells = (size_t)ai->nx * ai->ny;
    grid_build gb;
    memset(&gb, 0, sizeof gb);
    ai->cells = calloc(ncells, sizeof *ai->cells);
    gb.boundary = calloc(ncells, 1);
    int rc = ai->cells && gb.boundary ? 0 : -1;
    for (size_t c = 0; rc == 0 && c < ncells; c++)
        ai->cells[c].inside = -1;
    for (size_t ia = 0; rc == 0 && ia < ai->narea; ia++) {
        if (ai->areas[ia].nrings == 0) continue;
        if (edge_cells(ai, &ai->areas[ia], &gb) < 0 || scan_rows(ai, ia, &gb) < 0) rc = -1;
        for (size_t i = 0; i < gb.npairs; i++)
            gb.boundary[gb.pairs[i].cell] = 0;
    }
    if (rc == 0) rc = group_candidates(ai, &gb);
    free(gb.boundary);
    free(gb.cross);
    free(gb.pairs);
    free(gb.tc);
    free(gb.edges);
    return rc;
}

/* ---- areas by code and name ---- */

/* The level suffixes of Chinese administrative names (the common short form drops them:
 * 春熙路街道 -> 春熙路). */
static const char *const level_suffixes[] = {"街道办事处", "街道", "社区", "镇", "乡", NULL};

/* The length of s[0..len) without its level suffix, or len when it has none (or would be empty
 * without it). */
static size_t short_len(const char *s, size_t len)
{
    for (int i = 0; level_suffixes[i]; i++) {
        size_t k = strlen(level_suffixes[i]);
        if (len > k && memcmp(s + len - k, level_suffixes[i], k) == 0) return len - k;
    }
    return len;
}

static int key_cmp(const void *pa, const void *pb)
{
    const ai_key *a = pa, *b = pb;
    if (a->kind != b->kind) return a->kind - b->kind;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->key, b->key, n);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

static int build_keys(areaindex *ai)
{
    ai->keys = malloc((3 * ai->narea + 1) * sizeof *ai->keys);
    if (!ai->keys) return -1;
    for (size_t i = 0; i < ai->narea; i++) {
        const ai_area *a = &ai->areas[i];
        size_t nl = strlen(a->name), sl = short_len(a->name, nl);
        ai->keys[ai->nkeys++] = (ai_key){KEY_CODE, a->code, strlen(a->code), (uint32_t)i, 0};
        if (nl) ai->keys[ai->nkeys++] = (ai_key){KEY_NAME, a->name, nl, (uint32_t)i, 0};
        if (sl < nl) ai->keys[ai->nkeys++] = (ai_key){KEY_SHORT, a->name, sl, (uint32_t)i, 0};
    }
    qsort(ai->keys, ai->nkeys, sizeof *ai->keys, key_cmp);
    return 0;
}

/* The range [*lo, *hi) of keys equal to (kind, s[0..len)). */
static void key_range(const areaindex *ai, int kind, const char *s, size_t len, size_t *lo,
                      size_t *hi)
{
    ai_key probe = {kind, s, len, 0, 0};
    size_t a = 0, b = ai->nkeys;
    while (a < b) { /* lower bound */
        size_t m = a + (b - a) / 2;
        if (key_cmp(&ai->keys[m], &probe) < 0)
            a = m + 1;
        else
            b = m;
    }
    *lo = a;
    while (a < ai->nkeys && key_cmp(&ai->keys[a], &probe) == 0)
        a++;
    *hi = a;
}

/* Adds the areas of keys [lo, hi) to the match list: count, the first code, the listing. */
typedef struct matches {
    int n;
    const char *code;
    char *list;
    size_t listlen, used;
} matches;

static void add_matches(const areaindex *ai, size_t lo, size_t hi, matches *m)
{
    for (size_t k = lo; k < hi; k++) {
        const ai_area *a = &ai->areas[ai->keys[k].area];
        if (m->n++ == 0) m->code = a->code;
        if (m->list && m->n <= 4 && m->used < m->listlen) {
            snprintf(m->list + m->used, m->listlen - m->used, "%s%s (%s)", m->used ? ", " : "",
                     a->code, a->name);
            m->used += strlen(m->list + m->used);
        }
    }
}

int areaindex_resolve(const areaindex *ai, const char *text, const char **code, char *list,
                      size_t listlen)
{
    matches m = {0, NULL, list, list ? listlen : 0, 0};
    *code = NULL;
    if (m.listlen) list[0] = 0;
    while (*text == ' ' || *text == '\t')
        text++;
    size_t len = strlen(text);
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (!len) return 0;
    size_t lo, hi;
    key_range(ai, KEY_CODE, text, len, &lo, &hi);
    add_matches(ai, lo, hi, &m);
    if (!m.n) {
        key_range(ai, KEY_NAME, text, len, &lo, &hi);
        add_matches(ai, lo, hi, &m);
    }
    if (!m.n) {
        /* the short forms: 春熙路 for 春熙路街道, and 春熙路街道 for an area stored as 春熙路 (an
         * area has a short key only when its name has a suffix, so no area is counted twice) */
        size_t sl = short_len(text, len);
        key_range(ai, KEY_SHORT, text, sl, &lo, &hi);
        add_matches(ai, lo, hi, &m);
        if (sl < len) {
            key_range(ai, KEY_NAME, text, sl, &lo, &hi);
            add_matches(ai, lo, hi, &m);
        }
    }
    if (m.n == 1) *code = m.code;
    return m.n;
}

int areaindex_within(const areaindex *ai, const char *code, const char *anc)
{
    /* up the parent chain; at most narea steps, so a cycle in bad data ends */
    for (size_t step = 0; code && step <= ai->narea; step++) {
        if (strcmp(code, anc) == 0) return 1;
        size_t lo, hi;
        key_range(ai, KEY_CODE, code, strlen(code), &lo, &hi);
        code = hi > lo ? ai->areas[ai->keys[lo].area].parent : NULL;
    }
    return 0;
}

areaindex *areaindex_new(store *st, char *err, size_t errlen)
{
    areaindex *ai = calloc(1, sizeof *ai);
    if (!ai) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    build b = {ai, 0, err, errlen};
    if (store_areas_scan(st, collect_cb, &b, err, errlen) != HZ_OK || b.failed) {
        areaindex_free(ai);
        return NULL;
    }
    /* sorting moves the areas, not their rings (ring_off stays valid) */
    if (ai->narea > 1) qsort(ai->areas, ai->narea, sizeof *ai->areas, area_cmp);
    if (build_grid(ai) < 0 || build_keys(ai) < 0) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory building the area index");
        areaindex_free(ai);
        return NULL;
    }
    return ai;
}

size_t areaindex_count(const areaindex *ai)
{
    return ai->narea;
}

/* Orientation of c relative to a->b; >= 0 counts as left (symbolic perturbation of zero). */
static inline int left_of(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) >= 0;
}

const char *areaindex_locate(const areaindex *ai, double lon, double lat)
{
    if (!ai->cells || !isfinite(lon) || !isfinite(lat)) return NULL;
    double fx = (lon - ai->x0) / ai->cw, fy = (lat - ai->y0) / ai->ch;
    if (fx < 0 || fy < 0 || fx > ai->nx || fy > ai->ny) return NULL;
    int cx = fx >= ai->nx ? ai->nx - 1 : (int)fx;
    int cy = fy >= ai->ny ? ai->ny - 1 : (int)fy;
    const ai_cell *c = &ai->cells[(size_t)cy * ai->nx + cx];
    double rx = ai->x0 + (cx + REF_FX) * ai->cw, ry = ai->y0 + (cy + REF_FY) * ai->ch;
    for (uint32_t i = 0; i < c->ncand; i++) {
        const ai_cand *k = &ai->cands[c->cand_off + i];
        int parity = k->ref_inside;
        for (uint32_t e = 0; e < k->nedges; e++) {
            const double *p = &ai->xy[2 * (size_t)ai->edges[k->edge_off + e]];
            double ax = p[0], ay = p[1], bx = p[2], by = p[3];
            /* the edge's ends on opposite sides of line P-R, and P, R on opposite sides of the
             * edge's line: the segments cross */
            if (left_of(lon, lat, rx, ry, ax, ay) != left_of(lon, lat, rx, ry, bx, by) &&
                left_of(ax, ay, bx, by, lon, lat) != left_of(ax, ay, bx, by, rx, ry))
                parity ^= 1;
        }
        if (parity) return ai->areas[k->prec].code;
    }
    return c->inside >= 0 ? ai->areas[c->inside].code : NULL;
}

void areaindex_free(areaindex *ai)
{
    if (!ai) return;
    for (size_t i = 0; i < ai->narea; i++) {
        free(ai->areas[i].code);
        free(ai->areas[i].name);
        free(ai->areas[i].parent);
    }
    free(ai->areas);
    free(ai->keys);
    free(ai->xy);
    free(ai->ring_start);
    free(ai->ring_end);
    free(ai->cells);
    free(ai->cands);
    free(ai->edges);
    free(ai);
}

/* ptindex.c - uniform-grid bbox index over a snapshot's incidents (counting sort by cell). */
#include "hazmap/ptindex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { GRID = 512 }; /* cells per side: ~4 per 1,000 incidents per cell at 1M over a district */

struct ptindex {
    const incset *s;
    double x0, y0, dx, dy; /* extent origin and cell size in degrees */
    uint32_t *start;       /* GRID * GRID + 1 offsets into order */
    uint32_t *order;       /* positions sorted by cell, ascending within a cell */
    size_t n;
};

static int cell_of(double v, double v0, double d)
{
    double c = floor((v - v0) / d);
    if (c < 0) return 0;
    if (c >= GRID) return GRID - 1;
    return (int)c;
}

ptindex *ptindex_new(const incset *s)
{
    ptindex *pi = calloc(1, sizeof *pi);
    if (!pi) return NULL;
    pi->s = s;
    const hz_incident *it = incset_items(s);
    size_t n = incset_count(s);
    incset_note_scan(s);
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(it[i].lon) || !isfinite(it[i].lat)) continue;
        minx = fmin(minx, it[i].lon);
        miny = fmin(miny, it[i].lat);
        maxx = fmax(maxx, it[i].lon);
        maxy = fmax(maxy, it[i].lat);
    }
    if (!isfinite(minx)) minx = miny = 0, maxx = maxy = 1;
    pi->x0 = minx;
    pi->y0 = miny;
    pi->dx = fmax((maxx - minx) / GRID, 1e-9);
    pi->dy = fmax((maxy - miny) / GRID, 1e-9);
    pi->start = calloc((size_t)GRID * GRID + 1, sizeof *pi->start);
    pi->order = malloc((n ? n : 1) * sizeof *pi->order);
    if (!pi->start || !pi->order || n > UINT32_MAX) {
        ptindex_free(pi);
        return NULL;
    }
    /* Counting sort by cell; positions with non-finite coordinates are left out. */
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(it[i].lon) || !isfinite(it[i].lat)) continue;
        int c = cell_of(it[i].lat, pi->y0, pi->dy) * GRID + cell_of(it[i].lon, pi->x0, pi->dx);
        pi->start[c + 1]++;
    }
    for (size_t c = 0; c < (size_t)GRID * GRID; c++)
        pi->start[c + 1] += pi->start[c];
    uint32_t *fill = malloc((size_t)GRID * GRID * sizeof *fill);
    if (!fill) {
        ptindex_free(pi);
        return NULL;
    }
    memcpy(fill, pi->start, (size_t)GRID * GRID * sizeof *fill);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(it[i].lon) || !isfinite(it[i].lat)) continue;
        int c = cell_of(it[i].lat, pi->y0, pi->dy) * GRID + cell_of(it[i].lon, pi->x0, pi->dx);
        pi->order[fill[c]++] = (uint32_t)i;
    }
    free(fill);
    pi->n = n;
    return pi;
}

void ptindex_free(ptindex *pi)
{
    if (!pi) return;
    free(pi->start);
    free(pi->order);
    free(pi);
}

hz_status ptindex_query(const ptindex *pi, const double bb[4], uint32_t **idx, size_t *n)
{
    *idx = NULL;
    *n = 0;
    if (!pi->n) return HZ_OK;
    const hz_incident *it = incset_items(pi->s);
    size_t words = (pi->n + 63) / 64;
    uint64_t *bits = calloc(words, sizeof *bits);
    if (!bits) return HZ_ENOMEM;
    int cx0 = cell_of(bb[0], pi->x0, pi->dx), cx1 = cell_of(bb[2], pi->x0, pi->dx);
    int cy0 = cell_of(bb[1], pi->y0, pi->dy), cy1 = cell_of(bb[3], pi->y0, pi->dy);
    size_t count = 0;
    for (int cy = cy0; cy <= cy1; cy++) {
        for (int cx = cx0; cx <= cx1; cx++) {
            size_t c = (size_t)cy * GRID + (size_t)cx;
            /* A cell strictly between the first and last covered ones lies inside the bbox
             * (cell_of is monotonic), so its incidents need no test. */
            if (cx > cx0 && cx < cx1 && cy > cy0 && cy < cy1) {
                for (uint32_t k = pi->start[c]; k < pi->start[c + 1]; k++) {
                    uint32_t i = pi->order[k];
                    bits[i / 64] |= 1ull << (i % 64);
                }
                count += pi->start[c + 1] - pi->start[c];
                continue;
            }
            for (uint32_t k = pi->start[c]; k < pi->start[c + 1]; k++) {
                uint32_t i = pi->order[k];
                if (it[i].lon < bb[0] || it[i].lon > bb[2] || it[i].lat < bb[1] ||
                    it[i].lat > bb[3])
                    continue;
                bits[i / 64] |= 1ull << (i % 64);
                count++;
            }
        }
    }
    uint32_t *out = count ? malloc(count * sizeof *out) : NULL;
    if (count && !out) {
        free(bits);
        return HZ_ENOMEM;
    }
    size_t m = 0;
    for (size_t w = 0; w < words && m < count; w++) {
        uint64_t b = bits[w];
        while (b) {
            int t = __builtin_ctzll(b);
            out[m++] = (uint32_t)(w * 64 + (size_t)t);
            b &= b - 1;
        }
    }
    free(bits);
    *idx = out;
    *n = m;
    return HZ_OK;
}

/* ptindex.c - the snapshot's bbox index: its incidents' lon/lat on a point grid (ptgrid.h). */
#include "hazmap/ptindex.h"
#include "hazmap/ptgrid.h"

#include <math.h>
#include <stdlib.h>

enum { GRID = 512 }; /* cells along the longer side: ~4 incidents per cell at 1M over a district */

struct ptindex {
    ptgrid *g; /* the positions with finite coordinates, reported as their snapshot positions */
    size_t n;  /* snapshot size */
};

ptindex *ptindex_new(const incset *s)
{
    const hz_incident *it = incset_items(s);
    size_t n = incset_count(s), k = 0;
    ptindex *pi = calloc(1, sizeof *pi);
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    int ok = pi && x && y && idx && n < UINT32_MAX;
    incset_note_scan(s);
    for (size_t i = 0; ok && i < n; i++) {
        if (!hz_incident_has_point(&it[i])) continue; /* area-only: not on the map */
        x[k] = it[i].lon;
        y[k] = it[i].lat;
        idx[k++] = (uint32_t)i;
    }
    ptgrid_spec spec = {.cell = 1e-9, .across = GRID};
    ok = ok && ptgrid_new(k, x, y, idx, &spec, &pi->g, NULL, 0) == HZ_OK;
    free(x);
    free(y);
    free(idx);
    if (!ok) {
        ptindex_free(pi);
        return NULL;
    }
    pi->n = n;
    return pi;
}

void ptindex_free(ptindex *pi)
{
    if (!pi) return;
    ptgrid_free(pi->g);
    free(pi);
}

hz_status ptindex_query(const ptindex *pi, const double bb[4], uint32_t **idx, size_t *n)
{
    *idx = NULL;
    *n = 0;
    uint32_t *pos;
    size_t np;
    if (ptgrid_query(pi->g, bb, &pos, &np) != HZ_OK) return HZ_ENOMEM;
    if (np == 0) return HZ_OK;
    /* Grid order to snapshot order (paging relies on it) by way of a bitmap. */
    const uint32_t *index = ptgrid_index(pi->g);
    size_t words = (pi->n + 63) / 64;
    uint64_t *bits = calloc(words, sizeof *bits);
    if (!bits) {
        free(pos);
        return HZ_ENOMEM;
    }
    for (size_t k = 0; k < np; k++)
        bits[index[pos[k]] / 64] |= 1ull << (index[pos[k]] % 64);
    size_t m = 0;
    for (size_t w = 0; w < words && m < np; w++) {
        for (uint64_t b = bits[w]; b; b &= b - 1)
            pos[m++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
    }
    free(bits);
    *idx = pos;
    *n = m;
    return HZ_OK;
}

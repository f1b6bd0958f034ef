/* ptindex.h - a uniform-grid index of a snapshot's incident positions, for bbox queries.
 *
 * Built once per snapshot: the incidents' lon/lat on a point grid (ptgrid.h) of 512 cells along
 * the longer side of their extent, O(n); immutable afterwards, so any number of threads may
 * query it. A query visits only the cells the bbox touches, tests each candidate exactly, and
 * returns the matching positions in ascending order (snapshot order = store id order, which
 * paging relies on) by way of a bitmap. Incidents without finite lon/lat are never found.
 *
 * Ownership: ptindex_new() copies the positions it needs from the snapshot. */
#ifndef HAZMAP_PTINDEX_H
#define HAZMAP_PTINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/incset.h"
#include "hazmap/status.h"

typedef struct ptindex ptindex;

/* NULL on OOM. An empty snapshot gives a valid index that finds nothing. */
ptindex *ptindex_new(const incset *s);

/* NULL is a no-op. */
void ptindex_free(ptindex *pi);

/* Positions (indices into incset_items()) of the incidents with minlon <= lon <= maxlon and
 * minlat <= lat <= maxlat, ascending, into a malloc'd *idx (caller frees; NULL when *n is 0).
 * HZ_ENOMEM on allocation failure. */
hz_status ptindex_query(const ptindex *pi, const double bb[4], uint32_t **idx, size_t *n);

#endif

/* store_copy.h - a whole store copied into another, whichever their backends (SpatiaLite or
 * PostGIS): `hazmap copy --from DB --to DB` (issue 14).
 *
 * Copied: areas; incidents (every column, in id order, so the target's ids keep their order);
 * road networks per source; public releases (ids, times, metadata and tables as published);
 * record links (ids mapped to the target's incidents; a reviewed link keeps its status and
 * reviewer, its time becomes the copy's); tokens (their hashes: the same tokens work on the
 * target). Not copied: the import bookkeeping (batches, rejects). The target must hold no areas
 * and no incidents. Each part is written in its own transaction of the target. */
#ifndef HAZMAP_STORE_COPY_H
#define HAZMAP_STORE_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"
#include "hazmap/store.h"

typedef struct store_copy_summary {
    int64_t areas, incidents, road_sources, releases, links, tokens;
} store_copy_summary;

/* Copies from into to (see above). On failure the parts already committed stay in to. */
hz_status store_copy(store *from, store *to, store_copy_summary *sum, char *err, size_t errlen);

#endif

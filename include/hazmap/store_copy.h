/* store_copy.h - a whole store copied into another, whichever their backends (SpatiaLite or
 * PostGIS): `hazmap copy --from DB --to DB` (issue 14).
 *
 * Copied: areas; incidents (every column, in id order, so the target's ids keep their order);
 * road networks per source; public releases (ids, times, metadata and tables as published);
 * record links (ids mapped to the target's incidents; a reviewed link keeps its status and
 * reviewer and time); the projects registry (projects with their ids,
 * versions and times; the audit log's rows as they are: ids, times, actors, before and after;
 * the next project id stays above every id the log names); the import bookkeeping (batches with
 * their ids, times and summaries, rejected rows); tokens (their hashes, roles, labels and
 * creation times: the same tokens work on the target). The target must hold no areas and no
 * incidents. Each part is written in its own transaction of the target. */
#ifndef HAZMAP_STORE_COPY_H
#define HAZMAP_STORE_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"
#include "hazmap/store.h"

typedef struct store_copy_summary {
    int64_t areas, incidents, road_sources, releases, links, tokens;
    int64_t projects, audit, batches, rejects; /* projects, their audit rows, import bookkeeping */
} store_copy_summary;

/* Copies from into to (see above). On failure the parts already committed stay in to. */
hz_status store_copy(store *from, store *to, store_copy_summary *sum, char *err, size_t errlen);

#endif

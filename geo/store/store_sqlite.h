/* store_sqlite.h - private to geo/: the SpatiaLite connection behind a store, for the store_*.c
 * files that implement further parts of include/hazmap/store*.h. Nothing outside geo/store*.c
 * may include this: the rest of the program sees only the store interface. */
#ifndef HAZMAP_GEO_STORE_SQLITE_H
#define HAZMAP_GEO_STORE_SQLITE_H

#include <sqlite3.h>

#include "hazmap/store.h"

/* The connection; borrowed, valid until store_close(). */
sqlite3 *store_sqlite(store *st);

/* Starts the time limit set by store_set_timeout() for the next statement(s). */
void store_arm_timeout(store *st);

/* The FNV-1a hash of every stored field of r but the batch (store.c invariant 3): equal hashes
 * mean an unchanged re-imported row. Every write path stores this value. */
int64_t store_content_hash(const hz_incident_rec *r);

#endif

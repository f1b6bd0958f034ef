/* store_query.h - read-side helpers of the store for the server.
 *
 * A read transaction groups many small reads (a page of incidents fetched by id) under one
 * snapshot of the database and one file lock, instead of taking and releasing the lock for every
 * statement: 1,000 lookups cost 1 lock instead of 1,000. */
#ifndef HAZMAP_STORE_QUERY_H
#define HAZMAP_STORE_QUERY_H

#include <stddef.h>

#include "hazmap/status.h"
#include "hazmap/store.h"

/* Starts a deferred (read) transaction. Must not be called inside store_begin()..commit(). */
hz_status store_query_read_begin(store *st, char *err, size_t errlen);

/* Ends it (COMMIT of a read transaction: nothing is written). NULL-safe. */
void store_query_read_end(store *st);

#endif

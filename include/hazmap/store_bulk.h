/* store_bulk.h - a fast write path for loading many incidents in one transaction.
 *
 * Same outcome as calling store_incident_put() per row (same keys, same content hash, so a later
 * store_incident_put() of an unchanged row says UNCHANGED), but much faster: the SpatiaLite
 * triggers on incidents (geometry check, R*Tree upkeep, timestamps) are set aside for the load
 * and the spatial index is filled in one pass by store_bulk_finish(); for a table holding few rows
 * the secondary indexes are dropped and rebuilt too. Everything happens inside the caller's
 * transaction, so a rollback or a crash leaves the database as it was.
 *
 * Use: store_begin(); b = store_bulk_begin(); store_bulk_put()...; store_bulk_finish();
 * store_commit(). On any failure: store_bulk_free() and store_rollback(). While a bulk load is
 * open, write incidents only through it.
 *
 * On PostGIS (geo/store/pg_bulk.c) each group goes through COPY ... FROM STDIN (FORMAT binary)
 * into a staging table and set-wise statements; into an empty table the secondary indexes are
 * built once at the end. The journal functions do nothing there. */
#ifndef HAZMAP_STORE_BULK_H
#define HAZMAP_STORE_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/store.h"

typedef struct store_bulk store_bulk;

/* Starts a bulk load inside st's open transaction. NULL on failure with the reason in err. */
store_bulk *store_bulk_begin(store *st, char *err, size_t errlen);

/* Inserts or replaces one incident (as store_incident_put()), recording batch_id on written rows.
 */
hz_status store_bulk_put(store_bulk *b, const hz_incident_rec *r, int64_t batch_id,
                         store_put_outcome *outcome, char *err, size_t errlen);

/* The same for n records at once (outcomes[i] for recs[i]): into a table that was empty when the
 * load began, rows go in with multi-row INSERTs, falling back to one by one for a group that
 * holds a duplicate key. */
hz_status store_bulk_put_many(store_bulk *b, const hz_incident_rec *const *recs, size_t n,
                              int64_t batch_id, store_put_outcome *outcomes, char *err,
                              size_t errlen);

/* Fills the spatial index with the new rows, restores triggers and indexes, and frees b (also on
 * failure, after which the caller must roll back). */
hz_status store_bulk_finish(store_bulk *b, char *err, size_t errlen);

/* Abandons a bulk load without restoring anything (the caller rolls back); NULL is a no-op. */
void store_bulk_free(store_bulk *b);

/* Before store_begin() of a large load: when no other connection has the database open, switch
 * it from WAL to a rollback journal, so each page is written once instead of twice (to the WAL,
 * then by the checkpoint) and spilled pages are not appended to the WAL again and again.
 * Atomicity is the same (a hot journal is rolled back on the next open). Returns 1 if switched,
 * 0 if left in WAL (others connected, or read-only). */
int store_bulk_journal_begin(store *st);

/* After store_commit()/store_rollback(): back to WAL if store_bulk_journal_begin() switched. */
void store_bulk_journal_end(store *st, int switched);

#endif

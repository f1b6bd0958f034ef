/* store_pg.h - private to geo/store/: the PostGIS backend of the store (geo/store/pg_*.c).
 *
 * Backend dispatch: store_open() (store.c) looks at its argument with store_pg_target(); a
 * PostgreSQL URI or conninfo makes the store a PostGIS one, whose `struct store` holds a pgstore
 * and no SQLite connection. Every public store_* function of include/hazmap/store*.h and tokens.h
 * begins with `if (store_pg(st))` and hands the call to its pg_* counterpart here, so the
 * SpatiaLite code below that line is unchanged. A function the PostGIS backend lacks returns
 * HZ_EUNSUPPORTED with "not supported on PostGIS yet" (pg_unsupported()).
 *
 * Same tables and semantics as SpatiaLite (store.c's invariants 1 to 5): both render their schema
 * from one description (schema.c, schema.h); writes are
 * serialised by a transaction-level advisory lock taken in pg_begin() (SQLite's BEGIN IMMEDIATE);
 * the data version is bumped in pg_commit() when a write marked the transaction dirty. Nothing
 * outside geo/store/ may include this. */
#ifndef HAZMAP_GEO_STORE_PG_H
#define HAZMAP_GEO_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "hazmap/store.h"
#include "hazmap/store_links.h"
#include "hazmap/store_projects.h"

typedef struct pgstore pgstore;
typedef struct pg_watch pg_watch;

/* 1 if target names a PostgreSQL database: a postgresql:// or postgres:// URI, or a libpq
 * conninfo of key=value pairs naming dbname= or host= (a file path never contains " dbname=" at
 * its start). */
int store_pg_target(const char *target);

/* The PostGIS connection of st, or NULL for a SpatiaLite store (store.c). */
pgstore *store_pg(store *st);

/* The content hash of store.c's invariant 3 (both backends store the same). */
int64_t store_incident_hash(const hz_incident_rec *r);

/* Fails with HZ_EUNSUPPORTED: "<what>: not supported on PostGIS yet". */
hz_status pg_unsupported(const char *what, char *err, size_t errlen);

/* ---- pg_store.c: connection, schema, transactions, areas, incidents, bookkeeping ---- */
pgstore *pg_open(const char *conninfo, int flags, char *err, size_t errlen);
void pg_close(pgstore *pg);
hz_status pg_last_status(pgstore *pg);
/* A display name for messages: the conninfo with any password removed. Borrowed. */
const char *pg_name(const pgstore *pg);
hz_status pg_begin(pgstore *pg, char *err, size_t errlen);
hz_status pg_commit(pgstore *pg, char *err, size_t errlen);
void pg_rollback(pgstore *pg);
/* Marks the open write transaction as having changed data (pg_commit() bumps the version). */
void pg_dirty(pgstore *pg);
/* A row replaced outside any import batch: raises meta.reload_horizon (store.h, store_marks). */
hz_status pg_unbatched(pgstore *pg, char *err, size_t errlen);
hz_status pg_data_version(pgstore *pg, int64_t *version);
hz_status pg_data_id(pgstore *pg, char *id, size_t idlen);
hz_status pg_counts(pgstore *pg, int64_t *areas, int64_t *incidents);
void pg_set_timeout(pgstore *pg, int ms);
hz_status pg_area_put(pgstore *pg, const hz_area_rec *a, char *err, size_t errlen);
hz_status pg_areas_scan(pgstore *pg, store_area_cb cb, void *ud, char *err, size_t errlen);
/* batch_id 0: none (store_incident_put()); else recorded on the written row (store_bulk). */
hz_status pg_incident_put(pgstore *pg, const hz_incident_rec *r, int64_t batch_id,
                          store_put_outcome *outcome, char *err, size_t errlen);
hz_status pg_incidents_scan(pgstore *pg, store_incident_cb cb, void *ud, char *err, size_t errlen);
hz_status pg_incident_marks(pgstore *pg, int counts, store_marks *m, char *err, size_t errlen);
hz_status pg_incidents_scan_since(pgstore *pg, int64_t after_id, int64_t after_batch,
                                  store_incident_cb cb, void *ud, char *err, size_t errlen);
hz_status pg_incidents_get(pgstore *pg, const int64_t *ids, size_t n, store_incident_cb cb,
                           void *ud, char *err, size_t errlen);
hz_status pg_link_records(pgstore *pg, store_incident_cb cb, void *ud, char *err, size_t errlen);
hz_status pg_batch_begin(pgstore *pg, const char *kind, const char *file, int64_t *batch_id,
                         char *err, size_t errlen);
hz_status pg_reject_add(pgstore *pg, int64_t batch_id, int64_t line, const char *raw,
                        const char *reason, char *err, size_t errlen);
hz_status pg_batch_finish(pgstore *pg, int64_t batch_id, const char *summary_json, char *err,
                          size_t errlen);
hz_status pg_read_begin(pgstore *pg, char *err, size_t errlen);
void pg_read_end(pgstore *pg);

/* After the connection dropped (outside a transaction): PQreset(), then the session as pg_open()
 * left it (prepared statements, read-only, statement timeout). HZ_EDB with the reason when the
 * server cannot be reached. */
hz_status pg_reconnect(pgstore *pg, char *err, size_t errlen);
/* Where pg_watch.c keeps its state on pg (owned by pg, freed by pg_close()). */
pg_watch **pg_watch_slot(pgstore *pg);

/* ---- pg_watch.c: store_wait_change() on PostGIS ---- */
hz_status pg_wait_change(pgstore *pg, int64_t known_version, int timeout_ms, int64_t *version);
void pg_watch_free(pg_watch *w);

/* Tokens: the row, and every row for tokens_lookup()'s constant-time comparison. */
hz_status pg_token_insert(pgstore *pg, const char *hash, const char *role, const char *label,
                          char *err, size_t errlen);
typedef void (*pg_token_cb)(void *ud, const char *hash, const char *role, const char *label);
hz_status pg_tokens_scan(pgstore *pg, pg_token_cb cb, void *ud, char *err, size_t errlen);

/* For the other pg_*.c files: the connection; sql run with text parameters (NULL = SQL NULL),
 * its result the caller's to clear, or NULL after a failure reported in err; a failure from a
 * result (cleared here); whether a write transaction is open. */
PGconn *pg_conn(pgstore *pg);
PGresult *pg_query(pgstore *pg, const char *sql, int n, const char *const *vals, char *err,
                   size_t errlen, const char *what);
hz_status pg_fail(pgstore *pg, PGresult *res, char *err, size_t errlen, const char *what);
/* A malloc'd copy of s with every byte that is not part of valid UTF-8 replaced by '?' (NULL on
 * OOM): what PostgreSQL stores of a text that SQLite may hold as it came. */
char *pg_utf8_clean(const char *s);
int pg_in_tx(const pgstore *pg);

/* ---- pg_more.c: releases, roads and links ---- */
hz_status pg_release_put(pgstore *pg, const store_release_rec *r, size_t n,
                         const store_release_blob *blobs, int64_t *id, char *err, size_t errlen);
hz_status pg_release_list(pgstore *pg, store_release_cb cb, void *ud, char *err, size_t errlen);
hz_status pg_release_latest(pgstore *pg, int64_t *id, char *err, size_t errlen);
hz_status pg_release_get(pgstore *pg, int64_t id, store_release_cb meta_cb,
                         store_release_blob_cb blob_cb, void *ud, char *err, size_t errlen);
/* The stored content hash of source's roads: 1 (and *hash), 0 when it has none, -1 on error. */
int pg_roads_hash(pgstore *pg, const char *source, int64_t *hash);
/* Replaces source's roads (checked by store_roads_put()): ends[2i], ends[2i+1] are the indexes
 * in nodes of segment i's from and to nodes. Inside the open write transaction. */
hz_status pg_roads_write(pgstore *pg, const char *source, int64_t hash, size_t n,
                         const hz_road_node_rec *nodes, size_t m, const hz_road_seg_rec *segs,
                         const size_t *ends, char *err, size_t errlen);
/* store_roads.c's little-endian WKB LINESTRING of r's vertices; the caller frees it. */
unsigned char *store_road_line_wkb(const hz_road_seg_rec *r, size_t *len);
hz_status pg_roads_counts(pgstore *pg, int64_t *segments, int64_t *nodes);
hz_status pg_road_segs_scan(pgstore *pg, store_road_seg_cb cb, void *ud, char *err, size_t errlen);
hz_status pg_road_nodes_scan(pgstore *pg, store_road_node_cb cb, void *ud, char *err,
                             size_t errlen);
/* links: checked, sorted by (a, b) and unique (store_links_sync()). */
hz_status pg_links_sync(pgstore *pg, const store_link_rec *links, size_t n, int64_t *changed,
                        char *err, size_t errlen);
hz_status pg_links_scan(pgstore *pg, const char *status, int64_t offset, int64_t limit,
                        store_link_cb cb, void *ud, int64_t *total, char *err, size_t errlen);
hz_status pg_link_get(pgstore *pg, int64_t id, store_link_cb cb, void *ud, char *err,
                      size_t errlen);
hz_status pg_link_review(pgstore *pg, int64_t id, const char *status, const char *reviewer,
                         char *err, size_t errlen);

/* ---- pg_projects.c: the projects registry (store_projects.h) ---- */
/* Its tables are schema.c's, created with the store and by the 3 -> 4 migration. */
hz_status pg_project_add(pgstore *pg, const hz_project *p, const char *actor, int64_t *id,
                         char *err, size_t errlen);
hz_status pg_project_update(pgstore *pg, const hz_project *p, const char *actor, char *err,
                            size_t errlen);
hz_status pg_project_delete(pgstore *pg, int64_t id, int64_t version, const char *actor, char *err,
                            size_t errlen);
hz_status pg_project_get(pgstore *pg, int64_t id, hz_project *p, char *err, size_t errlen);
hz_status pg_project_put_stored(pgstore *pg, const hz_project *p, char *err, size_t errlen);
hz_status pg_projects_scan(pgstore *pg, const char *group, int status, store_project_cb cb,
                           void *ud, char *err, size_t errlen);
hz_status pg_project_audit_scan(pgstore *pg, int64_t project_id, int64_t offset, int64_t limit,
                                store_audit_cb cb, void *ud, int64_t *total, char *err,
                                size_t errlen);
/* store_projects.c's, shared by both backends: a list as its JSON array text and back (-1 on
 * OOM or a malformed text), a project's JSON text (malloc'd; NULL on OOM), and the index of a
 * type or status word (-1 for none). */
char *projects_list_text(char *const *v, size_t n);
int projects_text_list(const char *text, char ***out, size_t *n);
char *projects_json_text(const hz_project *p);
int projects_type_of(const char *w);
int projects_status_of(const char *w);
/* The optimistic-locking rule of both backends: HZ_ECONFLICT naming the versions when project p
 * (read as id) is not at version (0: any version passes), else HZ_OK. */
hz_status projects_check_version(const hz_project *p, int64_t id, int64_t version, char *err,
                                 size_t errlen);

/* The current UTC time as ISO 8601 text ("2026-11-29T18:00:00Z"), in SQL. */
#define PG_NOW "to_char(clock_timestamp() AT TIME ZONE 'UTC','YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* store_projects.c: inside the open write transaction of st, project p written as it was stored
 * elsewhere (store_copy()): its id, version, created_at and updated_at kept, no audit row (the
 * source's audit rows are copied as they are, rows_copy()). */
hz_status projects_put_stored(store *st, const hz_project *p, char *err, size_t errlen);

/* ---- store_rows.c: rows copied as stored, between any two backends (store_copy()) ---- */
/* One row: its ncols column values as text, NULL for SQL NULL; valid during the call. */
typedef hz_status (*rows_cb)(void *ud, const char *const *v);
/* Runs the query sql (ncols columns, at most 8) on from and calls cb for each row, stopping at
 * the first status that is not HZ_OK (returned). */
hz_status rows_scan(store *from, const char *sql, int ncols, rows_cb cb, void *ud, char *err,
                    size_t errlen);
/* Runs one statement on st with the n texts of v (NULL: SQL NULL) as ?1 .. ?n (written so; on
 * PostgreSQL they become $1 .. $n, and text that is not UTF-8 is cleaned, pg_utf8_clean()). */
hz_status rows_exec(store *st, const char *sql, int n, const char *const *v, char *err,
                    size_t errlen);
/* Inside the open write transaction of to: every row of table in from (ordered by order), its
 * columns cols (ncols of them, at most 8, comma-separated) written to the same table of to as
 * text (NULL stays NULL; the target's column types parse the text), so ids, times and authors
 * arrive unchanged. *n receives the number of rows. */
hz_status rows_copy(store *from, store *to, const char *table, const char *cols, int ncols,
                    const char *order, int64_t *n, char *err, size_t errlen);
/* Inside the open write transaction of to, after rows were written with explicit ids: the next
 * id that table's column id hands out is above next_above (PostgreSQL: the serial's setval();
 * SpatiaLite: sqlite_sequence for an AUTOINCREMENT table, nothing to do for a plain INTEGER
 * PRIMARY KEY, which takes max(id) + 1 itself). */
hz_status rows_serial_past(store *to, const char *table, int64_t next_above, char *err,
                           size_t errlen);

/* ---- pg_bulk.c: COPY ... FROM STDIN (FORMAT binary) into a staging table ---- */
typedef struct pg_bulk pg_bulk;
pg_bulk *pg_bulk_begin(pgstore *pg, char *err, size_t errlen);
hz_status pg_bulk_put_many(pg_bulk *b, const hz_incident_rec *const *recs, size_t n,
                           int64_t batch_id, store_put_outcome *outcomes, char *err, size_t errlen);
hz_status pg_bulk_finish(pg_bulk *b, char *err, size_t errlen);
void pg_bulk_free(pg_bulk *b);

/* Decodes n bytes from 2n lower-case hex digits (PostgreSQL's bytea/EWKB text) into out; -1 on a
 * character that is not one (out then partly written), else 0. */
int pg_hex_decode(const char *hex, unsigned char *out, size_t n);

#endif

/* store_sqlite.h - private to geo/: the SpatiaLite connection behind a store, for the store_*.c
 * files that implement further parts of include/hazmap/store*.h. Nothing outside geo/store*.c
 * may include this: the rest of the program sees only the store interface. */
#ifndef HAZMAP_GEO_STORE_SQLITE_H
#define HAZMAP_GEO_STORE_SQLITE_H

#include <sqlite3.h>

#include "hazmap/store.h"

/* The connection; borrowed, valid until store_close(). */
sqlite3 *store_sqlite(store *st);

/* The status of db's last failed call: HZ_ENOSPC when the disk (or a size limit) is full
 * (SQLITE_FULL, or a system error ENOSPC/EDQUOT behind an I/O error), HZ_ELIMIT when the query
 * time limit interrupted it, else HZ_EDB. */
hz_status store_sqlite_status(sqlite3 *db);

/* sqlite3_errmsg(db), but saying "no space left on device" for an I/O error caused by it. */
const char *store_sqlite_errmsg(sqlite3 *db);

/* 1 if db has the table, 0 if not, -1 if the schema cannot be read (an I/O error, a full disk
 * that keeps the WAL index from being created, not a database): then nothing may be created. */
int store_has_table(sqlite3 *db, const char *name);

/* Creates the road tables (store_roads.c) when the database has none: called by every
 * read-write store_open(), after the schema; takes the write lock only when they are missing.
 * err may be NULL. */
hz_status store_roads_ensure(store *st, char *err, size_t errlen);

/* Starts the time limit set by store_set_timeout() for the next statement(s). */
void store_arm_timeout(store *st);

/* The incident columns every write path (store.c, store_bulk.c) binds, in this one order, as the
 * parameters ?1 .. ?STORE_INC_NPARAMS of its INSERT (STORE_INC_COLS, STORE_INC_VALUES) or UPDATE
 * (STORE_INC_SET) statement; STORE_INC_POINT is the geometry made of the bound lon and lat. */
#define STORE_INC_COLS                                                                             \
    "source,source_id,occurred_at,t,mechanism,place,intent,severity,victims,age,sex,disability,"   \
    "description,area_code,extra,lon,lat,content_hash,activity,outcome,nature,body_part"
#define STORE_INC_VALUES                                                                           \
    "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22"
#define STORE_INC_SET                                                                              \
    "source=?1,source_id=?2,occurred_at=?3,t=?4,mechanism=?5,place=?6,intent=?7,severity=?8,"      \
    "victims=?9,age=?10,sex=?11,disability=?12,description=?13,area_code=?14,extra=?15,lon=?16,"   \
    "lat=?17,content_hash=?18,activity=?19,outcome=?20,nature=?21,body_part=?22"
#define STORE_INC_POINT "MakePoint(?16,?17,4326)"
enum { STORE_INC_NPARAMS = 22 };

/* The one incident binder: binds r to the parameters base+1 .. base+STORE_INC_NPARAMS of s in
 * STORE_INC_COLS order, the content hash included, and returns that hash. The hash (FNV-1a of
 * every stored field but the source, id and batch: store.c invariant 3) is computed here and
 * nowhere else, so what is bound and what is hashed cannot drift apart; equal hashes mean an
 * unchanged re-imported row. r's strings are bound SQLITE_STATIC: they must stay valid until s
 * is reset. */
int64_t store_bind_incident(sqlite3_stmt *s, int base, const hz_incident_rec *r);

/* Records that a row was replaced outside any import batch, inside the write transaction: raises
 * meta.reload_horizon to the data version (store.h, store_marks). SQLITE_OK or the error. */
int store_sqlite_unbatched(sqlite3 *db);

#endif

/* store_query.c - read transactions for the server's batched reads. */
#include "hazmap/store_query.h"
#include "store_pg.h"
#include "store_sqlite.h"

#include <sqlite3.h>

hz_status store_query_read_begin(store *st, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_read_begin(store_pg(st), err, errlen);
    sqlite3 *db = store_sqlite(st);
    if (sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
        return hz_fail(store_sqlite_status(db), err, errlen, "%s: begin read: %s", store_path(st),
                       sqlite3_errmsg(db));
    return HZ_OK;
}

void store_query_read_end(store *st)
{
    if (!st) return;
    if (store_pg(st)) {
        pg_read_end(store_pg(st));
        return;
    }
    sqlite3 *db = store_sqlite(st);
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

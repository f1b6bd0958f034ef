/* store_release.c - the public statistical releases in the store: immutable rows of metadata
 * and one blob per table (see store.h).
 *
 * Invariants:
 *  1. A release row and its table rows are written in one savepoint; the table rows go first,
 *     with the id the release row then takes (max + 1), and the release row last, so a trigger
 *     can refuse a table row for a release that already exists: once its row is written a
 *     release neither changes nor grows.
 *  2. No UPDATE or DELETE of either table succeeds (triggers), so ids are never reused.
 *  3. Writing a release leaves meta.data_version alone: a release is derived data. */
#include "hazmap/store.h"
#include "store_pg.h"
#include "schema.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static hz_status rel_fail(store *st, char *err, size_t errlen, const char *what)
{
    return hz_fail(store_sqlite_status(store_sqlite(st)), err, errlen, "%s: %s: %s", store_path(st),
                   what, sqlite3_errmsg(store_sqlite(st)));
}

static int has_releases(sqlite3 *db)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='releases'",
                           -1, &s, NULL) != SQLITE_OK)
        return 0;
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
}

/* Steps a prepared write to completion and finalizes it. */
static hz_status step_done(store *st, sqlite3_stmt *s, char *err, size_t errlen, const char *what)
{
    int rc = sqlite3_step(s);
    hz_status res = rc == SQLITE_DONE ? HZ_OK : rel_fail(st, err, errlen, what);
    sqlite3_finalize(s);
    return res;
}

static hz_status put_tables(store *st, int64_t id, size_t n, const store_release_blob *blobs,
                            char *err, size_t errlen)
{
    sqlite3 *db = store_sqlite(st);
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s;
        if (!blobs[i].name)
            return hz_fail(HZ_EINVAL, err, errlen, "release table %zu has no name", i);
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO release_tables(release_id,name,cells) VALUES(?,?,?)",
                               -1, &s, NULL) != SQLITE_OK)
            return rel_fail(st, err, errlen, "writing release table");
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, blobs[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(s, 3, blobs[i].data ? (const void *)blobs[i].data : "", blobs[i].len,
                            SQLITE_STATIC);
        hz_status res = step_done(st, s, err, errlen, "writing release table");
        if (res != HZ_OK) return res;
    }
    return HZ_OK;
}

hz_status store_release_put(store *st, const store_release_rec *r, size_t n,
                            const store_release_blob *blobs, int64_t *id, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_release_put(store_pg(st), r, n, blobs, id, err, errlen);
    if (!r->created_at || !r->metadata)
        return hz_fail(HZ_EINVAL, err, errlen, "release: created_at and metadata are required");
    sqlite3 *db = store_sqlite(st);
    if (sqlite3_exec(db, "SAVEPOINT release_put", NULL, NULL, NULL) != SQLITE_OK)
        return rel_fail(st, err, errlen, "starting release");
    hz_status res = HZ_OK;
    sqlite3_stmt *s = NULL;
    int64_t next = 0;
    char *msg = NULL, *ddl = schema_create_sql(SCHEMA_SQLITE, SCHEMA_RELEASES, 1);
    if (!ddl) {
        res = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto fail;
    }
    if (sqlite3_exec(db, ddl, NULL, NULL, &msg) != SQLITE_OK) {
        res = hz_fail(store_sqlite_status(db), err, errlen, "%s: creating release tables: %s",
                      store_path(st), msg ? msg : "?");
        sqlite3_free(msg);
        free(ddl);
        goto fail;
    }
    free(ddl);
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) + 1 FROM releases", -1, &s, NULL) !=
            SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        res = rel_fail(st, err, errlen, "numbering release");
        sqlite3_finalize(s);
        goto fail;
    }
    next = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if ((res = put_tables(st, next, n, blobs, err, errlen)) != HZ_OK) goto fail; /* inv. 1 */
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO releases(id,created_at,data_version,metadata)"
                           " VALUES(?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK) {
        res = rel_fail(st, err, errlen, "writing release");
        goto fail;
    }
    sqlite3_bind_int64(s, 1, next);
    sqlite3_bind_text(s, 2, r->created_at, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, r->data_version);
    sqlite3_bind_text(s, 4, r->metadata, -1, SQLITE_STATIC);
    if ((res = step_done(st, s, err, errlen, "writing release")) != HZ_OK) goto fail;
    if (sqlite3_exec(db, "RELEASE release_put", NULL, NULL, NULL) != SQLITE_OK) {
        res = rel_fail(st, err, errlen, "committing release");
        goto fail;
    }
    *id = next;
    return HZ_OK;
fail:
    sqlite3_exec(db, "ROLLBACK TO release_put; RELEASE release_put", NULL, NULL, NULL);
    return res;
}

static void read_rec(sqlite3_stmt *s, store_release_rec *r)
{
    r->id = sqlite3_column_int64(s, 0);
    r->created_at = (const char *)sqlite3_column_text(s, 1);
    r->data_version = sqlite3_column_int64(s, 2);
    r->metadata = (const char *)sqlite3_column_text(s, 3);
}

hz_status store_release_list(store *st, store_release_cb cb, void *ud, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_release_list(store_pg(st), cb, ud, err, errlen);
    sqlite3 *db = store_sqlite(st);
    if (!has_releases(db)) return HZ_OK;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT id,created_at,data_version,metadata FROM releases ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return rel_fail(st, err, errlen, "listing releases");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        store_release_rec r;
        read_rec(s, &r);
        if (cb(ud, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    hz_status res = rc == SQLITE_DONE ? HZ_OK : rel_fail(st, err, errlen, "listing releases");
    sqlite3_finalize(s);
    return res;
}

hz_status store_release_latest(store *st, int64_t *id, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_release_latest(store_pg(st), id, err, errlen);
    sqlite3 *db = store_sqlite(st);
    if (!has_releases(db)) return hz_fail(HZ_ENOTFOUND, err, errlen, "no release published");
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT max(id) FROM releases", -1, &s, NULL) != SQLITE_OK)
        return rel_fail(st, err, errlen, "finding the latest release");
    hz_status res = HZ_OK;
    if (sqlite3_step(s) != SQLITE_ROW)
        res = rel_fail(st, err, errlen, "finding the latest release");
    else if (sqlite3_column_type(s, 0) == SQLITE_NULL)
        res = hz_fail(HZ_ENOTFOUND, err, errlen, "no release published");
    else
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return res;
}

static hz_status get_blobs(store *st, int64_t id, store_release_blob_cb cb, void *ud, char *err,
                           size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "SELECT name,cells FROM release_tables WHERE release_id=? ORDER BY name",
                           -1, &s, NULL) != SQLITE_OK)
        return rel_fail(st, err, errlen, "reading release tables");
    sqlite3_bind_int64(s, 1, id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        store_release_blob b = {.name = (const char *)sqlite3_column_text(s, 0),
                                .data = sqlite3_column_blob(s, 1),
                                .len = (size_t)sqlite3_column_bytes(s, 1)};
        if (cb(ud, &b)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    hz_status res = rc == SQLITE_DONE ? HZ_OK : rel_fail(st, err, errlen, "reading release tables");
    sqlite3_finalize(s);
    return res;
}

hz_status store_release_get(store *st, int64_t id, store_release_cb meta_cb,
                            store_release_blob_cb blob_cb, void *ud, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_release_get(store_pg(st), id, meta_cb, blob_cb, ud, err, errlen);
    sqlite3 *db = store_sqlite(st);
    if (!has_releases(db))
        return hz_fail(HZ_ENOTFOUND, err, errlen, "no release %lld", (long long)id);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT id,created_at,data_version,metadata FROM releases WHERE id=?",
                           -1, &s, NULL) != SQLITE_OK)
        return rel_fail(st, err, errlen, "reading release");
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    hz_status res = HZ_OK;
    int stop = 0;
    if (rc == SQLITE_ROW) {
        store_release_rec r;
        read_rec(s, &r);
        if (meta_cb) stop = meta_cb(ud, &r);
    } else if (rc == SQLITE_DONE) {
        res = hz_fail(HZ_ENOTFOUND, err, errlen, "no release %lld", (long long)id);
    } else {
        res = rel_fail(st, err, errlen, "reading release");
    }
    sqlite3_finalize(s);
    if (res == HZ_OK && !stop && blob_cb) res = get_blobs(st, id, blob_cb, ud, err, errlen);
    return res;
}

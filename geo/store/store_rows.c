/* store_rows.c - rows copied as they are stored, between any two backends (store_pg.h):
 * store_copy()'s way to move the tables the public interface can only append to through its
 * normal write paths (the projects' audit log, the import batches and rejects, the token hashes),
 * which would give them new ids, times and authors.
 *
 * Every column travels as text, NULL as NULL: SQLite gives an INTEGER as its decimal digits and
 * stores such text back as an INTEGER (column affinity); PostgreSQL parses the text with the
 * column's input function. The rows of these tables hold integers and text only. Table and
 * column names are store_copy()'s constants, never input. */
#include "store_pg.h"
#include "store_sqlite.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS_MAXCOLS = 8 };

hz_status rows_exec(store *st, const char *sql, int n, const char *const *v, char *err,
                    size_t errlen)
{
    assert(n >= 0 && n <= ROWS_MAXCOLS && strlen(sql) < 512);
    if (store_pg(st)) {
        /* ?N is $N; SQLite may hold text that is not UTF-8 (a rejected row's raw bytes):
         * PostgreSQL keeps it as its import would have, the bad bytes as '?' (pg_reject_add()) */
        char q[512];
        for (size_t i = 0; i <= strlen(sql); i++)
            q[i] = sql[i] == '?' ? '$' : sql[i];
        char *clean[ROWS_MAXCOLS] = {0};
        const char *cv[ROWS_MAXCOLS];
        hz_status res = HZ_OK;
        for (int i = 0; i < n; i++) {
            cv[i] = v[i] ? (clean[i] = pg_utf8_clean(v[i])) : NULL;
            if (v[i] && !clean[i]) res = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        }
        PGresult *r =
            res == HZ_OK ? pg_query(store_pg(st), q, n, cv, err, errlen, "copying rows") : NULL;
        if (res == HZ_OK && !r) res = pg_last_status(store_pg(st));
        PQclear(r);
        for (int i = 0; i < n; i++)
            free(clean[i]);
        return res;
    }
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    for (int i = 0; rc == SQLITE_OK && i < n; i++)
        sqlite3_bind_text(s, i + 1, v[i], -1, SQLITE_STATIC); /* NULL binds NULL */
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE) return HZ_OK;
    return hz_fail(store_sqlite_status(db), err, errlen, "%s: copying rows: %s", store_path(st),
                   store_sqlite_errmsg(db));
}

static hz_status scan_sqlite(store *from, const char *sql, int ncols, rows_cb cb, void *ud,
                             char *err, size_t errlen)
{
    sqlite3 *db = store_sqlite(from);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return hz_fail(store_sqlite_status(db), err, errlen, "%s: reading rows to copy: %s",
                       store_path(from), store_sqlite_errmsg(db));
    hz_status res = HZ_OK;
    int rc = SQLITE_DONE;
    while (res == HZ_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *v[ROWS_MAXCOLS] = {0};
        for (int i = 0; i < ncols; i++)
            v[i] = (const char *)sqlite3_column_text(s, i);
        res = cb(ud, v);
    }
    if (res == HZ_OK && rc != SQLITE_DONE)
        res = hz_fail(store_sqlite_status(db), err, errlen, "%s: reading rows to copy: %s",
                      store_path(from), store_sqlite_errmsg(db));
    sqlite3_finalize(s);
    return res;
}

hz_status rows_scan(store *from, const char *sql, int ncols, rows_cb cb, void *ud, char *err,
                    size_t errlen)
{
    assert(ncols > 0 && ncols <= ROWS_MAXCOLS);
    if (!store_pg(from)) return scan_sqlite(from, sql, ncols, cb, ud, err, errlen);
    PGresult *r = pg_query(store_pg(from), sql, 0, NULL, err, errlen, "reading rows to copy");
    if (!r) return pg_last_status(store_pg(from));
    hz_status res = HZ_OK;
    for (int row = 0; res == HZ_OK && row < PQntuples(r); row++) {
        const char *v[ROWS_MAXCOLS] = {0};
        for (int i = 0; i < ncols; i++)
            v[i] = PQgetisnull(r, row, i) ? NULL : PQgetvalue(r, row, i);
        res = cb(ud, v);
    }
    PQclear(r);
    return res;
}

/* rows_copy()'s sink: one INSERT per row into the target. */
typedef struct sink {
    store *to;
    int ncols;
    char sql[512];
    int64_t n;
    char *err;
    size_t errlen;
} sink;

static hz_status sink_put(void *ud, const char *const *v)
{
    sink *k = ud;
    k->n++;
    return rows_exec(k->to, k->sql, k->ncols, v, k->err, k->errlen);
}

hz_status rows_copy(store *from, store *to, const char *table, const char *cols, int ncols,
                    const char *order, int64_t *n, char *err, size_t errlen)
{
    assert(ncols > 0 && ncols <= ROWS_MAXCOLS);
    sink k = {.to = to, .ncols = ncols, .err = err, .errlen = errlen};
    int at = snprintf(k.sql, sizeof k.sql, "INSERT INTO %s(%s) VALUES(", table, cols);
    for (int i = 0; i < ncols; i++)
        at += snprintf(k.sql + at, sizeof k.sql - (size_t)at, "%s?%d", i ? "," : "", i + 1);
    snprintf(k.sql + at, sizeof k.sql - (size_t)at, ")");
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY %s", cols, table, order);
    hz_status res = rows_scan(from, sql, ncols, sink_put, &k, err, errlen);
    *n = k.n;
    return res;
}

hz_status rows_serial_past(store *to, const char *table, int64_t next_above, char *err,
                           size_t errlen)
{
    char num[32], sql[256];
    snprintf(num, sizeof num, "%" PRId64, next_above);
    if (store_pg(to)) {
        /* setval(seq, n, true): the next nextval() is n + 1; (1, false): it is 1 */
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s','id'), greatest(m, 1), m > 0) FROM"
                 " (SELECT greatest($1::bigint, (SELECT coalesce(max(id),0) FROM %s)) AS m) t",
                 table, table);
        const char *v[1] = {num};
        PGresult *r = pg_query(store_pg(to), sql, 1, v, err, errlen, "setting the next id");
        if (!r) return pg_last_status(store_pg(to));
        PQclear(r);
        return HZ_OK;
    }
    sqlite3 *db = store_sqlite(to);
    snprintf(sql, sizeof sql,
             "SELECT 1 FROM sqlite_master WHERE name='%s' AND sql LIKE '%%AUTOINCREMENT%%'", table);
    sqlite3_stmt *s;
    int autoinc =
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (!autoinc) return HZ_OK;
    /* sqlite_sequence holds the largest id an AUTOINCREMENT table ever handed out */
    snprintf(sql, sizeof sql,
             "DELETE FROM sqlite_sequence WHERE name='%s';"
             "INSERT INTO sqlite_sequence(name,seq) SELECT '%s', max(%s, coalesce(max(id),0))"
             " FROM %s",
             table, table, num, table);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK) return HZ_OK;
    return hz_fail(store_sqlite_status(db), err, errlen, "%s: setting the next id of %s: %s",
                   store_path(to), table, store_sqlite_errmsg(db));
}

/* store_links.c - the record links in the store: the table, the linkage's writes that keep the
 * reviewers' decisions, and the reviewers' reads and writes (see store_links.h).
 *
 * Invariants:
 *  1. record_links has at most one row per pair (UNIQUE(a, b)) and a < b (CHECK).
 *  2. A row whose status is confirmed or rejected is changed only by store_link_review().
 *  3. store_links_sync() writes nothing for a pair whose row already holds the same score and
 *     status, so re-running an unchanged linkage leaves the data version alone (store.c,
 *     invariant 1). */
#include "hazmap/store_links.h"
#include "hazmap/vocab.h"
#include "store_pg.h"
#include "schema.h"
#include "store_sqlite.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static hz_status lk_fail(store *st, char *err, size_t errlen, const char *what)
{
    sqlite3 *db = store_sqlite(st);
    return hz_fail(store_sqlite_status(db), err, errlen, "%s: %s: %s", store_path(st), what,
                   store_sqlite_errmsg(db));
}

static int has_links(sqlite3 *db)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type='table' AND name='record_links'",
                           -1, &s, NULL) != SQLITE_OK)
        return 0;
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
}

static hz_status ensure_schema(store *st, char *err, size_t errlen)
{
    if (has_links(store_sqlite(st))) return HZ_OK;
    char *ddl = schema_create_sql(SCHEMA_SQLITE, SCHEMA_LINKS, 1);
    if (!ddl) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    int rc = sqlite3_exec(store_sqlite(st), ddl, NULL, NULL, NULL);
    free(ddl);
    if (rc != SQLITE_OK) return lk_fail(st, err, errlen, "creating the record_links table");
    return HZ_OK;
}

static int vocab_col(sqlite3_stmt *s, int col, hz_vocab voc)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    int v = 0;
    if (t && vocab_parse(voc, t, &v) != 0) v = 0;
    return v;
}

hz_status store_link_records(store *st, store_incident_cb cb, void *ud, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_link_records(store_pg(st), cb, ud, err, errlen);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "SELECT id,source,t,mechanism,age,sex,area_code,lon,lat FROM incidents"
                           " ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return lk_fail(st, err, errlen, "reading incidents");
    int rc;
    store_arm_timeout(st);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hz_incident_rec r;
        memset(&r, 0, sizeof r);
        r.id = sqlite3_column_int64(s, 0);
        r.source = (const char *)sqlite3_column_text(s, 1);
        r.t = sqlite3_column_type(s, 2) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(s, 2);
        r.mechanism = vocab_col(s, 3, HZ_VOCAB_MECHANISM);
        r.age = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 4);
        r.sex = vocab_col(s, 5, HZ_VOCAB_SEX);
        r.area_code = (const char *)sqlite3_column_text(s, 6);
        r.lon = sqlite3_column_double(s, 7);
        r.lat = sqlite3_column_double(s, 8);
        r.victims = r.disability = -1;
        if (cb(ud, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    hz_status res = rc == SQLITE_DONE ? HZ_OK : lk_fail(st, err, errlen, "reading incidents");
    sqlite3_finalize(s);
    return res;
}

/* One existing row, as sync compares it. */
typedef struct old_row {
    int64_t id, a, b;
    int reviewed;
} old_row;

static int pair_cmp(int64_t a1, int64_t b1, int64_t a2, int64_t b2)
{
    if (a1 != a2) return a1 < a2 ? -1 : 1;
    return b1 < b2 ? -1 : b1 > b2;
}

static int link_cmp(const void *x, const void *y)
{
    const store_link_rec *p = x, *q = y;
    return pair_cmp(p->a, p->b, q->a, q->b);
}

static hz_status load_old(store *st, old_row **rows, size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    *rows = NULL;
    *n = 0;
    size_t cap = 0;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "SELECT id,a,b,status IN ('confirmed','rejected') FROM record_links"
                           " ORDER BY a,b",
                           -1, &s, NULL) != SQLITE_OK)
        return lk_fail(st, err, errlen, "reading links");
    int rc;
    hz_status res = HZ_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            old_row *nr = realloc(*rows, nc * sizeof *nr);
            if (!nr) {
                res = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
                break;
            }
            *rows = nr;
            cap = nc;
        }
        (*rows)[(*n)++] = (old_row){sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                                    sqlite3_column_int64(s, 2), sqlite3_column_int(s, 3)};
    }
    if (res == HZ_OK && rc != SQLITE_DONE) res = lk_fail(st, err, errlen, "reading links");
    sqlite3_finalize(s);
    return res;
}

/* Steps s once (reset first) and expects SQLITE_DONE; adds its changes to *changed. */
static hz_status step_write(store *st, sqlite3_stmt *s, int64_t *changed, char *err, size_t errlen)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return lk_fail(st, err, errlen, "writing links");
    *changed += sqlite3_changes(store_sqlite(st));
    return HZ_OK;
}

static hz_status sync_rows(store *st, store_link_rec *in, size_t n, const old_row *old, size_t nold,
                           sqlite3_stmt *const *q, int64_t *changed, char *err, size_t errlen)
{
    sqlite3_stmt *ins = q[0], *upd = q[1], *del = q[2];
    size_t i = 0, o = 0;
    hz_status s = HZ_OK;
    while (s == HZ_OK && (i < n || o < nold)) {
        int c = i == n ? 1 : o == nold ? -1 : pair_cmp(in[i].a, in[i].b, old[o].a, old[o].b);
        if (c < 0) { /* new pair */
            sqlite3_bind_int64(ins, 1, in[i].a);
            sqlite3_bind_int64(ins, 2, in[i].b);
            sqlite3_bind_double(ins, 3, in[i].score);
            sqlite3_bind_text(ins, 4, in[i].status, -1, SQLITE_STATIC);
            s = step_write(st, ins, changed, err, errlen);
            i++;
        } else if (c > 0) { /* an old pair the linkage no longer makes */
            if (!old[o].reviewed) {
                sqlite3_bind_int64(del, 1, old[o].id);
                s = step_write(st, del, changed, err, errlen);
            }
            o++;
        } else {
            if (!old[o].reviewed) { /* invariant 2 */
                sqlite3_bind_double(upd, 1, in[i].score);
                sqlite3_bind_text(upd, 2, in[i].status, -1, SQLITE_STATIC);
                sqlite3_bind_int64(upd, 3, old[o].id);
                s = step_write(st, upd, changed, err, errlen);
            }
            i++;
            o++;
        }
    }
    return s;
}

hz_status store_links_sync(store *st, const store_link_rec *links, size_t n, int64_t *changed,
                           char *err, size_t errlen)
{
    int64_t nchanged = 0;
    for (size_t i = 0; i < n; i++)
        if (links[i].a >= links[i].b || !links[i].status ||
            (strcmp(links[i].status, "auto") && strcmp(links[i].status, "possible")))
            return hz_fail(HZ_EINVAL, err, errlen,
                           "link %zu: needs a < b and status auto or possible", i);
    store_link_rec *in = malloc((n ? n : 1) * sizeof *in);
    if (!in) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (n) memcpy(in, links, n * sizeof *in);
    qsort(in, n, sizeof *in, link_cmp);
    for (size_t i = 1; i < n; i++)
        if (link_cmp(&in[i - 1], &in[i]) == 0) {
            int64_t a = in[i].a, b = in[i].b;
            free(in);
            return hz_fail(HZ_EINVAL, err, errlen, "link %lld-%lld given twice", (long long)a,
                           (long long)b);
        }
    if (store_pg(st)) {
        hz_status ps = pg_links_sync(store_pg(st), in, n, changed, err, errlen);
        free(in);
        return ps;
    }
    old_row *old = NULL;
    size_t nold = 0;
    sqlite3_stmt *q[3] = {NULL, NULL, NULL};
    static const char *const sql[3] = {
        "INSERT INTO record_links(a,b,score,status) VALUES(?,?,?,?)",
        ("UPDATE record_links SET score=?1, status=?2 WHERE id=?3 AND (score IS NOT ?1 OR"
         " status IS NOT ?2) AND status IN ('auto','possible')"),
        "DELETE FROM record_links WHERE id=? AND status IN ('auto','possible')"};
    hz_status s = store_begin(st, err, errlen);
    if (s != HZ_OK) {
        free(in);
        return s;
    }
    s = ensure_schema(st, err, errlen);
    if (s == HZ_OK) s = load_old(st, &old, &nold, err, errlen);
    for (int k = 0; k < 3 && s == HZ_OK; k++)
        if (sqlite3_prepare_v2(store_sqlite(st), sql[k], -1, &q[k], NULL) != SQLITE_OK)
            s = lk_fail(st, err, errlen, "preparing link writes");
    if (s == HZ_OK) s = sync_rows(st, in, n, old, nold, q, &nchanged, err, errlen);
    for (int k = 0; k < 3; k++)
        sqlite3_finalize(q[k]);
    free(old);
    free(in);
    if (s == HZ_OK) s = store_commit(st, err, errlen);
    if (s != HZ_OK) store_rollback(st);
    if (changed) *changed = s == HZ_OK ? nchanged : 0;
    return s;
}

static void read_link(sqlite3_stmt *s, store_link_rec *l)
{
    l->id = sqlite3_column_int64(s, 0);
    l->a = sqlite3_column_int64(s, 1);
    l->b = sqlite3_column_int64(s, 2);
    l->score = sqlite3_column_double(s, 3);
    l->status = (const char *)sqlite3_column_text(s, 4);
    l->reviewer = (const char *)sqlite3_column_text(s, 5);
    l->at = (const char *)sqlite3_column_text(s, 6);
}

hz_status store_links_scan(store *st, const char *status, int64_t offset, int64_t limit,
                           store_link_cb cb, void *ud, int64_t *total, char *err, size_t errlen)
{
    if (store_pg(st))
        return pg_links_scan(store_pg(st), status, offset, limit, cb, ud, total, err, errlen);
    if (total) *total = 0;
    sqlite3 *db = store_sqlite(st);
    if (!has_links(db)) return HZ_OK;
    sqlite3_stmt *s;
    if (total) {
        if (sqlite3_prepare_v2(db,
                               "SELECT count(*) FROM record_links WHERE ?1 IS NULL OR status=?1",
                               -1, &s, NULL) != SQLITE_OK)
            return lk_fail(st, err, errlen, "counting links");
        if (status) sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) *total = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (rc != SQLITE_ROW) return lk_fail(st, err, errlen, "counting links");
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT id,a,b,score,status,reviewer,at FROM record_links"
                           " WHERE ?1 IS NULL OR status=?1 ORDER BY id LIMIT ?2 OFFSET ?3",
                           -1, &s, NULL) != SQLITE_OK)
        return lk_fail(st, err, errlen, "reading links");
    if (status) sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, limit);
    sqlite3_bind_int64(s, 3, offset < 0 ? 0 : offset);
    int rc;
    store_arm_timeout(st);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        store_link_rec l;
        read_link(s, &l);
        if (cb(ud, &l)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    hz_status res = rc == SQLITE_DONE ? HZ_OK : lk_fail(st, err, errlen, "reading links");
    sqlite3_finalize(s);
    return res;
}

hz_status store_link_get(store *st, int64_t id, store_link_cb cb, void *ud, char *err,
                         size_t errlen)
{
    if (store_pg(st)) return pg_link_get(store_pg(st), id, cb, ud, err, errlen);
    sqlite3 *db = store_sqlite(st);
    if (!has_links(db)) return hz_fail(HZ_ENOTFOUND, err, errlen, "no link %lld", (long long)id);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT id,a,b,score,status,reviewer,at FROM record_links WHERE id=?",
                           -1, &s, NULL) != SQLITE_OK)
        return lk_fail(st, err, errlen, "reading link");
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    hz_status res = HZ_OK;
    if (rc == SQLITE_ROW) {
        store_link_rec l;
        read_link(s, &l);
        cb(ud, &l);
    } else if (rc == SQLITE_DONE) {
        res = hz_fail(HZ_ENOTFOUND, err, errlen, "no link %lld", (long long)id);
    } else {
        res = lk_fail(st, err, errlen, "reading link");
    }
    sqlite3_finalize(s);
    return res;
}

hz_status store_link_review(store *st, int64_t id, const char *status, const char *reviewer,
                            char *err, size_t errlen)
{
    if (!status || (strcmp(status, "confirmed") && strcmp(status, "rejected")))
        return hz_fail(HZ_EINVAL, err, errlen, "status must be confirmed or rejected");
    if (!reviewer || !*reviewer) return hz_fail(HZ_EINVAL, err, errlen, "reviewer is required");
    if (store_pg(st)) return pg_link_review(store_pg(st), id, status, reviewer, err, errlen);
    if (!has_links(store_sqlite(st)))
        return hz_fail(HZ_ENOTFOUND, err, errlen, "no link %lld", (long long)id);
    hz_status s = store_begin(st, err, errlen);
    if (s != HZ_OK) return s;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "UPDATE record_links SET status=?, reviewer=?,"
                           " at=strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id=?",
                           -1, &q, NULL) != SQLITE_OK) {
        s = lk_fail(st, err, errlen, "preparing the review");
        store_rollback(st);
        return s;
    }
    sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, id);
    int rc = sqlite3_step(q);
    int n = sqlite3_changes(store_sqlite(st));
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        s = lk_fail(st, err, errlen, "recording the review");
    else if (n == 0)
        s = hz_fail(HZ_ENOTFOUND, err, errlen, "no link %lld", (long long)id);
    if (s == HZ_OK) return store_commit(st, err, errlen);
    store_rollback(st);
    return s;
}

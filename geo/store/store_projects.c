/* store_projects.c - the projects registry and its audit log (store_projects.h).
 *
 * Invariants:
 *  1. Every committed change of a projects row has exactly one project_audit row, written in the
 *     same transaction (write_change()), whose after (before, for a delete) is the JSON of the row
 *     as stored; the audit rows are never changed or deleted (triggers).
 *  2. projects.version is 1 at creation and grows by exactly one per update; a write that names a
 *     version checks it under the write lock (BEGIN IMMEDIATE), so two writers of the same
 *     version cannot both succeed.
 *  3. The lists (partners, areas, sites, indicators) are stored as JSON arrays of strings, never
 *     NULL ("[]" for none).
 *  4. A project id is never reused (AUTOINCREMENT), not even after the newest project was
 *     deleted: an audit row's project_id names one project for ever. */
#include "hazmap/store_projects.h"
#include "store_pg.h"
#include "store_sqlite.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

static const char *const select_sql =
    "SELECT id,version,title,title_en,description,work_group,lead_unit,partners,type,target,"
    "areas,sites,AsBinary(geom),buffer_m,start_date,end_date,status,indicators,created_at,"
    "updated_at FROM projects";

static hz_status pfail(store *st, char *err, size_t errlen, const char *what)
{
    sqlite3 *db = store_sqlite(st);
    hz_status s = store_sqlite_status(db);
    return hz_fail(s, err, errlen, "%s: %s: %s", store_path(st), what,
                   s == HZ_ELIMIT ? "query time limit reached" : store_sqlite_errmsg(db));
}

/* ---- rows <-> projects ---- */

/* A JSON array of strings (invariant 3) as a malloc'd text; NULL on OOM. */
char *projects_list_text(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    char *t = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return t;
}

int projects_text_list(const char *text, char ***out, size_t *n)
{
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    size_t len = json_array_size(a);
    int rc = json_is_array(a) ? 0 : -1;
    if (rc == 0 && len && !(*out = calloc(len, sizeof **out))) rc = -1;
    for (size_t i = 0; rc == 0 && i < len; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s || !((*out)[i] = strdup(s))) rc = -1;
        *n = i + 1;
    }
    json_decref(a);
    return rc;
}

static char *col_dup(sqlite3_stmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    return t ? strdup(t) : NULL;
}

static int word_of(const char *w, const char *(*word)(int), int n)
{
    for (int i = 0; w && i < n; i++)
        if (strcmp(word(i), w) == 0) return i;
    return -1;
}

static const char *type_word_i(int i)
{
    return project_type_word((hz_project_type)i);
}

static const char *status_word_i(int i)
{
    return project_status_word((hz_project_status)i);
}

int projects_type_of(const char *w)
{
    return word_of(w, type_word_i, HZ_PTYPE_COUNT);
}

int projects_status_of(const char *w)
{
    return word_of(w, status_word_i, HZ_PSTATUS_COUNT);
}

/* A row of select_sql into *p (zeroed first); -1 on OOM or a malformed row. */
static int read_row(sqlite3_stmt *s, hz_project *p)
{
    memset(p, 0, sizeof *p);
    p->id = sqlite3_column_int64(s, 0);
    p->version = sqlite3_column_int64(s, 1);
    p->title = col_dup(s, 2);
    p->title_en = col_dup(s, 3);
    p->description = col_dup(s, 4);
    p->group = col_dup(s, 5);
    p->lead_unit = col_dup(s, 6);
    int t = word_of((const char *)sqlite3_column_text(s, 8), type_word_i, HZ_PTYPE_COUNT);
    int st = word_of((const char *)sqlite3_column_text(s, 16), status_word_i, HZ_PSTATUS_COUNT);
    p->target = col_dup(s, 9);
    if (!p->title || !p->group || !p->target || t < 0 || st < 0) return -1;
    p->type = (hz_project_type)t;
    p->status = (hz_project_status)st;
    if (projects_text_list((const char *)sqlite3_column_text(s, 7), &p->partners, &p->npartners) ||
        projects_text_list((const char *)sqlite3_column_text(s, 10), &p->areas, &p->nareas) ||
        projects_text_list((const char *)sqlite3_column_text(s, 11), &p->sites, &p->nsites) ||
        projects_text_list((const char *)sqlite3_column_text(s, 17), &p->indicators,
                           &p->nindicators))
        return -1;
    int wl = sqlite3_column_bytes(s, 12);
    if (sqlite3_column_type(s, 12) == SQLITE_BLOB && wl > 0) {
        if (!(p->wkb = malloc((size_t)wl))) return -1;
        memcpy(p->wkb, sqlite3_column_blob(s, 12), (size_t)wl);
        p->wkb_len = (size_t)wl;
    }
    p->buffer_m = sqlite3_column_double(s, 13);
    snprintf(p->start, sizeof p->start, "%s", (const char *)sqlite3_column_text(s, 14));
    const char *end = (const char *)sqlite3_column_text(s, 15);
    snprintf(p->end, sizeof p->end, "%s", end ? end : "");
    snprintf(p->created_at, sizeof p->created_at, "%s", (const char *)sqlite3_column_text(s, 18));
    snprintf(p->updated_at, sizeof p->updated_at, "%s", (const char *)sqlite3_column_text(s, 19));
    return 0;
}

/* Project id into *p, inside or outside a transaction; HZ_ENOTFOUND without one. */
static hz_status get_one(store *st, int64_t id, hz_project *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    sqlite3 *db = store_sqlite(st);
    char sql[600];
    snprintf(sql, sizeof sql, "%s WHERE id=?", select_sql);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return pfail(st, err, errlen, "reading project");
    sqlite3_bind_int64(s, 1, id);
    store_arm_timeout(st);
    int rc = sqlite3_step(s);
    hz_status res = HZ_OK;
    if (rc == SQLITE_ROW) {
        if (read_row(s, p))
            res = hz_fail(HZ_ENOMEM, err, errlen,
                          "reading project %lld: out of "
                          "memory or a malformed row",
                          (long long)id);
    } else if (rc == SQLITE_DONE) {
        res = hz_fail(HZ_ENOTFOUND, err, errlen, "no project %lld", (long long)id);
    } else {
        res = pfail(st, err, errlen, "reading project");
    }
    sqlite3_finalize(s);
    return res;
}

hz_status store_project_get(store *st, int64_t id, hz_project *p, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_project_get(store_pg(st), id, p, err, errlen);
    return get_one(st, id, p, err, errlen);
}

/* Every area code of p names a stored area. */
static hz_status check_areas(store *st, const hz_project *p, char *err, size_t errlen)
{
    if (!p->nareas) return HZ_OK;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st), "SELECT 1 FROM areas WHERE code=?", -1, &s, NULL) !=
        SQLITE_OK)
        return pfail(st, err, errlen, "checking areas");
    hz_status res = HZ_OK;
    for (size_t i = 0; i < p->nareas && res == HZ_OK; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, p->areas[i], -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
            res = hz_fail(HZ_EINVAL, err, errlen, "areas[%zu]: unknown area code '%.64s'", i,
                          p->areas[i]);
        else if (rc != SQLITE_ROW)
            res = pfail(st, err, errlen, "checking areas");
    }
    sqlite3_finalize(s);
    return res;
}

/* Binds p's fields to ?1..?17 of the insert and update statements (strings SQLITE_STATIC, the
 * list texts SQLITE_TRANSIENT). -1 on OOM. */
static int bind_project(sqlite3_stmt *s, const hz_project *p)
{
    char *lists[4] = {
        projects_list_text(p->partners, p->npartners), projects_list_text(p->areas, p->nareas),
        projects_list_text(p->sites, p->nsites), projects_list_text(p->indicators, p->nindicators)};
    int ok = lists[0] && lists[1] && lists[2] && lists[3];
    sqlite3_bind_text(s, 1, p->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, p->title_en, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(s, 3, p->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, p->group, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, p->lead_unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, lists[0], -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 7, project_type_word(p->type), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, p->target ? p->target : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, lists[1], -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 10, lists[2], -1, SQLITE_TRANSIENT);
    if (p->wkb)
        sqlite3_bind_blob(s, 11, p->wkb, (int)p->wkb_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 11);
    sqlite3_bind_double(s, 12, p->buffer_m);
    sqlite3_bind_text(s, 13, p->start, -1, SQLITE_STATIC);
    if (p->end[0])
        sqlite3_bind_text(s, 14, p->end, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 14);
    sqlite3_bind_text(s, 15, project_status_word(p->status), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 16, lists[3], -1, SQLITE_TRANSIENT);
    for (int i = 0; i < 4; i++)
        free(lists[i]);
    return ok ? 0 : -1;
}

#define PROJECT_VALUES                                                                             \
    "?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,CASE WHEN ?11 IS NULL THEN NULL ELSE GeomFromWKB(?11,4326) "   \
    "END,?12,?13,?14,?15,?16"

/* The project's JSON text (project_to_json()), malloc'd; NULL on OOM. */
char *projects_json_text(const hz_project *p)
{
    json_t *j = project_to_json(p);
    char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return t;
}

/* The audit row of one change (invariant 1): before and after may be NULL. */
static hz_status audit_add(store *st, int64_t id, const char *actor, const char *action,
                           const hz_project *before, const hz_project *after, char *err,
                           size_t errlen)
{
    char *b = before ? projects_json_text(before) : NULL,
         *a = after ? projects_json_text(after) : NULL;
    if ((before && !b) || (after && !a)) {
        free(b);
        free(a);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    sqlite3_stmt *s;
    hz_status res = HZ_OK;
    if (sqlite3_prepare_v2(store_sqlite(st),
                           "INSERT INTO project_audit(project_id,at,actor,action,before,after)"
                           " VALUES(?," NOW_SQL ",?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        res = pfail(st, err, errlen, "writing the audit log");
    if (res == HZ_OK) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, actor, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, b, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, a, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE) res = pfail(st, err, errlen, "writing the audit log");
        sqlite3_finalize(s);
    }
    free(b);
    free(a);
    return res;
}

/* Runs one statement of sql with p bound (and ?17 = extra when extra > 0); the rows it changed
 * into *changed. */
static hz_status run_write(store *st, const char *sql, const hz_project *p, int64_t extra,
                           int *changed, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK)
        return pfail(st, err, errlen, "writing project");
    hz_status res = HZ_OK;
    if (p && bind_project(s, p)) res = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (extra > 0) sqlite3_bind_int64(s, 17, extra);
    if (res == HZ_OK && sqlite3_step(s) != SQLITE_DONE)
        res = pfail(st, err, errlen, "writing project");
    if (res == HZ_OK) *changed = sqlite3_changes(store_sqlite(st));
    sqlite3_finalize(s);
    return res;
}

/* Ends a write: commits after res == HZ_OK, else rolls back and passes res on. */
static hz_status finish(store *st, hz_status res, char *err, size_t errlen)
{
    if (res != HZ_OK) {
        store_rollback(st);
        return res;
    }
    return store_commit(st, err, errlen);
}

hz_status store_project_add(store *st, const hz_project *p, const char *actor, int64_t *id,
                            char *err, size_t errlen)
{
    if (store_pg(st)) return pg_project_add(store_pg(st), p, actor, id, err, errlen);
    assert(actor && p->title && p->group);
    hz_status res = store_begin(st, err, errlen);
    if (res != HZ_OK) return res;
    int changed = 0;
    hz_project after;
    memset(&after, 0, sizeof after);
    res = check_areas(st, p, err, errlen);
    if (res == HZ_OK)
        res = run_write(st,
                        "INSERT INTO projects(title,title_en,description,work_group,lead_unit,"
                        "partners,type,target,areas,sites,geom,buffer_m,start_date,end_date,"
                        "status,indicators,version,created_at,updated_at) VALUES(" PROJECT_VALUES
                        ",1," NOW_SQL "," NOW_SQL ")",
                        p, 0, &changed, err, errlen);
    if (res == HZ_OK) {
        *id = sqlite3_last_insert_rowid(store_sqlite(st));
        res = get_one(st, *id, &after, err, errlen);
    }
    if (res == HZ_OK) res = audit_add(st, *id, actor, "create", NULL, &after, err, errlen);
    project_free(&after);
    return finish(st, res, err, errlen);
}

hz_status projects_check_version(const hz_project *p, int64_t id, int64_t version, char *err,
                                 size_t errlen)
{
    if (!version || p->version == version) return HZ_OK;
    return hz_fail(HZ_ECONFLICT, err, errlen,
                   "project %lld is at version %lld, not %lld: it changed since it was read; "
                   "read it again",
                   (long long)id, (long long)p->version, (long long)version);
}

/* Reads project id under the write lock and checks that it is at version (0: any). */
static hz_status locked_get(store *st, int64_t id, int64_t version, hz_project *p, char *err,
                            size_t errlen)
{
    hz_status res = get_one(st, id, p, err, errlen);
    return res == HZ_OK ? projects_check_version(p, id, version, err, errlen) : res;
}

hz_status store_project_update(store *st, const hz_project *p, const char *actor, char *err,
                               size_t errlen)
{
    if (store_pg(st)) return pg_project_update(store_pg(st), p, actor, err, errlen);
    assert(actor && p->title && p->group);
    if (p->version < 1) return hz_fail(HZ_EINVAL, err, errlen, "version: required for an update");
    hz_status res = store_begin(st, err, errlen);
    if (res != HZ_OK) return res;
    hz_project before, after;
    memset(&after, 0, sizeof after);
    int changed = 0;
    res = locked_get(st, p->id, p->version, &before, err, errlen);
    if (res == HZ_OK) res = check_areas(st, p, err, errlen);
    if (res == HZ_OK)
        res = run_write(st,
                        "UPDATE projects SET (title,title_en,description,work_group,lead_unit,"
                        "partners,type,target,areas,sites,geom,buffer_m,start_date,end_date,"
                        "status,indicators) = (" PROJECT_VALUES
                        "), version=version+1, updated_at=" NOW_SQL " WHERE id=?17",
                        p, p->id, &changed, err, errlen);
    assert(res != HZ_OK || changed == 1); /* the row was read under the same write lock */
    if (res == HZ_OK) res = get_one(st, p->id, &after, err, errlen);
    if (res == HZ_OK) res = audit_add(st, p->id, actor, "update", &before, &after, err, errlen);
    project_free(&before);
    project_free(&after);
    return finish(st, res, err, errlen);
}

hz_status store_project_delete(store *st, int64_t id, int64_t version, const char *actor, char *err,
                               size_t errlen)
{
    if (store_pg(st)) return pg_project_delete(store_pg(st), id, version, actor, err, errlen);
    assert(actor);
    hz_status res = store_begin(st, err, errlen);
    if (res != HZ_OK) return res;
    hz_project before;
    int changed = 0;
    res = locked_get(st, id, version, &before, err, errlen);
    if (res == HZ_OK) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(store_sqlite(st), "DELETE FROM projects WHERE id=?", -1, &s, NULL) !=
            SQLITE_OK)
            res = pfail(st, err, errlen, "deleting project");
        if (res == HZ_OK) {
            sqlite3_bind_int64(s, 1, id);
            if (sqlite3_step(s) != SQLITE_DONE) res = pfail(st, err, errlen, "deleting project");
            changed = sqlite3_changes(store_sqlite(st));
            sqlite3_finalize(s);
        }
    }
    assert(res != HZ_OK || changed == 1);
    if (res == HZ_OK) res = audit_add(st, id, actor, "delete", &before, NULL, err, errlen);
    project_free(&before);
    return finish(st, res, err, errlen);
}

hz_status projects_put_stored(store *st, const hz_project *p, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_project_put_stored(store_pg(st), p, err, errlen);
    assert(p->id > 0 && p->version >= 1);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(
            store_sqlite(st),
            "INSERT INTO projects(title,title_en,description,work_group,lead_unit,"
            "partners,type,target,areas,sites,geom,buffer_m,start_date,end_date,"
            "status,indicators,id,version,created_at,updated_at) VALUES(" PROJECT_VALUES
            ",?17,?18,?19,?20)",
            -1, &s, NULL) != SQLITE_OK)
        return pfail(st, err, errlen, "copying project");
    hz_status res = bind_project(s, p) ? hz_fail(HZ_ENOMEM, err, errlen, "out of memory") : HZ_OK;
    sqlite3_bind_int64(s, 17, p->id);
    sqlite3_bind_int64(s, 18, p->version);
    sqlite3_bind_text(s, 19, p->created_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 20, p->updated_at, -1, SQLITE_STATIC);
    if (res == HZ_OK && sqlite3_step(s) != SQLITE_DONE)
        res = pfail(st, err, errlen, "copying project");
    sqlite3_finalize(s);
    return res;
}

hz_status store_projects_scan(store *st, const char *group, int status, store_project_cb cb,
                              void *ud, char *err, size_t errlen)
{
    if (store_pg(st)) return pg_projects_scan(store_pg(st), group, status, cb, ud, err, errlen);
    char sql[700];
    snprintf(sql, sizeof sql,
             "%s WHERE (?1 IS NULL OR work_group=?1) AND (?2 IS NULL OR status=?2) ORDER BY id",
             select_sql);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK)
        return pfail(st, err, errlen, "reading projects");
    sqlite3_bind_text(s, 1, group, -1, SQLITE_STATIC);
    const char *sw = status >= 0 ? project_status_word((hz_project_status)status) : NULL;
    sqlite3_bind_text(s, 2, sw, -1, SQLITE_STATIC);
    store_arm_timeout(st);
    int rc;
    hz_status res = HZ_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        hz_project p;
        if (read_row(s, &p)) {
            project_free(&p);
            res = hz_fail(HZ_ENOMEM, err, errlen,
                          "reading projects: out of memory or a "
                          "malformed row");
            break;
        }
        int stop = cb(ud, &p);
        project_free(&p);
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (res == HZ_OK && rc != SQLITE_DONE) res = pfail(st, err, errlen, "reading projects");
    sqlite3_finalize(s);
    return res;
}

hz_status store_project_audit_scan(store *st, int64_t project_id, int64_t offset, int64_t limit,
                                   store_audit_cb cb, void *ud, int64_t *total, char *err,
                                   size_t errlen)
{
    if (store_pg(st))
        return pg_project_audit_scan(store_pg(st), project_id, offset, limit, cb, ud, total, err,
                                     errlen);
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *s;
    store_arm_timeout(st);
    if (total) {
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM project_audit WHERE ?1=0 OR project_id=?1",
                               -1, &s, NULL) != SQLITE_OK)
            return pfail(st, err, errlen, "reading the audit log");
        sqlite3_bind_int64(s, 1, project_id);
        int rc = sqlite3_step(s);
        *total = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
        sqlite3_finalize(s);
        if (rc != SQLITE_ROW) return pfail(st, err, errlen, "reading the audit log");
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT id,project_id,at,actor,action,before,after FROM project_audit"
                           " WHERE ?1=0 OR project_id=?1 ORDER BY id LIMIT ?2 OFFSET ?3",
                           -1, &s, NULL) != SQLITE_OK)
        return pfail(st, err, errlen, "reading the audit log");
    sqlite3_bind_int64(s, 1, project_id);
    sqlite3_bind_int64(s, 2, limit);
    sqlite3_bind_int64(s, 3, offset);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        store_audit_rec a = {
            .id = sqlite3_column_int64(s, 0),
            .project_id = sqlite3_column_int64(s, 1),
            .at = (const char *)sqlite3_column_text(s, 2),
            .actor = (const char *)sqlite3_column_text(s, 3),
            .action = (const char *)sqlite3_column_text(s, 4),
            .before = (const char *)sqlite3_column_text(s, 5),
            .after = (const char *)sqlite3_column_text(s, 6),
        };
        if (cb(ud, &a)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    hz_status res = rc == SQLITE_DONE ? HZ_OK : pfail(st, err, errlen, "reading the audit log");
    sqlite3_finalize(s);
    return res;
}

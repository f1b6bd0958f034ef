/* pg_projects.c - the projects registry and its audit log on PostGIS (store_projects.h,
 * store_pg.h). The same tables, columns and invariants as store_projects.c:
 *  1. every committed change of a projects row has exactly one project_audit row, written in the
 *     same transaction; a trigger refuses any UPDATE or DELETE of the audit log;
 *  2. projects.version is 1 at creation and grows by one per update, checked under the writers'
 *     advisory lock (pg_begin()), so two writers of the same version cannot both succeed;
 *  3. the lists are JSON arrays of strings, never NULL;
 *  4. ids come from a sequence (BIGSERIAL): never reused, not even after a delete.
 * The drawn location is a geometry(Geometry,4326), read back as little-endian WKB, as SpatiaLite's
 * AsBinary() gives it, so a project's JSON is the same on both backends. Every write marks the
 * transaction dirty: it bumps the data version (evaluations depend on the projects). */
#include "store_pg.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define SELECT_SQL                                                                                 \
    "SELECT id,version,title,title_en,description,work_group,lead_unit,partners,type,target,"      \
    "areas,sites,encode(ST_AsBinary(geom,'NDR'),'hex'),buffer_m,start_date,end_date,status,"       \
    "indicators,created_at,updated_at FROM projects"

/* $1 .. $16 of the insert and update (the same order as store_projects.c's PROJECT_VALUES). */
#define PROJECT_COLS                                                                               \
    "title,title_en,description,work_group,lead_unit,partners,type,target,areas,sites,geom,"       \
    "buffer_m,start_date,end_date,status,indicators"
#define PROJECT_VALUES "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,ST_GeomFromWKB($11,4326),$12,$13,$14,$15,$16"

static char *dup_or_null(const PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? NULL : strdup(PQgetvalue(r, i, c));
}

/* Row i of a SELECT_SQL result into *p (zeroed first); -1 on OOM or a malformed row. */
static int read_row(const PGresult *r, int i, hz_project *p)
{
    memset(p, 0, sizeof *p);
    p->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    p->version = strtoll(PQgetvalue(r, i, 1), NULL, 10);
    p->title = dup_or_null(r, i, 2);
    p->title_en = dup_or_null(r, i, 3);
    p->description = dup_or_null(r, i, 4);
    p->group = dup_or_null(r, i, 5);
    p->lead_unit = dup_or_null(r, i, 6);
    p->target = dup_or_null(r, i, 9);
    int t = projects_type_of(PQgetvalue(r, i, 8)), st = projects_status_of(PQgetvalue(r, i, 16));
    if (!p->title || !p->group || !p->target || t < 0 || st < 0) return -1;
    p->type = (hz_project_type)t;
    p->status = (hz_project_status)st;
    if (projects_text_list(PQgetvalue(r, i, 7), &p->partners, &p->npartners) ||
        projects_text_list(PQgetvalue(r, i, 10), &p->areas, &p->nareas) ||
        projects_text_list(PQgetvalue(r, i, 11), &p->sites, &p->nsites) ||
        projects_text_list(PQgetvalue(r, i, 17), &p->indicators, &p->nindicators))
        return -1;
    const char *hex = PQgetisnull(r, i, 12) ? "" : PQgetvalue(r, i, 12);
    size_t n = strlen(hex) / 2;
    if (n) {
        if (!(p->wkb = malloc(n))) return -1;
        if (pg_hex_decode(hex, p->wkb, n) != 0) return -1;
        p->wkb_len = n;
    }
    p->buffer_m = strtod(PQgetvalue(r, i, 13), NULL);
    snprintf(p->start, sizeof p->start, "%s", PQgetvalue(r, i, 14));
    snprintf(p->end, sizeof p->end, "%s", PQgetvalue(r, i, 15)); /* "" for NULL */
    snprintf(p->created_at, sizeof p->created_at, "%s", PQgetvalue(r, i, 18));
    snprintf(p->updated_at, sizeof p->updated_at, "%s", PQgetvalue(r, i, 19));
    return 0;
}

static hz_status get_one(pgstore *pg, int64_t id, hz_project *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    char idt[32];
    snprintf(idt, sizeof idt, "%" PRId64, id);
    const char *v[1] = {idt};
    PGresult *r = pg_query(pg, SELECT_SQL " WHERE id=$1", 1, v, err, errlen, "reading project");
    if (!r) return pg_last_status(pg);
    hz_status res = HZ_OK;
    if (PQntuples(r) == 0)
        res = hz_fail(HZ_ENOTFOUND, err, errlen, "no project %lld", (long long)id);
    else if (read_row(r, 0, p))
        res = hz_fail(HZ_ENOMEM, err, errlen,
                      "reading project %lld: out of memory or a malformed row", (long long)id);
    PQclear(r);
    return res;
}

hz_status pg_project_get(pgstore *pg, int64_t id, hz_project *p, char *err, size_t errlen)
{
    return get_one(pg, id, p, err, errlen);
}

static hz_status check_areas(pgstore *pg, const hz_project *p, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->nareas; i++) {
        const char *v[1] = {p->areas[i]};
        PGresult *r =
            pg_query(pg, "SELECT 1 FROM areas WHERE code=$1", 1, v, err, errlen, "checking areas");
        if (!r) return pg_last_status(pg);
        int found = PQntuples(r) > 0;
        PQclear(r);
        if (!found)
            return hz_fail(HZ_EINVAL, err, errlen, "areas[%zu]: unknown area code '%.64s'", i,
                           p->areas[i]);
    }
    return HZ_OK;
}

/* Runs sql with p's fields as $1 .. $16 (the location as binary bytea) and the nextra (at most
 * 4) texts of extra as $17 .. The result is the caller's to clear; NULL after a failure
 * (reported). */
static PGresult *run_write(pgstore *pg, const char *sql, const hz_project *p,
                           const char *const *extra, int nextra, char *err, size_t errlen)
{
    assert(nextra >= 0 && nextra <= 4);
    char *lists[4] = {
        projects_list_text(p->partners, p->npartners), projects_list_text(p->areas, p->nareas),
        projects_list_text(p->sites, p->nsites), projects_list_text(p->indicators, p->nindicators)};
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", p->buffer_m);
    const char *v[20] = {p->title,
                         p->title_en,
                         p->description,
                         p->group,
                         p->lead_unit,
                         lists[0],
                         project_type_word(p->type),
                         p->target ? p->target : "",
                         lists[1],
                         lists[2],
                         (const char *)p->wkb,
                         buf,
                         p->start,
                         p->end[0] ? p->end : NULL,
                         project_status_word(p->status),
                         lists[3]};
    for (int i = 0; i < nextra; i++)
        v[16 + i] = extra[i];
    int lens[20] = {0}, fmts[20] = {0};
    lens[10] = (int)p->wkb_len;
    fmts[10] = 1;
    PGresult *r = NULL;
    if (!lists[0] || !lists[1] || !lists[2] || !lists[3]) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    } else {
        r = PQexecParams(pg_conn(pg), sql, 16 + nextra, NULL, v, lens, fmts, 0);
        ExecStatusType t = PQresultStatus(r);
        if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
            pg_fail(pg, r, err, errlen, "writing project");
            r = NULL;
        }
    }
    for (int i = 0; i < 4; i++)
        free(lists[i]);
    return r;
}

static hz_status audit_add(pgstore *pg, int64_t id, const char *actor, const char *action,
                           const hz_project *before, const hz_project *after, char *err,
                           size_t errlen)
{
    char *b = before ? projects_json_text(before) : NULL;
    char *a = after ? projects_json_text(after) : NULL;
    hz_status res = HZ_OK;
    if ((before && !b) || (after && !a)) {
        res = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    } else {
        char idt[32];
        snprintf(idt, sizeof idt, "%" PRId64, id);
        const char *v[5] = {idt, actor, action, b, a};
        PGresult *r = pg_query(pg,
                               "INSERT INTO project_audit(project_id,at,actor,action,before,after)"
                               " VALUES($1," PG_NOW ",$2,$3,$4,$5)",
                               5, v, err, errlen, "writing the audit log");
        if (!r) res = pg_last_status(pg);
        PQclear(r);
    }
    free(b);
    free(a);
    return res;
}

/* Ends a write: marks it as a data change and commits after res == HZ_OK, else rolls back. */
static hz_status finish(pgstore *pg, hz_status res, char *err, size_t errlen)
{
    if (res != HZ_OK) {
        pg_rollback(pg);
        return res;
    }
    pg_dirty(pg);
    return pg_commit(pg, err, errlen);
}

hz_status pg_project_add(pgstore *pg, const hz_project *p, const char *actor, int64_t *id,
                         char *err, size_t errlen)
{
    assert(actor && p->title && p->group);
    hz_status res = pg_begin(pg, err, errlen);
    if (res != HZ_OK) return res;
    hz_project after;
    memset(&after, 0, sizeof after);
    res = check_areas(pg, p, err, errlen);
    if (res == HZ_OK) {
        PGresult *r =
            run_write(pg,
                      "INSERT INTO projects(" PROJECT_COLS ",version,created_at,"
                      "updated_at) VALUES(" PROJECT_VALUES ",1," PG_NOW "," PG_NOW ") RETURNING id",
                      p, NULL, 0, err, errlen);
        if (!r) res = pg_last_status(pg);
        if (r) *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    if (res == HZ_OK) res = get_one(pg, *id, &after, err, errlen);
    if (res == HZ_OK) res = audit_add(pg, *id, actor, "create", NULL, &after, err, errlen);
    project_free(&after);
    return finish(pg, res, err, errlen);
}

/* Reads project id under the writers' lock and checks it is at version (0: any). */
static hz_status locked_get(pgstore *pg, int64_t id, int64_t version, hz_project *p, char *err,
                            size_t errlen)
{
    hz_status res = get_one(pg, id, p, err, errlen);
    return res == HZ_OK ? projects_check_version(p, id, version, err, errlen) : res;
}

hz_status pg_project_update(pgstore *pg, const hz_project *p, const char *actor, char *err,
                            size_t errlen)
{
    assert(actor && p->title && p->group);
    if (p->version < 1) return hz_fail(HZ_EINVAL, err, errlen, "version: required for an update");
    hz_status res = pg_begin(pg, err, errlen);
    if (res != HZ_OK) return res;
    hz_project before, after;
    memset(&after, 0, sizeof after);
    res = locked_get(pg, p->id, p->version, &before, err, errlen);
    if (res == HZ_OK) res = check_areas(pg, p, err, errlen);
    if (res == HZ_OK) {
        char idt[32];
        snprintf(idt, sizeof idt, "%" PRId64, p->id);
        const char *ext[1] = {idt};
        PGresult *r = run_write(pg,
                                "UPDATE projects SET (" PROJECT_COLS ") = (" PROJECT_VALUES
                                "), version=version+1, updated_at=" PG_NOW " WHERE id=$17",
                                p, ext, 1, err, errlen);
        if (!r) res = pg_last_status(pg);
        assert(!r || strcmp(PQcmdTuples(r), "1") == 0); /* read under the same lock */
        PQclear(r);
    }
    if (res == HZ_OK) res = get_one(pg, p->id, &after, err, errlen);
    if (res == HZ_OK) res = audit_add(pg, p->id, actor, "update", &before, &after, err, errlen);
    project_free(&before);
    project_free(&after);
    return finish(pg, res, err, errlen);
}

hz_status pg_project_delete(pgstore *pg, int64_t id, int64_t version, const char *actor, char *err,
                            size_t errlen)
{
    assert(actor);
    hz_status res = pg_begin(pg, err, errlen);
    if (res != HZ_OK) return res;
    hz_project before;
    res = locked_get(pg, id, version, &before, err, errlen);
    if (res == HZ_OK) {
        char idt[32];
        snprintf(idt, sizeof idt, "%" PRId64, id);
        const char *v[1] = {idt};
        PGresult *r =
            pg_query(pg, "DELETE FROM projects WHERE id=$1", 1, v, err, errlen, "deleting project");
        if (!r) res = pg_last_status(pg);
        assert(!r || strcmp(PQcmdTuples(r), "1") == 0);
        PQclear(r);
    }
    if (res == HZ_OK) res = audit_add(pg, id, actor, "delete", &before, NULL, err, errlen);
    project_free(&before);
    return finish(pg, res, err, errlen);
}

hz_status pg_project_put_stored(pgstore *pg, const hz_project *p, char *err, size_t errlen)
{
    assert(pg_in_tx(pg) && p->id > 0 && p->version >= 1);
    char idt[32], vt[32];
    snprintf(idt, sizeof idt, "%" PRId64, p->id);
    snprintf(vt, sizeof vt, "%" PRId64, p->version);
    const char *ext[4] = {idt, vt, p->created_at, p->updated_at};
    PGresult *r =
        run_write(pg,
                  "INSERT INTO projects(" PROJECT_COLS ",id,version,created_at,updated_at)"
                  " VALUES(" PROJECT_VALUES ",$17,$18,$19,$20)",
                  p, ext, 4, err, errlen);
    if (!r) return pg_last_status(pg);
    PQclear(r);
    pg_dirty(pg);
    return HZ_OK;
}

hz_status pg_projects_scan(pgstore *pg, const char *group, int status, store_project_cb cb,
                           void *ud, char *err, size_t errlen)
{
    const char *v[2] = {group, status >= 0 ? project_status_word((hz_project_status)status) : NULL};
    PGresult *r = pg_query(pg,
                           SELECT_SQL " WHERE ($1::text IS NULL OR work_group=$1)"
                                      " AND ($2::text IS NULL OR status=$2) ORDER BY id",
                           2, v, err, errlen, "reading projects");
    if (!r) return pg_last_status(pg);
    hz_status res = HZ_OK;
    for (int i = 0; i < PQntuples(r); i++) {
        hz_project p;
        if (read_row(r, i, &p)) {
            project_free(&p);
            res = hz_fail(HZ_ENOMEM, err, errlen,
                          "reading projects: out of memory or a malformed row");
            break;
        }
        int stop = cb(ud, &p);
        project_free(&p);
        if (stop) break;
    }
    PQclear(r);
    return res;
}

hz_status pg_project_audit_scan(pgstore *pg, int64_t project_id, int64_t offset, int64_t limit,
                                store_audit_cb cb, void *ud, int64_t *total, char *err,
                                size_t errlen)
{
    char pid[32], off[32], lim[32];
    snprintf(pid, sizeof pid, "%" PRId64, project_id);
    snprintf(off, sizeof off, "%" PRId64, offset > 0 ? offset : 0);
    snprintf(lim, sizeof lim, "%" PRId64, limit);
    PGresult *r;
    if (total) {
        const char *v[1] = {pid};
        r = pg_query(pg, "SELECT count(*) FROM project_audit WHERE $1::bigint=0 OR project_id=$1",
                     1, v, err, errlen, "reading the audit log");
        if (!r) return pg_last_status(pg);
        *total = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    const char *v[3] = {pid, limit >= 0 ? lim : NULL, off}; /* LIMIT NULL: no limit */
    r = pg_query(pg,
                 "SELECT id,project_id,at,actor,action,before,after FROM project_audit"
                 " WHERE $1::bigint=0 OR project_id=$1 ORDER BY id LIMIT $2::bigint"
                 " OFFSET $3::bigint",
                 3, v, err, errlen, "reading the audit log");
    if (!r) return pg_last_status(pg);
    for (int i = 0; i < PQntuples(r); i++) {
        store_audit_rec a = {
            .id = strtoll(PQgetvalue(r, i, 0), NULL, 10),
            .project_id = strtoll(PQgetvalue(r, i, 1), NULL, 10),
            .at = PQgetvalue(r, i, 2),
            .actor = PQgetvalue(r, i, 3),
            .action = PQgetvalue(r, i, 4),
            .before = PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5),
            .after = PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6),
        };
        if (cb(ud, &a)) break;
    }
    PQclear(r);
    return HZ_OK;
}

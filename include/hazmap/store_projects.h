/* store_projects.h - the safety-promotion projects registry in the store (geo/store/
 * store_projects.c): the projects (project.h) and their audit log.
 *
 * Tables (schema 3): projects (the scalar fields as columns, the lists as JSON text arrays, the
 * drawn location as a nullable SpatiaLite GEOMETRY in EPSG:4326) and project_audit (id,
 * project_id, at: UTC ISO 8601, actor, action create|update|delete, before and after: the
 * project's JSON (project_to_json()) before and after the change, null for a create's before and
 * a delete's after). The audit log is append-only: triggers refuse any UPDATE or DELETE of it,
 * and a deleted project's rows stay.
 *
 * Every write runs in a transaction of its own (store_begin(): none may be open) that holds the
 * change and its audit row together: a write that fails leaves neither. A write bumps the data
 * version (evaluations depend on the projects). Optimistic locking: a project's version is 1 when
 * it is created and grows by one per update; an update or delete naming another version than the
 * stored one fails with HZ_ECONFLICT and changes nothing.
 *
 * actor is who made the change (a token's role and label, "cli"): required, borrowed.
 * Projects handed to callbacks are valid during the callback only. */
#ifndef HAZMAP_STORE_PROJECTS_H
#define HAZMAP_STORE_PROJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/project.h"
#include "hazmap/status.h"
#include "hazmap/store.h"

/* Writes p as a new project (p->id, version, created_at and updated_at are ignored) and its
 * "create" audit row; *id receives its id. Every area code of p must be one of the store's
 * areas (else HZ_EINVAL naming it). */
hz_status store_project_add(store *st, const hz_project *p, const char *actor, int64_t *id,
                            char *err, size_t errlen);

/* Replaces project p->id by p when its stored version is p->version (HZ_ECONFLICT otherwise,
 * HZ_ENOTFOUND without such a project), with version + 1 and a new updated_at, and writes the
 * "update" audit row. created_at is kept. Areas as for store_project_add(). */
hz_status store_project_update(store *st, const hz_project *p, const char *actor, char *err,
                               size_t errlen);

/* Deletes project id (when version is not 0, only at that version: HZ_ECONFLICT otherwise) and
 * writes the "delete" audit row. HZ_ENOTFOUND without such a project. */
hz_status store_project_delete(store *st, int64_t id, int64_t version, const char *actor, char *err,
                               size_t errlen);

/* Reads project id into *p (initialised by the call; free it with project_free(), also on
 * failure). HZ_ENOTFOUND without such a project. */
hz_status store_project_get(store *st, int64_t id, hz_project *p, char *err, size_t errlen);

typedef int (*store_project_cb)(void *ud, const hz_project *p);

/* Calls cb for the projects of group (NULL: every group) with status (-1: any) in id order. A
 * non-zero return stops the scan. */
hz_status store_projects_scan(store *st, const char *group, int status, store_project_cb cb,
                              void *ud, char *err, size_t errlen);

typedef struct store_audit_rec {
    int64_t id, project_id;
    const char *at;     /* "2026-11-29T18:00:00Z" */
    const char *actor;  /* as given to the write */
    const char *action; /* "create", "update", "delete" */
    const char *before; /* JSON text, NULL for a create */
    const char *after;  /* JSON text, NULL for a delete */
} store_audit_rec;

typedef int (*store_audit_cb)(void *ud, const store_audit_rec *a);

/* Calls cb for the audit rows of project_id (0: every project) in id (time) order, skipping
 * offset and stopping after limit (-1: no limit); *total (may be NULL) receives their number. */
hz_status store_project_audit_scan(store *st, int64_t project_id, int64_t offset, int64_t limit,
                                   store_audit_cb cb, void *ud, int64_t *total, char *err,
                                   size_t errlen);

#endif

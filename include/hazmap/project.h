/* project.h - a safety-promotion project (安全促进项目) of the programme cycle (issue 12): the
 * in-memory model shared by the registry (store, API, CLI), the evaluation and the reports.
 *
 * A project belongs to one group of wgroups.h (the ten working groups, surveillance or
 * publicity), targets the incidents of a filter (filter.h query string, e.g.
 * "mechanism=fall&age=65-"; "" = the group's own filter) at a location, and runs from start to
 * end (local dates, +08:00). The location is any of: area codes (with their descendants), road
 * sites of the network screening (site ids as `hazmap screen` writes them), a drawn geometry
 * (WKB, EPSG:4326 lon/lat: point, line or polygon, with buffer_m for points and lines). A project
 * with road sites or a small geometry is a *site* project (EB before/after); one with areas only
 * is an *area* project (rate ratio against comparison areas, interrupted time series).
 *
 * Ownership: a hz_project owns every string and array it points to; project_free() releases
 * them. Text is UTF-8. */
#ifndef HAZMAP_PROJECT_H
#define HAZMAP_PROJECT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/status.h"

typedef enum hz_project_type {
    HZ_PTYPE_ENGINEERING = 0,
    HZ_PTYPE_ENFORCEMENT,
    HZ_PTYPE_EDUCATION,
    HZ_PTYPE_ENVIRONMENT,
    HZ_PTYPE_SERVICES,
    HZ_PTYPE_OTHER,
    HZ_PTYPE_COUNT
} hz_project_type;

typedef enum hz_project_status {
    HZ_PSTATUS_PLANNED = 0,
    HZ_PSTATUS_ACTIVE,
    HZ_PSTATUS_FINISHED,
    HZ_PSTATUS_STOPPED,
    HZ_PSTATUS_COUNT
} hz_project_status;

typedef struct hz_project {
    int64_t id;      /* set by the store; 0 for a new project */
    int64_t version; /* set by the store: 1 on creation, +1 per update (optimistic locking) */
    char *title;     /* required */
    char *title_en;  /* may be NULL */
    char *description;
    char *group;     /* wgroups.h key, required */
    char *lead_unit; /* 牵头单位; may be NULL */
    char **partners; /* partner units */
    size_t npartners;
    hz_project_type type;
    char *target; /* filter.h query string; "" = the group's filter */
    char **areas; /* area codes */
    size_t nareas;
    char **sites; /* road site ids of the screening */
    size_t nsites;
    unsigned char *wkb; /* drawn location, EPSG:4326; NULL when none */
    size_t wkb_len;
    double buffer_m; /* around a point or line location; 0 for polygons */
    char start[11];  /* YYYY-MM-DD, required */
    char end[11];    /* YYYY-MM-DD or "" while open */
    hz_project_status status;
    char **indicators; /* free text */
    size_t nindicators;
    char created_at[21], updated_at[21]; /* ISO 8601 UTC, set by the store */
} hz_project;

/* The words of the API for types and statuses ("engineering", "active"); NULL out of range. */
const char *project_type_word(hz_project_type t);
const char *project_status_word(hz_project_status s);

/* Parses the API's JSON object (API.md, "Projects") into p, strictly: unknown members, a wrong
 * type, an unknown group/type/status, a malformed date, end before start or an invalid geometry
 * are HZ_EINVAL naming the member. p is initialised by the call; free it with project_free() even
 * on failure. */
hz_status project_from_json(const json_t *obj, hz_project *p, char *err, size_t errlen);

/* The API's JSON object of p (geometry as GeoJSON). New reference, NULL on allocation failure. */
json_t *project_to_json(const hz_project *p);

void project_free(hz_project *p);

#endif

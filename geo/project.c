/* project.c - a safety-promotion project's JSON form (project.h): the strict reader the API and
 * the CLI share, and the writer.
 *
 * The members (API.md, "Projects"): id, version, title, title_en, description, group,
 * lead_unit, partners, type, target, areas, sites, location, buffer_m, start, end, status,
 * indicators, created_at, updated_at. id, version, created_at and updated_at are the store's:
 * read (so that what project_to_json() writes reads back), never trusted by the store.
 *
 * Invariants of a hz_project that project_from_json() accepted (asserted by project_to_json()):
 *  1. title, group and target are non-NULL (target "" for the group's own filter); every list
 *     pointer is non-NULL when its count is non-zero.
 *  2. start is a calendar date; end is "" or a calendar date not before start.
 *  3. wkb is NULL (wkb_len 0) or a 2D point, line or polygon (or a MULTI* of one) in lon/lat
 *     range; buffer_m is 0 without a geometry and for polygons.
 *  4. the project has a location: an area, a site or a geometry. */
#include "hazmap/project.h"
#include "hazmap/filter.h"
#include "hazmap/wgroups.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <ogr_api.h>

enum {
    PROJ_TITLE_MAX = 300,   /* bytes of title, title_en, lead_unit, a list entry */
    PROJ_TEXT_MAX = 20000,  /* bytes of description */
    PROJ_TARGET_MAX = 1000, /* bytes of target */
    PROJ_LIST_MAX = 200,    /* entries of partners, areas, sites, indicators */
    PROJ_GEOM_MAX = 100000  /* bytes of the drawn geometry as GeoJSON text */
};
#define PROJ_BUFFER_MAX 5000.0 /* metres */

static const char *const type_words[HZ_PTYPE_COUNT] = {"engineering", "enforcement", "education",
                                                       "environment", "services",    "other"};
static const char *const status_words[HZ_PSTATUS_COUNT] = {"planned", "active", "finished",
                                                           "stopped"};

const char *project_type_word(hz_project_type t)
{
    return (int)t >= 0 && t < HZ_PTYPE_COUNT ? type_words[t] : NULL;
}

const char *project_status_word(hz_project_status s)
{
    return (int)s >= 0 && s < HZ_PSTATUS_COUNT ? status_words[s] : NULL;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void project_free(hz_project *p)
{
    if (!p) return;
    free(p->title);
    free(p->title_en);
    free(p->description);
    free(p->group);
    free(p->lead_unit);
    free_list(p->partners, p->npartners);
    free(p->target);
    free_list(p->areas, p->nareas);
    free_list(p->sites, p->nsites);
    free(p->wkb);
    free_list(p->indicators, p->nindicators);
    memset(p, 0, sizeof *p);
}

/* ---- reading ---- */

/* A string member of at most max bytes without NUL bytes into *out (malloc'd); absent or null
 * gives NULL unless required. */
static hz_status get_str(const json_t *obj, const char *name, size_t max, int required, char **out,
                         char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        if (required) return hz_fail(HZ_EINVAL, err, errlen, "%s: required", name);
        return HZ_OK;
    }
    if (!json_is_string(v)) return hz_fail(HZ_EINVAL, err, errlen, "%s: not a string", name);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len) return hz_fail(HZ_EINVAL, err, errlen, "%s: contains a NUL byte", name);
    if (len > max) return hz_fail(HZ_EINVAL, err, errlen, "%s: longer than %zu bytes", name, max);
    if (required && len == 0) return hz_fail(HZ_EINVAL, err, errlen, "%s: empty", name);
    if (!(*out = strdup(s))) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return HZ_OK;
}

/* An array of distinct non-empty strings (absent or null: none). */
static hz_status get_list(const json_t *obj, const char *name, char ***out, size_t *n, char *err,
                          size_t errlen)
{
    const json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) return HZ_OK;
    if (!json_is_array(v)) return hz_fail(HZ_EINVAL, err, errlen, "%s: not an array", name);
    size_t len = json_array_size(v);
    if (len > PROJ_LIST_MAX)
        return hz_fail(HZ_EINVAL, err, errlen, "%s: more than %d entries", name, PROJ_LIST_MAX);
    if (len == 0) return HZ_OK;
    if (!(*out = calloc(len, sizeof **out)))
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; i < len; i++) {
        const json_t *e = json_array_get(v, i);
        const char *s = json_string_value(e);
        if (!s || strlen(s) != json_string_length(e) || !*s || strlen(s) > PROJ_TITLE_MAX)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "%s[%zu]: not a non-empty string of at most %d bytes", name, i,
                           PROJ_TITLE_MAX);
        for (size_t k = 0; k < i; k++)
            if (strcmp((*out)[k], s) == 0)
                return hz_fail(HZ_EINVAL, err, errlen, "%s[%zu]: '%.64s' given twice", name, i, s);
        if (!((*out)[i] = strdup(s))) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        *n = i + 1;
    }
    return HZ_OK;
}

static int word_index(const char *const *words, int n, const char *w)
{
    for (int i = 0; i < n; i++)
        if (strcmp(words[i], w) == 0) return i;
    return -1;
}

/* The n digits at s as a number (the caller checked that they are digits). */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* 1 if s is a calendar date YYYY-MM-DD (years 1900..2999). */
static int is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return 0;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    return y >= 1900 && y <= 2999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* 1 if s is an instant YYYY-MM-DDTHH:MM:SSZ as the store writes it. */
static int is_utc_stamp(const char *s)
{
    char date[11];
    if (strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') return 0;
    memcpy(date, s, 10);
    date[10] = 0;
    for (int i = 11; i < 19; i++)
        if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9')) return 0;
    return is_date(date) && digits(s + 11, 2) < 24 && digits(s + 14, 2) < 60 &&
           digits(s + 17, 2) < 60;
}

static hz_status get_date(const json_t *obj, const char *name, int required, char out[11],
                          char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, name);
    out[0] = 0;
    if (!v || json_is_null(v))
        return required ? hz_fail(HZ_EINVAL, err, errlen, "%s: required", name) : HZ_OK;
    const char *s = json_string_value(v);
    if (!s || strlen(s) != json_string_length(v) || !is_date(s))
        return hz_fail(HZ_EINVAL, err, errlen, "%s: not a date YYYY-MM-DD", name);
    memcpy(out, s, 11);
    return HZ_OK;
}

static hz_status get_stamp(const json_t *obj, const char *name, char out[21], char *err,
                           size_t errlen)
{
    const json_t *v = json_object_get(obj, name);
    out[0] = 0;
    if (!v || json_is_null(v)) return HZ_OK;
    const char *s = json_string_value(v);
    if (!s || strlen(s) != json_string_length(v) || !is_utc_stamp(s))
        return hz_fail(HZ_EINVAL, err, errlen, "%s: not an instant YYYY-MM-DDTHH:MM:SSZ", name);
    memcpy(out, s, 21);
    return HZ_OK;
}

static hz_status get_int(const json_t *obj, const char *name, int64_t min, int64_t *out, char *err,
                         size_t errlen)
{
    const json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) return HZ_OK;
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return hz_fail(HZ_EINVAL, err, errlen, "%s: not an integer >= %lld", name, (long long)min);
    *out = json_integer_value(v);
    return HZ_OK;
}

/* The target: a filter.h query string "k=v&k=v" whose parameters filter_set() accepts; the
 * period (from, to) comes from start and end, and the weights are the analysis', not the
 * project's, so those four are refused. */
static hz_status check_target(const char *target, char *err, size_t errlen)
{
    static const char *const refused[] = {"from", "to", "weight", "weights"};
    if (!*target) return HZ_OK;
    char *buf = strdup(target);
    if (!buf) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    hz_filter f;
    filter_init(&f);
    hz_status s = HZ_OK;
    char *save = NULL, msg[256];
    for (char *kv = strtok_r(buf, "&", &save); kv && s == HZ_OK; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            s = hz_fail(HZ_EINVAL, err, errlen, "target: '%.64s' is not name=value", kv);
            break;
        }
        *eq = 0;
        for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
            if (strcmp(kv, refused[i]) == 0)
                s = hz_fail(HZ_EINVAL, err, errlen,
                            "target: '%s' is not a target parameter (the period is start and end)",
                            kv);
        if (s == HZ_OK && !filter_is_param(kv))
            s = hz_fail(HZ_EINVAL, err, errlen, "target: unknown parameter '%.64s'", kv);
        if (s == HZ_OK && filter_set(&f, kv, eq + 1, msg, sizeof msg) != HZ_OK)
            s = hz_fail(HZ_EINVAL, err, errlen, "target: %s", msg);
    }
    if (s == HZ_OK &&
        (target[0] == '&' || target[strlen(target) - 1] == '&' || strstr(target, "&&")))
        s = hz_fail(HZ_EINVAL, err, errlen, "target: an empty name=value pair");
    free(buf);
    return s;
}

static char *const json_opts[] = {(char *)"COORDINATE_PRECISION=7", NULL};

/* g (consumed) with its coordinates rounded to 1e-7 degrees (about 1 cm, below any drawing's
 * precision), as project_to_json() writes them: the geometry is checked and stored as it will be
 * read back, so what project_to_json() writes reads back to itself (invariant 3 holds of it). NULL
 * when g is NULL or on OOM. */
static OGRGeometryH rounded(OGRGeometryH g)
{
    if (!g) return NULL;
    char *text = OGR_G_ExportToJsonEx(g, (char **)json_opts);
    OGR_G_DestroyGeometry(g);
    OGRGeometryH r = text ? OGR_G_CreateGeometryFromJson(text) : NULL;
    CPLFree(text);
    return r;
}

/* The drawn location (member location: a GeoJSON geometry object, or null) into p->wkb through
 * OGR; invariant 3. */
static hz_status get_geometry(const json_t *obj, hz_project *p, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, "location");
    if (!v || json_is_null(v)) return HZ_OK;
    if (!json_is_object(v))
        return hz_fail(HZ_EINVAL, err, errlen, "location: not a GeoJSON geometry object");
    char *text = json_dumps(v, JSON_COMPACT);
    if (!text) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (strlen(text) > PROJ_GEOM_MAX) {
        free(text);
        return hz_fail(HZ_EINVAL, err, errlen, "location: larger than %d bytes", PROJ_GEOM_MAX);
    }
    /* OGR's reader and GEOS's validity check explain a refusal through GDAL's error handler
     * (stderr): the messages below are the caller's */
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRGeometryH g = rounded(OGR_G_CreateGeometryFromJson(text));
    free(text);
    if (!g) {
        CPLPopErrorHandler();
        return hz_fail(HZ_EINVAL, err, errlen, "location: not a GeoJSON geometry");
    }
    hz_status s = HZ_OK;
    OGRwkbGeometryType t = OGR_G_GetGeometryType(g);
    OGREnvelope e;
    if (t != wkbPoint && t != wkbLineString && t != wkbPolygon && t != wkbMultiPoint &&
        t != wkbMultiLineString && t != wkbMultiPolygon)
        s = hz_fail(HZ_EINVAL, err, errlen,
                    "location: a 2D Point, LineString, Polygon or their Multi* forms, not %s",
                    OGRGeometryTypeToName(t));
    else if (OGR_G_IsEmpty(g))
        s = hz_fail(HZ_EINVAL, err, errlen, "location: empty");
    if (s == HZ_OK) {
        OGR_G_GetEnvelope(g, &e);
        if (!isfinite(e.MinX) || !isfinite(e.MaxX) || !isfinite(e.MinY) || !isfinite(e.MaxY) ||
            e.MinX < -180 || e.MaxX > 180 || e.MinY < -90 || e.MaxY > 90)
            s = hz_fail(HZ_EINVAL, err, errlen,
                        "location: coordinates outside longitude -180..180, latitude -90..90");
    }
    int valid = s == HZ_OK && OGR_G_IsValid(g);
    if (s == HZ_OK && !valid)
        s = hz_fail(HZ_EINVAL, err, errlen,
                    "location: not valid (a self-intersecting or unclosed ring, a line of one "
                    "point)");
    if (s == HZ_OK) {
        size_t n = (size_t)OGR_G_WkbSize(g);
        if (!(p->wkb = malloc(n)))
            s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        else if (OGR_G_ExportToWkb(g, wkbNDR, p->wkb) != OGRERR_NONE)
            s = hz_fail(HZ_EINVAL, err, errlen, "location: cannot be written as WKB");
        else
            p->wkb_len = n;
    }
    OGR_G_DestroyGeometry(g);
    CPLPopErrorHandler();
    return s;
}

static int is_polygonal(const hz_project *p)
{
    /* WKB: byte order, then the uint32 type (little-endian as get_geometry() writes it) */
    return p->wkb && p->wkb_len >= 5 && (p->wkb[1] == wkbPolygon || p->wkb[1] == wkbMultiPolygon);
}

static const char *const members[] = {
    "id",       "version", "title",  "title_en",   "description", "group",      "lead_unit",
    "partners", "type",    "target", "areas",      "sites",       "location",   "buffer_m",
    "start",    "end",     "status", "indicators", "created_at",  "updated_at", NULL};

static hz_status parse(const json_t *obj, hz_project *p, char *err, size_t errlen)
{
    if (!json_is_object(obj)) return hz_fail(HZ_EINVAL, err, errlen, "project: not an object");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        int known = 0;
        for (size_t i = 0; members[i] && !known; i++)
            known = strcmp(members[i], key) == 0;
        if (!known) return hz_fail(HZ_EINVAL, err, errlen, "%.64s: unknown member", key);
    }
    hz_status s;
    if ((s = get_int(obj, "id", 0, &p->id, err, errlen)) ||
        (s = get_int(obj, "version", 0, &p->version, err, errlen)) ||
        (s = get_str(obj, "title", PROJ_TITLE_MAX, 1, &p->title, err, errlen)) ||
        (s = get_str(obj, "title_en", PROJ_TITLE_MAX, 0, &p->title_en, err, errlen)) ||
        (s = get_str(obj, "description", PROJ_TEXT_MAX, 0, &p->description, err, errlen)) ||
        (s = get_str(obj, "group", 64, 1, &p->group, err, errlen)) ||
        (s = get_str(obj, "lead_unit", PROJ_TITLE_MAX, 0, &p->lead_unit, err, errlen)) ||
        (s = get_list(obj, "partners", &p->partners, &p->npartners, err, errlen)) ||
        (s = get_str(obj, "target", PROJ_TARGET_MAX, 0, &p->target, err, errlen)) ||
        (s = get_list(obj, "areas", &p->areas, &p->nareas, err, errlen)) ||
        (s = get_list(obj, "sites", &p->sites, &p->nsites, err, errlen)) ||
        (s = get_geometry(obj, p, err, errlen)) ||
        (s = get_date(obj, "start", 1, p->start, err, errlen)) ||
        (s = get_date(obj, "end", 0, p->end, err, errlen)) ||
        (s = get_list(obj, "indicators", &p->indicators, &p->nindicators, err, errlen)) ||
        (s = get_stamp(obj, "created_at", p->created_at, err, errlen)) ||
        (s = get_stamp(obj, "updated_at", p->updated_at, err, errlen)))
        return s;
    if (!wgroup_find(p->group))
        return hz_fail(HZ_EINVAL, err, errlen,
                       "group: '%.64s' is not a working group (traffic, fire, ..., surveillance, "
                       "publicity)",
                       p->group);
    const char *w = json_string_value(json_object_get(obj, "type"));
    int ti = w ? word_index(type_words, HZ_PTYPE_COUNT, w) : -1;
    if (ti < 0)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "type: required, one of engineering, enforcement, education, "
                       "environment, services, other");
    p->type = (hz_project_type)ti;
    const json_t *sv = json_object_get(obj, "status");
    if (sv && !json_is_null(sv)) {
        w = json_string_value(sv);
        int si = w ? word_index(status_words, HZ_PSTATUS_COUNT, w) : -1;
        if (si < 0)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "status: one of planned, active, finished, stopped");
        p->status = (hz_project_status)si;
    }
    if (!p->target && !(p->target = strdup("")))
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if ((s = check_target(p->target, err, errlen))) return s;
    if (p->end[0] && strcmp(p->end, p->start) < 0)
        return hz_fail(HZ_EINVAL, err, errlen, "end: %s is before start %s", p->end, p->start);
    const json_t *b = json_object_get(obj, "buffer_m");
    if (b && !json_is_null(b)) {
        if (!json_is_number(b) || !(json_number_value(b) >= 0) ||
            json_number_value(b) > PROJ_BUFFER_MAX)
            return hz_fail(HZ_EINVAL, err, errlen, "buffer_m: not a number of metres in 0..%g",
                           PROJ_BUFFER_MAX);
        p->buffer_m = json_number_value(b);
    }
    if (p->buffer_m > 0 && (!p->wkb || is_polygonal(p)))
        return hz_fail(HZ_EINVAL, err, errlen,
                       "buffer_m: only around a drawn point or line (location)");
    if (!p->nareas && !p->nsites && !p->wkb)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "location: give areas, sites or a drawn location (none was given)");
    return HZ_OK;
}

hz_status project_from_json(const json_t *obj, hz_project *p, char *err, size_t errlen)
{
    assert(p);
    memset(p, 0, sizeof *p);
    return parse(obj, p, err, errlen);
}

/* ---- writing ---- */

static json_t *list_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The drawn geometry as GeoJSON (coordinates to 1e-7 degrees), or null. */
static json_t *geometry_json(const hz_project *p)
{
    if (!p->wkb) return json_null();
    OGRGeometryH g = NULL;
    if (OGR_G_CreateFromWkb(p->wkb, NULL, &g, (int)p->wkb_len) != OGRERR_NONE) return NULL;
    char *text = OGR_G_ExportToJsonEx(g, (char **)json_opts);
    OGR_G_DestroyGeometry(g);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    CPLFree(text);
    return j;
}

json_t *project_to_json(const hz_project *p)
{
    assert(p->title && p->group && p->target);               /* invariant 1 */
    assert(!p->end[0] || strcmp(p->end, p->start) >= 0);     /* invariant 2 */
    assert(p->wkb || (p->wkb_len == 0 && p->buffer_m == 0)); /* invariant 3 */
    json_t *geom = geometry_json(p);
    json_t *j = json_pack(
        "{s:I, s:I, s:s, s:o, s:o, s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:f, s:s, s:o, s:s,"
        " s:o, s:o, s:o}",
        "id", (json_int_t)p->id, "version", (json_int_t)p->version, "title", p->title, "title_en",
        str_or_null(p->title_en), "description", str_or_null(p->description), "group", p->group,
        "lead_unit", str_or_null(p->lead_unit), "partners", list_json(p->partners, p->npartners),
        "type", project_type_word(p->type), "target", p->target, "areas",
        list_json(p->areas, p->nareas), "sites", list_json(p->sites, p->nsites), "location", geom,
        "buffer_m", p->buffer_m, "start", p->start, "end", str_or_null(p->end[0] ? p->end : NULL),
        "status", project_status_word(p->status), "indicators",
        list_json(p->indicators, p->nindicators), "created_at",
        str_or_null(p->created_at[0] ? p->created_at : NULL), "updated_at",
        str_or_null(p->updated_at[0] ? p->updated_at : NULL));
    return j;
}

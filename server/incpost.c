/* incpost.c - validating and storing incidents POSTed as GeoJSON.
 *
 * Only the GeoJSON shape is checked here (a Feature, a geometry, an object of properties, an id);
 * the incident itself goes through the importers' rules (normalise.h), its property values read
 * as the text a GeoJSON file would give the importer, so a POSTed feature and the same feature in
 * a file are stored alike or rejected with the same reason. */
#include "hazmap/incpost.h"
#include "hazmap/areaindex.h"
#include "hazmap/hztime.h"
#include "hazmap/normalise.h"
#include "hazmap/vocabmap.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add_error(json_t *errors, size_t index, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_error(json_t *errors, size_t index, const char *field, const char *fmt, ...)
{
    char reason[512]; /* a normaliser's reason (norm_problem.reason) fits whole */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    json_t *e = json_pack("{s:I, s:s, s:s}", "feature", (json_int_t)index, "field", field, "reason",
                          reason);
    /* every problem must be counted, or an invalid feature would be stored */
    if (!e)
        e = json_pack("{s:I, s:s, s:s}", "feature", (json_int_t)index, "field", field, "reason",
                      "invalid value");
    json_array_append_new(errors, e ? e : json_null());
}

/* The properties read as incident fields (the normaliser's names), and where each field's problem
 * is reported in the request. */
static const struct {
    norm_field f;
    const char *prop; /* NULL: not a property */
    const char *path;
} fields[] = {
    {NORM_GEOMETRY, NULL, "geometry"},
    {NORM_LON, NULL, "geometry.coordinates[0]"},
    {NORM_LAT, NULL, "geometry.coordinates[1]"},
    /* an area-only incident: "geometry": null and the area's code (or name) here; with a point
     * the point decides the area and this is not used (normalise.h) */
    {NORM_AREA, "area_code", "properties.area_code"},
    {NORM_ID, "source_id", "properties.source_id"},
    {NORM_TIME, "occurred_at", "properties.occurred_at"},
    {NORM_MECHANISM, "mechanism", "properties.mechanism"},
    {NORM_PLACE, "place", "properties.place"},
    {NORM_INTENT, "intent", "properties.intent"},
    {NORM_SEVERITY, "severity", "properties.severity"},
    {NORM_SEX, "sex", "properties.sex"},
    {NORM_ICD10, "icd10", "properties.icd10"},
    {NORM_ACTIVITY, "activity", "properties.activity"},
    {NORM_OUTCOME, "outcome", "properties.outcome"},
    {NORM_NATURE, "nature", "properties.nature"},
    {NORM_BODY_PART, "body_part", "properties.body_part"},
    {NORM_VICTIMS, "victims", "properties.victims"},
    {NORM_AGE, "age", "properties.age"},
    {NORM_DISABILITY, "disability", "properties.disability"},
    {NORM_DESCRIPTION, "description", "properties.description"},
};

static int is_known(const char *k)
{
    if (strcmp(k, "source") == 0 || strcmp(k, "id") == 0) return 1;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (fields[i].prop && strcmp(k, fields[i].prop) == 0) return 1;
    return 0;
}

static const char *field_path(norm_field f)
{
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (fields[i].f == f) return fields[i].path;
    return "properties";
}

/* A feature as the normaliser's input: JSON values as the text a file would hold for them. */
typedef struct post_in {
    norm_in in;
    char num[NORM_NFIELDS][40]; /* numbers and booleans as text */
    char *json[NORM_NFIELDS];   /* arrays and objects as JSON text (freed by post_in_free) */
} post_in;

static void post_in_free(post_in *p)
{
    for (int i = 0; i < NORM_NFIELDS; i++)
        free(p->json[i]);
}

/* v as text into p's slot for field f: strings as they are, numbers as OGR prints them (%.15g for
 * reals), true/false, arrays and objects as compact JSON; NULL for null or absent. */
static const char *value_text(post_in *p, norm_field f, const json_t *v)
{
    char *b = p->num[f];
    if (!v) return NULL;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_value(v);
    case JSON_INTEGER:
        snprintf(b, sizeof p->num[f], "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return b;
    case JSON_REAL:
        snprintf(b, sizeof p->num[f], "%.15g", json_real_value(v));
        return b;
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_ARRAY:
    case JSON_OBJECT:
        return p->json[f] = json_dumps(v, JSON_COMPACT);
    case JSON_NULL:
        break;
    }
    return NULL;
}

/* The point: a Point with two numbers, a geometry of another type, or coordinates missing (null
 * geometry, null or absent members). Returns 0, or -1 when the shape is not GeoJSON at all. */
static int read_geometry(const json_t *g, post_in *p)
{
    norm_in *in = &p->in;
    const json_t *gt = json_object_get(g, "type"), *co = json_object_get(g, "coordinates");
    if (!g || json_is_null(g)) {
        in->geom = NORM_GEOM_NONE;
        return 0;
    }
    if (!json_is_object(g) || !json_is_string(gt)) return -1;
    if (strcmp(json_string_value(gt), "Point") != 0) {
        /* named as OGR names it, so a file and a POST give the same reason */
        size_t n = 0;
        for (const char *t = json_string_value(gt); *t && n + 1 < sizeof p->num[NORM_GEOMETRY];)
            p->num[NORM_GEOMETRY][n++] = (char)toupper((unsigned char)*t++);
        p->num[NORM_GEOMETRY][n] = 0;
        in->geom = NORM_GEOM_OTHER;
        in->geom_type = p->num[NORM_GEOMETRY];
        return 0;
    }
    if (!json_is_array(co) || json_array_size(co) > 3) return -1;
    const json_t *x = json_array_get(co, 0), *y = json_array_get(co, 1);
    if ((x && !json_is_number(x) && !json_is_null(x)) ||
        (y && !json_is_number(y) && !json_is_null(y)))
        return -1;
    if (json_is_number(x) && json_is_number(y)) {
        in->geom = NORM_GEOM_POINT;
        in->x = json_number_value(x);
        in->y = json_number_value(y);
        return 0;
    }
    in->geom = NORM_GEOM_TEXT; /* a member missing: the normaliser says which */
    in->text[NORM_LON] = x && json_is_number(x) ? value_text(p, NORM_LON, x) : NULL;
    in->text[NORM_LAT] = y && json_is_number(y) ? value_text(p, NORM_LAT, y) : NULL;
    return 0;
}

static int string_ok(const json_t *v, size_t maxlen)
{
    return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= maxlen;
}

/* Reads feature f into p, appending the problems of its GeoJSON shape (not the incident rules)
 * to errors. Returns the number of problems. */
static int read_feature(const json_t *f, size_t index, post_in *p, json_t *errors)
{
    size_t before = json_array_size(errors);
    memset(p, 0, sizeof *p);
    p->in.source = "api";
    if (!json_is_object(f)) {
        add_error(errors, index, "feature", "not a JSON object");
        return 1;
    }
    const json_t *type = json_object_get(f, "type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "Feature") != 0)
        add_error(errors, index, "type", "must be \"Feature\"");
    if (read_geometry(json_object_get(f, "geometry"), p) < 0)
        add_error(errors, index, "geometry",
                  "must be a GeoJSON geometry (a Point with coordinates [lon, lat]) or null");
    const json_t *props = json_object_get(f, "properties");
    if (!json_is_object(props)) {
        add_error(errors, index, "properties", "must be an object");
        return (int)(json_array_size(errors) - before);
    }
    const json_t *v = json_object_get(props, "source");
    if (v && !string_ok(v, NORM_ID_MAX))
        add_error(errors, index, "properties.source", "must be a non-empty string");
    else if (v)
        p->in.source = json_string_value(v);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (fields[i].prop)
            p->in.text[fields[i].f] =
                value_text(p, fields[i].f, json_object_get(props, fields[i].prop));
    if (!json_object_get(props, "source_id")) {
        v = json_object_get(f, "id");
        if (json_is_string(v) || json_is_integer(v))
            p->in.text[NORM_ID] = value_text(p, NORM_ID, v);
        else
            add_error(errors, index, "properties.source_id",
                      "required (or the feature's \"id\"): the incident's id in its source");
    }
    return (int)(json_array_size(errors) - before);
}

/* Reads and normalises feature f under o: its shape's problems and the normaliser's, each as
 * {"feature", "field", "reason"}, go to errors. Returns the number of problems (0: out->rec is
 * the record to store; out borrows from p and f). */
static int post_feature(const json_t *f, size_t index, const norm_opts *o, post_in *p,
                        norm_out *out, json_t *errors)
{
    int n = read_feature(f, index, p, errors);
    if (n > 0) return n;
    norm_incident(o, &p->in, out);
    for (int i = 0; i < out->nproblems; i++)
        add_error(errors, index, field_path(out->problem[i].field), "%s", out->problem[i].reason);
    return out->nproblems;
}

int incpost_validate(const json_t *f, size_t index, json_t *errors)
{
    vocabmap *vm = vocabmap_new();
    if (!vm) {
        add_error(errors, index, "feature", "out of memory");
        return 1;
    }
    norm_opts o = {.vm = vm, .tz = HZ_TZ_SHANGHAI};
    post_in p;
    norm_out out;
    int n = post_feature(f, index, &o, &p, &out, errors);
    post_in_free(&p);
    vocabmap_free(vm);
    return n;
}

/* The properties without a field of their own, as a JSON object text (NULL when none). */
static char *extra_of(const json_t *f)
{
    const json_t *p = json_object_get(f, "properties");
    json_t *ex = json_object();
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)p, k, val)
    {
        if (!is_known(k)) json_object_set(ex, k, val);
    }
    char *s = ex && json_object_size(ex) ? json_dumps(ex, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(ex);
    return s;
}

/* The features of the request body (a Feature or a FeatureCollection), or NULL with rs filled. */
static json_t *read_body(const hreq *rq, hresp *rs)
{
    const char *ct = rq->content_type;
    if (ct && strncasecmp(ct, "application/geo+json", 20) &&
        strncasecmp(ct, "application/json", 16)) {
        hresp_error(rs, 415, "UnsupportedMediaType", "send application/geo+json");
        return NULL;
    }
    json_error_t jerr;
    json_t *doc =
        rq->body ? json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!doc) {
        hresp_error(rs, 400, "InvalidParameterValue", "body: not valid JSON (line %d: %.100s)",
                    rq->body ? jerr.line : 0, rq->body ? jerr.text : "empty body");
        return NULL;
    }
    json_t *features;
    const json_t *type = json_object_get(doc, "type");
    if (json_is_string(type) && strcmp(json_string_value(type), "FeatureCollection") == 0) {
        features = json_incref(json_object_get(doc, "features"));
    } else {
        features = json_array();
        json_array_append(features, doc);
    }
    json_decref(doc); /* the features hold what they need */
    return features;
}

/* Every feature checked under o (whose area index places the points); the problems go to
 * errors. Unless outside_ok, a valid feature whose point lies in no area is a problem too: a
 * point outside the study region is more often a swapped or mistyped coordinate than a real
 * incident, and it would count in no area's rate. Returns the number of problems. */
static size_t validate_all(const json_t *features, const norm_opts *o, int outside_ok,
                           json_t *errors)
{
    size_t n = json_array_size(features);
    if (!json_is_array(features) || n == 0)
        add_error(errors, 0, "features", "a Feature or a non-empty FeatureCollection is required");
    for (size_t i = 0; i < n; i++) {
        post_in p;
        norm_out out;
        int bad = post_feature(json_array_get(features, i), i, o, &p, &out, errors);
        if (!bad && !outside_ok && !out.rec.area_code)
            add_error(errors, i, "geometry",
                      "the point (%.7g, %.7g) lies outside every area; send the POST with "
                      "?outside=accept when such incidents are expected",
                      out.rec.lon, out.rec.lat);
        post_in_free(&p);
    }
    return json_array_size(errors);
}

/* The `outside` parameter: 1 for "accept", 0 for "reject" or absent, -1 with rs filled for
 * anything else (or an unknown parameter). */
static int outside_param(const hreq *rq, hresp *rs)
{
    static const char *const allowed[] = {"outside", NULL};
    char err[512];
    if (hreq_check_args(rq, allowed, 0, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    const char *v = hreq_arg_get(rq, "outside");
    if (!v || strcmp(v, "reject") == 0) return 0;
    if (strcmp(v, "accept") == 0) return 1;
    hresp_error(rs, 400, "InvalidParameterValue", "outside: '%.32s' is not accept or reject", v);
    return -1;
}

/* Stores the (validated) features in one transaction, counting the outcomes. */
static hz_status store_all(store *st, const json_t *features, const norm_opts *o, long counts[3],
                           char *err, size_t errlen)
{
    hz_status s = store_begin(st, err, errlen);
    json_t *none = json_array();
    for (size_t i = 0; s == HZ_OK && i < json_array_size(features); i++) {
        const json_t *f = json_array_get(features, i);
        post_in p;
        norm_out out;
        int bad = post_feature(f, i, o, &p, &out, none);
        assert(bad == 0); /* validate_all() passed them under the same rules */
        (void)bad;
        char *extra = extra_of(f);
        out.rec.extra = extra;
        store_put_outcome put;
        s = store_incident_put(st, &out.rec, &put, err, errlen);
        if (s == HZ_OK) counts[put]++;
        free(extra);
        post_in_free(&p);
    }
    json_decref(none);
    if (s == HZ_OK) return store_commit(st, err, errlen);
    store_rollback(st);
    return s;
}

void incpost_handle(hctx *c, const hreq *rq, hresp *rs)
{
    if (strcmp(c->seg[0], "incidents") != 0) {
        hresp_error(rs, 405, "MethodNotAllowed", "only the incidents collection accepts POST");
        return;
    }
    if (c->role == HZ_ROLE_PUBLIC) {
        hresp_error(rs, 401, "Unauthorized", "adding incidents needs an editor or planner token");
        hresp_header(rs, "WWW-Authenticate", "Bearer");
        return;
    }
    char err[512];
    int outside_ok = outside_param(rq, rs);
    if (outside_ok < 0) return;
    json_t *features = read_body(rq, rs);
    if (!features) return;
    json_t *errors = json_array();
    /* the importers' rules with the built-in vocabulary synonyms; local times at +08:00 */
    vocabmap *vm = vocabmap_new();
    areaindex *ai = vm ? areaindex_new(c->st, err, sizeof err) : NULL;
    norm_opts o = {.vm = vm, .tz = HZ_TZ_SHANGHAI, .ai = ai};
    if (!vm) {
        app_fail(rs, HZ_ENOMEM, "out of memory");
    } else if (!ai) {
        app_fail(rs, HZ_EDB, err);
    } else if (validate_all(features, &o, outside_ok, errors) > 0) {
        json_t *j = json_pack("{s:s, s:s, s:O}", "code", "InvalidParameterValue", "description",
                              "invalid features: nothing was stored", "errors", errors);
        hresp_json(rs, 400, j, "application/json");
        json_decref(j);
    } else {
        long counts[3] = {0, 0, 0};
        hz_status s = store_all(c->st, features, &o, counts, err, sizeof err);
        int64_t v = 0;
        if (s == HZ_OK) {
            store_data_version(c->st, &v);
            app_note_write(c->app, v);
            json_t *j =
                json_pack("{s:i, s:i, s:i, s:I}", "inserted", (int)counts[STORE_PUT_INSERTED],
                          "replaced", (int)counts[STORE_PUT_REPLACED], "unchanged",
                          (int)counts[STORE_PUT_UNCHANGED], "data_version", (json_int_t)v);
            hresp_json(rs, 201, j, "application/json");
            json_decref(j);
        } else {
            app_fail(rs, s, err);
        }
    }
    areaindex_free(ai);
    vocabmap_free(vm);
    json_decref(errors);
    json_decref(features);
}

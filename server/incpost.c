/* incpost.c - validating and storing incidents POSTed as GeoJSON. */
#include "hazmap/incpost.h"
#include "hazmap/hztime.h"
#include "hazmap/vocab.h"
#include "hazmap/areaindex.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add_error(json_t *errors, size_t index, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_error(json_t *errors, size_t index, const char *field, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    json_t *e = json_pack("{s:I, s:s, s:s}", "feature", (json_int_t)index, "field", field, "reason",
                          reason);
    if (e) json_array_append_new(errors, e);
}

static const struct {
    const char *name;
    hz_vocab voc;
} vocab_fields[] = {
    {"mechanism", HZ_VOCAB_MECHANISM}, {"place", HZ_VOCAB_PLACE}, {"intent", HZ_VOCAB_INTENT},
    {"severity", HZ_VOCAB_SEVERITY},   {"sex", HZ_VOCAB_SEX},
};

static const char *const known_props[] = {"source",      "source_id", "occurred_at",
                                          "victims",     "age",       "disability",
                                          "description", "id",        NULL};

static int is_known(const char *k)
{
    for (size_t i = 0; i < sizeof vocab_fields / sizeof *vocab_fields; i++)
        if (strcmp(k, vocab_fields[i].name) == 0) return 1;
    for (const char *const *p = known_props; *p; p++)
        if (strcmp(k, *p) == 0) return 1;
    return 0;
}

static int string_ok(const json_t *v, size_t maxlen)
{
    return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= maxlen &&
           strlen(json_string_value(v)) == json_string_length(v); /* no NUL inside */
}

int incpost_validate(const json_t *f, size_t index, json_t *errors)
{
    size_t before = json_array_size(errors);
    if (!json_is_object(f)) {
        add_error(errors, index, "feature", "not a JSON object");
        return 1;
    }
    const json_t *type = json_object_get(f, "type");
    if (!json_is_string(type) || strcmp(json_string_value(type), "Feature") != 0)
        add_error(errors, index, "type", "must be \"Feature\"");
    const json_t *g = json_object_get(f, "geometry");
    const json_t *gt = json_object_get(g, "type"), *co = json_object_get(g, "coordinates");
    if (!json_is_object(g) || !json_is_string(gt) || strcmp(json_string_value(gt), "Point") != 0)
        add_error(errors, index, "geometry", "must be a GeoJSON Point");
    else if (!json_is_array(co) || json_array_size(co) < 2 || json_array_size(co) > 3 ||
             !json_is_number(json_array_get(co, 0)) || !json_is_number(json_array_get(co, 1)))
        add_error(errors, index, "geometry.coordinates", "must be [lon, lat]");
    else {
        double lon = json_number_value(json_array_get(co, 0));
        double lat = json_number_value(json_array_get(co, 1));
        if (!isfinite(lon) || lon < -180 || lon > 180)
            add_error(errors, index, "geometry.coordinates[0]", "longitude outside -180..180");
        if (!isfinite(lat) || lat < -90 || lat > 90)
            add_error(errors, index, "geometry.coordinates[1]", "latitude outside -90..90");
    }
    const json_t *p = json_object_get(f, "properties");
    if (!json_is_object(p)) {
        add_error(errors, index, "properties", "must be an object");
        return (int)(json_array_size(errors) - before);
    }
    const json_t *fid = json_object_get(f, "id"), *sid = json_object_get(p, "source_id");
    if (sid) {
        if (!string_ok(sid, 256) && !json_is_integer(sid))
            add_error(errors, index, "properties.source_id", "must be a non-empty string");
    } else if (!fid || (!string_ok(fid, 256) && !json_is_integer(fid))) {
        add_error(errors, index, "properties.source_id",
                  "required (or the feature's \"id\"): the incident's id in its source");
    }
    const json_t *v;
    if ((v = json_object_get(p, "source")) && !string_ok(v, 256))
        add_error(errors, index, "properties.source", "must be a non-empty string");
    if ((v = json_object_get(p, "occurred_at")) && !json_is_null(v)) {
        int64_t t;
        if (!json_is_string(v) || hztime_parse_iso(json_string_value(v), HZ_TZ_SHANGHAI, &t))
            add_error(errors, index, "properties.occurred_at", "not an ISO 8601 date-time");
    }
    for (size_t i = 0; i < sizeof vocab_fields / sizeof *vocab_fields; i++) {
        char field[64];
        snprintf(field, sizeof field, "properties.%s", vocab_fields[i].name);
        v = json_object_get(p, vocab_fields[i].name);
        int x;
        if (!v || json_is_null(v)) continue;
        if (!json_is_string(v) || vocab_parse(vocab_fields[i].voc, json_string_value(v), &x))
            add_error(errors, index, field, "not a known %s", vocab_fields[i].name);
    }
    if ((v = json_object_get(p, "victims")) && !json_is_null(v) &&
        (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 10000))
        add_error(errors, index, "properties.victims", "must be an integer 0..10000");
    if ((v = json_object_get(p, "age")) && !json_is_null(v) &&
        (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 150))
        add_error(errors, index, "properties.age", "must be an integer 0..150");
    if ((v = json_object_get(p, "disability")) && !json_is_null(v) && !json_is_boolean(v))
        add_error(errors, index, "properties.disability", "must be true or false");
    if ((v = json_object_get(p, "description")) && !json_is_null(v) &&
        (!json_is_string(v) || json_string_length(v) > 10000))
        add_error(errors, index, "properties.description", "must be a string (<= 10000 bytes)");
    return (int)(json_array_size(errors) - before);
}

/* Fills r from a validated feature. Strings point into f or into the buffers. */
static void to_record(const json_t *f, hz_incident_rec *r, char *sid, size_t sidlen, char *occ,
                      size_t occlen, char **extra)
{
    memset(r, 0, sizeof *r);
    const json_t *p = json_object_get(f, "properties");
    const json_t *co = json_object_get(json_object_get(f, "geometry"), "coordinates");
    r->lon = json_number_value(json_array_get(co, 0));
    r->lat = json_number_value(json_array_get(co, 1));
    const json_t *v = json_object_get(p, "source");
    r->source = v ? json_string_value(v) : "api";
    v = json_object_get(p, "source_id");
    if (!v) v = json_object_get(f, "id");
    if (json_is_integer(v))
        snprintf(sid, sidlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        snprintf(sid, sidlen, "%s", json_string_value(v));
    r->source_id = sid;
    r->t = INT64_MIN;
    v = json_object_get(p, "occurred_at");
    if (json_is_string(v) && hztime_parse_iso(json_string_value(v), HZ_TZ_SHANGHAI, &r->t) == 0) {
        /* Stored in the canonical form with its offset, as the importers do. */
        char buf[32];
        hztime_format_iso(r->t, HZ_TZ_SHANGHAI, buf);
        snprintf(occ, occlen, "%s", buf);
        r->occurred_at = occ;
    }
    int *dst[] = {&r->mechanism, &r->place, &r->intent, &r->severity, &r->sex};
    for (size_t i = 0; i < sizeof vocab_fields / sizeof *vocab_fields; i++) {
        *dst[i] = 0;
        v = json_object_get(p, vocab_fields[i].name);
        if (json_is_string(v)) vocab_parse(vocab_fields[i].voc, json_string_value(v), dst[i]);
    }
    v = json_object_get(p, "victims");
    r->victims = json_is_integer(v) ? (int)json_integer_value(v) : -1;
    v = json_object_get(p, "age");
    r->age = json_is_integer(v) ? (int)json_integer_value(v) : -1;
    v = json_object_get(p, "disability");
    r->disability = json_is_boolean(v) ? json_is_true(v) : -1;
    v = json_object_get(p, "description");
    r->description = json_is_string(v) ? json_string_value(v) : NULL;
    json_t *ex = json_object();
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)p, k, val)
    {
        if (!is_known(k)) json_object_set(ex, k, val);
    }
    *extra = ex && json_object_size(ex) ? json_dumps(ex, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(ex);
    r->extra = *extra;
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
    if (hreq_check_args(rq, NULL, 0, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    const char *ct = rq->content_type;
    if (ct && strncasecmp(ct, "application/geo+json", 20) &&
        strncasecmp(ct, "application/json", 16)) {
        hresp_error(rs, 415, "UnsupportedMediaType", "send application/geo+json");
        return;
    }
    json_error_t jerr;
    json_t *doc =
        rq->body ? json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!doc) {
        hresp_error(rs, 400, "InvalidParameterValue", "body: not valid JSON (line %d: %.100s)",
                    rq->body ? jerr.line : 0, rq->body ? jerr.text : "empty body");
        return;
    }
    json_t *features;
    const json_t *type = json_object_get(doc, "type");
    if (json_is_string(type) && strcmp(json_string_value(type), "FeatureCollection") == 0) {
        features = json_incref(json_object_get(doc, "features"));
    } else {
        features = json_array();
        json_array_append(features, doc);
    }
    json_t *errors = json_array();
    size_t n = json_array_size(features);
    if (!json_is_array(features) || n == 0) {
        add_error(errors, 0, "features", "a Feature or a non-empty FeatureCollection is required");
    } else {
        for (size_t i = 0; i < n; i++)
            incpost_validate(json_array_get(features, i), i, errors);
    }
    if (json_array_size(errors)) {
        json_t *j = json_pack("{s:s, s:s, s:O}", "code", "InvalidParameterValue", "description",
                              "invalid features: nothing was stored", "errors", errors);
        hresp_json(rs, 400, j, "application/json");
        json_decref(j);
        goto done;
    }
    areaindex *ai = areaindex_new(c->st, err, sizeof err);
    if (!ai) {
        app_fail(rs, HZ_EDB, err);
        goto done;
    }
    long counts[3] = {0, 0, 0};
    hz_status s = store_begin(c->st, err, sizeof err);
    for (size_t i = 0; s == HZ_OK && i < n; i++) {
        hz_incident_rec r;
        char sid[300], occ[40];
        char *extra = NULL;
        to_record(json_array_get(features, i), &r, sid, sizeof sid, occ, sizeof occ, &extra);
        r.area_code = areaindex_locate(ai, r.lon, r.lat);
        store_put_outcome o;
        s = store_incident_put(c->st, &r, &o, err, sizeof err);
        if (s == HZ_OK) counts[o]++;
        free(extra);
    }
    if (s == HZ_OK)
        s = store_commit(c->st, err, sizeof err);
    else
        store_rollback(c->st);
    areaindex_free(ai);
    if (s != HZ_OK) {
        app_fail(rs, s == HZ_ELIMIT ? HZ_ELIMIT : s, err);
        goto done;
    }
    int64_t v = 0;
    store_data_version(c->st, &v);
    app_note_write(c->app, v);
    json_t *j = json_pack("{s:i, s:i, s:i, s:I}", "inserted", (int)counts[STORE_PUT_INSERTED],
                          "replaced", (int)counts[STORE_PUT_REPLACED], "unchanged",
                          (int)counts[STORE_PUT_UNCHANGED], "data_version", (json_int_t)v);
    hresp_json(rs, 201, j, "application/json");
    json_decref(j);
done:
    json_decref(errors);
    json_decref(features);
    json_decref(doc);
}

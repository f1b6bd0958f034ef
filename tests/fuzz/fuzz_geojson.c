/* fuzz_geojson.c - libFuzzer harness of the GeoJSON POST normaliser: incpost_validate() (the
 * feature shape, incpost.h) and norm_incident() (the incident rules every reader shares,
 * normalise.h).
 *
 * An input starting with '{' or '[' is a request body: parsed as the server does (a Feature or a
 * FeatureCollection), every feature is validated. Invariants: the count returned is the number
 * of errors appended; each is {"feature": its index, "field": "...", "reason": "..."} with a real
 * reason (not the "invalid value" stand-in used when a reason is not valid UTF-8); validating
 * again gives the same errors.
 *
 * Any other input is one record as text: fields separated by tabs, in norm_field order from lon
 * (a first field, before them, is a time format, empty for none). Invariants of norm_incident():
 * at most one problem per field, in field order, one at most for the coordinates; every reason is
 * NUL-terminated and valid UTF-8 when the record's texts are; an accepted record's time formats
 * and reads back to its t, its numbers are the texts' numbers, and its id is the text's. */
#include "fuzzutil.h"
#include "hazmap/hztime.h"
#include "hazmap/incpost.h"
#include "hazmap/normalise.h"

#include <string.h>

static vocabmap *vm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    vm = vocabmap_new();
    FUZZ_CHECK(vm);
    return 0;
}

static void check_errors(const json_t *errors, size_t from, size_t index)
{
    for (size_t i = from; i < json_array_size(errors); i++) {
        const json_t *e = json_array_get(errors, i);
        FUZZ_CHECK(json_is_object(e));
        FUZZ_CHECK(json_integer_value(json_object_get(e, "feature")) == (json_int_t)index);
        FUZZ_CHECK(json_is_string(json_object_get(e, "field")));
        const char *r = json_string_value(json_object_get(e, "reason"));
        FUZZ_CHECK(r && *r && strcmp(r, "invalid value") != 0);
    }
}

static void fuzz_body(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) return;
    json_t *features;
    const json_t *type = json_object_get(doc, "type");
    if (json_is_string(type) && strcmp(json_string_value(type), "FeatureCollection") == 0) {
        features = json_incref(json_object_get(doc, "features"));
    } else {
        features = json_array();
        json_array_append(features, doc);
    }
    json_t *errors = json_array(), *again = json_array();
    for (size_t i = 0; i < json_array_size(features); i++) {
        const json_t *f = json_array_get(features, i);
        size_t before = json_array_size(errors);
        int n = incpost_validate(f, i, errors);
        FUZZ_CHECK(n >= 0 && (size_t)n == json_array_size(errors) - before);
        check_errors(errors, before, i);
        incpost_validate(f, i, again);
    }
    FUZZ_CHECK(json_equal(errors, again) || json_array_size(errors) == 0);
    json_decref(again);
    json_decref(errors);
    json_decref(features);
    json_decref(doc);
}

static void check_accepted(const norm_opts *o, const norm_in *in, const norm_out *out)
{
    const hz_incident_rec *r = &out->rec;
    FUZZ_CHECK(r->source_id == in->text[NORM_ID]);
    FUZZ_CHECK(r->lon >= -180 && r->lon <= 180 && r->lat >= -90 && r->lat <= 90);
    if (r->occurred_at) {
        char buf[32];
        int64_t t;
        hztime_format_iso(r->t, o->tz, buf);
        FUZZ_CHECK(strcmp(buf, r->occurred_at) == 0);
        if (buf[0] != '-' && strlen(buf) == 25)
            FUZZ_CHECK(hztime_parse_iso(buf, 0, &t) == 0 && t == r->t);
    }
    if (r->victims >= 0) FUZZ_CHECK(atol(in->text[NORM_VICTIMS]) == r->victims);
    if (r->age >= 0) FUZZ_CHECK(atol(in->text[NORM_AGE]) == r->age);
}

static void fuzz_record(const uint8_t *data, size_t size)
{
    static char buf[16384];
    if (size >= sizeof buf) return;
    memcpy(buf, data, size);
    buf[size] = 0;
    norm_in in = {.source = "fuzz", .geom = NORM_GEOM_TEXT};
    char *fmt = buf, *p = strchr(buf, '\t');
    if (p) *p++ = 0;
    for (int f = NORM_LON; f < NORM_NFIELDS && p; f++) {
        in.text[f] = p;
        if ((p = strchr(p, '\t'))) *p++ = 0;
    }
    norm_opts o = {.vm = vm, .tz = (int)(size % 3) * 4 * 3600, .time_format = *fmt ? fmt : NULL};
    static norm_out out, out2;
    int n = norm_incident(&o, &in, &out);
    FUZZ_CHECK(n == out.nproblems && n >= 0 && n <= NORM_NFIELDS);
    int utf8 = fuzz_utf8_valid(data, size);
    for (int i = 0; i < n; i++) {
        const norm_problem *pr = &out.problem[i];
        FUZZ_CHECK(pr->kind && memchr(pr->reason, 0, sizeof pr->reason));
        if (i > 0) FUZZ_CHECK(pr->field > out.problem[i - 1].field);
        if (i > 0) FUZZ_CHECK(pr->field > NORM_LAT || out.problem[i - 1].field > NORM_LAT);
        if (utf8)
            FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)pr->reason, strlen(pr->reason)));
    }
    if (n == 0) check_accepted(&o, &in, &out);
    FUZZ_CHECK(norm_incident(&o, &in, &out2) == n);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(strcmp(out.problem[i].reason, out2.problem[i].reason) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && (data[0] == '{' || data[0] == '['))
        fuzz_body(data, size);
    else
        fuzz_record(data, size);
    return 0;
}

/* normalise.c - the rules for taking in an incident (normalise.h), shared by the CSV and OGR
 * importers and by POST /collections/incidents/items.
 *
 * Invariants of an accepted record (norm_incident() returning 0), asserted by check_record():
 *  1. lon and lat are finite, in -180..180 and -90..90 before the GCJ-02/BD-09 inverse; or both
 *     are NaN (no point) and area_code is an area of the index (an area-only record);
 *  2. age is -1 or 0..NORM_AGE_MAX, victims -1 or 0..NORM_VICTIMS_MAX, disability -1, 0 or 1;
 *  3. every vocabulary value is 0 (unknown) or a value of its vocabulary;
 *  4. t is INT64_MIN exactly when occurred_at is NULL, and occurred_at is hztime_format_iso(t, tz);
 *  5. source and source_id are set, source_id is not blank and at most NORM_ID_MAX bytes. */
#include "hazmap/normalise.h"
#include "hazmap/hztime.h"
#include "hazmap/icd10.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The kinds of problem, each with one text. "$1" and "$2" stand for the arguments: values as the
 * source wrote them (cut by quote()), numbers as %.10g, or a field or vocabulary name. */
typedef enum rule {
    RULE_NO_COORDS,
    RULE_EMPTY_POINT,
    RULE_NOT_POINT,
    RULE_COORD_TEXT,
    RULE_NOT_FINITE,
    RULE_TRANSFORM,
    RULE_RANGE,
    RULE_EMPTY_ID,
    RULE_LONG_ID,
    RULE_DATE,
    RULE_DATE_FORMAT,
    RULE_TIME,
    RULE_VOCAB,
    RULE_ICD10,
    RULE_INTENT,
    RULE_VICTIMS,
    RULE_AGE,
    RULE_DISABILITY,
    RULE_LONG_DESC,
    RULE_AREA_UNKNOWN,
    RULE_AREA_AMBIGUOUS,
    RULE_COUNT
} rule;

static const struct {
    const char *kind, *text;
} rules[RULE_COUNT] = {
    [RULE_NO_COORDS] = {"missing coordinates",
                        "empty coordinates (no lon/lat value or no geometry)"},
    [RULE_EMPTY_POINT] = {"empty geometry", "empty geometry (POINT EMPTY)"},
    [RULE_NOT_POINT] = {"not a point", "geometry is not a point ($1)"},
    [RULE_COORD_TEXT] = {"bad coordinates", "coordinates '$1', '$2' are not numbers"},
    [RULE_NOT_FINITE] = {"bad coordinates", "coordinates are not finite ($1, $2)"},
    [RULE_TRANSFORM] = {"bad coordinates", "coordinates ($1, $2) cannot be transformed to WGS84"},
    [RULE_RANGE] = {"bad coordinates", "coordinates out of range: lon $1, lat $2"},
    [RULE_EMPTY_ID] = {"missing id", "empty id"},
    [RULE_LONG_ID] = {"bad id", "id '$1' is longer than $2 bytes"},
    [RULE_DATE] = {"bad date", "malformed date '$1' in field 'occurred_at'"},
    [RULE_DATE_FORMAT] =
        {"bad date", "malformed date '$1' in field 'occurred_at' (not in the time format '$2')"},
    [RULE_TIME] = {"bad time", "malformed time of day '$1' in field 'time2' (hhmm or hh:mm)"},
    [RULE_VOCAB] = {"unknown value", "unknown $2 value '$1' in field '$2'"},
    [RULE_ICD10] = {"bad ICD-10 code", "ICD-10 code '$1' in field 'icd10': $2"},
    [RULE_INTENT] = {"contradictory intent", "intent '$1' contradicts the mechanism '$2'"},
    [RULE_VICTIMS] = {"bad number", "victims '$1' is not a whole number (0-$2)"},
    [RULE_AGE] = {"bad number", "age '$1' is not a whole number of years (0-$2)"},
    [RULE_DISABILITY] = {"unknown value", "disability '$1' is not yes/no/1/0"},
    [RULE_LONG_DESC] = {"too long", "description is longer than $2 bytes"},
    [RULE_AREA_UNKNOWN] = {"unknown area",
                           "area '$1' in field 'area' matches no area (by code, name or short "
                           "name) and the record has no coordinates"},
    [RULE_AREA_AMBIGUOUS] = {"ambiguous area",
                             "area '$1' in field 'area' matches several areas: $2"},
};

static const char *const field_names[NORM_NFIELDS] = {[NORM_GEOMETRY] = "geometry",
                                                      [NORM_LON] = "lon",
                                                      [NORM_LAT] = "lat",
                                                      [NORM_AREA] = "area",
                                                      [NORM_ID] = "id",
                                                      [NORM_TIME] = "occurred_at",
                                                      [NORM_TIME2] = "time2",
                                                      [NORM_ICD10] = "icd10",
                                                      [NORM_MECHANISM] = "mechanism",
                                                      [NORM_PLACE] = "place",
                                                      [NORM_INTENT] = "intent",
                                                      [NORM_SEVERITY] = "severity",
                                                      [NORM_SEX] = "sex",
                                                      [NORM_ACTIVITY] = "activity",
                                                      [NORM_OUTCOME] = "outcome",
                                                      [NORM_NATURE] = "nature",
                                                      [NORM_BODY_PART] = "body_part",
                                                      [NORM_VICTIMS] = "victims",
                                                      [NORM_AGE] = "age",
                                                      [NORM_DISABILITY] = "disability",
                                                      [NORM_DESCRIPTION] = "description"};

const char *norm_field_name(norm_field f)
{
    return f >= 0 && f < NORM_NFIELDS ? field_names[f] : "?";
}

/* ---- problems ---- */

/* src cut to NORM_QUOTE_MAX bytes, backing off to the start of a UTF-8 character, with "..." */
static void quote(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n <= NORM_QUOTE_MAX && n < len) {
        memcpy(dst, src, n + 1);
        return;
    }
    n = NORM_QUOTE_MAX < len - 4 ? NORM_QUOTE_MAX : len - 4;
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--;
    memcpy(dst, src, n);
    memcpy(dst + n, "...", 4);
}

/* Drops an incomplete UTF-8 character at the end of s (n bytes), left by a cut. */
static void utf8_cut(char *s, size_t n)
{
    size_t k = n;
    while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--;
    if (k == 0) return;
    unsigned char lead = (unsigned char)s[k - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (k - 1 + need > n) s[k - 1] = 0;
}

/* Records a problem of field f: the rule's text with $1 = a1 (quoted) and $2 = a2 (as is). */
static void problem(norm_out *out, norm_field f, rule r, const char *a1, const char *a2)
{
    assert(out->nproblems < NORM_NFIELDS);
    norm_problem *p = &out->problem[out->nproblems++];
    p->field = f;
    p->kind = rules[r].kind;
    char q[NORM_QUOTE_MAX + 4], q2[NORM_QUOTE_MAX + 4];
    quote(q, sizeof q, a1 ? a1 : "");
    quote(q2, sizeof q2, a2 ? a2 : ""); /* a time format can be long too */
    size_t o = 0;
    for (const char *t = rules[r].text; *t && o + 1 < sizeof p->reason; t++) {
        const char *arg = t[0] == '$' && t[1] == '1' ? q : t[0] == '$' && t[1] == '2' ? q2 : NULL;
        if (!arg) {
            p->reason[o++] = *t;
            continue;
        }
        t++;
        for (; *arg && o + 1 < sizeof p->reason; arg++)
            p->reason[o++] = *arg;
    }
    p->reason[o] = 0;
    if (o + 1 >= sizeof p->reason) utf8_cut(p->reason, o);
}

/* The same with two numbers as arguments (coordinates). */
static void problem_xy(norm_out *out, norm_field f, rule r, double x, double y)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "%.10g", x);
    snprintf(b, sizeof b, "%.10g", y);
    problem(out, f, r, a, b);
}

/* ---- small parsers ---- */

static int is_blank(const char *s)
{
    if (!s) return 1;
    while (isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

static int parse_double(const char *s, double *v)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end;
    *v = strtod(s, &end);
    if (end == s) return -1;
    while (isspace((unsigned char)*end))
        end++;
    return *end ? -1 : 0;
}

/* A whole number 0..max, spaces around allowed. */
static int parse_whole(const char *s, long max, int *v)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || errno) return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end || x < 0 || x > max) return -1;
    *v = (int)x;
    return 0;
}

/* yes/no in the spellings of surveillance exports; blank is unknown (-1). */
static int parse_disability(const char *s, int *v)
{
    static const char *const yes[] = {"1", "y", "yes", "true", "是", "有", NULL};
    static const char *const no[] = {"0", "n", "no", "false", "否", "无", NULL};
    char buf[16];
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    *v = -1;
    if (n == 0) return 0;
    for (int i = 0; yes[i]; i++)
        if (strcasecmp(buf, yes[i]) == 0) return *v = 1, 0;
    for (int i = 0; no[i]; i++)
        if (strcasecmp(buf, no[i]) == 0) return *v = 0, 0;
    return -1;
}

/* ---- the fields ---- */

/* The coordinates as numbers from text or geometry; 0, or -1 after recording the problem. */
static int read_point(const norm_in *in, norm_out *out, double *x, double *y)
{
    const char *xs = in->text[NORM_LON], *ys = in->text[NORM_LAT];
    switch (in->geom) {
    case NORM_GEOM_NONE:
        problem(out, NORM_GEOMETRY, RULE_NO_COORDS, NULL, NULL);
        return -1;
    case NORM_GEOM_EMPTY:
        problem(out, NORM_GEOMETRY, RULE_EMPTY_POINT, NULL, NULL);
        return -1;
    case NORM_GEOM_OTHER:
        problem(out, NORM_GEOMETRY, RULE_NOT_POINT, in->geom_type ? in->geom_type : "?", NULL);
        return -1;
    case NORM_GEOM_POINT:
        *x = in->x;
        *y = in->y;
        return 0;
    case NORM_GEOM_TEXT:
        break;
    }
    if (is_blank(xs) || is_blank(ys)) {
        problem(out, is_blank(xs) ? NORM_LON : NORM_LAT, RULE_NO_COORDS, NULL, NULL);
        return -1;
    }
    int bx = parse_double(xs, x) < 0, by = parse_double(ys, y) < 0;
    if (bx || by) {
        char qy[NORM_QUOTE_MAX + 4];
        quote(qy, sizeof qy, ys);
        problem(out, bx ? NORM_LON : NORM_LAT, RULE_COORD_TEXT, xs, qy);
        return -1;
    }
    return 0;
}

/* 1 when the record has no coordinates at all (no geometry, or both coordinate texts absent or
 * blank) but names an area: an area-only record (norm_area() resolves it). */
static int area_only(const norm_in *in)
{
    if (is_blank(in->text[NORM_AREA])) return 0;
    if (in->geom == NORM_GEOM_NONE) return 1;
    return in->geom == NORM_GEOM_TEXT && is_blank(in->text[NORM_LON]) &&
           is_blank(in->text[NORM_LAT]);
}

static void norm_coordinates(const norm_opts *o, const norm_in *in, norm_out *out)
{
    double x, y;
    if (area_only(in)) return; /* lon, lat stay NaN */
    if (read_point(in, out, &x, &y) < 0) return;
    if (!isfinite(x) || !isfinite(y)) {
        problem_xy(out, isfinite(x) ? NORM_LAT : NORM_LON, RULE_NOT_FINITE, x, y);
        return;
    }
    double lon = x, lat = y;
    if (o->transform && o->transform(o->transform_ud, &lon, &lat) != 0) {
        problem_xy(out, NORM_GEOMETRY, RULE_TRANSFORM, x, y);
        return;
    }
    int lon_ok = lon >= -180 && lon <= 180, lat_ok = lat >= -90 && lat <= 90;
    if (!lon_ok || !lat_ok) {
        problem_xy(out, lon_ok ? NORM_LAT : NORM_LON, RULE_RANGE, lon, lat);
        return;
    }
    if (o->ck != CHINACRS_NONE) chinacrs_to_wgs84(o->ck, 1, &lon, &lat);
    out->rec.lon = lon;
    out->rec.lat = lat;
}

/* The area named by the record (text[NORM_AREA]: a code, a name or a short name, see
 * areaindex_resolve()) of a record without a point: it is the record's area, and a name that
 * matches no area or several is a problem. A record with a point gets its area from the point
 * (norm_incident()), and area_disagrees() compares the named one. */
static void norm_area(const norm_opts *o, const norm_in *in, norm_out *out)
{
    const char *as = in->text[NORM_AREA];
    if (!area_only(in)) return; /* a point (or a bad one, reported already) decides */
    const char *code = NULL;
    char list[200];
    int n = o->ai ? areaindex_resolve(o->ai, as, &code, list, sizeof list) : 0;
    if (n == 1)
        out->rec.area_code = code;
    else
        problem(out, NORM_AREA, n == 0 ? RULE_AREA_UNKNOWN : RULE_AREA_AMBIGUOUS, as, list);
}

/* 1 when a record whose point lies in the area at (NULL: in none) names an area as (not blank)
 * that neither contains at nor lies within it, or that names no single area: the point wins,
 * and the importers count the disagreement. */
static int area_disagrees(const areaindex *ai, const char *as, const char *at)
{
    const char *code = NULL;
    if (areaindex_resolve(ai, as, &code, NULL, 0) != 1 || !at) return 1;
    return !(areaindex_within(ai, at, code) || areaindex_within(ai, code, at));
}

static void norm_id(const norm_in *in, norm_out *out)
{
    const char *id = in->text[NORM_ID];
    char max[16];
    snprintf(max, sizeof max, "%d", NORM_ID_MAX);
    if (is_blank(id))
        problem(out, NORM_ID, RULE_EMPTY_ID, NULL, NULL);
    else if (strlen(id) > NORM_ID_MAX)
        problem(out, NORM_ID, RULE_LONG_ID, id, max);
    else
        out->rec.source_id = id;
}

static void norm_time(const norm_opts *o, const norm_in *in, norm_out *out)
{
    const char *ts = in->text[NORM_TIME], *tod = in->text[NORM_TIME2];
    if (is_blank(ts)) return;
    int64_t t;
    int bad = o->time_format ? hztime_parse_format(ts, o->time_format, o->tz, &t)
                             : hztime_parse_date(ts, o->tz, &t);
    if (bad) {
        problem(out, NORM_TIME, o->time_format ? RULE_DATE_FORMAT : RULE_DATE, ts, o->time_format);
        return;
    }
    int secs;
    if (!is_blank(tod)) {
        if (hztime_parse_tod(tod, &secs) < 0) {
            problem(out, NORM_TIME2, RULE_TIME, tod, NULL);
            return;
        }
        t = hztime_at_time_of_day(t, o->tz, secs);
    }
    out->rec.t = t;
    hztime_format_iso(t, o->tz, out->occurred_at);
    out->rec.occurred_at = out->occurred_at;
}

static void norm_vocabularies(const norm_opts *o, const norm_in *in, norm_out *out)
{
    static const struct {
        norm_field f;
        hz_vocab voc;
    } vf[] = {{NORM_PLACE, HZ_VOCAB_PLACE},       {NORM_INTENT, HZ_VOCAB_INTENT},
              {NORM_SEVERITY, HZ_VOCAB_SEVERITY}, {NORM_SEX, HZ_VOCAB_SEX},
              {NORM_ACTIVITY, HZ_VOCAB_ACTIVITY}, {NORM_OUTCOME, HZ_VOCAB_OUTCOME},
              {NORM_NATURE, HZ_VOCAB_NATURE},     {NORM_BODY_PART, HZ_VOCAB_BODY_PART}};
    hz_incident_rec *r = &out->rec;
    int *dst[] = {&r->place,    &r->intent,  &r->severity, &r->sex,
                  &r->activity, &r->outcome, &r->nature,   &r->body_part};
    const char *ms = in->text[NORM_MECHANISM], *icd = in->text[NORM_ICD10];
    int implied = 0, icd_intent = 0, have_icd = 0;
    if (!is_blank(icd)) {
        char why[160];
        int m, it;
        if (icd10_classify(icd, &m, &it, why, sizeof why) != 0) {
            problem(out, NORM_ICD10, RULE_ICD10, icd, why);
        } else {
            have_icd = 1;
            r->mechanism = m;
            icd_intent = it;
        }
    }
    if (!have_icd && ms &&
        vocabmap_lookup_mechanism(o->vm, ms, strlen(ms), &r->mechanism, &implied) < 0)
        problem(out, NORM_MECHANISM, RULE_VOCAB, ms, vocab_label(HZ_VOCAB_MECHANISM));
    if (r->mechanism == 0 && !have_icd) {
        r->mechanism = o->default_mechanism;
        implied = o->default_intent;
    }
    for (size_t i = 0; i < sizeof vf / sizeof *vf; i++) {
        const char *s = in->text[vf[i].f];
        int v = 0;
        if (s && vocabmap_lookup(o->vm, vf[i].voc, s, strlen(s), &v) < 0) {
            problem(out, vf[i].f, RULE_VOCAB, s, vocab_label(vf[i].voc));
            continue;
        }
        *dst[i] = v;
        if (vf[i].f != NORM_INTENT) continue;
        /* here, so that the problems stay in field order */
        if (have_icd)
            r->intent = icd_intent;
        else if (vocab_merge_intent(implied, r->intent, &r->intent) != 0)
            problem(out, NORM_INTENT, RULE_INTENT, s, ms ? ms : "");
    }
    if (r->outcome == HZ_OUT_DIED) r->severity = HZ_SEV_FATAL;
}

static void norm_numbers(const norm_in *in, norm_out *out)
{
    const char *vs = in->text[NORM_VICTIMS], *as = in->text[NORM_AGE],
               *ds = in->text[NORM_DISABILITY];
    char max[16];
    snprintf(max, sizeof max, "%d", NORM_VICTIMS_MAX);
    if (!is_blank(vs) && parse_whole(vs, NORM_VICTIMS_MAX, &out->rec.victims) < 0)
        problem(out, NORM_VICTIMS, RULE_VICTIMS, vs, max);
    snprintf(max, sizeof max, "%d", NORM_AGE_MAX);
    if (!is_blank(as) && parse_whole(as, NORM_AGE_MAX, &out->rec.age) < 0)
        problem(out, NORM_AGE, RULE_AGE, as, max);
    if (ds && parse_disability(ds, &out->rec.disability) < 0)
        problem(out, NORM_DISABILITY, RULE_DISABILITY, ds, NULL);
}

static void norm_description(const norm_in *in, norm_out *out)
{
    const char *d = in->text[NORM_DESCRIPTION];
    char max[16];
    snprintf(max, sizeof max, "%d", NORM_DESC_MAX);
    if (is_blank(d)) return;
    if (strlen(d) > NORM_DESC_MAX)
        problem(out, NORM_DESCRIPTION, RULE_LONG_DESC, NULL, max);
    else
        out->rec.description = d;
}

/* The invariants at the top of the file. */
static void check_record(const norm_out *out)
{
    const hz_incident_rec *r = &out->rec;
    assert((isfinite(r->lon) && isfinite(r->lat)) ||
           (isnan(r->lon) && isnan(r->lat) && r->area_code != NULL));
    assert(r->age >= -1 && r->age <= NORM_AGE_MAX);
    assert(r->victims >= -1 && r->victims <= NORM_VICTIMS_MAX);
    assert(r->disability >= -1 && r->disability <= 1);
    assert(r->mechanism >= 0 && r->mechanism < HZ_MECH_COUNT);
    assert(r->place >= 0 && r->place < HZ_PLACE_COUNT);
    assert(r->intent >= 0 && r->intent < HZ_INTENT_COUNT);
    assert(r->severity >= 0 && r->severity < HZ_SEV_COUNT);
    assert(r->sex >= 0 && r->sex < HZ_SEX_COUNT);
    assert(r->activity >= 0 && r->activity < HZ_ACT_COUNT);
    assert(r->outcome >= 0 && r->outcome < HZ_OUT_COUNT);
    assert(r->nature >= 0 && r->nature < HZ_NAT_COUNT);
    assert(r->body_part >= 0 && r->body_part < HZ_BODY_COUNT);
    assert(r->outcome != HZ_OUT_DIED || r->severity == HZ_SEV_FATAL);
    assert((r->t == INT64_MIN) == (r->occurred_at == NULL));
    assert(r->source && r->source_id && !is_blank(r->source_id));
    (void)r;
}

int norm_incident(const norm_opts *o, const norm_in *in, norm_out *out)
{
    assert(o && o->vm && in && in->source && out);
    out->nproblems = 0; /* (problem[] is filled as needed: no memset of 5 KB per row) */
    out->occurred_at[0] = 0;
    out->area_mismatch = 0;
    out->rec = (hz_incident_rec){.source = in->source,
                                 .t = INT64_MIN,
                                 .victims = -1,
                                 .age = -1,
                                 .disability = -1,
                                 .lon = NAN,
                                 .lat = NAN};
    norm_coordinates(o, in, out);
    norm_area(o, in, out);
    norm_id(in, out);
    norm_time(o, in, out);
    norm_vocabularies(o, in, out);
    norm_numbers(in, out);
    norm_description(in, out);
    if (out->nproblems > 0) return out->nproblems;
    if (o->ai && hz_rec_has_point(&out->rec)) {
        out->rec.area_code = areaindex_locate(o->ai, out->rec.lon, out->rec.lat);
        if (!is_blank(in->text[NORM_AREA]))
            out->area_mismatch = area_disagrees(o->ai, in->text[NORM_AREA], out->rec.area_code);
    }
    check_record(out);
    return 0;
}

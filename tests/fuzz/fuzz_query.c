/* fuzz_query.c - libFuzzer harness of the query-parameter and filter parsers (httpmsg.h,
 * filter.h, qparam.h).
 *
 * The input is a decoded query string "k=v&k=v..." (as libmicrohttpd hands it over; a key without
 * '=' has the value ""), read by hreq_check_args() and hreq_filter() as an endpoint with the
 * extra arguments bbox, datetime, limit and cell does, and each of those values by its qparam_*
 * reader. Invariants:
 *   - an accepted argument list has only filter and allowed keys;
 *   - an accepted filter is consistent (age_min <= age_max, from < to, weights 0..1e6, area
 *     without control characters), and its canonical form (filter_canonical()) read back as a
 *     query string gives the same filter (so distinct filters never share a cache key) and the
 *     same canonical form;
 *   - accepted bbox, datetime, limit and cell values are within their documented ranges. */
#include "fuzzutil.h"
#include "hazmap/httpmsg.h"
#include "hazmap/qparam.h"

#include <math.h>
#include <string.h>

enum { MAX_ARGS = 64 };

/* Splits q (modified) at '&' and the first '=' of each argument. Returns the count. */
static size_t split_query(char *q, hreq_arg *args)
{
    size_t n = 0;
    for (char *p = q; p && n < MAX_ARGS;) {
        char *amp = strchr(p, '&');
        if (amp) *amp = 0;
        char *eq = strchr(p, '=');
        if (eq) *eq = 0;
        args[n].key = p;
        args[n].value = eq ? eq + 1 : "";
        n++;
        p = amp ? amp + 1 : NULL;
    }
    return n;
}

/* %XX decoding in place, as the server's HTTP layer does before hazmap sees the arguments. */
static void pct_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        unsigned v;
        if (*p == '%' && sscanf(p + 1, "%2x", &v) == 1 && p[1] && p[2] && v) {
            *o++ = (char)v;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
}

static int same_filter(const hz_filter *a, const hz_filter *b)
{
    if (a->mechanisms != b->mechanisms || a->places != b->places || a->intents != b->intents ||
        a->severities != b->severities || a->sexes != b->sexes || a->from != b->from ||
        a->to != b->to || a->age_min != b->age_min || a->age_max != b->age_max ||
        a->disability != b->disability || strcmp(a->area, b->area) != 0 || a->weight != b->weight)
        return 0;
    /* the severity weights matter (and are in the canonical form) only for score weights */
    if (a->weight == HZ_WEIGHT_SCORE)
        for (int s = 0; s < HZ_SEV_COUNT; s++)
            if (a->sev_weight[s] != b->sev_weight[s]) return 0;
    return 1;
}

/* Reads a canonical form back (from and to are seconds there) into f. */
static void reread(const char *canon, hz_filter *f)
{
    static char q[8192];
    hreq_arg args[MAX_ARGS];
    snprintf(q, sizeof q, "%s", canon);
    filter_init(f);
    size_t n = *q ? split_query(q, args) : 0;
    char err[512];
    for (size_t i = 0; i < n; i++) {
        pct_decode((char *)args[i].key);
        pct_decode((char *)args[i].value);
        if (strcmp(args[i].key, "from") == 0 || strcmp(args[i].key, "to") == 0) {
            char *end;
            long long t = strtoll(args[i].value, &end, 10);
            FUZZ_CHECK(*args[i].value && !*end);
            *(args[i].key[0] == 'f' ? &f->from : &f->to) = t;
            continue;
        }
        FUZZ_CHECK(filter_set(f, args[i].key, args[i].value, err, sizeof err) == HZ_OK);
    }
}

static void check_filter(const hz_filter *f)
{
    FUZZ_CHECK(f->age_min < 0 || f->age_max < 0 || f->age_min <= f->age_max);
    FUZZ_CHECK(f->from == INT64_MIN || f->to == INT64_MAX || f->from < f->to);
    for (int s = 0; s < HZ_SEV_COUNT; s++)
        FUZZ_CHECK(f->sev_weight[s] >= 0 && f->sev_weight[s] <= 1e6);
    for (const char *c = f->area; *c; c++)
        FUZZ_CHECK((unsigned char)*c >= 0x20);
    char canon[4096], canon2[4096];
    int n = filter_canonical(f, canon, sizeof canon);
    FUZZ_CHECK(n >= 0 && (size_t)n < sizeof canon && strlen(canon) == (size_t)n);
    hz_filter g;
    reread(canon, &g);
    FUZZ_CHECK(same_filter(f, &g));
    FUZZ_CHECK(filter_canonical(&g, canon2, sizeof canon2) == n && strcmp(canon, canon2) == 0);
}

static void check_values(const hreq *rq)
{
    char err[512];
    const char *v;
    double bb[4], cell;
    int64_t from, to;
    long limit;
    if ((v = hreq_arg_get(rq, "bbox")) && qparam_bbox(v, bb, err, sizeof err) == HZ_OK) {
        /* west above east crosses the antimeridian: two boxes, each west <= east */
        FUZZ_CHECK(bb[0] >= -180 && bb[0] <= 180 && bb[2] >= -180 && bb[2] <= 180 &&
                   bb[0] != bb[2] && bb[1] >= -90 && bb[1] < bb[3] && bb[3] <= 90);
        double parts[2][4];
        int n = qparam_bbox_split(bb, parts);
        FUZZ_CHECK(n == (bb[0] > bb[2] ? 2 : 1));
        for (int k = 0; k < n; k++)
            FUZZ_CHECK(parts[k][0] <= parts[k][2] && parts[k][1] == bb[1] && parts[k][3] == bb[3]);
    }
    if ((v = hreq_arg_get(rq, "datetime")) &&
        qparam_datetime(v, 8 * 3600, &from, &to, err, sizeof err) == HZ_OK)
        FUZZ_CHECK(from < to && (from != INT64_MIN || to != INT64_MAX));
    if ((v = hreq_arg_get(rq, "limit")) &&
        qparam_long("limit", v, 1, 10000, &limit, err, sizeof err) == HZ_OK)
        FUZZ_CHECK(limit >= 1 && limit <= 10000);
    if ((v = hreq_arg_get(rq, "cell")) &&
        qparam_double("cell", v, 1, 100000, &cell, err, sizeof err) == HZ_OK)
        FUZZ_CHECK(isfinite(cell) && cell >= 1 && cell <= 100000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char q[4097];
    memcpy(q, data, size);
    q[size] = 0;
    hreq_arg args[MAX_ARGS];
    hreq rq = {.method = "GET", .path = "/", .args = args, .nargs = split_query(q, args)};
    static const char *const allowed[] = {"bbox", "datetime", "limit", "cell", NULL};
    char err[512];
    if (hreq_check_args(&rq, allowed, 1, err, sizeof err) == HZ_OK)
        for (size_t i = 0; i < rq.nargs; i++) {
            int known = filter_is_param(args[i].key);
            for (const char *const *a = allowed; *a; a++)
                known |= strcmp(*a, args[i].key) == 0;
            FUZZ_CHECK(known);
        }
    hz_filter f;
    filter_init(&f);
    if (hreq_filter(&rq, &f, err, sizeof err) == HZ_OK) check_filter(&f);
    check_values(&rq);
    return 0;
}

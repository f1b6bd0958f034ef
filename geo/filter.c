/* filter.c - parsing and canonical form of the shared incident filter. */
#include "hazmap/filter.h"
#include "hazmap/hztime.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const params[] = {"mechanism", "place",      "intent",   "severity", "sex",
                                     "from",      "to",         "age",      "area",     "weight",
                                     "weights",   "disability", "activity", "outcome",  "count"};

void filter_init(hz_filter *f)
{
    memset(f, 0, sizeof *f);
    f->from = INT64_MIN;
    f->to = INT64_MAX;
    f->age_min = f->age_max = -1;
    f->disability = -1;
    f->weight = HZ_WEIGHT_COUNT;
    f->sev_weight[HZ_SEV_UNKNOWN] = 1;
    f->sev_weight[HZ_SEV_FATAL] = 12;
    f->sev_weight[HZ_SEV_SERIOUS] = 12;
    f->sev_weight[HZ_SEV_MINOR] = 3;
    f->sev_weight[HZ_SEV_NONE] = 1;
    f->tz_offset_s = HZ_TZ_SHANGHAI;
}

int filter_is_param(const char *key)
{
    for (size_t i = 0; i < sizeof params / sizeof *params; i++)
        if (strcmp(key, params[i]) == 0) return 1;
    return 0;
}

/* Splits value at commas and ORs each word's bit into *mask. */
static hz_status set_list(uint32_t *mask, uint32_t *mech_intents, hz_vocab voc, const char *key,
                          const char *value, char *err, size_t errlen)
{
    const char *p = value;
    uint32_t m = 0, mi = 0;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char word[32];
        int v;
        if (len == 0 || len >= sizeof word)
            return hz_fail(HZ_EINVAL, err, errlen, "%s: empty or over-long value in '%s'", key,
                           value);
        memcpy(word, p, len);
        word[len] = 0;
        int known = voc == HZ_VOCAB_MECHANISM ? vocab_mechanism_alias(word, &m, &mi) == 0
                                              : vocab_parse(voc, word, &v) == 0;
        if (!known) {
            char allowed[512] = "";
            size_t off = 0;
            for (int i = 1; i < vocab_count(voc) && off < sizeof allowed; i++)
                off += (size_t)snprintf(allowed + off, sizeof allowed - off, "%s%s",
                                        i > 1 ? ", " : "", vocab_name(voc, i));
            for (int i = 0; voc == HZ_VOCAB_MECHANISM && vocab_mechanism_alias_words[i] &&
                            off < sizeof allowed;
                 i++)
                off += (size_t)snprintf(allowed + off, sizeof allowed - off, "%s%s",
                                        i ? ", " : "; or the group traffic and the old words ",
                                        vocab_mechanism_alias_words[i]);
            return hz_fail(HZ_EINVAL, err, errlen, "%s: unknown value '%s' (one of: %s)", key, word,
                           allowed);
        }
        if (voc != HZ_VOCAB_MECHANISM) m |= 1u << v;
        if (!end) break;
        p = end + 1;
    }
    *mask |= m;
    if (mech_intents) *mech_intents |= mi;
    return HZ_OK;
}

static int parse_int_range(const char *s, size_t len, int *out)
{
    if (len == 0 || len > 3) return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 150) return -1;
    *out = v;
    return 0;
}

static hz_status set_age(hz_filter *f, const char *value, char *err, size_t errlen)
{
    const char *dash = strchr(value, '-');
    int lo = -1, hi = -1;
    if (!dash) {
        if (parse_int_range(value, strlen(value), &lo)) goto bad;
        hi = lo;
    } else {
        size_t l1 = (size_t)(dash - value), l2 = strlen(dash + 1);
        if (l1 == 0 && l2 == 0) goto bad;
        if (l1 && parse_int_range(value, l1, &lo)) goto bad;
        if (l2 && parse_int_range(dash + 1, l2, &hi)) goto bad;
        if (lo >= 0 && hi >= 0 && lo > hi) goto bad;
    }
    f->age_min = lo;
    f->age_max = hi;
    return HZ_OK;
bad:
    return hz_fail(HZ_EINVAL, err, errlen,
                   "age: '%s' is not MIN-MAX in years (0-150, either end may be empty)", value);
}

static hz_status set_weights(hz_filter *f, const char *value, char *err, size_t errlen)
{
    double w[HZ_SEV_COUNT];
    memcpy(w, f->sev_weight, sizeof w);
    const char *p = value;
    while (*p) {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        char name[16];
        if (!eq || eq > end || (size_t)(eq - p) >= sizeof name || eq == p) goto bad;
        memcpy(name, p, (size_t)(eq - p));
        name[eq - p] = 0;
        int sev;
        if (strcmp(name, "unknown") == 0)
            sev = HZ_SEV_UNKNOWN;
        else if (vocab_parse(HZ_VOCAB_SEVERITY, name, &sev))
            goto bad;
        char num[32], *q;
        size_t nl = (size_t)(end - eq - 1);
        if (nl == 0 || nl >= sizeof num) goto bad;
        memcpy(num, eq + 1, nl);
        num[nl] = 0;
        errno = 0;
        double v = strtod(num, &q);
        if (errno || *q || !(v >= 0 && v <= 1e6)) goto bad;
        w[sev] = v;
        p = *end ? end + 1 : end;
    }
    memcpy(f->sev_weight, w, sizeof w);
    return HZ_OK;
bad:
    return hz_fail(HZ_EINVAL, err, errlen,
                   "weights: '%s' is not a list like fatal=12,serious=12,minor=3,none=1", value);
}

static hz_status set_time(hz_filter *f, int is_to, const char *value, char *err, size_t errlen)
{
    int64_t t;
    if (hztime_parse_iso(value, f->tz_offset_s, &t))
        return hz_fail(HZ_EINVAL, err, errlen,
                       "%s: '%s' is not an ISO 8601 date (YYYY-MM-DD) or date-time",
                       is_to ? "to" : "from", value);
    int64_t from = f->from, to = f->to;
    if (is_to)
        to = strlen(value) == 10 ? t + 86400 : t + 1; /* a bare date includes that whole day */
    else
        from = t;
    if (from != INT64_MIN && to != INT64_MAX && from >= to)
        return hz_fail(HZ_EINVAL, err, errlen, "from/to: 'from' must be before 'to'");
    f->from = from;
    f->to = to;
    return HZ_OK;
}

hz_status filter_set(hz_filter *f, const char *key, const char *value, char *err, size_t errlen)
{
    if (!value || !*value) return hz_fail(HZ_EINVAL, err, errlen, "%s: empty value", key);
    if (strcmp(key, "mechanism") == 0)
        return set_list(&f->mechanisms, &f->mech_intents, HZ_VOCAB_MECHANISM, key, value, err,
                        errlen);
    if (strcmp(key, "place") == 0)
        return set_list(&f->places, NULL, HZ_VOCAB_PLACE, key, value, err, errlen);
    if (strcmp(key, "intent") == 0)
        return set_list(&f->intents, NULL, HZ_VOCAB_INTENT, key, value, err, errlen);
    if (strcmp(key, "severity") == 0)
        return set_list(&f->severities, NULL, HZ_VOCAB_SEVERITY, key, value, err, errlen);
    if (strcmp(key, "sex") == 0)
        return set_list(&f->sexes, NULL, HZ_VOCAB_SEX, key, value, err, errlen);
    if (strcmp(key, "activity") == 0)
        return set_list(&f->activities, NULL, HZ_VOCAB_ACTIVITY, key, value, err, errlen);
    if (strcmp(key, "outcome") == 0)
        return set_list(&f->outcomes, NULL, HZ_VOCAB_OUTCOME, key, value, err, errlen);
    if (strcmp(key, "from") == 0) return set_time(f, 0, value, err, errlen);
    if (strcmp(key, "to") == 0) return set_time(f, 1, value, err, errlen);
    if (strcmp(key, "age") == 0) return set_age(f, value, err, errlen);
    if (strcmp(key, "weights") == 0) return set_weights(f, value, err, errlen);
    if (strcmp(key, "area") == 0) {
        size_t n = strlen(value);
        if (n >= sizeof f->area)
            return hz_fail(HZ_EINVAL, err, errlen, "area: code longer than %zu bytes",
                           sizeof f->area - 1);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)value[i] < 0x20)
                return hz_fail(HZ_EINVAL, err, errlen, "area: control character in code");
        memcpy(f->area, value, n + 1);
        return HZ_OK;
    }
    if (strcmp(key, "disability") == 0) {
        if (strcmp(value, "yes") == 0)
            f->disability = 1;
        else if (strcmp(value, "no") == 0)
            f->disability = 0;
        else
            return hz_fail(HZ_EINVAL, err, errlen, "disability: '%s' is not 'yes' or 'no'", value);
        return HZ_OK;
    }
    if (strcmp(key, "count") == 0) {
        if (strcmp(value, "events") == 0)
            f->count_records = 0;
        else if (strcmp(value, "records") == 0)
            f->count_records = 1;
        else
            return hz_fail(HZ_EINVAL, err, errlen, "count: '%s' is not 'events' or 'records'",
                           value);
        return HZ_OK;
    }
    if (strcmp(key, "weight") == 0) {
        if (strcmp(value, "count") == 0)
            f->weight = HZ_WEIGHT_COUNT;
        else if (strcmp(value, "score") == 0)
            f->weight = HZ_WEIGHT_SCORE;
        else
            return hz_fail(HZ_EINVAL, err, errlen, "weight: '%s' is not 'count' or 'score'", value);
        return HZ_OK;
    }
    return hz_fail(HZ_EINVAL, err, errlen, "unknown filter parameter '%s'", key);
}

double filter_weight(const hz_filter *f, int severity)
{
    if (f->weight == HZ_WEIGHT_COUNT) return 1.0;
    if (severity < 0 || severity >= HZ_SEV_COUNT) severity = HZ_SEV_UNKNOWN;
    return f->sev_weight[severity];
}

/* Appends to buf at off like snprintf, tracking the length needed even when buf is full. */
static size_t append(char *buf, size_t len, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t len, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, fmt, ap);
    va_end(ap);
    return off + (n > 0 ? (size_t)n : 0);
}

static size_t put_mask(char *buf, size_t len, size_t off, const char *key, uint32_t mask,
                       hz_vocab voc)
{
    const char *sep = off ? "&" : "";
    off = mask ? append(buf, len, off, "%s%s=", sep, key) : off;
    for (int v = 1, first = 1; mask && v < vocab_count(voc); v++) {
        if (!(mask & (1u << v))) continue;
        off = append(buf, len, off, "%s%s", first ? "" : ",", vocab_name(voc, v));
        first = 0;
    }
    return off;
}

/* The mechanism parameter: the traffic groups together as "traffic", the other mechanisms by
 * name, then the legacy words' intents as those words. */
static size_t put_mechanism(char *buf, size_t len, size_t off, const hz_filter *f)
{
    uint32_t m = f->mechanisms;
    if (!m && !f->mech_intents) return off;
    off = append(buf, len, off, "%smechanism=", off ? "&" : "");
    int first = 1;
    if ((m & HZ_MECH_TRAFFIC_MASK) == HZ_MECH_TRAFFIC_MASK) {
        off = append(buf, len, off, "traffic");
        m &= ~(uint32_t)HZ_MECH_TRAFFIC_MASK;
        first = 0;
    }
    for (int v = 1; v < HZ_MECH_COUNT; v++) {
        if (!(m & (1u << v))) continue;
        off = append(buf, len, off, "%s%s", first ? "" : ",", vocab_name(HZ_VOCAB_MECHANISM, v));
        first = 0;
    }
    static const struct {
        int intent;
        const char *word;
    } words[] = {{HZ_INTENT_ASSAULT, "violence"}, {HZ_INTENT_SELF_HARM, "self_harm"}};
    for (size_t k = 0; k < sizeof words / sizeof *words; k++) {
        if (!(f->mech_intents & (1u << words[k].intent))) continue;
        off = append(buf, len, off, "%s%s", first ? "" : ",", words[k].word);
        first = 0;
    }
    return off;
}

/* The area code with the bytes that would change a query string's meaning (% & = + #) as %XX, so
 * that a code containing "&weight=score" cannot read as (or share a cache key with) other
 * settings. Codes of letters, digits and UTF-8 text are written as they are. */
static size_t put_area(char *buf, size_t len, size_t off, const char *area)
{
    off = append(buf, len, off, "%sarea=", off ? "&" : "");
    for (const char *c = area; *c; c++)
        off = strchr("%&=+#", *c) ? append(buf, len, off, "%%%02X", (unsigned char)*c)
                                  : append(buf, len, off, "%c", *c);
    return off;
}

/* A severity weight in the fewest significant digits (6 to 17) that read back to it: "12", "0.1",
 * but 12.0000001 whole, so weights that differ never share a canonical form. */
static size_t put_weight(char *buf, size_t len, size_t off, const char *sep, const char *name,
                         double w)
{
    char num[32];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, w);
        if (strtod(num, NULL) == w) break;
    }
    return append(buf, len, off, "%s%s=%s", sep, name, num);
}

int filter_canonical(const hz_filter *f, char *buf, size_t buflen)
{
    size_t off = 0;
    if (buflen) buf[0] = 0;
#define OUT(...) off = append(buf, buflen, off, __VA_ARGS__)
    off = put_mechanism(buf, buflen, off, f);
    off = put_mask(buf, buflen, off, "place", f->places, HZ_VOCAB_PLACE);
    off = put_mask(buf, buflen, off, "intent", f->intents, HZ_VOCAB_INTENT);
    off = put_mask(buf, buflen, off, "severity", f->severities, HZ_VOCAB_SEVERITY);
    off = put_mask(buf, buflen, off, "sex", f->sexes, HZ_VOCAB_SEX);
    off = put_mask(buf, buflen, off, "activity", f->activities, HZ_VOCAB_ACTIVITY);
    off = put_mask(buf, buflen, off, "outcome", f->outcomes, HZ_VOCAB_OUTCOME);
    if (f->from != INT64_MIN) OUT("%sfrom=%lld", off ? "&" : "", (long long)f->from);
    if (f->to != INT64_MAX) OUT("%sto=%lld", off ? "&" : "", (long long)f->to);
    if (f->age_min >= 0 || f->age_max >= 0) {
        OUT("%sage=", off ? "&" : "");
        if (f->age_min >= 0) OUT("%d", f->age_min);
        OUT("-");
        if (f->age_max >= 0) OUT("%d", f->age_max);
    }
    if (f->disability >= 0) OUT("%sdisability=%s", off ? "&" : "", f->disability ? "yes" : "no");
    if (f->area[0]) off = put_area(buf, buflen, off, f->area);
    if (f->weight == HZ_WEIGHT_SCORE) {
        OUT("%sweight=score&weights=", off ? "&" : "");
        for (int s = 0; s < HZ_SEV_COUNT; s++)
            off = put_weight(buf, buflen, off, s ? "," : "",
                             s ? vocab_name(HZ_VOCAB_SEVERITY, s) : "unknown", f->sev_weight[s]);
    }
    if (f->count_records) OUT("%scount=records", off ? "&" : "");
#undef OUT
    if (buflen && off >= buflen) buf[buflen - 1] = 0;
    return (int)off;
}

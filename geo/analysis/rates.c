/* rates.c - counts and crude rates per 100,000 per year with exact Poisson CIs (rates.h). */
#include "hazmap/rates.h"
#include "hazmap/hztime.h"
#include "hazmap/poisson.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UNSTABLE_BELOW 20

static const char *const age_names[RATES_AGE_GROUPS] = {"0-14",  "15-24", "25-44",
                                                        "45-64", "65+",   "unknown"};

int rates_age_group(int age)
{
    if (age < 0) return 5;
    if (age <= 14) return 0;
    if (age <= 24) return 1;
    if (age <= 44) return 2;
    if (age <= 64) return 3;
    return 4;
}

const char *rates_age_group_name(int group)
{
    return group >= 0 && group < RATES_AGE_GROUPS ? age_names[group] : NULL;
}

hz_status rates_parse_by(const char *text, unsigned *by, char *err, size_t errlen)
{
    *by = 0;
    if (!text || !*text || strcmp(text, "none") == 0) return HZ_OK;
    const char *p = text;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char w[32];
        if (len == 0 || len >= sizeof w)
            return hz_fail(HZ_EINVAL, err, errlen, "by: empty or unknown word in '%s'", text);
        memcpy(w, p, len);
        w[len] = 0;
        if (strcasecmp(w, "area") == 0)
            *by |= RATES_BY_AREA;
        else if (strcasecmp(w, "mechanism") == 0)
            *by |= RATES_BY_MECHANISM;
        else if (strcasecmp(w, "age_group") == 0 || strcasecmp(w, "age") == 0)
            *by |= RATES_BY_AGE;
        else if (strcasecmp(w, "sex") == 0)
            *by |= RATES_BY_SEX;
        else
            return hz_fail(HZ_EINVAL, err, errlen,
                           "by: unknown dimension '%s' (area, mechanism, age_group, sex)", w);
        if (!end) break;
        p = end + 1;
    }
    return HZ_OK;
}

/* The tally of rates_compute(), freed by it alone: the area slots of the rows and the counts
 * per slot and cell (mechanism x age group x sex, each of extent 1 when not grouped by). */
typedef struct tally {
    unsigned by;
    int32_t fa; /* the filter's area, -1 = none */
    size_t nslot;
    int32_t *slot_area;       /* slot -> area, -1 = all areas */
    int32_t *area_slot;       /* area -> slot, -1 = no row (set when grouped by area) */
    size_t nm, ng, ns, cells; /* the dimensions' extents; cells = nm ng ns per slot */
    int64_t *counts;          /* nslot * cells, slot-major */
    int seen_m[HZ_MECH_COUNT], seen_g[RATES_AGE_GROUPS], seen_s[HZ_SEX_COUNT];
    const uint32_t *event; /* per incident its event (rates_compute_events()), or NULL */
    uint8_t *event_seen;   /* per event: already counted */
} tally;

/* The area slots of the rows: every area within the filter's area when grouped by area, else
 * one total (the filter's area, or all areas). -1 when out of memory. */
static int make_slots(const incset *s, tally *t)
{
    size_t na = incset_area_count(s);
    t->slot_area = malloc((na + 1) * sizeof *t->slot_area);
    t->area_slot = malloc((na + 1) * sizeof *t->area_slot);
    if (!t->slot_area || !t->area_slot) return -1;
    for (size_t a = 0; a < na; a++)
        t->area_slot[a] = -1; /* no row, unless grouped by area below */
    if (t->by & RATES_BY_AREA) {
        for (size_t a = 0; a < na; a++) {
            if (t->fa < 0 || incset_area_within(s, (int32_t)a, t->fa)) {
                t->area_slot[a] = (int32_t)t->nslot;
                t->slot_area[t->nslot++] = (int32_t)a;
            }
        }
    } else {
        t->slot_area[t->nslot++] = t->fa; /* -1 = all areas */
    }
    return 0;
}

/* Counts the filtered incidents inside an area (r->incidents) into t->counts, and marks the
 * mechanisms, age groups and sexes that have rows: those seen and those the filter names.
 * -1 when out of memory. */
static int count_incidents(const incset *s, const hz_filter *f, tally *t, rates_result *r)
{
    t->counts = calloc(t->nslot * t->cells + 1, sizeof *t->counts);
    if (!t->counts) return -1;
    for (int m = 0; m < HZ_MECH_COUNT; m++)
        if (f->mechanisms & (1u << m)) t->seen_m[m] = 1;
    for (int x = 0; x < HZ_SEX_COUNT; x++)
        if (f->sexes & (1u << x)) t->seen_s[x] = 1;
    const hz_area *areas = incset_areas(s);
    const hz_incident *it = incset_items(s);
    const unsigned by = t->by;
    incset_note_scan(s);
    for (size_t k = 0, n = incset_count(s); k < n; k++) {
        const hz_incident *i = &it[k];
        if (i->area < 0 || !incset_match(s, f, t->fa, i)) continue;
        if (t->event) { /* an event counts once, at its first record the filter keeps */
            if (t->event_seen[t->event[k]]) continue;
            t->event_seen[t->event[k]] = 1;
        }
        r->incidents++;
        int g = rates_age_group(i->age);
        t->seen_m[i->mechanism] = t->seen_g[g] = t->seen_s[i->sex] = 1;
        size_t c = ((by & RATES_BY_MECHANISM) ? i->mechanism : 0) * t->ng * t->ns +
                   ((by & RATES_BY_AGE) ? (size_t)g : 0) * t->ns +
                   ((by & RATES_BY_SEX) ? i->sex : 0);
        assert(c < t->cells);
        if (by & RATES_BY_AREA) {
            /* The incident counts in its area and in every ancestor that is a row. */
            for (int32_t a = i->area, depth = 0; a >= 0 && depth < 16; a = areas[a].parent, depth++)
                if (t->area_slot[a] >= 0) t->counts[(size_t)t->area_slot[a] * t->cells + c]++;
        } else {
            t->counts[c]++;
        }
    }
    return 0;
}

/* The population of the one total row (not grouped by area, no area filter): the sum over the
 * top-level areas, -1 when one is unknown or there are none. 0 otherwise (every row then has
 * an area of its own). */
static int64_t total_population(const incset *s, unsigned by, int32_t fa)
{
    const hz_area *areas = incset_areas(s);
    size_t na = incset_area_count(s);
    int64_t total_pop = 0;
    if (!(by & RATES_BY_AREA) && fa < 0) {
        for (size_t a = 0; a < na; a++) {
            if (areas[a].parent >= 0) continue;
            if (areas[a].population < 0) {
                total_pop = -1;
                break;
            }
            total_pop += areas[a].population;
        }
        if (na == 0) total_pop = -1;
    }
    return total_pop;
}

/* 1 when the cell (mechanism m, age group g, sex x) has rows: every dimension not grouped by,
 * or marked by count_incidents(). */
static int cell_shown(const tally *t, size_t m, size_t g, size_t x)
{
    return (t->nm == 1 || t->seen_m[m]) && (t->ng == 1 || t->seen_g[g]) &&
           (t->ns == 1 || t->seen_s[x]);
}

/* A row's count, population and crude rate per 100,000 per year with its exact Poisson 95 %
 * CI (NaN without a population or years). */
static void set_rate(rates_row *row, int64_t count, int64_t pop, double years)
{
    row->count = count;
    row->population = pop;
    row->years = years;
    row->unstable = row->count < UNSTABLE_BELOW;
    row->rate = row->rate_lo = row->rate_hi = NAN;
    double pt = (double)pop * years;
    if (pop > 0 && pt > 0) {
        double lo, hi;
        poisson_ci(row->count, 0.95, &lo, &hi);
        row->rate = (double)row->count / pt * 1e5;
        row->rate_lo = lo / pt * 1e5;
        row->rate_hi = hi / pt * 1e5;
    }
}

/* Appends to r->strings (slen bytes, used up to *so) the area A's code, its name and its
 * parent's slot index in decimal ("-1" when the parent is no row), which rates_json() needs for
 * complementary suppression; *code and *name point at the copies. */
static void slot_strings(const tally *t, const hz_area *A, rates_result *r, size_t slen, size_t *so,
                         const char **code, const char **name)
{
    *code = r->strings + *so;
    *so += (size_t)snprintf(r->strings + *so, slen - *so, "%s", A->code) + 1;
    *name = r->strings + *so;
    *so += (size_t)snprintf(r->strings + *so, slen - *so, "%s", A->name) + 1;
    int32_t ps = A->parent >= 0 ? t->area_slot[A->parent] : -1;
    *so += (size_t)snprintf(r->strings + *so, slen - *so, "%d", (int)ps) + 1;
}

/* r->rows: per slot, the shown cells in the same order (slot-major, as suppression_mask()
 * expects), with r->strings holding the slots' areas. -1 when out of memory. */
static int fill_rows(const incset *s, const tally *t, int64_t total_pop, rates_result *r)
{
    const hz_area *areas = incset_areas(s);
    size_t slen = 1;
    for (size_t sl = 0; sl < t->nslot; sl++)
        if (t->slot_area[sl] >= 0)
            slen += strlen(areas[t->slot_area[sl]].code) + strlen(areas[t->slot_area[sl]].name) +
                    2 + 24;
    r->strings = malloc(slen);
    size_t nrows = 0;
    for (size_t m = 0; m < t->nm; m++)
        for (size_t g = 0; g < t->ng; g++)
            for (size_t x = 0; x < t->ns; x++)
                if (cell_shown(t, m, g, x)) nrows++;
    r->rows = calloc(nrows * t->nslot + 1, sizeof *r->rows);
    if (!r->strings || !r->rows) return -1;
    size_t so = 0;
    for (size_t sl = 0; sl < t->nslot; sl++) {
        const char *code = NULL, *name = NULL;
        int64_t pop = total_pop;
        if (t->slot_area[sl] >= 0) {
            const hz_area *A = &areas[t->slot_area[sl]];
            slot_strings(t, A, r, slen, &so, &code, &name);
            pop = A->population;
        }
        for (size_t m = 0; m < t->nm; m++)
            for (size_t g = 0; g < t->ng; g++)
                for (size_t x = 0; x < t->ns; x++) {
                    if (!cell_shown(t, m, g, x)) continue;
                    rates_row *row = &r->rows[r->n++];
                    row->area = code;
                    row->area_name = name;
                    row->mechanism = (t->by & RATES_BY_MECHANISM) ? (int)m : -1;
                    row->age_group = (t->by & RATES_BY_AGE) ? (int)g : -1;
                    row->sex = (t->by & RATES_BY_SEX) ? (int)x : -1;
                    set_rate(row, t->counts[sl * t->cells + (m * t->ng + g) * t->ns + x], pop,
                             r->years);
                }
    }
    assert(so < slen);
    assert(r->n == nrows * t->nslot); /* the same cells in every slot */
    return 0;
}

hz_status rates_compute(const incset *s, const hz_filter *f, unsigned by, rates_result **out,
                        char *err, size_t errlen)
{
    return rates_compute_events(s, f, by, NULL, 0, out, err, errlen);
}

/* Runs the stages in order; the tally is freed here whether they succeed or not. */
hz_status rates_compute_events(const incset *s, const hz_filter *f, unsigned by,
                               const uint32_t *event, size_t nevents, rates_result **out, char *err,
                               size_t errlen)
{
    *out = NULL;
    tally t;
    memset(&t, 0, sizeof t);
    t.by = by;
    t.fa = -1;
    t.event = event;
    if (event && !(t.event_seen = calloc(nevents ? nevents : 1, 1)))
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (f->area[0] && (t.fa = incset_area_find(s, f->area)) < 0) {
        free(t.event_seen);
        return hz_fail(HZ_EINVAL, err, errlen, "area: no area with code '%s'", f->area);
    }
    t.nm = (by & RATES_BY_MECHANISM) ? HZ_MECH_COUNT : 1;
    t.ng = (by & RATES_BY_AGE) ? RATES_AGE_GROUPS : 1;
    t.ns = (by & RATES_BY_SEX) ? HZ_SEX_COUNT : 1;
    t.cells = t.nm * t.ng * t.ns;
    rates_result *r = calloc(1, sizeof *r);
    int ok = r && make_slots(s, &t) == 0 && count_incidents(s, f, &t, r) == 0;
    if (ok) {
        double yrs = incset_study_period(s, f, &r->from, &r->to);
        r->years = r->from == INT64_MIN ? NAN : yrs;
        ok = fill_rows(s, &t, total_population(s, by, t.fa), r) == 0;
    }
    if (ok) {
        r->events = event != NULL;
        r->by = by;
        filter_canonical(f, r->filters, sizeof r->filters);
        snprintf(r->work_srs, sizeof r->work_srs, "%s", incset_work_srs(s));
        r->data_version = incset_data_version(s);
    }
    free(t.slot_area);
    free(t.area_slot);
    free(t.counts);
    free(t.event_seen);
    if (!ok) {
        rates_free(r);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    *out = r;
    return HZ_OK;
}

void rates_free(rates_result *r)
{
    if (!r) return;
    free(r->rows);
    free(r->strings);
    free(r);
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The rows to hide (malloc'd, r->n flags; NULL when out of memory), *any set when there is
 * one: disc_suppress_tree() over the rows, each row's parent being the same cell (mechanism, age
 * group, sex) of its area's parent area. The rows of rates_compute() are slot-major with the same
 * cells in every slot, and each slot's strings hold its parent's slot index after the name. */
static char *suppression_mask(const rates_result *r, const disc_policy *pol, int *any)
{
    char *sup = calloc(r->n + 1, 1);
    long *count = malloc((r->n + 1) * sizeof *count), *parent = malloc((r->n + 1) * sizeof *parent);
    *any = 0;
    if (!sup || !count || !parent) {
        free(sup);
        sup = NULL;
        goto done;
    }
    size_t per = 0; /* rows per slot */
    while (per < r->n && r->rows[per].area == r->rows[0].area)
        per++;
    for (size_t k = 0; k < r->n; k++) {
        count[k] = (long)r->rows[k].count;
        parent[k] = -1;
        const char *nm = r->rows[k].area_name;
        if (!(r->by & RATES_BY_AREA) || !r->strings || !nm) continue;
        long ps = strtol(nm + strlen(nm) + 1, NULL, 10);
        if (ps >= 0 && (size_t)ps * per + k % per < r->n)
            parent[k] = ps * (long)per + (long)(k % per);
    }
    *any = disc_suppress_tree(pol, r->n, count, parent, sup);
done:
    free(count);
    free(parent);
    return sup;
}

hz_status rates_json(const rates_result *r, const disc_policy *pol, json_t **out, char *err,
                     size_t errlen)
{
    json_t *rows = json_array(), *o = json_object(), *prov = json_object();
    int any = 0;
    char *mask = suppression_mask(r, pol, &any);
    if (!rows || !o || !prov || !mask) goto oom;
    for (size_t k = 0; k < r->n; k++) {
        const rates_row *w = &r->rows[k];
        int sup = mask[k];
        json_t *j = json_object();
        if (!j) goto oom;
        json_object_set_new(j, "area", str_or_null(w->area));
        json_object_set_new(j, "area_name", str_or_null(w->area_name));
        json_object_set_new(j, "mechanism",
                            w->mechanism < 0 ? json_null()
                            : w->mechanism == 0
                                ? json_string("unknown")
                                : str_or_null(vocab_name(HZ_VOCAB_MECHANISM, w->mechanism)));
        json_object_set_new(j, "age_group", str_or_null(rates_age_group_name(w->age_group)));
        json_object_set_new(j, "sex",
                            w->sex < 0    ? json_null()
                            : w->sex == 0 ? json_string("unknown")
                                          : str_or_null(vocab_name(HZ_VOCAB_SEX, w->sex)));
        json_object_set_new(j, "count", sup ? json_null() : json_integer(w->count));
        json_object_set_new(j, "population",
                            w->population < 0 ? json_null() : json_integer(w->population));
        json_object_set_new(j, "years", num_or_null(w->years));
        json_object_set_new(j, "rate", sup ? json_null() : num_or_null(w->rate));
        json_object_set_new(j, "rate_lo", sup ? json_null() : num_or_null(w->rate_lo));
        json_object_set_new(j, "rate_hi", sup ? json_null() : num_or_null(w->rate_hi));
        json_object_set_new(j, "unstable", json_boolean(w->unstable));
        json_object_set_new(j, "suppressed", json_boolean(sup));
        json_array_append_new(rows, j);
    }
    char from[32] = "", to[32] = "";
    if (r->from != INT64_MIN) {
        hztime_format_iso(r->from, HZ_TZ_SHANGHAI, from);
        hztime_format_iso(r->to, HZ_TZ_SHANGHAI, to);
    }
    json_object_set_new(prov, "filters", json_string(r->filters));
    json_object_set_new(prov, "method",
                        json_string("crude rate = count / (population x years) x 100,000; exact "
                                    "Poisson 95 % CI (Garwood 1936); unstable when count < 20"));
    json_object_set_new(prov, "denominator",
                        json_string("total population of the area (no age- or sex-specific "
                                    "populations in the store)"));
    json_object_set_new(prov, "rate_unit", json_string("per 100,000 population per year"));
    json_object_set_new(prov, "age_groups", json_string("0-14, 15-24, 25-44, 45-64, 65+, unknown"));
    json_object_set_new(prov, "period_from", from[0] ? json_string(from) : json_null());
    json_object_set_new(prov, "period_to", to[0] ? json_string(to) : json_null());
    json_object_set_new(prov, "years", num_or_null(r->years));
    json_object_set_new(
        prov, "years_rule",
        json_string("the filter's from/to intersected with the data's time span in whole "
                    "local days; days / 365.25"));
    json_object_set_new(prov, "work_srs", json_string(r->work_srs));
    /* The total less the visible rows would be the suppressed ones. */
    json_object_set_new(prov, "incidents",
                        disc_total_shown(pol, any) ? json_integer(r->incidents) : json_null());
    json_object_set_new(prov, "data_version", json_integer(r->data_version));
    json_object_set_new(prov, "counted", json_string(r->events ? "events" : "records"));
    json_object_set_new(prov, "suppress_below", json_integer(pol ? pol->min_count : 0));
    json_object_set_new(
        prov, "suppression",
        json_string("count < suppress_below hidden; every enclosing area's row of a hidden row "
                    "hidden too (complementary suppression)"));
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "provenance", prov);
    free(mask);
    *out = o;
    return HZ_OK;
oom:
    free(mask);
    json_decref(rows);
    json_decref(o);
    json_decref(prov);
    return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
}

/* Writes s as an RFC 4180 quoted field. */
static void csv_str(FILE *fp, const char *s)
{
    if (!s) return;
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void csv_num(FILE *fp, double v)
{
    if (isfinite(v)) fprintf(fp, "%.10g", v);
}

hz_status rates_csv(const rates_result *r, const disc_policy *pol, char **out, size_t *len,
                    char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    int any = 0;
    char *mask = suppression_mask(r, pol, &any);
    FILE *fp = mask ? open_memstream(out, len) : NULL;
    if (!fp) {
        free(mask);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    /* UTF-8 byte order mark first: Excel (the Chinese edition included) reads the file as
     * UTF-8 only with it, and shows the area names as mojibake without */
    fputs("\xEF\xBB\xBF"
          "area,area_name,mechanism,age_group,sex,count,population,years,rate,rate_lo,rate_hi,"
          "unstable,suppressed\r\n",
          fp);
    for (size_t k = 0; k < r->n; k++) {
        const rates_row *w = &r->rows[k];
        int sup = mask[k];
        csv_str(fp, w->area);
        fputc(',', fp);
        csv_str(fp, w->area_name);
        fputc(',', fp);
        if (w->mechanism >= 0)
            fputs(w->mechanism ? vocab_name(HZ_VOCAB_MECHANISM, w->mechanism) : "unknown", fp);
        fputc(',', fp);
        if (w->age_group >= 0) fputs(rates_age_group_name(w->age_group), fp);
        fputc(',', fp);
        if (w->sex >= 0) fputs(w->sex ? vocab_name(HZ_VOCAB_SEX, w->sex) : "unknown", fp);
        fputc(',', fp);
        if (!sup) fprintf(fp, "%lld", (long long)w->count);
        fputc(',', fp);
        if (w->population >= 0) fprintf(fp, "%lld", (long long)w->population);
        fputc(',', fp);
        csv_num(fp, w->years);
        fputc(',', fp);
        if (!sup) csv_num(fp, w->rate);
        fputc(',', fp);
        if (!sup) csv_num(fp, w->rate_lo);
        fputc(',', fp);
        if (!sup) csv_num(fp, w->rate_hi);
        fprintf(fp, ",%s,%s\r\n", w->unstable ? "true" : "false", sup ? "true" : "false");
    }
    free(mask);
    if (fclose(fp) != 0 || !*out) {
        free(*out);
        *out = NULL;
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory writing CSV");
    }
    return HZ_OK;
}

/* projeval.c - the evaluation of one project: windows, methods, effect (projeval.h). */
#include "hazmap/projeval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/ebba.h"
#include "hazmap/evaluate.h"
#include "hazmap/hztime.h"
#include "hazmap/its.h"
#include "hazmap/roadsites.h"
#include "hazmap/screen.h"
#include "hazmap/wgroups.h"

#define DAY 86400
#define YEAR_DAYS 365.25

/* The evaluation's frame: filter and windows. */
typedef struct frame {
    hz_filter f; /* target; area and dates cleared (the windows replace them) */
    int64_t start, before_from, after_to;
    int days;
} frame;

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* The target filter: the project's query string, or its group's. */
static hz_status target_filter(const hz_project *p, hz_filter *f, char *err, size_t errlen)
{
    filter_init(f);
    if (!p->target || !p->target[0]) {
        const wgroup *g = wgroup_find(p->group ? p->group : "");
        if (!g) return hz_fail(HZ_EINVAL, err, errlen, "group: unknown group '%s'", p->group);
        return wgroup_apply(g, f, err, errlen);
    }
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", p->target) >= (int)sizeof buf)
        return hz_fail(HZ_EINVAL, err, errlen, "target: too long");
    for (char *save = buf, *kv; (kv = save) != NULL;) {
        char *amp = strchr(kv, '&');
        save = amp ? amp + 1 : NULL;
        if (amp) *amp = 0;
        char *eq = strchr(kv, '=');
        if (!eq || !filter_is_param((*eq = 0, kv)) || strcmp(kv, "area") == 0 ||
            strcmp(kv, "from") == 0 || strcmp(kv, "to") == 0)
            return hz_fail(HZ_EINVAL, err, errlen, "target: '%s' is not a filter parameter", kv);
        char e2[256];
        if (filter_set(f, kv, eq + 1, e2, sizeof e2) != HZ_OK)
            return hz_fail(HZ_EINVAL, err, errlen, "target: %s", e2);
    }
    return HZ_OK;
}

static hz_status make_frame(const hz_project *p, frame *fr, char *err, size_t errlen)
{
    hz_status rc = target_filter(p, &fr->f, err, errlen);
    if (rc != HZ_OK) return rc;
    if (hztime_parse_date(p->start, HZ_TZ_SHANGHAI, &fr->start) != 0)
        return hz_fail(HZ_EINVAL, err, errlen, "start: '%s' is not a date", p->start);
    int64_t end = fr->start + (int64_t)PROJEVAL_DEFAULT_DAYS * DAY;
    if (p->end[0]) {
        if (hztime_parse_date(p->end, HZ_TZ_SHANGHAI, &end) != 0 || end < fr->start)
            return hz_fail(HZ_EINVAL, err, errlen, "end: '%s' is not a date after start", p->end);
        end += DAY;
    }
    fr->days = (int)((end - fr->start) / DAY);
    fr->after_to = end;
    fr->before_from = fr->start - (int64_t)fr->days * DAY;
    return HZ_OK;
}

static json_t *assumptions(const char *const *a)
{
    json_t *arr = json_array();
    for (; *a; a++)
        json_array_append_new(arr, json_string(*a));
    return arr;
}

static const char *verdict(double lo, double hi)
{
    if (hi < 1) return "reduced";
    if (lo > 1) return "increased";
    return "no_evidence";
}

/* ---- area projects ---- */

typedef struct arm {
    int64_t before, after, pop;
} arm;

/* 1 when area index a is within any of idx[0..n-1]. */
static int within_any(const incset *s, int32_t a, const int32_t *idx, size_t n)
{
    if (a < 0) return 0;
    for (size_t k = 0; k < n; k++)
        if (incset_area_within(s, a, idx[k])) return 1;
    return 0;
}

/* Counts of each candidate area cand[c] (before and after) in one pass. */
static void count_areas(const incset *s, const frame *fr, const int32_t *cand, size_t nc, arm *out)
{
    const hz_incident *it = incset_items(s);
    incset_note_scan(s);
    for (size_t k = 0, n = incset_count(s); k < n; k++) {
        const hz_incident *i = &it[k];
        if (i->t == INT64_MIN || i->t < fr->before_from || i->t >= fr->after_to || i->area < 0)
            continue;
        if (!incset_match(s, &fr->f, -1, i)) continue;
        for (size_t c = 0; c < nc; c++)
            if (incset_area_within(s, i->area, cand[c])) {
                if (i->t < fr->start)
                    out[c].before++;
                else
                    out[c].after++;
            }
    }
}

static double person_years(const arm *a, int days)
{
    return (double)a->pop * days / YEAR_DAYS;
}

/* Chooses the comparison areas automatically (projeval.h); their indices into cmp[], count. */
static size_t auto_compare(const incset *s, const frame *fr, const int32_t *tg, size_t nt,
                           double target_rate, int32_t *cmp)
{
    const hz_area *as = incset_areas(s);
    size_t na = incset_area_count(s), nc = 0;
    int32_t *cand = calloc(na ? na : 1, sizeof *cand);
    arm *ca = calloc(na ? na : 1, sizeof *ca);
    if (!cand || !ca) {
        free(cand);
        free(ca);
        return 0;
    }
    for (size_t a = 0; a < na; a++) {
        int ok = as[a].population > 0 && strcmp(as[a].level, as[tg[0]].level) == 0;
        for (size_t k = 0; ok && k < nt; k++)
            ok = !incset_area_within(s, (int32_t)a, tg[k]) &&
                 !incset_area_within(s, tg[k], (int32_t)a);
        if (ok) cand[nc++] = (int32_t)a;
    }
    count_areas(s, fr, cand, nc, ca);
    size_t chosen = 0;
    for (; chosen < PROJEVAL_AUTO_COMPARE && chosen < nc; chosen++) {
        size_t best = nc;
        double bd = INFINITY;
        for (size_t c = 0; c < nc; c++) {
            if (cand[c] < 0) continue;
            ca[c].pop = as[cand[c]].population;
            double d = fabs((double)ca[c].before / person_years(&ca[c], fr->days) - target_rate);
            if (d < bd) bd = d, best = c;
        }
        if (best == nc) break;
        cmp[chosen] = cand[best];
        cand[best] = -1;
    }
    free(cand);
    free(ca);
    return chosen;
}

/* Pooled counts of the areas idx[0..n-1]. */
static arm pooled(const incset *s, const frame *fr, const int32_t *idx, size_t n)
{
    arm a = {0, 0, 0}, *per = calloc(n ? n : 1, sizeof *per);
    if (!per) return a;
    count_areas(s, fr, idx, n, per);
    for (size_t k = 0; k < n; k++) {
        a.before += per[k].before;
        a.after += per[k].after;
        a.pop += incset_areas(s)[idx[k]].population;
    }
    free(per);
    return a;
}

/* Two-sided p of H0 ratio = 1 from a ratio and its Wald CI on the log scale. */
static double log_p(double est, double lo, double hi)
{
    double se = (log(hi) - log(lo)) / (2 * 1.959963984540054);
    return erfc(fabs(log(est)) / se / sqrt(2.0));
}

static int hidden(const disc_policy *pol, int64_t a, int64_t b)
{
    return disc_hidden(pol, (long)a) || disc_hidden(pol, (long)b);
}

static json_t *codes_json(const incset *s, const int32_t *idx, size_t n)
{
    json_t *a = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(a, json_string(incset_areas(s)[idx[k]].code));
    return a;
}

static json_t *rate_ratio_json(const incset *s, const frame *fr, const int32_t *tg, size_t nt,
                               const projeval_opts *o, int *supp, char *err, size_t errlen)
{
    arm t = pooled(s, fr, tg, nt);
    double pt = person_years(&t, fr->days);
    int32_t cmp[64] = {0};
    size_t nc = 0;
    if (o->ncompare) {
        for (size_t k = 0; k < o->ncompare && k < 64; k++) {
            cmp[nc] = incset_area_find(s, o->compare[k]);
            if (cmp[nc] < 0 || incset_areas(s)[cmp[nc]].population <= 0) {
                hz_fail(HZ_EINVAL, err, errlen, "compare: '%s' is no area with a population",
                        o->compare[k]);
                return NULL;
            }
            nc++;
        }
    } else {
        nc = auto_compare(s, fr, tg, nt, (double)t.before / pt, cmp);
    }
    arm c = pooled(s, fr, cmp, nc);
    double rr, lo, hi, rrr = NAN, rlo = NAN, rhi = NAN;
    evaluate_rate_ratio((double)t.after, pt, (double)t.before, pt, &rr, &lo, &hi);
    double pc = person_years(&c, fr->days);
    if (nc)
        evaluate_rrr((double)t.after, pt, (double)t.before, pt, (double)c.after, pc,
                     (double)c.before, pc, &rrr, &rlo, &rhi);
    *supp = hidden(o->pol, t.before, t.after) || (nc && hidden(o->pol, c.before, c.after));
    static const char *const as[] = {
        "the windows are equally long and the populations constant over them",
        "Poisson counts (no overdispersion): the CI is too narrow if the counts are overdispersed",
        "the comparison areas share the target's trend but not its programme (RRR)",
        "areas chosen automatically: the PROJEVAL_AUTO_COMPARE (3) of the target's level, not "
        "targeted, with the closest before-window rates",
        NULL};
    json_t *m = json_pack(
        "{s:s, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b}",
        "method", "rate_ratio", "assumptions", assumptions(as), "areas", codes_json(s, tg, nt),
        "comparison_areas", codes_json(s, cmp, nc), "population", (json_int_t)t.pop, "before",
        *supp ? json_null() : json_integer(t.before), "after",
        *supp ? json_null() : json_integer(t.after), "comparison_before",
        *supp || !nc ? json_null() : json_integer(c.before), "comparison_after",
        *supp || !nc ? json_null() : json_integer(c.after), "rr", num(*supp ? NAN : rr), "rr_ci",
        json_pack("[o,o]", num(*supp ? NAN : lo), num(*supp ? NAN : hi)), "rrr",
        num(*supp ? NAN : rrr), "rrr_ci",
        json_pack("[o,o]", num(*supp ? NAN : rlo), num(*supp ? NAN : rhi)), "comparison_chosen",
        nc ? json_string(o->ncompare ? "given" : "automatic") : json_null(), "suppressed", *supp,
        "comparison", nc > 0);
    if (m) {
        json_object_set_new(m, "rr_p", num(*supp ? NAN : log_p(rr, lo, hi)));
        json_object_set_new(m, "rrr_p", num(*supp ? NAN : log_p(rrr, rlo, rhi)));
    }
    if (!m) hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return m;
}

/* Calendar month index (year * 12 + month - 1) of t in local time. */
static int month_of(int64_t t)
{
    int64_t l = t + HZ_TZ_SHANGHAI, d = l >= 0 ? l / DAY : -((-l + DAY - 1) / DAY);
    int y, m, dd;
    hztime_civil_from_days(d, &y, &m, &dd);
    return y * 12 + m - 1;
}

static int month_days(int mi)
{
    int y = mi / 12, m = mi % 12 + 1;
    return (int)(hztime_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) -
                 hztime_days_from_civil(y, m, 1));
}

/* The ITS of the target areas, or a "skipped" reason in *why. */
static json_t *its_json(const incset *s, const frame *fr, const int32_t *tg, size_t nt,
                        const projeval_opts *o, int *supp, char *why, size_t whylen)
{
    int64_t first, last;
    incset_time_span(s, &first, &last);
    if (first == INT64_MIN) {
        snprintf(why, whylen, "no dated incident");
        return NULL;
    }
    /* Whole months of the data only: a month the data enter or leave part-way would look like
     * a drop. */
    int m0 = month_of(first - DAY) + 1, m1 = month_of(fr->after_to - 1), ms = month_of(fr->start);
    if (month_of(last + DAY) - 1 < m1) m1 = month_of(last + DAY) - 1;
    if (ms - m0 < ITS_MIN_BEFORE || m1 < ms) {
        snprintf(why, whylen,
                 "%d whole months before start in the data; the interrupted time "
                 "series needs at least %d and a month after",
                 ms - m0, ITS_MIN_BEFORE);
        return NULL;
    }
    size_t n = (size_t)(m1 - m0 + 1);
    double *y = calloc(n, sizeof *y), *e = calloc(n, sizeof *e);
    if (!y || !e) {
        free(y);
        free(e);
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    int64_t pop = 0;
    for (size_t k = 0; k < nt; k++)
        pop += incset_areas(s)[tg[k]].population;
    const hz_incident *it = incset_items(s);
    incset_note_scan(s);
    for (size_t k = 0, ni = incset_count(s); k < ni; k++) {
        const hz_incident *i = &it[k];
        if (i->t == INT64_MIN || !within_any(s, i->area, tg, nt)) continue;
        int mi = month_of(i->t);
        if (mi < m0 || mi > m1 || !incset_match(s, &fr->f, -1, i)) continue;
        y[mi - m0] += 1;
    }
    *supp = 0;
    for (size_t k = 0; k < n; k++) {
        e[k] = (double)pop * month_days(m0 + (int)k);
        if (disc_hidden(o->pol, (long)y[k])) *supp = 1;
    }
    its_data d = {n, y, e, m0 % 12 + 1, (size_t)(ms - m0), ITS_SEASON_MONTHS};
    its_result r;
    char err[256];
    hz_status rc = its_fit(&d, &r, err, sizeof err);
    json_t *series = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(series, *supp ? json_null() : json_integer((json_int_t)y[k]));
    free(y);
    free(e);
    if (rc != HZ_OK) {
        json_decref(series);
        snprintf(why, whylen, "%s", err);
        return NULL;
    }
    static const char *const as[] = {
        "monthly counts are quasi-Poisson (variance = dispersion x mean)",
        "without the programme the pre-intervention trend and season would have continued",
        "no other change began at the start date; the population is constant",
        "seasonality by month dummies (January the reference); the start month counts as after",
        NULL};
    char fm[16];
    snprintf(fm, sizeof fm, "%04d-%02d", m0 / 12, m0 % 12 + 1);
#define EXPC(c)                                                                                    \
    json_pack("{s:o, s:o, s:o}", "estimate", num(*supp ? NAN : exp((c).est)), "ci",                \
              json_pack("[o,o]", num(*supp ? NAN : exp((c).lo)), num(*supp ? NAN : exp((c).hi))),  \
              "p", num(*supp ? NAN : (c).p))
    json_t *m = json_pack("{s:s, s:o, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:I, s:s, s:b, s:b}",
                          "method", "its", "assumptions", assumptions(as), "first_month", fm,
                          "intervention_month", ms - m0, "monthly_counts", series, "trend",
                          EXPC(r.trend), "level_change", EXPC(r.level), "slope_change",
                          EXPC(r.slope), "dispersion", num(*supp ? NAN : r.dispersion), "df",
                          (json_int_t)r.df, "seasonality", its_season_name(ITS_SEASON_MONTHS),
                          "converged", r.converged, "suppressed", *supp);
#undef EXPC
    if (!m) snprintf(why, whylen, "out of memory");
    return m;
}

/* ---- site projects ---- */

/* Site k of the project: its kind and index in rs, or -1. */
static int find_site(const roadsites *rs, const char *id, roadsites_kind *kind, uint32_t *idx)
{
    const roadnet *net = roadsites_net(rs);
    char *end;
    if (!id || (id[0] != 'J' && id[0] != 'S')) return -1;
    long long v = strtoll(id + 1, &end, 10);
    if (end == id + 1 || *end) return -1;
    if (id[0] == 'J') {
        const roadsites_junction *j = roadsites_junctions(rs);
        for (size_t k = 0, n = roadsites_junction_count(rs); k < n; k++)
            if (roadnet_nodes(net)[j[k].node].id == v) {
                *kind = ROADSITES_JUNCTION;
                *idx = (uint32_t)k;
                return 0;
            }
        return -1;
    }
    int64_t seg = roadnet_seg_find(net, v);
    if (seg < 0) return -1;
    uint32_t sec, step;
    roadsites_seg_place(rs, (uint32_t)seg, &sec, &step);
    if (roadsites_steps(rs)[roadsites_sections(rs)[sec].first].seg != (uint32_t)seg) return -1;
    *kind = ROADSITES_SECTION;
    *idx = sec;
    return 0;
}

typedef struct psite {
    roadsites_kind kind;
    uint32_t idx;
    char id[32];
    ebba_site e;
} psite;

/* The sites of a drawn point: junctions within the buffer, else the nearest section. */
static size_t point_sites(const roadsites *rs, workcrs *crs, const hz_project *p, psite *out,
                          size_t cap, char *err, size_t errlen)
{
    const unsigned char *w = p->wkb;
    uint32_t type;
    double lon, lat, x, y;
    if (p->wkb_len != 21 || w[0] != 1 || (memcpy(&type, w + 1, 4), type != 1)) {
        hz_fail(HZ_EINVAL, err, errlen,
                "location: only a drawn point (or road sites) can be evaluated as a site project");
        return 0;
    }
    memcpy(&lon, w + 5, 8);
    memcpy(&lat, w + 13, 8);
    if (!crs || workcrs_forward(crs, 1, &lon, &lat, &x, &y) != HZ_OK) {
        hz_fail(HZ_EINVAL, err, errlen, "location: the point cannot be placed in the working CRS");
        return 0;
    }
    double buf = p->buffer_m > 0 ? p->buffer_m : 50.0;
    const roadnet *net = roadsites_net(rs);
    const roadsites_junction *j = roadsites_junctions(rs);
    size_t n = 0;
    for (size_t k = 0, nj = roadsites_junction_count(rs); k < nj && n < cap; k++) {
        const roadnet_node *nd = &roadnet_nodes(net)[j[k].node];
        if (hypot(nd->x - x, nd->y - y) <= buf) {
            out[n].kind = ROADSITES_JUNCTION;
            out[n].idx = (uint32_t)k;
            snprintf(out[n++].id, sizeof out[0].id, "J%lld", (long long)nd->id);
        }
    }
    roadnet_hit hit;
    if (n == 0 && roadnet_nearest(net, x, y, buf, &hit)) {
        uint32_t sec, step;
        roadsites_seg_place(rs, hit.seg, &sec, &step);
        out[0].kind = ROADSITES_SECTION;
        out[0].idx = sec;
        uint32_t s0 = roadsites_steps(rs)[roadsites_sections(rs)[sec].first].seg;
        snprintf(out[n++].id, sizeof out[0].id, "S%lld", (long long)roadnet_segs(net)[s0].id);
    }
    if (n == 0) hz_fail(HZ_EINVAL, err, errlen, "location: no junction or road within %.0f m", buf);
    return n;
}

/* Counts the target's incidents on the sites before and after (the screening's assignment). */
static hz_status count_sites(const incset *s, const frame *fr, const roadsites *rs,
                             const screen_opts *so, psite *ps, size_t np, char *err, size_t errlen)
{
    const hz_incident *it = incset_items(s);
    size_t n = incset_count(s), m = 0;
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    int64_t *t = malloc((n ? n : 1) * sizeof *t);
    roadsites_loc *loc = malloc((n ? n : 1) * sizeof *loc);
    hz_status rc = HZ_ENOMEM;
    if (!x || !y || !t || !loc) goto done;
    incset_note_scan(s);
    for (size_t k = 0; k < n; k++) {
        const hz_incident *i = &it[k];
        if (i->t == INT64_MIN || i->t < fr->before_from || i->t >= fr->after_to) continue;
        if (!isfinite(i->x) || !incset_match(s, &fr->f, -1, i)) continue;
        x[m] = i->x, y[m] = i->y, t[m++] = i->t;
    }
    roadsites_assign_opts ao;
    roadsites_assign_opts_init(&ao);
    ao.junction_radius = so->junction_radius;
    ao.tolerance = so->tolerance;
    ao.nthreads = 1;
    size_t un;
    rc = roadsites_assign(rs, m, x, y, &ao, loc, &un, err, errlen);
    for (size_t k = 0; rc == HZ_OK && k < m; k++)
        for (size_t q = 0; q < np; q++)
            if (loc[k].kind == ps[q].kind && loc[k].site == ps[q].idx) {
                if (t[k] < fr->start)
                    ps[q].e.obs_before += 1;
                else
                    ps[q].e.obs_after += 1;
            }
done:
    if (rc == HZ_ENOMEM) hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    free(x);
    free(y);
    free(t);
    free(loc);
    return rc;
}

static json_t *ebba_json(const incset *s, const frame *fr, const hz_project *p,
                         const projeval_opts *o, int *supp, ebba_result *r, char *err,
                         size_t errlen)
{
    if (!o->net) {
        hz_fail(HZ_EINVAL, err, errlen, "location: a site project needs the road network");
        return NULL;
    }
    hz_filter g = fr->f;
    if (!g.mechanisms && !g.mech_intents) filter_set(&g, "mechanism", "traffic", err, errlen);
    frame fs = *fr;
    fs.f = g;
    g.from = fr->before_from;
    g.to = fr->start;
    screen_opts so;
    screen_opts_init(&so);
    so.nthreads = 1;
    screen_result *sr = NULL;
    json_t *m = NULL;
    psite ps[64];
    size_t np = 0;
    if (screen_run(o->net, s, &g, &so, &sr, err, errlen) != HZ_OK) return NULL;
    const roadsites *rs = sr->sites_of;
    if (p->nsites) {
        for (size_t k = 0; k < p->nsites && np < 64; k++, np++) {
            memset(&ps[np], 0, sizeof ps[np]);
            if (find_site(rs, p->sites[k], &ps[np].kind, &ps[np].idx) != 0) {
                hz_fail(HZ_EINVAL, err, errlen, "sites: '%s' is no site of the network",
                        p->sites[k]);
                goto done;
            }
            snprintf(ps[np].id, sizeof ps[np].id, "%s", p->sites[k]);
        }
    } else {
        memset(ps, 0, sizeof ps);
        np = point_sites(rs, o->crs, p, ps, 64, err, errlen);
        if (np == 0) goto done;
    }
    double yb = fr->days / YEAR_DAYS, ya = yb;
    for (size_t q = 0; q < np; q++) {
        const screen_spf_model *sm =
            ps[q].kind == ROADSITES_JUNCTION ? &sr->spf.junction : &sr->spf.section;
        double mu = ps[q].kind == ROADSITES_JUNCTION
                        ? screen_spf_junction(sm, roadsites_junctions(rs)[ps[q].idx].degree)
                        : screen_spf_section(sm, roadsites_sections(rs)[ps[q].idx].length,
                                             roadsites_sections(rs)[ps[q].idx].cls);
        if (!isfinite(mu)) {
            hz_fail(HZ_EINVAL, err, errlen, "sites: no safety performance function for %s (%s)",
                    ps[q].id, sm->note);
            goto done;
        }
        ps[q].e.pred_before = mu * yb;
        ps[q].e.pred_after = mu * ya;
        ps[q].e.k = sm->k;
    }
    if (count_sites(s, &fs, rs, &so, ps, np, err, errlen) != HZ_OK) goto done;
    ebba_site es[64];
    json_t *ids = json_array();
    for (size_t q = 0; q < np; q++) {
        es[q] = ps[q].e;
        json_array_append_new(ids, json_string(ps[q].id));
    }
    if (ebba_run(es, np, r, err, errlen) != HZ_OK) {
        json_decref(ids);
        goto done;
    }
    *supp = hidden(o->pol, (int64_t)r->obs_before, (int64_t)r->obs_after);
    static const char *const as[] = {
        "crash counts are Poisson given the site's mean; means vary across sites as the NB2 SPF "
        "says (gamma mixing)",
        "the SPF, fitted by the network screening on every site over the before window, "
        "describes untreated sites; no volume change between the windows is known",
        "the sites were not chosen for a reason that changes their mean apart from the "
        "treatment; regression to the mean is corrected by the EB estimate",
        "the after window is the project's duration (or 365 days) and the before window as long",
        NULL};
#define S(v) num(*supp ? NAN : (v))
    m = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
                  "method", "eb_before_after", "assumptions", assumptions(as), "sites", ids,
                  "observed_before", *supp ? json_null() : json_integer((json_int_t)r->obs_before),
                  "observed_after", *supp ? json_null() : json_integer((json_int_t)r->obs_after),
                  "predicted_before", num(r->pred_before), "eb_expected_before", S(r->eb_before),
                  "expected_after", S(r->expected_after), "theta_naive", S(r->theta_naive), "theta",
                  S(r->theta), "ci", json_pack("[o,o]", S(r->lo), S(r->hi)), "se", S(r->se), "p",
                  S(r->p), "suppressed", *supp);
#undef S
    if (!m) hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (m)
        json_object_set_new(
            m, "spf_k",
            num(ps[0].kind == ROADSITES_JUNCTION ? sr->spf.junction.k : sr->spf.section.k));
done:
    screen_free(sr);
    return m;
}

static void set_effect(json_t *o, const char *method, double est, double lo, double hi, int supp)
{
    json_object_set_new(
        o, "effect",
        json_pack("{s:s, s:o, s:[o,o], s:o}", "method", method, "estimate", num(supp ? NAN : est),
                  "ci", num(supp ? NAN : lo), num(supp ? NAN : hi), "verdict",
                  supp || !isfinite(lo) ? json_null() : json_string(verdict(lo, hi))));
}

static hz_status area_project(const incset *s, const frame *fr, const hz_project *p,
                              const projeval_opts *o, json_t *methods, json_t *res, char *err,
                              size_t errlen)
{
    int32_t tg[64];
    size_t nt = 0;
    for (size_t k = 0; k < p->nareas && nt < 64; k++) {
        tg[nt] = incset_area_find(s, p->areas[k]);
        if (tg[nt] < 0 || incset_areas(s)[tg[nt]].population <= 0)
            return hz_fail(HZ_EINVAL, err, errlen, "areas: '%s' is no area with a population",
                           p->areas[k]);
        for (size_t q = 0; q < nt; q++)
            if (incset_area_within(s, tg[nt], tg[q]) || incset_area_within(s, tg[q], tg[nt]))
                return hz_fail(HZ_EINVAL, err, errlen,
                               "areas: '%s' and '%s' overlap (one holds the other): give one",
                               p->areas[q], p->areas[k]);
        nt++;
    }
    int supp = 0, isupp = 0;
    json_t *rr = rate_ratio_json(s, fr, tg, nt, o, &supp, err, errlen);
    if (!rr) return HZ_EINVAL;
    json_array_append_new(methods, rr);
    char why[256] = "";
    json_t *its = its_json(s, fr, tg, nt, o, &isupp, why, sizeof why);
    if (its) {
        json_array_append_new(methods, its);
        json_t *lc = json_object_get(its, "level_change");
        json_t *ci = json_object_get(lc, "ci");
        set_effect(res, "its", json_number_value(json_object_get(lc, "estimate")),
                   json_number_value(json_array_get(ci, 0)),
                   json_number_value(json_array_get(ci, 1)), isupp);
        return HZ_OK;
    }
    json_object_set_new(res, "skipped", json_pack("[{s:s, s:s}]", "method", "its", "reason", why));
    int cmp = json_is_true(json_object_get(rr, "comparison"));
    json_t *ci = json_object_get(rr, cmp ? "rrr_ci" : "rr_ci");
    set_effect(res, "rate_ratio", json_number_value(json_object_get(rr, cmp ? "rrr" : "rr")),
               json_number_value(json_array_get(ci, 0)), json_number_value(json_array_get(ci, 1)),
               supp);
    return HZ_OK;
}

hz_status projeval_run(const incset *s, const hz_project *p, const projeval_opts *o, json_t **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    frame fr;
    hz_status rc = make_frame(p, &fr, err, errlen);
    if (rc != HZ_OK) return rc;
    json_t *res = json_object(), *methods = json_array();
    if (!res || !methods) {
        json_decref(res);
        json_decref(methods);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    char a[32], b[32], c[32];
    hztime_format_iso(fr.before_from, HZ_TZ_SHANGHAI, a);
    hztime_format_iso(fr.start, HZ_TZ_SHANGHAI, b);
    hztime_format_iso(fr.after_to, HZ_TZ_SHANGHAI, c);
    char fbuf[1024];
    filter_canonical(&fr.f, fbuf, sizeof fbuf);
    json_object_set_new(res, "project", json_integer(p->id));
    json_object_set_new(res, "data_version", json_integer(incset_data_version(s)));
    json_object_set_new(res, "target", json_string(fbuf));
    json_object_set_new(res, "before", json_pack("{s:s, s:s}", "from", a, "to", b));
    json_object_set_new(res, "after", json_pack("{s:s, s:s}", "from", b, "to", c));
    json_object_set_new(res, "days", json_integer(fr.days));
    json_object_set_new(res, "public", json_boolean(disc_restricts(o->pol)));
    json_object_set_new(res, "methods", methods);
    int64_t first, last;
    incset_time_span(s, &first, &last);
    if (first == INT64_MIN || fr.before_from < first || fr.after_to > last + DAY)
        json_object_set_new(res, "warnings",
                            json_pack("[s]", "a window extends beyond the time span of the "
                                             "data: its count may be incomplete"));
    if (p->nsites || p->wkb) {
        int supp = 0;
        ebba_result r;
        json_t *m = ebba_json(s, &fr, p, o, &supp, &r, err, errlen);
        if (!m)
            rc = HZ_EINVAL;
        else {
            json_array_append_new(methods, m);
            set_effect(res, "eb_before_after", r.theta, r.lo, r.hi, supp);
        }
    } else if (p->nareas) {
        rc = area_project(s, &fr, p, o, methods, res, err, errlen);
    } else {
        rc = hz_fail(HZ_EINVAL, err, errlen, "location: the project has no area, site or point");
    }
    if (rc != HZ_OK) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return HZ_OK;
}

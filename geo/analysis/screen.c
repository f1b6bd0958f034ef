/* screen.c - network screening: the stages of screen_run_crashes() and screen_run() (screen.h).
 *
 * Sites are numbered junctions first (0 .. nj - 1), then sections (nj .. nj + ns - 1). Stages:
 * assign (roadsites_assign) -> group (counting sort by site; a section's crashes then sorted by
 * position) -> tally (counts, severities, EPDO) -> SPFs (screen_spf.c) -> per site: EB, the
 * worst window and the rule screen -> rank -> list.
 * Invariants (asserted): every assigned crash lands in its site's group and each group holds as
 * many crashes as the site counts; a section's positions are ascending and within [0, length]. */
#include "screen_int.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/cancel.h"
#include "hazmap/parfor.h"

enum { CHECK_SITES = 256 };

void screen_opts_init(screen_opts *o)
{
    *o = (screen_opts){.junction_radius = 50,
                       .tolerance = 30,
                       .window = 500,
                       .step = 100,
                       .rank = SCREEN_BY_EXCESS,
                       .min_class_sites = 30,
                       .rule_length = 500,
                       .rule_months = 12,
                       .rule_fatal = 3,
                       .rule_serious = 5,
                       .rule_any = 10};
}

static const char *const rank_names[] = {"excess", "epdo", "count"};

const char *screen_rank_name(screen_rank r)
{
    return (unsigned)r < 3 ? rank_names[r] : "?";
}

int screen_rank_parse(const char *s, screen_rank *r)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, rank_names[i]) == 0) {
            *r = (screen_rank)i;
            return 0;
        }
    }
    return -1;
}

void screen_free(screen_result *r)
{
    if (!r) return;
    free(r->sites);
    roadsites_free(r->own_sites);
    free(r);
}

static hz_status check_opts(const screen_opts *o, char *err, size_t errlen)
{
    int ok = isfinite(o->junction_radius) && o->junction_radius >= 0 && isfinite(o->tolerance) &&
             o->tolerance >= 0 && isfinite(o->window) && o->window > 0 && isfinite(o->step) &&
             o->step > 0 && isfinite(o->rule_length) && o->rule_length >= 0 && o->rule_months > 0 &&
             o->min_class_sites >= 1 && (unsigned)o->rank < 3;
    if (!ok)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "screening options: radius and tolerance >= 0, window and step > 0, rule "
                       "length >= 0 and months > 0 are required");
    if (o->window / o->step > 1e5)
        return hz_fail(HZ_EINVAL, err, errlen, "screening: window / step above 100000");
    return HZ_OK;
}

/* One assigned crash as the per-site stages read it: copied once, in site order, so that they
 * read memory in order instead of gathering from the input at random. */
typedef struct screen_grec {
    double pos; /* along the section; 0 at a junction */
    int64_t t;
    uint32_t i; /* index in the input */
    uint8_t severity;
} screen_grec;

/* What one run holds while it works, freed on every path. */
typedef struct sc_work {
    size_t nj, ns, nsite;
    roadsites_loc *loc;
    size_t *start;            /* nsite + 1: site q's crashes are ord[start[q] .. start[q + 1]) */
    screen_grec *g;           /* the assigned crashes grouped by site */
    double *pos;              /* their positions, same order */
    int64_t *cnt;             /* nsite counts */
    screen_site *all;         /* nsite */
    size_t maxm;              /* crashes of the largest site */
    int nthreads;             /* for the per-site stage */
    screen_rcrash *rc, *rtmp; /* rule scratch per thread: maxm and 2 maxm entries */
} sc_work;

static void work_free(sc_work *w)
{
    free(w->loc);
    free(w->start);
    free(w->g);
    free(w->pos);
    free(w->cnt);
    free(w->all);
    free(w->rc);
    free(w->rtmp);
}

static size_t site_of(const sc_work *w, const roadsites_loc *l)
{
    return l->kind == ROADSITES_JUNCTION ? l->site : w->nj + l->site;
}

/* Stage 1: the site of every crash. */
static hz_status assign(const roadsites *rs, size_t n, const screen_crash *c, const screen_opts *o,
                        sc_work *w, screen_result *r, char *err, size_t errlen)
{
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    w->loc = malloc((n ? n : 1) * sizeof *w->loc);
    if (!x || !y || !w->loc) {
        free(x);
        free(y);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        x[i] = c[i].x, y[i] = c[i].y;
    roadsites_assign_opts ao = {o->junction_radius, o->tolerance, o->nthreads};
    size_t none = 0;
    hz_status rc = roadsites_assign(rs, n, x, y, &ao, w->loc, &none, err, errlen);
    free(x);
    free(y);
    r->unassigned = (int64_t)none;
    return rc;
}

static int cmp_grec(const void *a, const void *b)
{
    const screen_grec *p = a, *q = b;
    if (p->pos != q->pos) return p->pos < q->pos ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

/* Stage 2: crashes grouped by site (counting sort, input order), a section's then by position
 * (ties by input order). */
static hz_status group(size_t n, const screen_crash *c, sc_work *w, char *err, size_t errlen)
{
    w->start = calloc(w->nsite + 2, sizeof *w->start);
    w->cnt = calloc(w->nsite + 1, sizeof *w->cnt);
    w->g = malloc((n ? n : 1) * sizeof *w->g);
    w->pos = malloc((n ? n : 1) * sizeof *w->pos);
    if (!w->start || !w->cnt || !w->g || !w->pos)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    size_t assigned = 0;
    for (size_t i = 0; i < n; i++) {
        if (w->loc[i].kind == ROADSITES_NONE) continue;
        w->start[site_of(w, &w->loc[i]) + 2]++;
        assigned++;
    }
    for (size_t q = 0; q < w->nsite; q++)
        w->start[q + 2] += w->start[q + 1];
    for (size_t i = 0; i < n; i++) {
        if (w->loc[i].kind == ROADSITES_NONE) continue;
        size_t k = w->start[site_of(w, &w->loc[i]) + 1]++;
        w->g[k] = (screen_grec){w->loc[i].pos, c[i].t, (uint32_t)i, c[i].severity};
    }
    assert(w->start[w->nsite] == assigned); /* every assigned crash placed, each group full */
    (void)assigned;
    size_t maxm = 0;
    for (size_t q = 0; q < w->nsite; q++) {
        size_t a = w->start[q], m = w->start[q + 1] - a;
        w->cnt[q] = (int64_t)m;
        maxm = m > maxm ? m : maxm;
        if (q >= w->nj) qsort(w->g + a, m, sizeof *w->g, cmp_grec);
        for (size_t k = a; k < a + m; k++)
            w->pos[k] = w->g[k].pos;
    }
    w->maxm = maxm ? maxm : 1;
    w->rc = malloc((size_t)w->nthreads * w->maxm * sizeof *w->rc);
    w->rtmp = malloc((size_t)w->nthreads * 2 * w->maxm * sizeof *w->rtmp);
    if (!w->rc || !w->rtmp) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return HZ_OK;
}

/* Stage 3: counts by severity, EPDO, length, volume and rate of every site. */
static void tally(const roadsites *rs, const double *sw, double years, sc_work *w)
{
    const roadsites_junction *jn = roadsites_junctions(rs);
    const roadsites_section *sec = roadsites_sections(rs);
    for (size_t q = 0; q < w->nsite; q++) {
        screen_site *s = &w->all[q];
        int junc = q < w->nj;
        s->kind = junc ? ROADSITES_JUNCTION : ROADSITES_SECTION;
        s->index = (uint32_t)(junc ? q : q - w->nj);
        s->count = w->cnt[q];
        for (size_t k = w->start[q]; k < w->start[q + 1]; k++) {
            unsigned sev = w->g[k].severity < HZ_SEV_COUNT ? w->g[k].severity : 0;
            s->severity[sev]++;
            s->epdo += sw[sev];
        }
        s->length = junc ? 0 : sec[s->index].length;
        s->degree = junc ? jn[s->index].degree : 0;
        s->volume = junc ? jn[s->index].volume : sec[s->index].volume;
        double exposure = junc ? s->volume * 365.25 * years / 1e6
                               : s->volume * 365.25 * years * s->length / 1000 / 1e6;
        s->rate = isfinite(exposure) && exposure > 0 ? (double)s->count / exposure : NAN;
    }
}

/* Stage 5 for one site: EB, the worst window and the rule screen; rc and rtmp are scratch for
 * the site's crashes (once and twice). */
static void one_site(const roadsites *rs, const screen_opts *o, const screen_result *r,
                     const sc_work *w, size_t q, screen_rcrash *rc, screen_rcrash *rtmp)
{
    screen_site *s = &w->all[q];
    const double *pos = w->pos + w->start[q];
    size_t m = w->start[q + 1] - w->start[q];
    if (s->kind == ROADSITES_JUNCTION) {
        const screen_spf_model *jm = &r->spf.junction;
        s->eb = screen_eb_of((double)s->count, screen_spf_junction(jm, s->degree), r->years, jm->k);
        s->win_eb = s->eb;
        s->win_count = s->count;
    } else {
        const screen_spf_model *sm = &r->spf.section;
        const char *cls = roadsites_sections(rs)[s->index].cls;
        for (size_t k = 0; k < m; k++)
            assert(pos[k] >= 0 && pos[k] <= s->length && (k == 0 || pos[k - 1] <= pos[k]));
        s->eb =
            screen_eb_of((double)s->count, screen_spf_section(sm, s->length, cls), r->years, sm->k);
        screen_worst_window(sm, cls, r->years, o->window, o->step, pos, m, s);
    }
    size_t d = 0;
    for (size_t k = 0; k < m; k++) {
        const screen_grec *ck = &w->g[w->start[q] + k];
        if (ck->t == INT64_MIN) continue;
        rc[d++] = (screen_rcrash){pos[k], ck->t, screen_month(ck->t), ck->severity};
    }
    screen_rules_site(rc, d, o, rtmp, s->rule);
}

typedef struct site_job {
    const roadsites *rs;
    const screen_opts *o;
    const screen_result *r;
    const sc_work *w;
    int stopped[PAR_MAX_THREADS];
} site_job;

static void site_chunk(void *ctx, size_t lo, size_t hi, int tid)
{
    site_job *j = ctx;
    screen_rcrash *rc = j->w->rc + (size_t)tid * j->w->maxm;
    screen_rcrash *rtmp = j->w->rtmp + (size_t)tid * 2 * j->w->maxm;
    for (size_t q = lo; q < hi; q++) {
        if ((q - lo) % CHECK_SITES == 0 && hz_cancel_check()) {
            j->stopped[tid] = 1;
            return;
        }
        one_site(j->rs, j->o, j->r, j->w, q, rc, rtmp);
    }
}

/* Stage 5: every site, on nthreads threads (each site writes only its own entry). */
static hz_status per_site(const roadsites *rs, const screen_opts *o, const screen_result *r,
                          sc_work *w, char *err, size_t errlen)
{
    site_job j = {.rs = rs, .o = o, .r = r, .w = w};
    par_for(w->nsite, w->nthreads, site_chunk, &j);
    for (int t = 0; t < PAR_MAX_THREADS; t++)
        if (j.stopped[t]) return hz_cancel_status(err, errlen);
    return HZ_OK;
}

/* qsort has no context argument: the keys, in the order of the ranking, travel with the site. */
/* The ranking key of a site under rank: excess (the worst window's), epdo or count; NaN last. */
static double key(const screen_site *s, int which)
{
    switch (which) {
    case SCREEN_BY_EXCESS:
        return s->win_eb.excess;
    case SCREEN_BY_EPDO:
        return s->epdo;
    default:
        return (double)s->count;
    }
}

typedef struct rank_item {
    double k[3];
    int kind;
    uint32_t index;
    size_t q;
} rank_item;

static int cmp_rank(const void *a, const void *b)
{
    const rank_item *p = a, *q = b;
    for (int i = 0; i < 3; i++) {
        int pn = isnan(p->k[i]), qn = isnan(q->k[i]);
        if (pn != qn) return pn - qn;
        if (!pn && p->k[i] != q->k[i]) return p->k[i] > q->k[i] ? -1 : 1;
    }
    if (p->kind != q->kind) return p->kind < q->kind ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index;
}

/* Stage 6: the sites with a crash, ranked, the first limit kept. */
static hz_status rank_sites(const screen_opts *o, sc_work *w, screen_result *r, char *err,
                            size_t errlen)
{
    size_t m = 0;
    for (size_t q = 0; q < w->nsite; q++)
        m += w->all[q].count > 0;
    rank_item *it = malloc((m ? m : 1) * sizeof *it);
    if (!it) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    int order[3] = {(int)o->rank, 0, 0};
    for (int i = 0, j = 1; i < 3; i++)
        if (i != (int)o->rank) order[j++] = i;
    size_t k = 0;
    for (size_t q = 0; q < w->nsite; q++) {
        const screen_site *s = &w->all[q];
        if (s->count == 0) continue;
        it[k] = (rank_item){
            {key(s, order[0]), key(s, order[1]), key(s, order[2])}, s->kind, s->index, q};
        k++;
    }
    qsort(it, m, sizeof *it, cmp_rank);
    size_t keep = o->limit && o->limit < m ? o->limit : m;
    r->sites = malloc((keep ? keep : 1) * sizeof *r->sites);
    if (!r->sites) {
        free(it);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t i = 0; i < keep; i++) {
        r->sites[i] = w->all[it[i].q];
        r->sites[i].rank = (int)(i + 1);
        const screen_rule_hit *h = r->sites[i].rule;
        r->flagged += h[0].met || h[1].met || h[2].met;
    }
    r->n = keep;
    free(it);
    return HZ_OK;
}

static void summarise(sc_work *w, screen_result *r)
{
    for (size_t q = 0; q < w->nsite; q++) {
        int64_t c = w->all[q].count;
        if (q < w->nj) {
            r->at_junctions += c;
            r->junctions_with_crash += c > 0;
        } else {
            r->on_sections += c;
            r->sections_with_crash += c > 0;
        }
    }
    assert(r->at_junctions + r->on_sections + r->unassigned == r->incidents);
}

hz_status screen_run_crashes(const roadsites *rs, size_t n, const screen_crash *c, double years,
                             const double *sev_weight, const screen_opts *o, screen_result **out,
                             char *err, size_t errlen)
{
    *out = NULL;
    screen_opts def;
    if (!o) {
        screen_opts_init(&def);
        o = &def;
    }
    hz_status rc = check_opts(o, err, errlen);
    if (rc != HZ_OK) return rc;
    if (n > UINT32_MAX) return hz_fail(HZ_ELIMIT, err, errlen, "%zu crashes: too many", n);
    screen_result *r = calloc(1, sizeof *r);
    sc_work w = {.nj = roadsites_junction_count(rs), .ns = roadsites_section_count(rs)};
    if (!r) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    w.nsite = w.nj + w.ns;
    w.nthreads = par_threads(o->nthreads);
    r->sites_of = rs;
    r->opts = *o;
    r->opts.spf = NULL;
    r->years = years;
    r->from = r->to = INT64_MIN;
    r->incidents = (int64_t)n;
    r->njunctions = w.nj, r->nsections = w.ns, r->nsites_all = w.nsite;
    memcpy(r->weights, sev_weight, sizeof r->weights);
    if (o->spf) {
        if (o->spf->section.available) r->spf.section = o->spf->section;
        if (o->spf->junction.available) r->spf.junction = o->spf->junction;
    }
    w.all = calloc(w.nsite + 1, sizeof *w.all);
    if (!w.all) rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (rc == HZ_OK) rc = assign(rs, n, c, o, &w, r, err, errlen);
    if (rc == HZ_OK) rc = group(n, c, &w, err, errlen);
    if (rc == HZ_OK) tally(rs, sev_weight, years, &w);
    if (rc == HZ_OK)
        rc = screen_spf_fit(rs, w.cnt, w.cnt + w.nj, years, o->min_class_sites, &r->spf, err,
                            errlen);
    if (rc == HZ_OK) rc = hz_cancel_status(err, errlen);
    if (rc == HZ_OK) rc = per_site(rs, o, r, &w, err, errlen);
    if (rc == HZ_OK) rc = rank_sites(o, &w, r, err, errlen);
    if (rc == HZ_OK) summarise(&w, r);
    work_free(&w);
    if (rc != HZ_OK) {
        screen_free(r);
        return rc;
    }
    *out = r;
    return HZ_OK;
}

hz_status screen_run(const roadnet *net, const incset *s, const hz_filter *f, const screen_opts *o,
                     screen_result **out, char *err, size_t errlen)
{
    *out = NULL;
    hz_filter ft = *f;
    if (ft.mechanisms == 0 && ft.mech_intents == 0) ft.mechanisms = HZ_MECH_TRAFFIC_MASK;
    hz_points pts = {0};
    hz_status rc = incset_select(s, &ft, &pts, err, errlen);
    if (rc != HZ_OK) return rc;
    screen_crash *c = malloc((pts.n ? pts.n : 1) * sizeof *c);
    roadsites *rs = roadsites_build(net, err, errlen);
    if (!c || !rs) {
        free(c);
        roadsites_free(rs);
        hz_points_free(&pts);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    const hz_incident *items = incset_items(s);
    for (size_t k = 0; k < pts.n; k++) {
        const hz_incident *i = &items[pts.idx[k]];
        c[k] = (screen_crash){pts.x[k], pts.y[k], i->t, i->severity};
    }
    int64_t from, to;
    double years = incset_study_period(s, &ft, &from, &to);
    hz_filter fs = ft;
    fs.weight = HZ_WEIGHT_SCORE;
    double sw[HZ_SEV_COUNT];
    for (int v = 0; v < HZ_SEV_COUNT; v++)
        sw[v] = filter_weight(&fs, v);
    rc = screen_run_crashes(rs, pts.n, c, years, sw, o, out, err, errlen);
    size_t without_point = pts.without_point, dups = pts.linked_duplicates;
    const char *counted = pts.counted;
    free(c);
    hz_points_free(&pts);
    if (rc != HZ_OK) {
        roadsites_free(rs);
        return rc;
    }
    screen_result *r = *out;
    r->own_sites = rs;
    r->without_point = (int64_t)without_point;
    r->linked_duplicates = (int64_t)dups;
    r->counted = counted;
    r->from = from, r->to = to;
    filter_canonical(&ft, r->filters, sizeof r->filters);
    snprintf(r->work_srs, sizeof r->work_srs, "%s", incset_work_srs(s));
    r->data_version = incset_data_version(s);
    return HZ_OK;
}

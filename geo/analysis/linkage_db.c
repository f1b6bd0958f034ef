/* linkage_db.c - record linkage over the store: the `hazmap link` run, the events of the stored
 * links, and the sources' capture-recapture summary (see linkage_db.h). */
#include "hazmap/linkage_db.h"
#include "hazmap/capture.h"
#include "hazmap/store_links.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The store's records as linkage sees them, with the source names. */
typedef struct recs {
    linkage_rec *r;
    size_t n, cap;
    char *src[LINKAGE_MAX_SOURCES];
    int64_t per_src[LINKAGE_MAX_SOURCES];
    int nsrc;
    char **area; /* per record, its area code (owned) or NULL */
    int failed;  /* 1: out of memory, 2: too many sources */
} recs;

static void recs_free(recs *R)
{
    for (int i = 0; i < R->nsrc; i++)
        free(R->src[i]);
    for (size_t k = 0; R->area && k < R->n; k++)
        free(R->area[k]);
    free(R->area);
    free(R->r);
}

static int rec_cb(void *ud, const hz_incident_rec *in)
{
    recs *R = ud;
    int src = -1;
    for (int i = 0; i < R->nsrc && src < 0; i++)
        if (strcmp(R->src[i], in->source) == 0) src = i;
    if (src < 0) {
        if (R->nsrc == LINKAGE_MAX_SOURCES) return R->failed = 2;
        if (!(R->src[R->nsrc] = strdup(in->source))) return R->failed = 1;
        src = R->nsrc++;
    }
    if (R->n == R->cap) {
        size_t nc = R->cap ? R->cap * 2 : 1024;
        linkage_rec *nr = realloc(R->r, nc * sizeof *nr);
        if (!nr) return R->failed = 1;
        R->r = nr;
        char **na = realloc(R->area, nc * sizeof *na);
        if (!na) return R->failed = 1;
        R->area = na;
        R->cap = nc;
    }
    R->area[R->n] = in->area_code ? strdup(in->area_code) : NULL;
    if (in->area_code && !R->area[R->n]) return R->failed = 1;
    R->r[R->n++] = (linkage_rec){.id = in->id,
                                 .src = src,
                                 .t = in->t,
                                 .lon = in->lon,
                                 .lat = in->lat,
                                 .has_point = isfinite(in->lon) && isfinite(in->lat),
                                 .area = -1,
                                 .age = in->age,
                                 .sex = in->sex,
                                 .mechanism = in->mechanism};
    R->per_src[src]++;
    return 0;
}

typedef struct area_ord {
    const char *code;
    size_t k;
} area_ord;

static int area_ord_cmp(const void *a, const void *b)
{
    const area_ord *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x->k > y->k) - (x->k < y->k);
}

/* Numbers the records' area codes (blocking compares indices). */
static int number_areas(recs *R)
{
    area_ord *o = malloc((R->n ? R->n : 1) * sizeof *o);
    if (!o) return -1;
    size_t m = 0;
    for (size_t k = 0; k < R->n; k++)
        if (R->area[k]) o[m++] = (area_ord){R->area[k], k};
    qsort(o, m, sizeof *o, area_ord_cmp);
    int idx = -1;
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || strcmp(o[i].code, o[i - 1].code)) idx++;
        R->r[o[i].k].area = idx;
    }
    free(o);
    return 0;
}

static hz_status load_recs(store *st, recs *R, char *err, size_t errlen)
{
    memset(R, 0, sizeof *R);
    hz_status s = store_link_records(st, rec_cb, R, err, errlen);
    if (s != HZ_OK) return s;
    if (R->failed == 2)
        return hz_fail(HZ_EINVAL, err, errlen, "more than %d sources", LINKAGE_MAX_SOURCES);
    if (R->failed || number_areas(R)) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return HZ_OK;
}

/* ---- stored links ---- */

typedef struct links {
    int64_t (*ab)[2]; /* auto and confirmed: the events' links */
    size_t n, cap;
    linkage_decision *dec; /* confirmed and rejected */
    size_t ndec, deccap;
    int64_t count[5]; /* per linkage_status */
    int failed;
} links;

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 256;
    void *q = realloc(*p, nc * size);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static int link_cb(void *ud, const store_link_rec *l)
{
    links *L = ud;
    linkage_status s;
    if (!l->status || linkage_status_parse(l->status, &s)) return 0;
    L->count[s]++;
    if (s == LINK_AUTO || s == LINK_CONFIRMED) {
        if (grow((void **)&L->ab, &L->cap, L->n, sizeof *L->ab)) return L->failed = 1;
        L->ab[L->n][0] = l->a;
        L->ab[L->n++][1] = l->b;
    }
    if (s == LINK_CONFIRMED || s == LINK_REJECTED) {
        if (grow((void **)&L->dec, &L->deccap, L->ndec, sizeof *L->dec)) return L->failed = 1;
        L->dec[L->ndec++] = (linkage_decision){l->a, l->b, s};
    }
    return 0;
}

static hz_status load_links(store *st, links *L, char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    hz_status s = store_links_scan(st, NULL, 0, -1, link_cb, L, NULL, err, errlen);
    if (s == HZ_OK && L->failed) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return s;
}

static void links_free(links *L)
{
    free(L->ab);
    free(L->dec);
}

int linkage_db_has_links(store *st)
{
    int64_t n = 0, m = 0;
    char err[8];
    if (store_links_scan(st, "auto", 0, 0, NULL, NULL, &n, err, 0) != HZ_OK) return 0;
    if (store_links_scan(st, "confirmed", 0, 0, NULL, NULL, &m, err, 0) != HZ_OK) return 0;
    return n + m > 0;
}

hz_status linkage_db_events(store *st, const int64_t *ids, size_t n, uint32_t *event,
                            size_t *nevents, char *err, size_t errlen)
{
    links L = {0};
    hz_status s = load_links(st, &L, err, errlen);
    if (s == HZ_OK &&
        linkage_events(ids, n, (const int64_t(*)[2])L.ab, L.n, event, nevents) != HZ_OK)
        s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    links_free(&L);
    return s;
}

hz_status linkage_db_snapshot_events(store *st, const incset *s, uint32_t **event, size_t *nevents,
                                     char *err, size_t errlen)
{
    size_t n = incset_count(s);
    const hz_incident *it = incset_items(s);
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    *event = malloc((n ? n : 1) * sizeof **event);
    hz_status res = HZ_OK;
    if (!ids || !*event) {
        res = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    } else {
        incset_note_scan(s);
        for (size_t k = 0; k < n; k++)
            ids[k] = it[k].id;
        res = linkage_db_events(st, ids, n, *event, nevents, err, errlen);
    }
    free(ids);
    if (res != HZ_OK) {
        free(*event);
        *event = NULL;
    }
    return res;
}

hz_status linkage_db_attach_events(store *st, incset *s, char *err, size_t errlen)
{
    if (!linkage_db_has_links(st)) return HZ_OK;
    uint32_t *event = NULL;
    size_t nevents = 0;
    hz_status res = linkage_db_snapshot_events(st, s, &event, &nevents, err, errlen);
    if (res == HZ_OK) incset_set_events(s, event, nevents);
    return res;
}

/* ---- the summary ---- */

static json_t *names_of(const recs *R, uint64_t h)
{
    json_t *a = json_array();
    for (int i = 0; i < R->nsrc; i++)
        if (h & (1ull << i)) json_array_append_new(a, json_string(R->src[i]));
    return a;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *estimate_json(const capture_est *e)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:[o,o]}", "observed", num(e->observed), "total",
                     num(e->total), "missed", num(e->missed), "se", num(e->se), "ci95", num(e->lo),
                     num(e->hi));
}

/* The model's terms, e.g. "main effects + hospital:police". */
static json_t *model_name(const recs *R, unsigned mask)
{
    char buf[1024] = "main effects";
    for (int i = 0; i < R->nsrc; i++)
        for (int j = i + 1; j < R->nsrc; j++)
            if (mask & (1u << capture_pair_index(R->nsrc, i, j)))
                hz_append(buf, sizeof buf, " + %s:%s", R->src[i], R->src[j]);
    return json_string(buf);
}

static hz_status summary_of(const recs *R, const links *L, json_t **out, char *err, size_t errlen)
{
    size_t n = R->n;
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    uint32_t *ev = malloc((n ? n : 1) * sizeof *ev);
    uint64_t *hist = NULL;
    size_t nev = 0;
    hz_status s = HZ_ENOMEM;
    json_t *j = NULL;
    if (!ids || !ev) goto done;
    for (size_t k = 0; k < n; k++)
        ids[k] = R->r[k].id;
    if (linkage_events(ids, n, (const int64_t(*)[2])L->ab, L->n, ev, &nev) != HZ_OK) goto done;
    if (!(hist = calloc(nev ? nev : 1, sizeof *hist))) goto done;
    for (size_t k = 0; k < n; k++)
        hist[ev[k]] |= 1ull << R->r[k].src;
    int k = R->nsrc;
    /* Capture histories: for up to CAPTURE_MAX_SOURCES as cells, else only listed. */
    int64_t cells[1 << CAPTURE_MAX_SOURCES] = {0};
    int64_t src_events[LINKAGE_MAX_SOURCES] = {0};
    for (size_t e = 0; e < nev; e++) {
        if (k <= CAPTURE_MAX_SOURCES) cells[hist[e]]++;
        for (int i = 0; i < k; i++)
            if (hist[e] & (1ull << i)) src_events[i]++;
    }
    j = json_object();
    json_t *sources = json_array(), *hists = json_array(), *pairs = json_array();
    json_object_set_new(j, "sources", sources);
    for (int i = 0; i < k; i++)
        json_array_append_new(sources, json_pack("{s:s, s:I, s:I}", "name", R->src[i], "records",
                                                 (json_int_t)R->per_src[i], "events",
                                                 (json_int_t)src_events[i]));
    json_object_set_new(j, "records", json_integer((json_int_t)n));
    json_object_set_new(j, "events", json_integer((json_int_t)nev));
    json_object_set_new(j, "links",
                        json_pack("{s:I, s:I, s:I, s:I}", "auto", (json_int_t)L->count[LINK_AUTO],
                                  "possible", (json_int_t)L->count[LINK_POSSIBLE], "confirmed",
                                  (json_int_t)L->count[LINK_CONFIRMED], "rejected",
                                  (json_int_t)L->count[LINK_REJECTED]));
    if (k <= CAPTURE_MAX_SOURCES)
        for (unsigned h = 1; h < (1u << k); h++)
            if (cells[h])
                json_array_append_new(hists, json_pack("{s:o, s:I}", "sources", names_of(R, h),
                                                       "events", (json_int_t)cells[h]));
    json_object_set_new(j, "histories", hists);
    /* Every pair of sources: events seen by each, by both (Chapman). */
    for (int a = 0; a < k; a++)
        for (int b = a + 1; b < k; b++) {
            int64_t n1 = 0, n2 = 0, m = 0;
            for (size_t e = 0; e < nev; e++) {
                int ia = !!(hist[e] & (1ull << a)), ib = !!(hist[e] & (1ull << b));
                n1 += ia;
                n2 += ib;
                m += ia && ib;
            }
            capture_est ce;
            capture_chapman(n1, n2, m, &ce);
            json_array_append_new(pairs, json_pack("{s:o, s:I, s:I, s:I, s:o}", "sources",
                                                   names_of(R, (1ull << a) | (1ull << b)), "n1",
                                                   (json_int_t)n1, "n2", (json_int_t)n2, "both",
                                                   (json_int_t)m, "chapman", estimate_json(&ce)));
        }
    json_object_set_new(j, "pairs", pairs);
    json_t *est = json_null();
    capture_est ce;
    if (k == 2) {
        capture_chapman(src_events[0], src_events[1], (int64_t)cells[3], &ce);
        est = estimate_json(&ce);
        json_object_set_new(est, "method", json_string("chapman"));
        json_object_set_new(est, "interval",
                            json_string("Chao (1987) log-transformed, Seber's variance"));
    } else if (k >= 3 && k <= CAPTURE_MAX_SOURCES) {
        s = capture_loglinear(k, cells, &ce, err, errlen);
        if (s != HZ_OK) goto done;
        est = estimate_json(&ce);
        json_object_set_new(est, "method", json_string("log-linear"));
        json_object_set_new(est, "model", model_name(R, ce.interactions));
        json_object_set_new(est, "aic", num(ce.aic));
        json_object_set_new(est, "deviance", num(ce.deviance));
        json_object_set_new(est, "converged", json_boolean(ce.converged));
        json_object_set_new(est, "interval",
                            json_string("Wald on log(unobserved cell), delta method, given the "
                                        "model chosen by AIC"));
    }
    json_object_set_new(j, "estimate", est);
    s = HZ_OK;
done:
    if (s != HZ_OK) {
        json_decref(j);
        j = NULL;
        if (s == HZ_ENOMEM) hz_fail(s, err, errlen, "out of memory");
    }
    free(ids);
    free(ev);
    free(hist);
    *out = j;
    return s;
}

hz_status linkage_db_summary(store *st, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    recs R;
    links L = {0};
    hz_status s = load_recs(st, &R, err, errlen);
    if (s == HZ_OK) s = load_links(st, &L, err, errlen);
    if (s == HZ_OK) s = summary_of(&R, &L, out, err, errlen);
    links_free(&L);
    recs_free(&R);
    return s;
}

/* ---- the run ---- */

static json_t *weights_json(const linkage_result *r)
{
    json_t *w = json_object();
    for (int f = 0; f < LINKAGE_FIELDS; f++)
        json_object_set_new(w, linkage_field_name(f),
                            json_pack("{s:f, s:f, s:f, s:f}", "m", r->m[f], "u", r->u[f], "agree",
                                      r->w_agree[f], "disagree", r->w_disagree[f]));
    return w;
}

hz_status linkage_db_run(store *st, const linkage_params *p, json_t **report, char *err,
                         size_t errlen)
{
    *report = NULL;
    recs R;
    links L = {0};
    linkage_result *lr = NULL;
    store_link_rec *out = NULL;
    hz_status s = load_recs(st, &R, err, errlen);
    if (s == HZ_OK) s = load_links(st, &L, err, errlen);
    if (s == HZ_OK)
        s = linkage_run(R.r, R.n, R.nsrc ? R.nsrc : 1, p, L.dec, L.ndec, &lr, err, errlen);
    size_t nout = 0;
    if (s == HZ_OK && !(out = malloc((lr->npairs ? lr->npairs : 1) * sizeof *out)))
        s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t k = 0; s == HZ_OK && k < lr->npairs; k++) {
        const linkage_pair *pr = &lr->pairs[k];
        if (pr->status == LINK_AUTO || pr->status == LINK_POSSIBLE)
            out[nout++] = (store_link_rec){.a = pr->a,
                                           .b = pr->b,
                                           .score = pr->score,
                                           .status = linkage_status_name(pr->status)};
    }
    int64_t written = 0;
    if (s == HZ_OK) s = store_links_sync(st, out, nout, &written, err, errlen);
    json_t *summary = NULL;
    if (s == HZ_OK) {
        links_free(&L);
        s = load_links(st, &L, err, errlen);
    }
    if (s == HZ_OK) s = summary_of(&R, &L, &summary, err, errlen);
    if (s == HZ_OK) {
        json_t *em = p->fixed ? json_null()
                              : json_pack("{s:i, s:f, s:b}", "iterations", lr->em_iter, "prior",
                                          lr->prior, "fallback", lr->em_fallback);
        *report = json_pack(
            "{s:{s:f, s:f, s:f, s:f, s:b}, s:o, s:o, s:I, s:{s:I, s:I, s:I, s:I}, s:I, s:o}",
            "parameters", "window_h", p->window_s / 3600, "max_m", p->max_m, "link", p->link_t,
            "possible", p->possible_t, "weights_given", p->fixed, "weights", weights_json(lr), "em",
            em, "candidate_pairs", (json_int_t)lr->npairs, "links", "auto", (json_int_t)lr->nauto,
            "possible", (json_int_t)lr->npossible, "confirmed", (json_int_t)lr->nconfirmed,
            "rejected", (json_int_t)lr->nrejected, "rows_written", (json_int_t)written, "summary",
            summary);
        if (!*report) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    free(out);
    linkage_free(lr);
    links_free(&L);
    recs_free(&R);
    return s;
}

/* linkage.c - Fellegi-Sunter record linkage across sources with EM-estimated weights, greedy
 * one-to-one assignment and events as linked clusters (see linkage.h).
 *
 * Invariants:
 *  1. Every pair has recs[i].id < recs[j].id and recs[i].src != recs[j].src.
 *  2. After the greedy pass, no cluster of taken pairs (auto, possible, confirmed) holds two
 *     records of one source, except where reviewers confirmed it: the set of sources of a
 *     cluster's root (srcmask) is the union of its records' sources.
 *  3. event[] numbers the clusters of auto and confirmed links 0, 1, ... in order of their first
 *     record in the input. */
#include "hazmap/linkage.h"
#include "hazmap/vocab.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *const field_names[LINKAGE_FIELDS] = {"time", "distance", "age", "sex",
                                                        "mechanism"};
static const char *const status_names[] = {NULL, "auto", "possible", "confirmed", "rejected"};

enum { EM_MAX_ITER = 1000, NPATTERNS = 243 /* 3^LINKAGE_FIELDS */ };

/* The probabilities used when EM cannot be trusted (linkage.h: too few candidate pairs, or a fit
 * without two distinct classes): m from records of one event that differ by the usual noise of
 * times, points and ages; u among different events already within the blocking window and
 * distance (time and distance agree at half the limits: about half and a quarter of them), the
 * ages of two unrelated people within 2 years (about 1 in 20), sex (1 in 2), mechanism (the
 * commonest group, about 1 in 4). */
static const double default_m[LINKAGE_FIELDS] = {0.99, 0.95, 0.95, 0.98, 0.95};
static const double default_u[LINKAGE_FIELDS] = {0.5, 0.3, 0.05, 0.5, 0.25};
#define PROB_MIN 1e-6

void linkage_params_init(linkage_params *p)
{
    memset(p, 0, sizeof *p);
    p->window_s = LINKAGE_WINDOW_S;
    p->max_m = LINKAGE_MAX_M;
    p->link_t = LINKAGE_LINK_T;
    p->possible_t = LINKAGE_POSSIBLE_T;
}

const char *linkage_status_name(linkage_status s)
{
    return (int)s >= 0 && (size_t)s < sizeof status_names / sizeof *status_names ? status_names[s]
                                                                                 : NULL;
}

int linkage_status_parse(const char *name, linkage_status *s)
{
    for (int i = 1; i < (int)(sizeof status_names / sizeof *status_names); i++)
        if (strcmp(name, status_names[i]) == 0) {
            *s = (linkage_status)i;
            return 0;
        }
    return -1;
}

const char *linkage_field_name(int f)
{
    return f >= 0 && f < LINKAGE_FIELDS ? field_names[f] : NULL;
}

static int is_traffic(int m)
{
    return m > 0 && m < 32 && (HZ_MECH_TRAFFIC_MASK >> m & 1u);
}

int linkage_mech_compatible(int a, int b)
{
    if (a == b) return 1;
    /* unknown or recorded as unspecified: compatible with anything */
    if (a == HZ_MECH_UNKNOWN || b == HZ_MECH_UNKNOWN || a == HZ_MECH_UNSPECIFIED ||
        b == HZ_MECH_UNSPECIFIED)
        return 1;
    /* a traffic injury whose road user is not said against any traffic group; two different
     * road users (a pedestrian, an occupant) are two people */
    return is_traffic(a) && is_traffic(b) && (a == HZ_MECH_MVT_OTHER || b == HZ_MECH_MVT_OTHER);
}

/* Great-circle distance in metres (haversine, mean Earth radius of IUGG). */
static double distance_m(double lon1, double lat1, double lon2, double lat2)
{
    const double r = 6371008.8, d2r = M_PI / 180;
    double dlat = (lat2 - lat1) * d2r, dlon = (lon2 - lon1) * d2r;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * d2r) * cos(lat2 * d2r) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(fmin(1, sqrt(a)));
}

/* 1 when a and b are a candidate pair (linkage.h, blocking); t already checked. */
static int blocked_together(const linkage_rec *a, const linkage_rec *b, const linkage_params *p)
{
    if (a->src == b->src) return 0;
    if (a->has_point && b->has_point) return distance_m(a->lon, a->lat, b->lon, b->lat) <= p->max_m;
    return a->area >= 0 && a->area == b->area;
}

static void compare(const linkage_rec *a, const linkage_rec *b, const linkage_params *p, uint8_t *g)
{
    double dt = fabs((double)a->t - (double)b->t);
    g[LINKAGE_F_TIME] = a->t == INT64_MIN || b->t == INT64_MIN ? LINKAGE_MISSING
                        : dt <= p->window_s / 2                ? LINKAGE_AGREE
                                                               : LINKAGE_DISAGREE;
    g[LINKAGE_F_DISTANCE] = !a->has_point || !b->has_point ? LINKAGE_MISSING
                            : distance_m(a->lon, a->lat, b->lon, b->lat) <= p->max_m / 2
                                ? LINKAGE_AGREE
                                : LINKAGE_DISAGREE;
    g[LINKAGE_F_AGE] = a->age < 0 || b->age < 0    ? LINKAGE_MISSING
                       : abs(a->age - b->age) <= 2 ? LINKAGE_AGREE
                                                   : LINKAGE_DISAGREE;
    g[LINKAGE_F_SEX] = !a->sex || !b->sex ? LINKAGE_MISSING
                       : a->sex == b->sex ? LINKAGE_AGREE
                                          : LINKAGE_DISAGREE;
    g[LINKAGE_F_MECHANISM] = !a->mechanism || !b->mechanism ? LINKAGE_MISSING
                             : linkage_mech_compatible(a->mechanism, b->mechanism)
                                 ? LINKAGE_AGREE
                                 : LINKAGE_DISAGREE;
}

static double clampp(double v)
{
    return v < PROB_MIN ? PROB_MIN : v > 1 - PROB_MIN ? 1 - PROB_MIN : v;
}

/* EM for the two-class mixture under conditional independence, on the counts of each of the
 * 3^5 comparison patterns (missing fields drop out of both likelihoods). Returns iterations. */
static int em_estimate(const double *count, double *m, double *u, double *prior)
{
    double p = 0.1;
    for (int k = 0; k < LINKAGE_FIELDS; k++) {
        m[k] = 0.9;
        u[k] = 0.1;
    }
    int it;
    for (it = 1; it <= EM_MAX_ITER; it++) {
        double nm[LINKAGE_FIELDS] = {0}, dm[LINKAGE_FIELDS] = {0}, nu[LINKAGE_FIELDS] = {0},
               du[LINKAGE_FIELDS] = {0}, gsum = 0, total = 0;
        for (int pat = 0; pat < NPATTERNS; pat++) {
            if (count[pat] == 0) continue;
            double pm = p, pu = 1 - p;
            for (int k = 0, v = pat; k < LINKAGE_FIELDS; k++, v /= 3) {
                int gk = v % 3;
                if (gk == LINKAGE_MISSING) continue;
                pm *= gk ? m[k] : 1 - m[k];
                pu *= gk ? u[k] : 1 - u[k];
            }
            double g = pm / (pm + pu), c = count[pat];
            gsum += c * g;
            total += c;
            for (int k = 0, v = pat; k < LINKAGE_FIELDS; k++, v /= 3) {
                int gk = v % 3;
                if (gk == LINKAGE_MISSING) continue;
                dm[k] += c * g;
                du[k] += c * (1 - g);
                if (gk == LINKAGE_AGREE) {
                    nm[k] += c * g;
                    nu[k] += c * (1 - g);
                }
            }
        }
        if (total == 0) break;
        double change = fabs(gsum / total - p);
        p = clampp(gsum / total);
        for (int k = 0; k < LINKAGE_FIELDS; k++) {
            double m1 = dm[k] > 0 ? clampp(nm[k] / dm[k]) : m[k];
            double u1 = du[k] > 0 ? clampp(nu[k] / du[k]) : u[k];
            change = fmax(change, fmax(fabs(m1 - m[k]), fabs(u1 - u[k])));
            m[k] = m1;
            u[k] = u1;
        }
        if (change < 1e-10) break;
    }
    /* The mixture's classes have no names: the match class is the one that agrees more. */
    double diff = 0;
    for (int k = 0; k < LINKAGE_FIELDS; k++)
        diff += m[k] - u[k];
    if (diff < 0) {
        for (int k = 0; k < LINKAGE_FIELDS; k++) {
            double t = m[k];
            m[k] = u[k];
            u[k] = t;
        }
        p = 1 - p;
    }
    *prior = p;
    return it > EM_MAX_ITER ? EM_MAX_ITER : it;
}

/* ---- sorting ---- */

typedef struct ord {
    int64_t key;
    uint32_t idx;
} ord;

static int ord_cmp(const void *a, const void *b)
{
    const ord *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Index of the record with this id in byid (sorted by id), or -1. */
static int64_t find_id(const ord *byid, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (byid[mid].key < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && byid[lo].key == id ? (int64_t)byid[lo].idx : -1;
}

/* Pairs by (i's id, j's id). */
static int pair_key_cmp(const void *a, const void *b)
{
    const linkage_pair *x = a, *y = b;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

/* Greedy order: confirmed first, then score, highest first, then ids. */
static int pair_rank_cmp(const void *a, const void *b)
{
    const linkage_pair *x = a, *y = b;
    int cx = x->status == LINK_CONFIRMED, cy = y->status == LINK_CONFIRMED;
    if (cx != cy) return cy - cx;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return pair_key_cmp(a, b);
}

/* ---- union-find ---- */

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static uint32_t uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a == b) return a;
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    parent[b] = a;
    return a;
}

/* Numbers the clusters of parent[] 0, 1, ... by first member (invariant 3). */
static hz_status number_events(uint32_t *parent, size_t n, uint32_t *event, size_t *nevents)
{
    uint32_t *num = malloc((n ? n : 1) * sizeof *num);
    if (!num) return HZ_ENOMEM;
    for (size_t k = 0; k < n; k++)
        num[k] = UINT32_MAX;
    size_t next = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t r = uf_find(parent, (uint32_t)k);
        if (num[r] == UINT32_MAX) num[r] = (uint32_t)next++;
        event[k] = num[r];
    }
    free(num);
    *nevents = next;
    return HZ_OK;
}

/* ---- the run ---- */

static hz_status add_pair(linkage_pair **pairs, size_t *n, size_t *cap, const linkage_rec *recs,
                          uint32_t a, uint32_t b)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        linkage_pair *np = realloc(*pairs, nc * sizeof *np);
        if (!np) return HZ_ENOMEM;
        *pairs = np;
        *cap = nc;
    }
    linkage_pair *pr = &(*pairs)[(*n)++];
    memset(pr, 0, sizeof *pr);
    if (recs[a].id > recs[b].id) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    pr->i = a;
    pr->j = b;
    pr->a = recs[a].id;
    pr->b = recs[b].id;
    return HZ_OK;
}

static hz_status check_params(const linkage_params *p, size_t n, int nsrc, char *err, size_t errlen)
{
    if (!(p->window_s > 0) || !(p->max_m > 0))
        return hz_fail(HZ_EINVAL, err, errlen, "window and distance must be positive");
    if (!isfinite(p->link_t) || !isfinite(p->possible_t) || p->possible_t > p->link_t)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "thresholds: possible (%g) must not exceed link (%g)", p->possible_t,
                       p->link_t);
    if (nsrc < 1 || nsrc > LINKAGE_MAX_SOURCES)
        return hz_fail(HZ_EINVAL, err, errlen, "%d sources (1..%d)", nsrc, LINKAGE_MAX_SOURCES);
    if (n >= UINT32_MAX) return hz_fail(HZ_EINVAL, err, errlen, "too many records");
    for (int k = 0; p->fixed && k < LINKAGE_FIELDS; k++)
        if (!(p->m[k] > 0 && p->m[k] < 1 && p->u[k] > 0 && p->u[k] < 1))
            return hz_fail(HZ_EINVAL, err, errlen, "weights: %s: m and u must be in (0, 1)",
                           field_names[k]);
    return HZ_OK;
}

/* The candidate pairs (blocking) into r->pairs. */
static hz_status block(const linkage_rec *recs, size_t n, const linkage_params *p,
                       linkage_result *r, size_t *cap)
{
    ord *byt = malloc((n ? n : 1) * sizeof *byt);
    if (!byt) return HZ_ENOMEM;
    size_t nd = 0;
    for (size_t k = 0; k < n; k++)
        if (recs[k].t != INT64_MIN) byt[nd++] = (ord){recs[k].t, (uint32_t)k};
    qsort(byt, nd, sizeof *byt, ord_cmp);
    hz_status s = HZ_OK;
    for (size_t a = 0; a < nd && s == HZ_OK; a++) {
        const linkage_rec *ra = &recs[byt[a].idx];
        for (size_t b = a + 1; b < nd && s == HZ_OK; b++) {
            if ((double)byt[b].key - (double)byt[a].key > p->window_s) break;
            if (blocked_together(ra, &recs[byt[b].idx], p))
                s = add_pair(&r->pairs, &r->npairs, cap, recs, byt[a].idx, byt[b].idx);
        }
    }
    free(byt);
    return s;
}

/* Marks the decided pairs (adding those blocking did not find). */
static hz_status apply_decisions(const linkage_rec *recs, size_t n, const linkage_decision *dec,
                                 size_t ndec, linkage_result *r, size_t *cap)
{
    if (!ndec) return HZ_OK;
    ord *byid = malloc((n ? n : 1) * sizeof *byid);
    if (!byid) return HZ_ENOMEM;
    for (size_t k = 0; k < n; k++)
        byid[k] = (ord){recs[k].id, (uint32_t)k};
    qsort(byid, n, sizeof *byid, ord_cmp);
    if (r->npairs) qsort(r->pairs, r->npairs, sizeof *r->pairs, pair_key_cmp);
    size_t nblocked = r->npairs;
    hz_status s = HZ_OK;
    for (size_t d = 0; d < ndec && s == HZ_OK; d++) {
        if (dec[d].status != LINK_CONFIRMED && dec[d].status != LINK_REJECTED) continue;
        int64_t a = find_id(byid, n, dec[d].a), b = find_id(byid, n, dec[d].b);
        if (a < 0 || b < 0 || a == b || recs[a].src == recs[b].src) continue;
        linkage_pair key = {.a = recs[a].id < recs[b].id ? recs[a].id : recs[b].id,
                            .b = recs[a].id < recs[b].id ? recs[b].id : recs[a].id};
        linkage_pair *hit =
            nblocked ? bsearch(&key, r->pairs, nblocked, sizeof key, pair_key_cmp) : NULL;
        if (!hit) {
            s = add_pair(&r->pairs, &r->npairs, cap, recs, (uint32_t)a, (uint32_t)b);
            hit = &r->pairs[r->npairs - 1];
        }
        if (s == HZ_OK) hit->status = dec[d].status;
    }
    free(byid);
    return s;
}

hz_status linkage_run(const linkage_rec *recs, size_t n, int nsrc, const linkage_params *p,
                      const linkage_decision *dec, size_t ndec, linkage_result **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    hz_status s = check_params(p, n, nsrc, err, errlen);
    if (s != HZ_OK) return s;
    for (size_t k = 0; k < n; k++)
        if (recs[k].src < 0 || recs[k].src >= nsrc)
            return hz_fail(HZ_EINVAL, err, errlen, "record %lld: source index %d out of range",
                           (long long)recs[k].id, recs[k].src);
    linkage_result *r = calloc(1, sizeof *r);
    uint32_t *taken = malloc((n ? n : 1) * sizeof *taken);
    uint32_t *linked = malloc((n ? n : 1) * sizeof *linked);
    uint64_t *srcmask = malloc((n ? n : 1) * sizeof *srcmask);
    size_t cap = 0;
    if (!r || !taken || !linked || !srcmask ||
        !(r->event = malloc((n ? n : 1) * sizeof *r->event))) {
        s = HZ_ENOMEM;
        goto fail;
    }
    if ((s = block(recs, n, p, r, &cap)) != HZ_OK ||
        (s = apply_decisions(recs, n, dec, ndec, r, &cap)) != HZ_OK)
        goto fail;

    /* Comparison vectors and their pattern counts. */
    double count[NPATTERNS] = {0};
    for (size_t k = 0; k < r->npairs; k++) {
        linkage_pair *pr = &r->pairs[k];
        assert(recs[pr->i].id < recs[pr->j].id && recs[pr->i].src != recs[pr->j].src); /* 1 */
        compare(&recs[pr->i], &recs[pr->j], p, pr->gamma);
        int pat = 0;
        for (int f = LINKAGE_FIELDS - 1; f >= 0; f--)
            pat = pat * 3 + pr->gamma[f];
        count[pat] += 1;
    }
    if (p->fixed) {
        memcpy(r->m, p->m, sizeof r->m);
        memcpy(r->u, p->u, sizeof r->u);
        r->prior = NAN;
    } else {
        r->em_iter = em_estimate(count, r->m, r->u, &r->prior);
        double sep = 0;
        for (int f = 0; f < LINKAGE_FIELDS; f++)
            sep = fmax(sep, r->m[f] - r->u[f]);
        if (r->npairs < LINKAGE_EM_MIN_PAIRS || !(r->prior > 0.001 && r->prior < 0.99) ||
            sep < 0.1) {
            r->em_fallback = 1;
            memcpy(r->m, default_m, sizeof r->m);
            memcpy(r->u, default_u, sizeof r->u);
        }
    }
    for (int f = 0; f < LINKAGE_FIELDS; f++) {
        r->w_agree[f] = log2(r->m[f] / r->u[f]);
        r->w_disagree[f] = log2((1 - r->m[f]) / (1 - r->u[f]));
    }
    for (size_t k = 0; k < r->npairs; k++) {
        linkage_pair *pr = &r->pairs[k];
        double sc = 0;
        for (int f = 0; f < LINKAGE_FIELDS; f++)
            sc += pr->gamma[f] == LINKAGE_AGREE      ? r->w_agree[f]
                  : pr->gamma[f] == LINKAGE_DISAGREE ? r->w_disagree[f]
                                                     : 0;
        pr->score = sc;
    }

    /* Greedy one-to-one (invariant 2). */
    if (r->npairs) qsort(r->pairs, r->npairs, sizeof *r->pairs, pair_rank_cmp);
    for (size_t k = 0; k < n; k++) {
        taken[k] = linked[k] = (uint32_t)k;
        srcmask[k] = 1ull << recs[k].src;
    }
    for (size_t k = 0; k < r->npairs; k++) {
        linkage_pair *pr = &r->pairs[k];
        if (pr->status == LINK_REJECTED) {
            r->nrejected++;
            continue;
        }
        uint32_t a = uf_find(taken, pr->i), b = uf_find(taken, pr->j);
        if (pr->status != LINK_CONFIRMED) {
            if (pr->score < p->possible_t || a == b || (srcmask[a] & srcmask[b])) continue;
            pr->status = pr->score >= p->link_t ? LINK_AUTO : LINK_POSSIBLE;
        }
        uint32_t root = uf_union(taken, a, b);
        srcmask[root] = srcmask[a] | srcmask[b];
        if (pr->status == LINK_POSSIBLE) {
            r->npossible++;
            continue;
        }
        if (pr->status == LINK_AUTO)
            r->nauto++;
        else
            r->nconfirmed++;
        uf_union(linked, pr->i, pr->j);
    }
    if ((s = number_events(linked, n, r->event, &r->nevents)) != HZ_OK) goto fail;
    free(taken);
    free(linked);
    free(srcmask);
    *out = r;
    return HZ_OK;
fail:
    free(taken);
    free(linked);
    free(srcmask);
    linkage_free(r);
    return s == HZ_ENOMEM ? hz_fail(s, err, errlen, "out of memory") : s;
}

void linkage_free(linkage_result *r)
{
    if (!r) return;
    free(r->pairs);
    free(r->event);
    free(r);
}

hz_status linkage_weights_parse(const char *json_text, linkage_params *p, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loads(json_text, JSON_REJECT_DUPLICATES, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return hz_fail(HZ_EINVAL, err, errlen, "weights: not a JSON object (%s)",
                       j ? "wrong type" : je.text);
    }
    hz_status s = HZ_OK;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        int known = 0;
        for (int f = 0; f < LINKAGE_FIELDS; f++)
            known |= strcmp(key, field_names[f]) == 0;
        if (!known) {
            s = hz_fail(HZ_EINVAL, err, errlen, "weights: unknown field '%.32s'", key);
            break;
        }
    }
    for (int f = 0; f < LINKAGE_FIELDS && s == HZ_OK; f++) {
        json_t *o = json_object_get(j, field_names[f]);
        json_t *m = json_object_get(o, "m"), *u = json_object_get(o, "u");
        if (!json_is_number(m) || !json_is_number(u) || json_object_size(o) != 2) {
            s = hz_fail(HZ_EINVAL, err, errlen, "weights: %s needs {\"m\": P, \"u\": P}",
                        field_names[f]);
            break;
        }
        p->m[f] = json_number_value(m);
        p->u[f] = json_number_value(u);
        if (!(p->m[f] > 0 && p->m[f] < 1 && p->u[f] > 0 && p->u[f] < 1))
            s = hz_fail(HZ_EINVAL, err, errlen, "weights: %s: m and u must be in (0, 1)",
                        field_names[f]);
    }
    json_decref(j);
    if (s == HZ_OK) p->fixed = 1;
    return s;
}

hz_status linkage_events(const int64_t *ids, size_t n, const int64_t (*links)[2], size_t nl,
                         uint32_t *event, size_t *nevents)
{
    ord *byid = malloc((n ? n : 1) * sizeof *byid);
    uint32_t *parent = malloc((n ? n : 1) * sizeof *parent);
    hz_status s = HZ_ENOMEM;
    if (byid && parent) {
        for (size_t k = 0; k < n; k++) {
            byid[k] = (ord){ids[k], (uint32_t)k};
            parent[k] = (uint32_t)k;
        }
        qsort(byid, n, sizeof *byid, ord_cmp);
        for (size_t l = 0; l < nl; l++) {
            int64_t a = find_id(byid, n, links[l][0]), b = find_id(byid, n, links[l][1]);
            if (a >= 0 && b >= 0) uf_union(parent, (uint32_t)a, (uint32_t)b);
        }
        s = number_events(parent, n, event, nevents);
    }
    free(byid);
    free(parent);
    return s;
}

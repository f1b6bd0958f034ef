/* screen_spf.c - the safety performance functions of network screening: fitted by NB2 maximum
 * likelihood on the network's own sites, or read from a file (screen.h, "SPFs").
 *
 * The site table has one row per section (per junction): its observed count, ln of its length
 * in km (ln of its degree) and the class dummies, offset ln(years). The class groups are chosen
 * by make_groups(); the fit is nb2_fit()'s. */
#include "screen_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/nb2.h"
#include "hazmap/parfor.h"

double screen_spf_section(const screen_spf_model *m, double length_m, const char *cls)
{
    if (!m->available || !(length_m > 0)) return NAN;
    double eta = m->a + m->b * log(length_m / 1000.0);
    for (size_t c = 0; cls && c < m->nclass; c++)
        if (strcmp(m->cls[c], cls) == 0) eta += m->cls_coef[c];
    return exp(eta);
}

double screen_spf_junction(const screen_spf_model *m, uint32_t degree)
{
    if (!m->available || degree == 0) return NAN;
    return exp(m->a + m->b * log((double)degree));
}

/* The distinct classes of the sections with their site and crash counts. */
typedef struct cls_count {
    const char *cls;
    size_t sites;
    int64_t crashes;
} cls_count;

static int cmp_cls(const void *a, const void *b)
{
    const cls_count *p = a, *q = b;
    if (p->sites != q->sites) return p->sites > q->sites ? -1 : 1;
    return strcmp(p->cls, q->cls);
}

/* Chooses the dummy classes into m->cls (m->nclass) and the reference's description. */
static hz_status make_groups(const roadsites *rs, const int64_t *sc, int min_sites,
                             screen_spf_model *m)
{
    size_t ns = roadsites_section_count(rs), nd = 0, cap = 16;
    const roadsites_section *sec = roadsites_sections(rs);
    cls_count *d = malloc(cap * sizeof *d);
    if (!d) return HZ_ENOMEM;
    for (size_t s = 0; s < ns; s++) {
        const char *c = sec[s].cls;
        if (!c || strlen(c) >= SCREEN_CLASS_LEN) continue;
        size_t i = 0;
        while (i < nd && strcmp(d[i].cls, c) != 0)
            i++;
        if (i == nd) {
            if (nd == cap) {
                cls_count *g = realloc(d, 2 * cap * sizeof *d);
                if (!g) {
                    free(d);
                    return HZ_ENOMEM;
                }
                d = g, cap *= 2;
            }
            d[nd++] = (cls_count){c, 0, 0};
        }
        d[i].sites++;
        d[i].crashes += sc[s];
    }
    qsort(d, nd, sizeof *d, cmp_cls);
    size_t big = 0, in_big = 0;
    for (size_t i = 0; i < nd && big < SCREEN_MAX_CLASSES + 1; i++) {
        if (d[i].sites < (size_t)min_sites || d[i].crashes == 0) continue;
        d[big++] = d[i];
        in_big += d[i].sites;
    }
    /* Classes past the cap, like the small ones, are pooled (the loop stopped collecting). */
    int pooled = in_big < ns;
    size_t first = pooled ? 0 : 1, last = big;
    if (pooled && last > SCREEN_MAX_CLASSES) last = SCREEN_MAX_CLASSES;
    m->nclass = 0;
    for (size_t i = first; i < last; i++)
        snprintf(m->cls[m->nclass++], SCREEN_CLASS_LEN, "%s", d[i].cls);
    if (!pooled && big > 0)
        snprintf(m->reference, sizeof m->reference, "class '%s' (the largest)", d[0].cls);
    else
        snprintf(m->reference, sizeof m->reference,
                 "pooled: sections without a class or whose class has < %d sections or no crash",
                 min_sites);
    free(d);
    return HZ_OK;
}

/* Fits one model on n rows of p columns; fills m or its note. */
static hz_status fit_rows(size_t n, size_t p, const double *y, const double *x, double years,
                          screen_spf_model *m, char *err, size_t errlen)
{
    double *off = malloc((n ? n : 1) * sizeof *off);
    if (!off) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; i < n; i++)
        off[i] = log(years);
    nb2_data d = {n, p, y, x, off};
    nb2_result r;
    char why[200];
    hz_status rc = nb2_fit(&d, NULL, &r, why, sizeof why);
    free(off);
    if (rc == HZ_ENOMEM) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    m->n = n;
    m->fitted = 1;
    if (rc != HZ_OK) {
        m->available = 0;
        snprintf(m->note, sizeof m->note, "not fitted: %s", why);
        return HZ_OK;
    }
    m->available = 1;
    m->a = r.beta[0], m->se_a = r.se[0];
    m->b = p > 1 ? r.beta[1] : 0, m->se_b = p > 1 ? r.se[1] : NAN;
    for (size_t c = 0; c + 2 < p; c++)
        m->cls_coef[c] = r.beta[2 + c], m->cls_se[c] = r.se[2 + c];
    m->k = r.k, m->se_k = r.se_k, m->loglik = r.loglik, m->aic = r.aic;
    m->converged = r.converged, m->iter = r.iter;
    if (!r.converged) snprintf(m->note, sizeof m->note, "nb2_fit did not converge: %s", why);
    nb2_result_free(&r);
    return HZ_OK;
}

static hz_status fit_sections(const roadsites *rs, const int64_t *sc, double years, int min_sites,
                              screen_spf_model *m, char *err, size_t errlen)
{
    if (make_groups(rs, sc, min_sites, m) != HZ_OK)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    size_t n = roadsites_section_count(rs), p = 2 + m->nclass;
    const roadsites_section *sec = roadsites_sections(rs);
    double *y = malloc((n ? n : 1) * sizeof *y), *x = calloc((n ? n : 1) * p, sizeof *x);
    hz_status rc = HZ_ENOMEM;
    if (y && x) {
        for (size_t s = 0; s < n; s++) {
            y[s] = (double)sc[s];
            x[s * p] = 1;
            x[s * p + 1] = log(sec[s].length / 1000.0);
            for (size_t c = 0; sec[s].cls && c < m->nclass; c++)
                x[s * p + 2 + c] = strcmp(sec[s].cls, m->cls[c]) == 0;
        }
        rc = fit_rows(n, p, y, x, years, m, err, errlen);
    } else {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    free(y);
    free(x);
    return rc;
}

static hz_status fit_junctions(const roadsites *rs, const int64_t *jc, double years,
                               screen_spf_model *m, char *err, size_t errlen)
{
    size_t n = roadsites_junction_count(rs);
    const roadsites_junction *j = roadsites_junctions(rs);
    int varies = 0;
    for (size_t i = 1; i < n && !varies; i++)
        varies = j[i].degree != j[0].degree;
    size_t p = varies ? 2 : 1;
    double *y = malloc((n ? n : 1) * sizeof *y), *x = malloc((n ? n : 1) * p * sizeof *x);
    hz_status rc = HZ_ENOMEM;
    if (y && x) {
        for (size_t i = 0; i < n; i++) {
            y[i] = (double)jc[i];
            x[i * p] = 1;
            if (varies) x[i * p + 1] = log((double)j[i].degree);
        }
        snprintf(m->reference, sizeof m->reference, "-");
        rc = fit_rows(n, p, y, x, years, m, err, errlen);
        if (rc == HZ_OK && m->available && !varies)
            snprintf(m->note, sizeof m->note, "every junction has degree %u: intercept only",
                     n ? j[0].degree : 0);
    } else {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    free(y);
    free(x);
    return rc;
}

/* The two fits are independent: one thread each (par_for), each writing only its own model and
 * status. */
typedef struct fit_job {
    const roadsites *rs;
    const int64_t *jc, *sc;
    double years;
    int min_class_sites;
    screen_spf *spf;
    hz_status rc[2];
    char err[2][256];
} fit_job;

static void fit_part(void *ctx, size_t lo, size_t hi, int tid)
{
    (void)tid;
    fit_job *j = ctx;
    for (size_t i = lo; i < hi; i++) {
        screen_spf_model *m = i == 0 ? &j->spf->section : &j->spf->junction;
        if (m->available) continue;
        *m = (screen_spf_model){.fitted = 1, .se_k = NAN, .loglik = NAN, .aic = NAN};
        if (!(j->years > 0)) {
            snprintf(m->note, sizeof m->note,
                     "not fitted: no study period (no dated incident under the filter)");
            continue;
        }
        j->rc[i] = i == 0 ? fit_sections(j->rs, j->sc, j->years, j->min_class_sites, m, j->err[i],
                                         sizeof j->err[i])
                          : fit_junctions(j->rs, j->jc, j->years, m, j->err[i], sizeof j->err[i]);
    }
}

hz_status screen_spf_fit(const roadsites *rs, const int64_t *jc, const int64_t *sc, double years,
                         int min_class_sites, screen_spf *spf, char *err, size_t errlen)
{
    fit_job j = {rs, jc, sc, years, min_class_sites, spf, {HZ_OK, HZ_OK}, {"", ""}};
    par_for(2, 2, fit_part, &j);
    for (int i = 0; i < 2; i++)
        if (j.rc[i] != HZ_OK) return hz_fail(j.rc[i], err, errlen, "%s", j.err[i]);
    return HZ_OK;
}

/* A number member of o, required or (req 0) defaulting to dflt. */
static hz_status num(const json_t *o, const char *part, const char *key, int req, double dflt,
                     double *v, char *err, size_t errlen)
{
    const json_t *j = json_object_get(o, key);
    if (!j && !req) {
        *v = dflt;
        return HZ_OK;
    }
    if (!json_is_number(j) || !isfinite(json_number_value(j)))
        return hz_fail(HZ_EINVAL, err, errlen, "SPF: %s.%s must be a number", part, key);
    *v = json_number_value(j);
    return HZ_OK;
}

static hz_status parse_part(const json_t *o, const char *part, screen_spf_model *m, char *err,
                            size_t errlen)
{
    if (!json_is_object(o))
        return hz_fail(HZ_EINVAL, err, errlen, "SPF: %s must be an object", part);
    *m = (screen_spf_model){.available = 1,
                            .se_a = NAN,
                            .se_b = NAN,
                            .se_k = NAN,
                            .loglik = NAN,
                            .aic = NAN,
                            .converged = 1};
    hz_status rc = num(o, part, "a", 1, 0, &m->a, err, errlen);
    if (rc == HZ_OK) rc = num(o, part, "b", 1, 0, &m->b, err, errlen);
    if (rc == HZ_OK) rc = num(o, part, "k", 1, 0, &m->k, err, errlen);
    if (rc != HZ_OK) return rc;
    if (m->k < 0) return hz_fail(HZ_EINVAL, err, errlen, "SPF: %s.k must be >= 0", part);
    const json_t *cl = json_object_get(o, "classes");
    if (cl && !json_is_object(cl))
        return hz_fail(HZ_EINVAL, err, errlen, "SPF: %s.classes must be an object", part);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)cl, key, v)
    {
        if (m->nclass == SCREEN_MAX_CLASSES || strlen(key) >= SCREEN_CLASS_LEN)
            return hz_fail(HZ_EINVAL, err, errlen,
                           "SPF: %s.classes: at most %d classes of < %d bytes", part,
                           SCREEN_MAX_CLASSES, SCREEN_CLASS_LEN);
        if (!json_is_number(v))
            return hz_fail(HZ_EINVAL, err, errlen, "SPF: %s.classes.%s must be a number", part,
                           key);
        snprintf(m->cls[m->nclass], SCREEN_CLASS_LEN, "%s", key);
        m->cls_se[m->nclass] = NAN;
        m->cls_coef[m->nclass++] = json_number_value(v);
    }
    snprintf(m->reference, sizeof m->reference, "classes not listed (coefficient 0)");
    snprintf(m->note, sizeof m->note, "given");
    return HZ_OK;
}

hz_status screen_spf_parse(const char *text, screen_spf *spf, char *err, size_t errlen)
{
    memset(spf, 0, sizeof *spf);
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root) return hz_fail(HZ_EINVAL, err, errlen, "SPF: line %d: %s", je.line, je.text);
    hz_status rc = HZ_OK;
    const json_t *s = json_object_get(root, "sections"), *j = json_object_get(root, "junctions");
    if (!json_is_object(root) || (!s && !j))
        rc = hz_fail(HZ_EINVAL, err, errlen,
                     "SPF: expected an object with \"sections\" and/or "
                     "\"junctions\"");
    if (rc == HZ_OK && s) rc = parse_part(s, "sections", &spf->section, err, errlen);
    if (rc == HZ_OK && j) rc = parse_part(j, "junctions", &spf->junction, err, errlen);
    json_decref(root);
    if (rc != HZ_OK) memset(spf, 0, sizeof *spf);
    return rc;
}

hz_status screen_spf_read(const char *path, screen_spf *spf, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return hz_fail(HZ_EIO, err, errlen, "cannot open %s", path);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = 2 * cap + 8192;
            char *g = cap > (1u << 24) ? NULL : realloc(buf, cap);
            if (!g) {
                free(buf);
                fclose(fp);
                return hz_fail(HZ_EINVAL, err, errlen, "%s: too large for an SPF file", path);
            }
            buf = g;
        }
        size_t r = fread(buf + len, 1, 4096, fp);
        len += r;
        if (r < 4096) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    buf[len] = 0;
    hz_status rc = bad ? hz_fail(HZ_EIO, err, errlen, "cannot read %s", path)
                       : screen_spf_parse(buf, spf, err, errlen);
    free(buf);
    return rc;
}

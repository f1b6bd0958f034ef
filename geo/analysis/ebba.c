/* ebba.c - Empirical Bayes before/after evaluation (ebba.h). */
#include "hazmap/ebba.h"

#include <math.h>
#include <string.h>

#define Z95 1.959963984540054

static void set_nan(ebba_result *r)
{
    r->obs_before = r->obs_after = r->pred_before = r->pred_after = NAN;
    r->eb_before = r->expected_after = r->var_expected_after = r->theta_naive = NAN;
    r->theta = r->se = r->lo = r->hi = r->p = NAN;
    r->effectiveness = r->se_effectiveness = NAN;
}

static int bad(double v)
{
    return !(v >= 0) || !isfinite(v);
}

hz_status ebba_run(const ebba_site *s, size_t n, ebba_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    set_nan(out);
    if (n == 0 || !s) return hz_fail(HZ_EINVAL, err, errlen, "ebba: no treated site");
    double ob = 0, oa = 0, pb = 0, pa = 0, nb = 0, na = 0, v = 0;
    for (size_t i = 0; i < n; i++) {
        const ebba_site *x = &s[i];
        if (bad(x->obs_before) || bad(x->obs_after) || bad(x->k) || bad(x->pred_before) ||
            bad(x->pred_after) || !(x->pred_before > 0) || !(x->pred_after > 0))
            return hz_fail(HZ_EINVAL, err, errlen,
                           "ebba: site %zu: counts and k must be >= 0 and predictions > 0", i + 1);
        double w = 1.0 / (1.0 + x->k * x->pred_before);
        double eb = w * x->pred_before + (1.0 - w) * x->obs_before;
        double r = x->pred_after / x->pred_before;
        ob += x->obs_before;
        oa += x->obs_after;
        pb += x->pred_before;
        pa += x->pred_after;
        nb += eb;
        na += eb * r;
        v += r * r * eb * (1.0 - w);
    }
    out->n = n;
    out->obs_before = ob;
    out->obs_after = oa;
    out->pred_before = pb;
    out->pred_after = pa;
    out->eb_before = nb;
    out->expected_after = na;
    out->var_expected_after = v;
    if (!(na > 0)) return HZ_OK; /* no crash expected at all: nothing to compare */
    double rel = v / (na * na);
    out->theta_naive = oa / na;
    out->theta = out->theta_naive / (1.0 + rel);
    out->effectiveness = 100.0 * (1.0 - out->theta);
    if (oa > 0) {
        double var =
            out->theta_naive * out->theta_naive * (1.0 / oa + rel) / ((1.0 + rel) * (1.0 + rel));
        out->se = sqrt(var);
        out->lo = fmax(0.0, out->theta - Z95 * out->se);
        out->hi = out->theta + Z95 * out->se;
        out->p = erfc(fabs(1.0 - out->theta) / out->se / sqrt(2.0));
        out->se_effectiveness = 100.0 * out->se;
    }
    return HZ_OK;
}

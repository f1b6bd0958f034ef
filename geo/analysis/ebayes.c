/* ebayes.c - Empirical Bayes expected and excess expected crashes of one site (see ebayes.h). */
#include "hazmap/ebayes.h"

#include <math.h>

static int nonneg_finite(double v)
{
    return isfinite(v) && v >= 0;
}

static void set_nan(ebayes_result *out)
{
    out->pred = out->w = out->expected = out->excess = out->variance = NAN;
}

hz_status ebayes_site(double obs, double pred, double k, ebayes_result *out)
{
    if (!out) return HZ_EINVAL;
    if (!nonneg_finite(obs) || !nonneg_finite(pred) || !nonneg_finite(k)) {
        set_nan(out);
        return HZ_EINVAL;
    }
    /* Invariant: k * pred >= 0, so 0 < w <= 1 and expected lies between pred and obs. */
    double w = 1.0 / (1.0 + k * pred);
    double expected = w * pred + (1.0 - w) * obs;
    out->pred = pred;
    out->w = w;
    out->expected = expected;
    out->excess = expected - pred;
    out->variance = (1.0 - w) * expected;
    return HZ_OK;
}

hz_status ebayes_site_years(double obs, const double *pred_by_year, size_t nyears, double k,
                            ebayes_result *out)
{
    if (!out) return HZ_EINVAL;
    if (nyears > 0 && !pred_by_year) {
        set_nan(out);
        return HZ_EINVAL;
    }
    double pred = 0;
    for (size_t y = 0; y < nyears; y++) {
        if (!nonneg_finite(pred_by_year[y])) {
            set_nan(out);
            return HZ_EINVAL;
        }
        pred += pred_by_year[y];
    }
    return ebayes_site(obs, pred, k, out);
}

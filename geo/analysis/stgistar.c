/* stgistar.c - Gi* on a space-time cube: per step, the spatial window sums over the neighbour
 * lists; then, per location, a running sum over the lag + 1 latest steps. O(steps x (locations
 * + neighbour pairs)). The global moments are summed in long double over the whole cube. */
#include "hazmap/stgistar.h"
#include "hazmap/parfor.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

typedef struct st_job {
    const double *x;
    size_t nloc;
    const gistar_nb *nb;
    double *win; /* nsteps x nloc: spatial window sums */
} st_job;

/* The spatial window sums of steps [lo, hi). */
static void window_steps(void *ctx, size_t lo, size_t hi, int tid)
{
    (void)tid;
    const st_job *J = ctx;
    for (size_t t = lo; t < hi; t++) {
        const double *xt = J->x + t * J->nloc;
        double *wt = J->win + t * J->nloc;
        for (size_t i = 0; i < J->nloc; i++) {
            double s = xt[i];
            for (size_t k = J->nb->start[i]; k < J->nb->start[i + 1]; k++)
                s += xt[J->nb->idx[k]];
            wt[i] = s;
        }
    }
}

hz_status stgistar_compute(const double *x, size_t nloc, size_t nsteps, const gistar_nb *nb,
                           int lag, int nthreads, double *z, double *p, int *nbins, char *err,
                           size_t errlen)
{
    assert(nb->n == nloc && lag >= 0);
    size_t N = nloc * nsteps;
    if (N < 3) return hz_fail(HZ_EINVAL, err, errlen, "the cube has %zu bins (3 at least)", N);
    long double sum = 0, sum2 = 0;
    for (size_t b = 0; b < N; b++) {
        sum += x[b];
        sum2 += (long double)x[b] * x[b];
    }
    double xbar = (double)(sum / N);
    double var = (double)(sum2 / N - (sum / N) * (sum / N));
    if (!(var > 1e-12 * (1 + xbar * xbar)))
        return hz_fail(HZ_EINVAL, err, errlen,
                       "every bin of the cube has the same value: Gi* is undefined");
    double s = sqrt(var);
    double *win = malloc(N * sizeof *win);
    if (!win) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    st_job J = {x, nloc, nb, win};
    par_for(nsteps, par_threads(nthreads), window_steps, &J);
    for (size_t i = 0; i < nloc; i++) {
        int wsp = 1 + (int)(nb->start[i + 1] - nb->start[i]); /* the location and its neighbours */
        double run = 0;
        for (size_t t = 0; t < nsteps; t++) {
            run += win[t * nloc + i];
            if (t > (size_t)lag) run -= win[(t - (size_t)lag - 1) * nloc + i];
            size_t steps = t < (size_t)lag ? t + 1 : (size_t)lag + 1;
            double W = (double)wsp * (double)steps;
            double den = s * sqrt(((double)N * W - W * W) / ((double)N - 1));
            size_t b = t * nloc + i;
            z[b] = den > 0 ? (run - W * xbar) / den : 0.0;
            p[b] = den > 0 ? gistar_p_normal(z[b]) : 1.0;
            if (nbins) nbins[b] = (int)W;
        }
    }
    free(win);
    return HZ_OK;
}

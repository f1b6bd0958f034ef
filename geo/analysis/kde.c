/* kde.c - kernel density on a regular grid: exact row sweeps with polynomial difference arrays.
 *
 * Method (exact, no binning). Work in cell units: a point at (x, y) has column coordinate
 * u = (x - x0)/cell - 0.5 and row coordinate v = (y1 - y)/cell - 0.5, so cell (i, j) has its
 * centre at (i, j); H = h/cell. On row j a point with |j - v| < H touches the contiguous run of
 * columns with (i - u)^2 < H^2 - (j - v)^2.
 *
 * Polynomial kernels (quartic, Epanechnikov, triweight, uniform) are P(z) with z = 1 - r^2/h^2.
 * Along a row, with s = (i - o)/H for a local origin o and q = (u - o)/H, a = 1 - (j - v)^2/H^2:
 *   z = (a - q^2) + 2 q s - s^2,
 * a polynomial in s of degree 2 (P(z) of degree 2, 4 or 6). Each point adds its coefficient vector
 * at the run's first column and subtracts it after the last (difference arrays); a prefix sum along
 * the row then holds, at every column, the summed coefficients of the points whose run covers it,
 * and one Horner evaluation gives the exact sum. Cost O(rows x points-per-row + cells) instead
 * of O(points x cells-per-disc).
 *
 * Rounding: the row is cut into blocks 2h-4h wide, each with its origin at its centre and its
 * own prefix sum (a run crossing a block edge is split), so |s| and |q| stay below ~4: the
 * coefficients and the cancellation in P stay bounded (measured against brute force in
 * tests/check_kde.c: 1e-9 relative wherever the density exceeds 1e-5 of its peak). A count of
 * active points per column restores exact zeros where no kernel reaches, and rounding negatives
 * are clamped to 0.
 *
 * Triangular (sqrt of r) and Gaussian are not polynomial in s: they are evaluated directly over
 * each point's run, O(points x cells-per-disc) = O(n pi (R/cell)^2) with R = h (triangular) or
 * 4h (Gaussian, 16x the cells); the Gaussian run uses the exact recurrence
 * exp(-(d+1)^2/2H^2) = exp(-d^2/2H^2) exp(-(2d+1)/2H^2), so no exp() per cell.
 *
 * Rows are shared among threads through an atomic chunk counter (the load is uneven where
 * incidents cluster); for the polynomial kernels one pass over the candidate points serves eight
 * adjacent rows, band of 16 columns by band (about 10 % less CPU than two rows point by point,
 * measured with bench/kde_bench.c). */
#include "hazmap/kde.h"
#include "hazmap/cancel.h"
#include "hazmap/parfor.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const char *const kernel_names[] = {"quartic",    "epanechnikov", "triweight",
                                           "triangular", "uniform",      "gaussian"};

/* Normalising constants C in K(r) = C / h^2 * f(r/h): each integrates to 1 over the plane
 * (2 pi int_0^1 r f(r) dr = 1/C; Silverman 1986, table 3.1 for the bivariate forms). */
static const double kernel_c[] = {3.0 / M_PI, 2.0 / M_PI, 4.0 / M_PI,
                                  3.0 / M_PI, 1.0 / M_PI, 1.0 / (2.0 * M_PI)};

/* R(K) / mu2(K)^2 for h = 1 in two dimensions, R = int K^2, mu2 = int x^2 K (per coordinate):
 * the AMISE-optimal bandwidth scales as (R/mu2^2)^(1/6) (Marron & Nolan 1988, "canonical
 * kernels"), which converts a bandwidth between kernels at equal smoothing. */
static const double kernel_r_mu2[] = {576.0 / (5.0 * M_PI), 48.0 / M_PI, 1600.0 / (7.0 * M_PI),
                                      200.0 / (3.0 * M_PI), 16.0 / M_PI, 1.0 / (4.0 * M_PI)};

int kde_kernel_parse(const char *name, kde_kernel *k)
{
    if (!name) return -1;
    for (int i = 0; i < (int)(sizeof kernel_names / sizeof *kernel_names); i++) {
        if (strcmp(name, kernel_names[i]) == 0) {
            *k = (kde_kernel)i;
            return 0;
        }
    }
    if (strcmp(name, "biweight") == 0) {
        *k = KDE_QUARTIC;
        return 0;
    }
    return -1;
}

const char *kde_kernel_name(kde_kernel k)
{
    if ((int)k < 0 || (int)k > KDE_GAUSSIAN) return "unknown";
    return kernel_names[k];
}

const char *kde_kernel_formula(kde_kernel k)
{
    switch (k) {
    case KDE_QUARTIC:
        return "3/(pi h^2) (1 - r^2/h^2)^2, r < h";
    case KDE_EPANECHNIKOV:
        return "2/(pi h^2) (1 - r^2/h^2), r < h";
    case KDE_TRIWEIGHT:
        return "4/(pi h^2) (1 - r^2/h^2)^3, r < h";
    case KDE_TRIANGULAR:
        return "3/(pi h^2) (1 - r/h), r < h";
    case KDE_UNIFORM:
        return "1/(pi h^2), r < h";
    case KDE_GAUSSIAN:
        return "1/(2 pi h^2) exp(-r^2/(2 h^2)), r < 4h";
    }
    return "unknown";
}

int kde_bw_rule_parse(const char *name, kde_bw_rule *r)
{
    if (!name) return -1;
    if (strcmp(name, "auto") == 0 || strcmp(name, "arcgis") == 0)
        *r = KDE_BW_ARCGIS;
    else if (strcmp(name, "silverman") == 0)
        *r = KDE_BW_SILVERMAN;
    else if (strcmp(name, "scott") == 0)
        *r = KDE_BW_SCOTT;
    else
        return -1;
    return 0;
}

const char *kde_bw_rule_name(kde_bw_rule r)
{
    switch (r) {
    case KDE_BW_ARCGIS:
        return "arcgis";
    case KDE_BW_SILVERMAN:
        return "silverman";
    case KDE_BW_SCOTT:
        return "scott";
    }
    return "unknown";
}

kde_kernel kde_bw_rule_kernel(kde_bw_rule r)
{
    return r == KDE_BW_ARCGIS ? KDE_QUARTIC : KDE_GAUSSIAN;
}

double kde_bandwidth_convert(double h, kde_kernel from, kde_kernel to)
{
    if ((int)from < 0 || (int)from > KDE_GAUSSIAN || (int)to < 0 || (int)to > KDE_GAUSSIAN)
        return NAN;
    return h * pow(kernel_r_mu2[to] / kernel_r_mu2[from], 1.0 / 6.0);
}

double kde_kernel_support(kde_kernel k, double h)
{
    return k == KDE_GAUSSIAN ? 4.0 * h : h;
}

double kde_work(kde_kernel k, size_t n, double h, double cell, int nx, int ny)
{
    double reach = kde_kernel_support(k, h) / cell; /* in cells */
    if (k == KDE_TRIANGULAR || k == KDE_GAUSSIAN) {
        double cells = M_PI * (reach + 1) * (reach + 1);
        if (nx > 0 && ny > 0 && cells > (double)nx * ny) cells = (double)nx * ny;
        return (double)n * cells;
    }
    double rows = 2 * reach + 1;
    if (ny > 0 && rows > ny) rows = ny;
    return (double)n * 4 * rows;
}

double kde_kernel_value(kde_kernel k, double h, double r)
{
    if (!(h > 0) || (int)k < 0 || (int)k > KDE_GAUSSIAN) return 0;
    r = fabs(r);
    double t = r / h, c = kernel_c[k] / (h * h);
    if (k == KDE_GAUSSIAN) return t < 4.0 ? c * exp(-0.5 * t * t) : 0;
    if (t >= 1.0) return 0;
    double z = 1.0 - t * t;
    switch (k) {
    case KDE_QUARTIC:
        return c * z * z;
    case KDE_EPANECHNIKOV:
        return c * z;
    case KDE_TRIWEIGHT:
        return c * z * z * z;
    case KDE_TRIANGULAR:
        return c * (1.0 - t);
    case KDE_UNIFORM:
        return c;
    case KDE_GAUSSIAN:
        break;
    }
    return 0;
}

/* ---- bandwidth rules ---- */

typedef struct dist_w {
    double d, w;
} dist_w;

static int cmp_dist(const void *a, const void *b)
{
    double x = ((const dist_w *)a)->d, y = ((const dist_w *)b)->d;
    return (x > y) - (x < y);
}

/* Weighted median: the first distance where the cumulative weight reaches half the total; when
 * it lands exactly on the half, the mean of that distance and the next (so equal weights give
 * the ordinary median). */
static double weighted_median(dist_w *dw, size_t n, double wsum)
{
    qsort(dw, n, sizeof *dw, cmp_dist);
    double half = wsum / 2, c = 0;
    for (size_t k = 0; k < n; k++) {
        c += dw[k].w;
        if (c >= half * (1 - 1e-12)) {
            if (fabs(c - half) <= 1e-12 * wsum && k + 1 < n) return (dw[k].d + dw[k + 1].d) / 2;
            return dw[k].d;
        }
    }
    return dw[n - 1].d;
}

static hz_status bw_fail(char *why, size_t whylen, const char *msg)
{
    if (whylen) snprintf(why, whylen, "%s", msg);
    return HZ_EINVAL;
}

hz_status kde_bandwidth(const hz_points *p, kde_bw_rule rule, double *h, char *why, size_t whylen)
{
    if (whylen) why[0] = 0;
    if (!p || p->n < 2) return bw_fail(why, whylen, "bandwidth: fewer than 2 incidents");
    size_t n = p->n;
    /* Shift to the first point to keep UTM magnitudes (1e6 m) out of the sums of squares. */
    double ox = p->x[0], oy = p->y[0];
    double v1 = 0, v2 = 0, sx = 0, sy = 0;
    for (size_t k = 0; k < n; k++) {
        double w = p->w ? p->w[k] : 1.0;
        if (!isfinite(p->x[k]) || !isfinite(p->y[k]) || !isfinite(w) || w < 0)
            return bw_fail(why, whylen, "bandwidth: non-finite coordinate or negative weight");
        v1 += w;
        v2 += w * w;
        sx += w * (p->x[k] - ox);
        sy += w * (p->y[k] - oy);
    }
    if (!(v1 > 0)) return bw_fail(why, whylen, "bandwidth: total weight is 0");
    double mx = sx / v1, my = sy / v1;
    double sxx = 0, syy = 0, sxy = 0;
    for (size_t k = 0; k < n; k++) {
        double w = p->w ? p->w[k] : 1.0;
        double dx = p->x[k] - ox - mx, dy = p->y[k] - oy - my;
        sxx += w * dx * dx;
        syy += w * dy * dy;
        sxy += w * dx * dy;
    }
    double r;
    if (rule == KDE_BW_ARCGIS) {
        /* ArcGIS Pro, Kernel Density ("How Kernel Density works"): search radius
         * 0.9 min(SD, sqrt(1/ln 2) Dm) n^-0.2, SD the standard distance about the (weighted) mean
         * centre, Dm the (weighted) median distance to it, n the number of points or, with a
         * population field, the sum of its values: here the sum of weights. */
        double sd = sqrt((sxx + syy) / v1);
        dist_w *dw = malloc(n * sizeof *dw);
        if (!dw) return bw_fail(why, whylen, "bandwidth: out of memory");
        for (size_t k = 0; k < n; k++) {
            double dx = p->x[k] - ox - mx, dy = p->y[k] - oy - my;
            dw[k].d = sqrt(dx * dx + dy * dy);
            dw[k].w = p->w ? p->w[k] : 1.0;
        }
        double dm = weighted_median(dw, n, v1);
        free(dw);
        double m = fmin(sd, sqrt(1.0 / log(2.0)) * dm);
        r = 0.9 * m * pow(v1, -0.2);
        if (whylen)
            snprintf(why, whylen,
                     "ArcGIS Pro rule 0.9 min(SD, sqrt(1/ln 2) Dm) n^-0.2: SD %.1f m, Dm %.1f m, "
                     "n %.6g -> %.1f m (quartic radius)",
                     sd, dm, v1, r);
    } else if (rule == KDE_BW_SILVERMAN || rule == KDE_BW_SCOTT) {
        /* Normal reference rules for d = 2, where both give h = sigma n^(-1/(d+4)) = sigma n^-1/6
         * as the Gaussian kernel's standard deviation: Silverman 1986 eq. 4.14 (A(K) =
         * (4/(d+2))^(1/(d+4)) = 1 for d = 2) with sigma^2 the mean of the two marginal variances
         * (Silverman 1986 p. 86-87); Scott 1992 eq. 6.42 with a common scale, taken as the
         * generalised variance det(S)^(1/4) (the isotropic scale with scipy gaussian_kde's
         * 'scott' covariance area). Variances are the unbiased weighted ones, n the Kish
         * effective size (sum w)^2 / sum w^2, as in scipy.stats.gaussian_kde. */
        double den = v1 - v2 / v1;
        if (!(den > 0)) return bw_fail(why, whylen, "bandwidth: fewer than 2 effective incidents");
        double vx = sxx / den, vy = syy / den, cxy = sxy / den;
        double neff = v1 * v1 / v2, sigma;
        if (rule == KDE_BW_SILVERMAN) {
            sigma = sqrt((vx + vy) / 2);
        } else {
            double det = vx * vy - cxy * cxy;
            sigma = det > 0 ? pow(det, 0.25) : 0;
        }
        r = sigma * pow(neff, -1.0 / 6.0);
        if (whylen)
            snprintf(why, whylen,
                     "%s normal reference rule sigma n^-1/6: sigma %.1f m (%s), n_eff %.6g -> "
                     "%.1f m (Gaussian standard deviation)",
                     rule == KDE_BW_SILVERMAN ? "Silverman (1986)" : "Scott (1992)", sigma,
                     rule == KDE_BW_SILVERMAN ? "sqrt of mean marginal variance" : "det(S)^(1/4)",
                     neff, r);
    } else {
        return bw_fail(why, whylen, "bandwidth: unknown rule");
    }
    if (!(r > 0) || !isfinite(r))
        return bw_fail(why, whylen, "bandwidth: the incidents coincide (spread 0)");
    *h = r;
    return HZ_OK;
}

/* ---- the grid sweep ---- */

/* Rows a thread takes at a time; rows one pass over the points serves (polynomial kernels). */
enum { ROW_CHUNK = 8, ROW_PASS = 8 };

/* A point in cell units: column u, row v (cell (i, j) is centred on (i, j)), weight w. */
typedef struct kpt {
    double u, v, w;
} kpt;

typedef struct sweep {
    const kpt *pts;       /* points sorted by row bucket (then column band), cell units */
    const size_t *kstart; /* key (bucket b, band c) holds [kstart[b ncb + c], kstart[.. + 1]) */
    size_t ncb;           /* 16-column bands per bucket (1: rows only) */
    int blo, nb, bh;      /* bucket b covers v in [blo + b bh, blo + (b + 1) bh) */
    kde_kernel k;
    int unit;    /* every point's weight is 1 */
    double H, R; /* bandwidth and support radius, cells */
    double norm; /* C / h^2 * scale */
    int nx, ny;
    int bshift; /* polynomial blocks are 2^bshift columns wide */
    float *out; /* exactly one of out, outd is set */
    double *outd;
    atomic_int next_row;
    atomic_int failed;
    atomic_int stopped; /* cancelled (cancel.h): the rows not yet swept stay undone */
    hz_cancel *scope;   /* the caller's cancellation scope, for the sweep's threads */
} sweep;

/* Stores one cell; a density is never negative, so rounding negatives become 0. */
static inline void put(const sweep *S, size_t at, double val)
{
    if (!(val > 0)) val = 0;
    if (S->outd)
        S->outd[at] = val;
    else
        S->out[at] = (float)val;
}

/* Pairs of doubles (GCC/Clang vector extension; SSE2 on x86-64): the coefficient vectors are
 * added and subtracted two at a time. */
typedef double v2d __attribute__((vector_size(16)));

/* Coefficients in s of w P(z), z = b + 2 q s - s^2 (see the file comment), for the kernel with
 * NC coefficients (1 uniform, 3 Epanechnikov, 5 quartic, 7 triweight), packed in pairs with the
 * active-point count (1) in slot NC. */
static inline __attribute__((always_inline)) void poly_coef(int nc, double b, double q, double w,
                                                            v2d *c)
{
    if (nc == 1) {
        c[0] = (v2d){w, 1};
    } else if (nc == 3) {
        c[0] = (v2d){w * b, w * 2 * q};
        c[1] = (v2d){-w, 1};
    } else if (nc == 5) {
        c[0] = (v2d){b * b, 4 * q * b} * w;
        c[1] = (v2d){4 * q * q - 2 * b, -4 * q} * w;
        c[2] = (v2d){w, 1};
    } else { /* triweight: (z^2) z */
        double e0 = b * b, e1 = 4 * q * b, e2 = 4 * q * q - 2 * b, e3 = -4 * q, tq = 2 * q;
        c[0] = (v2d){e0 * b, e0 * tq + e1 * b} * w;
        c[1] = (v2d){-e0 + e1 * tq + e2 * b, -e1 + e2 * tq + e3 * b} * w;
        c[2] = (v2d){-e2 + e3 * tq + b, -e3 + tq} * w;
        c[3] = (v2d){-w, 1};
    }
}

static int ncoef(kde_kernel k)
{
    return k == KDE_UNIFORM ? 1 : k == KDE_EPANECHNIKOV ? 3 : k == KDE_QUARTIC ? 5 : 7;
}

/* floor for |x| < 2^31 without a libm call (SSE2 has no rounding instruction). */
static inline int ifloor(double x)
{
    int t = (int)x;
    return t - (x < t);
}

/* Geometry shared by the polynomial rows. */
typedef struct rowk {
    int nx, sh, bc, ioff;
    double H2, invH, invH2, half, off;
} rowk;

static rowk row_consts(const sweep *S)
{
    rowk K;
    K.nx = S->nx;
    K.sh = S->bshift;
    K.bc = 1 << K.sh;
    K.ioff = 2 * (int)ceil(S->R) + 4;
    K.off = K.ioff;
    K.H2 = S->H * S->H;
    K.invH = 1.0 / S->H;
    K.invH2 = 1.0 / K.H2;
    K.half = (K.bc - 1) * 0.5;
    return K;
}

/* Adds one point's run on one row, columns cs .. ce before clipping to the grid (a = rest / H^2
 * for rest = H^2 - dy^2 > 0), to that row's difference array. Each column holds NP = (NC + 1) / 2
 * pairs: the NC coefficients and the count of active points (exact in double), so that columns
 * no kernel reaches come out exactly 0 instead of a rounding residue. Blocks are 2^sh columns
 * wide. */
static inline __attribute__((always_inline)) void
add_run(const rowk *K, v2d *diff, const int NC, int cs, int ce, double a, double u, double w)
{
    const int NP = (NC + 1) / 2;
    if (cs < 0) cs = 0;
    if (ce > K->nx - 1) ce = K->nx - 1;
    if (cs > ce) return;
    v2d c[4];
    int blk1 = ce >> K->sh;
    for (int blk = cs >> K->sh; blk <= blk1; blk++) {
        int lo = blk << K->sh, hi = lo + K->bc - 1;
        double q = (u - (lo + K->half)) * K->invH;
        poly_coef(NC, a - q * q, q, w, c);
        int first = cs > lo ? cs : lo;
        v2d *d = diff + (size_t)first * NP;
        d[0] += c[0];
        if (NP > 1) d[1] += c[1];
        if (NP > 2) d[2] += c[2];
        if (NP > 3) d[3] += c[3];
        if (ce < hi) {
            d = diff + (size_t)(ce + 1) * NP;
            d[0] -= c[0];
            if (NP > 1) d[1] -= c[1];
            if (NP > 2) d[2] -= c[2];
            if (NP > 3) d[3] -= c[3];
        }
    }
}

/* The run of a point at column u on a row with rest = H^2 - dy^2 > 0: the columns with
 * (i - u)^2 < rest, floor(u - hw) + 1 .. floor(u + hw) for hw = sqrt(rest) (the last is the
 * edge itself only when u + hw is an integer, where every kernel but the uniform is 0).
 * u - hw > -2R - 1, so truncation after adding `off` is floor without a fix-up. */
static inline __attribute__((always_inline)) void scatter(const rowk *K, v2d *diff, const int NC,
                                                          double rest, double u, double w)
{
    double hw = sqrt(rest);
    int cs = (int)(u - hw + K->off) - K->ioff + 1, ce = (int)(u + hw + K->off) - K->ioff;
    add_run(K, diff, NC, cs, ce, rest * K->invH2, u, w);
}

#ifdef __SSE2__
/* scatter() on two rows at once (rest[r] for row r, diff + r * stride its difference array):
 * one sqrtpd and one conversion per run end for both rows. */
static inline __attribute__((always_inline)) void
scatter_pair(const rowk *K, v2d *diff, size_t stride, const int NC, v2d rest, double u, double w)
{
    const v2d zero = {0, 0};
    v2d hw = (v2d)_mm_sqrt_pd(_mm_max_pd((__m128d)rest, (__m128d)zero));
    v2d uo = (v2d){u, u} + K->off;
    __m128i lo = _mm_cvttpd_epi32((__m128d)(uo - hw)), hi = _mm_cvttpd_epi32((__m128d)(uo + hw));
    int cs0 = _mm_cvtsi128_si32(lo) - K->ioff + 1, ce0 = _mm_cvtsi128_si32(hi) - K->ioff;
    int cs1 = _mm_cvtsi128_si32(_mm_srli_si128(lo, 4)) - K->ioff + 1;
    int ce1 = _mm_cvtsi128_si32(_mm_srli_si128(hi, 4)) - K->ioff;
    v2d a = rest * K->invH2;
    if (rest[0] > 0) add_run(K, diff, NC, cs0, ce0, a[0], u, w);
    if (rest[1] > 0) add_run(K, diff + stride, NC, cs1, ce1, a[1], u, w);
}
#endif

/* Prefix-sums row j's difference array block by block, evaluates every cell and leaves diff
 * all zeros again. */
static inline __attribute__((always_inline)) void row_eval(const sweep *S, const rowk *K, int j,
                                                           v2d *diff, const int NC)
{
    const int NP = (NC + 1) / 2, nx = K->nx;
    size_t row = (size_t)j * nx;
    const v2d zero = {0, 0};
    for (int lo = 0; lo < nx; lo += K->bc) {
        int hi = lo + K->bc - 1;
        if (hi > nx - 1) hi = nx - 1;
        double o = lo + K->half;
        v2d acc[4] = {zero, zero, zero, zero};
        for (int i = lo; i <= hi; i++) {
            v2d *d = diff + (size_t)i * NP;
            for (int m = 0; m < NP; m++) {
                acc[m] += d[m];
                d[m] = zero;
            }
            if (acc[NP - 1][1] < 0.5) {
                /* No kernel reaches here: drop the rounding residue of the adds and subtracts. */
                for (int m = 0; m < NP; m++)
                    acc[m] = zero;
                put(S, row + (size_t)i, 0);
                continue;
            }
            double s = (i - o) * K->invH, val = 0;
            for (int m = NC - 1; m >= 0; m--)
                val = val * s + acc[m / 2][m % 2];
            put(S, row + (size_t)i, val * S->norm);
        }
    }
    /* Runs ending on the last column subtract at column nx: clear it. (A run ending on any
     * other block's last column writes no subtraction: the next block starts afresh.) */
    for (int m = 0; m < NP; m++)
        diff[(size_t)nx * NP + m] = zero;
}

/* Rows j .. j + nrows - 1 (nrows 1 to ROW_PASS) by the polynomial difference-array method, one
 * difference array per row (diff + r * (nx + 1) * NP, zeros on entry and exit). The rows share
 * one pass over the candidate points: the loads and the loop are paid once per point, and with
 * SSE2 one sqrtpd serves a pair of rows (about 10 % less CPU than a sqrtsd per row on the
 * 1,000,000-incident benchmark). The pass goes band by band (16 columns) across the row buckets,
 * not bucket by bucket: the runs' ends then move along the rows from west to east, so the
 * columns being written stay in the L1 cache even for ROW_PASS rows (bucket by bucket, each
 * bucket swept the rows' whole width; 8 rows band by band took about 10 % less CPU than 2 rows
 * bucket by bucket, and 4 or 16 rows less than 8). */
static inline __attribute__((always_inline)) void
rows_poly_nc(const sweep *S, int j, int nrows, v2d *diff, const int NC, const int UNIT)
{
    const int NP = (NC + 1) / 2;
    const rowk K = row_consts(S);
    const size_t stride = (size_t)(K.nx + 1) * NP;
    int b0 = (ifloor(j - S->R) - S->blo) / S->bh;
    int b1 = (ifloor(j + nrows - 1 + S->R) - S->blo) / S->bh;
    if (b0 < 0) b0 = 0;
    if (b1 > S->nb - 1) b1 = S->nb - 1;
    for (size_t c = 0; c < S->ncb; c++) {
        for (int b = b0; b <= b1; b++) {
            size_t p = S->kstart[(size_t)b * S->ncb + c];
            const size_t pend = S->kstart[(size_t)b * S->ncb + c + 1];
#ifdef __SSE2__
            for (; nrows == ROW_PASS && p < pend; p++) {
                const kpt *pt = &S->pts[p];
                v2d dy = (v2d){j, j + 1} - pt->v;
#pragma GCC unroll 8
                for (int r = 0; r < ROW_PASS; r += 2, dy += 2) {
                    v2d rest = K.H2 - dy * dy;
                    if (rest[0] > 0 || rest[1] > 0)
                        scatter_pair(&K, diff + r * stride, stride, NC, rest, pt->u,
                                     UNIT ? 1.0 : pt->w);
                }
            }
#endif
            for (; p < pend; p++) {
                const kpt *pt = &S->pts[p];
                double dy = j - pt->v;
                for (int r = 0; r < nrows; r++, dy += 1) {
                    double rest = K.H2 - dy * dy;
                    if (rest > 0)
                        scatter(&K, diff + r * stride, NC, rest, pt->u, UNIT ? 1.0 : pt->w);
                }
            }
        }
    }
    for (int r = 0; r < nrows; r++)
        row_eval(S, &K, j + r, diff + r * stride, NC);
}

/* rows_poly_nc() for S's kernel; with unit weights (every weight 1, as with --weight count) the
 * multiplications by the weight are compiled away (about 2.5 % less CPU, bench/kde_bench.c). */
static void rows_poly(const sweep *S, int j, int nrows, v2d *diff)
{
    int nc = ncoef(S->k);
    if (S->unit && nc == 5)
        rows_poly_nc(S, j, nrows, diff, 5, 1);
    else if (nc == 1)
        rows_poly_nc(S, j, nrows, diff, 1, 0);
    else if (nc == 3)
        rows_poly_nc(S, j, nrows, diff, 3, 0);
    else if (nc == 5)
        rows_poly_nc(S, j, nrows, diff, 5, 0);
    else
        rows_poly_nc(S, j, nrows, diff, 7, 0);
}

/* One row by direct evaluation over each point's run (triangular, Gaussian). acc: nx zeros. */
static void row_direct(const sweep *S, int j, double *acc)
{
    const int nx = S->nx;
    const double H = S->H, R2 = S->R * S->R, invH = 1.0 / H, inv2H2 = 0.5 / (H * H);
    int b0 = (ifloor(j - S->R) - S->blo) / S->bh, b1 = (ifloor(j + S->R) - S->blo) / S->bh;
    if (b0 < 0) b0 = 0;
    if (b1 > S->nb - 1) b1 = S->nb - 1;
    const size_t pend = S->kstart[(size_t)(b1 + 1) * S->ncb];
    for (size_t p = S->kstart[(size_t)b0 * S->ncb]; p < pend; p++) {
        const kpt *pt = &S->pts[p];
        double dy = j - pt->v, dy2 = dy * dy, rest = R2 - dy2;
        if (!(rest > 0)) continue;
        double hw = sqrt(rest), u = pt->u, w = pt->w;
        double fs = floor(u - hw) + 1, fe = ceil(u + hw) - 1;
        if (fs < 0) fs = 0;
        if (fe > nx - 1) fe = nx - 1;
        if (fs > fe) continue;
        int cs = (int)fs, ce = (int)fe;
        if (S->k == KDE_TRIANGULAR) {
            for (int i = cs; i <= ce; i++) {
                double dx = i - u;
                acc[i] += w * (1.0 - sqrt(dx * dx + dy2) * invH);
            }
        } else if (H < 4.0 || ce - cs < 8) {
            for (int i = cs; i <= ce; i++) {
                double dx = i - u;
                acc[i] += w * exp(-(dx * dx + dy2) * inv2H2);
            }
        } else {
            /* exp(-(d+1)^2 k) = exp(-d^2 k) exp(-(2d+1) k), k = 1/(2H^2); the factor itself
             * advances by exp(-2k) each step. H >= 4 keeps the first factor below exp(8). */
            double d0 = cs - u;
            double e = w * exp(-(d0 * d0 + dy2) * inv2H2);
            double g = exp(-(2 * d0 + 1) * inv2H2), gg = exp(-2 * inv2H2);
            for (int i = cs; i <= ce; i++) {
                acc[i] += e;
                e *= g;
                g *= gg;
            }
        }
    }
    size_t row = (size_t)j * nx;
    for (int i = 0; i < nx; i++) {
        put(S, row + (size_t)i, acc[i] * S->norm);
        acc[i] = 0;
    }
}

static void *sweep_thread(void *arg)
{
    sweep *S = arg;
    int poly = S->k != KDE_TRIANGULAR && S->k != KDE_GAUSSIAN;
    /* ROW_PASS rows' difference arrays; malloc's alignment (16 on x86-64 glibc) suits v2d. */
    v2d *pairs = poly ? calloc(ROW_PASS * (size_t)(S->nx + 1) * (size_t)((ncoef(S->k) + 1) / 2),
                               sizeof *pairs)
                      : NULL;
    double *buf = poly ? NULL : calloc((size_t)S->nx + 1, sizeof *buf);
    if (poly ? !pairs : !buf) {
        atomic_store(&S->failed, 1);
        free(pairs);
        free(buf);
        return NULL;
    }
    hz_cancel *prev = hz_cancel_enter(S->scope);
    for (;;) {
        if (hz_cancel_check()) atomic_store(&S->stopped, 1);
        int j0 = atomic_fetch_add(&S->next_row, ROW_CHUNK);
        if (j0 >= S->ny || atomic_load(&S->failed) || atomic_load(&S->stopped)) break;
        int j1 = j0 + ROW_CHUNK < S->ny ? j0 + ROW_CHUNK : S->ny;
        for (int j = j0; j < j1; j += poly ? ROW_PASS : 1) {
            if (poly)
                rows_poly(S, j, j + ROW_PASS <= j1 ? ROW_PASS : j1 - j, pairs);
            else
                row_direct(S, j, buf);
        }
    }
    hz_cancel_leave(prev);
    free(buf);
    free(pairs);
    return NULL;
}

/* Checks compute()'s arguments: the kernel, bandwidth, scale, grid geometry and points. */
static hz_status check_args(const hz_points *p, kde_kernel k, double h, double scale,
                            const kde_grid *g, const float *out, const double *outd, char *err,
                            size_t errlen)
{
    if (!p || !g || (!out && !outd)) return hz_fail(HZ_EINVAL, err, errlen, "kde: NULL argument");
    if ((int)k < 0 || (int)k > KDE_GAUSSIAN)
        return hz_fail(HZ_EINVAL, err, errlen, "kernel: unknown kernel %d", (int)k);
    if (!(h > 0) || !isfinite(h))
        return hz_fail(HZ_EINVAL, err, errlen, "bandwidth: must be a positive number of metres");
    if (!isfinite(scale)) return hz_fail(HZ_EINVAL, err, errlen, "kde: non-finite scale");
    if (!(g->cell > 0) || !isfinite(g->cell) || !isfinite(g->x0) || !isfinite(g->y1) ||
        g->nx <= 0 || g->ny <= 0 || (size_t)g->nx > SIZE_MAX / sizeof(float) / (size_t)g->ny)
        return hz_fail(HZ_EINVAL, err, errlen, "grid: bad geometry (cell %g, %d x %d)", g->cell,
                       g->nx, g->ny);
    double H = h / g->cell, R = k == KDE_GAUSSIAN ? 4.0 * H : H;
    if (R > 1e7) return hz_fail(HZ_EINVAL, err, errlen, "bandwidth: %g m is over 1e7 cells", h);
    for (size_t q = 0; q < p->n; q++) {
        double w = p->w ? p->w[q] : 1.0;
        if (!isfinite(p->x[q]) || !isfinite(p->y[q]) || !isfinite(w))
            return hz_fail(HZ_EINVAL, err, errlen,
                           "kde: point %zu has a non-finite coordinate or weight", q);
    }
    return HZ_OK;
}

/* The points of a sweep, in cell units, bucketed by row and band (sweep's pts, kstart, ncb, blo,
 * nb, bh); pts and kstart are owned by compute(). */
typedef struct buckets {
    kpt *pts;
    size_t m; /* points kept */
    size_t *kstart, ncb;
    int blo, nb, bh;
} buckets;

/* A counting sort of the points by key (row bucket, then 16-column band) on nt threads: pass 1
 * keys and counts each thread's contiguous share of the points, pass 2 places them. Thread t's
 * cursor for a key starts after the same key's points of threads 0 .. t-1, so the order (by
 * key, then input order) is the serial one whatever nt. */
typedef struct bucket_job {
    const hz_points *p;
    const kde_grid *g;
    double R;
    int rc, blo, bh;
    size_t ncb, nkeys;
    uint32_t *key;  /* per point: its key, or DROPPED */
    size_t *cursor; /* nt rows of nkeys: counts after pass 1, write positions in pass 2 */
    kpt *pts;
} bucket_job;

/* The key of a point left out (keys are below it: bucket_points() checks nkeys). */
static const uint32_t DROPPED = UINT32_MAX;

/* Point q in cell units; 0 when its weight is 0 or its support misses the grid. */
static inline int point_cells(const bucket_job *J, size_t q, kpt *out)
{
    const hz_points *p = J->p;
    const kde_grid *g = J->g;
    double wq = p->w ? p->w[q] : 1.0, R = J->R;
    double uq = (p->x[q] - g->x0) / g->cell - 0.5, vq = (g->y1 - p->y[q]) / g->cell - 0.5;
    if (wq == 0 || !(uq > -R && uq < g->nx - 1 + R && vq > -R && vq < g->ny - 1 + R)) return 0;
    *out = (kpt){uq, vq, wq};
    return 1;
}

static void bucket_keys(void *ctx, size_t lo, size_t hi, int tid)
{
    bucket_job *J = ctx;
    size_t *count = J->cursor + (size_t)tid * J->nkeys;
    for (size_t q = lo; q < hi; q++) {
        kpt k;
        if (!point_cells(J, q, &k)) {
            J->key[q] = DROPPED;
            continue;
        }
        size_t b = (size_t)(((int)floor(k.v) - J->blo) / J->bh);
        size_t cb = J->ncb > 1 ? (size_t)(((int)floor(k.u) + J->rc + 1) >> 4) : 0;
        assert(b * J->ncb + cb < J->nkeys); /* the lattice's buckets cover the support */
        J->key[q] = (uint32_t)(b * J->ncb + cb);
        count[J->key[q]]++;
    }
}

static void bucket_place(void *ctx, size_t lo, size_t hi, int tid)
{
    bucket_job *J = ctx;
    size_t *cur = J->cursor + (size_t)tid * J->nkeys;
    for (size_t q = lo; q < hi; q++) {
        kpt k;
        if (J->key[q] != DROPPED && point_cells(J, q, &k)) J->pts[cur[J->key[q]]++] = k;
    }
}

/* Keeps the points whose support (radius R cells) meets the grid, bucketed by row and, within a
 * row bucket, by 16-column band (one counting sort on up to nthreads threads), so that a row's
 * points touch its difference array in ascending columns, bucket after bucket (locality of the
 * scattered writes). */
static hz_status bucket_points(const hz_points *p, const kde_grid *g, double R, int nthreads,
                               buckets *B, char *err, size_t errlen)
{
    int rc = (int)ceil(R);
    if (g->nx > INT_MAX / 2 - 2 * rc - 16 || g->ny > INT_MAX / 2 - 2 * rc - 16)
        return hz_fail(HZ_EINVAL, err, errlen, "grid: %d x %d cells is too large", g->nx, g->ny);
    B->blo = -rc - 1;
    /* Buckets about R/4 rows tall: a row reads ~10 buckets (their points beyond the reach,
     * ~10 %, are skipped by the distance test). */
    B->bh = rc / 4 > 1 ? rc / 4 : 1;
    B->nb = (g->ny + 2 * rc + 3) / B->bh + 1;
    size_t ncb = (size_t)((g->nx + 2 * rc + 3) >> 4) + 1;
    if ((double)B->nb * (double)ncb > 8e6) ncb = 1; /* huge bandwidths: rows only */
    size_t n = p->n, nkeys = (size_t)B->nb * ncb;
    /* One count row per thread; a single thread when the rows would outweigh the points. */
    int nt = nkeys <= n / 8 ? par_threads(nthreads) : 1;
    bucket_job J = {
        .p = p, .g = g, .R = R, .rc = rc, .blo = B->blo, .bh = B->bh, .ncb = ncb, .nkeys = nkeys};
    J.key = malloc((n ? n : 1) * sizeof *J.key);
    J.cursor = calloc((size_t)nt * nkeys, sizeof *J.cursor);
    B->pts = malloc((n ? n : 1) * sizeof *B->pts);
    B->ncb = ncb;
    B->kstart = malloc((nkeys + 1) * sizeof *B->kstart);
    hz_status st = HZ_OK;
    if (!J.key || !J.cursor || !B->pts || !B->kstart || nkeys >= (size_t)UINT32_MAX) {
        st = hz_fail(HZ_ENOMEM, err, errlen, "kde: out of memory for %zu points", n);
        goto done;
    }
    par_for(n, nt, bucket_keys, &J);
    /* Counts to cursors, key by key and, within a key, thread by thread. */
    size_t m = 0;
    for (size_t kk = 0; kk < nkeys; kk++) {
        B->kstart[kk] = m;
        for (int t = 0; t < nt; t++) {
            size_t c = J.cursor[(size_t)t * nkeys + kk];
            J.cursor[(size_t)t * nkeys + kk] = m;
            m += c;
        }
    }
    B->kstart[nkeys] = m;
    J.pts = B->pts;
    par_for(n, nt, bucket_place, &J);
    B->m = m;
done:
    free(J.key);
    free(J.cursor);
    return st;
}

/* Blocks of a power of two of columns (a shift, not a division, finds a column's block): about
 * 4h wide (|s| <= ~2.8, |q| <= ~3.8: fewer runs split across blocks), about 2h for the degree-6
 * triweight whose cancellation grows faster with |q|. Both keep the error within the
 * brute-force test's bound (tests/check_kde.c). Returns the shift for bandwidth H cells. */
static int block_shift(kde_kernel k, double H, int nx)
{
    double bw = k == KDE_TRIWEIGHT ? 2.8 * H : 5.6 * H;
    int shift = 0;
    while (shift < 30 && (1 << (shift + 1)) <= bw && (1 << shift) < nx)
        shift++;
    return shift;
}

/* Sweeps S's rows on nthreads threads (0 = one per core; at most 64 and one per row chunk),
 * the caller's among them. */
static void run_sweep(sweep *S, int nthreads)
{
    if (nthreads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = nc > 0 ? (int)nc : 1;
    }
    if (nthreads > 64) nthreads = 64;
    if (nthreads > (S->ny + ROW_CHUNK - 1) / ROW_CHUNK)
        nthreads = (S->ny + ROW_CHUNK - 1) / ROW_CHUNK;
    pthread_t tid[64];
    int started = 0;
    for (int t = 1; t < nthreads; t++) {
        if (pthread_create(&tid[started], NULL, sweep_thread, S) != 0) break;
        started++;
    }
    sweep_thread(S);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
}

static int all_ones(const double *w, size_t n)
{
    for (size_t q = 0; q < n; q++)
        if (w[q] != 1.0) return 0;
    return 1;
}

/* kde_compute() into out, or kde_compute_f64() into outd: checks, buckets the points and sweeps
 * the rows (or zeros the grid when no point reaches it); the buckets are freed here. */
static hz_status compute(const hz_points *p, kde_kernel k, double h, double scale,
                         const kde_grid *g, int nthreads, float *out, double *outd, char *err,
                         size_t errlen)
{
    hz_status st = check_args(p, k, h, scale, g, out, outd, err, errlen);
    if (st != HZ_OK) return st;
    assert(!out != !outd); /* exactly one of out, outd (check_args() refuses neither) */
    double H = h / g->cell, R = k == KDE_GAUSSIAN ? 4.0 * H : H;
    buckets B = {0};
    st = bucket_points(p, g, R, nthreads, &B, err, errlen);
    if (st == HZ_OK && B.m == 0) {
        /* No point reaches the grid. Otherwise the sweep writes every cell (so the grid is not
         * zeroed first, and its pages are first touched by the sweep's threads). */
        if (out)
            memset(out, 0, (size_t)g->nx * (size_t)g->ny * sizeof *out);
        else
            memset(outd, 0, (size_t)g->nx * (size_t)g->ny * sizeof *outd);
    } else if (st == HZ_OK) {
        sweep S = {.pts = B.pts,
                   .kstart = B.kstart,
                   .ncb = B.ncb,
                   .blo = B.blo,
                   .nb = B.nb,
                   .bh = B.bh,
                   .k = k,
                   .unit = !p->w || all_ones(p->w, p->n),
                   .H = H,
                   .R = R,
                   .norm = kernel_c[k] / (h * h) * scale,
                   .nx = g->nx,
                   .ny = g->ny,
                   .bshift = block_shift(k, H, g->nx),
                   .out = out,
                   .outd = outd};
        atomic_init(&S.next_row, 0);
        atomic_init(&S.failed, 0);
        atomic_init(&S.stopped, 0);
        S.scope = hz_cancel_current();
        run_sweep(&S, nthreads);
        if (atomic_load(&S.failed))
            st = hz_fail(HZ_ENOMEM, err, errlen, "kde: out of memory for row buffers");
        else if (atomic_load(&S.stopped))
            st = hz_cancel_status(err, errlen);
    }
    free(B.pts);
    free(B.kstart);
    return st;
}

hz_status kde_compute(const hz_points *p, kde_kernel k, double h, double scale, const kde_grid *g,
                      int nthreads, float *out, char *err, size_t errlen)
{
    return compute(p, k, h, scale, g, nthreads, out, NULL, err, errlen);
}

hz_status kde_compute_f64(const hz_points *p, kde_kernel k, double h, double scale,
                          const kde_grid *g, int nthreads, double *out, char *err, size_t errlen)
{
    return compute(p, k, h, scale, g, nthreads, NULL, out, err, errlen);
}

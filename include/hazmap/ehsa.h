/* ehsa.h - the Mann-Kendall trend test and the 17 pattern categories of emerging hot spot
 * analysis (ArcGIS Pro, "How Emerging Hot Spot Analysis works").
 *
 * A location of a space-time cube has one Gi* z-score and one significance per time step; its
 * pattern (new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating or
 * historical; hot or cold; or none) follows from that series and from the Mann-Kendall trend of
 * its z-scores. Where the documentation's wording leaves a choice, ehsa.c says which reading it
 * takes, and EMERGING.md lists each rule beside R sfdep's.
 *
 * Thread-safety: every function is reentrant and allocates nothing. */
#ifndef HAZMAP_EHSA_H
#define HAZMAP_EHSA_H

#include <stddef.h>

/* ---- Mann-Kendall ---- */

/* Mann (1945), Kendall (1975): S = sum over i < j of sign(x_j - x_i); Var(S) with the tie
 * correction (n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)) / 18; z = (S - sign S) /
 * sqrt(Var S) (continuity correction), 0 when S = 0; p two-sided normal. As R's
 * cor.test(seq_along(x), x, method = "kendall", exact = FALSE, continuity = TRUE). */
typedef struct mk_result {
    size_t n;     /* values used (NaN values are left out) */
    double s;     /* Kendall's S */
    double var_s; /* Var(S), tie-corrected */
    double z;     /* continuity-corrected z; 0 when S = 0 or Var(S) = 0 */
    double p;     /* two-sided p of z; 1 when n < 3 or Var(S) = 0 */
    double tau;   /* Kendall's tau-b against time (ties in x only); 0 when all values are equal */
} mk_result;

/* The test on x[0..n-1] in time order. O(n^2); n may be 0 (x may then be NULL). out is
 * overwritten. n = 2 gives z = 0 and p = 1 (R's cor.test returns NA there). */
void mk_test(const double *x, size_t n, mk_result *out);

/* ---- the 17 patterns ---- */

typedef enum ehsa_pattern {
    EHSA_NONE = 0,
    EHSA_NEW_HOT,
    EHSA_CONSECUTIVE_HOT,
    EHSA_INTENSIFYING_HOT,
    EHSA_PERSISTENT_HOT,
    EHSA_DIMINISHING_HOT,
    EHSA_SPORADIC_HOT,
    EHSA_OSCILLATING_HOT,
    EHSA_HISTORICAL_HOT,
    EHSA_NEW_COLD,
    EHSA_CONSECUTIVE_COLD,
    EHSA_INTENSIFYING_COLD,
    EHSA_PERSISTENT_COLD,
    EHSA_DIMINISHING_COLD,
    EHSA_SPORADIC_COLD,
    EHSA_OSCILLATING_COLD,
    EHSA_HISTORICAL_COLD,
    EHSA_NPATTERNS /* 17 */
} ehsa_pattern;

/* One location's series over n time steps, oldest first: z[t] its Gi* z-score and sig[t] 1
 * where the bin is statistically significant (hot when z > 0, cold when z < 0, neither when z is
 * 0 or NaN), 0 elsewhere. trend is the Mann-Kendall test of z[0..n-1] (NULL: no trend);
 * trend_alpha the level at which its p makes a trend significant (p <= trend_alpha). n >= 1. */
ehsa_pattern ehsa_classify(const double *z, const unsigned char *sig, size_t n,
                           const mk_result *trend, double trend_alpha);

/* Machine name ("new_hot", ..., "no_pattern"), English label ("New Hot Spot", ..., "No
 * Pattern Detected"), Chinese label ("新热点", ...), and ArcGIS's conventional fill colour
 * ("#rrggbb"). Borrowed; never NULL for a valid pattern. */
const char *ehsa_pattern_name(ehsa_pattern p);
const char *ehsa_pattern_label(ehsa_pattern p);
const char *ehsa_pattern_label_zh(ehsa_pattern p);
const char *ehsa_pattern_colour(ehsa_pattern p);

/* Parses a machine name; 0 on success, -1 unknown or NULL (then *out is left alone). The four
 * functions above return NULL for a value outside 0 .. EHSA_NPATTERNS - 1. */
int ehsa_pattern_parse(const char *name, ehsa_pattern *out);

#endif

/* disclosure.h - what the public may learn: the one home of the disclosure rules.
 *
 * Injury records are health data. Every public answer goes through these rules; planners get a
 * zeroed policy, under which nothing is hidden or raised. The rules:
 *   1. Primary suppression: an aggregate counting fewer than min_count incidents is hidden
 *      (disc_hidden()); so is everything derived from it (rates, intervals, ratios).
 *   2. Complementary suppression: counts nested in a tree (an area's count is its children's
 *      plus its own direct incidents) would give a hidden child back as parent minus visible
 *      children, so every ancestor of a hidden row is hidden too, up to the root
 *      (disc_suppress_tree()).
 *   3. Totals: where any row is hidden, totals and counts from which it could be recomputed by
 *      subtraction (incidents, noise, ratios over all rows) are left out (disc_total_shown()).
 *   4. Floors: a density bandwidth under min_bandwidth, a density or hot-spot cell under
 *      min_cell, a hot-spot band under min_band is raised to the floor (a finer surface could
 *      pin a single incident); the raise is said in the provenance by the analysis.
 *   5. Minimum selection: no density surface (map, tile, download) of fewer than min_count
 *      incidents (disc_too_few()): a surface of a handful shows where each one happened.
 *   6. Statistical release (release.h): a noisy count whose noisy value is under min_count is
 *      withheld (rule 1 judged on the noisy value only, disc_release_withheld()). The cells of
 *      a release's density grid are not: each carries its own noise, a public surface smooths
 *      them with a bandwidth of at least min_bandwidth (rule 4), and withholding the small ones
 *      would erase the low-density background (on the sample, a 300 m map from 100 m cells
 *      withheld under 10 correlates with the true map at r = 0.85 even without noise).
 * Rules 1-5 limit what one live answer reveals; they do not stop differencing across many
 * answers over arbitrary filters. The release's noise does (PRIVACY.md).
 *
 * Plain data, pure functions: thread-safe. */
#ifndef HAZMAP_DISCLOSURE_H
#define HAZMAP_DISCLOSURE_H

#include <stddef.h>
#include <stdint.h>

#define DISC_PUBLIC_MIN_CELL 100.0 /* metres: density and hot-spot cells */
#define DISC_PUBLIC_MIN_BAND 300.0 /* metres: hot-spot band (or min_bandwidth if larger) */

/* A policy. All zero = the planners' (nothing hidden, no floors). Plain struct: copy freely. */
typedef struct disc_policy {
    int min_count;        /* aggregates counting fewer incidents are hidden; 0 = none */
    double min_bandwidth; /* density bandwidth floor, metres; 0 = none */
    double min_cell;      /* density and hot-spot cell floor, metres; 0 = none */
    double min_band;      /* hot-spot distance band floor, metres; 0 = none */
} disc_policy;

/* The public's policy for a configured min_count and bandwidth floor: cells of at least
 * DISC_PUBLIC_MIN_CELL, bands of at least max(DISC_PUBLIC_MIN_BAND, min_bandwidth). */
disc_policy disc_public(int min_count, double min_bandwidth);

/* 1 if any rule applies (a public policy), else 0. */
int disc_restricts(const disc_policy *p);

/* Rule 1: 1 if an aggregate of `count` incidents is hidden. p may be NULL (nothing hidden). */
int disc_hidden(const disc_policy *p, long count);

/* Rules 1 and 2 over n rows: count[i] and parent[i] (the row holding row i's enclosing
 * aggregate, or -1). Sets hidden[i] (n bytes) to 1 for hidden rows, 0 otherwise, and returns
 * 1 if any row is hidden. Parent chains longer than 64 are cut (they would be cycles). */
int disc_suppress_tree(const disc_policy *p, size_t n, const long *count, const long *parent,
                       char *hidden);

/* Rule 3: 1 if totals may be shown next to rows of which any_hidden says whether one is. */
int disc_total_shown(const disc_policy *p, int any_hidden);

/* Rule 4: the value to use for a requested bandwidth, cell or band (metres). */
double disc_bandwidth(const disc_policy *p, double requested);
double disc_cell(const disc_policy *p, double requested);
double disc_band(const disc_policy *p, double requested);

/* Rule 5: 1 if a density surface of n incidents may not be shown. */
int disc_too_few(const disc_policy *p, size_t n);

/* Rule 6: 1 if a cell of a statistical release with this noisy value is withheld; density_grid
 * is 1 for a cell of a density grid (never withheld), 0 for a count. */
int disc_release_withheld(const disc_policy *p, int density_grid, long noisy);

#endif

/* ehsa.c - the Mann-Kendall trend test and the 17 emerging hot spot patterns.
 *
 * A location's series is n time steps, oldest first. Step t is a hot bin when sig[t] and
 * z[t] > 0, a cold bin when sig[t] and z[t] < 0 (a NaN z is neither). The pattern follows from
 * four facts about the series: the number of hot bins h, of cold bins c, the state of the final
 * step, and the length of the run of hot (or cold) bins that ends at the final step; plus the
 * direction and significance of the Mann-Kendall trend of z.
 *
 * Invariants (asserted): h + c <= n; a final run is no longer than the count of its kind; every
 * location whose final step is hot (cold) gets a hot (cold) pattern unless it is a historical
 * spot of the other kind. */
#include "hazmap/ehsa.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* ---- Mann-Kendall ---- */

static double sign_of(double d)
{
    return (d > 0) - (d < 0);
}

void mk_test(const double *x, size_t n, mk_result *out)
{
    assert(out && (x || n == 0));
    memset(out, 0, sizeof *out);
    out->p = 1.0;
    double m = 0, s = 0, ties = 0, tie_pairs = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) continue;
        m++;
        /* t = size of x[i]'s tie group, counted once, at the group's first member. */
        int first = 1;
        double t = 1;
        for (size_t j = 0; j < n; j++) {
            if (isnan(x[j]) || j == i) continue;
            if (j > i) s += sign_of(x[j] - x[i]);
            if (x[j] == x[i]) {
                t++;
                if (j < i) first = 0;
            }
        }
        if (first && t > 1) {
            ties += t * (t - 1) * (2 * t + 5);
            tie_pairs += t * (t - 1) / 2;
        }
    }
    out->n = (size_t)m;
    out->s = s;
    /* Kendall 1975, eq. 4.3 with ties in x only (time has none). */
    out->var_s = (m * (m - 1) * (2 * m + 5) - ties) / 18;
    double pairs = m * (m - 1) / 2;
    assert(tie_pairs <= pairs && fabs(s) <= pairs - tie_pairs);
    if (pairs - tie_pairs > 0) out->tau = s / sqrt(pairs * (pairs - tie_pairs));
    if (out->var_s <= 0 || s == 0) return;
    out->z = (s - sign_of(s)) / sqrt(out->var_s);
    if (m >= 3) out->p = erfc(fabs(out->z) / sqrt(2.0));
}

/* ---- the patterns ---- */

/* Names, labels and fills, indexed by pattern.
 *
 * Fills: ArcGIS Pro draws the output with hatched and dotted fills over a few hues, so no one
 * solid colour is "the" ArcGIS colour. The first four hot fills below are the solid fills
 * of a published Emerging Hot Spot Analysis output, the uniqueValueInfos of
 * https://services7.arcgis.com/mbC97TSabuNgCnce/ArcGIS/rest/services/Chicago/FeatureServer/6
 * (field PATTERN; New [203,8,0], Consecutive [189,109,94], Intensifying [224,23,9], Persistent
 * [133,20,0]). The other hot fills are ours, in the same red family and lighter the weaker the
 * pattern; every cold fill is its hot twin with red and blue swapped. No pattern is a light grey,
 * as ArcGIS leaves such locations unfilled or grey. */
static const struct pattern_info {
    const char *name, *label, *label_zh, *colour;
} patterns[EHSA_NPATTERNS] = {
    [EHSA_NONE] = {"no_pattern", "No Pattern Detected", "未检测到模式", "#e6e6e6"},
    [EHSA_NEW_HOT] = {"new_hot", "New Hot Spot", "新热点", "#cb0800"},
    [EHSA_CONSECUTIVE_HOT] = {"consecutive_hot", "Consecutive Hot Spot", "连续热点", "#bd6d5e"},
    [EHSA_INTENSIFYING_HOT] = {"intensifying_hot", "Intensifying Hot Spot", "加剧热点", "#e01709"},
    [EHSA_PERSISTENT_HOT] = {"persistent_hot", "Persistent Hot Spot", "持续热点", "#851400"},
    [EHSA_DIMINISHING_HOT] = {"diminishing_hot", "Diminishing Hot Spot", "减弱热点", "#f4a582"},
    [EHSA_SPORADIC_HOT] = {"sporadic_hot", "Sporadic Hot Spot", "零星热点", "#fac8b4"},
    [EHSA_OSCILLATING_HOT] = {"oscillating_hot", "Oscillating Hot Spot", "振荡热点", "#d6604d"},
    [EHSA_HISTORICAL_HOT] = {"historical_hot", "Historical Hot Spot", "历史热点", "#bfa7a1"},
    [EHSA_NEW_COLD] = {"new_cold", "New Cold Spot", "新冷点", "#0008cb"},
    [EHSA_CONSECUTIVE_COLD] = {"consecutive_cold", "Consecutive Cold Spot", "连续冷点", "#5e6dbd"},
    [EHSA_INTENSIFYING_COLD] = {"intensifying_cold", "Intensifying Cold Spot", "加剧冷点",
                                "#0917e0"},
    [EHSA_PERSISTENT_COLD] = {"persistent_cold", "Persistent Cold Spot", "持续冷点", "#001485"},
    [EHSA_DIMINISHING_COLD] = {"diminishing_cold", "Diminishing Cold Spot", "减弱冷点", "#82a5f4"},
    [EHSA_SPORADIC_COLD] = {"sporadic_cold", "Sporadic Cold Spot", "零星冷点", "#b4c8fa"},
    [EHSA_OSCILLATING_COLD] = {"oscillating_cold", "Oscillating Cold Spot", "振荡冷点", "#4d60d6"},
    [EHSA_HISTORICAL_COLD] = {"historical_cold", "Historical Cold Spot", "历史冷点", "#a1a7bf"},
};

_Static_assert(EHSA_NPATTERNS == 17, "ArcGIS defines 17 patterns, no pattern included");
_Static_assert(EHSA_NEW_COLD - EHSA_NEW_HOT == 8 && EHSA_HISTORICAL_COLD - EHSA_HISTORICAL_HOT == 8,
               "each cold pattern is its hot twin + 8");

/* The counts one side (hot: side = +1, cold: side = -1) of a series. */
typedef struct side_counts {
    size_t count;     /* bins of this kind */
    size_t final_run; /* length of the run of this kind that ends at the final step (0 if none) */
    size_t other;     /* bins of the opposite kind */
} side_counts;

static int bin_kind(const double *z, const unsigned char *sig, size_t t)
{
    if (!sig[t]) return 0;
    return z[t] > 0 ? 1 : z[t] < 0 ? -1 : 0;
}

static side_counts count_side(const double *z, const unsigned char *sig, size_t n, int side)
{
    side_counts k = {0, 0, 0};
    int in_run = 1;
    for (size_t t = n; t-- > 0;) {
        int b = bin_kind(z, sig, t);
        if (b == side) k.count++;
        if (b == -side) k.other++;
        if (in_run && b == side)
            k.final_run++;
        else
            in_run = 0;
    }
    assert(k.final_run <= k.count && k.count + k.other <= n);
    return k;
}

/* "90 percent of the time-step intervals", read as at least 90 %: 9 of 10 steps qualify, 8 of
 * 10 do not; with fewer than 10 steps it means every step. Integer arithmetic, so 9/10 is not
 * at the mercy of 0.9's binary rounding. */
static int ninety_percent(size_t count, size_t n)
{
    return 10 * count >= 9 * n;
}

/* The pattern of a location whose final step is a bin of kind side (+1 hot, -1 cold). The
 * returned value is the hot pattern; the caller adds 8 for the cold twin. Rules after ArcGIS Pro,
 * "How Emerging Hot Spot Analysis works",
 * https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm
 * (its current definitions table; EMERGING.md says which editions we read and has each rule
 * beside the documentation's gist and R sfdep's code). Readings where the wording leaves a choice:
 *  - 90 percent is >= 0.9 n (ninety_percent above), of bins of this kind.
 *  - Intensifying, persistent and diminishing all need the final step to be of this kind:
 *    the documentation says so for intensifying and diminishing; for persistent we read it
 *    so because a location that is not hot now but was hot >= 90 % of the time is exactly the
 *    historical pattern, which the caller has already taken.
 *  - Trend: significant when p <= trend_alpha. For hot spots, intensifying is a rising z and
 *    diminishing a falling z; for cold spots the documentation calls the clustering of low
 *    values intensifying when it grows, i.e. z falling (more negative), diminishing when z
 *    rises. A significant trend with z = 0 (possible only with trend_alpha >= 1) is no trend.
 *  - Oscillating (a bin of the other kind at some earlier step, < 90 %) is checked before new,
 *    consecutive and sporadic: new and consecutive only forbid earlier bins of the same kind,
 *    sporadic forbids the other kind, and a change of sign is the information worth keeping.
 *  - New: the final step is the only bin of this kind. Consecutive: the bins of this kind are
 *    exactly one run of >= 2 steps ending at the final step, < 90 % of steps.
 *  - Sporadic ("on-and-off"): a bin of this kind before the final run, so at least one
 *    non-hot step between them; < 90 %; no bin of the other kind. Whatever has a final bin of
 *    this kind and is none of the others is therefore sporadic. */
static ehsa_pattern classify_final(const side_counts *k, size_t n, int trend_dir)
{
    assert(k->final_run >= 1);
    if (ninety_percent(k->count, n)) {
        if (trend_dir > 0) return EHSA_INTENSIFYING_HOT;
        if (trend_dir < 0) return EHSA_DIMINISHING_HOT;
        return EHSA_PERSISTENT_HOT;
    }
    if (k->other > 0) return EHSA_OSCILLATING_HOT;
    if (k->count == k->final_run) return k->count == 1 ? EHSA_NEW_HOT : EHSA_CONSECUTIVE_HOT;
    return EHSA_SPORADIC_HOT;
}

ehsa_pattern ehsa_classify(const double *z, const unsigned char *sig, size_t n,
                           const mk_result *trend, double trend_alpha)
{
    assert(z && sig && n >= 1);
    if (!z || !sig || n == 0) return EHSA_NONE;
    side_counts hot = count_side(z, sig, n, 1), cold = count_side(z, sig, n, -1);
    assert(hot.count == cold.other && cold.count == hot.other);
    /* Historical first: "the most recent time period is not hot, but at least 90 percent of
     * the time-step intervals have been statistically significant hot spots". This holds even
     * when the final step is a cold bin: a location hot in 9 of 10 steps and cold in the
     * last is a historical hot spot, not an oscillating cold spot. */
    if (hot.final_run == 0 && ninety_percent(hot.count, n)) return EHSA_HISTORICAL_HOT;
    if (cold.final_run == 0 && ninety_percent(cold.count, n)) return EHSA_HISTORICAL_COLD;
    /* The sign of the trend of z, 0 when it is not significant (or absent). */
    int up = 0;
    if (trend && trend->p <= trend_alpha) up = (int)sign_of(trend->z);
    if (hot.final_run > 0) return classify_final(&hot, n, up);
    if (cold.final_run > 0)
        return (ehsa_pattern)(classify_final(&cold, n, -up) + (EHSA_NEW_COLD - EHSA_NEW_HOT));
    return EHSA_NONE;
}

/* ---- names ---- */

static const struct pattern_info *info_of(ehsa_pattern p)
{
    return (unsigned)p < EHSA_NPATTERNS ? &patterns[p] : NULL;
}

const char *ehsa_pattern_name(ehsa_pattern p)
{
    const struct pattern_info *i = info_of(p);
    return i ? i->name : NULL;
}

const char *ehsa_pattern_label(ehsa_pattern p)
{
    const struct pattern_info *i = info_of(p);
    return i ? i->label : NULL;
}

const char *ehsa_pattern_label_zh(ehsa_pattern p)
{
    const struct pattern_info *i = info_of(p);
    return i ? i->label_zh : NULL;
}

const char *ehsa_pattern_colour(ehsa_pattern p)
{
    const struct pattern_info *i = info_of(p);
    return i ? i->colour : NULL;
}

int ehsa_pattern_parse(const char *name, ehsa_pattern *out)
{
    if (!name) return -1;
    for (int p = 0; p < EHSA_NPATTERNS; p++) {
        if (strcmp(name, patterns[p].name) == 0) {
            if (out) *out = (ehsa_pattern)p;
            return 0;
        }
    }
    return -1;
}

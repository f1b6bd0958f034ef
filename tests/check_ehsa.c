/* check_ehsa.c - tests of the Mann-Kendall test (against R) and of the 17 emerging hot spot
 * patterns (one table of hand-made series, each also run as its cold mirror image). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/ehsa.h"

/* ---- Mann-Kendall against R (tests/data/mannkendall, see SOURCE.md there) ---- */

#define MAX_SERIES 32
#define MAX_VALUES 64

typedef struct series {
    char id[32];
    size_t n;
    double x[MAX_VALUES];
} series;

/* One number of a CSV field; R's "NA" is NaN. */
static double parse_num(const char *s, char **end)
{
    if (strncmp(s, "NA", 2) == 0 && (s[2] == ',' || s[2] == '\n' || s[2] == '\0')) {
        *end = (char *)s + 2;
        return NAN;
    }
    return strtod(s, end);
}

/* Reads series.csv (id,value in time order) into s; returns the number of series or -1. */
static int read_series(const char *path, series *s)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int ns = 0;
    if (!fgets(line, sizeof line, f)) ns = -1;
    while (ns >= 0 && fgets(line, sizeof line, f)) {
        char *comma = strchr(line, ',');
        if (!comma) continue;
        *comma = '\0';
        if (ns == 0 || strcmp(s[ns - 1].id, line) != 0) {
            if (ns == MAX_SERIES) {
                ns = -1;
                break;
            }
            size_t len = strlen(line);
            if (len >= sizeof s[ns].id) {
                ns = -1;
                break;
            }
            memcpy(s[ns].id, line, len + 1);
            s[ns++].n = 0;
        }
        series *cur = &s[ns - 1];
        char *end;
        double v = parse_num(comma + 1, &end);
        if (end == comma + 1 || cur->n == MAX_VALUES) {
            ns = -1;
            break;
        }
        cur->x[cur->n++] = v;
    }
    fclose(f);
    return ns;
}

/* Compares got with R's want: NaN want (R's NA) means our documented fallback. */
static void expect_near(const char *id, const char *what, double got, double want, double fallback)
{
    if (isnan(want)) want = fallback;
    double tol = 1e-9 * fmax(1.0, fabs(want)); /* relative for large values, absolute near 0 */
    if (fabs(want) < 1e-3 && want != 0) tol = 1e-9 * fabs(want); /* small p: relative */
    if (!(fabs(got - want) <= tol))
        ck_abort_msg("%s: %s = %.17g, R says %.17g", id, what, got, want);
}

START_TEST(test_mk_matches_r)
{
    static series s[MAX_SERIES];
    int ns = read_series("data/mannkendall/series.csv", s);
    ck_assert_int_ge(ns, 12);
    FILE *f = fopen("data/mannkendall/reference.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "id,n,s,var_s,z,p,tau\n");
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char *comma = strchr(line, ',');
        ck_assert_ptr_nonnull(comma);
        *comma = '\0';
        ck_assert_int_lt(rows, ns);
        ck_assert_str_eq(line, s[rows].id); /* same order as series.csv */
        double ref[6];
        char *p = comma + 1;
        for (int c = 0; c < 6; c++) {
            char *end;
            ref[c] = parse_num(p, &end);
            ck_assert_ptr_ne(end, p);
            p = end + (*end == ',');
        }
        mk_result r;
        mk_test(s[rows].x, s[rows].n, &r);
        ck_assert_uint_eq(r.n, (size_t)ref[0]);
        ck_assert_double_eq(r.s, ref[1]); /* an integer: exact */
        expect_near(line, "var_s", r.var_s, ref[2], NAN);
        /* R has no z or p for n = 2 or for equal values; ours are z = 0, p = 1, tau = 0. */
        expect_near(line, "z", r.z, ref[3], 0.0);
        expect_near(line, "p", r.p, ref[4], 1.0);
        expect_near(line, "tau", r.tau, ref[5], 0.0);
        rows++;
    }
    fclose(f);
    ck_assert_int_eq(rows, ns);
}
END_TEST

START_TEST(test_mk_degenerate)
{
    mk_result r;
    mk_test(NULL, 0, &r);
    ck_assert_uint_eq(r.n, 0);
    ck_assert_double_eq(r.z, 0);
    ck_assert_double_eq(r.p, 1);
    const double one[1] = {3.0}, nans[3] = {NAN, NAN, 1.0};
    mk_test(one, 1, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_double_eq(r.var_s, 0);
    ck_assert_double_eq(r.p, 1);
    mk_test(nans, 3, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_double_eq(r.p, 1);
    /* S = 3 for 1 < 2 < 4: tau 1, z = 2 / sqrt(11/3) */
    const double up[3] = {1, 2, 4};
    mk_test(up, 3, &r);
    ck_assert_double_eq(r.s, 3);
    ck_assert_double_eq_tol(r.z, 2 / sqrt(11.0 / 3), 1e-15);
    ck_assert_double_eq_tol(r.tau, 1, 1e-15);
}
END_TEST

/* ---- classification table ---- */

#define ALPHA 0.05
#define NO_FORCE -1.0

/* One hand-made location: z-scores and significance flags ('1' significant), oldest first; the
 * trend is mk_test of z unless force_p >= 0, when it is (force_z, force_p). Every row is also
 * run as its mirror image (z negated), which must give the cold twin of want (or none). */
typedef struct row {
    const char *what;
    const char *z;
    const char *sig;
    double force_z, force_p;
    ehsa_pattern want;
} row;

static const row rows[] = {
    {"never significant", "0.5 -0.3 0.8 0.1 -0.6 0.4 0.2 -0.1 0.7 0.3", "0000000000", 0, NO_FORCE,
     EHSA_NONE},
    {"new: one hot step, the last", "0.2 0.5 -0.3 0.4 0.1 0.6 -0.2 0.3 0.5 2.9", "0000000001", 0,
     NO_FORCE, EHSA_NEW_HOT},
    {"consecutive: run of 3 at the end", "0.2 0.5 -0.3 0.4 0.1 0.6 -0.2 2.1 2.4 2.8", "0000000111",
     0, NO_FORCE, EHSA_CONSECUTIVE_HOT},
    {"consecutive: run of 2 at the end, never hot before",
     "0.2 0.5 -0.3 0.4 0.1 0.6 -0.2 0.3 2.4 2.8", "0000000011", 0, NO_FORCE, EHSA_CONSECUTIVE_HOT},
    {"intensifying: 9 of 10 hot, final hot, z rising", "1.2 2.0 2.2 2.5 2.7 3.0 3.4 3.6 4.1 4.5",
     "0111111111", 0, NO_FORCE, EHSA_INTENSIFYING_HOT},
    {"persistent: hot throughout, no trend", "3.1 2.6 3.4 2.8 3.0 2.7 3.3 2.9 3.2 2.8",
     "1111111111", 0, NO_FORCE, EHSA_PERSISTENT_HOT},
    {"diminishing: hot throughout, z falling", "4.8 4.5 4.1 3.9 3.5 3.2 2.9 2.6 2.3 2.0",
     "1111111111", 0, NO_FORCE, EHSA_DIMINISHING_HOT},
    {"sporadic: on and off, final hot, never cold", "2.4 0.3 0.1 2.2 0.5 -0.2 0.4 2.6 0.3 2.5",
     "1001000101", 0, NO_FORCE, EHSA_SPORADIC_HOT},
    {"oscillating: final hot, cold earlier", "-2.3 -2.1 0.2 0.4 2.2 0.3 -0.1 0.5 2.4 2.6",
     "1100100011", 0, NO_FORCE, EHSA_OSCILLATING_HOT},
    {"historical: 9 of 10 hot, final not significant", "2.8 3.0 2.9 3.1 2.7 3.2 2.6 3.0 2.9 0.4",
     "1111111110", 0, NO_FORCE, EHSA_HISTORICAL_HOT},
    /* boundaries */
    {"exactly 90 %: 9 of 10 hot, final hot, no trend", "3.0 2.7 3.2 2.9 0.4 3.1 2.8 3.0 2.9 3.1",
     "1111011111", 0, NO_FORCE, EHSA_PERSISTENT_HOT},
    {"just below 90 %: 8 of 10 hot is not persistent but sporadic",
     "3.0 2.7 0.4 2.9 0.4 3.1 2.8 3.0 2.9 3.1", "1101011111", 0, NO_FORCE, EHSA_SPORADIC_HOT},
    {"final step change: rising and hot 9 of 10, final not significant -> historical",
     "2.0 2.2 2.5 2.7 3.0 3.2 3.5 3.8 4.0 4.3", "1111111110", 0, NO_FORCE, EHSA_HISTORICAL_HOT},
    {"9 hot, then a cold final step: historical hot, not oscillating cold",
     "3.0 2.8 3.1 2.9 3.2 2.7 3.0 2.9 3.1 -2.4", "1111111111", 0, NO_FORCE, EHSA_HISTORICAL_HOT},
    {"single hot step in the middle: sporadic needs a hot final step -> none",
     "0.2 0.5 -0.3 0.4 2.6 0.6 -0.2 0.3 0.5 0.1", "0000100000", 0, NO_FORCE, EHSA_NONE},
    {"n = 5, hot but the last: under 90 % hot, so not historical -> none", "2.5 2.6 2.4 2.7 0.3",
     "11110", 0, NO_FORCE, EHSA_NONE},
    {"new but cold before: oscillating wins", "-2.2 0.1 0.3 -0.2 0.4 0.2 0.1 0.3 0.2 2.5",
     "1000000001", 0, NO_FORCE, EHSA_OSCILLATING_HOT},
    {"consecutive but cold before: oscillating wins", "-2.2 0.1 0.3 -0.2 0.4 0.2 0.1 0.3 2.2 2.5",
     "1000000011", 0, NO_FORCE, EHSA_OSCILLATING_HOT},
    {"90 % hot with one cold step: persistent, not oscillating (trend forced flat)",
     "-2.0 2.8 3.1 2.9 3.2 2.7 3.0 2.9 3.1 2.8", "1111111111", 0.5, 0.6, EHSA_PERSISTENT_HOT},
    {"trend p exactly alpha is significant", "3.1 2.6 3.4 2.8 3.0 2.7 3.3 2.9 3.2 2.8",
     "1111111111", 1.96, ALPHA, EHSA_INTENSIFYING_HOT},
    {"trend p just above alpha is not", "3.1 2.6 3.4 2.8 3.0 2.7 3.3 2.9 3.2 2.8", "1111111111",
     1.96, ALPHA * 1.0000001, EHSA_PERSISTENT_HOT},
    {"a NaN z with its flag set is no bin", "0.3 nan 0.2 0.4 0.1 0.5 -0.2 0.3 0.1 2.5",
     "0100000001", 0, NO_FORCE, EHSA_NEW_HOT},
    {"n = 1, hot: 100 % of steps -> persistent (no trend from one value)", "2.5", "1", 0, NO_FORCE,
     EHSA_PERSISTENT_HOT},
    {"n = 2, hot at the end only -> new", "0.3 2.5", "01", 0, NO_FORCE, EHSA_NEW_HOT},
};

/* The cold twin of a hot pattern and the reverse; none stays none. */
static ehsa_pattern mirror_of(ehsa_pattern p)
{
    if (p == EHSA_NONE) return p;
    return p < EHSA_NEW_COLD ? p + (EHSA_NEW_COLD - EHSA_NEW_HOT)
                             : p - (EHSA_NEW_COLD - EHSA_NEW_HOT);
}

static ehsa_pattern run_row(const row *r, int mirror, size_t *n_out)
{
    double z[MAX_VALUES];
    unsigned char sig[MAX_VALUES];
    size_t n = strlen(r->sig);
    ck_assert_uint_le(n, MAX_VALUES);
    const char *p = r->z;
    for (size_t t = 0; t < n; t++) {
        char *end;
        z[t] = strtod(p, &end);
        ck_assert_msg(end != p, "%s: too few z values", r->what);
        p = end;
        if (mirror) z[t] = -z[t];
        sig[t] = r->sig[t] == '1';
    }
    ck_assert_msg(strspn(p, " ") == strlen(p), "%s: too many z values", r->what);
    mk_result trend;
    mk_test(z, n, &trend);
    if (r->force_p >= 0) {
        trend.z = mirror ? -r->force_z : r->force_z;
        trend.p = r->force_p;
    }
    *n_out = n;
    return ehsa_classify(z, sig, n, &trend, ALPHA);
}

START_TEST(test_classify_table)
{
    int seen[EHSA_NPATTERNS] = {0};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        for (int mirror = 0; mirror < 2; mirror++) {
            size_t n;
            ehsa_pattern got = run_row(&rows[i], mirror, &n);
            ehsa_pattern want = mirror ? mirror_of(rows[i].want) : rows[i].want;
            if (got != want)
                ck_abort_msg("%s%s: got %s, want %s", rows[i].what, mirror ? " (mirrored)" : "",
                             ehsa_pattern_name(got), ehsa_pattern_name(want));
            seen[want]++;
        }
    }
    for (int p = 0; p < EHSA_NPATTERNS; p++)
        ck_assert_msg(seen[p] > 0, "no row expects %s", ehsa_pattern_name((ehsa_pattern)p));
}
END_TEST

START_TEST(test_classify_trend_directions)
{
    /* The computed trends of the table's trend rows point where the rows assume. */
    const double up[10] = {1.2, 2.0, 2.2, 2.5, 2.7, 3.0, 3.4, 3.6, 4.1, 4.5};
    const double flat[10] = {3.1, 2.6, 3.4, 2.8, 3.0, 2.7, 3.3, 2.9, 3.2, 2.8};
    mk_result r;
    mk_test(up, 10, &r);
    ck_assert(r.z > 0 && r.p <= ALPHA);
    mk_test(flat, 10, &r);
    ck_assert(r.p > ALPHA);
    /* Without a trend (NULL) the 90 % patterns are persistent. */
    const unsigned char sig[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    ck_assert_int_eq(ehsa_classify(up, sig, 10, NULL, ALPHA), EHSA_PERSISTENT_HOT);
    /* Cold: z falling (more negative) is intensifying, rising is diminishing. */
    double down[10];
    for (int t = 0; t < 10; t++)
        down[t] = -up[t];
    mk_test(down, 10, &r);
    ck_assert_int_eq(ehsa_classify(down, sig, 10, &r, ALPHA), EHSA_INTENSIFYING_COLD);
    double rising_cold[10];
    for (int t = 0; t < 10; t++)
        rising_cold[t] = -up[9 - t];
    mk_test(rising_cold, 10, &r);
    ck_assert_int_eq(ehsa_classify(rising_cold, sig, 10, &r, ALPHA), EHSA_DIMINISHING_COLD);
}
END_TEST

/* ---- names ---- */

START_TEST(test_names_round_trip)
{
    static const char *zh[EHSA_NPATTERNS] = {
        "未检测到模式", "新热点",   "连续热点", "加剧热点", "持续热点", "减弱热点",
        "零星热点",     "振荡热点", "历史热点", "新冷点",   "连续冷点", "加剧冷点",
        "持续冷点",     "减弱冷点", "零星冷点", "振荡冷点", "历史冷点"};
    for (int i = 0; i < EHSA_NPATTERNS; i++) {
        ehsa_pattern p = (ehsa_pattern)i, back = EHSA_NPATTERNS;
        const char *name = ehsa_pattern_name(p);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(ehsa_pattern_parse(name, &back), 0);
        ck_assert_int_eq(back, p);
        ck_assert_str_eq(ehsa_pattern_label_zh(p), zh[i]);
        const char *label = ehsa_pattern_label(p), *colour = ehsa_pattern_colour(p);
        ck_assert_ptr_nonnull(label);
        ck_assert_ptr_nonnull(strstr(label, i == 0  ? "No Pattern"
                                            : i < 9 ? "Hot Spot"
                                                    : "Cold Spot"));
        ck_assert_uint_eq(strlen(colour), 7);
        ck_assert_int_eq(colour[0], '#');
        ck_assert_uint_eq(strspn(colour + 1, "0123456789abcdef"), 6);
        for (int j = 0; j < i; j++) {
            ck_assert_str_ne(name, ehsa_pattern_name((ehsa_pattern)j));
            ck_assert_str_ne(label, ehsa_pattern_label((ehsa_pattern)j));
            ck_assert_str_ne(colour, ehsa_pattern_colour((ehsa_pattern)j));
        }
    }
    ehsa_pattern keep = EHSA_NEW_HOT;
    ck_assert_int_eq(ehsa_pattern_parse("new hot spot", &keep), -1);
    ck_assert_int_eq(ehsa_pattern_parse("", &keep), -1);
    ck_assert_int_eq(ehsa_pattern_parse(NULL, &keep), -1);
    ck_assert_int_eq(keep, EHSA_NEW_HOT); /* untouched on failure */
    ck_assert_ptr_null(ehsa_pattern_name(EHSA_NPATTERNS));
    ck_assert_ptr_null(ehsa_pattern_colour((ehsa_pattern)-1));
    ck_assert_str_eq(ehsa_pattern_name(EHSA_NONE), "no_pattern");
    ck_assert_str_eq(ehsa_pattern_label(EHSA_HISTORICAL_COLD), "Historical Cold Spot");
}
END_TEST

Suite *ehsa_suite(void)
{
    Suite *s = suite_create("ehsa");
    TCase *tc = tcase_create("ehsa");
    tcase_add_test(tc, test_mk_matches_r);
    tcase_add_test(tc, test_mk_degenerate);
    tcase_add_test(tc, test_classify_table);
    tcase_add_test(tc, test_classify_trend_directions);
    tcase_add_test(tc, test_names_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

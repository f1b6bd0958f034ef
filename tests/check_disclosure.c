/* check_disclosure.c - the disclosure policy (geo/disclosure.c): primary and complementary
 * suppression against a brute-force reading of the rules on random area trees, totals, floors
 * and the minimum selection. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/disclosure.h"

START_TEST(test_primary_and_policies)
{
    disc_policy pub = disc_public(10, 300), none;
    memset(&none, 0, sizeof none);
    ck_assert(disc_hidden(&pub, 9));
    ck_assert(!disc_hidden(&pub, 10));
    ck_assert(disc_hidden(&pub, 0));
    ck_assert(!disc_hidden(&none, 0));
    ck_assert(!disc_hidden(NULL, 0));
    ck_assert(disc_restricts(&pub));
    ck_assert(!disc_restricts(&none));
    ck_assert(!disc_restricts(NULL));
    /* floors: cells of 100 m, bands of max(300, min_bandwidth) */
    ck_assert_double_eq(pub.min_cell, 100);
    ck_assert_double_eq(pub.min_band, 300);
    ck_assert_double_eq(disc_public(10, 450).min_band, 450);
    ck_assert_double_eq(disc_bandwidth(&pub, 50), 300);
    ck_assert_double_eq(disc_bandwidth(&pub, 500), 500);
    ck_assert_double_eq(disc_bandwidth(&pub, NAN), 300);
    ck_assert_double_eq(disc_bandwidth(&none, 50), 50);
    ck_assert_double_eq(disc_bandwidth(NULL, 50), 50);
    ck_assert_double_eq(disc_cell(&pub, 25), 100);
    ck_assert_double_eq(disc_cell(&pub, 250), 250);
    ck_assert_double_eq(disc_band(&pub, 120), 300);
    /* totals and the minimum selection */
    ck_assert(disc_total_shown(&pub, 0));
    ck_assert(!disc_total_shown(&pub, 1));
    ck_assert(disc_total_shown(&none, 1));
    ck_assert(disc_too_few(&pub, 9));
    ck_assert(!disc_too_few(&pub, 10));
    ck_assert(!disc_too_few(&none, 0));
    /* a negative configuration is no minimum */
    ck_assert(!disc_hidden(&(disc_policy){.min_count = -5}, 0));
    ck_assert_int_eq(disc_public(-5, -1).min_count, 0);
}
END_TEST

/* The district of the README: a hidden sub-district hides the district, whose count minus the
 * visible sub-districts would otherwise give it back. */
START_TEST(test_complementary_district)
{
    /* 0 district (3 + 20 + 15 + 2 direct = 40), 1..3 sub-districts, 4 a community of 2 */
    long count[5] = {40, 3, 20, 15, 12};
    long parent[5] = {-1, 0, 0, 0, 3};
    char hidden[5];
    disc_policy pub = disc_public(10, 300);
    ck_assert_int_eq(disc_suppress_tree(&pub, 5, count, parent, hidden), 1);
    ck_assert_int_eq(hidden[1], 1); /* primary */
    ck_assert_int_eq(hidden[0], 1); /* complementary */
    ck_assert_int_eq(hidden[2], 0);
    ck_assert_int_eq(hidden[3], 0);
    ck_assert_int_eq(hidden[4], 0);
    /* a hidden community hides its sub-district and the district */
    count[1] = 30;
    count[4] = 4;
    ck_assert_int_eq(disc_suppress_tree(&pub, 5, count, parent, hidden), 1);
    ck_assert(hidden[4] && hidden[3] && hidden[0] && !hidden[1] && !hidden[2]);
    /* nothing under the minimum: nothing hidden */
    count[4] = 10;
    ck_assert_int_eq(disc_suppress_tree(&pub, 5, count, parent, hidden), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(hidden[i], 0);
    /* planners: nothing hidden whatever the counts */
    count[4] = 1;
    ck_assert_int_eq(disc_suppress_tree(NULL, 5, count, parent, hidden), 0);
    /* a cycle in the parents does not hang */
    long cyc[2] = {1, 0};
    long c2[2] = {1, 50};
    ck_assert_int_eq(disc_suppress_tree(&pub, 2, c2, cyc, hidden), 1);
    ck_assert(hidden[0] && hidden[1]);
}
END_TEST

/* Random forests: the result equals the rules read literally - a row is hidden iff its own
 * count is under the minimum or some row below it is - computed by brute force over every
 * (row, descendant) pair. */
START_TEST(test_complementary_random)
{
    enum { N = 60 };
    uint64_t seed = 99;
    disc_policy pub = disc_public(10, 300);
    for (int trial = 0; trial < 300; trial++) {
        long count[N], parent[N];
        char hidden[N];
        for (int i = 0; i < N; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            parent[i] = i == 0 || (seed >> 60) == 0 ? -1 : (long)((seed >> 20) % (uint64_t)i);
            count[i] = (long)((seed >> 33) % 30);
        }
        int any = disc_suppress_tree(&pub, N, count, parent, hidden);
        int want_any = 0;
        for (int i = 0; i < N; i++) {
            int want = count[i] < 10;
            for (int j = 0; j < N && !want; j++) { /* is i an ancestor of a primary row j? */
                if (count[j] >= 10) continue;
                for (long a = parent[j]; a >= 0; a = parent[a])
                    if (a == i) want = 1;
            }
            want_any |= want;
            ck_assert_msg(hidden[i] == want, "trial %d row %d: hidden %d, rules say %d", trial, i,
                          hidden[i], want);
        }
        ck_assert_int_eq(any, want_any);
    }
}
END_TEST

/* Rule 6: a release's count cells are withheld on their noisy value under min_count; its density
 * grid cells never are, negative ones included; planners' (zero) policy withholds nothing. */
START_TEST(test_release_withheld)
{
    disc_policy pub = disc_public(10, 300);
    ck_assert(disc_release_withheld(&pub, 0, 9));
    ck_assert(disc_release_withheld(&pub, 0, -3));
    ck_assert(!disc_release_withheld(&pub, 0, 10));
    ck_assert(!disc_release_withheld(&pub, 1, 9));
    ck_assert(!disc_release_withheld(&pub, 1, -3));
    ck_assert(!disc_release_withheld(&(disc_policy){0}, 0, -3));
    ck_assert(!disc_release_withheld(NULL, 0, 0));
}
END_TEST

Suite *disclosure_suite(void)
{
    Suite *s = suite_create("disclosure");
    TCase *tc = tcase_create("disclosure");
    tcase_add_test(tc, test_primary_and_policies);
    tcase_add_test(tc, test_complementary_district);
    tcase_add_test(tc, test_complementary_random);
    tcase_add_test(tc, test_release_withheld);
    suite_add_tcase(s, tc);
    return s;
}

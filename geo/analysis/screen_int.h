/* screen_int.h - the parts of network screening shared by its files (screen.h); not public.
 *
 * screen.c runs the stages: assignment -> grouping (crashes by site, a section's by position)
 * -> tallies -> SPFs (screen_spf.c) -> EB and sliding windows (screen_window.c) -> rule screen
 * (screen_rules.c) -> ranking. Output: screen_json.c. */
#ifndef HAZMAP_SCREEN_INT_H
#define HAZMAP_SCREEN_INT_H

#include "hazmap/screen.h"

/* Fits the SPFs that spf does not already hold (available 0) on the site table: per junction
 * its count jc[j] and degree, per section its count sc[s], length and class; offset ln(years).
 * A part that cannot be fitted keeps available 0 with the reason in its note. HZ_ENOMEM only. */
hz_status screen_spf_fit(const roadsites *rs, const int64_t *jc, const int64_t *sc, double years,
                         int min_class_sites, screen_spf *spf, char *err, size_t errlen);

/* EB of obs crashes against a prediction per year pred_year over years (NaN: none). */
screen_eb screen_eb_of(double obs, double pred_year, double years, double k);

/* The worst window of a section of this length and class whose crash positions are
 * pos[0..m-1] (ascending): sets the site's win0, win1, win_count, win_eb, nwindows. */
void screen_worst_window(const screen_spf_model *m, const char *cls, double years, double window,
                         double step, const double *pos, size_t m_, screen_site *site);

/* One crash of a site as the rule screen sees it. */
typedef struct screen_rcrash {
    double pos;
    int64_t t;
    int32_t month; /* local calendar month, year * 12 + month - 1 */
    uint8_t severity;
} screen_rcrash;

/* The local (+08:00) calendar month index of t. */
int32_t screen_month(int64_t t);

/* The rule screen of one site: its dated crashes c[0..m-1] ascending by position (all 0 for a
 * junction); tmp has room for 2 m. Fills hit[SCREEN_RULES]. */
void screen_rules_site(const screen_rcrash *c, size_t m, const screen_opts *o, screen_rcrash *tmp,
                       screen_rule_hit *hit);

#endif

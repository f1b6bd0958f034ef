/* screen_window.c - the sliding window along a section and the EB figures of a site or window
 * (screen.h, "Sliding window"; ebayes.h).
 *
 * The window counts come from the crash positions, ascending, with two indices that only move
 * forward: the windows' starts and ends both increase, so all windows of a section cost
 * O(windows + crashes). */
#include "screen_int.h"

#include <assert.h>
#include <math.h>

#include "hazmap/ebayes.h"

size_t screen_window_count(double length, double window, double step)
{
    if (!(length > window)) return 1;
    /* starts 0, step, ... while start + window < length, then one ending at length */
    size_t n = (size_t)ceil((length - window) / step);
    while (n > 0 && (double)(n - 1) * step + window >= length)
        n--; /* rounding */
    return n + 1;
}

void screen_window_bounds(double length, double window, double step, size_t i, double *a, double *b)
{
    size_t n = screen_window_count(length, window, step);
    assert(i < n);
    if (n == 1) {
        *a = 0, *b = length;
    } else if (i + 1 == n) {
        *a = length - window, *b = length;
    } else {
        *a = (double)i * step, *b = *a + window;
    }
}

screen_eb screen_eb_of(double obs, double pred_year, double years, double k)
{
    screen_eb e = {NAN, k, NAN, NAN, NAN};
    if (!isfinite(pred_year) || !(years > 0)) return e;
    ebayes_result r;
    if (ebayes_site(obs, pred_year * years, k, &r) != HZ_OK) return e;
    return (screen_eb){r.pred, k, r.w, r.expected, r.excess};
}

void screen_worst_window(const screen_spf_model *m, const char *cls, double years, double window,
                         double step, const double *pos, size_t m_, screen_site *site)
{
    double length = site->length;
    size_t nw = screen_window_count(length, window, step), lo = 0, hi = 0;
    int have = 0;
    for (size_t i = 0; i < nw; i++) {
        double a, b;
        screen_window_bounds(length, window, step, i, &a, &b);
        while (lo < m_ && pos[lo] < a)
            lo++;
        if (hi < lo) hi = lo;
        while (hi < m_ && pos[hi] <= b)
            hi++;
        int64_t cnt = (int64_t)(hi - lo);
        screen_eb e = screen_eb_of((double)cnt, screen_spf_section(m, b - a, cls), years, m->k);
        int better;
        if (!have)
            better = 1;
        else if (!isnan(e.excess) && !isnan(site->win_eb.excess))
            better = e.excess > site->win_eb.excess;
        else
            better = isnan(e.excess) && cnt > site->win_count;
        if (better) {
            site->win0 = a, site->win1 = b, site->win_count = cnt, site->win_eb = e;
            have = 1;
        }
    }
    site->nwindows = nw;
}

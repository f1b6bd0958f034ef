/* disclosure.c - the disclosure rules of the public portal (see disclosure.h). */
#include "hazmap/disclosure.h"

#include <assert.h>
#include <math.h>
#include <string.h>

disc_policy disc_public(int min_count, double min_bandwidth)
{
    disc_policy p;
    p.min_count = min_count > 0 ? min_count : 0;
    p.min_bandwidth = min_bandwidth > 0 ? min_bandwidth : 0;
    p.min_cell = DISC_PUBLIC_MIN_CELL;
    p.min_band = fmax(DISC_PUBLIC_MIN_BAND, p.min_bandwidth);
    return p;
}

int disc_restricts(const disc_policy *p)
{
    return p && (p->min_count > 0 || p->min_bandwidth > 0 || p->min_cell > 0 || p->min_band > 0);
}

int disc_hidden(const disc_policy *p, long count)
{
    return p && p->min_count > 0 && count < p->min_count;
}

int disc_suppress_tree(const disc_policy *p, size_t n, const long *count, const long *parent,
                       char *hidden)
{
    memset(hidden, 0, n);
    int any = 0;
    for (size_t i = 0; i < n; i++)
        if (disc_hidden(p, count[i])) hidden[i] = 1, any = 1;
    if (!any) return 0;
    /* Ancestors of every primarily hidden row. Marking an ancestor never creates a new primary
     * row, so one pass over the primaries suffices. */
    for (size_t i = 0; i < n; i++) {
        if (!disc_hidden(p, count[i])) continue;
        long a = parent[i];
        for (int depth = 0; a >= 0 && (size_t)a < n && depth < 64; depth++) {
            hidden[a] = 1;
            a = parent[a];
        }
    }
#ifndef NDEBUG
    /* invariant: no shown row has a hidden child */
    for (size_t i = 0; i < n; i++)
        assert(!hidden[i] || parent[i] < 0 || (size_t)parent[i] >= n || hidden[parent[i]]);
#endif
    return 1;
}

int disc_total_shown(const disc_policy *p, int any_hidden)
{
    return !(p && p->min_count > 0 && any_hidden);
}

static double floor_to(double requested, double floor)
{
    return floor > 0 && !(requested >= floor) ? floor : requested;
}

double disc_bandwidth(const disc_policy *p, double requested)
{
    return p ? floor_to(requested, p->min_bandwidth) : requested;
}

double disc_cell(const disc_policy *p, double requested)
{
    return p ? floor_to(requested, p->min_cell) : requested;
}

double disc_band(const disc_policy *p, double requested)
{
    return p ? floor_to(requested, p->min_band) : requested;
}

int disc_too_few(const disc_policy *p, size_t n)
{
    return p && p->min_count > 0 && n < (size_t)p->min_count;
}

int disc_release_withheld(const disc_policy *p, int density_grid, long noisy)
{
    return !density_grid && disc_hidden(p, noisy);
}

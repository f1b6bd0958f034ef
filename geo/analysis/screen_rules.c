/* screen_rules.c - the rule screen for 事故多发点段 (screen.h, "Rule screen").
 *
 * A set of crashes fits a stretch of at most L metres when its positions span at most L, and
 * P consecutive months when its month indices differ by less than P. If some T qualifying
 * crashes fit both, then the one of them with the lowest position anchors a block - the crashes
 * with positions in [pos, pos + L] - that holds all T, and in that block sorted by month some T
 * consecutive crashes span no more months than they do. So it suffices to slide a run of T over
 * each anchor's block sorted by month. An anchor whose block ends where the previous one's did
 * holds a subset of it and is skipped; the search stops at the first witness. */
#include "screen_int.h"

#include <stdlib.h>
#include <string.h>

#include "hazmap/hztime.h"

int32_t screen_month(int64_t t)
{
    int64_t l = t + HZ_TZ_SHANGHAI;
    int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int y, m, d;
    hztime_civil_from_days(days, &y, &m, &d);
    return (int32_t)(y * 12 + m - 1);
}

static int cmp_month(const void *a, const void *b)
{
    const screen_rcrash *p = a, *q = b;
    if (p->month != q->month) return p->month < q->month ? -1 : 1;
    if (p->t != q->t) return p->t < q->t ? -1 : 1;
    return p->pos < q->pos ? -1 : p->pos > q->pos;
}

static int qualifies(int rule, uint8_t sev)
{
    switch (rule) {
    case SCREEN_RULE_FATAL:
        return sev == HZ_SEV_FATAL;
    case SCREEN_RULE_SERIOUS:
        return sev == HZ_SEV_FATAL || sev == HZ_SEV_SERIOUS;
    default:
        return 1;
    }
}

/* The first run of need crashes of q[0..m) (sorted by month) within months; fills *hit. */
static int slide(const screen_rcrash *q, size_t m, int need, int months, screen_rule_hit *hit)
{
    for (size_t k = 0; k + (size_t)need <= m; k++) {
        const screen_rcrash *first = &q[k], *last = &q[k + (size_t)need - 1];
        if (last->month - first->month >= months) continue;
        double p0 = first->pos, p1 = first->pos;
        for (size_t i = k; i < k + (size_t)need; i++) {
            p0 = q[i].pos < p0 ? q[i].pos : p0;
            p1 = q[i].pos > p1 ? q[i].pos : p1;
        }
        *hit = (screen_rule_hit){1, need, first->t, last->t, p0, p1};
        return 1;
    }
    return 0;
}

/* One rule over the site's crashes; sub and blk are scratch of m entries each. */
static void one_rule(const screen_rcrash *c, size_t m, int rule, int need, const screen_opts *o,
                     screen_rcrash *sub, screen_rule_hit *hit)
{
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        if (qualifies(rule, c[i].severity)) sub[n++] = c[i];
    if (need <= 0 || n < (size_t)need) return;
    screen_rcrash *blk = sub + n; /* the rest of the scratch */
    size_t prev_end = 0;
    for (size_t i = 0, j = 0; i + (size_t)need <= n; i++) {
        if (j < i) j = i;
        while (j < n && sub[j].pos - sub[i].pos <= o->rule_length)
            j++;
        if (j - i < (size_t)need || (i > 0 && j == prev_end)) {
            prev_end = j;
            continue;
        }
        prev_end = j;
        memcpy(blk, sub + i, (j - i) * sizeof *blk);
        qsort(blk, j - i, sizeof *blk, cmp_month);
        if (slide(blk, j - i, need, o->rule_months, hit)) return;
    }
}

void screen_rules_site(const screen_rcrash *c, size_t m, const screen_opts *o, screen_rcrash *tmp,
                       screen_rule_hit *hit)
{
    const int need[SCREEN_RULES] = {o->rule_fatal, o->rule_serious, o->rule_any};
    for (int r = 0; r < SCREEN_RULES; r++) {
        hit[r] = (screen_rule_hit){0};
        one_rule(c, m, r, need[r], o, tmp, &hit[r]);
    }
}

/* report.c - the quarterly diagnosis report (report.h): the sections in order, one function each,
 * written into a memory stream. */
#include "hazmap/report.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hazmap/blackspots.h"
#include "hazmap/colorramp.h"
#include "hazmap/hotspots.h"
#include "hazmap/hztime.h"
#include "hazmap/poisson.h"
#include "hazmap/rates.h"
#include "hazmap/release.h"
#include "hazmap/reportmap.h"
#include "hazmap/screen.h"
#include "hazmap/vocab.h"
#include "hazmap/wgroups.h"

enum { TOP = 10, MAP_W = 640, MAP_H = 480, MAX_MONTHS = 1200 };
#define HOT_CELL 200.0 /* metres: the public's hot-spot squares (PRIVACY.md) */
#define HOT_BAND 500.0

/* The map labels of the tables' ranks. */
static const char *const RANK[TOP] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
#define TZ_S (8 * 3600)

/* The state of one report. Invariant: o is the open memory stream of the page; c->g is NULL
 * exactly when the report is the district's (or a group selecting every incident). */
typedef struct rctx {
    const report_inputs *in;
    const wgroup *g;
    FILE *o;
    int en;
    int64_t q_from, q_to; /* the quarter */
    int64_t p_from, p_to; /* the same quarter a year before */
    int64_t y_from;       /* the four quarters ending with it: [y_from, q_to) */
    int64_t population;   /* the top-level areas' together; -1 unknown */
    tilerender *tr;       /* in->tr or own_tr */
    tilerender *own_tr;
    int min_count; /* public: the larger of the caller's and the release's */
    char *err;
    size_t errlen;
} rctx;

#define T(ZH, EN) (c->en ? (EN) : (ZH))

/* ---- pure helpers ---------------------------------------------------------------------- */

hz_status report_parse_quarter(const char *text, int *quarter, char *err, size_t errlen)
{
    int q;
    if (!text || rel_parse_quarter(text, &q, err, errlen) != HZ_OK || q / 4 < 1900 || q / 4 > 2999)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "quarter: '%s' is not a quarter such as 2014Q2 (years 1900-2999)",
                       text ? text : "");
    *quarter = q;
    return HZ_OK;
}

/* First instant of local calendar month m (year * 12 + month - 1). */
static int64_t month_start(int m)
{
    return hztime_days_from_civil(m / 12, m % 12 + 1, 1) * 86400 - TZ_S;
}

void report_quarter_bounds(int quarter, int64_t *from, int64_t *to)
{
    *from = month_start(quarter * 3);
    *to = month_start(quarter * 3 + 3);
}

/* Local calendar month index of time t. */
static int month_of(int64_t t)
{
    int64_t d = t + TZ_S;
    d = (d - ((d % 86400) + 86400) % 86400) / 86400;
    int y, m, dd;
    hztime_civil_from_days(d, &y, &m, &dd);
    return y * 12 + m - 1;
}

void report_seasonal_baseline(const double *counts, size_t n, double *baseline)
{
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        int k = 0;
        for (size_t j = i; j >= 12; j -= 12)
            if (!isnan(counts[j - 12])) {
                sum += counts[j - 12];
                k++;
            }
        baseline[i] = k ? sum / k : NAN;
    }
}

/* ---- HTML output ----------------------------------------------------------------------- */

static void esc(FILE *o, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '&':
            fputs("&amp;", o);
            break;
        case '<':
            fputs("&lt;", o);
            break;
        case '>':
            fputs("&gt;", o);
            break;
        case '"':
            fputs("&quot;", o);
            break;
        default:
            fputc(*s, o);
        }
}

/* A count, marked for checking (report.h). */
static void count_html(FILE *o, int64_t n)
{
    fprintf(o, "<span class=\"n\" data-n=\"%lld\">%lld</span>", (long long)n, (long long)n);
}

static void num(FILE *o, double v, int digits)
{
    if (isfinite(v))
        fprintf(o, "%.*f", digits, v);
    else
        fputs("—", o);
}

/* "rate (lo–hi)" */
static void rate_ci(FILE *o, double rate, double lo, double hi)
{
    num(o, rate, 1);
    if (isfinite(lo) && isfinite(hi)) fprintf(o, " <small>(%.1f–%.1f)</small>", lo, hi);
}

static void base64(FILE *o, const unsigned char *p, size_t n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        fputc(A[v >> 18 & 63], o);
        fputc(A[v >> 12 & 63], o);
        fputc(i + 1 < n ? A[v >> 6 & 63] : '=', o);
        fputc(i + 2 < n ? A[v & 63] : '=', o);
    }
}

static const char CSS[] =
    "body{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;margin:2em auto;"
    "max-width:52em;color:#222;line-height:1.45}h1{font-size:1.6em;border-bottom:3px solid "
    "#b30000}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc;page-break-after:"
    "avoid}table{border-collapse:collapse;margin:.5em 0;font-size:.9em}td,th{border:1px solid "
    "#bbb;padding:.2em .5em;text-align:right}th{background:#f2f2f2}td.l,th.l{text-align:left}"
    ".big{font-size:1.4em;font-weight:bold}.note{color:#555;font-size:.85em}.withheld{color:"
    "#888}img.map{width:100%;max-width:640px;border:1px solid #999;page-break-inside:avoid}"
    "section{page-break-inside:auto}small{color:#555}";

static void head(rctx *c, const char *title)
{
    FILE *o = c->o;
    fprintf(o, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">",
            T("zh-CN", "en"));
    fputs("<title>", o);
    esc(o, title);
    fprintf(o, "</title><style>%s</style></head><body>\n<h1>", CSS);
    esc(o, title);
    fputs("</h1>\n", o);
}

static const char *group_name(const rctx *c)
{
    if (!c->g) return T("全区", "The whole district");
    return c->en ? c->g->name_en : c->g->name_zh;
}

static void quarter_label(const rctx *c, int q, char *buf, size_t n)
{
    if (c->en)
        snprintf(buf, n, "%dQ%d", q / 4, q % 4 + 1);
    else
        snprintf(buf, n, "%d年第%d季度", q / 4, q % 4 + 1);
}

/* ---- the group's selection ------------------------------------------------------------- */

static hz_status group_filter(const rctx *c, int with_group, int64_t from, int64_t to, hz_filter *f)
{
    filter_init(f);
    if (with_group && c->g) {
        hz_status rc = wgroup_apply(c->g, f, c->err, c->errlen);
        if (rc != HZ_OK) return rc;
    }
    f->from = from;
    f->to = to;
    return HZ_OK;
}

/* The one row of an ungrouped rates_compute() over [from, to). */
static hz_status total(const rctx *c, int with_group, int64_t from, int64_t to, rates_row *row,
                       double *years)
{
    hz_filter f;
    hz_status rc = group_filter(c, with_group, from, to, &f);
    rates_result *r = NULL;
    if (rc == HZ_OK) rc = rates_compute(c->in->snap, &f, 0, &r, c->err, c->errlen);
    if (rc == HZ_OK && r->n != 1) rc = hz_fail(HZ_EINVAL, c->err, c->errlen, "no area to count in");
    if (rc == HZ_OK) {
        *row = r->rows[0];
        row->area = row->area_name = NULL; /* borrowed from r */
        *years = r->years;
    }
    rates_free(r);
    return rc;
}

/* ---- 1. headline ----------------------------------------------------------------------- */

static hz_status sec_headline(rctx *c)
{
    FILE *o = c->o;
    rates_row now, prev, dist;
    double yn, yp, yd;
    hz_status rc = total(c, 1, c->q_from, c->q_to, &now, &yn);
    if (rc == HZ_OK) rc = total(c, 1, c->p_from, c->p_to, &prev, &yp);
    if (rc == HZ_OK) rc = total(c, 0, c->q_from, c->q_to, &dist, &yd);
    if (rc != HZ_OK) return rc;
    char qn[32], qp[32];
    quarter_label(c, c->in->quarter, qn, sizeof qn);
    quarter_label(c, c->in->quarter - 4, qp, sizeof qp);
    fprintf(o, "<section id=\"headline\"><h2>%s</h2>\n", T("一、总体情况", "1. Headline"));
    fprintf(o, "<table><tr><th class=\"l\"></th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
            T("伤害数", "Injuries"),
            T("每10万人年发生率 (95% CI)", "Rate per 100,000 per year (95 % CI)"),
            T("占全区", "Share of district"));
    const rates_row *rows[3] = {&now, &prev, &dist};
    const char *labels[3] = {
        qn, qp, T("全区（同季度，全部伤害）", "District, all injuries (same quarter)")};
    for (int i = 0; i < 3; i++) {
        fprintf(o, "<tr id=\"headline-%s\"><td class=\"l\">",
                i == 0   ? "now"
                : i == 1 ? "prev"
                         : "district");
        esc(o, labels[i]);
        fputs("</td><td class=\"big\">", o);
        count_html(o, rows[i]->count);
        fputs("</td><td>", o);
        rate_ci(o, rows[i]->rate, rows[i]->rate_lo, rows[i]->rate_hi);
        fputs("</td><td>", o);
        if (i == 0 && dist.count > 0)
            fprintf(o, "%.1f %%", 100.0 * (double)rows[i]->count / (double)dist.count);
        fputs("</td></tr>\n", o);
    }
    fputs("</table>\n<p>", o);
    if (now.count > 0 && prev.count > 0 && isfinite(now.rate) && isfinite(prev.rate)) {
        double rr = now.rate / prev.rate, se = sqrt(1.0 / now.count + 1.0 / prev.count);
        fprintf(o, "%s <b id=\"change\">%+.1f %%</b> (%s %.2f, 95 %% CI %.2f–%.2f)",
                T("与上年同季度相比，发生率变化",
                  "Change of the rate against the same quarter a year before:"),
                100 * (rr - 1), T("率比", "rate ratio"), rr, rr * exp(-1.96 * se),
                rr * exp(1.96 * se));
    } else
        fputs(T("上年同季度无可比数据。",
                "No comparison with the same quarter a year before (no incidents)."),
              o);
    fprintf(
        o, "</p><p class=\"note\">%s</p></section>\n",
        T("发生率＝伤害数／总人口／年数×100,000；95% CI "
          "为精确泊松区间（Garwood）；率比区间为对数正态近似。计数少于20时不稳定。",
          "Rate = injuries / total population / years x 100,000; 95 % CI exact Poisson (Garwood); "
          "the rate ratio's CI is the log-normal approximation. Counts under 20 are unstable."));
    return HZ_OK;
}

/* ---- maps ------------------------------------------------------------------------------ */

static hz_status map_img(rctx *c, const reportmap_spec *spec, const char *alt)
{
    unsigned char *png = NULL;
    size_t len = 0;
    hz_status rc = reportmap_png(spec, &png, &len, c->err, c->errlen);
    if (rc != HZ_OK) return rc;
    fputs("<p><img class=\"map\" alt=\"", c->o);
    esc(c->o, alt);
    fputs("\" src=\"data:image/png;base64,", c->o);
    base64(c->o, png, len);
    fputs("\"></p>\n", c->o);
    free(png);
    return HZ_OK;
}

static void spec_init(rctx *c, reportmap_spec *s)
{
    memset(s, 0, sizeof *s);
    s->areas = c->in->snap;
    s->net = c->in->net;
    s->width = MAP_W;
    s->height = MAP_H;
}

/* "too little to analyse" is said in the report; other failures end it. */
static int analysis_skipped(rctx *c, hz_status rc)
{
    if (rc != HZ_EINVAL) return 0;
    fprintf(c->o, "<p class=\"note\">%s: ", T("无法分析", "Not analysed"));
    esc(c->o, c->err);
    fputs("</p>\n", c->o);
    c->err[0] = 0;
    return 1;
}

static hz_status sec_hotspots(rctx *c, const hz_filter *f)
{
    FILE *o = c->o;
    fprintf(o, "<h3>%s</h3>\n", T("热点（Getis-Ord Gi*）", "Hot spots (Getis-Ord Gi*)"));
    hotspots_params p;
    hotspots_params_init(&p);
    p.nthreads = c->in->nthreads;
    p.cell = HOT_CELL; /* fixed: a district-scale map of streets, not auto's 50 m cells */
    p.band = HOT_BAND;
    hotspots_result *r = NULL;
    char why[1024] = "";
    hz_status rc = hotspots_run(c->in->snap, f, &p, &r, why, sizeof why, c->err, c->errlen);
    if (rc != HZ_OK) return analysis_skipped(c, rc) ? HZ_OK : rc;
    size_t n;
    const hotspots_cell *cells = hotspots_cells(r, &n);
    size_t *order = malloc((n ? n : 1) * sizeof *order), nh = 0;
    double *lon = NULL, *lat = NULL;
    int nv = 0;
    if (!order) rc = hz_fail(HZ_ENOMEM, c->err, c->errlen, "out of memory");
    if (rc == HZ_OK) rc = hotspots_outlines(r, &lon, &lat, &nv, c->err, c->errlen);
    for (size_t i = 0; rc == HZ_OK && i < n; i++)
        if (cells[i].confidence >= 95) order[nh++] = i;
    /* the most incidents first, then the highest z (insertion sort: few hot cells) */
    for (size_t i = 1; i < nh; i++)
        for (size_t j = i; j > 0 && (cells[order[j]].count > cells[order[j - 1]].count ||
                                     (cells[order[j]].count == cells[order[j - 1]].count &&
                                      cells[order[j]].z > cells[order[j - 1]].z));
             j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    reportmap_mark *marks = rc == HZ_OK ? calloc(nh ? nh : 1, sizeof *marks) : NULL;
    if (rc == HZ_OK && !marks) rc = hz_fail(HZ_ENOMEM, c->err, c->errlen, "out of memory");
    for (size_t k = 0; rc == HZ_OK && k < nh; k++) {
        int conf = cells[order[k]].confidence;
        marks[k] = (reportmap_mark){(size_t)nv,
                                    lon + order[k] * nv,
                                    lat + order[k] * nv,
                                    1,
                                    conf >= 99 ? 2.0 : 1.2,
                                    {conf >= 99 ? 140 : 215, conf >= 99 ? 0 : 48, 0, 255},
                                    NULL};
    }
    if (rc == HZ_OK) {
        fprintf(o, "<p>%s <span id=\"hot-cells\">%zu</span> %s %.0f m, %s %.0f m.</p>\n",
                T("置信度≥95%的热点网格：", "Hot cells at 95 % confidence or more:"), nh,
                T("；网格边长", "; cell"), hotspots_cell_size(r), T("距离带", "band"),
                hotspots_band(r));
        fprintf(o, "<table><tr><th>#</th><th>%s</th><th>%s</th><th>z</th><th>%s</th></tr>\n",
                T("中心（经度, 纬度）", "Centre (lon, lat)"), T("伤害数", "Injuries"),
                T("置信度", "Confidence"));
        for (size_t k = 0; k < nh && k < TOP; k++) {
            const hotspots_cell *h = &cells[order[k]];
            double clon = 0, clat = 0;
            for (int v = 0; v < nv; v++) {
                clon += lon[order[k] * nv + v] / nv;
                clat += lat[order[k] * nv + v] / nv;
            }
            fprintf(o, "<tr><td>%zu</td><td>%.5f, %.5f</td><td>", k + 1, clon, clat);
            count_html(o, h->count);
            fprintf(o, "</td><td>%.2f</td><td>%d %%</td></tr>\n", h->z, h->confidence);
        }
        fputs("</table>\n", o);
        tile_params tp;
        tilerender_params_init(&tp);
        tp.filter = *f;
        reportmap_spec s;
        spec_init(c, &s);
        s.tr = c->tr;
        s.density = &tp;
        s.marks = marks;
        s.nmarks = nh;
        rc = map_img(c, &s, T("核密度与热点", "Density and hot spots"));
        fprintf(o, "<p class=\"note\">%s ",
                T("底图：核密度（四次核，300 m）；红框：热点网格（深红99%，红95%）。",
                  "Map: kernel density (quartic, 300 m); red outlines: hot cells (dark 99 %, red "
                  "95 %)."));
        esc(o, hotspots_cell_rule(r));
        fputs(" ", o);
        esc(o, hotspots_band_rule(r));
        fputs("</p>\n", o);
    }
    free(marks);
    free(order);
    free(lon);
    free(lat);
    hotspots_free(r);
    return rc;
}

static hz_status sec_blackspots(rctx *c, const hz_filter *f)
{
    FILE *o = c->o;
    fprintf(o, "<h3>%s</h3>\n", T("事故黑点（DBSCAN聚类）", "Black spots (DBSCAN clusters)"));
    blackspots_params p;
    blackspots_params_init(&p);
    p.nthreads = c->in->nthreads;
    blackspots_result *r = NULL;
    hz_status rc = blackspots_compute(c->in->snap, f, &p, &r, c->err, c->errlen);
    if (rc != HZ_OK) return analysis_skipped(c, rc) ? HZ_OK : rc;
    size_t n = r->n < TOP ? r->n : TOP;
    reportmap_mark *marks = calloc(n ? 2 * n : 1, sizeof *marks);
    if (!marks) rc = hz_fail(HZ_ENOMEM, c->err, c->errlen, "out of memory");
    if (rc == HZ_OK) {
        fprintf(o, "<p>%s <span id=\"black-spots\">%zu</span>.</p>\n", T("黑点数：", "Clusters:"),
                r->n);
        fprintf(
            o,
            "<table><tr><th>#</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
            T("中心（经度, 纬度）", "Centre (lon, lat)"), T("伤害数", "Injuries"),
            T("死亡/重伤", "Fatal/serious"), T("严重度评分", "Severity score"),
            T("半径 m", "Radius m"));
        for (size_t k = 0; k < n; k++) {
            const blackspot *b = &r->spots[k];
            fprintf(o, "<tr><td>%d</td><td>%.5f, %.5f</td><td>", b->rank, b->lon, b->lat);
            count_html(o, b->count);
            fputs("</td><td>", o);
            count_html(o, b->severity[HZ_SEV_FATAL] + b->severity[HZ_SEV_SERIOUS]);
            fprintf(o, "</td><td>%.0f</td><td>%.0f</td></tr>\n", b->score, b->radius_m);
            marks[2 * k] = (reportmap_mark){b->hull_n, b->hull_lon,       b->hull_lat, 1,
                                            2.0,       {128, 0, 38, 255}, NULL};
            marks[2 * k + 1] =
                (reportmap_mark){1, &b->lon, &b->lat, 0, 7.0, {128, 0, 38, 220}, RANK[k]};
        }
        fputs("</table>\n", o);
        reportmap_spec s;
        spec_init(c, &s);
        s.marks = marks;
        s.nmarks = 2 * n;
        rc = map_img(c, &s, T("事故黑点", "Black spots"));
        fprintf(o, "<p class=\"note\">%s eps %.0f m, min_points %d. ",
                T("前10个黑点（凸包与中心）。", "The top ten clusters (hull and centre)."),
                r->params.eps, r->params.min_points);
        esc(o, r->params_rule);
        fputs("</p>\n", o);
    }
    free(marks);
    blackspots_free(r);
    return rc;
}

static hz_status sec_sites(rctx *c, const hz_filter *f)
{
    FILE *o = c->o;
    fprintf(o, "<h3>%s</h3>\n",
            T("道路网络筛查（经验贝叶斯超额事故）",
              "Road network screening (Empirical Bayes excess crashes)"));
    if (!c->in->net || roadnet_seg_count(c->in->net) == 0) {
        fprintf(o, "<p class=\"note\">%s</p>\n",
                T("数据库中没有道路网络。", "The database has no road network."));
        return HZ_OK;
    }
    screen_opts so;
    screen_opts_init(&so);
    so.limit = TOP;
    so.nthreads = c->in->nthreads;
    screen_result *r = NULL;
    hz_status rc = screen_run(c->in->net, c->in->snap, f, &so, &r, c->err, c->errlen);
    if (rc != HZ_OK) return analysis_skipped(c, rc) ? HZ_OK : rc;
    reportmap_mark *marks = calloc(r->n ? r->n : 1, sizeof *marks);
    double **pts = calloc(r->n ? r->n : 1, sizeof *pts); /* each site's lon then lat */
    if (!marks || !pts) rc = hz_fail(HZ_ENOMEM, c->err, c->errlen, "out of memory");
    const roadnet_node *nodes = roadnet_nodes(c->in->net);
    if (rc == HZ_OK) {
        fprintf(o,
                "<table><tr><th>#</th><th class=\"l\">%s</th><th "
                "class=\"l\">%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
                T("类型", "Kind"), T("名称", "Name"), T("事故数", "Crashes"),
                T("超额事故", "Excess"), T("事故多发点段规则", "Rule met"));
        for (size_t k = 0; k < r->n; k++) {
            const screen_site *s = &r->sites[k];
            int junction = s->kind == ROADSITES_JUNCTION;
            const char *name = NULL;
            if (junction) {
                const roadsites_junction *j = &roadsites_junctions(r->sites_of)[s->index];
                name = j->name;
                marks[k] = (reportmap_mark){
                    1,      &nodes[j->node].lon, &nodes[j->node].lat, 0, 10, {84, 39, 143, 230},
                    RANK[k]};
            } else {
                const roadsites_section *sec = &roadsites_sections(r->sites_of)[s->index];
                name = sec->name;
                size_t np =
                    roadsites_section_line(r->sites_of, s->index, s->win0, s->win1, NULL, NULL, 0);
                pts[k] = malloc(2 * (np ? np : 1) * sizeof **pts);
                if (pts[k] && roadsites_section_line(r->sites_of, s->index, s->win0, s->win1,
                                                     pts[k], pts[k] + np, np) == np)
                    marks[k] = (reportmap_mark){
                        np, pts[k], pts[k] + np, 0, 5, {84, 39, 143, 230}, RANK[k]};
            }
            int rule = s->rule[0].met || s->rule[1].met || s->rule[2].met;
            fprintf(o, "<tr><td>%d</td><td class=\"l\">%s</td><td class=\"l\">", s->rank,
                    junction ? T("路口", "junction") : T("路段", "section"));
            esc(o, name ? name : "—");
            fputs("</td><td>", o);
            count_html(o, s->count);
            fputs("</td><td>", o);
            num(o, junction ? s->eb.excess : s->win_eb.excess, 2);
            fprintf(o, "</td><td>%s</td></tr>\n", rule ? T("是", "yes") : "");
        }
        fputs("</table>\n", o);
        reportmap_spec sp;
        spec_init(c, &sp);
        sp.marks = marks;
        sp.nmarks = r->n;
        rc = map_img(c, &sp, T("道路筛查点段", "Screened road sites"));
        fprintf(o, "<p class=\"note\">%s</p>\n",
                T("紫色：前10个路口（圆点）与路段最差窗口（线）；安全性能函数（SPF）按NB2最大似然在"
                  "本路网拟合，滑动窗口500 m。",
                  "Purple: the top ten junctions (dots) and sections' worst windows (lines); the "
                  "SPF is fitted by NB2 maximum likelihood on the network's own sites; sliding "
                  "window 500 m."));
    }
    for (size_t k = 0; pts && k < r->n; k++)
        free(pts[k]);
    free(pts);
    free(marks);
    screen_free(r);
    return rc;
}

static hz_status sec_places(rctx *c)
{
    hz_filter f;
    hz_status rc = group_filter(c, 1, c->y_from, c->q_to, &f);
    if (rc != HZ_OK) return rc;
    fprintf(
        c->o, "<section id=\"places\"><h2>%s</h2>\n<p class=\"note\">%s</p>\n",
        T("二、高危场所", "2. High-risk places"),
        T("分析期为截至本季度的连续四个季度。", "Over the four quarters ending with this one."));
    rc = sec_hotspots(c, &f);
    if (rc == HZ_OK) rc = sec_blackspots(c, &f);
    if (rc == HZ_OK && c->g && strcmp(c->g->key, "traffic") == 0) rc = sec_sites(c, &f);
    fputs("</section>\n", c->o);
    return rc;
}

/* ---- 3. groups ------------------------------------------------------------------------- */

/* The rows of rates by one dimension (age group or sex) with and without the group. */
static hz_status by_dim(rctx *c, unsigned by, int nvals, const char *const *names)
{
    rates_result *rg = NULL, *rd = NULL;
    hz_filter fg, fd;
    hz_status rc = group_filter(c, 1, c->y_from, c->q_to, &fg);
    if (rc == HZ_OK) rc = group_filter(c, 0, c->y_from, c->q_to, &fd);
    if (rc == HZ_OK) rc = rates_compute(c->in->snap, &fg, by, &rg, c->err, c->errlen);
    if (rc == HZ_OK) rc = rates_compute(c->in->snap, &fd, by, &rd, c->err, c->errlen);
    FILE *o = c->o;
    if (rc == HZ_OK) {
        fprintf(o,
                "<table id=\"by-%s\"><tr><th "
                "class=\"l\"></th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
                by == RATES_BY_AGE ? "age" : "sex", T("本组伤害数", "Group's injuries"),
                T("本组发生率 (95% CI)", "Group's rate (95 % CI)"),
                T("全区伤害数", "District injuries"),
                T("全区发生率 (95% CI)", "District rate (95 % CI)"));
        for (int v = 0; v < nvals; v++) {
            const rates_row *a = NULL, *b = NULL;
            for (size_t i = 0; i < rg->n; i++)
                if ((by == RATES_BY_AGE ? rg->rows[i].age_group : rg->rows[i].sex) == v)
                    a = &rg->rows[i];
            for (size_t i = 0; i < rd->n; i++)
                if ((by == RATES_BY_AGE ? rd->rows[i].age_group : rd->rows[i].sex) == v)
                    b = &rd->rows[i];
            if (!a && !b) continue;
            fputs("<tr><td class=\"l\">", o);
            esc(o, names[v]);
            fputs("</td><td>", o);
            count_html(o, a ? a->count : 0);
            fputs("</td><td>", o);
            if (a) rate_ci(o, a->rate, a->rate_lo, a->rate_hi);
            fputs("</td><td>", o);
            count_html(o, b ? b->count : 0);
            fputs("</td><td>", o);
            if (b) rate_ci(o, b->rate, b->rate_lo, b->rate_hi);
            fputs("</td></tr>\n", o);
        }
        fputs("</table>\n", o);
    }
    rates_free(rg);
    rates_free(rd);
    return rc;
}

static void rate_of(const rctx *c, int64_t k, double years, double *rate, double *lo, double *hi)
{
    *rate = *lo = *hi = NAN;
    if (c->population <= 0 || years <= 0) return;
    double s = 1e5 / ((double)c->population * years);
    *rate = (double)k * s;
    if (poisson_ci(k, 0.95, lo, hi) == 0) {
        *lo *= s;
        *hi *= s;
    }
}

static hz_status sec_groups(rctx *c)
{
    FILE *o = c->o;
    fprintf(o, "<section id=\"groups\"><h2>%s</h2>\n",
            T("三、高危人群与脆弱人群", "3. High-risk and vulnerable groups"));
    const char *ages[RATES_AGE_GROUPS];
    for (int i = 0; i < RATES_AGE_GROUPS; i++)
        ages[i] = rates_age_group_name(i);
    const char *sexes[HZ_SEX_COUNT] = {T("不详", "unknown"), T("男", "male"), T("女", "female")};
    fprintf(o, "<h3>%s</h3>\n", T("按年龄组", "By age group"));
    hz_status rc = by_dim(c, RATES_BY_AGE, RATES_AGE_GROUPS, ages);
    if (rc == HZ_OK) {
        fprintf(o, "<h3>%s</h3>\n", T("按性别", "By sex"));
        rc = by_dim(c, RATES_BY_SEX, HZ_SEX_COUNT, sexes);
    }
    if (rc != HZ_OK) return rc;
    /* vulnerable groups: one pass over the incidents in an area */
    hz_filter f;
    rc = group_filter(c, 1, c->y_from, c->q_to, &f);
    if (rc != HZ_OK) return rc;
    int64_t n[3] = {0, 0, 0}, all = 0;
    const hz_incident *it = incset_items(c->in->snap);
    for (size_t k = 0; k < incset_count(c->in->snap); k++) {
        const hz_incident *i = &it[k];
        if (i->area < 0 || !incset_match(c->in->snap, &f, -1, i)) continue;
        all++;
        n[0] += i->age >= 65;
        n[1] += i->disability == 1;
        n[2] += i->age >= 0 && i->age <= 14;
    }
    double years = (double)(c->q_to - c->y_from) / 86400.0 / 365.25;
    const char *names[3] = {T("老年人（65岁及以上）", "Elderly (65+)"), T("残疾人", "Disabled"),
                            T("儿童（0–14岁）", "Children (0-14)")};
    const char *ids[3] = {"elderly", "disabled", "children"};
    fprintf(o,
            "<h3>%s</h3>\n<table id=\"vulnerable\"><tr><th "
            "class=\"l\"></th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
            T("脆弱人群", "Vulnerable groups"), T("伤害数", "Injuries"),
            T("占本组", "Share of the group"), T("发生率 (95% CI)", "Rate (95 % CI)"));
    for (int v = 0; v < 3; v++) {
        double r, lo, hi;
        rate_of(c, n[v], years, &r, &lo, &hi);
        fprintf(o, "<tr id=\"v-%s\"><td class=\"l\">", ids[v]);
        esc(o, names[v]);
        fputs("</td><td>", o);
        count_html(o, n[v]);
        fputs("</td><td>", o);
        num(o, all ? 100.0 * (double)n[v] / (double)all : NAN, 1);
        fputs(" %</td><td>", o);
        rate_ci(o, r, lo, hi);
        fputs("</td></tr>\n", o);
    }
    fprintf(o, "</table>\n<p class=\"note\">%s</p></section>\n",
            T("截至本季度的连续四个季度；分母为总人口（未存储分年龄、性别人口），故各组发生率之和等"
              "于总发生率，并非年龄别发生率。",
              "The four quarters ending with this one; the denominator is the total population (no "
              "population by age or sex is stored), so the rows add up to the crude rate: they are "
              "not age-specific rates."));
    return HZ_OK;
}

/* ---- 4. trend -------------------------------------------------------------------------- */

/* An SVG chart of n months: bars (counts, NaN = withheld) and a line (baseline). */
static void trend_svg(rctx *c, const double *v, const double *base, size_t n, int m0)
{
    FILE *o = c->o;
    double top = 1;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) top = fmax(top, v[i]);
        if (isfinite(base[i])) top = fmax(top, base[i]);
    }
    const double W = 640, H = 220, L = 40, B = 30, bw = (W - L - 10) / n;
    fprintf(o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 "
            "0 %.0f %.0f\" font-size=\"10\">",
            W, H, W, H);
    fprintf(o, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#444\"/>", L, H - B,
            W - 10, H - B);
    fprintf(o, "<text x=\"2\" y=\"14\">%.0f</text><text x=\"2\" y=\"%.0f\">0</text>", top, H - B);
    for (size_t i = 0; i < n; i++) {
        double x = L + i * bw;
        if (isfinite(v[i])) {
            double h = v[i] / top * (H - B - 10);
            fprintf(o,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fd8d3c\"/>",
                    x + 2, H - B - h, bw - 4, h);
        }
        int m = m0 + (int)i;
        fprintf(o, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%02d</text>", x + bw / 2,
                H - B + 12, m % 12 + 1);
    }
    fputs("<polyline fill=\"none\" stroke=\"#08519c\" stroke-width=\"2\" points=\"", o);
    for (size_t i = 0; i < n; i++)
        if (isfinite(base[i]))
            fprintf(o, "%.1f,%.1f ", L + (i + 0.5) * bw, H - B - base[i] / top * (H - B - 10));
    fputs("\"/></svg>\n", o);
}

/* The trend table: the last 12 months of the series with their baseline. */
static void trend_table(rctx *c, const double *v, const double *base, size_t n, int m0)
{
    FILE *o = c->o;
    fprintf(o, "<table id=\"trend-table\"><tr><th class=\"l\">%s</th>", T("月份", "Month"));
    for (size_t i = 0; i < n; i++)
        fprintf(o, "<th>%04d-%02d</th>", (m0 + (int)i) / 12, (m0 + (int)i) % 12 + 1);
    fprintf(o, "</tr>\n<tr><td class=\"l\">%s</td>", T("伤害数", "Injuries"));
    for (size_t i = 0; i < n; i++) {
        fputs("<td>", o);
        if (isfinite(v[i]))
            count_html(o, (int64_t)v[i]);
        else
            fprintf(o, "<span class=\"withheld\">%s</span>", T("不公布", "withheld"));
        fputs("</td>", o);
    }
    fprintf(o, "</tr>\n<tr><td class=\"l\">%s</td>", T("季节基线", "Seasonal baseline"));
    for (size_t i = 0; i < n; i++) {
        fputs("<td>", o);
        num(o, base[i], 1);
        fputs("</td>", o);
    }
    fputs("</tr></table>\n", o);
}

/* Section 4 from a monthly series v[0..n-1] starting at month m0 and ending with the quarter. */
static void trend_section(rctx *c, const double *v, size_t n, int m0, double *base)
{
    report_seasonal_baseline(v, n, base);
    size_t k = n < 12 ? n : 12;
    fprintf(c->o, "<section id=\"trend\"><h2>%s</h2>\n", T("四、月度趋势", "4. Monthly trend"));
    trend_svg(c, v + n - k, base + n - k, k, m0 + (int)(n - k));
    trend_table(c, v + n - k, base + n - k, k, m0 + (int)(n - k));
    fprintf(
        c->o, "<p class=\"note\">%s</p></section>\n",
        T("柱：截至本季度的12个月的月伤害数；线：季节基线，即数据中此前各年同一月份伤害数的平均值（"
          "无前一年数据时不显示）。",
          "Bars: monthly injuries over the twelve months ending with the quarter; line: the "
          "seasonal baseline, the mean count of the same calendar month in every earlier year of "
          "the data (absent without an earlier year)."));
}

static hz_status sec_trend(rctx *c)
{
    hz_filter f;
    hz_status rc = group_filter(c, 1, INT64_MIN, INT64_MAX, &f);
    if (rc != HZ_OK) return rc;
    int64_t first, last;
    incset_time_span(c->in->snap, &first, &last);
    int m1 = c->in->quarter * 3 + 3; /* exclusive */
    int m0 = first == INT64_MIN ? m1 - 12 : month_of(first);
    if (m0 > m1 - 12) m0 = m1 - 12;
    if (m1 - m0 > MAX_MONTHS) m0 = m1 - MAX_MONTHS;
    size_t n = (size_t)(m1 - m0);
    double *v = calloc(2 * n, sizeof *v);
    if (!v) return hz_fail(HZ_ENOMEM, c->err, c->errlen, "out of memory");
    const hz_incident *it = incset_items(c->in->snap);
    for (size_t k = 0; k < incset_count(c->in->snap); k++) {
        const hz_incident *i = &it[k];
        if (i->area < 0 || i->t == INT64_MIN || !incset_match(c->in->snap, &f, -1, i)) continue;
        int m = month_of(i->t);
        if (m >= m0 && m < m1) v[m - m0] += 1;
    }
    trend_section(c, v, n, m0, v + n);
    free(v);
    return HZ_OK;
}

/* ---- 5. projects ----------------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void sec_projects(rctx *c)
{
    FILE *o = c->o;
    fprintf(o, "<section id=\"projects\"><h2>%s</h2>\n",
            T("五、安全促进项目", "5. Safety-promotion projects"));
    size_t shown = 0, i;
    const json_t *p;
    json_array_foreach(c->in->projects, i, p)
    {
        const char *grp = jstr(p, "group");
        if (c->g && (!grp || strcmp(grp, c->g->key) != 0)) continue;
        if (!shown++)
            fprintf(o,
                    "<table id=\"project-list\"><tr><th class=\"l\">%s</th><th "
                    "class=\"l\">%s</th><th class=\"l\">%s</th><th class=\"l\">%s</th><th "
                    "class=\"l\">%s</th><th class=\"l\">%s</th></tr>\n",
                    T("项目", "Project"), T("类型", "Type"), T("状态", "Status"),
                    T("起止日期", "Dates"), T("牵头单位", "Lead unit"), T("评估", "Evaluation"));
        const char *title = c->en && jstr(p, "title_en") ? jstr(p, "title_en") : jstr(p, "title");
        fputs("<tr class=\"project\"><td class=\"l\">", o);
        esc(o, title ? title : "—");
        fputs("</td><td class=\"l\">", o);
        esc(o, jstr(p, "type") ? jstr(p, "type") : "—");
        fputs("</td><td class=\"l\">", o);
        esc(o, jstr(p, "status") ? jstr(p, "status") : "—");
        fputs("</td><td class=\"l\">", o);
        esc(o, jstr(p, "start") ? jstr(p, "start") : "");
        fputs(" – ", o);
        esc(o, jstr(p, "end") ? jstr(p, "end") : "");
        fputs("</td><td class=\"l\">", o);
        esc(o, jstr(p, "lead_unit") ? jstr(p, "lead_unit") : "—");
        fputs("</td><td class=\"l\">", o);
        const json_t *e = json_object_get(json_object_get(p, "evaluation"), "effect");
        if (json_is_object(e)) {
            esc(o, jstr(e, "method") ? jstr(e, "method") : "");
            json_t *est = json_object_get(e, "estimate"), *ci = json_object_get(e, "ci");
            if (json_is_number(est)) fprintf(o, " %.3g", json_number_value(est));
            if (json_array_size(ci) == 2)
                fprintf(o, " (95 %% CI %.3g–%.3g)", json_number_value(json_array_get(ci, 0)),
                        json_number_value(json_array_get(ci, 1)));
            if (jstr(e, "verdict")) {
                fputs(": <b>", o);
                esc(o, jstr(e, "verdict"));
                fputs("</b>", o);
            }
        } else
            fputs(T("尚未评估", "not evaluated yet"), o);
        fputs("</td></tr>\n", o);
    }
    if (shown)
        fputs("</table>\n", o);
    else
        fprintf(o, "<p>%s</p>\n",
                T("本组尚无登记的项目。", "No project is registered for this group."));
    fputs("</section>\n", o);
}

/* ---- 6. sources ------------------------------------------------------------------------ */

static void sec_sources(rctx *c, int64_t data_version)
{
    FILE *o = c->o;
    const incset *s = c->in->snap;
    int64_t nopos = 0, outside = 0, undated = 0;
    const hz_incident *it = incset_items(s);
    for (size_t k = 0; k < incset_count(s); k++) {
        nopos += !isfinite(it[k].x);
        outside += isfinite(it[k].x) && it[k].area < 0;
        undated += it[k].t == INT64_MIN;
    }
    fprintf(o, "<section id=\"sources\"><h2>%s</h2>\n<table id=\"coverage\">",
            T("六、数据来源、覆盖与出处", "6. Data sources, coverage and provenance"));
    const char *lab[4] = {T("记录总数", "Records"), T("无坐标的记录", "Records without a position"),
                          T("不在任何区域内的记录", "Records outside every area"),
                          T("无日期的记录", "Records without a date")};
    int64_t val[4] = {(int64_t)incset_count(s), nopos, outside, undated};
    const char *ids[4] = {"records", "no-position", "outside", "undated"};
    for (int i = 0; i < 4; i++) {
        fprintf(o, "<tr id=\"cov-%s\"><td class=\"l\">", ids[i]);
        esc(o, lab[i]);
        fputs("</td><td>", o);
        count_html(o, val[i]);
        fputs("</td></tr>\n", o);
    }
    fputs("</table>\n", o);
    const json_t *srcs = json_object_get(c->in->linkage, "sources");
    if (json_array_size(srcs)) {
        fprintf(o, "<table id=\"linkage\"><tr><th class=\"l\">%s</th><th>%s</th><th>%s</th></tr>\n",
                T("来源", "Source"), T("记录", "Records"), T("事件", "Events"));
        size_t i;
        const json_t *x;
        json_array_foreach(srcs, i, x)
        {
            fputs("<tr><td class=\"l\">", o);
            esc(o, jstr(x, "name") ? jstr(x, "name") : "—");
            fputs("</td><td>", o);
            count_html(o, json_integer_value(json_object_get(x, "records")));
            fputs("</td><td>", o);
            count_html(o, json_integer_value(json_object_get(x, "events")));
            fputs("</td></tr>\n", o);
        }
        fputs("</table>\n", o);
    } else
        fprintf(o, "<p>%s</p>\n",
                T("各来源的记录尚未链接（hazmap link）：不同来源记录的同一伤害可能被重复计数。",
                  "The sources' records are not linked (hazmap link): one injury recorded by two "
                  "sources may be counted twice."));
    char now[32];
    hztime_format_iso((int64_t)time(NULL), TZ_S, now);
    fprintf(o, "<p class=\"note\" id=\"provenance\">%s ", T("出处：", "Provenance:"));
    esc(o, c->in->source ? c->in->source : "");
    fprintf(o, "; %s %lld; %s ", T("数据版本", "data version"), (long long)data_version,
            T("工作坐标系", "working CRS"));
    esc(o, incset_work_srs(s));
    fprintf(o, "; %s ", T("工作组筛选", "group filter"));
    esc(o, c->g ? (c->g->filter[0] ? c->g->filter : "—") : "—");
    fprintf(o, "; %s %s.</p></section>\n", T("生成时间", "generated"), now);
}

/* ---- the public version ---------------------------------------------------------------- */

/* The release's family and label of the group (as the page's PUBLIC_OF_GROUP), or NULL for the
 * district (every group of a family) and *none 1 for a group the release has no table for. */
static const char *public_label(const rctx *c, const char **family, int *none)
{
    static const char *const map[][3] = {
        {"traffic", "injury_group", "traffic"}, {"fire", "injury_group", "fire"},
        {"order", "injury_group", "violence"},  {"home", "place_group", "home"},
        {"school", "place_group", "school"},    {"workplace", "place_group", "workplace"},
        {"public", "place_group", "public"}};
    *none = 0;
    *family = "injury_group";
    if (!c->g || !c->g->filter[0]) return NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], c->g->key) == 0) {
            *family = map[i][1];
            return map[i][2];
        }
    *none = 1;
    return NULL;
}

static long label_index(const rel_release *r, const char *dim, const char *label)
{
    const json_t *labels = json_object_get(
        json_object_get(json_object_get(rel_metadata(r), "dimensions"), dim), "labels");
    for (size_t i = 0; i < json_array_size(labels); i++)
        if (strcmp(json_string_value(json_array_get(labels, i)), label) == 0) return (long)i;
    return -1;
}

/* The district's released count of month m for the label (or every label): NaN when a cell is
 * withheld or the month is not in the release. *cells counts the cells summed. */
static double released_month(const rctx *c, const rel_table *t, const char *family,
                             const char *label, int m, int *cells)
{
    char ml[16];
    snprintf(ml, sizeof ml, "%04d-%02d", m / 12, m % 12 + 1);
    long mi = label_index(c->in->rel, "month", ml);
    if (mi < 0) return NAN;
    size_t ng = rel_table_shape(t, 2);
    long only = label ? label_index(c->in->rel, family, label) : -1;
    double sum = 0;
    for (size_t g = 0; g < ng; g++) {
        if (label && (long)g != only) continue;
        size_t idx[3] = {0, (size_t)mi, g};
        rel_value v;
        if (!rel_table_cell(t, rel_table_index(t, idx), &v)) return NAN;
        sum += (double)v.value;
        ++*cells;
    }
    return sum;
}

static hz_status public_report(rctx *c)
{
    FILE *o = c->o;
    const rel_release *r = c->in->rel;
    const char *family;
    int none;
    const char *label = public_label(c, &family, &none);
    const rel_table *t = rel_table_find(
        r, strcmp(family, "injury_group") == 0 ? "district_month_injury" : "district_month_place");
    fprintf(o, "<p class=\"note\" id=\"public-note\">%s %lld%s</p>\n",
            T("公开版：全部数字来自公开统计发布第",
              "Public version: every number comes from the public statistical release"),
            (long long)rel_id(r),
            T("号（差分隐私噪声；小于最低计数的数值不公布，见 PRIVACY.md）。",
              " (differential-privacy noise; values under the minimum count are withheld, see "
              "PRIVACY.md)."));
    fprintf(o, "<section id=\"headline\"><h2>%s</h2>\n", T("一、总体情况", "1. Headline"));
    if (none || !t || rel_table_ndims(t) != 3) {
        fprintf(o, "<p>%s</p></section>\n",
                T("公开发布中没有该工作组的统计表。",
                  "The public release has no table for this group."));
    } else {
        int q = c->in->quarter;
        double sums[2];
        int cells[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            sums[k] = 0;
            for (int m = (q - 4 * k) * 3; m < (q - 4 * k) * 3 + 3; m++)
                sums[k] += released_month(c, t, family, label, m, &cells[k]);
        }
        int64_t half = rel_table_half95(t);
        fprintf(o, "<table><tr><th class=\"l\"></th><th>%s</th><th>%s</th></tr>\n",
                T("伤害数（发布值）", "Injuries (released)"), T("95% 区间", "95 % interval"));
        for (int k = 0; k < 2; k++) {
            char ql[32];
            quarter_label(c, q - 4 * k, ql, sizeof ql);
            fprintf(o, "<tr id=\"headline-%s\"><td class=\"l\">", k ? "prev" : "now");
            esc(o, ql);
            fputs("</td><td class=\"big\">", o);
            if (isfinite(sums[k]) && sums[k] >= c->min_count) {
                count_html(o, (int64_t)sums[k]);
                double h = (double)half * sqrt((double)cells[k]);
                fprintf(o, "</td><td>± %.0f</td></tr>\n", h);
            } else {
                fprintf(o, "<span class=\"withheld\">%s</span></td><td></td></tr>\n",
                        T("不公布", "withheld"));
                sums[k] = NAN;
            }
        }
        fputs("</table>\n", o);
        if (isfinite(sums[0]) && isfinite(sums[1]) && sums[1] > 0)
            fprintf(o, "<p>%s <b id=\"change\">%+.1f %%</b></p>\n",
                    T("与上年同季度相比：", "Change against the same quarter a year before:"),
                    100 * (sums[0] / sums[1] - 1));
        fprintf(
            o, "<p class=\"note\">%s</p></section>\n",
            T("季度值为三个月发布值之和；区间为单个单元格95%半宽×√单元格数（正态近似）。",
              "A quarter is the sum of its three released months; its interval is the cells' 95 % "
              "half-width times the square root of the number of cells (normal approximation)."));
        int m1 = q * 3 + 3, m0 = m1 - 36;
        double v[72] = {0}; /* 36 months, then their baseline */
        for (int m = m0; m < m1; m++) {
            int n = 0;
            v[m - m0] = released_month(c, t, family, label, m, &n);
            if (isfinite(v[m - m0]) && v[m - m0] < c->min_count) v[m - m0] = NAN;
        }
        trend_section(c, v, 36, m0, v + 36);
    }
    fprintf(o, "<section id=\"places\"><h2>%s</h2><p>%s</p></section>\n",
            T("二、高危场所", "2. High-risk places"),
            T("公开版不含事件地图；公开地图页面提供由发布数据生成的密度图、热点与黑点。",
              "The public version has no map of incidents; the public map page shows the density, "
              "hot spots and black spots made from the release."));
    sec_projects(c);
    const json_t *meta = rel_metadata(r);
    fprintf(o, "<section id=\"sources\"><h2>%s</h2><p class=\"note\" id=\"provenance\">%s %lld, ",
            T("六、数据来源与出处", "6. Data sources and provenance"), T("公开发布", "Release"),
            (long long)rel_id(r));
    const char *created = jstr(meta, "created_at");
    fprintf(o, "%s ", T("创建于", "created"));
    esc(o, created ? created : "—");
    fprintf(o, ", ε = %g, min_count = %d.</p></section>\n",
            json_number_value(json_object_get(json_object_get(meta, "privacy"), "epsilon")),
            c->min_count);
    return HZ_OK;
}

/* ---- the report ------------------------------------------------------------------------ */

static void population(rctx *c)
{
    const hz_area *a = incset_areas(c->in->snap);
    c->population = 0;
    for (size_t i = 0; i < incset_area_count(c->in->snap); i++)
        if (a[i].parent < 0) {
            if (a[i].population < 0) {
                c->population = -1;
                return;
            }
            c->population += a[i].population;
        }
}

static hz_status body(rctx *c)
{
    char title[256], ql[32];
    quarter_label(c, c->in->quarter, ql, sizeof ql);
    snprintf(title, sizeof title, "%s%s %s %s",
             c->in->public_version ? T("【公开版】", "[Public] ") : "", group_name(c), ql,
             T("伤害安全诊断报告", "injury diagnosis report"));
    head(c, title);
    if (c->in->public_version) return public_report(c);
    hz_status rc = sec_headline(c);
    if (rc == HZ_OK) rc = sec_places(c);
    if (rc == HZ_OK) rc = sec_groups(c);
    if (rc == HZ_OK) rc = sec_trend(c);
    if (rc == HZ_OK) {
        sec_projects(c);
        sec_sources(c, incset_data_version(c->in->snap));
    }
    return rc;
}

hz_status report_html(const report_inputs *in, char **html, size_t *len, char *err, size_t errlen)
{
    assert(in && in->snap && html && len);
    *html = NULL;
    *len = 0;
    rctx c = {.in = in, .en = in->lang_en, .err = err, .errlen = errlen};
    if (!in->group) return hz_fail(HZ_EINVAL, err, errlen, "group: required");
    if (strcmp(in->group, "district") != 0) {
        c.g = wgroup_find(in->group);
        if (!c.g)
            return hz_fail(HZ_EINVAL, err, errlen, "group: unknown working group '%s'", in->group);
    }
    if (in->quarter / 4 < 1900 || in->quarter / 4 > 2999)
        return hz_fail(HZ_EINVAL, err, errlen, "quarter: out of range");
    if (in->public_version && !in->rel)
        return hz_fail(HZ_EINVAL, err, errlen, "public report: no release (run hazmap publish)");
    if (in->projects && !json_is_array(in->projects))
        return hz_fail(HZ_EINVAL, err, errlen, "projects: not a JSON array");
    report_quarter_bounds(in->quarter, &c.q_from, &c.q_to);
    report_quarter_bounds(in->quarter - 4, &c.p_from, &c.p_to);
    c.y_from = c.p_to;
    population(&c);
    c.min_count = in->min_count;
    if (in->public_version) {
        json_int_t rm = json_integer_value(
            json_object_get(json_object_get(rel_metadata(in->rel), "suppression"), "min_count"));
        if (rm > c.min_count) c.min_count = (int)rm;
    }
    c.tr = in->tr;
    if (!in->public_version && !c.tr) {
        c.tr = c.own_tr = tilerender_new(in->snap, 0, err, errlen);
        if (!c.tr) return HZ_ENOMEM;
    }
    char *buf = NULL;
    size_t n = 0;
    c.o = open_memstream(&buf, &n);
    if (!c.o) {
        tilerender_free(c.own_tr);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    hz_status rc = body(&c);
    fputs("</body></html>\n", c.o);
    int bad = ferror(c.o);
    bad |= fclose(c.o) != 0;
    tilerender_free(c.own_tr);
    if (rc == HZ_OK && bad) rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (rc != HZ_OK) {
        free(buf);
        return rc;
    }
    *html = buf;
    *len = n;
    return HZ_OK;
}

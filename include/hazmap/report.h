/* report.h - the quarterly diagnosis report (安全诊断季度报告, issue 12 item 3): one working group
 * (wgroups.h) or the whole district, one quarter, as one self-contained HTML page (inline CSS,
 * charts as inline SVG, maps as PNG data: URIs, no network), zh-CN by default, English on
 * request; report_pdf() prints it with headless Chromium.
 *
 * The planners' report (live data) holds, for the group's filter inside the areas:
 *   1. headline: the quarter's count and rate per 100,000 per year with the exact Poisson 95 % CI
 *      (rates.h), against the same quarter a year before: the rate ratio with the log-normal
 *      95 % CI exp(ln RR -/+ 1.96 sqrt(1/a + 1/b)) (Rothman, Modern Epidemiology, ch. 14);
 *   2. high-risk places over the four quarters ending with the quarter (a quarter alone is too
 *      sparse for most groups): Gi* hot spots (hotspots.h, automatic cell and band), DBSCAN black
 *      spots (blackspots.h, automatic min_points) and, for traffic, the network screening's
 *      junctions and sections (screen.h, fitted SPF), each a table of the top ten and a map;
 *   3. high-risk groups over the same four quarters: counts and rates by age group and by sex
 *      with CIs, beside the district's rates of all injuries (denominator: the total population,
 *      as rates.h says); vulnerable groups: elderly (65+), disabled, children (0-14);
 *   4. the monthly trend: the twelve months ending with the quarter against a seasonal baseline,
 *      the mean count of the same calendar month in every earlier year of the data
 *      (report_seasonal_baseline());
 *   5. the group's projects (project.h JSON) with status and evaluation;
 *   6. data sources, coverage (records without a position, outside every area, undated; the
 *      linkage of sources) and provenance (data version, parameters).
 *
 * The public version (public_version 1) is computed from the release only (release.h, PRIVACY.md:
 * the public is answered from the newest release): the quarter's released monthly cells of the
 * group's injury or place group summed (a sum with a withheld month is withheld), the monthly
 * trend as released, and the projects; no live count, no map of incidents, no coverage counts.
 * Every count shown is a released value or a sum of them at or above min_count; a withheld cell
 * shows as withheld. Groups the release has no table for (elderly, disabled, environment) say so.
 *
 * Every count in the HTML is marked <span class="n" data-n="COUNT">, so tests and readers can
 * check them. Ownership: report_html() returns a malloc'd NUL-terminated page the caller frees;
 * the inputs are borrowed. Thread-safety: reentrant over shared, immutable inputs. */
#ifndef HAZMAP_REPORT_H
#define HAZMAP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/incset.h"
#include "hazmap/roadnet.h"
#include "hazmap/status.h"
#include "hazmap/tilerender.h"

struct rel_release;

/* Everything a report is made from. The lead wires projects to the registry: an array of the
 * API's project objects (project_to_json()), each with an optional "evaluation" member
 * {"effect": {"method", "estimate", "ci": [lo, hi], "verdict"}}; the report lists those whose
 * "group" is the report's (every project for the district). */
typedef struct report_inputs {
    const incset *snap;            /* required: areas, incidents */
    const roadnet *net;            /* streets on the maps and the traffic screening; may be NULL */
    tilerender *tr;                /* density maps; NULL: one is made for the call */
    const struct rel_release *rel; /* the public version's release; required with public_version */
    const json_t *projects;        /* array of project objects; NULL = none */
    const json_t *linkage;         /* linkage_db_summary(); NULL = sources not linked */
    const char *group;             /* wgroups.h key, or "district" */
    int quarter;                   /* year * 4 + quarter - 1 (release.h) */
    int lang_en;                   /* 0 zh-CN, 1 English */
    int public_version;            /* 1: from rel only (above) */
    int min_count;                 /* the public policy's (disclosure.h); public version only */
    const char *source;            /* for the provenance (database name); may be NULL */
    int nthreads;                  /* analyses; <= 0 one per core */
} report_inputs;

/* "2014Q2" or "2014-Q2" -> 2014 * 4 + 1; HZ_EINVAL naming the text otherwise (years 1900-2999). */
hz_status report_parse_quarter(const char *text, int *quarter, char *err, size_t errlen);

/* The quarter's first instant and the next quarter's, local time +08:00, seconds. */
void report_quarter_bounds(int quarter, int64_t *from, int64_t *to);

/* Seasonal baseline of n consecutive monthly counts: baseline[i] is the mean of counts[i - 12],
 * counts[i - 24], ... that are not NaN (the same calendar month of the earlier years); NaN when
 * there is none. */
void report_seasonal_baseline(const double *counts, size_t n, double *baseline);

/* The report (above). HZ_EINVAL for an unknown group or quarter outside 1900-2999, or a public
 * version without a release; the analyses' errors otherwise (an analysis that finds too little to
 * run, e.g. no hot spot without incidents, is said in the report, not an error); HZ_ENOMEM. */
hz_status report_html(const report_inputs *in, char **html, size_t *len, char *err, size_t errlen);

/* Prints html to PDF with `chromium --headless --print-to-pdf` (chromium: the binary, NULL =
 * "chromium" on PATH), in a private temporary directory, killed after timeout_s seconds.
 * *pdf malloc'd (it starts with "%PDF"), the caller frees it. HZ_EIO when Chromium cannot be run,
 * fails or times out. */
hz_status report_pdf(const char *html, size_t len, const char *chromium, int timeout_s,
                     unsigned char **pdf, size_t *pdflen, char *err, size_t errlen);

#endif

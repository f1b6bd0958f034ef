/* pubstats.h - the public's /api/stats: counts, 95 % intervals and rates read from the newest
 * public release's tables only (release.h), never from the incidents.
 *
 * The public may ask only for the release's dimensions: area (a sub-district or district code),
 * year, quarter (a period label of the release), injury_group, place_group, severity_group,
 * age_band, sex, and by (which of the release's tables to list). Anything else, and a value the
 * release does not have, is a 400 naming what may be asked. */
#ifndef HAZMAP_PUBSTATS_H
#define HAZMAP_PUBSTATS_H

#include "hazmap/app.h"
#include "hazmap/httpmsg.h"

/* The comma-separated list of the public's parameters, for messages. */
#define PUBSTATS_PARAMS                                                                            \
    "area, year, quarter, injury_group, place_group, severity_group, age_band, sex, by"

/* Answers a public GET /api/stats from c->rel (503 when there is none). */
void pubstats_handle(hctx *c, const hreq *rq, hresp *rs);

/* Answers a public GET /api/evaluate from c->rel: a sub-district's released counts in the whole
 * periods before and from `start` (the first day of a period of the release): years of
 * subdistrict_year, or quarters of subdistrict_period_injury/place with injury_group or
 * place_group; before_days and after_days are rounded to whole periods. The rate ratio's 95 %
 * interval is the delta-method one on the log scale with each count's variance its value plus
 * the table's noise variance per cell. A withheld cell in a window withholds that window. Only
 * area, start, before_days, after_days, injury_group, place_group may be asked (400 otherwise). */
void pubstats_evaluate(hctx *c, const hreq *rq, hresp *rs);

/* The public's /collections/areas/items and /collections/areas/items/{code}: each area's
 * geometry with its released count, 95 % interval and rate for one year of the release (year=,
 * default the last), from district_year or subdistrict_year; a withheld cell is count null and
 * suppressed true. Only year (and, for items, limit, offset, bbox, f) may be asked. */
void pubstats_areas_items(hctx *c, const hreq *rq, hresp *rs);
void pubstats_area_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);

#endif

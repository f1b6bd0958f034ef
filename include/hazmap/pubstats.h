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

#endif

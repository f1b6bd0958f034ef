/* reportroute.h - GET /api/report: the quarterly diagnosis report (report.h) over HTTP.
 *
 *   GET /api/report?group=KEY|district&quarter=2014Q2[&lang=zh|en][&f=html|pdf]
 *
 * Planners and editors get the report of the live data; the public (no token) gets the public
 * version, computed from the newest release only (503 without one), whatever it asks. The
 * group's projects are passed as an empty array until the registry is wired in. Every other
 * argument, a missing group or quarter, or a bad value is a 400 naming the parameter. The report
 * is cached per data version (planners) or release (public) and parameters; f=pdf prints it with
 * headless Chromium (a 503 when Chromium cannot run). */
#ifndef HAZMAP_REPORTROUTE_H
#define HAZMAP_REPORTROUTE_H

#include "hazmap/app.h"
#include "hazmap/httpmsg.h"

void reportroute_handle(hctx *c, const hreq *rq, hresp *rs);

#endif

/* releases.h - the public releases over HTTP: every release stays readable by id, the newest is
 * what the public's maps and statistics answer from, and a planner may publish a new one (as
 * `hazmap publish` does), which the server also does on a schedule (publish_every_h).
 *
 *   GET  /api/releases                   the releases: id, time, period, budget; and the budget
 *                                        spent by all of them together (zCDP rho adds up over
 *                                        releases of the same incidents)
 *   GET  /api/releases/{id}              one release's metadata and its tables' links
 *   GET  /api/releases/{id}/tables/{t}   one table's released cells, row-major (null = withheld)
 *   POST /api/releases                   publish now (planners): 201 with the new release
 *
 * A release is immutable, so its answers are cached under its id for good. */
#ifndef HAZMAP_RELEASES_H
#define HAZMAP_RELEASES_H

#include <stdint.h>

#include "hazmap/app.h"
#include "hazmap/incset.h"
#include "hazmap/srvconf.h"
#include "hazmap/store.h"

void releases_list(hctx *c, const hreq *rq, hresp *rs);
void releases_one(hctx *c, const hreq *rq, hresp *rs);   /* seg[0] = id */
void releases_table(hctx *c, const hreq *rq, hresp *rs); /* seg[0] = id, seg[1] = table */
void releases_post(hctx *c, const hreq *rq, hresp *rs);

/* Builds a release of snapshot s with the server's disclosure settings and the default budget,
 * noise from the system's CSPRNG, and stores it in st (rel_publish()); *id is its id. */
hz_status releases_publish(const incset *s, store *st, const srvconf *cfg, int64_t *id, char *err,
                           size_t errlen);

/* The data version the newest release was computed from (0 when none). */
hz_status releases_latest_version(store *st, int64_t *version, char *err, size_t errlen);

#endif

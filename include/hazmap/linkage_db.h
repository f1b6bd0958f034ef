/* linkage_db.h - record linkage over the store: `hazmap link` (read the records and the
 * reviewers' decisions, link, store the links), the events the stored links make, and the
 * capture-recapture summary of the sources (linkage.h, capture.h, store_links.h).
 *
 * Ownership: JSON results are new references for the caller; event arrays are the caller's. */
#ifndef HAZMAP_LINKAGE_DB_H
#define HAZMAP_LINKAGE_DB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/incset.h"
#include "hazmap/linkage.h"
#include "hazmap/status.h"
#include "hazmap/store.h"

/* Links the store's records under p, keeping the reviewers' decisions, and stores the links
 * (store_links_sync(): idempotent). *report: {"parameters", "weights" (per field m, u,
 * agreement and disagreement weights), "em" ({iterations, prior} or null when fixed),
 * "candidate_pairs", "links" {auto, possible, confirmed, rejected}, "rows_written", "summary"
 * (linkage_db_summary())}. HZ_EINVAL for bad parameters or more than LINKAGE_MAX_SOURCES
 * sources. */
hz_status linkage_db_run(store *st, const linkage_params *p, json_t **report, char *err,
                         size_t errlen);

/* The events of the stored links (auto and confirmed): event[k] for incident ids[k] (ids not
 * in the store are events of their own), numbered 0 .. *nevents - 1. Without any link every
 * record is its own event. */
hz_status linkage_db_events(store *st, const int64_t *ids, size_t n, uint32_t *event,
                            size_t *nevents, char *err, size_t errlen);

/* linkage_db_events() for every incident of snapshot s, in incset_items() order, into a new
 * array *event (the caller frees it) of *nevents events: what rates_compute_events() takes. */
hz_status linkage_db_snapshot_events(store *st, const incset *s, uint32_t **event, size_t *nevents,
                                     char *err, size_t errlen);

/* 1 when the store holds at least one auto or confirmed link (0 also when it has no table). */
int linkage_db_has_links(store *st);

/* Gives the freshly loaded snapshot s (not yet shared) the event map of the stored links
 * (incset_set_events()) when the store has any link; without links it leaves s alone. */
hz_status linkage_db_attach_events(store *st, incset *s, char *err, size_t errlen);

/* What the sources saw, from the stored links: {"sources": [{name, records, events}],
 * "records", "events", "links": {auto, possible, confirmed, rejected}, "histories":
 * [{sources: [names], events}] (every observed capture history), "pairs": [{sources: [a, b],
 * n1, n2, both, chapman: {total, se, ci95: [lo, hi]}}], "estimate": {method ("chapman" for two
 * sources, "log-linear" for 3..CAPTURE_MAX_SOURCES, null otherwise), observed, total, missed,
 * se, ci95, interval, model}}. */
hz_status linkage_db_summary(store *st, json_t **out, char *err, size_t errlen);

#endif

/* store_links.h - the record links in the store (geo/store/store_links.c): which records of
 * different sources describe the same injury (linkage.h), with their scores and the reviewers'
 * decisions.
 *
 * One table, record_links(id, a, b, score, status, reviewer, at), a < b incident ids, one row per
 * pair. It is created (CREATE ... IF NOT EXISTS) by the first write, so databases made before
 * links existed need no migration; until then the read functions find no link. status is one of
 * auto, possible (written by `hazmap link`), confirmed, rejected (a reviewer's decision). A
 * reviewed row is never changed or removed by store_links_sync(), so re-running the linkage keeps
 * every decision; ids of rows that stay are stable. Writes bump the data version (links change
 * the events that analyses count).
 *
 * Strings in records handed to callbacks are valid during the callback only. */
#ifndef HAZMAP_STORE_LINKS_H
#define HAZMAP_STORE_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"
#include "hazmap/store.h"

typedef struct store_link_rec {
    int64_t id;           /* set by the store */
    int64_t a, b;         /* incident ids, a < b */
    double score;         /* the linkage score (log2 units) */
    const char *status;   /* "auto", "possible", "confirmed", "rejected" */
    const char *reviewer; /* who decided (reviewed rows); NULL otherwise */
    const char *at;       /* when (ISO 8601 UTC); NULL for unreviewed rows */
} store_link_rec;

typedef int (*store_link_cb)(void *ud, const store_link_rec *l);

/* Calls cb for every incident in id order with the fields linkage compares: id, source, t,
 * mechanism, age, sex, area_code, lon, lat (the rest zero or NULL). A non-zero return stops. */
hz_status store_link_records(store *st, store_incident_cb cb, void *ud, char *err, size_t errlen);

/* In one transaction: the unreviewed links (auto, possible) become exactly links[0 .. n-1]
 * (whose status must be auto or possible, a < b): rows that stay keep their id, changed scores
 * and statuses are updated, the others are deleted; a pair that has a reviewed row is left as
 * the reviewer left it. *changed (may be NULL) receives the number of rows written. */
hz_status store_links_sync(store *st, const store_link_rec *links, size_t n, int64_t *changed,
                           char *err, size_t errlen);

/* Calls cb for the links with this status (NULL: all) in id order, skipping offset and stopping
 * after limit (-1: no limit); *total (may be NULL) receives the number with the status. */
hz_status store_links_scan(store *st, const char *status, int64_t offset, int64_t limit,
                           store_link_cb cb, void *ud, int64_t *total, char *err, size_t errlen);

/* Calls cb with link id; HZ_ENOTFOUND when there is none. */
hz_status store_link_get(store *st, int64_t id, store_link_cb cb, void *ud, char *err,
                         size_t errlen);

/* Records a reviewer's decision ("confirmed" or "rejected", else HZ_EINVAL) on link id, in its
 * own transaction, with the reviewer's name (required) and the time now. HZ_ENOTFOUND when there
 * is no link id. */
hz_status store_link_review(store *st, int64_t id, const char *status, const char *reviewer,
                            char *err, size_t errlen);

#endif

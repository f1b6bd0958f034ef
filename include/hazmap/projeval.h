/* projeval.h - the evaluation of one safety-promotion project (project.h) against the snapshot:
 * which incidents, which windows, which methods, and the JSON of API.md ("Project evaluation").
 *
 * Target: the incidents passing the project's target filter (filter.h query string), or its
 * group's filter (wgroups.h) when the target is "". Windows (local dates, +08:00): after =
 * [start, end + 1 day) when the project has an end, else the 365 days from start; before = as
 * many days ending at start. A window reaching past the data's time span draws a warning.
 *
 * Area projects (areas only; the incidents in any target area or its descendants, person-time
 * from the summed populations; the areas must not nest):
 *   rate_ratio  RR after/before (evaluate.h); with comparison areas (given, or chosen
 *               automatically: the PROJEVAL_AUTO_COMPARE areas of the first target area's
 *               level, with a population, neither containing nor inside a target area, whose
 *               before-window rates are closest to the target's; pooled), the ratio of rate
 *               ratios RRR, which corrects for a district-wide trend.
 *   its         when the data hold >= 24 whole months before start (its.h): monthly counts
 *               from the first whole month of the data to the end of the after window (or the
 *               last whole month of the data), exposure =
 *               population x days of the month, month dummies; the month holding start counts
 *               as after. Level change exp(b2) and slope change exp(b3) with 95 % CIs.
 * Site projects (road sites of the screening "J<node id>"/"S<segment id>", or a drawn point
 * with buffer_m, default 50 m: the junctions within it, else the section nearest it within it):
 *   eb_before_after  ebba.h, with the SPF fitted by the network screening (screen.h) on every
 *               site over the before window (mechanism traffic when the target names none);
 *               the incidents counted are those the screening's assignment puts on the sites.
 *               P_B = SPF per year x before years, P_A = the same x after years (no volume
 *               change is known).
 *   Drawn lines and polygons are refused (HZ_EINVAL) for now.
 *
 * Effect: the method of the most rigour that ran (eb_before_after; else its level change; else
 * the RRR, else the RR) with its estimate, CI and verdict: "reduced" when the CI lies below 1,
 * "increased" above 1, else "no_evidence".
 *
 * Disclosure (pol non-NULL, disclosure.h): a method any of whose counts is hidden shows no
 * count and no estimate ("suppressed": true); the effect then too.
 *
 * Ownership: the result is a new JSON reference (*out). Thread-safety: reentrant. */
#ifndef HAZMAP_PROJEVAL_H
#define HAZMAP_PROJEVAL_H

#include <stddef.h>

#include <jansson.h>

#include "hazmap/disclosure.h"
#include "hazmap/incset.h"
#include "hazmap/project.h"
#include "hazmap/roadnet.h"
#include "hazmap/status.h"
#include "hazmap/workcrs.h"

enum { PROJEVAL_AUTO_COMPARE = 3, PROJEVAL_DEFAULT_DAYS = 365 };

typedef struct projeval_opts {
    const roadnet *net;         /* the road network (site projects); NULL: refused */
    workcrs *crs;               /* lon/lat -> working CRS for drawn points; NULL: refused */
    const char *const *compare; /* comparison area codes, or NULL: chosen automatically */
    size_t ncompare;            /* 0: automatic */
    const disc_policy *pol;     /* NULL: planners' version */
} projeval_opts;

/* Evaluates p. HZ_EINVAL with a message naming the member (target, group, areas, sites, start,
 * location) for what cannot be evaluated; HZ_ENOMEM. */
hz_status projeval_run(const incset *s, const hz_project *p, const projeval_opts *o, json_t **out,
                       char *err, size_t errlen);

struct store;

/* Every project of group (NULL: all groups) that the audience sees (started_only: not planned),
 * in id order, each as project_to_json() with an "evaluation" member: projeval_run()'s JSON
 * under pol, or {"error": "..."} when the project cannot be evaluated (an ITS without 24 months,
 * a drawn polygon, ...; the reason). net may be NULL: the store's road network is then loaded
 * once, when the first project with road sites or a drawn point needs it. The projects are read
 * from st (one scan); the snapshot s must be of the same store. New reference in *out. HZ_ENOMEM
 * or the store's failure; a project's own refusal is not a failure. */
hz_status projeval_list(struct store *st, const incset *s, const roadnet *net, const char *group,
                        int started_only, const disc_policy *pol, json_t **out, char *err,
                        size_t errlen);

/* The public summary of projeval_list()'s array (the release's "project_effects"): per project
 * id, title, title_en, group, type, status, start, end and "evaluation": {"effect": ...} with
 * the effect only (method, estimate, ci, verdict; numbers rounded to 2 decimals), null when it
 * was suppressed or could not be computed. New reference; NULL on OOM. */
json_t *projeval_public_summary(const json_t *list);

#endif

/* linkage.h - probabilistic record linkage across sources ("several sources, one event"): which
 * records of different sources (hospital, police, traffic police, fire, ...) describe the same
 * injury, and the events that the links make.
 *
 * Method (LINKAGE.md has the long form):
 *  - Blocking: a candidate pair is two records of different sources, both dated, at most
 *    window_s apart, and at most max_m apart (great-circle), or in the same area when one of
 *    them has no point.
 *  - Comparison vector, one value per field (LINKAGE_F_*): agree, disagree, or missing (either
 *    side unknown, which weighs 0). time: |dt| <= window_s / 2; distance: <= max_m / 2; age:
 *    |da| <= 2 years; sex: equal; mechanism: compatible (linkage_mech_compatible()).
 *  - Fellegi & Sunter (1969) weights: agreement log2(m/u), disagreement log2((1-m)/(1-u)), where
 *    m = P(agree | same event) and u = P(agree | different events), estimated by EM under
 *    conditional independence (Winkler 1988; Herzog, Scheuren & Winkler 2007, ch. 9), or given
 *    (linkage_weights_parse()). A pair's score is the sum of its fields' weights. EM needs both
 *    kinds of pairs: with fewer than LINKAGE_EM_MIN_PAIRS candidates, a share of matches outside
 *    (0.001, 0.99), or no field whose m exceeds its u by 0.1, the built-in probabilities are used
 *    instead (linkage.c, default_m/default_u) and the result says so (em_fallback).
 *  - Score >= link_t (default LINKAGE_LINK_T) is a link; >= possible_t (LINKAGE_POSSIBLE_T) a
 *    possible link for a reviewer; below, nothing.
 *  - One-to-one, greedy: reviewers' confirmed links first, then the pairs by score, highest
 *    first (ties by the smaller ids); a pair is taken unless it would put two records of one
 *    source in the same cluster (so each record is linked to at most one record per other
 *    source); rejected pairs are never taken. Possible links take their place in this order too.
 *  - Events: the connected clusters of the links (auto and confirmed; possible ones are not
 *    links until confirmed); an unlinked record is an event of its own.
 *
 * Ownership: linkage_run() returns a result freed with linkage_free() (NULL is a no-op). */
#ifndef HAZMAP_LINKAGE_H
#define HAZMAP_LINKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"
#include "hazmap/store.h"

/* The compared fields. */
enum {
    LINKAGE_F_TIME,
    LINKAGE_F_DISTANCE,
    LINKAGE_F_AGE,
    LINKAGE_F_SEX,
    LINKAGE_F_MECHANISM,
    LINKAGE_FIELDS
};

/* A field's comparison outcome. */
enum { LINKAGE_DISAGREE = 0, LINKAGE_AGREE = 1, LINKAGE_MISSING = 2 };

/* A link's status, as stored (linkage_status_name()). */
typedef enum linkage_status {
    LINK_NONE = 0,  /* not linked */
    LINK_AUTO,      /* score >= link_t */
    LINK_POSSIBLE,  /* possible_t <= score < link_t: for a reviewer */
    LINK_CONFIRMED, /* a reviewer said yes */
    LINK_REJECTED   /* a reviewer said no */
} linkage_status;

/* The most sources one run links (a cluster's sources are a 64-bit set). */
enum { LINKAGE_MAX_SOURCES = 64 };

#define LINKAGE_WINDOW_S 7200.0
#define LINKAGE_MAX_M 200.0
#define LINKAGE_LINK_T 6.0
#define LINKAGE_POSSIBLE_T 2.0
#define LINKAGE_EM_MIN_PAIRS 100

/* One record to link. */
typedef struct linkage_rec {
    int64_t id;      /* the store's incident id; unique */
    int src;         /* source index 0 .. nsrc - 1 */
    int64_t t;       /* seconds since the epoch; INT64_MIN unknown (never a candidate) */
    double lon, lat; /* WGS84 degrees, when has_point */
    int has_point;
    int area;      /* area index (any numbering), -1 none */
    int age;       /* years, -1 unknown */
    int sex;       /* hz_sex, 0 unknown */
    int mechanism; /* hz_mechanism, 0 unknown */
} linkage_rec;

typedef struct linkage_params {
    double window_s, max_m;    /* blocking */
    double link_t, possible_t; /* thresholds on the score (log2 units) */
    int fixed;                 /* 1: m and u below are given, no EM */
    double m[LINKAGE_FIELDS], u[LINKAGE_FIELDS];
} linkage_params;

/* The defaults above, fixed 0. */
void linkage_params_init(linkage_params *p);

/* A reviewer's decision on a pair (by incident ids, either order). */
typedef struct linkage_decision {
    int64_t a, b;
    linkage_status status; /* LINK_CONFIRMED or LINK_REJECTED */
} linkage_decision;

typedef struct linkage_pair {
    uint32_t i, j; /* indices into the records, recs[i].id < recs[j].id */
    int64_t a, b;  /* their ids, a < b */
    double score;
    uint8_t gamma[LINKAGE_FIELDS]; /* LINKAGE_AGREE / DISAGREE / MISSING */
    linkage_status status;         /* what this run decided (LINK_NONE: not taken) */
} linkage_pair;

typedef struct linkage_result {
    size_t npairs;
    linkage_pair *pairs; /* the candidate pairs and the decided ones, by score, highest first */
    double m[LINKAGE_FIELDS], u[LINKAGE_FIELDS]; /* the probabilities used */
    double w_agree[LINKAGE_FIELDS], w_disagree[LINKAGE_FIELDS];
    double prior;    /* EM's share of matches among the candidate pairs (NaN when fixed) */
    int em_iter;     /* EM iterations (0 when fixed) */
    int em_fallback; /* 1: EM's estimate was not usable, the built-in m and u were used */
    size_t nauto, npossible, nconfirmed, nrejected;
    uint32_t *event; /* per record (input order): its event, 0 .. nevents - 1 */
    size_t nevents;
} linkage_result;

/* Links n records of nsrc sources (1..LINKAGE_MAX_SOURCES) under p and the reviewers'
 * decisions (ndec may be 0; decisions naming unknown ids are ignored). HZ_EINVAL for bad
 * parameters or a source index out of range, HZ_ENOMEM. */
hz_status linkage_run(const linkage_rec *recs, size_t n, int nsrc, const linkage_params *p,
                      const linkage_decision *dec, size_t ndec, linkage_result **out, char *err,
                      size_t errlen);

void linkage_free(linkage_result *r);

/* 1 when two mechanisms may describe the same injury: equal; either unknown or recorded as
 * unspecified; or two motor-vehicle traffic groups one of which is traffic_other (road user not
 * said). Two different road users (a pedestrian, an occupant) are two people: not compatible. */
int linkage_mech_compatible(int a, int b);

/* "auto", "possible", "confirmed", "rejected" (NULL for LINK_NONE), and back (-1 unknown). */
const char *linkage_status_name(linkage_status s);
int linkage_status_parse(const char *name, linkage_status *s);

/* The field's name: "time", "distance", "age", "sex", "mechanism". */
const char *linkage_field_name(int f);

/* Parses a weights file: a JSON object with, for every field, {"m": P, "u": P} (0 < P < 1),
 * e.g. {"time": {"m": 0.95, "u": 0.2}, ...}; sets p->m, p->u and p->fixed. HZ_EINVAL naming
 * the problem. */
hz_status linkage_weights_parse(const char *json_text, linkage_params *p, char *err, size_t errlen);

/* Events from links: given n record ids and nl links (pairs of ids; ids not among the records
 * are ignored), sets event[k] to record k's event 0 .. *nevents - 1, numbered in order of each
 * event's first record. HZ_ENOMEM. */
hz_status linkage_events(const int64_t *ids, size_t n, const int64_t (*links)[2], size_t nl,
                         uint32_t *event, size_t *nevents);

#endif

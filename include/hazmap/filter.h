/* filter.h - the incident filter every analysis, tile and endpoint shares.
 *
 * The same names serve as CLI options (--mechanism traffic) and query parameters
 * (?mechanism=traffic), so a map view and a command line reproduce each other:
 *   mechanism  one or several, comma-separated (traffic_pedestrian,fall)   place, severity, sex,
 *              intent, activity, outcome: same. mechanism also takes the group word traffic (the
 *              five motor-vehicle traffic groups) and the words of the model before issue 11
 *              (fire_burn, crush, animal; violence and self_harm, which select an intent:
 *              vocab_mechanism_alias()); the parameter selects an incident whose mechanism is
 *              one of those named or whose intent is one a legacy word named
 *   from, to   dates or date-times (ISO 8601); "to" is inclusive of a whole day given as YYYY-MM-DD
 *   age        MIN-MAX years, either end may be empty ("65-", "-14")
 *   disability yes | no (incidents whose disability is unknown fail either)
 *   area       an area code; incidents assigned to that area or to one of its descendants
 *   weight     count | score (score = EPDO-style severity weights, see below)
 *   weights    severity weights, e.g. "fatal=12,serious=12,minor=3,none=1"
 *   count      events (the default) | records: with record linkage (LINKAGE.md), the point
 *              analyses place each event (linked records) once, at its first located record in
 *              id order that passes the filter (incset_select()); records counts every record
 * Default severity weights (fatal 12, serious 12, minor 3, none 1, unknown 1) are the simplified
 * equivalent-property-damage-only weights in the spirit of the Highway Safety Manual (AASHTO 2010,
 * ch. 4); they are configurable because each agency sets its own. */
#ifndef HAZMAP_FILTER_H
#define HAZMAP_FILTER_H

#include <stdint.h>

#include "hazmap/status.h"
#include "hazmap/vocab.h"

typedef enum hz_weight_mode { HZ_WEIGHT_COUNT = 0, HZ_WEIGHT_SCORE = 1 } hz_weight_mode;

typedef struct hz_filter {
    uint32_t mechanisms;   /* bit (1u << hz_mechanism); 0 (and mech_intents 0) = any */
    uint32_t mech_intents; /* bit (1u << hz_intent) named by the mechanism parameter's legacy
                              words violence and self_harm: the mechanism test passes when the
                              mechanism is in mechanisms or the intent in mech_intents */
    uint32_t places;       /* bit (1u << hz_place); 0 = any */
    uint32_t intents;      /* bit (1u << hz_intent); 0 = any */
    uint32_t severities;   /* bit (1u << hz_severity); 0 = any */
    uint32_t sexes;        /* bit (1u << hz_sex); 0 = any */
    uint32_t activities;   /* bit (1u << hz_activity); 0 = any */
    uint32_t outcomes;     /* bit (1u << hz_outcome); 0 = any */
    int64_t from;          /* inclusive, seconds since epoch; INT64_MIN = open */
    int64_t to;            /* exclusive; INT64_MAX = open */
    int age_min, age_max;  /* inclusive years; -1 = open. When either is set, unknown ages fail */
    int disability;        /* 1 yes, 0 no, -1 any */
    char area[64];         /* area code or "" for all */
    hz_weight_mode weight;
    double sev_weight[HZ_SEV_COUNT]; /* used when weight == HZ_WEIGHT_SCORE */
    int tz_offset_s;                 /* offset for dates without one; default +08:00 */
    int count_records; /* 1: count every record; 0 (default): each linked event once */
} hz_filter;

/* Everything open, count weights, default severity weights, +08:00. */
void filter_init(hz_filter *f);

/* 1 if key is one of the filter's parameter names above, else 0. */
int filter_is_param(const char *key);

/* Sets one parameter from its text; strict (unknown vocabulary words, malformed dates or ranges,
 * empty values are errors naming the parameter and value). Setting a list parameter again adds to
 * it; over HTTP no parameter may be given twice (hreq_repeated_arg()). */
hz_status filter_set(hz_filter *f, const char *key, const char *value, char *err, size_t errlen);

/* Weight of an incident of the given severity under f (1 for HZ_WEIGHT_COUNT). */
double filter_weight(const hz_filter *f, int severity);

/* Writes a canonical query string of the non-default settings ("mechanism=traffic&from=...")
 * into buf (always NUL-terminated); from and to are seconds since the epoch; the five traffic
 * groups together are written "traffic", the intents of the mechanism parameter's legacy words as
 * those words (violence, self_harm) after the mechanisms; the area code's
 * bytes % & = + # are %XX-escaped. Equal filters give equal strings and unequal ones unequal
 * strings: caches key on it.
 * Returns the length it needed (like snprintf). */
int filter_canonical(const hz_filter *f, char *buf, size_t buflen);

#endif

/* relgroups.c - the one table of the public release's groups (see relgroups.h).
 *
 * Invariant: within a family the rows are tried in order and the last row matches every
 * incident, so each incident has exactly one group (asserted in relg_of()). */
#include "relgroups.h"
#include "hazmap/rates.h"
#include "hazmap/vocab.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define BIT(v) (UINT32_C(1) << (v))
#define ANY UINT32_MAX

/* A row matches an incident whose mechanism, intent, place, severity or sex is in its set. */
typedef struct relg_row {
    relg_family family;
    const char *name;
    uint32_t mechanism, intent, place, severity, sex;
    const char *definition;
} relg_row;

static const relg_row rows[] = {
    {RELG_INJURY, "self_harm", 0, BIT(HZ_INTENT_SELF_HARM), 0, 0, 0, "intent self_harm"},
    {RELG_INJURY, "violence", 0, BIT(HZ_INTENT_ASSAULT), 0, 0, 0,
     "intent assault (violence and public order)"},
    {RELG_INJURY, "traffic", HZ_MECH_TRAFFIC_MASK, 0, 0, 0, 0,
     "mechanism motor-vehicle traffic (its five road-user groups), not intentional"},
    {RELG_INJURY, "fall", BIT(HZ_MECH_FALL), 0, 0, 0, 0, "mechanism fall, not intentional"},
    {RELG_INJURY, "fire", BIT(HZ_MECH_FIRE_FLAME) | BIT(HZ_MECH_HOT_SUBSTANCE), 0, 0, 0, 0,
     "mechanism fire_flame or hot_substance, not intentional"},
    {RELG_INJURY, "other", ANY, 0, 0, 0, 0,
     "every other mechanism (other transport, struck, cut_pierce, drowning, suffocation, "
     "poisoning, machinery, natural, bites_stings, firearm, electric, overexertion, other, "
     "unspecified) and unknown"},
    {RELG_PLACE, "home", 0, 0, BIT(HZ_PLACE_HOME), 0, 0, "place home"},
    {RELG_PLACE, "school", 0, 0, BIT(HZ_PLACE_SCHOOL), 0, 0, "place school"},
    {RELG_PLACE, "workplace", 0, 0, BIT(HZ_PLACE_WORKPLACE), 0, 0, "place workplace"},
    {RELG_PLACE, "public", 0, 0, BIT(HZ_PLACE_PUBLIC), 0, 0, "place public"},
    {RELG_PLACE, "road", 0, 0, BIT(HZ_PLACE_ROAD), 0, 0, "place road"},
    {RELG_PLACE, "other", 0, 0, ANY, 0, 0, "place other, and unknown"},
    {RELG_SEVERITY, "fatal_serious", 0, 0, 0, BIT(HZ_SEV_FATAL) | BIT(HZ_SEV_SERIOUS), 0,
     "severity fatal or serious"},
    {RELG_SEVERITY, "minor", 0, 0, 0, BIT(HZ_SEV_MINOR), 0, "severity minor"},
    {RELG_SEVERITY, "none_unknown", 0, 0, 0, ANY, 0, "severity none, and unknown"},
    {RELG_SEX, "male", 0, 0, 0, 0, BIT(HZ_SEX_MALE), "sex male"},
    {RELG_SEX, "female", 0, 0, 0, 0, BIT(HZ_SEX_FEMALE), "sex female"},
    {RELG_SEX, "unknown", 0, 0, 0, 0, ANY, "sex unknown"},
};

enum { NROWS = sizeof rows / sizeof *rows };

static const char *const family_names[RELG_FAMILIES] = {"injury_group", "place_group",
                                                        "severity_group", "age_band", "sex"};

const char *relg_family_name(relg_family f)
{
    return f < RELG_FAMILIES ? family_names[f] : NULL;
}

/* The first row of family f, and the number of its rows. */
static const relg_row *family_rows(relg_family f, int *n)
{
    const relg_row *first = NULL;
    *n = 0;
    for (size_t k = 0; k < NROWS; k++) {
        if (rows[k].family != f) continue;
        if (!first) first = &rows[k];
        (*n)++;
    }
    return first;
}

int relg_count(relg_family f)
{
    if (f == RELG_AGE) return RATES_AGE_GROUPS;
    int n;
    family_rows(f, &n);
    return n;
}

const char *relg_name(relg_family f, int g)
{
    if (f == RELG_AGE) return rates_age_group_name(g);
    int n;
    const relg_row *r = family_rows(f, &n);
    return g >= 0 && g < n ? r[g].name : NULL;
}

const char *relg_definition(relg_family f, int g)
{
    static const char *const ages[RATES_AGE_GROUPS] = {"age 0 to 14 years",  "age 15 to 24 years",
                                                       "age 25 to 44 years", "age 45 to 64 years",
                                                       "age 65 and over",    "age unknown"};
    if (f == RELG_AGE) return g >= 0 && g < RATES_AGE_GROUPS ? ages[g] : NULL;
    int n;
    const relg_row *r = family_rows(f, &n);
    return g >= 0 && g < n ? r[g].definition : NULL;
}

static int row_matches(const relg_row *r, const hz_incident *i)
{
    return (r->mechanism & BIT(i->mechanism)) || (r->intent & BIT(i->intent)) ||
           (r->place & BIT(i->place)) || (r->severity & BIT(i->severity)) || (r->sex & BIT(i->sex));
}

int relg_of(relg_family f, const hz_incident *i)
{
    if (f == RELG_AGE) return rates_age_group(i->age);
    int n;
    const relg_row *r = family_rows(f, &n);
    for (int g = 0; g < n; g++)
        if (row_matches(&r[g], i)) return g;
    assert(!"the last row of a family matches every incident");
    return n - 1;
}

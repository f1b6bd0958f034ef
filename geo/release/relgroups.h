/* relgroups.h - private to geo/release/: the groups the public release counts incidents in.
 *
 * Each family partitions the incidents: every incident falls in exactly one group of every
 * family, so a table indexed by a family has L2 sensitivity 1 (dpnoise.h). The definitions are
 * one table in relgroups.c, written into every release's metadata and PRIVACY.md:
 *   injury_group   the Safe Community working groups' mechanisms, intent first (WHO: intentional
 *                  injuries are grouped by intent, unintentional ones by mechanism):
 *                  self_harm, violence (violence and public order), traffic, fall, fire, other
 *   place_group    home, school, workplace, public, road, other (other places and unknown)
 *   severity_group fatal_serious, minor, none_unknown
 *   age_band       rates_age_group() (rates.h): 0-14, 15-24, 25-44, 45-64, 65+, unknown
 *   sex            male, female, unknown
 * Pure functions over static tables: thread-safe. */
#ifndef HAZMAP_GEO_RELGROUPS_H
#define HAZMAP_GEO_RELGROUPS_H

#include "hazmap/incset.h"

typedef enum relg_family {
    RELG_INJURY = 0,
    RELG_PLACE,
    RELG_SEVERITY,
    RELG_AGE,
    RELG_SEX,
    RELG_FAMILIES
} relg_family;

/* The family's name as a dimension of the release ("injury_group", ...). Borrowed, static. */
const char *relg_family_name(relg_family f);

/* Number of groups of the family. */
int relg_count(relg_family f);

/* Group g's name ("traffic") and its definition in words; NULL when g is out of range. */
const char *relg_name(relg_family f, int g);
const char *relg_definition(relg_family f, int g);

/* The group of incident i in family f, in [0, relg_count(f)). */
int relg_of(relg_family f, const hz_incident *i);

#endif

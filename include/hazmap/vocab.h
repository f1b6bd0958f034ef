/* vocab.h - the controlled vocabularies of an incident (mechanism, place, intent, severity, sex).
 *
 * The names are the ones stored in the database and used in every API; they follow the WHO
 * International Classification of External Causes of Injury (ICECI) core groupings. Value 0 of
 * each enum is "unknown" (stored as NULL). */
#ifndef HAZMAP_VOCAB_H
#define HAZMAP_VOCAB_H

#include <stdint.h>

typedef enum hz_mechanism {
    HZ_MECH_UNKNOWN = 0,
    HZ_MECH_TRAFFIC,
    HZ_MECH_FALL,
    HZ_MECH_FIRE_BURN,
    HZ_MECH_VIOLENCE,
    HZ_MECH_SELF_HARM,
    HZ_MECH_POISONING,
    HZ_MECH_DROWNING,
    HZ_MECH_CRUSH,
    HZ_MECH_CUT_PIERCE,
    HZ_MECH_ANIMAL,
    HZ_MECH_ELECTRIC,
    HZ_MECH_OTHER,
    HZ_MECH_COUNT
} hz_mechanism;

typedef enum hz_place {
    HZ_PLACE_UNKNOWN = 0,
    HZ_PLACE_HOME,
    HZ_PLACE_ROAD,
    HZ_PLACE_SCHOOL,
    HZ_PLACE_WORKPLACE,
    HZ_PLACE_PUBLIC,
    HZ_PLACE_OTHER,
    HZ_PLACE_COUNT
} hz_place;

typedef enum hz_intent {
    HZ_INTENT_UNKNOWN = 0,
    HZ_INTENT_UNINTENTIONAL,
    HZ_INTENT_ASSAULT,
    HZ_INTENT_SELF_HARM,
    HZ_INTENT_UNDETERMINED,
    HZ_INTENT_COUNT
} hz_intent;

/* Ordered from most to least severe. */
typedef enum hz_severity {
    HZ_SEV_UNKNOWN = 0,
    HZ_SEV_FATAL,
    HZ_SEV_SERIOUS,
    HZ_SEV_MINOR,
    HZ_SEV_NONE,
    HZ_SEV_COUNT
} hz_severity;

typedef enum hz_sex { HZ_SEX_UNKNOWN = 0, HZ_SEX_MALE, HZ_SEX_FEMALE, HZ_SEX_COUNT } hz_sex;

typedef enum hz_vocab {
    HZ_VOCAB_MECHANISM,
    HZ_VOCAB_PLACE,
    HZ_VOCAB_INTENT,
    HZ_VOCAB_SEVERITY,
    HZ_VOCAB_SEX
} hz_vocab;

/* The number of vocabularies: hz_vocab values are 0 .. HZ_VOCAB_KINDS - 1. */
enum { HZ_VOCAB_KINDS = HZ_VOCAB_SEX + 1 };

/* Canonical name of value v in vocabulary voc ("traffic", "fall", ...); NULL for 0 (unknown)
 * and for out-of-range values. Borrowed, static storage. */
const char *vocab_name(hz_vocab voc, int v);

/* Parses a canonical name (ASCII case-insensitive) into *v. Returns 0 on success, -1 if the
 * name is not in the vocabulary (*v untouched). */
int vocab_parse(hz_vocab voc, const char *name, int *v);

/* Number of values including 0 (unknown). */
int vocab_count(hz_vocab voc);

/* The vocabulary's own name: "mechanism", "place", ... (also its filter parameter and its
 * incident property). Borrowed. */
const char *vocab_label(hz_vocab voc);

#endif

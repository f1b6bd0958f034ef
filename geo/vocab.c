/* vocab.c - names of the incident vocabularies, and the words of the model before issue 11. */
#include "hazmap/vocab.h"

#include <stddef.h>
#include <strings.h>

static const char *const mechanism_names[HZ_MECH_COUNT] = {NULL,
                                                           "traffic_occupant",
                                                           "traffic_motorcyclist",
                                                           "traffic_pedal_cyclist",
                                                           "traffic_pedestrian",
                                                           "traffic_other",
                                                           "other_transport",
                                                           "fall",
                                                           "struck",
                                                           "cut_pierce",
                                                           "fire_flame",
                                                           "hot_substance",
                                                           "drowning",
                                                           "suffocation",
                                                           "poisoning",
                                                           "machinery",
                                                           "natural",
                                                           "bites_stings",
                                                           "firearm",
                                                           "electric",
                                                           "overexertion",
                                                           "other",
                                                           "unspecified"};
static const char *const place_names[HZ_PLACE_COUNT] = {NULL,        "home",   "road", "school",
                                                        "workplace", "public", "other"};
static const char *const intent_names[HZ_INTENT_COUNT] = {
    NULL, "unintentional", "assault", "self_harm", "undetermined", "legal_war"};
static const char *const severity_names[HZ_SEV_COUNT] = {NULL, "fatal", "serious", "minor", "none"};
static const char *const sex_names[HZ_SEX_COUNT] = {NULL, "male", "female"};
static const char *const activity_names[HZ_ACT_COUNT] = {
    NULL,      "work",  "housework", "education", "sport",
    "leisure", "vital", "travel",    "walking",   "other"};
static const char *const outcome_names[HZ_OUT_COUNT] = {
    NULL, "discharged", "observation", "hospitalised", "transferred", "died", "other"};
static const char *const nature_names[HZ_NAT_COUNT] = {
    NULL, "fracture", "sprain", "open_wound", "bruise", "burn", "concussion", "organ", "other"};
static const char *const body_part_names[HZ_BODY_COUNT] = {
    NULL, "head", "upper_limb", "lower_limb", "trunk", "multiple", "systemic", "other"};

static const char *const *table(hz_vocab voc, int *n)
{
    switch (voc) {
    case HZ_VOCAB_MECHANISM:
        *n = HZ_MECH_COUNT;
        return mechanism_names;
    case HZ_VOCAB_PLACE:
        *n = HZ_PLACE_COUNT;
        return place_names;
    case HZ_VOCAB_INTENT:
        *n = HZ_INTENT_COUNT;
        return intent_names;
    case HZ_VOCAB_SEVERITY:
        *n = HZ_SEV_COUNT;
        return severity_names;
    case HZ_VOCAB_SEX:
        *n = HZ_SEX_COUNT;
        return sex_names;
    case HZ_VOCAB_ACTIVITY:
        *n = HZ_ACT_COUNT;
        return activity_names;
    case HZ_VOCAB_OUTCOME:
        *n = HZ_OUT_COUNT;
        return outcome_names;
    case HZ_VOCAB_NATURE:
        *n = HZ_NAT_COUNT;
        return nature_names;
    case HZ_VOCAB_BODY_PART:
        *n = HZ_BODY_COUNT;
        return body_part_names;
    }
    *n = 0;
    return NULL;
}

const char *vocab_name(hz_vocab voc, int v)
{
    int n;
    const char *const *t = table(voc, &n);
    if (!t || v <= 0 || v >= n) return NULL;
    return t[v];
}

int vocab_parse(hz_vocab voc, const char *name, int *v)
{
    int n;
    const char *const *t = table(voc, &n);
    if (!t || !name) return -1;
    for (int i = 1; i < n; i++) {
        if (strcasecmp(t[i], name) == 0) {
            *v = i;
            return 0;
        }
    }
    return -1;
}

int vocab_count(hz_vocab voc)
{
    int n;
    table(voc, &n);
    return n;
}

const char *vocab_label(hz_vocab voc)
{
    switch (voc) {
    case HZ_VOCAB_MECHANISM:
        return "mechanism";
    case HZ_VOCAB_PLACE:
        return "place";
    case HZ_VOCAB_INTENT:
        return "intent";
    case HZ_VOCAB_SEVERITY:
        return "severity";
    case HZ_VOCAB_SEX:
        return "sex";
    case HZ_VOCAB_ACTIVITY:
        return "activity";
    case HZ_VOCAB_OUTCOME:
        return "outcome";
    case HZ_VOCAB_NATURE:
        return "nature";
    case HZ_VOCAB_BODY_PART:
        return "body_part";
    }
    return "?";
}

#define BIT(v) (UINT32_C(1) << (v))

/* The one table of the old mechanism words: what they are as data (vocab_mechanism_legacy) and
 * what they select as filter words (vocab_mechanism_alias). */
static const struct {
    const char *word;
    int mech, intent;         /* as data */
    uint32_t f_mechs, f_ints; /* as a filter word */
} legacy[] = {
    {"traffic", HZ_MECH_MVT_OTHER, 0, HZ_MECH_TRAFFIC_MASK, 0},
    {"fire_burn", HZ_MECH_FIRE_FLAME, 0, BIT(HZ_MECH_FIRE_FLAME) | BIT(HZ_MECH_HOT_SUBSTANCE), 0},
    {"crush", HZ_MECH_STRUCK, 0, BIT(HZ_MECH_STRUCK), 0},
    {"animal", HZ_MECH_BITES_STINGS, 0, BIT(HZ_MECH_BITES_STINGS), 0},
    {"violence", HZ_MECH_UNSPECIFIED, HZ_INTENT_ASSAULT, 0, BIT(HZ_INTENT_ASSAULT)},
    {"self_harm", HZ_MECH_UNSPECIFIED, HZ_INTENT_SELF_HARM, 0, BIT(HZ_INTENT_SELF_HARM)},
};

const char *const vocab_mechanism_alias_words[] = {"traffic",  "fire_burn", "crush", "animal",
                                                   "violence", "self_harm", NULL};

int vocab_mechanism_legacy(const char *name, int *mech, int *intent)
{
    if (!name) return -1;
    for (size_t i = 0; i < sizeof legacy / sizeof *legacy; i++) {
        if (strcasecmp(name, legacy[i].word) == 0) {
            *mech = legacy[i].mech;
            *intent = legacy[i].intent;
            return 0;
        }
    }
    int v;
    if (vocab_parse(HZ_VOCAB_MECHANISM, name, &v) != 0) return -1;
    *mech = v;
    *intent = 0;
    return 0;
}

int vocab_mechanism_alias(const char *name, uint32_t *mechs, uint32_t *intents)
{
    if (!name) return -1;
    for (size_t i = 0; i < sizeof legacy / sizeof *legacy; i++) {
        if (strcasecmp(name, legacy[i].word) == 0) {
            *mechs |= legacy[i].f_mechs;
            *intents |= legacy[i].f_ints;
            return 0;
        }
    }
    int v;
    if (vocab_parse(HZ_VOCAB_MECHANISM, name, &v) != 0) return -1;
    *mechs |= BIT(v);
    return 0;
}

int vocab_merge_intent(int implied, int given, int *out)
{
    if (!implied || implied == given) {
        *out = given;
        return 0;
    }
    *out = implied;
    return given == HZ_INTENT_UNKNOWN || given == HZ_INTENT_UNDETERMINED ? 0 : -1;
}

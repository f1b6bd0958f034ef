/* vocab.c - names of the incident vocabularies. */
#include "hazmap/vocab.h"

#include <stddef.h>
#include <strings.h>

static const char *const mechanism_names[HZ_MECH_COUNT] = {
    NULL,       "traffic", "fall",       "fire_burn", "violence", "self_harm", "poisoning",
    "drowning", "crush",   "cut_pierce", "animal",    "electric", "other"};
static const char *const place_names[HZ_PLACE_COUNT] = {NULL,        "home",   "road", "school",
                                                        "workplace", "public", "other"};
static const char *const intent_names[HZ_INTENT_COUNT] = {NULL, "unintentional", "assault",
                                                          "self_harm", "undetermined"};
static const char *const severity_names[HZ_SEV_COUNT] = {NULL, "fatal", "serious", "minor", "none"};
static const char *const sex_names[HZ_SEX_COUNT] = {NULL, "male", "female"};

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
    }
    return "?";
}

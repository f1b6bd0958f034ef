/* vocabmap.h - mapping source values and columns onto hazmap's vocabularies (vocab.h).
 *
 * A mapping file (hazmap import-incidents --map FILE) holds one rule a line; '#' starts a
 * comment, blank lines are ignored, spaces around names are trimmed:
 *
 *     # VOCABULARY: SOURCE VALUE = hazmap value
 *     severity: Slight = minor
 *     mechanism: 2 = traffic
 *     sex: 1 = male
 *     # column: SOURCE COLUMN = hazmap field (id, occurred_at, time2, lon, lat, x, y, wkt,
 *     #         mechanism, place, intent, severity, victims, age, sex, disability, description,
 *     #         activity, outcome, nature, body_part, icd10)
 *     column: TIPO_ACIDE = mechanism
 *
 * A mechanism target may also be a word of the model before issue 11 (violence: mechanism
 * unspecified with intent assault; vocab_mechanism_legacy()) or MECHANISM+INTENT (other+assault):
 * the intent is the one the row gets when its own is unknown or undetermined.
 *
 * Vocabularies: mechanism, place, intent, severity, sex, activity, outcome, nature, body_part
 * (vocab.h). Source values match ASCII
 * case-insensitively after trimming. Lookups try, in order: the file's rules, the canonical names
 * (vocab_parse), then built-in synonyms in English and Chinese (slight -> minor, killed -> fatal,
 * M/F, 男/女, 交通 -> traffic, ...). Empty values and "unknown", "NA", "N/A", "-", "不详", "未知"
 * mean unknown (0).
 *
 * A vocabmap is read-only after loading: concurrent lookups are safe. */
#ifndef HAZMAP_VOCABMAP_H
#define HAZMAP_VOCABMAP_H

#include <stddef.h>

#include "hazmap/status.h"
#include "hazmap/vocab.h"

typedef struct vocabmap vocabmap;

/* A map with the built-in synonyms only. NULL when out of memory. Free with vocabmap_free(). */
vocabmap *vocabmap_new(void);

/* Adds the rules of the mapping file at path. On a malformed line returns HZ_EINVAL with
 * "FILE:LINE: why" in err (rules before it stay loaded); HZ_EIO when unreadable. */
hz_status vocabmap_load(vocabmap *m, const char *path, char *err, size_t errlen);

/* Adds one rule (as a "VOCABULARY: SOURCE = VALUE" or "column: SRC = FIELD" line would). */
hz_status vocabmap_add(vocabmap *m, const char *vocab, const char *src, const char *dst, char *err,
                       size_t errlen);

/* Maps value (len bytes, need not be NUL-terminated) of vocabulary voc into *v. Returns 0 (with
 * *v = 0 for an empty or "unknown" value) or -1 when the value is not known. */
int vocabmap_lookup(const vocabmap *m, hz_vocab voc, const char *value, size_t len, int *v);

/* Maps a mechanism value like vocabmap_lookup(), and sets *intent to the intent its word implies
 * (0 none): a legacy word (violence -> unspecified, assault), or a rule "mechanism: SRC =
 * MECHANISM+INTENT" (性侵犯 -> other+assault). Returns 0, or -1 when the value is not known. */
int vocabmap_lookup_mechanism(const vocabmap *m, const char *value, size_t len, int *mech,
                              int *intent);

/* The hazmap field that a "column:" rule maps source column col to, or NULL. Borrowed. */
const char *vocabmap_column(const vocabmap *m, const char *col);

/* Frees the map; NULL is a no-op. */
void vocabmap_free(vocabmap *m);

#endif

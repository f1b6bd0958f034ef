/* fuzz_icd10.c - libFuzzer harness of the ICD-10 external-cause code reader (icd10.h), the
 * importer's --icd10 path.
 *
 * The input is a code text (at most 32 bytes). Invariants:
 *   - an accepted code gives a mechanism and an intent inside their vocabularies, never unknown;
 *   - the spellings icd10.h accepts as the same code classify the same: with the dot removed,
 *     in lower case, and surrounded by spaces;
 *   - a refused code gives a non-empty reason that is valid UTF-8 and fits the buffer, also when
 *     the buffer is short (ASan sees any overflow). */
#include "fuzzutil.h"
#include "hazmap/icd10.h"
#include "hazmap/vocab.h"

#include <ctype.h>
#include <string.h>

/* The classification of s, or -1 (reason checked). */
static int classify(const char *s, int *m, int *i)
{
    char why[160], small[12];
    int rc = icd10_classify(s, m, i, why, sizeof why);
    if (rc != 0) {
        FUZZ_CHECK(why[0] != 0 && strlen(why) < sizeof why);
        FUZZ_CHECK(fuzz_utf8_valid((const unsigned char *)why, strlen(why)));
        int m2, i2;
        FUZZ_CHECK(icd10_classify(s, &m2, &i2, small, sizeof small) == rc);
        FUZZ_CHECK(strlen(small) < sizeof small);
        return -1;
    }
    FUZZ_CHECK(*m > HZ_MECH_UNKNOWN && *m < HZ_MECH_COUNT);
    FUZZ_CHECK(*i > HZ_INTENT_UNKNOWN && *i < HZ_INTENT_COUNT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 32) return 0;
    char s[33], v[40];
    memcpy(s, data, size);
    s[size] = 0;
    if (strlen(s) != size) return 0; /* an embedded NUL ends the text */
    int m, i, m2, i2;
    if (classify(s, &m, &i) != 0) return 0;
    /* no dot */
    size_t k = 0;
    for (size_t j = 0; j < size; j++)
        if (s[j] != '.') v[k++] = s[j];
    v[k] = 0;
    if (k + 1 == size && strchr(s, '.')) {
        FUZZ_CHECK(classify(v, &m2, &i2) == 0 && m2 == m && i2 == i);
    }
    /* lower case */
    for (k = 0; k <= size; k++)
        v[k] = (char)tolower((unsigned char)s[k]);
    FUZZ_CHECK(classify(v, &m2, &i2) == 0 && m2 == m && i2 == i);
    /* surrounded by spaces */
    snprintf(v, sizeof v, "  %s ", s);
    FUZZ_CHECK(classify(v, &m2, &i2) == 0 && m2 == m && i2 == i);
    return 0;
}

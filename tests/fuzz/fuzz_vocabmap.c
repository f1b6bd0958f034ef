/* fuzz_vocabmap.c - libFuzzer harness of the mapping-file parser (vocabmap.h).
 *
 * The input is a mapping file, loaded into a map of the built-in synonyms. Invariants, for an
 * input without NUL bytes that loads without error: every rule line, split here independently
 * ('#' comment, "VOCABULARY: SOURCE = VALUE", spaces trimmed), is in force - the last rule for a
 * (vocabulary, case-folded source) decides vocabmap_lookup(), and a "column:" rule decides
 * vocabmap_column(). For any input: lookups of each line's words return 0 or -1, and a value
 * found is one of the vocabulary's (0 = unknown included); a load that fails names (PATH:LINE:) a
 * line of the file that is not blank or a comment. */
#include "fuzzutil.h"
#include "hazmap/vocabmap.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* The vocabularies are 0 .. HZ_VOCAB_ALL - 1 (vocab_label()); COLUMN stands for "column:". */
enum { COLUMN = HZ_VOCAB_ALL };

/* s[0..*n) without surrounding spaces (isspace, as the parser trims). */
static const char *trim(const char *s, size_t *n)
{
    while (*n && isspace((unsigned char)*s))
        s++, (*n)--;
    while (*n && isspace((unsigned char)s[*n - 1]))
        (*n)--;
    return s;
}

/* 1 if rule line b (vocabulary, source, value) is overridden by a later line of the file. */
static int overridden(const char *later, size_t n, int voc, const char *src, size_t sn);

typedef struct rule {
    int voc; /* a hz_vocab, or COLUMN */
    const char *src, *dst;
    size_t sn, dn;
} rule;

/* Splits one line (without its newline) into a rule; 0 for a rule, 1 for a blank or comment line,
 * -1 for anything else. */
static int split(const char *line, size_t n, rule *r)
{
    const char *hash = memchr(line, '#', n);
    if (hash) n = (size_t)(hash - line);
    const char *colon = memchr(line, ':', n);
    size_t tn = n;
    trim(line, &tn);
    if (tn == 0) return 1;
    if (!colon) return -1;
    const char *eq = memchr(colon + 1, '=', n - (size_t)(colon + 1 - line));
    if (!eq) return -1;
    size_t vn = (size_t)(colon - line);
    const char *v = trim(line, &vn);
    r->voc = -1;
    for (int k = 0; k < HZ_VOCAB_ALL; k++) {
        const char *name = vocab_label((hz_vocab)k);
        if (strlen(name) == vn && strncasecmp(v, name, vn) == 0) r->voc = k;
    }
    if (vn == 6 && strncasecmp(v, "column", 6) == 0) r->voc = COLUMN;
    r->sn = (size_t)(eq - colon - 1);
    r->src = trim(colon + 1, &r->sn);
    r->dn = n - (size_t)(eq + 1 - line);
    r->dst = trim(eq + 1, &r->dn);
    return r->voc < 0 ? -1 : 0;
}

static int overridden(const char *later, size_t n, int voc, const char *src, size_t sn)
{
    for (const char *p = later, *end = later + n; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        rule r;
        if (split(p, len, &r) == 0 && r.voc == voc && r.sn == sn &&
            strncasecmp(r.src, src, sn) == 0)
            return 1;
        p += len + 1;
    }
    return 0;
}

static void check_rule(const vocabmap *m, const rule *r, const char *rest, size_t restn)
{
    if (r->sn == 0 || r->sn >= 100 || overridden(rest, restn, r->voc, r->src, r->sn)) return;
    char src[128], dst[128];
    memcpy(src, r->src, r->sn);
    src[r->sn] = 0;
    if (r->dn >= sizeof dst) return;
    memcpy(dst, r->dst, r->dn);
    dst[r->dn] = 0;
    for (char *c = dst; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (r->voc == COLUMN) {
        const char *f = vocabmap_column(m, src);
        FUZZ_CHECK(f && strcmp(f, dst) == 0);
        return;
    }
    int want = 0, got = -1;
    if (r->voc != HZ_VOCAB_MECHANISM) {
        FUZZ_CHECK(!*dst || vocab_parse((hz_vocab)r->voc, dst, &want) == 0);
        FUZZ_CHECK(vocabmap_lookup(m, (hz_vocab)r->voc, r->src, r->sn, &got) == 0);
        FUZZ_CHECK(got == want);
        return;
    }
    /* a mechanism's target: a word (canonical or of the model before issue 11, which may imply an
     * intent) or MECHANISM+INTENT */
    int want_intent = 0, got_intent = -1;
    char *plus = strchr(dst, '+');
    if (plus) {
        *plus = 0;
        int implied = 0;
        FUZZ_CHECK(vocab_mechanism_legacy(dst, &want, &implied) == 0 && implied == 0);
        FUZZ_CHECK(vocab_parse(HZ_VOCAB_INTENT, plus + 1, &want_intent) == 0);
    } else {
        FUZZ_CHECK(!*dst || vocab_mechanism_legacy(dst, &want, &want_intent) == 0);
    }
    FUZZ_CHECK(vocabmap_lookup_mechanism(m, r->src, r->sn, &got, &got_intent) == 0);
    FUZZ_CHECK(got == want && got_intent == want_intent);
}

/* The error "PATH:LINE: why" names a line of text that is neither blank nor a comment. */
static void check_error(const char *path, const char *err, const char *text, size_t size)
{
    size_t pl = strlen(path);
    FUZZ_CHECK(strncmp(err, path, pl) == 0 && err[pl] == ':');
    long want = strtol(err + pl + 1, NULL, 10), ln = 1;
    FUZZ_CHECK(want >= 1);
    const char *p = text, *end = text + size;
    for (; ln < want; ln++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        FUZZ_CHECK(nl); /* the line exists */
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    rule r;
    FUZZ_CHECK(split(p, nl ? (size_t)(nl - p) : (size_t)(end - p), &r) != 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 20000) return 0;
    vocabmap *m = vocabmap_new();
    FUZZ_CHECK(m);
    char err[512];
    const char *path = fuzz_file(data, size);
    hz_status s = vocabmap_load(m, path, err, sizeof err);
    FUZZ_CHECK(s == HZ_OK || s == HZ_EINVAL);
    const char *text = (const char *)data, *end = text + size;
    if (s != HZ_OK && !memchr(data, 0, size)) check_error(path, err, text, size);
    int clean = s == HZ_OK && !memchr(data, 0, size);
    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        rule r;
        int kind = split(p, len, &r);
        if (clean) FUZZ_CHECK(kind >= 0); /* a file that loads has only rules and blanks */
        if (clean && kind == 0) check_rule(m, &r, p + len, (size_t)(end - p) - len);
        for (int k = 0; k < HZ_VOCAB_ALL; k++) {
            int v = -1;
            if (vocabmap_lookup(m, (hz_vocab)k, p, len, &v) == 0)
                FUZZ_CHECK(v >= 0 && v < vocab_count((hz_vocab)k));
        }
        p += len + 1;
    }
    vocabmap_free(m);
    return 0;
}

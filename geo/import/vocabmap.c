/* vocabmap.c - source value and column mappings onto the vocabularies (vocabmap.h).
 *
 * One open-addressing hash table (FNV-1a keys, linear probing) keyed by (kind, lower-cased
 * trimmed text), kind being a vocabulary, KIND_COLUMN for "column:" rules or KIND_NULL for the
 * spellings of "unknown". Rules from files are added after the built-ins and replace them. */
#include "hazmap/vocabmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { KIND_COLUMN = 5, KIND_NULL = 6, KEY_MAX = 256 };

typedef struct vm_entry {
    char *key; /* NULL: empty slot */
    int kind;
    int value;
    char *field; /* KIND_COLUMN: the hazmap field */
} vm_entry;

struct vocabmap {
    vm_entry *slots;
    size_t cap, n; /* cap is a power of two */
};

static const char *const fields[] = {"id",         "occurred_at", "time2",   "lon",       "lat",
                                     "x",          "y",           "wkt",     "mechanism", "place",
                                     "intent",     "severity",    "victims", "age",       "sex",
                                     "disability", "description", NULL};

typedef struct builtin {
    hz_vocab voc;
    const char *text;
    const char *to;
} builtin;

/* Synonyms met in injury surveillance exports (STATS19, WHO/China injury surveillance forms). */
static const builtin builtins[] = {
    {HZ_VOCAB_SEVERITY, "slight", "minor"},
    {HZ_VOCAB_SEVERITY, "mild", "minor"},
    {HZ_VOCAB_SEVERITY, "light", "minor"},
    {HZ_VOCAB_SEVERITY, "轻伤", "minor"},
    {HZ_VOCAB_SEVERITY, "轻度", "minor"},
    {HZ_VOCAB_SEVERITY, "轻", "minor"},
    {HZ_VOCAB_SEVERITY, "severe", "serious"},
    {HZ_VOCAB_SEVERITY, "重伤", "serious"},
    {HZ_VOCAB_SEVERITY, "重度", "serious"},
    {HZ_VOCAB_SEVERITY, "重", "serious"},
    {HZ_VOCAB_SEVERITY, "中度", "serious"},
    {HZ_VOCAB_SEVERITY, "killed", "fatal"},
    {HZ_VOCAB_SEVERITY, "dead", "fatal"},
    {HZ_VOCAB_SEVERITY, "death", "fatal"},
    {HZ_VOCAB_SEVERITY, "died", "fatal"},
    {HZ_VOCAB_SEVERITY, "死亡", "fatal"},
    {HZ_VOCAB_SEVERITY, "no injury", "none"},
    {HZ_VOCAB_SEVERITY, "uninjured", "none"},
    {HZ_VOCAB_SEVERITY, "无", "none"},
    {HZ_VOCAB_SEX, "m", "male"},
    {HZ_VOCAB_SEX, "man", "male"},
    {HZ_VOCAB_SEX, "boy", "male"},
    {HZ_VOCAB_SEX, "男", "male"},
    {HZ_VOCAB_SEX, "男性", "male"},
    {HZ_VOCAB_SEX, "f", "female"},
    {HZ_VOCAB_SEX, "woman", "female"},
    {HZ_VOCAB_SEX, "girl", "female"},
    {HZ_VOCAB_SEX, "女", "female"},
    {HZ_VOCAB_SEX, "女性", "female"},
    {HZ_VOCAB_MECHANISM, "road traffic", "traffic"},
    {HZ_VOCAB_MECHANISM, "rta", "traffic"},
    {HZ_VOCAB_MECHANISM, "collision", "traffic"},
    {HZ_VOCAB_MECHANISM, "交通", "traffic"},
    {HZ_VOCAB_MECHANISM, "交通事故", "traffic"},
    {HZ_VOCAB_MECHANISM, "道路交通伤害", "traffic"},
    {HZ_VOCAB_MECHANISM, "车祸", "traffic"},
    {HZ_VOCAB_MECHANISM, "falls", "fall"},
    {HZ_VOCAB_MECHANISM, "跌倒", "fall"},
    {HZ_VOCAB_MECHANISM, "跌倒/坠落", "fall"},
    {HZ_VOCAB_MECHANISM, "坠落", "fall"},
    {HZ_VOCAB_MECHANISM, "fire", "fire_burn"},
    {HZ_VOCAB_MECHANISM, "burn", "fire_burn"},
    {HZ_VOCAB_MECHANISM, "burns", "fire_burn"},
    {HZ_VOCAB_MECHANISM, "烧烫伤", "fire_burn"},
    {HZ_VOCAB_MECHANISM, "火灾", "fire_burn"},
    {HZ_VOCAB_MECHANISM, "assault", "violence"},
    {HZ_VOCAB_MECHANISM, "暴力", "violence"},
    {HZ_VOCAB_MECHANISM, "钝器伤", "violence"},
    {HZ_VOCAB_MECHANISM, "suicide", "self_harm"},
    {HZ_VOCAB_MECHANISM, "自伤", "self_harm"},
    {HZ_VOCAB_MECHANISM, "自残", "self_harm"},
    {HZ_VOCAB_MECHANISM, "poison", "poisoning"},
    {HZ_VOCAB_MECHANISM, "中毒", "poisoning"},
    {HZ_VOCAB_MECHANISM, "溺水", "drowning"},
    {HZ_VOCAB_MECHANISM, "挤压", "crush"},
    {HZ_VOCAB_MECHANISM, "cut", "cut_pierce"},
    {HZ_VOCAB_MECHANISM, "pierce", "cut_pierce"},
    {HZ_VOCAB_MECHANISM, "刀/锐器伤", "cut_pierce"},
    {HZ_VOCAB_MECHANISM, "锐器伤", "cut_pierce"},
    {HZ_VOCAB_MECHANISM, "dog bite", "animal"},
    {HZ_VOCAB_MECHANISM, "bite", "animal"},
    {HZ_VOCAB_MECHANISM, "动物伤", "animal"},
    {HZ_VOCAB_MECHANISM, "electrocution", "electric"},
    {HZ_VOCAB_MECHANISM, "电击", "electric"},
    {HZ_VOCAB_MECHANISM, "电击伤", "electric"},
    {HZ_VOCAB_MECHANISM, "其他", "other"},
    {HZ_VOCAB_PLACE, "house", "home"},
    {HZ_VOCAB_PLACE, "家", "home"},
    {HZ_VOCAB_PLACE, "家中", "home"},
    {HZ_VOCAB_PLACE, "street", "road"},
    {HZ_VOCAB_PLACE, "highway", "road"},
    {HZ_VOCAB_PLACE, "公路/街道", "road"},
    {HZ_VOCAB_PLACE, "道路", "road"},
    {HZ_VOCAB_PLACE, "学校", "school"},
    {HZ_VOCAB_PLACE, "work", "workplace"},
    {HZ_VOCAB_PLACE, "工作场所", "workplace"},
    {HZ_VOCAB_PLACE, "公共场所", "public"},
    {HZ_VOCAB_PLACE, "其他", "other"},
    {HZ_VOCAB_INTENT, "accident", "unintentional"},
    {HZ_VOCAB_INTENT, "accidental", "unintentional"},
    {HZ_VOCAB_INTENT, "非故意", "unintentional"},
    {HZ_VOCAB_INTENT, "意外", "unintentional"},
    {HZ_VOCAB_INTENT, "violence", "assault"},
    {HZ_VOCAB_INTENT, "故意", "assault"},
    {HZ_VOCAB_INTENT, "暴力攻击", "assault"},
    {HZ_VOCAB_INTENT, "suicide", "self_harm"},
    {HZ_VOCAB_INTENT, "自杀", "self_harm"},
    {HZ_VOCAB_INTENT, "自残/自杀", "self_harm"},
    {HZ_VOCAB_INTENT, "不清楚", "undetermined"},
    /* the national injury surveillance report card's code lists (全国伤害监测报告卡) */
    {HZ_VOCAB_MECHANISM, "机动车车祸", "traffic"},
    {HZ_VOCAB_MECHANISM, "非机动车车祸", "traffic"},
    {HZ_VOCAB_MECHANISM, "性侵犯", "violence"},
    {HZ_VOCAB_MECHANISM, "火器伤", "other"},
    {HZ_VOCAB_MECHANISM, "窒息/悬吊", "other"},
    {HZ_VOCAB_PLACE, "公共居住场所", "home"},
    {HZ_VOCAB_PLACE, "学校与公共场所", "school"},
    {HZ_VOCAB_PLACE, "体育和运动场所", "public"},
    {HZ_VOCAB_PLACE, "贸易和服务场所", "public"},
    {HZ_VOCAB_PLACE, "工业和建筑场所", "workplace"},
    {HZ_VOCAB_PLACE, "农场/农田", "workplace"},
    {HZ_VOCAB_INTENT, "故意/他人加害", "assault"},
    {HZ_VOCAB_INTENT, "他人加害", "assault"},
};

/* Column names of Chinese exports recognised without a mapping file (a file's "column:" rules
 * replace them). */
static const struct {
    const char *name, *field;
} builtin_columns[] = {
    {"编号", "id"},
    {"序号", "id"},
    {"发生时间", "occurred_at"},
    {"伤害发生时间", "occurred_at"},
    {"时间", "occurred_at"},
    {"经度", "lon"},
    {"纬度", "lat"},
    {"性别", "sex"},
    {"年龄", "age"},
    {"伤害类型", "mechanism"},
    {"伤害原因", "mechanism"},
    {"伤害发生原因", "mechanism"},
    {"严重程度", "severity"},
    {"伤害严重程度", "severity"},
    {"发生地点", "place"},
    {"伤害发生地点", "place"},
    {"是否故意", "intent"},
    {"意图", "intent"},
    {"描述", "description"},
    {"伤情描述", "description"},
    {"事件描述", "description"},
};

static const char *const null_words[] = {"unknown",   "na",   "n/a",  "-",      "null",
                                         "not known", "不详", "未知", "不清楚", NULL};

static const char *const vocab_names[] = {"mechanism", "place", "intent", "severity", "sex"};

/* Trims and lower-cases (ASCII) text into key; returns its length or -1 if too long. */
static int make_key(const char *s, size_t len, char key[KEY_MAX])
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= KEY_MAX) return -1;
    for (size_t i = 0; i < len; i++)
        key[i] = (char)tolower((unsigned char)s[i]);
    key[len] = 0;
    return (int)len;
}

static uint64_t hash(int kind, const char *key)
{
    uint64_t h = 14695981039346656037ULL ^ (uint64_t)kind;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

static vm_entry *find(const vocabmap *m, int kind, const char *key)
{
    size_t i = hash(kind, key) & (m->cap - 1);
    while (m->slots[i].key) {
        if (m->slots[i].kind == kind && strcmp(m->slots[i].key, key) == 0) return &m->slots[i];
        i = (i + 1) & (m->cap - 1);
    }
    return &m->slots[i];
}

static int put(vocabmap *m, int kind, const char *key, int value, const char *field)
{
    if ((m->n + 1) * 2 > m->cap) {
        vocabmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 256;
        m->slots = calloc(m->cap, sizeof *m->slots);
        if (!m->slots) {
            *m = old;
            return -1;
        }
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].key) *find(m, old.slots[i].kind, old.slots[i].key) = old.slots[i];
        free(old.slots);
    }
    vm_entry *e = find(m, kind, key);
    if (!e->key) {
        if (!(e->key = strdup(key))) return -1;
        m->n++;
    }
    e->kind = kind;
    e->value = value;
    free(e->field);
    e->field = NULL;
    if (field && !(e->field = strdup(field))) return -1;
    return 0;
}

vocabmap *vocabmap_new(void)
{
    vocabmap *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    char key[KEY_MAX];
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++) {
        int v = 0;
        if (vocab_parse(builtins[i].voc, builtins[i].to, &v) < 0 ||
            make_key(builtins[i].text, strlen(builtins[i].text), key) < 0 ||
            put(m, (int)builtins[i].voc, key, v, NULL) < 0) {
            vocabmap_free(m);
            return NULL;
        }
    }
    for (size_t i = 0; i < sizeof builtin_columns / sizeof *builtin_columns; i++) {
        if (put(m, KIND_COLUMN, builtin_columns[i].name, 0, builtin_columns[i].field) < 0) {
            vocabmap_free(m);
            return NULL;
        }
    }
    for (size_t i = 0; null_words[i]; i++) {
        if (put(m, KIND_NULL, null_words[i], 0, NULL) < 0) {
            vocabmap_free(m);
            return NULL;
        }
    }
    return m;
}

void vocabmap_free(vocabmap *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        free(m->slots[i].field);
    }
    free(m->slots);
    free(m);
}

hz_status vocabmap_add(vocabmap *m, const char *vocab, const char *src, const char *dst, char *err,
                       size_t errlen)
{
    char key[KEY_MAX], dkey[KEY_MAX];
    if (make_key(src, strlen(src), key) < 0)
        return hz_fail(HZ_EINVAL, err, errlen, "source value too long");
    if (make_key(dst, strlen(dst), dkey) < 0)
        return hz_fail(HZ_EINVAL, err, errlen, "target too long");
    if (strcasecmp(vocab, "column") == 0) {
        /* column names keep their case in the file but match case-insensitively */
        for (size_t i = 0; fields[i]; i++)
            if (strcmp(fields[i], dkey) == 0)
                return put(m, KIND_COLUMN, key, 0, fields[i]) < 0
                           ? hz_fail(HZ_ENOMEM, err, errlen, "out of memory")
                           : HZ_OK;
        return hz_fail(HZ_EINVAL, err, errlen,
                       "unknown field '%s' (one of id, occurred_at, time2, lon, lat, x, y, wkt, "
                       "mechanism, place, intent, severity, victims, age, sex, disability, "
                       "description)",
                       dst);
    }
    for (int k = 0; k < 5; k++) {
        if (strcasecmp(vocab, vocab_names[k]) != 0) continue;
        int v = 0;
        if (dkey[0] && vocab_parse((hz_vocab)k, dkey, &v) < 0)
            return hz_fail(HZ_EINVAL, err, errlen, "'%s' is not a %s value", dst, vocab_names[k]);
        return put(m, k, key, v, NULL) < 0 ? hz_fail(HZ_ENOMEM, err, errlen, "out of memory")
                                           : HZ_OK;
    }
    return hz_fail(HZ_EINVAL, err, errlen,
                   "unknown vocabulary '%s' (mechanism, place, intent, severity, sex or column)",
                   vocab);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

hz_status vocabmap_load(vocabmap *m, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return hz_fail(HZ_EIO, err, errlen, "%s: cannot open: %s", path, strerror(errno));
    /* whole lines of any length (fgets into a fixed buffer read the tail of a long line, a long
     * comment's included, as a line of its own) */
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int ln = 0;
    hz_status s = HZ_OK;
    while ((len = getline(&line, &cap, f)) >= 0) {
        ln++;
        if (strlen(line) != (size_t)len) {
            s = hz_fail(HZ_EINVAL, err, errlen, "%s:%d: NUL byte in the line", path, ln);
            break;
        }
        char *hash_at = strchr(line, '#');
        if (hash_at) *hash_at = 0;
        char *t = trim(line);
        if (!*t) continue;
        char *colon = strchr(t, ':'), *eq = colon ? strchr(colon + 1, '=') : NULL;
        if (!colon || !eq) {
            s = hz_fail(HZ_EINVAL, err, errlen,
                        "%s:%d: expected 'VOCABULARY: SOURCE = VALUE' or 'column: SRC = FIELD'",
                        path, ln);
            break;
        }
        *colon = 0;
        *eq = 0;
        char msg[256];
        if (vocabmap_add(m, trim(t), trim(colon + 1), trim(eq + 1), msg, sizeof msg) != HZ_OK) {
            s = hz_fail(HZ_EINVAL, err, errlen, "%s:%d: %s", path, ln, msg);
            break;
        }
    }
    free(line);
    fclose(f);
    return s;
}

int vocabmap_lookup(const vocabmap *m, hz_vocab voc, const char *value, size_t len, int *v)
{
    char key[KEY_MAX];
    int n = make_key(value, len, key);
    if (n < 0) return -1;
    if (n == 0) {
        *v = 0;
        return 0;
    }
    const vm_entry *e = find(m, (int)voc, key);
    if (e->key) {
        *v = e->value;
        return 0;
    }
    if (vocab_parse(voc, key, v) == 0) return 0;
    if (find(m, KIND_NULL, key)->key) {
        *v = 0;
        return 0;
    }
    return -1;
}

const char *vocabmap_column(const vocabmap *m, const char *col)
{
    char key[KEY_MAX];
    if (make_key(col, strlen(col), key) < 0) return NULL;
    const vm_entry *e = find(m, KIND_COLUMN, key);
    return e->key ? e->field : NULL;
}

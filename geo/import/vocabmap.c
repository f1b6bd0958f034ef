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

enum { KIND_COLUMN = 64, KIND_NULL = 65, KEY_MAX = 256 };

typedef struct vm_entry {
    char *key; /* NULL: empty slot */
    int kind;
    int value;
    int intent;  /* mechanism entries: the intent the word implies (vocab_mechanism_legacy()) */
    char *field; /* KIND_COLUMN: the hazmap field */
} vm_entry;

struct vocabmap {
    vm_entry *slots;
    size_t cap, n; /* cap is a power of two */
};

static const char *const fields[] = {
    "id",          "occurred_at", "time2",   "lon",      "lat",       "x",     "y",    "wkt",
    "mechanism",   "place",       "intent",  "severity", "victims",   "age",   "sex",  "disability",
    "description", "activity",    "outcome", "nature",   "body_part", "icd10", "area", NULL};

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
    {HZ_VOCAB_MECHANISM, "pedestrian", "traffic_pedestrian"},
    {HZ_VOCAB_MECHANISM, "motorcyclist", "traffic_motorcyclist"},
    {HZ_VOCAB_MECHANISM, "cyclist", "traffic_pedal_cyclist"},
    {HZ_VOCAB_MECHANISM, "falls", "fall"},
    {HZ_VOCAB_MECHANISM, "跌倒", "fall"},
    {HZ_VOCAB_MECHANISM, "坠落", "fall"},
    {HZ_VOCAB_MECHANISM, "fire", "fire_flame"},
    {HZ_VOCAB_MECHANISM, "burn", "fire_flame"},
    {HZ_VOCAB_MECHANISM, "burns", "fire_flame"},
    {HZ_VOCAB_MECHANISM, "火灾", "fire_flame"},
    {HZ_VOCAB_MECHANISM, "烧伤", "fire_flame"},
    {HZ_VOCAB_MECHANISM, "scald", "hot_substance"},
    {HZ_VOCAB_MECHANISM, "烫伤", "hot_substance"},
    {HZ_VOCAB_MECHANISM, "assault", "violence"},
    {HZ_VOCAB_MECHANISM, "暴力", "violence"},
    {HZ_VOCAB_MECHANISM, "suicide", "self_harm"},
    {HZ_VOCAB_MECHANISM, "自伤", "self_harm"},
    {HZ_VOCAB_MECHANISM, "自残", "self_harm"},
    {HZ_VOCAB_MECHANISM, "poison", "poisoning"},
    {HZ_VOCAB_MECHANISM, "挤压", "struck"},
    {HZ_VOCAB_MECHANISM, "cut", "cut_pierce"},
    {HZ_VOCAB_MECHANISM, "pierce", "cut_pierce"},
    {HZ_VOCAB_MECHANISM, "锐器伤", "cut_pierce"},
    {HZ_VOCAB_MECHANISM, "dog bite", "bites_stings"},
    {HZ_VOCAB_MECHANISM, "bite", "bites_stings"},
    {HZ_VOCAB_MECHANISM, "electrocution", "electric"},
    {HZ_VOCAB_MECHANISM, "电击", "electric"},
    {HZ_VOCAB_MECHANISM, "电击伤", "electric"},
    {HZ_VOCAB_MECHANISM, "机械伤", "machinery"},
    {HZ_VOCAB_MECHANISM, "枪伤", "firearm"},
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
    {HZ_VOCAB_INTENT, "legal intervention", "legal_war"},
    {HZ_VOCAB_INTENT, "war", "legal_war"},
    {HZ_VOCAB_SEVERITY, "fatal injury", "fatal"},
    /* the national injury surveillance report card's code lists (全国伤害监测报告卡); the
     * mapping of each list is in SURVEILLANCE.md */
    {HZ_VOCAB_MECHANISM, "机动车车祸", "traffic"},
    {HZ_VOCAB_MECHANISM, "非机动车车祸", "other_transport"},
    {HZ_VOCAB_MECHANISM, "跌倒/坠落", "fall"},
    {HZ_VOCAB_MECHANISM, "钝器伤", "struck"},
    {HZ_VOCAB_MECHANISM, "火器伤", "firearm"},
    {HZ_VOCAB_MECHANISM, "刀/锐器伤", "cut_pierce"},
    {HZ_VOCAB_MECHANISM, "烧烫伤", "fire_flame"},
    {HZ_VOCAB_MECHANISM, "窒息/悬吊", "suffocation"},
    {HZ_VOCAB_MECHANISM, "溺水", "drowning"},
    {HZ_VOCAB_MECHANISM, "中毒", "poisoning"},
    {HZ_VOCAB_MECHANISM, "动物伤", "bites_stings"},
    {HZ_VOCAB_MECHANISM, "性侵犯", "other+assault"},
    {HZ_VOCAB_MECHANISM, "其他", "other"},
    {HZ_VOCAB_MECHANISM, "不清楚", "unspecified"},
    {HZ_VOCAB_PLACE, "公共居住场所", "home"},
    {HZ_VOCAB_PLACE, "学校与公共场所", "school"},
    {HZ_VOCAB_PLACE, "体育和运动场所", "public"},
    {HZ_VOCAB_PLACE, "贸易和服务场所", "public"},
    {HZ_VOCAB_PLACE, "工业和建筑场所", "workplace"},
    {HZ_VOCAB_PLACE, "农场/农田", "workplace"},
    {HZ_VOCAB_INTENT, "故意/他人加害", "assault"},
    {HZ_VOCAB_INTENT, "他人加害", "assault"},
    {HZ_VOCAB_ACTIVITY, "工作", "work"},
    {HZ_VOCAB_ACTIVITY, "家务", "housework"},
    {HZ_VOCAB_ACTIVITY, "学习", "education"},
    {HZ_VOCAB_ACTIVITY, "体育活动", "sport"},
    {HZ_VOCAB_ACTIVITY, "休闲活动", "leisure"},
    {HZ_VOCAB_ACTIVITY, "生命活动", "vital"},
    {HZ_VOCAB_ACTIVITY, "驾乘交通工具", "travel"},
    {HZ_VOCAB_ACTIVITY, "步行", "walking"},
    {HZ_VOCAB_ACTIVITY, "其他", "other"},
    {HZ_VOCAB_OUTCOME, "处理后离院", "discharged"},
    {HZ_VOCAB_OUTCOME, "离院", "discharged"},
    {HZ_VOCAB_OUTCOME, "留观", "observation"},
    {HZ_VOCAB_OUTCOME, "住院", "hospitalised"},
    {HZ_VOCAB_OUTCOME, "hospitalized", "hospitalised"},
    {HZ_VOCAB_OUTCOME, "转院", "transferred"},
    {HZ_VOCAB_OUTCOME, "死亡", "died"},
    {HZ_VOCAB_OUTCOME, "dead", "died"},
    {HZ_VOCAB_OUTCOME, "其他", "other"},
    {HZ_VOCAB_NATURE, "骨折", "fracture"},
    {HZ_VOCAB_NATURE, "扭伤/拉伤", "sprain"},
    {HZ_VOCAB_NATURE, "锐器伤、咬伤、开放伤", "open_wound"},
    {HZ_VOCAB_NATURE, "锐器伤/咬伤/开放伤", "open_wound"},
    {HZ_VOCAB_NATURE, "开放伤", "open_wound"},
    {HZ_VOCAB_NATURE, "挫伤、擦伤", "bruise"},
    {HZ_VOCAB_NATURE, "挫伤/擦伤", "bruise"},
    {HZ_VOCAB_NATURE, "烧烫伤", "burn"},
    {HZ_VOCAB_NATURE, "脑震荡、脑挫裂伤", "concussion"},
    {HZ_VOCAB_NATURE, "脑震荡/脑挫裂伤", "concussion"},
    {HZ_VOCAB_NATURE, "器官系统损伤", "organ"},
    {HZ_VOCAB_NATURE, "其他", "other"},
    {HZ_VOCAB_BODY_PART, "头部", "head"},
    {HZ_VOCAB_BODY_PART, "上肢", "upper_limb"},
    {HZ_VOCAB_BODY_PART, "下肢", "lower_limb"},
    {HZ_VOCAB_BODY_PART, "躯干", "trunk"},
    {HZ_VOCAB_BODY_PART, "多部位", "multiple"},
    {HZ_VOCAB_BODY_PART, "全身广泛受伤", "systemic"},
    {HZ_VOCAB_BODY_PART, "其他", "other"},
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
    {"伤害发生时活动", "activity"},
    {"发生时活动", "activity"},
    {"伤害性质", "nature"},
    {"伤害部位", "body_part"},
    {"伤害结局", "outcome"},
    {"结局", "outcome"},
    {"意图", "intent"},
    {"描述", "description"},
    {"伤情描述", "description"},
    {"事件描述", "description"},
    {"街道", "area"},
    {"所属街道", "area"},
};

static const char *const null_words[] = {"unknown",   "na",   "n/a",  "-",      "null",
                                         "not known", "不详", "未知", "不清楚", NULL};

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

static int put(vocabmap *m, int kind, const char *key, int value, int intent, const char *field)
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
    e->intent = intent;
    free(e->field);
    e->field = NULL;
    if (field && !(e->field = strdup(field))) return -1;
    return 0;
}

/* A rule's target in vocabulary voc: a canonical name; for mechanisms also a legacy word
 * (vocab_mechanism_legacy(): violence is unspecified with intent assault) or "MECHANISM+INTENT"
 * (other+assault). Sets *v and *intent (0 none); -1 when it is none of those. */
static int parse_target(hz_vocab voc, const char *word, int *v, int *intent)
{
    *intent = 0;
    if (voc != HZ_VOCAB_MECHANISM) return vocab_parse(voc, word, v);
    const char *plus = strchr(word, '+');
    if (!plus) return vocab_mechanism_legacy(word, v, intent);
    char mech[64];
    size_t n = (size_t)(plus - word);
    if (n >= sizeof mech) return -1;
    memcpy(mech, word, n);
    mech[n] = 0;
    int implied;
    if (vocab_mechanism_legacy(mech, v, &implied) < 0 || implied ||
        vocab_parse(HZ_VOCAB_INTENT, plus + 1, intent) < 0)
        return -1;
    return 0;
}

vocabmap *vocabmap_new(void)
{
    vocabmap *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    char key[KEY_MAX];
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++) {
        int v = 0, intent = 0;
        if (parse_target(builtins[i].voc, builtins[i].to, &v, &intent) < 0 ||
            make_key(builtins[i].text, strlen(builtins[i].text), key) < 0 ||
            put(m, (int)builtins[i].voc, key, v, intent, NULL) < 0) {
            vocabmap_free(m);
            return NULL;
        }
    }
    for (size_t i = 0; i < sizeof builtin_columns / sizeof *builtin_columns; i++) {
        if (put(m, KIND_COLUMN, builtin_columns[i].name, 0, 0, builtin_columns[i].field) < 0) {
            vocabmap_free(m);
            return NULL;
        }
    }
    for (size_t i = 0; null_words[i]; i++) {
        if (put(m, KIND_NULL, null_words[i], 0, 0, NULL) < 0) {
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
                return put(m, KIND_COLUMN, key, 0, 0, fields[i]) < 0
                           ? hz_fail(HZ_ENOMEM, err, errlen, "out of memory")
                           : HZ_OK;
        return hz_fail(HZ_EINVAL, err, errlen,
                       "unknown field '%s' (one of id, occurred_at, time2, lon, lat, x, y, wkt, "
                       "mechanism, place, intent, severity, victims, age, sex, disability, "
                       "description, activity, outcome, nature, body_part, icd10)",
                       dst);
    }
    for (int k = 0; k < HZ_VOCAB_ALL; k++) {
        const char *name = vocab_label((hz_vocab)k);
        if (strcasecmp(vocab, name) != 0) continue;
        int v = 0, intent = 0;
        if (dkey[0] && parse_target((hz_vocab)k, dkey, &v, &intent) < 0)
            return hz_fail(HZ_EINVAL, err, errlen, "'%s' is not a %s value", dst, name);
        return put(m, k, key, v, intent, NULL) < 0
                   ? hz_fail(HZ_ENOMEM, err, errlen, "out of memory")
                   : HZ_OK;
    }
    return hz_fail(HZ_EINVAL, err, errlen,
                   "unknown vocabulary '%s' (mechanism, place, intent, severity, sex, activity, "
                   "outcome, nature, body_part or column)",
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

int vocabmap_lookup_mechanism(const vocabmap *m, const char *value, size_t len, int *mech,
                              int *intent)
{
    char key[KEY_MAX];
    int n = make_key(value, len, key);
    if (n < 0) return -1;
    *intent = 0;
    if (n == 0) {
        *mech = 0;
        return 0;
    }
    const vm_entry *e = find(m, HZ_VOCAB_MECHANISM, key);
    if (e->key) {
        *mech = e->value;
        *intent = e->intent;
        return 0;
    }
    if (vocab_mechanism_legacy(key, mech, intent) == 0) return 0;
    if (find(m, KIND_NULL, key)->key) {
        *mech = 0;
        return 0;
    }
    return -1;
}

int vocabmap_lookup(const vocabmap *m, hz_vocab voc, const char *value, size_t len, int *v)
{
    if (voc == HZ_VOCAB_MECHANISM) {
        int intent;
        return vocabmap_lookup_mechanism(m, value, len, v, &intent);
    }
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

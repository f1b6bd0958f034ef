/* vocab.h - the controlled vocabularies of an incident (mechanism, place, intent, severity, sex,
 * activity, outcome, nature, body part).
 *
 * The names are the ones stored in the database and used in every API. Mechanism and intent are
 * two separate axes, as in the CDC/NCHS "External cause of injury mortality matrix for ICD-10"
 * (the rows are mechanisms, the columns intents; SURVEILLANCE.md has the table and icd10.h the
 * codes): the mechanism groups are the matrix's rows, with motor-vehicle traffic split by road
 * user, the matrix's pedal-cyclist-other, pedestrian-other, other-land and other transport rows
 * merged into other_transport, natural/environmental split into bites_stings and natural, and
 * electric current (W85-W87) taken out of "other specified". Activity, outcome, nature and body
 * part follow the national injury surveillance report card (全国伤害监测报告卡). Value 0 of each
 * enum is "unknown" (stored as NULL).
 *
 * Words of the model before it (issue 11) still read, as legacy words: vocab_mechanism_legacy()
 * says what an old stored or imported word is now, vocab_mechanism_alias() what an old filter word
 * selects. */
#ifndef HAZMAP_VOCAB_H
#define HAZMAP_VOCAB_H

#include <stdint.h>

typedef enum hz_mechanism {
    HZ_MECH_UNKNOWN = 0,
    HZ_MECH_MVT_OCCUPANT, /* motor-vehicle traffic: the first of the five traffic groups */
    HZ_MECH_MVT_MOTORCYCLIST,
    HZ_MECH_MVT_PEDAL_CYCLIST,
    HZ_MECH_MVT_PEDESTRIAN,
    HZ_MECH_MVT_OTHER, /* other and unspecified road user: the last traffic group */
    HZ_MECH_OTHER_TRANSPORT,
    HZ_MECH_FALL,
    HZ_MECH_STRUCK,
    HZ_MECH_CUT_PIERCE,
    HZ_MECH_FIRE_FLAME,
    HZ_MECH_HOT_SUBSTANCE,
    HZ_MECH_DROWNING,
    HZ_MECH_SUFFOCATION,
    HZ_MECH_POISONING,
    HZ_MECH_MACHINERY,
    HZ_MECH_NATURAL,
    HZ_MECH_BITES_STINGS,
    HZ_MECH_FIREARM,
    HZ_MECH_ELECTRIC,
    HZ_MECH_OVEREXERTION,
    HZ_MECH_OTHER,       /* other specified */
    HZ_MECH_UNSPECIFIED, /* recorded as unspecified (ICD-10 X59, X84, Y09, Y34): not unknown */
    HZ_MECH_COUNT
} hz_mechanism;

/* The motor-vehicle traffic groups, the mechanisms the filter word "traffic" selects. */
#define HZ_MECH_TRAFFIC_MASK                                                                       \
    ((UINT32_C(1) << HZ_MECH_MVT_OCCUPANT) | (UINT32_C(1) << HZ_MECH_MVT_MOTORCYCLIST) |           \
     (UINT32_C(1) << HZ_MECH_MVT_PEDAL_CYCLIST) | (UINT32_C(1) << HZ_MECH_MVT_PEDESTRIAN) |        \
     (UINT32_C(1) << HZ_MECH_MVT_OTHER))

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

/* The matrix's columns: unintentional, suicide (self_harm), homicide (assault), undetermined,
 * legal intervention and war (legal_war). */
typedef enum hz_intent {
    HZ_INTENT_UNKNOWN = 0,
    HZ_INTENT_UNINTENTIONAL,
    HZ_INTENT_ASSAULT,
    HZ_INTENT_SELF_HARM,
    HZ_INTENT_UNDETERMINED,
    HZ_INTENT_LEGAL_WAR,
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

/* 伤害发生时活动, the activity when injured. */
typedef enum hz_activity {
    HZ_ACT_UNKNOWN = 0,
    HZ_ACT_WORK,      /* 工作 */
    HZ_ACT_HOUSEWORK, /* 家务 */
    HZ_ACT_EDUCATION, /* 学习 */
    HZ_ACT_SPORT,     /* 体育活动 */
    HZ_ACT_LEISURE,   /* 休闲活动 */
    HZ_ACT_VITAL,     /* 生命活动: eating, sleeping, washing */
    HZ_ACT_TRAVEL,    /* 驾乘交通工具: driving or riding a vehicle */
    HZ_ACT_WALKING,   /* 步行 */
    HZ_ACT_OTHER,     /* 其他 */
    HZ_ACT_COUNT
} hz_activity;

/* 伤害结局, what became of the patient. */
typedef enum hz_outcome {
    HZ_OUT_UNKNOWN = 0,
    HZ_OUT_DISCHARGED,   /* 处理后离院 */
    HZ_OUT_OBSERVATION,  /* 留观 */
    HZ_OUT_HOSPITALISED, /* 住院 */
    HZ_OUT_TRANSFERRED,  /* 转院 */
    HZ_OUT_DIED,         /* 死亡: the severity is then fatal */
    HZ_OUT_OTHER,        /* 其他 */
    HZ_OUT_COUNT
} hz_outcome;

/* 伤害性质, the nature of the (main) injury. */
typedef enum hz_nature {
    HZ_NAT_UNKNOWN = 0,
    HZ_NAT_FRACTURE,   /* 骨折 */
    HZ_NAT_SPRAIN,     /* 扭伤/拉伤 */
    HZ_NAT_OPEN_WOUND, /* 锐器伤、咬伤、开放伤 */
    HZ_NAT_BRUISE,     /* 挫伤、擦伤 */
    HZ_NAT_BURN,       /* 烧烫伤 */
    HZ_NAT_CONCUSSION, /* 脑震荡、脑挫裂伤 */
    HZ_NAT_ORGAN,      /* 器官系统损伤 */
    HZ_NAT_OTHER,      /* 其他 */
    HZ_NAT_COUNT
} hz_nature;

/* 伤害部位, the body part injured. */
typedef enum hz_body_part {
    HZ_BODY_UNKNOWN = 0,
    HZ_BODY_HEAD,       /* 头部 */
    HZ_BODY_UPPER_LIMB, /* 上肢 */
    HZ_BODY_LOWER_LIMB, /* 下肢 */
    HZ_BODY_TRUNK,      /* 躯干 */
    HZ_BODY_MULTIPLE,   /* 多部位 */
    HZ_BODY_SYSTEMIC,   /* 全身广泛受伤 */
    HZ_BODY_OTHER,      /* 其他 */
    HZ_BODY_COUNT
} hz_body_part;

/* The vocabularies. The first HZ_VOCAB_KINDS are the ones the filters take and the snapshot
 * (incset.h) carries; nature and body part are stored and served, but not filtered on. */
typedef enum hz_vocab {
    HZ_VOCAB_MECHANISM,
    HZ_VOCAB_PLACE,
    HZ_VOCAB_INTENT,
    HZ_VOCAB_SEVERITY,
    HZ_VOCAB_SEX,
    HZ_VOCAB_ACTIVITY,
    HZ_VOCAB_OUTCOME,
    HZ_VOCAB_NATURE,
    HZ_VOCAB_BODY_PART
} hz_vocab;

/* The filter vocabularies are hz_vocab values 0 .. HZ_VOCAB_KINDS - 1; all of them
 * 0 .. HZ_VOCAB_ALL - 1. */
enum { HZ_VOCAB_KINDS = HZ_VOCAB_OUTCOME + 1, HZ_VOCAB_ALL = HZ_VOCAB_BODY_PART + 1 };

/* Canonical name of value v in vocabulary voc ("fall", "traffic_pedestrian", ...); NULL for 0
 * (unknown) and for out-of-range values. Borrowed, static storage. */
const char *vocab_name(hz_vocab voc, int v);

/* Parses a canonical name (ASCII case-insensitive) into *v. Returns 0 on success, -1 if the
 * name is not in the vocabulary (*v untouched). Legacy words are not canonical names. */
int vocab_parse(hz_vocab voc, const char *name, int *v);

/* Number of values including 0 (unknown). */
int vocab_count(hz_vocab voc);

/* The vocabulary's own name: "mechanism", "place", ..., "body_part" (also its filter parameter
 * and its incident property). Borrowed. */
const char *vocab_label(hz_vocab voc);

/* A mechanism word of the model before issue 11, as data: what a stored or imported value means
 * now. traffic -> traffic_other (a motor-vehicle traffic injury, road user not said),
 * fire_burn -> fire_flame, crush -> struck, animal -> bites_stings, violence -> unspecified with
 * intent assault, self_harm -> unspecified with intent self_harm; cut_pierce, fall, poisoning,
 * drowning, electric and other are still canonical. Also accepts the canonical names (intent 0).
 * Sets *mech and *intent (the intent the word implies, 0 none) and returns 0, or returns -1 for
 * a word that is neither. */
int vocab_mechanism_legacy(const char *name, int *mech, int *intent);

/* A word of the filter parameter "mechanism": a canonical name (one bit of *mechs), a group or
 * a legacy word. traffic -> the five motor-vehicle traffic groups, fire_burn -> fire_flame and
 * hot_substance, crush -> struck, animal -> bites_stings, violence -> intent assault (bit of
 * *intents), self_harm -> intent self_harm. ORs the bits into *mechs and *intents and returns 0,
 * or returns -1 (nothing set) for an unknown word. */
int vocab_mechanism_alias(const char *name, uint32_t *mechs, uint32_t *intents);

/* The filter words of the mechanism parameter that are not canonical names, in the order
 * filter_canonical() writes them; NULL-terminated. Static. */
extern const char *const vocab_mechanism_alias_words[];

/* Joins the intent a mechanism word implies (implied, 0 none: vocab_mechanism_legacy()) with the
 * intent the record gives (given, 0 unknown). Sets *out and returns 0 when they agree: implied is
 * 0, given is 0 or undetermined (the mechanism word settles it), or both are equal. Returns -1
 * when they contradict (a "violence" row whose intent is "unintentional"), with *out = implied:
 * an importer rejects such a row; the schema migration keeps the mechanism word's intent, which is
 * what the old filter mechanism=violence selected. */
int vocab_merge_intent(int implied, int given, int *out);

#endif

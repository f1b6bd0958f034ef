/* check_icd10.c - ICD-10 external-cause codes onto mechanism and intent (icd10.h): the first and
 * last category of every range of the NCHS injury matrix, and the codes just outside, against a
 * table written here from the matrix (SURVEILLANCE.md), not from geo/import/icd10.c's. */
#include <check.h>
#include <string.h>

#include "hazmap/icd10.h"
#include "hazmap/vocab.h"

typedef struct want {
    const char *code, *mech, *intent; /* intent NULL: rejected */
} want;

static const want cases[] = {
    /* outside V01-Y98 */
    {"V00", NULL, NULL},
    {"U01", NULL, NULL},
    {"Y99", NULL, NULL},
    {"S72", NULL, NULL},
    /* transport: pedestrian (V01 other; V02-V04 .1/.9 traffic, .0 not; V09.2) */
    {"V01", "other_transport", "unintentional"},
    {"V02.0", "other_transport", "unintentional"},
    {"V02.1", "traffic_pedestrian", "unintentional"},
    {"V02.9", "traffic_pedestrian", "unintentional"},
    {"V04.1", "traffic_pedestrian", "unintentional"},
    {"V04", "traffic_pedestrian", "unintentional"},
    {"V05", "other_transport", "unintentional"},
    {"V09.1", "other_transport", "unintentional"},
    {"V09.2", "traffic_pedestrian", "unintentional"},
    {"V09.3", "other_transport", "unintentional"},
    /* pedal cyclist: V10-V11 other, V12-V14 .3-.9 traffic, V19 .4-.6 traffic */
    {"V11.9", "other_transport", "unintentional"},
    {"V12.2", "other_transport", "unintentional"},
    {"V12.3", "traffic_pedal_cyclist", "unintentional"},
    {"V14.9", "traffic_pedal_cyclist", "unintentional"},
    {"V15", "other_transport", "unintentional"},
    {"V19.3", "other_transport", "unintentional"},
    {"V19.4", "traffic_pedal_cyclist", "unintentional"},
    {"V19.6", "traffic_pedal_cyclist", "unintentional"},
    {"V19.7", "other_transport", "unintentional"},
    {"V19", "other_transport", "unintentional"},
    /* motorcyclist: V20-V28 .3-.9, V29 .4-.9 */
    {"V20.2", "other_transport", "unintentional"},
    {"V20.3", "traffic_motorcyclist", "unintentional"},
    {"V28.9", "traffic_motorcyclist", "unintentional"},
    {"V29.3", "other_transport", "unintentional"},
    {"V29.4", "traffic_motorcyclist", "unintentional"},
    {"V299", "traffic_motorcyclist", "unintentional"},
    /* occupant: V30-V79 .4-.9, V83-V86 .0-.3 */
    {"V30.3", "other_transport", "unintentional"},
    {"V30.4", "traffic_occupant", "unintentional"},
    {"V43", "traffic_occupant", "unintentional"},
    {"V79.9", "traffic_occupant", "unintentional"},
    {"V79.3", "other_transport", "unintentional"},
    {"V83.0", "traffic_occupant", "unintentional"},
    {"V86.3", "traffic_occupant", "unintentional"},
    {"V86.4", "other_transport", "unintentional"},
    /* other and unspecified road users: V80 .3-.5, V81.1, V82.1, V87 .0-.8, V89.2 */
    {"V80.2", "other_transport", "unintentional"},
    {"V80.3", "traffic_other", "unintentional"},
    {"V80.5", "traffic_other", "unintentional"},
    {"V80.6", "other_transport", "unintentional"},
    {"V81.1", "traffic_other", "unintentional"},
    {"V82.1", "traffic_other", "unintentional"},
    {"V82.2", "other_transport", "unintentional"},
    {"V87.0", "traffic_other", "unintentional"},
    {"V87.8", "traffic_other", "unintentional"},
    {"V87.9", "other_transport", "unintentional"},
    {"V89.1", "other_transport", "unintentional"},
    {"V89.2", "traffic_other", "unintentional"},
    {"V89.3", "other_transport", "unintentional"},
    {"V90", "other_transport", "unintentional"},
    {"V99", "other_transport", "unintentional"},
    /* unintentional, W and X */
    {"W00", "fall", "unintentional"},
    {"W19", "fall", "unintentional"},
    {"W20", "struck", "unintentional"},
    {"W22", "struck", "unintentional"},
    {"W23", "other", "unintentional"},
    {"W24", "machinery", "unintentional"},
    {"W25", "cut_pierce", "unintentional"},
    {"W29", "cut_pierce", "unintentional"},
    {"W30", "machinery", "unintentional"},
    {"W31", "machinery", "unintentional"},
    {"W32", "firearm", "unintentional"},
    {"W34", "firearm", "unintentional"},
    {"W35", "other", "unintentional"},
    {"W41", "other", "unintentional"},
    {"W42", "natural", "unintentional"},
    {"W43", "natural", "unintentional"},
    {"W44", "other", "unintentional"},
    {"W45", "cut_pierce", "unintentional"},
    {"W46", NULL, NULL},
    {"W48", NULL, NULL},
    {"W49", "other", "unintentional"},
    {"W50", "struck", "unintentional"},
    {"W52", "struck", "unintentional"},
    {"W53", "bites_stings", "unintentional"},
    {"W64", "bites_stings", "unintentional"},
    {"W65", "drowning", "unintentional"},
    {"W74", "drowning", "unintentional"},
    {"W75", "suffocation", "unintentional"},
    {"W84", "suffocation", "unintentional"},
    {"W85", "electric", "unintentional"},
    {"W87", "electric", "unintentional"},
    {"W88", "other", "unintentional"},
    {"W91", "other", "unintentional"},
    {"W92", "natural", "unintentional"},
    {"W99", "natural", "unintentional"},
    {"X00", "fire_flame", "unintentional"},
    {"X09", "fire_flame", "unintentional"},
    {"X10", "hot_substance", "unintentional"},
    {"X19", "hot_substance", "unintentional"},
    {"X20", "bites_stings", "unintentional"},
    {"X29", "bites_stings", "unintentional"},
    {"X30", "natural", "unintentional"},
    {"X39", "natural", "unintentional"},
    {"X40", "poisoning", "unintentional"},
    {"X49", "poisoning", "unintentional"},
    {"X50", "overexertion", "unintentional"},
    {"X51", "natural", "unintentional"},
    {"X57", "natural", "unintentional"},
    {"X58", "other", "unintentional"},
    {"X59", "unspecified", "unintentional"},
    /* intentional self-harm */
    {"X60", "poisoning", "self_harm"},
    {"X69", "poisoning", "self_harm"},
    {"X70", "suffocation", "self_harm"},
    {"X71", "drowning", "self_harm"},
    {"X72", "firearm", "self_harm"},
    {"X74", "firearm", "self_harm"},
    {"X75", "other", "self_harm"},
    {"X76", "fire_flame", "self_harm"},
    {"X77", "hot_substance", "self_harm"},
    {"X78", "cut_pierce", "self_harm"},
    {"X79", "struck", "self_harm"},
    {"X80", "fall", "self_harm"},
    {"X81", "other", "self_harm"},
    {"X82", "traffic_other", "self_harm"},
    {"X83", "other", "self_harm"},
    {"X84", "unspecified", "self_harm"},
    /* assault */
    {"X85", "poisoning", "assault"},
    {"X90", "poisoning", "assault"},
    {"X91", "suffocation", "assault"},
    {"X92", "drowning", "assault"},
    {"X93", "firearm", "assault"},
    {"X95", "firearm", "assault"},
    {"X96", "other", "assault"},
    {"X97", "fire_flame", "assault"},
    {"X98", "hot_substance", "assault"},
    {"X99", "cut_pierce", "assault"},
    {"Y00", "struck", "assault"},
    {"Y01", "fall", "assault"},
    {"Y02", "other", "assault"},
    {"Y03", "traffic_other", "assault"},
    {"Y04", "struck", "assault"},
    {"Y05", "other", "assault"},
    {"Y08", "other", "assault"},
    {"Y09", "unspecified", "assault"},
    /* undetermined intent */
    {"Y10", "poisoning", "undetermined"},
    {"Y19", "poisoning", "undetermined"},
    {"Y20", "suffocation", "undetermined"},
    {"Y21", "drowning", "undetermined"},
    {"Y22", "firearm", "undetermined"},
    {"Y24", "firearm", "undetermined"},
    {"Y25", "other", "undetermined"},
    {"Y26", "fire_flame", "undetermined"},
    {"Y27", "hot_substance", "undetermined"},
    {"Y28", "cut_pierce", "undetermined"},
    {"Y29", "struck", "undetermined"},
    {"Y30", "fall", "undetermined"},
    {"Y31", "other", "undetermined"},
    {"Y32", "traffic_other", "undetermined"},
    {"Y33", "other", "undetermined"},
    {"Y34", "unspecified", "undetermined"},
    /* legal intervention and war */
    {"Y35.0", "firearm", "legal_war"},
    {"Y35.1", "other", "legal_war"},
    {"Y35.2", "poisoning", "legal_war"},
    {"Y35.3", "struck", "legal_war"},
    {"Y35.4", "cut_pierce", "legal_war"},
    {"Y35.5", "other", "legal_war"},
    {"Y35.6", "other", "legal_war"},
    {"Y35.7", "unspecified", "legal_war"},
    {"Y35", "unspecified", "legal_war"},
    {"Y35.8", NULL, NULL},
    {"Y36.0", "other", "legal_war"},
    {"Y36.3", "fire_flame", "legal_war"},
    {"Y36.8", "other", "legal_war"},
    {"Y36.9", "unspecified", "legal_war"},
    {"Y37", NULL, NULL},
    {"Y39", NULL, NULL},
    /* medical care, sequelae, supplementary factors */
    {"Y40", NULL, NULL},
    {"Y84", NULL, NULL},
    {"Y85", "other", "unintentional"},
    {"Y86", "other", "unintentional"},
    {"Y87.0", "other", "self_harm"},
    {"Y87.1", "other", "assault"},
    {"Y87.2", "other", "undetermined"},
    {"Y87", NULL, NULL},
    {"Y87.3", NULL, NULL},
    {"Y88", NULL, NULL},
    {"Y89.0", "other", "legal_war"},
    {"Y89.1", "other", "legal_war"},
    {"Y89.9", "unspecified", "undetermined"},
    {"Y89.5", NULL, NULL},
    {"Y90", NULL, NULL},
    {"Y98", NULL, NULL},
    /* spellings */
    {" w19.9 ", "fall", "unintentional"},
    {"W199", "fall", "unintentional"},
    {"W1", NULL, NULL},
    {"W19.", NULL, NULL},
    {"W19.99", NULL, NULL},
    {"W19X", NULL, NULL},
    {"19W", NULL, NULL},
    {"", NULL, NULL},
    {"V43.52XA", NULL, NULL},
};

START_TEST(test_matrix_boundaries)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const want *w = &cases[i];
        int m = -1, it = -1;
        char why[160] = "";
        int rc = icd10_classify(w->code, &m, &it, why, sizeof why);
        if (!w->intent) {
            ck_assert_msg(rc != 0, "'%s' should be rejected, got %s/%s", w->code,
                          vocab_name(HZ_VOCAB_MECHANISM, m), vocab_name(HZ_VOCAB_INTENT, it));
            ck_assert_msg(why[0], "'%s' rejected without a reason", w->code);
            continue;
        }
        ck_assert_msg(rc == 0, "'%s' rejected: %s", w->code, why);
        ck_assert_msg(vocab_name(HZ_VOCAB_MECHANISM, m) &&
                          strcmp(vocab_name(HZ_VOCAB_MECHANISM, m), w->mech) == 0,
                      "'%s': mechanism %s, want %s", w->code, vocab_name(HZ_VOCAB_MECHANISM, m),
                      w->mech);
        ck_assert_msg(vocab_name(HZ_VOCAB_INTENT, it) &&
                          strcmp(vocab_name(HZ_VOCAB_INTENT, it), w->intent) == 0,
                      "'%s': intent %s, want %s", w->code, vocab_name(HZ_VOCAB_INTENT, it),
                      w->intent);
    }
}
END_TEST

START_TEST(test_reasons)
{
    int m, it;
    char why[160];
    ck_assert_int_ne(icd10_classify("Y45", &m, &it, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "medical"));
    ck_assert_int_ne(icd10_classify("Y95", &m, &it, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "supplementary"));
    ck_assert_int_ne(icd10_classify("T14", &m, &it, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "V01-Y98"));
    ck_assert_int_ne(icd10_classify("W1x", &m, &it, why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "malformed"));
}
END_TEST

/* The filter words of the model before issue 11 select what they did (vocab.h). */
START_TEST(test_legacy_words)
{
    int m, it;
    ck_assert_int_eq(vocab_mechanism_legacy("violence", &m, &it), 0);
    ck_assert_int_eq(m, HZ_MECH_UNSPECIFIED);
    ck_assert_int_eq(it, HZ_INTENT_ASSAULT);
    ck_assert_int_eq(vocab_mechanism_legacy("traffic", &m, &it), 0);
    ck_assert_int_eq(m, HZ_MECH_MVT_OTHER);
    ck_assert_int_eq(vocab_mechanism_legacy("crush", &m, &it), 0);
    ck_assert_int_eq(m, HZ_MECH_STRUCK);
    ck_assert_int_eq(vocab_mechanism_legacy("nonsense", &m, &it), -1);
    uint32_t ms = 0, is = 0;
    ck_assert_int_eq(vocab_mechanism_alias("fire_burn", &ms, &is), 0);
    ck_assert_uint_eq(ms, (1u << HZ_MECH_FIRE_FLAME) | (1u << HZ_MECH_HOT_SUBSTANCE));
    ck_assert_int_eq(vocab_mechanism_alias("self_harm", &ms, &is), 0);
    ck_assert_uint_eq(is, 1u << HZ_INTENT_SELF_HARM);
    int out;
    ck_assert_int_eq(vocab_merge_intent(HZ_INTENT_ASSAULT, HZ_INTENT_UNDETERMINED, &out), 0);
    ck_assert_int_eq(out, HZ_INTENT_ASSAULT);
    ck_assert_int_eq(vocab_merge_intent(HZ_INTENT_ASSAULT, HZ_INTENT_UNINTENTIONAL, &out), -1);
    ck_assert_int_eq(vocab_merge_intent(0, HZ_INTENT_UNINTENTIONAL, &out), 0);
    ck_assert_int_eq(out, HZ_INTENT_UNINTENTIONAL);
}
END_TEST

Suite *icd10_suite(void)
{
    Suite *s = suite_create("icd10");
    TCase *tc = tcase_create("matrix");
    tcase_add_test(tc, test_matrix_boundaries);
    tcase_add_test(tc, test_reasons);
    tcase_add_test(tc, test_legacy_words);
    suite_add_tcase(s, tc);
    return s;
}

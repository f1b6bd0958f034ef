/* icd10.c - the ICD-10 external cause of injury matrix (icd10.h).
 *
 * One table of ranges of three-character categories, each with the fourth digits it covers
 * ("" = all), its mechanism and intent; the first row that covers a code wins, so the traffic rows
 * (the fourth digit says traffic or not, and the road user) come before the transport row that
 * takes the rest of V01-V99. Sources: NCHS, "ICD-10 External cause of injury mortality matrix"
 * (matrix10.pdf, 2002), with electric current (W85-W87) taken out of "other specified,
 * classifiable" and natural/environmental split into bites and stings (W53-W64, X20-X29) and the
 * rest, as vocab.h describes. */
#include "hazmap/icd10.h"
#include "hazmap/vocab.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct icd_row {
    const char *lo, *hi; /* first and last three-character category, e.g. "W00", "W19" */
    const char *digits;  /* the fourth digits covered; "" all */
    int mech, intent;
} icd_row;

enum {
    U = HZ_INTENT_UNINTENTIONAL,
    S = HZ_INTENT_SELF_HARM,
    A = HZ_INTENT_ASSAULT,
    D = HZ_INTENT_UNDETERMINED,
    L = HZ_INTENT_LEGAL_WAR
};

static const icd_row rows[] = {
    /* unintentional: transport */
    {"V02", "V04", "19", HZ_MECH_MVT_PEDESTRIAN, U},
    {"V09", "V09", "2", HZ_MECH_MVT_PEDESTRIAN, U},
    {"V12", "V14", "3456789", HZ_MECH_MVT_PEDAL_CYCLIST, U},
    {"V19", "V19", "456", HZ_MECH_MVT_PEDAL_CYCLIST, U},
    {"V20", "V28", "3456789", HZ_MECH_MVT_MOTORCYCLIST, U},
    {"V29", "V29", "456789", HZ_MECH_MVT_MOTORCYCLIST, U},
    {"V30", "V79", "456789", HZ_MECH_MVT_OCCUPANT, U},
    {"V83", "V86", "0123", HZ_MECH_MVT_OCCUPANT, U},
    {"V80", "V80", "345", HZ_MECH_MVT_OTHER, U},
    {"V81", "V82", "1", HZ_MECH_MVT_OTHER, U},
    {"V87", "V87", "012345678", HZ_MECH_MVT_OTHER, U},
    {"V89", "V89", "2", HZ_MECH_MVT_OTHER, U},
    {"V01", "V99", "", HZ_MECH_OTHER_TRANSPORT, U},
    /* unintentional: the rest */
    {"W00", "W19", "", HZ_MECH_FALL, U},
    {"W20", "W22", "", HZ_MECH_STRUCK, U},
    {"W23", "W23", "", HZ_MECH_OTHER, U},
    {"W24", "W24", "", HZ_MECH_MACHINERY, U},
    {"W25", "W29", "", HZ_MECH_CUT_PIERCE, U},
    {"W30", "W31", "", HZ_MECH_MACHINERY, U},
    {"W32", "W34", "", HZ_MECH_FIREARM, U},
    {"W35", "W41", "", HZ_MECH_OTHER, U},
    {"W42", "W43", "", HZ_MECH_NATURAL, U},
    {"W44", "W44", "", HZ_MECH_OTHER, U},
    {"W45", "W45", "", HZ_MECH_CUT_PIERCE, U},
    {"W49", "W49", "", HZ_MECH_OTHER, U},
    {"W50", "W52", "", HZ_MECH_STRUCK, U},
    {"W53", "W64", "", HZ_MECH_BITES_STINGS, U},
    {"W65", "W74", "", HZ_MECH_DROWNING, U},
    {"W75", "W84", "", HZ_MECH_SUFFOCATION, U},
    {"W85", "W87", "", HZ_MECH_ELECTRIC, U},
    {"W88", "W91", "", HZ_MECH_OTHER, U},
    {"W92", "W99", "", HZ_MECH_NATURAL, U},
    {"X00", "X09", "", HZ_MECH_FIRE_FLAME, U},
    {"X10", "X19", "", HZ_MECH_HOT_SUBSTANCE, U},
    {"X20", "X29", "", HZ_MECH_BITES_STINGS, U},
    {"X30", "X39", "", HZ_MECH_NATURAL, U},
    {"X40", "X49", "", HZ_MECH_POISONING, U},
    {"X50", "X50", "", HZ_MECH_OVEREXERTION, U},
    {"X51", "X57", "", HZ_MECH_NATURAL, U},
    {"X58", "X58", "", HZ_MECH_OTHER, U},
    {"X59", "X59", "", HZ_MECH_UNSPECIFIED, U},
    /* intentional self-harm (suicide) */
    {"X60", "X69", "", HZ_MECH_POISONING, S},
    {"X70", "X70", "", HZ_MECH_SUFFOCATION, S},
    {"X71", "X71", "", HZ_MECH_DROWNING, S},
    {"X72", "X74", "", HZ_MECH_FIREARM, S},
    {"X75", "X75", "", HZ_MECH_OTHER, S},
    {"X76", "X76", "", HZ_MECH_FIRE_FLAME, S},
    {"X77", "X77", "", HZ_MECH_HOT_SUBSTANCE, S},
    {"X78", "X78", "", HZ_MECH_CUT_PIERCE, S},
    {"X79", "X79", "", HZ_MECH_STRUCK, S},
    {"X80", "X80", "", HZ_MECH_FALL, S},
    {"X81", "X81", "", HZ_MECH_OTHER, S},
    {"X82", "X82", "", HZ_MECH_MVT_OTHER, S},
    {"X83", "X83", "", HZ_MECH_OTHER, S},
    {"X84", "X84", "", HZ_MECH_UNSPECIFIED, S},
    /* assault (homicide) */
    {"X85", "X90", "", HZ_MECH_POISONING, A},
    {"X91", "X91", "", HZ_MECH_SUFFOCATION, A},
    {"X92", "X92", "", HZ_MECH_DROWNING, A},
    {"X93", "X95", "", HZ_MECH_FIREARM, A},
    {"X96", "X96", "", HZ_MECH_OTHER, A},
    {"X97", "X97", "", HZ_MECH_FIRE_FLAME, A},
    {"X98", "X98", "", HZ_MECH_HOT_SUBSTANCE, A},
    {"X99", "X99", "", HZ_MECH_CUT_PIERCE, A},
    {"Y00", "Y00", "", HZ_MECH_STRUCK, A},
    {"Y01", "Y01", "", HZ_MECH_FALL, A},
    {"Y02", "Y02", "", HZ_MECH_OTHER, A},
    {"Y03", "Y03", "", HZ_MECH_MVT_OTHER, A},
    {"Y04", "Y04", "", HZ_MECH_STRUCK, A},
    {"Y05", "Y08", "", HZ_MECH_OTHER, A},
    {"Y09", "Y09", "", HZ_MECH_UNSPECIFIED, A},
    /* undetermined intent */
    {"Y10", "Y19", "", HZ_MECH_POISONING, D},
    {"Y20", "Y20", "", HZ_MECH_SUFFOCATION, D},
    {"Y21", "Y21", "", HZ_MECH_DROWNING, D},
    {"Y22", "Y24", "", HZ_MECH_FIREARM, D},
    {"Y25", "Y25", "", HZ_MECH_OTHER, D},
    {"Y26", "Y26", "", HZ_MECH_FIRE_FLAME, D},
    {"Y27", "Y27", "", HZ_MECH_HOT_SUBSTANCE, D},
    {"Y28", "Y28", "", HZ_MECH_CUT_PIERCE, D},
    {"Y29", "Y29", "", HZ_MECH_STRUCK, D},
    {"Y30", "Y30", "", HZ_MECH_FALL, D},
    {"Y31", "Y31", "", HZ_MECH_OTHER, D},
    {"Y32", "Y32", "", HZ_MECH_MVT_OTHER, D},
    {"Y33", "Y33", "", HZ_MECH_OTHER, D},
    {"Y34", "Y34", "", HZ_MECH_UNSPECIFIED, D},
    /* legal intervention and operations of war */
    {"Y35", "Y35", "0", HZ_MECH_FIREARM, L},
    {"Y35", "Y35", "15", HZ_MECH_OTHER, L},
    {"Y35", "Y35", "2", HZ_MECH_POISONING, L},
    {"Y35", "Y35", "3", HZ_MECH_STRUCK, L},
    {"Y35", "Y35", "4", HZ_MECH_CUT_PIERCE, L},
    {"Y35", "Y35", "6", HZ_MECH_OTHER, L},
    {"Y35", "Y35", "7", HZ_MECH_UNSPECIFIED, L},
    {"Y36", "Y36", "3", HZ_MECH_FIRE_FLAME, L},
    {"Y36", "Y36", "01245678", HZ_MECH_OTHER, L},
    {"Y36", "Y36", "9", HZ_MECH_UNSPECIFIED, L},
    /* sequelae */
    {"Y85", "Y86", "", HZ_MECH_OTHER, U},
    {"Y87", "Y87", "0", HZ_MECH_OTHER, S},
    {"Y87", "Y87", "1", HZ_MECH_OTHER, A},
    {"Y87", "Y87", "2", HZ_MECH_OTHER, D},
    {"Y89", "Y89", "01", HZ_MECH_OTHER, L},
    {"Y89", "Y89", "9", HZ_MECH_UNSPECIFIED, D},
};

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && len) vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* A category as a number: letter * 100 + two digits. */
static int cat_num(const char *c)
{
    return (c[0] - 'A') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
}

int icd10_classify(const char *code, int *mechanism, int *intent, char *why, size_t whylen)
{
    char c[8];
    size_t n = 0;
    const char *p = code;
    while (*p && isspace((unsigned char)*p))
        p++;
    for (; *p && !isspace((unsigned char)*p); p++) {
        if (n + 1 >= sizeof c) return fail(why, whylen, "malformed (too long)");
        c[n++] = (char)toupper((unsigned char)*p);
    }
    c[n] = 0;
    while (*p && isspace((unsigned char)*p))
        p++;
    int fourth = -1;
    int ok = !*p && (n == 3 || n == 4 || n == 5) && isupper((unsigned char)c[0]) &&
             isdigit((unsigned char)c[1]) && isdigit((unsigned char)c[2]);
    if (ok && n == 4) ok = isdigit((unsigned char)c[3]), fourth = c[3] - '0';
    if (ok && n == 5) ok = c[3] == '.' && isdigit((unsigned char)c[4]), fourth = c[4] - '0';
    if (!ok)
        return fail(why, whylen,
                    "malformed (a letter, two digits and an optional fourth digit with or without "
                    "a dot: W19, W19.9, W199)");
    int cat = cat_num(c);
    if (cat < cat_num("V01") || cat > cat_num("Y98"))
        return fail(why, whylen, "not an external cause of injury (V01-Y98)");
    if ((cat >= cat_num("Y40") && cat <= cat_num("Y84")) || cat == cat_num("Y88"))
        return fail(why, whylen,
                    "a complication of medical or surgical care, outside the injury matrix");
    if (cat >= cat_num("Y90"))
        return fail(why, whylen, "a supplementary factor (Y90-Y98), not a cause of injury");
    if (fourth < 0) {
        /* the category's unspecified subdivision, where the fourth digit matters */
        if (c[0] == 'V')
            fourth = 9;
        else if (cat == cat_num("Y35"))
            fourth = 7;
        else if (cat == cat_num("Y36") || cat == cat_num("Y89"))
            fourth = 9;
        else if (cat == cat_num("Y87"))
            return fail(why, whylen, "needs its fourth digit (Y87.0, .1 or .2: the intent)");
    }
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const icd_row *r = &rows[i];
        if (cat < cat_num(r->lo) || cat > cat_num(r->hi)) continue;
        if (r->digits[0] && (fourth < 0 || !strchr(r->digits, '0' + fourth))) continue;
        *mechanism = r->mech;
        *intent = r->intent;
        return 0;
    }
    return fail(why, whylen, "not a code of the injury matrix");
}

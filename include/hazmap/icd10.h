/* icd10.h - ICD-10 external-cause codes (V01-Y98) onto mechanism and intent.
 *
 * The mapping is the CDC/NCHS "External cause of injury mortality matrix for ICD-10" (National
 * Center for Health Statistics, 2002, with the transport detail of its appendix), on the model of
 * vocab.h; SURVEILLANCE.md has the whole table. A code is a letter and two digits, optionally
 * followed by a fourth digit with or without a dot (W19, W19.9, W199); surrounding spaces and a
 * lower-case letter are accepted. A code without its fourth digit reads as the category's
 * unspecified subdivision where the fourth digit matters (V: .9, so V43 is a traffic occupant and
 * V19 another transport injury; Y35: .7; Y36, Y89: .9); Y87 needs it (it carries the intent).
 * Not mapped, with the reason: codes outside V01-Y98, complications of medical and surgical care
 * (Y40-Y84, Y88), supplementary factors (Y90-Y98), and codes of no matrix cell (W46-W48, Y37-Y39,
 * Y35.8, ...). Pure functions over a static table: thread-safe. */
#ifndef HAZMAP_ICD10_H
#define HAZMAP_ICD10_H

#include <stddef.h>

/* Classifies code: sets *mechanism (hz_mechanism) and *intent (hz_intent) and returns 0, or
 * returns -1 with the reason in why ("Y45 is a complication of medical care, outside the injury
 * matrix"), the code itself not repeated. */
int icd10_classify(const char *code, int *mechanism, int *intent, char *why, size_t whylen);

#endif

/* normalise.h - the one set of rules for taking in an incident, whichever way it comes: a CSV
 * row, an OGR feature (GeoJSON, GeoPackage, Shapefile) or a feature POSTed to the server.
 *
 * A reader turns its input into a norm_in (every field as text, as written in the source, and
 * the coordinates either as text or as a point geometry); norm_incident() checks and converts it
 * into the hz_incident_rec the store takes, or lists what is wrong with it. The rules:
 *   coordinates  a point; lon and lat finite numbers; after the reader's CRS transform (if any)
 *                within -180..180 and -90..90; GCJ-02/BD-09 undone last (chinacrs.h)
 *   id           not empty, at most NORM_ID_MAX bytes
 *   occurred_at  hztime_parse_date() (or hztime_parse_format() with a time format), local times at
 *                the given offset; stored as hztime_format_iso() text in that offset
 *   time2        hztime_parse_tod(), replacing the time of day of occurred_at
 *   vocabularies vocabmap_lookup() (the mapping file's rules, canonical names, built-in English and
 *                Chinese synonyms); an unknown mechanism takes the default mechanism
 *   intent       a mechanism word that implies an intent (violence, self_harm, 性侵犯) sets it when
 *                the intent is unknown or undetermined; a contradiction (violence, unintentional)
 *                is a problem of the intent (vocab_merge_intent())
 *   icd10        icd10_classify(): its mechanism and intent replace the mechanism and intent fields
 *   outcome      died makes the severity fatal, whatever the severity field says
 *   victims      a whole number 0..NORM_VICTIMS_MAX
 *   age          a whole number of years 0..NORM_AGE_MAX
 *   disability   yes/no, y/n, true/false, 1/0, 是/否, 有/无 (ASCII case-insensitive)
 *   description  at most NORM_DESC_MAX bytes
 *   area         the most specific area containing the point (areaindex.h), when an index is given;
 *                a record without coordinates (no geometry, both coordinate texts blank) that
 *                names an area (text[NORM_AREA]: code, name or short name, areaindex_resolve())
 *                is stored with that area and no point (lon, lat NaN); a name matching no area
 *                or several is a problem. With a point the point wins: a named area that
 *                disagrees sets area_mismatch (the importers count it), nothing more
 * An absent, empty or all-space text means "unknown" for every field but id and the coordinates.
 *
 * Each problem has one fixed reason text per kind that names the field and quotes the value as
 * the source wrote it, so the same bad record gets the same reason by every path; readers add
 * only where it was (a line number, a JSON path). Values quoted in reasons are cut to at most
 * NORM_QUOTE_MAX bytes on a UTF-8 character boundary, so a reason is valid UTF-8 whenever the
 * input is. */
#ifndef HAZMAP_NORMALISE_H
#define HAZMAP_NORMALISE_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/areaindex.h"
#include "hazmap/chinacrs.h"
#include "hazmap/store.h"
#include "hazmap/vocabmap.h"

/* Age: the oldest verified human lived 122 years (Jeanne Calment); 130 leaves room for that and
 * rejects the "999"/"150" placeholders and typos seen in surveillance exports. */
#define NORM_AGE_MAX 130
/* Victims of one incident record: the largest point incidents (a stadium crush, a building fire)
 * stay well below it, while the 99999-style placeholders and mistyped counts are caught; a
 * disaster of more casualties is not a point hazard for these maps. */
#define NORM_VICTIMS_MAX 10000
#define NORM_ID_MAX 256
#define NORM_DESC_MAX 10000
#define NORM_QUOTE_MAX 100

/* The fields of an incident in the order they are checked (the first problem of a record is the
 * one a reader that stops at one reports). */
typedef enum norm_field {
    NORM_GEOMETRY, /* the point as a whole: missing, empty or not a point */
    NORM_LON,
    NORM_LAT,
    NORM_AREA, /* an area's code or name, for a record without coordinates */
    NORM_ID,
    NORM_TIME,  /* occurred_at */
    NORM_TIME2, /* time of day */
    NORM_ICD10, /* an ICD-10 external-cause code (icd10.h): sets mechanism and intent */
    NORM_MECHANISM,
    NORM_PLACE,
    NORM_INTENT,
    NORM_SEVERITY,
    NORM_SEX,
    NORM_ACTIVITY,
    NORM_OUTCOME, /* "died" makes the severity fatal */
    NORM_NATURE,
    NORM_BODY_PART,
    NORM_VICTIMS,
    NORM_AGE,
    NORM_DISABILITY,
    NORM_DESCRIPTION,
    NORM_NFIELDS
} norm_field;

/* How the reader found the coordinates. */
typedef enum norm_geom {
    NORM_GEOM_TEXT = 0, /* as text in text[NORM_LON] and text[NORM_LAT] (NULL or blank: none) */
    NORM_GEOM_NONE,     /* no geometry and no coordinate text */
    NORM_GEOM_EMPTY,    /* an empty point (POINT EMPTY) */
    NORM_GEOM_OTHER,    /* a geometry of another type, named in geom_type */
    NORM_GEOM_POINT     /* a point (x, y) in the source CRS */
} norm_geom;

/* The rules' parameters. Everything is borrowed and only read: one norm_opts may serve any
 * number of threads at once if its transform may. */
typedef struct norm_opts {
    const vocabmap *vm;      /* required; vocabmap_new() gives the built-in synonyms only */
    const areaindex *ai;     /* NULL: area_code stays NULL */
    int tz;                  /* offset of local times, seconds east of UTC (HZ_TZ_SHANGHAI) */
    const char *time_format; /* NULL: hztime_parse_date(); else hztime_parse_format() */
    int default_mechanism;   /* for records without one; 0 = none */
    int default_intent;      /* the intent default_mechanism's word implies (0 none) */
    chinacrs_kind ck;        /* the coordinates are GCJ-02 or BD-09 (after transform) */
    /* The source CRS to WGS84 lon/lat, in place; 0 on success. NULL: already lon/lat. Called only
     * with finite coordinates. */
    int (*transform)(void *ud, double *x, double *y);
    void *transform_ud;
} norm_opts;

/* One record as the reader found it. Strings are borrowed and must outlive the norm_out. */
typedef struct norm_in {
    const char *source;             /* required: the file name or feed */
    const char *text[NORM_NFIELDS]; /* per field, NULL when the source has no such field;
                                       text[NORM_GEOMETRY] is unused */
    norm_geom geom;
    const char *geom_type; /* NORM_GEOM_OTHER: its type, e.g. "LINESTRING" */
    double x, y;           /* NORM_GEOM_POINT */
} norm_in;

typedef struct norm_problem {
    norm_field field;
    const char *kind; /* a short static name of the rule, for counting ("bad date", ...) */
    char reason[320]; /* the fixed text of the kind with the field and value */
} norm_problem;

/* The result. rec's strings point into the norm_in's strings, into occurred_at below and into
 * the area index: do not copy a norm_out by value while rec is in use. */
typedef struct norm_out {
    hz_incident_rec rec; /* valid when nproblems == 0; extra is left NULL for the reader */
    char occurred_at[32];
    int area_mismatch; /* the record has a point and names an area that does not hold it */
    int nproblems;
    norm_problem problem[NORM_NFIELDS]; /* at most one per field, in field order */
} norm_out;

/* Checks and converts in under the rules of o. Returns out->nproblems: 0 when out->rec is the
 * record to store. Every field is checked, so all problems are listed (at most one per field;
 * problems with the coordinates are one, on NORM_GEOMETRY, NORM_LON or NORM_LAT). */
int norm_incident(const norm_opts *o, const norm_in *in, norm_out *out);

/* The field's name as stored and as POSTed ("lon", "occurred_at", "mechanism", ...). Static. */
const char *norm_field_name(norm_field f);

#endif

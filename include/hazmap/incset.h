/* incset.h - an in-memory snapshot of the store's areas and incidents, for analysis.
 *
 * Loading reads every incident once and projects it to the working CRS (about 1 s per million);
 * after that every filter is applied in memory, so maps can be recomputed on each filter change.
 * The loaded incidents are also kept in a cache file beside the database, DB.snapshot, which the
 * next load of the same data (same data identity, working CRS and areas) reads instead, in a
 * few hundredths of a second per million. The database stays the only source of truth: the file
 * is checked against it and against its own checksum on every load and rewritten when it does
 * not match; deleting it is always safe. It holds the incident records, so it gets the
 * database's permission bits.
 * A snapshot is immutable once loaded and may be shared by any number of threads. It remembers
 * the data version it was read at; reload when the store's version differs (incset_reload() reads
 * only the rows written since, when it can prove that right). Two things inside it
 * change, both invisible to results: a counter of full passes over its incidents (for
 * /metrics: work proportional to the data should happen once per view, never per cached
 * request) and a bounded memo of filter counts; both are thread-safe.
 *
 * Ownership: incset_load() returns a snapshot freed with incset_free(). Pointers returned by the
 * accessors are borrowed and valid until incset_free(). */
#ifndef HAZMAP_INCSET_H
#define HAZMAP_INCSET_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "hazmap/filter.h"
#include "hazmap/status.h"
#include "hazmap/store.h"

/* The record's format version, part of the snapshot file's key: change it whenever the meaning
 * of a field changes, not only its layout (2: the mechanism x intent model of issue 11; 3: lon,
 * lat, x and y NaN for an incident without a point). */
#define HZ_INCIDENT_FORMAT "3"

/* One incident, compact: 64 bytes. An incident known only by its area (store.h: schema 3) is
 * kept, so that counts and rates include it, with its flag in the coordinates: lon, lat, x and
 * y are NaN (hz_incident_has_point()). Point analyses take their points from incset_select(),
 * which leaves it out and counts it in hz_points.without_point; a loop over incset_items()
 * that reads coordinates must test hz_incident_has_point() itself. */
typedef struct hz_incident {
    int64_t id;      /* the store's id */
    double lon, lat; /* WGS84 degrees; NaN both when the incident has no point */
    double x, y;     /* working CRS metres; NaN when it has no point */
    int64_t t;       /* seconds since epoch; INT64_MIN unknown */
    int32_t area;    /* index into the snapshot's areas; -1 outside all */
    uint8_t mechanism, place, intent, severity, sex; /* hz_* vocab values, 0 unknown */
    int8_t disability;                               /* 1, 0, -1 unknown */
    int16_t age;                                     /* years, -1 unknown */
    int16_t victims;                                 /* -1 unknown */
    uint8_t activity, outcome;                       /* hz_activity, hz_outcome; 0 unknown */
} hz_incident;

/* 1 when the incident has a point, 0 when it is known only by its area. */
static inline int hz_incident_has_point(const hz_incident *i)
{
    return !isnan(i->lon);
}

/* One area. */
typedef struct hz_area {
    char *code, *name, *name_en, *level, *parent_code; /* name_en, parent_code may be NULL */
    int64_t population;                                /* -1 unknown */
    int32_t parent;                                    /* index of the parent area, -1 none */
    unsigned char *wkb;                                /* MULTIPOLYGON, EPSG:4326 */
    size_t wkb_len;
    double minlon, minlat, maxlon, maxlat;
} hz_area;

typedef struct incset incset;

/* Loads the snapshot, from DB.snapshot when it matches, else from the store (then writing
 * DB.snapshot for the next load; a directory that cannot be written only means no cache). One
 * read transaction on st, which must not be inside a transaction already. work_srs: see
 * workcrs_new() (NULL = UTM zone of the areas' centre, or of the incidents' if there are no
 * areas). Returns NULL with the reason in err. */
incset *incset_load(store *st, const char *work_srs, char *err, size_t errlen);

/* The snapshot of the store's current data version built from old (a snapshot of an older
 * version of the same store, loaded with the same work_srs) and only the rows written since
 * (store_incidents_scan_since()), when that is provably the same as incset_load() would give:
 * same incidents in the same order, same fields and projection, same areas (incset.c says what
 * is compared). Otherwise, and when old is NULL, it is incset_load(). old is not changed and
 * stays the caller's; the event map is not carried over (attach it again). One read
 * transaction on st (two when it falls back). NULL with the reason in err. */
incset *incset_reload(const incset *old, store *st, const char *work_srs, char *err, size_t errlen);

/* How a snapshot's incidents were built. */
typedef enum incset_source {
    INCSET_ROWS = 0, /* every row read from the store */
    INCSET_FILE,     /* the snapshot file (DB.snapshot) */
    INCSET_DELTA     /* incset_reload(): an older snapshot and the rows written since */
} incset_source;
/* How s was built; with INCSET_DELTA, *rows (when not NULL) is the number of rows read, else 0. */
incset_source incset_source_of(const incset *s, size_t *rows);

/* NULL is a no-op. */
void incset_free(incset *s);

size_t incset_count(const incset *s);
const hz_incident *incset_items(const incset *s);
size_t incset_area_count(const incset *s);
const hz_area *incset_areas(const incset *s);
/* Index of the area with this code, or -1. */
int32_t incset_area_find(const incset *s, const char *code);
/* 1 if area index a is anc or a descendant of anc. */
int incset_area_within(const incset *s, int32_t a, int32_t anc);

/* The working CRS ("EPSG:32648") and the data version the snapshot was read at. */
const char *incset_work_srs(const incset *s);
int64_t incset_data_version(const incset *s);

/* The data's extent in WGS84 degrees [west, south, east, north]: the areas' bounding box, or the
 * incidents' when there are no areas, or the whole world when there are neither. O(areas). */
void incset_extent(const incset *s, double bb[4]);

/* The areas' bounding box into bb; 0 when there are no areas. O(areas). */
int incset_areas_box(const incset *s, double bb[4]);

/* The located incidents' box (found when the snapshot was built) into bb; 0 when no incident
 * has a point. For planners only: it gives the outermost incidents' coordinates. */
int incset_points_box(const incset *s, double bb[4]);

/* First and last time of the dated incidents (INT64_MIN both when none is dated). No pass. */
void incset_time_span(const incset *s, int64_t *first, int64_t *last);

/* 1 when the incidents were read from the snapshot file, 0 when from the store's rows. */
int incset_cached(const incset *s);

/* The study period of an analysis under f, for "per year" figures: f's [from, to) intersected
 * with the data's span in whole local days (f->tz_offset_s): from the start of the first dated
 * incident's day to the end of the last one's. A filter reaching past the data therefore does
 * not dilute rates with years in which nothing was recorded. Returns the length in years
 * (days / 365.25) and sets *from and *to, or returns 0 with both INT64_MIN when the data have no
 * dates or the intersection is empty. */
double incset_study_period(const incset *s, const hz_filter *f, int64_t *from, int64_t *to);

/* 1 if incident i passes filter f. f->area must have been resolved: use incset_select(). */
int incset_match(const incset *s, const hz_filter *f, int32_t area_idx, const hz_incident *i);

/* The filtered points, ready for an analysis. Arrays are owned by the hz_points; free them with
 * hz_points_free(). idx[k] is the position of point k in incset_items(). without_point counts
 * the incidents that passed the filter but have no point (area-only records): a point analysis
 * leaves them out and says how many ("without_point" in its JSON, "left out N records without
 * a point" on the command line). */
typedef struct hz_points {
    size_t n;
    double *x, *y, *w; /* working CRS metres, weight under the filter's weight mode */
    uint32_t *idx;
    size_t without_point;
    size_t linked_duplicates; /* passing records left out as another record's event */
    const char *counted;      /* "events" or "records" (incset_counted()); static */
} hz_points;

/* Applies f (HZ_EINVAL when f->area names no area). One pass over the snapshot.
 * Counting events (the snapshot has an event map and f->count_records is 0), each event is one
 * point, at its first record in id order that passes f and has a point; the event's other
 * passing records are counted in linked_duplicates, and an event none of whose passing records
 * has a point counts once in without_point. Counting records, every passing record is a point
 * (or counted in without_point). */
hz_status incset_select(const incset *s, const hz_filter *f, hz_points *out, char *err,
                        size_t errlen);

/* The number of incidents with a position that pass f (what incset_select() would return),
 * memoised per canonical filter: the first call for a filter is one pass, later ones none.
 * HZ_EINVAL when f->area names no area; HZ_ENOMEM. */
hz_status incset_filter_count(const incset *s, const hz_filter *f, size_t *n, char *err,
                              size_t errlen);

/* Record linkage (linkage_db.h): event[k] (0 .. nevents - 1) is the event of item k. Takes
 * ownership of event (NULL: none; every record is its own event). Call it once, right after
 * incset_load() and before the snapshot is shared: loaders set it when the store has links. */
void incset_set_events(incset *s, uint32_t *event, size_t nevents);
/* The event map (borrowed) and its number of events; NULL and 0 when there is none. */
const uint32_t *incset_events(const incset *s, size_t *nevents);
/* What a selection under f counts: "events" when the snapshot has an event map and
 * f->count_records is 0, else "records" (the provenance member "counted"). Static string. */
const char *incset_counted(const incset *s, const hz_filter *f);

/* Full passes over the incidents: incset_note_scan() is called by every function that reads
 * all of them (incset_select, and loops over incset_items() elsewhere); incset_scans() reads
 * the total since incset_load(). */
void incset_note_scan(const incset *s);
uint64_t incset_scans(const incset *s);

/* Frees the arrays and zeroes *p; a zeroed hz_points is a no-op. */
void hz_points_free(hz_points *p);

#endif

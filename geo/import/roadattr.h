/* roadattr.h - private to geo/import/: a road feature's attributes for import_roads.c. Its OGR
 * fields (and, for OSM, the tags of GDAL's other_tags hstore text) become key/value pairs; the
 * importer takes the pairs it has a role for (name, class, one-way, ...) and keeps the rest as
 * extra JSON. The value rules are the one home of what a one-way, lanes, speed, volume or node
 * value may be, for every source format.
 *
 * Ownership: a roadattr_list is zeroed by its owner, filled by roadattr_read() (which first
 * empties it) and released by roadattr_free(); the strings it hands out are borrowed until the
 * next roadattr_read() or roadattr_free(). */
#ifndef HAZMAP_GEO_ROADATTR_H
#define HAZMAP_GEO_ROADATTR_H

#include <stddef.h>
#include <stdint.h>

#include <ogr_api.h>

typedef struct roadattr_pair {
    char *key, *val;
    int numeric; /* an OGR Integer/Real field: kept as a JSON number in extra */
    int used;    /* taken by a role: not in extra */
} roadattr_pair;

typedef struct roadattr_list {
    roadattr_pair *v;
    size_t n, cap;
} roadattr_list;

/* Reads feature f's set fields into l (as text; numeric fields marked). osm: the other_tags
 * field is split into its tags and GDAL's z_order is left out. -1 when out of memory. */
int roadattr_read(roadattr_list *l, OGRFeatureH f, OGRFeatureDefnH def, int osm);

/* Empties l (keeping its array). */
void roadattr_clear(roadattr_list *l);

void roadattr_free(roadattr_list *l);

/* The value of key given, or without it of the first of names (NULL-terminated) present, marked
 * used; NULL when absent or empty. */
const char *roadattr_take(roadattr_list *l, const char *given, const char *const *names);

/* The pairs no role took, as a compact JSON object with sorted keys (free()); NULL when none,
 * or when out of memory (*oom = 1). A pair whose text is not UTF-8 is left out. */
char *roadattr_extra(const roadattr_list *l, int *oom);

/* The value rules: 0 and *out set (NULL text: unknown, i.e. 0, -1 or NaN), -1 for a bad value.
 *   one-way: yes/true/1 -> 1, -1/reverse -> -1, no/false/0/reversible/alternating -> 0;
 *   lanes: an integer 1..99;
 *   speed: km/h in (0, 300], "N km/h", "N kmh", "N kph", or "N mph" (x 1.609344);
 *   volume: a number >= 0 (vehicles per day);
 *   node: an integer ("12.0" too); NULL text is bad. */
int roadattr_oneway(const char *s, int *out);
int roadattr_lanes(const char *s, int *out);
int roadattr_speed(const char *s, double *out);
int roadattr_volume(const char *s, double *out);
int roadattr_node(const char *s, int64_t *out);

#endif

/* roadattr.c - a road feature's attributes (roadattr.h): OGR fields and OSM tags as key/value
 * pairs, the roles taken from them, the rest as extra JSON, and the value rules of one-way,
 * lanes, speed, volume and node ids that every source format shares. */
#include "roadattr.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

void roadattr_free(roadattr_list *l)
{
    roadattr_clear(l);
    free(l->v);
    memset(l, 0, sizeof *l);
}

void roadattr_clear(roadattr_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].val);
    }
    l->n = 0;
}

static int add_pair(roadattr_list *l, const char *key, size_t klen, const char *val, size_t vlen,
                    int numeric)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        roadattr_pair *v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    char *k = strndup(key, klen), *s = strndup(val, vlen);
    if (!k || !s) {
        free(k);
        free(s);
        return -1;
    }
    roadattr_pair *p = &l->v[l->n++];
    p->key = k;
    p->val = s;
    p->numeric = numeric;
    p->used = 0;
    return 0;
}

/* The value of the first key of names present (marked used), or NULL. */
const char *roadattr_take(roadattr_list *l, const char *given, const char *const *names)
{
    const char *one[2] = {given, NULL};
    for (const char *const *nm = given ? one : names; *nm; nm++)
        for (size_t i = 0; i < l->n; i++)
            if (strcmp(l->v[i].key, *nm) == 0) {
                l->v[i].used = 1;
                return *l->v[i].val ? l->v[i].val : NULL;
            }
    return NULL;
}

/* One quoted string of an hstore text at *p ("..." with \" and \\ escapes) into a new buffer;
 * NULL when malformed or out of memory. */
static char *hstore_str(const char **p, size_t *len)
{
    const char *s = *p;
    if (*s != '"') return NULL;
    s++;
    size_t n = 0;
    char *out = malloc(strlen(s) + 1);
    if (!out) return NULL;
    while (*s && *s != '"') {
        if (*s == '\\' && s[1]) s++;
        out[n++] = *s++;
    }
    if (*s != '"') {
        free(out);
        return NULL;
    }
    out[n] = 0;
    *p = s + 1;
    *len = n;
    return out;
}

/* Adds the pairs of GDAL's other_tags ("k"=>"v","k2"=>"v2"); a malformed rest is ignored. */
static int add_hstore(roadattr_list *l, const char *s)
{
    while (*s) {
        size_t kl, vl;
        char *k = hstore_str(&s, &kl), *v = NULL;
        if (k && strncmp(s, "=>", 2) == 0) {
            s += 2;
            v = hstore_str(&s, &vl);
        }
        int rc = k && v ? add_pair(l, k, kl, v, vl, 0) : 1;
        free(k);
        free(v);
        if (rc != 0) return rc < 0 ? -1 : 0;
        if (*s == ',') s++;
        while (*s == ' ')
            s++;
    }
    return 0;
}

/* ---- value rules (one home for every source format) ---- */

int roadattr_oneway(const char *s, int *out)
{
    static const char *const fwd[] = {"yes", "true", "1", NULL};
    static const char *const rev[] = {"-1", "reverse", NULL};
    static const char *const both[] = {"no", "false", "0", "reversible", "alternating", NULL};
    *out = 0;
    if (!s) return 0;
    for (int i = 0; fwd[i]; i++)
        if (strcasecmp(s, fwd[i]) == 0) return *out = 1, 0;
    for (int i = 0; rev[i]; i++)
        if (strcasecmp(s, rev[i]) == 0) return *out = -1, 0;
    for (int i = 0; both[i]; i++)
        if (strcasecmp(s, both[i]) == 0) return 0;
    return -1;
}

/* A finite number and the rest of the text after it (spaces skipped). */
static int parse_number(const char *s, double *v, const char **rest)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || errno || !isfinite(*v)) return -1;
    while (*end == ' ')
        end++;
    *rest = end;
    return 0;
}

int roadattr_lanes(const char *s, int *out)
{
    double v;
    const char *rest;
    *out = -1;
    if (!s) return 0;
    if (parse_number(s, &v, &rest) || *rest || v != floor(v) || v < 1 || v > 99) return -1;
    *out = (int)v;
    return 0;
}

/* km/h; "N mph" converted (1 mile = 1.609344 km, exactly). */
int roadattr_speed(const char *s, double *out)
{
    double v;
    const char *rest;
    *out = NAN;
    if (!s) return 0;
    if (parse_number(s, &v, &rest) || !(v > 0 && v <= 300)) return -1;
    if (strcasecmp(rest, "mph") == 0)
        v *= 1.609344;
    else if (*rest && strcasecmp(rest, "km/h") != 0 && strcasecmp(rest, "kmh") != 0 &&
             strcasecmp(rest, "kph") != 0)
        return -1;
    *out = v;
    return 0;
}

int roadattr_volume(const char *s, double *out)
{
    double v;
    const char *rest;
    *out = NAN;
    if (!s) return 0;
    if (parse_number(s, &v, &rest) || *rest || v < 0) return -1;
    *out = v;
    return 0;
}

int roadattr_node(const char *s, int64_t *out)
{
    if (!s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno) return -1;
    /* integer fields of some formats come as "12.0" */
    if (*end == '.') {
        end++;
        while (*end == '0')
            end++;
    }
    if (*end) return -1;
    *out = v;
    return 0;
}

int roadattr_read(roadattr_list *l, OGRFeatureH f, OGRFeatureDefnH def, int osm)
{
    roadattr_clear(l);
    for (int i = 0; i < OGR_FD_GetFieldCount(def); i++) {
        if (!OGR_F_IsFieldSetAndNotNull(f, i)) continue;
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(def, i);
        const char *name = OGR_Fld_GetNameRef(fd), *val = OGR_F_GetFieldAsString(f, i);
        if (osm && strcmp(name, "z_order") == 0) continue; /* GDAL's rendering order */
        OGRFieldType t = OGR_Fld_GetType(fd);
        int num = t == OFTInteger || t == OFTInteger64 || t == OFTReal;
        int rc = osm && strcmp(name, "other_tags") == 0
                     ? add_hstore(l, val)
                     : add_pair(l, name, strlen(name), val, strlen(val), num);
        if (rc < 0) return -1;
    }
    return 0;
}

static json_t *json_value(const roadattr_pair *p)
{
    if (p->numeric) {
        char *end;
        double d = strtod(p->val, &end);
        if (!*end && isfinite(d))
            return d == floor(d) && fabs(d) < 9e15 ? json_integer((json_int_t)d) : json_real(d);
    }
    return json_string(p->val); /* NULL when not UTF-8: the pair is left out */
}

char *roadattr_extra(const roadattr_list *l, int *oom)
{
    json_t *o = json_object();
    *oom = !o;
    for (size_t i = 0; o && i < l->n; i++)
        if (!l->v[i].used) json_object_set_new(o, l->v[i].key, json_value(&l->v[i]));
    char *s = o && json_object_size(o)
                  ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))
                  : NULL;
    if (o && json_object_size(o) && !s) *oom = 1;
    json_decref(o);
    return s;
}

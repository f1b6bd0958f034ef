/* geojson.c - GeoJSON geometry objects of WKB geometries (read by wkb.c) and URL encoding for
 * links. */
#include "hazmap/geojson.h"
#include "hazmap/wkb.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static double round7(double v)
{
    return round(v * 1e7) / 1e7;
}

static json_t *position(const double *xy)
{
    return json_pack("[f,f]", round7(xy[0]), round7(xy[1]));
}

/* The positions of one point list: n points at xy. */
static json_t *positions(const double *xy, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, position(xy + 2 * (size_t)i))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The "coordinates" of part p of g, whose rings start at ring *r and point *pt (both advanced). */
static json_t *part_coords(const wkb_geom *g, uint32_t p, uint32_t *r, size_t *pt)
{
    uint32_t nr = g->part_rings[p];
    int polygon = g->type == WKB_POLYGON || g->type == WKB_MULTIPOLYGON;
    json_t *rings = polygon ? json_array() : NULL, *one = NULL;
    for (uint32_t i = 0; i < nr; i++, (*r)++) {
        uint32_t n = g->ring_points[*r];
        json_t *ring = g->type == WKB_POINT || g->type == WKB_MULTIPOINT
                           ? position(g->xy + 2 * *pt)
                           : positions(g->xy + 2 * *pt, n);
        *pt += n;
        if (polygon) {
            if (json_array_append_new(rings, ring)) { /* consumes ring, also on failure */
                json_decref(rings);
                return NULL;
            }
        } else {
            assert(nr == 1); /* a point or a line string is one point list */
            one = ring;
        }
    }
    return polygon ? rings : one;
}

json_t *geojson_from_wkb(const unsigned char *wkb, size_t len)
{
    static const char *const names[] = {NULL,         "Point",           "LineString",  "Polygon",
                                        "MultiPoint", "MultiLineString", "MultiPolygon"};
    wkb_geom *g = wkb_read(wkb, len);
    if (!g) return NULL;
    int multi = g->type >= WKB_MULTIPOINT;
    json_t *coords = multi ? json_array() : NULL;
    uint32_t r = 0;
    size_t pt = 0;
    for (uint32_t p = 0; p < g->nparts; p++) {
        json_t *c = part_coords(g, p, &r, &pt);
        if (!multi) {
            coords = c;
        } else if (json_array_append_new(coords, c)) { /* consumes c, also on failure */
            json_decref(coords);
            coords = NULL;
            break;
        }
    }
    json_t *geom =
        coords ? json_pack("{s:s, s:o}", "type", names[g->type], "coordinates", coords) : NULL;
    wkb_geom_free(g);
    return geom;
}

json_t *geojson_point(double lon, double lat)
{
    return json_pack("{s:s, s:[f,f]}", "type", "Point", "coordinates", round7(lon), round7(lat));
}

int geojson_urlencode(char *buf, size_t cap, size_t *off, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        size_t need = plain ? 1 : 3;
        if (*off + need >= cap) return -1;
        if (plain) {
            buf[(*off)++] = (char)*p;
        } else {
            buf[(*off)++] = '%';
            buf[(*off)++] = hex[*p >> 4];
            buf[(*off)++] = hex[*p & 15];
        }
    }
    buf[*off] = 0;
    return 0;
}

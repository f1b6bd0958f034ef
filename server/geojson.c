/* geojson.c - WKB to GeoJSON geometry conversion and URL encoding for links. */
#include "hazmap/geojson.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct wkbr {
    const unsigned char *p, *end;
    int depth;
} wkbr;

static int rd_u32(wkbr *r, int le, uint32_t *v)
{
    if (r->end - r->p < 4) return -1;
    const unsigned char *b = r->p;
    *v = le ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
            : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
    r->p += 4;
    return 0;
}

static int rd_f64(wkbr *r, int le, double *v)
{
    if (r->end - r->p < 8) return -1;
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = le ? r->p[i] : r->p[7 - i];
    memcpy(v, b, 8);
    r->p += 8;
    return 0;
}

static double round7(double v)
{
    return round(v * 1e7) / 1e7;
}

static json_t *position(wkbr *r, int le)
{
    double x, y;
    if (rd_f64(r, le, &x) || rd_f64(r, le, &y) || !isfinite(x) || !isfinite(y)) return NULL;
    return json_pack("[f,f]", round7(x), round7(y));
}

static json_t *positions(wkbr *r, int le)
{
    uint32_t n;
    if (rd_u32(r, le, &n) || (size_t)(r->end - r->p) / 16 < n) return NULL;
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < n; i++) {
        json_t *pt = position(r, le);
        if (!pt || json_array_append_new(a, pt)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *rings(wkbr *r, int le)
{
    uint32_t n;
    if (rd_u32(r, le, &n) || (size_t)(r->end - r->p) / 4 < n) return NULL;
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < n; i++) {
        json_t *ring = positions(r, le);
        if (!ring || json_array_append_new(a, ring)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Reads one geometry; *type receives its WKB type. Returns its "coordinates" value. */
static json_t *geometry_coords(wkbr *r, uint32_t *type)
{
    if (r->end - r->p < 5 || ++r->depth > 4) return NULL;
    int le = *r->p++ == 1;
    if (rd_u32(r, le, type)) return NULL;
    switch (*type) {
    case 1:
        return position(r, le);
    case 2:
        return positions(r, le);
    case 3:
        return rings(r, le);
    case 4:
    case 5:
    case 6: {
        uint32_t n;
        if (rd_u32(r, le, &n) || (size_t)(r->end - r->p) / 5 < n) return NULL;
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < n; i++) {
            uint32_t sub;
            json_t *c = geometry_coords(r, &sub);
            r->depth--;
            if (!c || sub != *type - 3 || json_array_append_new(a, c)) {
                json_decref(c);
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    default:
        return NULL;
    }
}

json_t *geojson_from_wkb(const unsigned char *wkb, size_t len)
{
    static const char *const names[] = {NULL,         "Point",           "LineString",  "Polygon",
                                        "MultiPoint", "MultiLineString", "MultiPolygon"};
    if (!wkb) return NULL;
    wkbr r = {wkb, wkb + len, 0};
    uint32_t type = 0;
    json_t *coords = geometry_coords(&r, &type);
    if (!coords || type < 1 || type > 6) {
        json_decref(coords);
        return NULL;
    }
    return json_pack("{s:s, s:o}", "type", names[type], "coordinates", coords);
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

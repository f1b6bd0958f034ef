/* tilemath.c - Web Mercator (EPSG:3857) XYZ tile arithmetic. */
#include "hazmap/tilemath.h"

#include <math.h>
#include <string.h>

int tilemath_valid(int z, long x, long y)
{
    if (z < 0 || z > TILEMATH_MAXZOOM) return 0;
    long n = 1L << z;
    return x >= 0 && x < n && y >= 0 && y < n;
}

/* One segment: 1..8 digits before suffix (NULL: none), at most max. */
static int parse_coord(const char *s, const char *suffix, long max, long *out)
{
    size_t n = strlen(s), sl = suffix ? strlen(suffix) : 0;
    if (n <= sl || n - sl > 8) return -1;
    if (suffix && strcmp(s + n - sl, suffix) != 0) return -1;
    long v = 0;
    for (size_t i = 0; i < n - sl; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

int tilemath_parse_zxy(const char *zs, const char *xs, const char *ys, const char *suffix, int *z,
                       long *x, long *y)
{
    long zz, xx, yy;
    if (parse_coord(zs, NULL, TILEMATH_MAXZOOM, &zz) ||
        parse_coord(xs, NULL, (1L << zz) - 1, &xx) ||
        parse_coord(ys, suffix, (1L << zz) - 1, &yy) || !tilemath_valid((int)zz, xx, yy))
        return -1;
    *z = (int)zz;
    *x = xx;
    *y = yy;
    return 0;
}

void tilemath_lonlat_to_merc(double lon, double lat, double *mx, double *my)
{
    if (lat > TILEMATH_MAXLAT) lat = TILEMATH_MAXLAT;
    if (lat < -TILEMATH_MAXLAT) lat = -TILEMATH_MAXLAT;
    *mx = TILEMATH_R * lon * M_PI / 180.0;
    *my = TILEMATH_R * log(tan(M_PI / 4.0 + lat * M_PI / 360.0));
}

void tilemath_merc_to_lonlat(double mx, double my, double *lon, double *lat)
{
    *lon = mx / TILEMATH_R * 180.0 / M_PI;
    *lat = (2.0 * atan(exp(my / TILEMATH_R)) - M_PI / 2.0) * 180.0 / M_PI;
}

double tilemath_tile_span(int z)
{
    return 2.0 * M_PI * TILEMATH_R / ldexp(1.0, z);
}

void tilemath_tile_bounds_merc(int z, int x, int y, double b[4])
{
    double span = tilemath_tile_span(z), o = M_PI * TILEMATH_R;
    b[0] = -o + x * span;
    b[2] = -o + (x + 1) * span;
    b[3] = o - y * span;
    b[1] = o - (y + 1) * span;
}

void tilemath_tile_bounds_lonlat(int z, int x, int y, double b[4])
{
    double m[4];
    tilemath_tile_bounds_merc(z, x, y, m);
    tilemath_merc_to_lonlat(m[0], m[1], &b[0], &b[1]);
    tilemath_merc_to_lonlat(m[2], m[3], &b[2], &b[3]);
}

void tilemath_lonlat_to_tile(double lon, double lat, int z, int *x, int *y)
{
    double mx, my, span = tilemath_tile_span(z), o = M_PI * TILEMATH_R;
    long n = 1L << z;
    tilemath_lonlat_to_merc(lon, lat, &mx, &my);
    double fx = floor((mx + o) / span), fy = floor((o - my) / span);
    if (fx < 0) fx = 0;
    if (fy < 0) fy = 0;
    if (fx > n - 1) fx = (double)(n - 1);
    if (fy > n - 1) fy = (double)(n - 1);
    *x = (int)fx;
    *y = (int)fy;
}

void tilemath_pixel_center(int z, int x, int y, double px, double py, double *mx, double *my)
{
    double b[4];
    tilemath_tile_bounds_merc(z, x, y, b);
    double res = tilemath_tile_span(z) / TILEMATH_SIZE;
    *mx = b[0] + (px + 0.5) * res;
    *my = b[3] - (py + 0.5) * res;
}

void tilemath_merc_to_pixel(int z, int x, int y, double mx, double my, double *px, double *py)
{
    double b[4];
    tilemath_tile_bounds_merc(z, x, y, b);
    double res = tilemath_tile_span(z) / TILEMATH_SIZE;
    *px = (mx - b[0]) / res - 0.5;
    *py = (b[3] - my) / res - 0.5;
}

double tilemath_ground_res(int z, double lat)
{
    return tilemath_tile_span(z) / TILEMATH_SIZE * cos(lat * M_PI / 180.0);
}

int tilemath_tms_y(int z, int y)
{
    return (int)((1L << z) - 1 - y);
}

void tilemath_tile_range(const double lonlat_bbox[4], int z, int *x0, int *y0, int *x1, int *y1)
{
    /* North-west corner gives the smallest x and y; south-east the largest. */
    tilemath_lonlat_to_tile(lonlat_bbox[0], lonlat_bbox[3], z, x0, y0);
    tilemath_lonlat_to_tile(lonlat_bbox[2], lonlat_bbox[1], z, x1, y1);
}

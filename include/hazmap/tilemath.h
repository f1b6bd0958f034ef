/* tilemath.h - Web Mercator (EPSG:3857) XYZ tile arithmetic: tiles, pixels, bounds, resolution.
 *
 * Conventions (the "Slippy map" / Google XYZ scheme, OSM wiki "Slippy map tilenames"):
 * 256-pixel tiles; at zoom z there are 2^z x 2^z tiles; x grows eastward from -180 deg, y grows
 * SOUTHWARD from the north edge (85.0511 deg). Spherical Mercator on the WGS84 semi-major axis
 * R = 6378137 m, so the world spans [-pi R, pi R] in both metre axes (EPSG:3857).
 * MBTiles stores rows in the TMS order (y from the south): tilemath_tms_y() flips.
 *
 * All functions are pure and thread-safe. Bounds arrays are {minx, miny, maxx, maxy} in
 * metres or {west, south, east, north} in degrees. */
#ifndef HAZMAP_TILEMATH_H
#define HAZMAP_TILEMATH_H

#define TILEMATH_SIZE 256                /* pixels per tile side */
#define TILEMATH_MAXZOOM 24              /* deepest zoom accepted */
#define TILEMATH_R 6378137.0             /* sphere radius of EPSG:3857, metres */
#define TILEMATH_MAXLAT 85.0511287798066 /* latitude where the square world ends */

/* 1 if z is in 0..TILEMATH_MAXZOOM and x, y in 0..2^z-1; else 0. */
int tilemath_valid(int z, long x, long y);

/* Parses the segments of a tile URL .../{z}/{x}/{y}SUFFIX (suffix such as ".png", or NULL): each
 * 1 to 8 decimal digits and nothing else (leading zeros allowed), z in 0..TILEMATH_MAXZOOM, x and y
 * in 0..2^z-1. Returns 0 with *z, *x, *y set, or -1. */
int tilemath_parse_zxy(const char *zs, const char *xs, const char *ys, const char *suffix, int *z,
                       long *x, long *y);

/* Geographic degrees <-> EPSG:3857 metres (latitude clamped to +-TILEMATH_MAXLAT). */
void tilemath_lonlat_to_merc(double lon, double lat, double *mx, double *my);
void tilemath_merc_to_lonlat(double mx, double my, double *lon, double *lat);

/* Size of one tile's side at zoom z, metres of EPSG:3857 (2 pi R / 2^z). */
double tilemath_tile_span(int z);

/* Bounds of tile z/x/y in EPSG:3857 metres and in degrees. */
void tilemath_tile_bounds_merc(int z, int x, int y, double b[4]);
void tilemath_tile_bounds_lonlat(int z, int x, int y, double b[4]);

/* The tile containing lon/lat at zoom z (clamped to the world). */
void tilemath_lonlat_to_tile(double lon, double lat, int z, int *x, int *y);

/* EPSG:3857 position of the centre of pixel (px, py) of tile z/x/y (px east, py south, 0..255;
 * values outside 0..255 extrapolate into the neighbours, which is consistent across tiles). */
void tilemath_pixel_center(int z, int x, int y, double px, double py, double *mx, double *my);

/* Fractional pixel position (px, py) within tile z/x/y of an EPSG:3857 point (inverse of
 * tilemath_pixel_center: the centre of pixel 0 is 0.0). */
void tilemath_merc_to_pixel(int z, int x, int y, double mx, double my, double *px, double *py);

/* Ground size of one pixel at zoom z and latitude lat, metres: (2 pi R cos lat) / (256 2^z). */
double tilemath_ground_res(int z, double lat);

/* The TMS row (y counted from the south) of XYZ row y at zoom z, and back (the same formula). */
int tilemath_tms_y(int z, int y);

/* The inclusive tile range covering a bbox in degrees at zoom z. */
void tilemath_tile_range(const double lonlat_bbox[4], int z, int *x0, int *y0, int *x1, int *y1);

#endif

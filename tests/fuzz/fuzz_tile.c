/* fuzz_tile.c - libFuzzer harness of the tile coordinates (tilemath.h): the path segments of
 * /tiles/density/{z}/{x}/{y}.png as the server parses them, and the tile arithmetic.
 *
 * The input is "Z/X/Y.png" (split at the first two '/'). Invariants:
 *   - tilemath_parse_zxy() accepts exactly what an independent reading accepts: three runs of 1..8
 *     decimal digits, the last followed by ".png" and nothing else, z <= TILEMATH_MAXZOOM and
 *     x, y < 2^z, with the same numbers;
 *   - for an accepted tile: tilemath_valid(); its bounds are ordered, inside the world and as
 *     wide as tilemath_tile_span(); the tile containing its centre is itself; the TMS row flips
 *     back; pixel centre and merc_to_pixel are inverse. */
#include "fuzzutil.h"
#include "hazmap/tilemath.h"

#include <math.h>
#include <string.h>

/* 1..8 digits then exactly suffix; the value in *v. */
static int ref_coord(const char *s, const char *suffix, long *v)
{
    size_t nd = strspn(s, "0123456789");
    if (nd < 1 || nd > 8 || strcmp(s + nd, suffix) != 0) return -1;
    *v = strtol(s, NULL, 10);
    return 0;
}

static void check_tile(int z, long x, long y)
{
    FUZZ_CHECK(tilemath_valid(z, x, y));
    double b[4], m[4];
    tilemath_tile_bounds_lonlat(z, (int)x, (int)y, b);
    tilemath_tile_bounds_merc(z, (int)x, (int)y, m);
    FUZZ_CHECK(b[0] < b[2] && b[1] < b[3] && b[0] >= -180 - 1e-9 && b[2] <= 180 + 1e-9);
    FUZZ_CHECK(b[1] >= -TILEMATH_MAXLAT - 1e-9 && b[3] <= TILEMATH_MAXLAT + 1e-9);
    double span = tilemath_tile_span(z);
    FUZZ_CHECK(fabs((m[2] - m[0]) - span) <= 1e-6 * span &&
               fabs((m[3] - m[1]) - span) <= 1e-6 * span);
    int tx, ty;
    double cx, cy, lon, lat;
    tilemath_pixel_center(z, (int)x, (int)y, 127.5, 127.5, &cx, &cy);
    tilemath_merc_to_lonlat(cx, cy, &lon, &lat);
    tilemath_lonlat_to_tile(lon, lat, z, &tx, &ty);
    FUZZ_CHECK(tx == x && ty == y);
    double px, py;
    tilemath_merc_to_pixel(z, (int)x, (int)y, cx, cy, &px, &py);
    FUZZ_CHECK(fabs(px - 127.5) < 1e-3 && fabs(py - 127.5) < 1e-3);
    FUZZ_CHECK(tilemath_tms_y(z, tilemath_tms_y(z, (int)y)) == y);
    FUZZ_CHECK(tilemath_ground_res(z, lat) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64) return 0;
    char s[65];
    memcpy(s, data, size);
    s[size] = 0;
    char *seg[3] = {s, NULL, NULL};
    for (int i = 1; i < 3; i++) {
        char *slash = strchr(seg[i - 1], '/');
        if (!slash) return 0;
        *slash = 0;
        seg[i] = slash + 1;
    }
    int z = -1;
    long x = -1, y = -1, rz, rx, ry;
    int got = tilemath_parse_zxy(seg[0], seg[1], seg[2], ".png", &z, &x, &y) == 0;
    int want = ref_coord(seg[0], "", &rz) == 0 && ref_coord(seg[1], "", &rx) == 0 &&
               ref_coord(seg[2], ".png", &ry) == 0 && rz <= TILEMATH_MAXZOOM && rx < (1L << rz) &&
               ry < (1L << rz);
    FUZZ_CHECK(got == want);
    if (!got) return 0;
    FUZZ_CHECK(z == rz && x == rx && y == ry);
    check_tile(z, x, y);
    return 0;
}

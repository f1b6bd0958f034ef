/* chinacrs.h - China's obfuscated coordinate systems: GCJ-02 ("Mars", used by Amap, Tencent and
 * DataV) and BD-09 (Baidu), to and from WGS84.
 *
 * GCJ-02 is WGS84 plus a published nonlinear offset (a few hundred metres in Chengdu); outside
 * mainland China the offset is not applied. BD-09 is a further rotation and shift of GCJ-02.
 * The forward formulas are exact; the inverses iterate until the round trip is within 1e-7
 * degrees (about 1 cm), far better than the 0.5 m required. All functions are pure and thread-safe.
 */
#ifndef HAZMAP_CHINACRS_H
#define HAZMAP_CHINACRS_H

#include <stddef.h>

typedef enum chinacrs_kind {
    CHINACRS_NONE = 0, /* not a Chinese obfuscated system */
    CHINACRS_GCJ02,
    CHINACRS_BD09
} chinacrs_kind;

/* Recognises "gcj02", "gcj-02", "GCJ02", "bd09", "bd-09", "BD09" (case-insensitive).
 * Returns the kind, or CHINACRS_NONE. */
chinacrs_kind chinacrs_parse(const char *srs);

/* 1 if lon/lat lies in the rough mainland-China box where the GCJ-02 offset applies. */
int chinacrs_in_china(double lon, double lat);

void chinacrs_wgs84_to_gcj02(double lon, double lat, double *olon, double *olat);
void chinacrs_gcj02_to_wgs84(double lon, double lat, double *olon, double *olat);
void chinacrs_gcj02_to_bd09(double lon, double lat, double *olon, double *olat);
void chinacrs_bd09_to_gcj02(double lon, double lat, double *olon, double *olat);

/* Converts n points of the given kind to WGS84 in place (CHINACRS_NONE leaves them). */
void chinacrs_to_wgs84(chinacrs_kind kind, size_t n, double *lon, double *lat);

#endif

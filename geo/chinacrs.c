/* chinacrs.c - GCJ-02 and BD-09 to and from WGS84 (the forward formulas and iterated inverses). */
#include "hazmap/chinacrs.h"

#include <math.h>
#include <strings.h>

/* GCJ-02 parameters: the Krasovsky 1940 ellipsoid (semi-major axis and first eccentricity squared)
 * used by the leaked "Mars" offset code that Amap, Tencent and every open reimplementation share
 * (e.g. eviltransform, coordtransform). */
#define GCJ_A 6378245.0
#define GCJ_EE 0.00669342162296594323
/* BD-09's rotation constant: pi * 3000 / 180, as in Baidu's published bd_encrypt/bd_decrypt. */
#define BD_X_PI (M_PI * 3000.0 / 180.0)

/* Inverse iteration: stop when the forward image is within this of the target (degrees; 1e-9 deg
 * is about 0.1 mm, so the contract's 1e-7 deg round trip holds with margin), or after MAX_ITER. */
#define INV_TOL 1e-9
#define INV_MAX_ITER 30

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

chinacrs_kind chinacrs_parse(const char *srs)
{
    if (srs == NULL) return CHINACRS_NONE;
    if (strcasecmp(srs, "gcj02") == 0 || strcasecmp(srs, "gcj-02") == 0) return CHINACRS_GCJ02;
    if (strcasecmp(srs, "bd09") == 0 || strcasecmp(srs, "bd-09") == 0) return CHINACRS_BD09;
    return CHINACRS_NONE;
}

int chinacrs_in_china(double lon, double lat)
{
    /* The bounding box used by the original offset code: outside it the offset is not applied. */
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

/* The published series for the latitude and longitude offsets in metres-like units, as functions
 * of x = lon - 105, y = lat - 35 (transformLat / transformLon of the GCJ-02 code). */
static double gcj_transform_lat(double x, double y)
{
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double gcj_transform_lon(double x, double y)
{
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
    return r;
}

void chinacrs_wgs84_to_gcj02(double lon, double lat, double *olon, double *olat)
{
    if (!chinacrs_in_china(lon, lat)) {
        *olon = lon;
        *olat = lat;
        return;
    }
    double dlat = gcj_transform_lat(lon - 105.0, lat - 35.0);
    double dlon = gcj_transform_lon(lon - 105.0, lat - 35.0);
    /* Scale to degrees with the Krasovsky meridian (M) and prime-vertical (N) radii of curvature.
     */
    double radlat = lat / 180.0 * M_PI;
    double s = sin(radlat);
    double magic = 1.0 - GCJ_EE * s * s;
    double sqrtmagic = sqrt(magic);
    dlat = (dlat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrtmagic) * M_PI);
    dlon = (dlon * 180.0) / (GCJ_A / sqrtmagic * cos(radlat) * M_PI);
    *olon = lon + dlon;
    *olat = lat + dlat;
}

void chinacrs_gcj02_to_wgs84(double lon, double lat, double *olon, double *olat)
{
    if (!chinacrs_in_china(lon, lat)) {
        *olon = lon;
        *olat = lat;
        return;
    }
    /* Fixed-point iteration w <- w - (F(w) - g). The offset changes by well under 1e-4 of a
     * degree per degree, so the map is a strong contraction and converges in a handful of steps. */
    double wlon = lon, wlat = lat;
    for (int i = 0; i < INV_MAX_ITER; i++) {
        double flon, flat;
        chinacrs_wgs84_to_gcj02(wlon, wlat, &flon, &flat);
        double elon = flon - lon, elat = flat - lat;
        wlon -= elon;
        wlat -= elat;
        if (fabs(elon) < INV_TOL && fabs(elat) < INV_TOL) break;
    }
    *olon = wlon;
    *olat = wlat;
}

void chinacrs_gcj02_to_bd09(double lon, double lat, double *olon, double *olat)
{
    /* Baidu's bd_encrypt: a small radius and angle perturbation, then a fixed shift. Applied
     * everywhere, as Baidu does (BD-09 has no "outside China" exemption). */
    double z = sqrt(lon * lon + lat * lat) + 0.00002 * sin(lat * BD_X_PI);
    double theta = atan2(lat, lon) + 0.000003 * cos(lon * BD_X_PI);
    *olon = z * cos(theta) + 0.0065;
    *olat = z * sin(theta) + 0.006;
}

void chinacrs_bd09_to_gcj02(double lon, double lat, double *olon, double *olat)
{
    /* Start from Baidu's approximate bd_decrypt, then refine by fixed-point iteration on the
     * exact forward formula (bd_decrypt alone is off by up to a few centimetres). */
    double x = lon - 0.0065, y = lat - 0.006;
    double z = sqrt(x * x + y * y) - 0.00002 * sin(y * BD_X_PI);
    double theta = atan2(y, x) - 0.000003 * cos(x * BD_X_PI);
    double glon = z * cos(theta), glat = z * sin(theta);
    for (int i = 0; i < INV_MAX_ITER; i++) {
        double blon, blat;
        chinacrs_gcj02_to_bd09(glon, glat, &blon, &blat);
        double elon = blon - lon, elat = blat - lat;
        glon -= elon;
        glat -= elat;
        if (fabs(elon) < INV_TOL && fabs(elat) < INV_TOL) break;
    }
    *olon = glon;
    *olat = glat;
}

void chinacrs_to_wgs84(chinacrs_kind kind, size_t n, double *lon, double *lat)
{
    if (kind == CHINACRS_NONE) return;
    for (size_t i = 0; i < n; i++) {
        double x = lon[i], y = lat[i];
        if (kind == CHINACRS_BD09) chinacrs_bd09_to_gcj02(x, y, &x, &y);
        chinacrs_gcj02_to_wgs84(x, y, &lon[i], &lat[i]);
    }
}

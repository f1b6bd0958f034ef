/* blackspots.h - black spots: DBSCAN clusters of the filtered incidents, described and ranked.
 *
 * Each cluster (dbscan.h, in the working CRS) gets: its incident count by severity; its score
 * (the sum of the filter's severity weights, filter_weight() in score mode, whatever the filter's
 * own weight mode); its centroid (mean of the member points in the working CRS, transformed back
 * to lon/lat); its convex hull (Andrew's monotone chain, 1979); its radius (the largest distance
 * of a member from the centroid, metres); histograms of the hour of day and weekday (Monday
 * first) in Asia/Shanghai local time (UTC+8, no DST since 1991); counts by mechanism; and a trend,
 * the count per local calendar year over the years spanned by the filtered incidents.
 * Clusters are ranked by score (default) or count, ties broken by the other key and then by the
 * position of the cluster's first incident, so the same input gives the same output.
 *
 * Ownership: blackspots_compute() returns a result freed with blackspots_free() (NULL is a
 * no-op). The result owns all its arrays and does not refer to the snapshot. */
#ifndef HAZMAP_BLACKSPOTS_H
#define HAZMAP_BLACKSPOTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/disclosure.h"
#include "hazmap/filter.h"
#include "hazmap/incset.h"
#include "hazmap/status.h"

typedef enum blackspots_rank { BLACKSPOTS_BY_SCORE = 0, BLACKSPOTS_BY_COUNT = 1 } blackspots_rank;

typedef struct blackspots_params {
    double eps;     /* metres; default 50 */
    int min_points; /* the point itself included (R dbscan's minPts); 0 = auto (the default):
                       blackspots_auto_min_points() */
    blackspots_rank rank;
    int nthreads;    /* for DBSCAN (dbscan_run_threads); <= 0: one per core */
    double max_work; /* > 0: a dbscan_work() estimate above it is HZ_ELIMIT, before DBSCAN runs
                      * (the server's budget); 0 = none (the default) */
} blackspots_params;

/* eps 50, min_points 0 (auto), ranked by score, one thread per core. */
void blackspots_params_init(blackspots_params *p);

typedef struct blackspot {
    int rank; /* 1 = worst */
    int64_t count;
    int64_t severity[HZ_SEV_COUNT]; /* indexed by hz_severity (0 = unknown) */
    double score;
    double cx, cy;   /* centroid, working CRS metres */
    double lon, lat; /* centroid, WGS84 */
    double radius_m;
    size_t hull_n; /* hull vertices, counter-clockwise, not closed; 1 or 2 when
                      the members are coincident or collinear */
    double *hull_lon, *hull_lat;
    int64_t hours[24];
    int64_t weekdays[7]; /* Monday first */
    int64_t mechanisms[HZ_MECH_COUNT];
    int64_t *trend; /* nyears counts, year0 first (see blackspots_result) */
    size_t first;   /* position of the first member in the filtered points */
} blackspot;

typedef struct blackspots_result {
    size_t n;
    blackspot *spots;  /* ranked */
    int year0, nyears; /* trend years; nyears 0 when no incident has a time */
    blackspots_params params;
    int64_t incidents;            /* filtered incidents clustered */
    int64_t noise;                /* of which in no cluster */
    int64_t without_point;        /* filtered but left out: no point (incset.h) */
    int64_t linked_duplicates;    /* left out as another record's event (incset.h) */
    const char *counted;          /* "events" or "records" (incset_counted()); static */
    double weights[HZ_SEV_COUNT]; /* severity weights of the score */
    char filters[1024];
    char params_rule[256]; /* how eps and min_points were chosen */
    char work_srs[256];
    int64_t data_version;
} blackspots_result;

/* Runs the analysis on the incidents of s passing f. HZ_EINVAL for bad parameters or an unknown
 * area; HZ_ECRS if the working CRS cannot be inverted; HZ_ENOMEM. */
hz_status blackspots_compute(const incset *s, const hz_filter *f, const blackspots_params *p,
                             blackspots_result **out, char *err, size_t errlen);

void blackspots_free(blackspots_result *r);

/* The automatic min_points for n points at radius eps: a core point must have at least K = 3
 * times the neighbours it would have if the points were spread evenly over the occupied part of
 * the study area, estimated as the number of eps x eps cells holding at least one point:
 *   min_points = max(5, ceil(K * pi * n / occupied_cells)),
 * which is at least ceil(3 pi) = 10 whenever there is a point (each occupied cell holds one);
 * 5 is returned for no points.
 * With a fixed min_points, three years of a whole district's incidents are dense enough
 * everywhere for DBSCAN to chain the old town into one cluster; this keeps "black spot" meaning
 * "far denser than the background" whatever the period and filter. */
int blackspots_auto_min_points(size_t n, const double *x, const double *y, double eps);

/* GeoJSON FeatureCollection of API.md (blackspots items: Point centroid, properties rank, count,
 * severity, score, radius_m, hull, hours, weekdays, mechanisms, trend, plus main_hours,
 * main_weekdays, main_mechanisms, and flat typed columns for formats without nested values:
 * fatal, serious, minor, none, unknown, top_hour, top_day, top_mechs (text) and slope_yr, the
 * least-squares slope of the yearly counts in incidents per year) with
 * "provenance". A cluster hidden by pol (disclosure.h; NULL =
 * none) keeps only its rank and "suppressed": true (geometry null): its location and details would
 * describe a handful of people. New reference in *out. */
hz_status blackspots_geojson(const blackspots_result *r, const disc_policy *pol, json_t **out,
                             char *err, size_t errlen);

#endif

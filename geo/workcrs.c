/* workcrs.c - the projected working CRS, through PROJ. */
#include "hazmap/workcrs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <proj.h>

struct workcrs {
    PJ_CONTEXT *ctx;
    PJ *pj; /* EPSG:4326 -> target, normalised to lon/lat, x/y axis order */
    char srs[256];
    char *wkt;
};

int workcrs_utm_epsg(double lon, double lat)
{
    int zone = (int)floor((lon + 180.0) / 6.0) + 1;
    if (zone < 1) zone = 1;
    if (zone > 60) zone = 60;
    return (lat >= 0 ? 32600 : 32700) + zone;
}

const char *workcrs_proj_version(void)
{
    return proj_info().version;
}

workcrs *workcrs_new(const char *srs, double lon0, double lat0, char *err, size_t errlen)
{
    workcrs *w = calloc(1, sizeof *w);
    if (!w) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    if (!srs || strcmp(srs, "auto") == 0)
        snprintf(w->srs, sizeof w->srs, "EPSG:%d", workcrs_utm_epsg(lon0, lat0));
    else
        snprintf(w->srs, sizeof w->srs, "%s", srs);
    w->ctx = proj_context_create();
    proj_log_level(w->ctx, PJ_LOG_NONE);
    PJ *target = w->ctx ? proj_create(w->ctx, w->srs) : NULL;
    if (!target) {
        hz_fail(HZ_ECRS, err, errlen, "work-srs '%s': unknown coordinate system", w->srs);
        workcrs_free(w);
        return NULL;
    }
    PJ_TYPE t = proj_get_type(target);
    if (t != PJ_TYPE_PROJECTED_CRS) {
        proj_destroy(target);
        hz_fail(HZ_ECRS, err, errlen,
                "work-srs '%s': not a projected coordinate system (distances need metres)", w->srs);
        workcrs_free(w);
        return NULL;
    }
    const char *wkt = proj_as_wkt(w->ctx, target, PJ_WKT1_GDAL, NULL);
    w->wkt = wkt ? strdup(wkt) : NULL;
    proj_destroy(target);
    PJ *raw = proj_create_crs_to_crs(w->ctx, "EPSG:4326", w->srs, NULL);
    w->pj = raw ? proj_normalize_for_visualization(w->ctx, raw) : NULL;
    proj_destroy(raw);
    if (!w->pj || !w->wkt) {
        hz_fail(HZ_ECRS, err, errlen, "work-srs '%s': no transformation from EPSG:4326", w->srs);
        workcrs_free(w);
        return NULL;
    }
    return w;
}

void workcrs_free(workcrs *w)
{
    if (!w) return;
    proj_destroy(w->pj);
    free(w->wkt);
    if (w->ctx) proj_context_destroy(w->ctx);
    free(w);
}

const char *workcrs_srs(const workcrs *w)
{
    return w->srs;
}

const char *workcrs_wkt(const workcrs *w)
{
    return w->wkt;
}

static hz_status run(workcrs *w, PJ_DIRECTION dir, size_t n, const double *a, const double *b,
                     double *oa, double *ob)
{
    if (oa != a) memcpy(oa, a, n * sizeof *a);
    if (ob != b) memcpy(ob, b, n * sizeof *b);
    proj_errno_reset(w->pj);
    size_t done = proj_trans_generic(w->pj, dir, oa, sizeof *oa, n, ob, sizeof *ob, n, NULL, 0, 0,
                                     NULL, 0, 0);
    if (done != n && n > 0) return HZ_ECRS;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(oa[i]) || !isfinite(ob[i]) || oa[i] == HUGE_VAL) oa[i] = ob[i] = NAN;
    }
    return HZ_OK;
}

hz_status workcrs_forward(workcrs *w, size_t n, const double *lon, const double *lat, double *x,
                          double *y)
{
    return run(w, PJ_FWD, n, lon, lat, x, y);
}

hz_status workcrs_inverse(workcrs *w, size_t n, const double *x, const double *y, double *lon,
                          double *lat)
{
    return run(w, PJ_INV, n, x, y, lon, lat);
}

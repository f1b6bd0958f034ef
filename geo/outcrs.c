/* outcrs.c - the CRSs features are served in, through PROJ (outcrs.h). */
#include "hazmap/outcrs.h"

#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct outcrs {
    PJ_CONTEXT *ctx;
    PJ *pj; /* CRS84 -> EPSG:epsg, authority axis order */
    int epsg;
};

#define EPSG_URI "http://www.opengis.net/def/crs/EPSG/0/"

int outcrs_list(int work_epsg, int codes[5])
{
    int n = 0;
    codes[n++] = 0;
    codes[n++] = 4326;
    codes[n++] = 4490;
    codes[n++] = 3857;
    if (work_epsg > 0) codes[n++] = work_epsg;
    return n;
}

int outcrs_parse(const char *uri, int work_epsg, int *epsg)
{
    if (strcmp(uri, OUTCRS_CRS84_URI) == 0) {
        *epsg = 0;
        return 0;
    }
    if (strncmp(uri, EPSG_URI, strlen(EPSG_URI)) != 0) return -1;
    const char *d = uri + strlen(EPSG_URI);
    char *end;
    long v = strtol(d, &end, 10);
    if (end == d || *end || v <= 0) return -1;
    int codes[5], n = outcrs_list(work_epsg, codes);
    for (int i = 1; i < n; i++)
        if (codes[i] == v) {
            *epsg = (int)v;
            return 0;
        }
    return -1;
}

void outcrs_uri(int epsg, char *buf, size_t n)
{
    if (epsg == 0)
        snprintf(buf, n, "%s", OUTCRS_CRS84_URI);
    else
        snprintf(buf, n, EPSG_URI "%d", epsg);
}

int outcrs_lat_first(int epsg)
{
    return epsg == 4326 || epsg == 4490;
}

outcrs *outcrs_new(int epsg, char *err, size_t errlen)
{
    outcrs *t = calloc(1, sizeof *t);
    if (!t) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    t->epsg = epsg;
    t->ctx = proj_context_create();
    char target[32];
    snprintf(target, sizeof target, epsg ? "EPSG:%d" : "OGC:CRS84", epsg);
    if (t->ctx) proj_log_level(t->ctx, PJ_LOG_NONE);
    /* not normalised for visualisation: EPSG:4326 and EPSG:4490 come out latitude first */
    t->pj = t->ctx ? proj_create_crs_to_crs(t->ctx, "OGC:CRS84", target, NULL) : NULL;
    if (!t->pj) {
        hz_fail(HZ_ECRS, err, errlen, "PROJ cannot transform CRS84 to %s", target);
        outcrs_free(t);
        return NULL;
    }
    return t;
}

void outcrs_free(outcrs *t)
{
    if (!t) return;
    if (t->pj) proj_destroy(t->pj);
    if (t->ctx) proj_context_destroy(t->ctx);
    free(t);
}

static hz_status trans(outcrs *t, PJ_DIRECTION dir, size_t n, double *a, double *b)
{
    if (t->epsg == 0 || n == 0) return HZ_OK;
    size_t done =
        proj_trans_generic(t->pj, dir, a, sizeof *a, n, b, sizeof *b, n, NULL, 0, 0, NULL, 0, 0);
    if (done != n) return HZ_ECRS;
    for (size_t i = 0; i < n; i++)
        if (a[i] == HUGE_VAL || b[i] == HUGE_VAL) return HZ_ECRS;
    return HZ_OK;
}

hz_status outcrs_forward(outcrs *t, size_t n, double *a, double *b)
{
    return trans(t, PJ_FWD, n, a, b);
}

hz_status outcrs_inverse(outcrs *t, size_t n, double *a, double *b)
{
    return trans(t, PJ_INV, n, a, b);
}

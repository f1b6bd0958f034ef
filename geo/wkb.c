/* wkb.c - walking the rings of (MULTI)POLYGON well-known binary. */
#include "hazmap/wkb.h"

#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const unsigned char *p, *end;
    int swap; /* the WKB's byte order differs from the machine's */
} reader;

static int rd_u32(reader *r, uint32_t *v)
{
    if (r->end - r->p < 4) return -1;
    uint32_t x;
    memcpy(&x, r->p, 4);
    *v = r->swap ? __builtin_bswap32(x) : x;
    r->p += 4;
    return 0;
}

/* Byte order and geometry type of the next (sub-)geometry. */
static int rd_header(reader *r, uint32_t *type)
{
    if (r->p >= r->end || *r->p > 1) return -1;
    r->swap = (*r->p++ == 1) != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    return rd_u32(r, type);
}

static int polygon(reader *r, uint32_t index, double **buf, size_t *cap, wkb_ring_cb cb, void *ud)
{
    uint32_t nrings;
    if (rd_u32(r, &nrings)) return -1;
    for (uint32_t i = 0; i < nrings; i++) {
        uint32_t npts;
        if (rd_u32(r, &npts) || (size_t)(r->end - r->p) / 16 < npts) return -1;
        if ((size_t)npts * 2 > *cap) {
            size_t ncap = (size_t)npts * 2;
            double *nb = realloc(*buf, ncap * sizeof *nb);
            if (!nb) return -1;
            *buf = nb;
            *cap = ncap;
        }
        for (size_t k = 0; k < (size_t)npts * 2; k++) {
            uint64_t x;
            memcpy(&x, r->p, 8);
            if (r->swap) x = __builtin_bswap64(x);
            memcpy(*buf + k, &x, 8);
            r->p += 8;
        }
        int rc = cb(ud, index, i, npts, *buf);
        if (rc) return rc;
    }
    return 0;
}

int wkb_polygon_rings(const unsigned char *wkb, size_t len, wkb_ring_cb cb, void *ud)
{
    reader r = {wkb, wkb + len, 0};
    double *buf = NULL;
    size_t cap = 0;
    uint32_t type, n;
    int rc = -1;
    if (rd_header(&r, &type)) return -1;
    if (type == 3) {
        rc = polygon(&r, 0, &buf, &cap, cb, ud);
    } else if (type == 6 && rd_u32(&r, &n) == 0) {
        rc = 0;
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            uint32_t t;
            rc = rd_header(&r, &t) || t != 3 ? -1 : polygon(&r, i, &buf, &cap, cb, ud);
        }
    }
    free(buf);
    return rc;
}

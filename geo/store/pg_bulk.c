/* pg_bulk.c - the PostGIS store's bulk incident load (store_bulk.h on PostGIS). */
#include "store_pg.h"

#include <stdlib.h>

struct pg_bulk {
    pgstore *pg;
};

pg_bulk *pg_bulk_begin(pgstore *pg, char *err, size_t errlen)
{
    pg_bulk *b = calloc(1, sizeof *b);
    if (!b) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    b->pg = pg;
    return b;
}

hz_status pg_bulk_put_many(pg_bulk *b, const hz_incident_rec *const *recs, size_t n,
                           int64_t batch_id, store_put_outcome *outcomes, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        hz_status s = pg_incident_put(b->pg, recs[i], batch_id, &outcomes[i], err, errlen);
        if (s != HZ_OK) return s;
    }
    return HZ_OK;
}

hz_status pg_bulk_finish(pg_bulk *b, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    pg_bulk_free(b);
    return HZ_OK;
}

void pg_bulk_free(pg_bulk *b)
{
    free(b);
}

/* hotspack.c - a hot-spot result packed for paging from the cells' text (hotspack.h).
 *
 * One pass over the cells, each Feature written by hotspots_writer_feature() straight into the
 * packer. Writing on both cores was measured: 40 ms less of a 500 ms first page, not worth a
 * second buffer and the copy between them. */
#include "hazmap/hotspack.h"
#include "hazmap/cancel.h"
#include "hazmap/paging.h"

#include <stdlib.h>

/* Writes every cell of w into pk; HZ_OK, HZ_ENOMEM or the request's cancellation. */
static hz_status write_cells(const hotspots_writer *w, size_t n, paging_packer *pk, char *err,
                             size_t errlen)
{
    hz_status s = HZ_OK;
    for (size_t i = 0; i < n; i++) {
        /* writing 100,000 cells takes a while too: under the deadline */
        if (i % 4096 == 0 && (s = hz_cancel_status(err, errlen)) != HZ_OK) return s;
        double bb[4];
        hotspots_writer_feature(w, i, (long long)i + 1, paging_packer_text(pk), bb);
        if (paging_packer_end(pk, bb)) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    return s;
}

hz_status hotspack_pack(const hotspots_result *r, const disc_policy *pol, unsigned char **blob,
                        size_t *len, char *err, size_t errlen)
{
    hotspots_writer *w;
    hz_status s = hotspots_writer_new(r, pol, &w, err, errlen);
    if (s != HZ_OK) return s;
    size_t n;
    hotspots_cells(r, &n);
    paging_packer *pk = paging_packer_new(n);
    json_t *prov = pk ? hotspots_provenance(r) : NULL;
    if (!prov)
        s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    else
        s = write_cells(w, n, pk, err, errlen);
    hotspots_writer_free(w);
    if (s == HZ_OK) {
        if (paging_packer_finish(pk, prov, blob, len)) /* frees pk either way */
            s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    } else {
        paging_packer_free(pk);
    }
    json_decref(prov);
    return s;
}

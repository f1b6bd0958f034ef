/* hotspack.h - a hot-spot result packed for paging (paging.h) straight from the cells' text.
 *
 * The server's planners' view of the sample is 83,659 cells: as a FeatureCollection tree it took
 * four times as long as the analysis (issue 15). hotspack writes each cell's Feature with the
 * one writer (hotspots_writer_feature()) and packs the texts as paging_pack()
 * packs a tree's features: ids are the 1-based positions, the provenance is the result's. */
#ifndef HAZMAP_HOTSPACK_H
#define HAZMAP_HOTSPACK_H

#include <stddef.h>

#include "hazmap/disclosure.h"
#include "hazmap/hotspots.h"
#include "hazmap/status.h"

/* Packs r's cells under pol (NULL: none) into *blob (malloc'd) and *len. HZ_ENOMEM, or the
 * request's cancellation (cancel.h: HZ_ELIMIT), with err set. */
hz_status hotspack_pack(const hotspots_result *r, const disc_policy *pol, unsigned char **blob,
                        size_t *len, char *err, size_t errlen);

#endif

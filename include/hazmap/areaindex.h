/* areaindex.h - point-in-polygon lookup of the most specific area containing a point.
 *
 * Built once from the store's areas (store_areas_scan); read-only afterwards, so any number of
 * threads may call areaindex_locate() on the same index concurrently without locking.
 *
 * Method: a uniform grid over the areas' bounding box; each cell lists the polygons whose bbox
 * touches it, and a cell lying entirely inside one polygon of a given level is answered without a
 * test. The remaining candidates are tested with the even-odd ray crossing rule (W. R. Franklin,
 * "PNPOLY - Point Inclusion in Polygon Test", 1970/2006) over all rings, holes included.
 * "Most specific" = community beats subdistrict beats district; among equals the first in code
 * order wins. Points exactly on a shared boundary go to one of the two neighbours. */
#ifndef HAZMAP_AREAINDEX_H
#define HAZMAP_AREAINDEX_H

#include <stddef.h>

#include "hazmap/store.h"

typedef struct areaindex areaindex;

/* Builds an index of every area in st. Returns NULL on failure with the reason in err. An empty
 * store gives a valid index that locates nothing. The caller frees it with areaindex_free(). */
areaindex *areaindex_new(store *st, char *err, size_t errlen);

/* The code of the most specific area containing (lon, lat) in WGS84 degrees, or NULL when the
 * point lies outside every area (or is not finite). The string is borrowed from the index and
 * valid until areaindex_free(). Thread-safe. */
const char *areaindex_locate(const areaindex *ai, double lon, double lat);

/* Resolves an area named in a record (issue 11: records with an area but no point): text is an
 * area's code (exactly), its name (exactly), or a short form of its name: the name without its
 * level suffix (街道办事处, 街道, 社区, 镇, 乡), so 春熙路 finds 春熙路街道, and 春熙路街道 finds
 * an area stored as 春熙路. Tried in that order; the first that matches anything decides. Spaces
 * and tabs around text are ignored. Returns the number of areas matched (0 none, 1 found: *code
 * set, borrowed from the index; 2 or more ambiguous: *code NULL). When list is not NULL it
 * receives, for an ambiguous name, up to four of the matches as "code (name), ..." for the
 * reason. Thread-safe. */
int areaindex_resolve(const areaindex *ai, const char *text, const char **code, char *list,
                      size_t listlen);

/* 1 when the area code lies within the area anc (is it, or its parent chain reaches it). */
int areaindex_within(const areaindex *ai, const char *code, const char *anc);

/* The number of areas indexed. */
size_t areaindex_count(const areaindex *ai);

/* Frees the index; NULL is a no-op. */
void areaindex_free(areaindex *ai);

#endif

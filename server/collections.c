/* collections.c - the table of collections and the /collections routes (collections.h). */
#include "hazmap/collections.h"
#include "hazmap/apiroutes.h"
#include "hazmap/hztime.h"
#include "hazmap/oapif.h"
#include "hazmap/roadroutes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

/* Who reads a collection. */
enum {
    COLL_EVERYONE = 0,  /* every audience (the public's answers come from the release) */
    COLL_INCIDENTS = 1, /* individual incidents: tokens_reads_incidents() decides who */
    COLL_LIVE = 2       /* computed live from the incidents: planners and editors; public 401 */
};

typedef struct coll_def {
    const char *id, *title, *description;
    int audience; /* COLL_* */
    void (*items)(hctx *c, const hreq *rq, hresp *rs);
    void (*item)(hctx *c, const char *fid, const hreq *rq, hresp *rs);
    /* the collection's own spatial extent, for features that are not incidents and have no time
     * (then the temporal extent is null); NULL: the data's (extent_of(), app_time_span()) */
    int (*extent)(const hctx *c, double bb[4]);
} coll_def;

static const coll_def collections[] = {
    {"areas", "Areas",
     "Sub-district boundaries with population, incident counts and rates per "
     "100,000 per year (exact Poisson 95 % limits) under the filters",
     0, oapif_areas_items, oapif_area_item, NULL},
    {"incidents", "Incidents", "Geocoded injury incidents (planners only)", COLL_INCIDENTS,
     oapif_incidents_items, oapif_incident_item, NULL},
    {"hotspots", "Hot spots", "Getis-Ord Gi* hot and cold spot cells under the filters", 0,
     apiroutes_hotspots_items, apiroutes_hotspots_item, NULL},
    {"blackspots", "Black spots", "DBSCAN black-spot clusters, ranked", 0,
     apiroutes_blackspots_items, apiroutes_blackspots_item, NULL},
    {"emerging", "Emerging hot spots",
     "Cells classed new, consecutive, intensifying, persistent, diminishing, sporadic, "
     "oscillating or historical hot (or cold) spots over time steps (EMERGING.md); an item "
     "carries its series",
     0, apiroutes_emerging_items, apiroutes_emerging_item, NULL},
    {"roads", "Roads",
     "Road segments (OpenStreetMap data, © OpenStreetMap contributors, ODbL) with name, class, "
     "one-way, lanes and length; the same for every audience",
     0, roadroutes_items, roadroutes_item, roadroutes_extent},
    {"road_sites", "Road sites, screened",
     "Junctions and road sections ranked by the Empirical Bayes excess expected crashes (or EPDO "
     "score, or count) with the rule screen for crash-prone spots and stretches, under the "
     "filters (traffic by default); planners and editors only",
     COLL_LIVE, roadroutes_sites_items, roadroutes_sites_item, NULL},
};
enum { NCOLLECTIONS = sizeof collections / sizeof *collections };

/* The collection named id that c's audience may read, or NULL with rs filled (404; for the
 * incidents 401 without a token, 403 for an editor's). */
static const coll_def *collection_or_fail(hctx *c, const char *id, hresp *rs)
{
    for (int i = 0; i < NCOLLECTIONS; i++) {
        const coll_def *d = &collections[i];
        if (strcmp(d->id, id) != 0) continue;
        if (d->audience == COLL_INCIDENTS && oapif_incidents_refused(c, rs)) return NULL;
        return d;
    }
    hresp_error(rs, 404, "NotFound", "no collection '%.64s'", id);
    return NULL;
}

static json_t *time_or_null(int64_t t)
{
    if (t == INT64_MIN || t == INT64_MAX) return json_null();
    char buf[32];
    hztime_format_iso(t, 0, buf);
    return json_string(buf);
}

static json_t *collection_json(hctx *c, const coll_def *d, const double bb0[4], int64_t tmin,
                               int64_t tmax)
{
    double own[4];
    const double *bb = bb0;
    if (d->extent) {
        if (d->extent(c, own)) bb = own;
        tmin = INT64_MIN;
        tmax = INT64_MAX;
    }
    char path[128];
    json_t *links = json_array();
    snprintf(path, sizeof path, "/collections/%s", d->id);
    json_array_append_new(links, oapif_link(c->base, path, "self", "application/json", d->title));
    snprintf(path, sizeof path, "/collections/%s/items", d->id);
    json_array_append_new(links,
                          oapif_link(c->base, path, "items", "application/geo+json", d->title));
    return json_pack("{s:s, s:s, s:s, s:o, s:{s:{s:[[f,f,f,f]], s:s}, s:{s:[[o,o]], s:s}},"
                     " s:s, s:[s]}",
                     "id", d->id, "title", d->title, "description", d->description, "links", links,
                     "extent", "spatial", "bbox", bb[0], bb[1], bb[2], bb[3], "crs", CRS84,
                     "temporal", "interval", time_or_null(tmin), time_or_null(tmax), "trs",
                     "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian", "itemType", "feature",
                     "crs", CRS84);
}

/* The spatial extent the audience may see: planners get the incidents' box; the public and
 * editors the areas' (the incidents' box would give the outermost incidents' coordinates). */
static void extent_of(const hctx *c, double bb[4])
{
    if (tokens_reads_incidents(c->role)) {
        incset_extent(c->snap, bb);
        return;
    }
    const hz_area *a = incset_areas(c->snap);
    size_t n = incset_area_count(c->snap);
    bb[0] = n ? a[0].minlon : -180;
    bb[1] = n ? a[0].minlat : -90;
    bb[2] = n ? a[0].maxlon : 180;
    bb[3] = n ? a[0].maxlat : 90;
    for (size_t i = 1; i < n; i++) {
        bb[0] = fmin(bb[0], a[i].minlon);
        bb[1] = fmin(bb[1], a[i].minlat);
        bb[2] = fmax(bb[2], a[i].maxlon);
        bb[3] = fmax(bb[3], a[i].maxlat);
    }
}

void collections_list(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    double bb[4];
    int64_t tmin, tmax;
    extent_of(c, bb);
    app_time_span(c, &tmin, &tmax);
    json_t *arr = json_array();
    for (int i = 0; i < NCOLLECTIONS; i++) {
        int who = collections[i].audience;
        if (who == COLL_INCIDENTS && !tokens_reads_incidents(c->role)) continue;
        if (who == COLL_LIVE && c->role == HZ_ROLE_PUBLIC) continue;
        json_array_append_new(arr, collection_json(c, &collections[i], bb, tmin, tmax));
    }
    json_t *links = json_array();
    json_array_append_new(
        links, oapif_link(c->base, "/collections", "self", "application/json", "The collections"));
    json_t *j = json_pack("{s:o, s:o}", "links", links, "collections", arr);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

void collections_one(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    const coll_def *d = collection_or_fail(c, c->seg[0], rs);
    if (!d) return;
    double bb[4];
    int64_t tmin, tmax;
    extent_of(c, bb);
    app_time_span(c, &tmin, &tmax);
    json_t *j = collection_json(c, d, bb, tmin, tmax);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

void collections_items(hctx *c, const hreq *rq, hresp *rs)
{
    const coll_def *d = collection_or_fail(c, c->seg[0], rs);
    if (d) d->items(c, rq, rs);
}

void collections_item(hctx *c, const hreq *rq, hresp *rs)
{
    const coll_def *d = collection_or_fail(c, c->seg[0], rs);
    if (d) d->item(c, c->seg[1], rq, rs);
}

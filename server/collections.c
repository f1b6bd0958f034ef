/* collections.c - the table of collections and the /collections routes (collections.h). */
#include "hazmap/collections.h"
#include "hazmap/apiroutes.h"
#include "hazmap/hotspots.h"
#include "hazmap/htmlpage.h"
#include "hazmap/hztime.h"
#include "hazmap/oapif.h"
#include "hazmap/outcrs.h"
#include "hazmap/paging.h"
#include "hazmap/projroutes.h"
#include "hazmap/release.h"
#include "hazmap/roadroutes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

/* How far a collection's features may lie past the data's box (extent_of()), so that its
 * extent contains every feature (issue 15): cells are centred in the study area, so their
 * corners reach past it (the largest automatic cell's for planners, hotspots_auto_reach(); a
 * released square's diagonal for the public, whose black spots are squares too); road sites lie
 * on the road network, which runs past the areas. Not covered: a project drawn outside the
 * areas. */
enum { REACH_NONE = 0, REACH_CELLS, REACH_PUBLIC_SQUARES, REACH_ROADS };

/* Who reads a collection. */
enum {
    COLL_EVERYONE = 0,  /* every audience (the public's answers come from the release) */
    COLL_INCIDENTS = 1, /* individual incidents: tokens_reads_incidents() decides who */
    COLL_LIVE = 2       /* computed live from the incidents: planners and editors; public 401 */
};

typedef struct coll_def {
    const char *id, *title, *description;
    const char *method; /* how the features are made: the collection's provenance member */
    int audience;       /* COLL_* */
    void (*items)(hctx *c, const hreq *rq, hresp *rs);
    void (*item)(hctx *c, const char *fid, const hreq *rq, hresp *rs);
    /* the collection's own spatial extent, for features that are not incidents and have no time
     * (then the temporal extent is null); NULL: the data's (extent_of(), app_time_span()) */
    int (*extent)(const hctx *c, double bb[4]);
    int reach; /* REACH_*: how far the features may lie past the data's box */
} coll_def;

/* The projects have no time of their own (their dates are properties): the data's box, no
 * temporal extent. */
static int projects_extent(const hctx *c, double bb[4])
{
    (void)c;
    (void)bb;
    return 0;
}

static const coll_def collections[] = {
    {"areas", "Areas",
     "Sub-district boundaries with population, incident counts and rates per "
     "100,000 per year (exact Poisson 95 % limits) under the filters",
     "count of the filtered incidents in the area and its sub-areas; crude rate per 100,000 per "
     "year, exact Poisson 95 % CI (Garwood 1936)",
     COLL_EVERYONE, oapif_areas_items, oapif_area_item, NULL, REACH_NONE},
    {"incidents", "Incidents", "Geocoded injury incidents (planners only)",
     "the stored incidents, as imported or posted", COLL_INCIDENTS, oapif_incidents_items,
     oapif_incident_item, NULL, REACH_NONE},
    {"hotspots", "Hot spots", "Getis-Ord Gi* hot and cold spot cells under the filters",
     "Getis-Ord local statistic on aggregated cells (Getis & Ord 1992; Ord & Getis 1995), FDR "
     "by Benjamini-Hochberg",
     COLL_EVERYONE, apiroutes_hotspots_items, apiroutes_hotspots_item, NULL, REACH_CELLS},
    {"blackspots", "Black spots", "DBSCAN black-spot clusters, ranked",
     "DBSCAN (Ester et al. 1996) in the working CRS, ranked by severity score; slope_yr: "
     "least-squares slope of the yearly counts (incidents per year)",
     COLL_EVERYONE, apiroutes_blackspots_items, apiroutes_blackspots_item, NULL,
     REACH_PUBLIC_SQUARES},
    {"blackspot_hulls", "Black-spot hulls",
     "The convex hulls of the black spots as polygons: the same view, ranks and properties",
     "the black spots' convex hulls (Andrew's monotone chain, 1979); one computation with the "
     "black spots",
     COLL_EVERYONE, apiroutes_blackspot_hulls_items, apiroutes_blackspot_hulls_item, NULL,
     REACH_PUBLIC_SQUARES},
    {"emerging", "Emerging hot spots",
     "Cells classed new, consecutive, intensifying, persistent, diminishing, sporadic, "
     "oscillating or historical hot (or cold) spots over time steps (EMERGING.md); an item "
     "carries its series",
     "Mann-Kendall trend of space-time Gi* (EMERGING.md)", COLL_EVERYONE, apiroutes_emerging_items,
     apiroutes_emerging_item, NULL, REACH_CELLS},
    {"roads", "Roads",
     "Road segments (OpenStreetMap data, © OpenStreetMap contributors, ODbL) with name, class, "
     "one-way, lanes and length; the same for every audience",
     "the imported road network (import-roads), lengths in the working CRS", COLL_EVERYONE,
     roadroutes_items, roadroutes_item, roadroutes_extent, REACH_NONE},
    {"road_sites", "Road sites, screened",
     "Junctions and road sections ranked by the Empirical Bayes excess expected crashes (or EPDO "
     "score, or count) with the rule screen for crash-prone spots and stretches, under the "
     "filters (traffic by default); planners and editors only",
     "network screening (HSM part B ch. 4): Empirical Bayes expected and excess expected crashes "
     "under an NB2 safety performance function fitted on the network's sites; sliding window",
     COLL_LIVE, roadroutes_sites_items, roadroutes_sites_item, NULL, REACH_ROADS},
    {"projects", "Safety-promotion projects",
     "The working groups' safety-promotion projects (安全促进项目): group, type, status, dates, "
     "target and location; the public sees the projects that have started, without the units "
     "behind them",
     "the projects registry (issue 12); geometry: the drawn location, else the project's areas, "
     "else null",
     COLL_EVERYONE, projroutes_items, projroutes_item, projects_extent, REACH_NONE},
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

/* Grows bb to hold box o. */
static void box_union(double bb[4], const double o[4])
{
    bb[0] = fmin(bb[0], o[0]);
    bb[1] = fmin(bb[1], o[1]);
    bb[2] = fmax(bb[2], o[2]);
    bb[3] = fmax(bb[3], o[3]);
}

/* Grows bb (degrees) by r metres each way, on the safe side (the longitude degree measured at
 * the box's edge farther from the equator). */
static void grow_m(double bb[4], double r)
{
    double lat = fmin(89.0, fmax(fabs(bb[1]), fabs(bb[3])));
    double dlat = r / 110574.0, dlon = r / (111320.0 * cos(lat * M_PI / 180.0));
    bb[0] = fmax(-180.0, bb[0] - dlon);
    bb[2] = fmin(180.0, bb[2] + dlon);
    bb[1] = fmax(-90.0, bb[1] - dlat);
    bb[3] = fmin(90.0, bb[3] + dlat);
}

/* d's spatial extent from the data's box bb0: its own (d->extent), grown by its reach, then
 * rounded outward to 1e-7 degrees, the precision of the features' coordinates (a coordinate
 * written rounded never falls outside). */
static void extent_for(hctx *c, const coll_def *d, const double bb0[4], double bb[4])
{
    double own[4];
    memcpy(bb, d->extent && d->extent(c, own) ? own : bb0, 4 * sizeof *bb);
    if (d->reach == REACH_CELLS && c->role != HZ_ROLE_PUBLIC) {
        /* the study box's area in metres, 1 % larger for the working CRS's scale error */
        double midlat = 0.5 * (bb[1] + bb[3]);
        double w = (bb[2] - bb[0]) * 111320.0 * cos(midlat * M_PI / 180.0),
               h = (bb[3] - bb[1]) * 110574.0;
        grow_m(bb, hotspots_auto_reach(1.01 * w * h));
    } else if ((d->reach == REACH_CELLS || d->reach == REACH_PUBLIC_SQUARES) &&
               c->role == HZ_ROLE_PUBLIC) {
        /* a released square holds incidents of the areas (black spots: any point of it may
         * be the one inside), so it reaches past them by up to its diagonal */
        grow_m(bb, 1.01 * REL_SPOT_CELL * M_SQRT2);
    } else if (d->reach == REACH_ROADS) {
        double r[4];
        if (roadroutes_extent(c, r)) box_union(bb, r);
    }
    for (int k = 0; k < 4; k++)
        bb[k] = (k < 2 ? floor(bb[k] * 1e7) : ceil(bb[k] * 1e7)) / 1e7;
}

static json_t *collection_json(hctx *c, const coll_def *d, const double bb0[4], int64_t tmin,
                               int64_t tmax)
{
    double bb[4];
    extent_for(c, d, bb0, bb);
    if (d->extent) {
        tmin = INT64_MIN;
        tmax = INT64_MAX;
    }
    char path[128];
    json_t *links = json_array();
    snprintf(path, sizeof path, "/collections/%s", d->id);
    json_array_append_new(links, oapif_link(c->base, path, "self", "application/json", d->title));
    /* OGC API - Features 1, /req/html: the HTML page of the collection and of its items */
    snprintf(path, sizeof path, "/collections/%s?f=html", d->id);
    json_array_append_new(
        links, oapif_link(c->base, path, "alternate", "text/html", "This collection as HTML"));
    snprintf(path, sizeof path, "/collections/%s/items", d->id);
    json_array_append_new(links,
                          oapif_link(c->base, path, "items", "application/geo+json", d->title));
    snprintf(path, sizeof path, "/collections/%s/items?f=html", d->id);
    json_array_append_new(
        links, oapif_link(c->base, path, "items", "text/html", "The features as an HTML table"));
    /* the downloads every collection's items have (paging.h) */
    snprintf(path, sizeof path, "/collections/%s/items?f=csv", d->id);
    json_array_append_new(links, oapif_link(c->base, path, "alternate", "text/csv",
                                            "The features as CSV (UTF-8, WKT geometry)"));
    snprintf(path, sizeof path, "/collections/%s/items?f=gpkg", d->id);
    json_array_append_new(links,
                          oapif_link(c->base, path, "alternate", "application/geopackage+sqlite3",
                                     "The features as a GeoPackage"));
    /* the provenance a client keeps with the collection: each page carries the view's in full */
    json_t *prov = json_pack("{s:s, s:s}", "method", d->method, "per_page",
                             "each page of items carries the view's provenance as its member "
                             "'provenance' and as the header X-Hazmap-Provenance");
    return json_pack("{s:s, s:s, s:s, s:o, s:{s:{s:[[f,f,f,f]], s:s}, s:{s:[[o,o]], s:s}},"
                     " s:s, s:[s], s:o}",
                     "id", d->id, "title", d->title, "description", d->description, "links", links,
                     "extent", "spatial", "bbox", bb[0], bb[1], bb[2], bb[3], "crs", CRS84,
                     "temporal", "interval", time_or_null(tmin), time_or_null(tmax), "trs",
                     "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian", "itemType", "feature",
                     "crs", CRS84, "provenance", prov);
}

/* OGC API - Features Part 2: the CRSs a collection's features may be asked in
 * (/req/crs/fc-md-crs-list), CRS84 first, and the one they are kept in
 * (/req/crs/fc-md-storageCrs). */
static void add_crs(hctx *c, json_t *coll)
{
    int codes[5], n = outcrs_list(paging_work_epsg(c), codes);
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        char uri[96];
        outcrs_uri(codes[i], uri, sizeof uri);
        json_array_append_new(list, json_string(uri));
    }
    json_object_set_new(coll, "crs", list);
    json_object_set_new(coll, "storageCrs", json_string(CRS84));
}

/* The spatial extent the audience may see: planners get the areas' and the incidents' box (an
 * incident may lie outside every area); the public and editors the areas' (the incidents' box
 * would give the outermost incidents' coordinates); the whole world when there is neither. */
static void extent_of(const hctx *c, double bb[4])
{
    double p[4];
    int any = incset_areas_box(c->snap, bb);
    if (tokens_reads_incidents(c->role) && incset_points_box(c->snap, p)) {
        box_union(bb, p);
        any = 1;
    }
    if (!any) memcpy(bb, (const double[4]){-180, -90, 180, 90}, 4 * sizeof *bb);
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
        json_t *one = collection_json(c, &collections[i], bb, tmin, tmax);
        add_crs(c, one);
        json_array_append_new(arr, one);
    }
    json_t *links = json_array();
    json_array_append_new(
        links, oapif_link(c->base, "/collections", "self", "application/json", "The collections"));
    json_array_append_new(links, oapif_link(c->base, "/collections?f=html", "alternate",
                                            "text/html", "The collections as HTML"));
    json_t *j = json_pack("{s:o, s:o}", "links", links, "collections", arr);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    htmlpage_convert(c, rq, rs, "Collections");
}

void collections_one(hctx *c, const hreq *rq, hresp *rs)
{
    /* crs is accepted (and checked) here too: GDAL's OAPIF driver keeps the query of the
     * collection's URL it was given and repeats it on the items requests */
    static const char *const allowed[] = {"crs", NULL};
    int epsg;
    if (app_check_args(rq, allowed, 0, rs) || paging_crs(c, rq, &epsg, rs)) return;
    const coll_def *d = collection_or_fail(c, c->seg[0], rs);
    if (!d) return;
    double bb[4];
    int64_t tmin, tmax;
    extent_of(c, bb);
    app_time_span(c, &tmin, &tmax);
    json_t *j = collection_json(c, d, bb, tmin, tmax);
    add_crs(c, j);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    htmlpage_convert(c, rq, rs, d->title);
}

/* f=html of items: the page the JSON answer makes (htmlpage.h; an answer still to be computed
 * on the pool is converted there, when this handler runs again). */
void collections_items(hctx *c, const hreq *rq, hresp *rs)
{
    const coll_def *d = collection_or_fail(c, c->seg[0], rs);
    if (!d) return;
    d->items(c, rq, rs);
    htmlpage_convert(c, rq, rs, d->title);
}

void collections_item(hctx *c, const hreq *rq, hresp *rs)
{
    const coll_def *d = collection_or_fail(c, c->seg[0], rs);
    if (!d) return;
    d->item(c, c->seg[1], rq, rs);
    char title[160];
    snprintf(title, sizeof title, "%s: %.64s", d->title, c->seg[1]);
    htmlpage_convert(c, rq, rs, title);
}

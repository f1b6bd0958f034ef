/* openapi.c - the OpenAPI 3.0 description of the HTTP API, built from tables. */
#include "hazmap/openapi.h"
#include "hazmap/links.h"
#include "hazmap/projroutes.h"
#include "hazmap/vocab.h"

#include <stdio.h>
#include <string.h>

typedef struct pdef {
    const char *name, *in, *type, *description;
    int required;
} pdef;

/* The filter parameters beside the vocabularies (whose parameters vocab_params() adds). */
static const pdef filter_params[] = {
    {"from", "query", "string", "first date (ISO 8601; +08:00 when no offset)", 0},
    {"to", "query", "string", "last date, inclusive of a whole day given as YYYY-MM-DD", 0},
    {"age", "query", "string", "MIN-MAX years, either end may be empty (65-, -14)", 0},
    {"disability", "query", "string", "yes or no", 0},
    {"area", "query", "string", "area code: incidents of that area and its descendants", 0},
    {"weight", "query", "string", "count or score (severity-weighted)", 0},
    {"weights", "query", "string",
     "severity weights, e.g. fatal=12,serious=12,minor=3,none=1; "
     "for the hotspots collection also binary or row (Gi* spatial "
     "weights)",
     0},
};

static const pdef landing_params[] = {
    {"f", "query", "string", "json (default) or html (a plain page of the same content)", 0}};

static const pdef items_params[] = {
    {"f", "query", "string",
     "json (default), html, or a download of the matching features (all of them from offset, at "
     "most 100,000; limit may lower it): csv (UTF-8 with a BOM, the geometry as WKT) or gpkg "
     "(GeoPackage)",
     0},
    {"bbox", "query", "string", "minlon,minlat,maxlon,maxlat (WGS84)", 0},
    {"limit", "query", "integer",
     "page size, 1..10000 (default 100; a larger one is clamped); the next link asks for twice "
     "the page (up to 10000; an HTML page's keeps it)",
     0},
    {"offset", "query", "integer", "index of the first feature (next/prev links carry it)", 0},
    {"datetime", "query", "string", "instant or interval start/end, '..' for an open end", 0},
    {"crs", "query", "string",
     "OGC API - Features Part 2: the CRS of the features' geometries, a URI of the collection's "
     "crs list (CRS84 by default; EPSG 4326 and 4490 latitude first, 3857, the working UTM zone); "
     "the answer's Content-Crs header names it",
     0},
    {"bbox-crs", "query", "string",
     "OGC API - Features Part 2: the CRS of bbox (its axis order), a URI of the crs list", 0},
};

static const pdef crs_param[] = {
    {"crs", "query", "string",
     "the CRS of the geometry (a URI of the collection's crs list; the answer's Content-Crs "
     "header names it)",
     0}};

static const pdef hotspot_params[] = {
    {"cell", "query", "string",
     "planners: cell size in metres or auto (at most 250,000 cells, else 422)", 0},
    {"shape", "query", "string", "square or hex", 0},
    {"band", "query", "string",
     "planners: distance band in metres or auto (at most 100 cell sizes, else 422)", 0},
    {"star", "query", "integer", "1 for Gi*, 0 for Gi", 0},
};

static const pdef cube_space_params[] = {
    {"cell", "query", "string", "cell size in metres or auto", 0},
    {"shape", "query", "string", "square or hex", 0},
    {"band", "query", "string", "distance band in metres, auto or contiguity", 0},
};

static const pdef emerging_params[] = {
    {"step", "query", "string",
     "emerging: time step, week, month (default), quarter or year (public: the release's years)",
     0},
    {"time_lag", "query", "integer",
     "emerging: previous steps in a bin's neighbourhood, 0..52 (default 1)", 0},
};

static const pdef blackspot_params[] = {
    {"eps", "query", "number", "DBSCAN radius in metres (default 50)", 0},
    {"min_points", "query", "integer",
     "DBSCAN minimum points including the point itself, or auto (default): 3x the background "
     "density",
     0},
};

static const pdef sites_params[] = {
    {"rank", "query", "string",
     "road_sites: rank by excess (Empirical Bayes excess expected crashes, default), epdo or count",
     0},
};

static const pdef network_params[] = {
    {"bandwidth", "query", "number", "metres along the network, 50..1000 (default 300)", 0},
};

static const pdef tile_params[] = {
    {"z", "path", "integer", "zoom 0..24", 1},
    {"x", "path", "integer", "column 0..2^z-1", 1},
    {"y", "path", "string", "row 0..2^z-1 followed by .png", 1},
    {"kernel", "query", "string", "quartic, epanechnikov, triweight, triangular, uniform, gaussian",
     0},
    {"bandwidth", "query", "number", "planners: metres", 0},
};

static const pdef tms_param[] = {
    {"tileMatrixSetId", "path", "string", "WebMercatorQuad (the one served)", 1}};

static const pdef ogc_tile_params[] = {
    {"tileMatrix", "path", "integer", "zoom 0..24", 1},
    {"tileRow", "path", "integer", "row 0..2^z-1 from the north (XYZ's y)", 1},
    {"tileCol", "path", "integer", "column 0..2^z-1 (XYZ's x)", 1},
};

static const pdef density_params[] = {
    {"f", "query", "string",
     "tif (default): the GeoTIFF, its band carrying the colour legend; zip: the GeoTIFF, its QGIS "
     "style (QML) and the legend JSON",
     0},
    {"kernel", "query", "string", "quartic, epanechnikov, triweight, triangular, uniform, gaussian",
     0},
    {"bandwidth", "query", "string", "metres or auto", 0},
    {"cell", "query", "number", "planners: cell size in metres", 0},
};

/* What the public may ask of a map (the release's view, release.h); planners use the filters. */
static const pdef release_params[] = {
    {"year", "query", "string", "public: one year of the published release (default all)", 0},
    {"injury_group", "query", "string",
     "public: one injury group of the release (self_harm, violence, traffic, fall, fire, other)",
     0},
    {"place_group", "query", "string", "public: one place group of the release", 0},
};

static const pdef stats_params[] = {
    {"by", "query", "string", "comma-separated: area, mechanism, age_group, sex", 0},
    {"format", "query", "string", "json or csv", 0},
    {"count", "query", "string",
     "events (linked records of several sources once; the default once links exist) or records", 0},
};

static const pdef evaluate_params[] = {
    {"start", "query", "string", "intervention date YYYY-MM-DD", 1},
    {"before_days", "query", "integer", "days before (default 365)", 0},
    {"after_days", "query", "integer", "days after (default 365)", 0},
    {"compare", "query", "string", "comparison area code", 0},
};

static const pdef report_params[] = {
    {"group", "query", "string", "working group key (wgroups.h) or district", 1},
    {"quarter", "query", "string", "quarter, e.g. 2014Q2", 1},
    {"lang", "query", "string", "zh (default) or en", 0},
    {"f", "query", "string", "html (default) or pdf", 0},
};

static const pdef coll_param[] = {
    {"collectionId", "path", "string",
     "areas, incidents (planner), hotspots, blackspots, blackspot_hulls, emerging, roads, "
     "road_sites (planners and editors)",
     1}};
static const pdef fid_param[] = {{"featureId", "path", "string", "feature id", 1}};

/* The schema of parameter p: its type, with the bounds and defaults OGC API - Features Part 1
 * gives limit, offset and bbox (7.15.3, 7.15.4; its OpenAPI fragments). */
static json_t *param_schema(const pdef *p)
{
    if (strcmp(p->name, "limit") == 0 && strcmp(p->in, "query") == 0)
        return json_pack("{s:s, s:i, s:i, s:i}", "type", "integer", "minimum", 1, "maximum", 10000,
                         "default", 100);
    if (strcmp(p->name, "offset") == 0)
        return json_pack("{s:s, s:i, s:i}", "type", "integer", "minimum", 0, "default", 0);
    if (strcmp(p->name, "bbox") == 0)
        return json_pack("{s:s, s:i, s:i, s:{s:s}}", "type", "array", "minItems", 4, "maxItems", 6,
                         "items", "type", "number");
    return json_pack("{s:s}", "type", p->type);
}

static void add_params(json_t *arr, const pdef *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", p[i].name, "in", p[i].in, "description",
                      p[i].description, "required", p[i].required, "schema", param_schema(&p[i]));
        if (strcmp(p[i].name, "bbox") == 0) { /* comma-separated, as the standard has it */
            json_object_set_new(o, "style", json_string("form"));
            json_object_set_new(o, "explode", json_false());
        }
        json_array_append_new(arr, o);
    }
}

#define ADD(arr, table) add_params(arr, table, sizeof table / sizeof *table)

/* One parameter per vocabulary (mechanism, place, intent, severity, sex): a comma-separated list
 * of its words, the enum taken from vocab.c. */
static void vocab_params(json_t *arr)
{
    for (int k = 0; k < HZ_VOCAB_KINDS; k++) {
        json_t *words = json_array();
        for (int v = 1; v < vocab_count((hz_vocab)k); v++)
            json_array_append_new(words, json_string(vocab_name((hz_vocab)k, v)));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:b, s:s, s:b, s:{s:s, s:{s:s, s:o}}}", "name",
                           vocab_label((hz_vocab)k), "in", "query", "description",
                           "one or several of the words, comma-separated (any of them matches)",
                           "required", 0, "style", "form", "explode", 0, "schema", "type", "array",
                           "items", "type", "string", "enum", words));
    }
}

/* The shared filters: the vocabularies, then the rest. */
static void filters(json_t *arr)
{
    vocab_params(arr);
    ADD(arr, filter_params);
}

static json_t *responses(const char *type, const char *desc)
{
    return json_pack("{s:{s:s, s:{s:{}}}, s:{s:s}, s:{s:s}, s:{s:s}}", "200", "description", desc,
                     "content", type, "400", "description",
                     "invalid parameter {\"code\", \"description\"}", "401", "description",
                     "missing or wrong token where one is needed", "403", "description",
                     "the token's role may not read this (an editor's token: the incidents)");
}

/* The items' other answers (f=csv, f=gpkg), and the header every page of an analysis carries. */
static void downloads(json_t *op)
{
    json_t *ok = json_object_get(json_object_get(op, "responses"), "200");
    json_t *content = json_object_get(ok, "content");
    json_object_set_new(content, "text/csv", json_pack("{s:{s:s}}", "schema", "type", "string"));
    json_object_set_new(
        content, "application/geopackage+sqlite3",
        json_pack("{s:{s:s, s:s}}", "schema", "type", "string", "format", "binary"));
    json_object_set_new(
        ok, "headers",
        json_pack("{s:{s:s, s:{s:s}}, s:{s:s, s:{s:s}}}", "X-Hazmap-Provenance", "description",
                  "the analysis' provenance as compact JSON (the page's provenance member)",
                  "schema", "type", "string", "Content-Disposition", "description",
                  "downloads: attachment; filename=\"hazmap-{collectionId}.csv\" (or .gpkg)",
                  "schema", "type", "string"));
}

/* The GET at path also answers with type (a string; binary when binary is non-zero): f=html
 * (htmlpage.h), f=zip. */
static void add_content(json_t *paths, const char *path, const char *type, int binary)
{
    json_t *get = json_object_get(json_object_get(paths, path), "get");
    json_t *ok = json_object_get(json_object_get(get, "responses"), "200");
    json_t *schema = json_pack("{s:s}", "type", "string");
    if (binary) json_object_set_new(schema, "format", json_string("binary"));
    json_object_set_new(json_object_get(ok, "content"), type, json_pack("{s:o}", "schema", schema));
}

/* Every GET answers the public without a token and planners with one (the answer depends on
 * it): the token is optional, by either scheme. */
static json_t *optional_security(void)
{
    return json_pack("[{}, {s:[]}, {s:[]}]", "bearer", "basic");
}

/* A unique operationId from the method and the path, every run of other characters one '_':
 * "get_collections_collectionId_items", "get_tiles_density_z_x_y_png". */
static json_t *operation_id(const char *method, const char *path)
{
    char id[160];
    size_t n = (size_t)snprintf(id, sizeof id, "%s", method);
    int gap = 1;
    for (const char *c = path; *c && n + 2 < sizeof id; c++) {
        int word = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
        if (word && gap) id[n++] = '_';
        if (word) id[n++] = *c;
        gap = !word;
    }
    id[n] = 0;
    return json_string(id);
}

static void add_get(json_t *paths, const char *path, const char *summary, const char *type,
                    json_t *params)
{
    json_t *op = json_pack("{s:o, s:s, s:o, s:o, s:o}", "operationId", operation_id("get", path),
                           "summary", summary, "parameters", params, "responses",
                           responses(type, summary), "security", optional_security());
    json_object_set_new(paths, path, json_pack("{s:o}", "get", op));
}

json_t *openapi_build(const char *server_url, const char *title)
{
    json_t *paths = json_object();
    json_t *p;
    add_get(paths, "/", "Landing page (JSON) or the map page (text/html)", "application/json",
            (p = json_array(), ADD(p, landing_params), p));
    add_get(paths, "/conformance", "OGC API conformance classes", "application/json",
            (p = json_array(), ADD(p, landing_params), p));
    add_get(paths, "/api", "This OpenAPI 3.0 document",
            "application/vnd.oai.openapi+json;version=3.0", json_array());
    add_get(paths, "/collections", "The collections", "application/json",
            (p = json_array(), ADD(p, landing_params), p));
    add_get(paths, "/collections/{collectionId}", "One collection", "application/json",
            (p = json_array(), ADD(p, coll_param), ADD(p, crs_param), ADD(p, landing_params), p));
    p = json_array();
    ADD(p, coll_param);
    ADD(p, items_params);
    filters(p);
    ADD(p, hotspot_params);
    ADD(p, emerging_params);
    ADD(p, blackspot_params);
    ADD(p, release_params);
    ADD(p, sites_params);
    add_get(paths, "/collections/{collectionId}/items", "Features of a collection",
            "application/geo+json", p);
    downloads(json_object_get(json_object_get(paths, "/collections/{collectionId}/items"), "get"));
    json_t *post = json_pack(
        "{s:s, s:[{s:s,s:s,s:b,s:{s:s}}, {s:s,s:s,s:s,s:b,s:{s:s,s:[s,s],s:s}}],"
        " s:{s:b, s:{s:{s:{}}, s:{s:{}}}}, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}, s:[{s:[]}]}",
        "summary", "Add incidents (GeoJSON Feature or FeatureCollection; editor or planner token)",
        "parameters", "name", "collectionId", "in", "path", "required", 1, "schema", "type",
        "string", "name", "outside", "in", "query", "description",
        "accept: store points that lie in no area (without an area); reject (default): such a "
        "point is a 400 naming the feature",
        "required", 0, "schema", "type", "string", "enum", "accept", "reject", "default", "reject",
        "requestBody", "required", 1, "content", "application/geo+json", "schema",
        "application/json", "schema", "responses", "201", "description", "stored", "400",
        "description", "invalid features, each bad field named", "401", "description",
        "token needed", "413", "description", "body too large", "security", "bearer");
    json_object_set_new(post, "operationId",
                        operation_id("post", "/collections/{collectionId}/items"));
    json_object_set_new(json_object_get(paths, "/collections/{collectionId}/items"), "post", post);
    add_get(paths, "/collections/{collectionId}/items/{featureId}", "One feature",
            "application/geo+json",
            (p = json_array(), ADD(p, coll_param), ADD(p, fid_param), ADD(p, crs_param),
             ADD(p, landing_params), p));
    /* OGC API - Features 1, /req/html/definition */
    const char *html_paths[] = {"/",
                                "/conformance",
                                "/collections",
                                "/collections/{collectionId}",
                                "/collections/{collectionId}/items",
                                "/collections/{collectionId}/items/{featureId}"};
    for (size_t i = 0; i < sizeof html_paths / sizeof *html_paths; i++)
        add_content(paths, html_paths[i], "text/html", 0);
    add_get(paths, "/api/config", "Settings for the map page (role follows the token)",
            "application/json", json_array());
    add_get(paths, "/api/stats", "Counts and rates per 100,000 with exact Poisson limits",
            "application/json", (p = json_array(), ADD(p, stats_params), filters(p), p));
    add_get(paths, "/api/evaluate", "Before/after rate ratio of an intervention in an area",
            "application/json", (p = json_array(), ADD(p, evaluate_params), filters(p), p));
    add_get(paths, "/api/report", "The quarterly diagnosis report of a working group", "text/html",
            (p = json_array(), ADD(p, report_params), p));
    add_get(paths, "/api/blackspots", "Ranked DBSCAN black spots", "application/geo+json",
            (p = json_array(), ADD(p, items_params), ADD(p, blackspot_params),
             ADD(p, release_params), filters(p), p));
    p = json_array();
    filters(p);
    ADD(p, cube_space_params);
    ADD(p, emerging_params);
    add_get(paths, "/api/emerging.gpkg",
            "Emerging hot spots' space-time cube as a GeoPackage (planners): layers "
            "emerging_locations and emerging_bins",
            "application/geopackage+sqlite3", p);
    add_get(paths, "/api/density.tif", "Kernel density grid as GeoTIFF (or ZIP with its style)",
            "image/tiff",
            (p = json_array(), ADD(p, density_params), ADD(p, release_params), filters(p), p));
    add_content(paths, "/api/density.tif", "application/zip", 1);
    add_get(paths, "/tiles/density/{z}/{x}/{y}.png", "Density tile (Web Mercator XYZ, 256 px)",
            "image/png",
            (p = json_array(), ADD(p, tile_params), ADD(p, release_params), filters(p), p));
    /* OGC API - Tiles of the density layer (ogctiles.h) */
    add_get(paths, "/collections/density", "The density layer (OGC API - Tiles: its tilesets)",
            "application/json", (p = json_array(), ADD(p, release_params), filters(p), p));
    add_get(paths, "/collections/density/tiles", "The density layer's tilesets", "application/json",
            (p = json_array(), ADD(p, release_params), filters(p), p));
    add_get(paths, "/collections/density/tiles/{tileMatrixSetId}",
            "The density tileset's metadata (WebMercatorQuad)", "application/json",
            (p = json_array(), ADD(p, tms_param), ADD(p, release_params), filters(p), p));
    add_get(paths, "/collections/density/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
            "A density tile: row before column, the PNG of /tiles/density/{z}/{x}/{y}.png",
            "image/png",
            (p = json_array(), ADD(p, tms_param), ADD(p, ogc_tile_params),
             add_params(p, tile_params + 3, 2), ADD(p, release_params), filters(p), p));
    add_get(paths, "/tileMatrixSets", "The tile matrix sets", "application/json", json_array());
    add_get(paths, "/tileMatrixSets/{tileMatrixSetId}",
            "A tile matrix set (OGC 17-083r4 JSON; WebMercatorQuad)", "application/json",
            (p = json_array(), ADD(p, tms_param), p));
    add_get(paths, "/tiles/roads/{z}/{x}/{y}.png",
            "Street tile: the store's roads in light grey on transparency (OpenStreetMap data, "
            "the same for every audience; no query parameter)",
            "image/png", (p = json_array(), add_params(p, tile_params, 3), p));
    add_get(
        paths, "/tiles/network/{z}/{x}/{y}.png",
        "Network density tile: the roads coloured by the network kernel density of the "
        "filtered incidents per km of road per year (planners and editors)",
        "image/png",
        (p = json_array(), add_params(p, tile_params, 3), ADD(p, network_params), filters(p), p));
    add_get(paths, "/tiles/network/legend.json",
            "Legend of the network density tiles: class breaks and colours (planners and editors)",
            "application/json", (p = json_array(), ADD(p, network_params), filters(p), p));
    add_get(paths, "/tiles/density.json", "TileJSON 3.0.0 of the density tiles", "application/json",
            (p = json_array(), add_params(p, tile_params + 3, 2), ADD(p, release_params),
             filters(p), p));
    add_get(paths, "/tiles/density/legend.json", "Legend: class breaks and colours",
            "application/json", (p = json_array(), ADD(p, release_params), filters(p), p));
    add_get(paths, "/api/releases", "The public releases and the privacy budget they spent",
            "application/json", json_array());
    add_get(paths, "/api/releases/{id}", "One public release: metadata and tables",
            "application/json",
            json_pack("[{s:s, s:s, s:b, s:{s:s}}]", "name", "id", "in", "path", "required", 1,
                      "schema", "type", "integer"));
    add_get(paths, "/api/releases/{id}/tables/{table}", "One table of a release, row-major",
            "application/json",
            json_pack("[{s:s, s:s, s:b, s:{s:s}}, {s:s, s:s, s:b, s:{s:s}}]", "name", "id", "in",
                      "path", "required", 1, "schema", "type", "integer", "name", "table", "in",
                      "path", "required", 1, "schema", "type", "string"));
    json_object_set_new(json_object_get(paths, "/api/releases"), "post",
                        json_pack("{s:o, s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}, s:[{s:[]}]}",
                                  "operationId", operation_id("post", "/api/releases"), "summary",
                                  "Publish a release of the current data now (planner token)",
                                  "responses", "201", "description", "published", "401",
                                  "description", "token needed", "403", "description",
                                  "planners only", "security", "bearer"));
    links_openapi(paths);
    projroutes_openapi(paths);
    add_get(paths, "/healthz", "Liveness and counts", "application/json", json_array());
    add_get(paths, "/metrics", "Prometheus metrics", "text/plain", json_array());
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:[{s:s}], s:o,"
                     " s:{s:{s:{s:s, s:s}, s:{s:s, s:s, s:s}}}}",
                     "openapi", "3.0.3", "info", "title", title, "version", "1.0", "description",
                     "hazmap: OGC API - Features for injury incidents and areas, analysis "
                     "endpoints and density tiles. Without a token: the public portal, "
                     "answered only from the newest published release (noisy aggregates; "
                     "PRIVACY.md).",
                     "servers", "url", server_url, "paths", paths, "components", "securitySchemes",
                     "bearer", "type", "http", "scheme", "bearer", "basic", "type", "http",
                     "scheme", "basic", "description",
                     "the API token as the password, any user name (for GIS clients without "
                     "custom headers)");
}

void openapi_document(hctx *c, const hreq *rq, hresp *rs)
{
    static const char *const allowed[] = {"f", NULL};
    char err[256];
    if (hreq_check_args(rq, allowed, 0, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    json_t *j = openapi_build(c->base, c->cfg->title);
    if (!j) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    hresp_json(rs, 200, j, "application/vnd.oai.openapi+json;version=3.0");
    json_decref(j);
}

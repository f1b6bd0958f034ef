/* import_roads.c - loading a road network through GDAL/OGR into the store (import_roads.h).
 *
 * Three passes. Reading: every feature's attributes become a list of key/value pairs (its fields,
 * and for OSM the tags of GDAL's other_tags hstore string, which holds oneway, lanes, maxspeed,
 * name:en, ... under the default osmconf.ini), from which the roles (id, name, class, one-way,
 * lanes, speed, volume, end nodes) are taken and the rest kept as extra JSON; its geometry is
 * moved to WGS84 and split into line parts. Topology: the parts are projected to the working CRS
 * (the UTM zone of the data's centre) and made into nodes and segments by roadtopo.c. Writing:
 * the source's nodes and segments go to the store in one call (store_roads_put()), which leaves
 * an unchanged source as it was.
 *
 * Invariant: a feature is either rejected (one import_rejects row with its number and reason;
 * none of its parts reach the topology) or all its parts go to roadtopo_build(), which may still
 * leave out a part (a reject of that part) but never a whole accepted feature silently. */
#include "hazmap/import_roads.h"
#include "hazmap/workcrs.h"
#include "import_ogr.h"
#include "roadattr.h"
#include "roadtopo.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LOG_REJECTS 10

/* ---- the import's state ---- */

/* A feature that passed reading. */
typedef struct road_feat {
    int64_t fno;
    char *id, *name, *cls, *extra;
    int oneway, lanes;
    double speed, volume;
    int rejected; /* by a later check (a duplicate id) */
    int nsegs;    /* segments it gave; numbering of its source ids */
} road_feat;

enum { R_ID, R_FROM, R_TO, R_NAME, R_CLASS, R_ONEWAY, R_LANES, R_SPEED, R_VOLUME, R_COUNT };

typedef struct roads_ctx {
    store *st;
    import_summary *sum;
    const char *path;
    const import_roads_opts *o;
    int osm, given;
    const char *role_given[R_COUNT];
    import_crs crs;
    int nlogged;
    roadattr_list attrs;
    road_feat *feats;
    size_t nfeats, cap_feats;
    roadtopo_line *lines;
    size_t nlines, cap_lines;
    double *lon, *lat;
    size_t nverts, cap_verts;
} roads_ctx;

static const char *const role_names[R_COUNT][5] = {
    [R_ID] = {"id", "edge_id", "osm_id", "fid", NULL},
    [R_FROM] = {NULL},
    [R_TO] = {NULL},
    [R_NAME] = {"name", NULL},
    [R_CLASS] = {"highway", "class", "fclass", NULL},
    [R_ONEWAY] = {"oneway", NULL},
    [R_LANES] = {"lanes", NULL},
    [R_SPEED] = {"maxspeed", "speed", NULL},
    [R_VOLUME] = {"aadt", "volume", NULL},
};

static const char *const role_opt[R_COUNT] = {"--id-field",    "--from-node",   "--to-node",
                                              "--name-field",  "--class-field", "--oneway-field",
                                              "--lanes-field", "--speed-field", "--volume-field"};

static hz_status reject(roads_ctx *c, int64_t fno, const char *raw, const char *kind, char *err,
                        size_t errlen, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static hz_status reject(roads_ctx *c, int64_t fno, const char *raw, const char *kind, char *err,
                        size_t errlen, const char *fmt, ...)
{
    char msg[400], reason[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(reason, sizeof reason, "feature %lld: %s", (long long)fno, msg);
    import_count_reason(c->sum, kind);
    if (c->o->log && c->nlogged++ < LOG_REJECTS)
        fprintf(c->o->log, "%s:%lld: %s\n", c->path, (long long)fno, msg);
    return store_reject_add(c->st, c->sum->batch_id, fno, raw, reason, err, errlen);
}

/* The roles of the feature in c->attrs into *rf (strings owned by it) and the given end
 * nodes.
 * Returns NULL, or the reject kind with the message in msg. */
static const char *read_roles(roads_ctx *c, road_feat *rf, int64_t *from, int64_t *to, char *msg,
                              size_t msglen)
{
    const char *v[R_COUNT];
    for (int r = 0; r < R_COUNT; r++)
        v[r] = r == R_FROM || r == R_TO
                   ? (c->given ? roadattr_take(&c->attrs, c->role_given[r], NULL) : NULL)
                   : roadattr_take(&c->attrs, c->role_given[r], role_names[r]);
    if (c->given && (roadattr_node(v[R_FROM], from) || roadattr_node(v[R_TO], to))) {
        snprintf(msg, msglen, "from/to node '%s'/'%s' is not an integer",
                 v[R_FROM] ? v[R_FROM] : "", v[R_TO] ? v[R_TO] : "");
        return "bad node id";
    }
    static const char *const what[R_COUNT] = {
        [R_ONEWAY] = "one-way", [R_LANES] = "lanes", [R_SPEED] = "speed", [R_VOLUME] = "volume"};
    int bad = roadattr_oneway(v[R_ONEWAY], &rf->oneway)   ? R_ONEWAY
              : roadattr_lanes(v[R_LANES], &rf->lanes)    ? R_LANES
              : roadattr_speed(v[R_SPEED], &rf->speed)    ? R_SPEED
              : roadattr_volume(v[R_VOLUME], &rf->volume) ? R_VOLUME
                                                          : -1;
    if (bad >= 0) {
        snprintf(msg, msglen, "bad %s value '%s'", what[bad], v[bad]);
        return "bad value";
    }
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "%lld", (long long)rf->fno);
    rf->id = strdup(v[R_ID] ? v[R_ID] : idbuf);
    rf->name = v[R_NAME] ? strdup(v[R_NAME]) : NULL;
    rf->cls = v[R_CLASS] ? strdup(v[R_CLASS]) : NULL;
    if (!rf->id || (v[R_NAME] && !rf->name) || (v[R_CLASS] && !rf->cls)) {
        free(rf->id); /* load_feature() reads a NULL id as out of memory */
        rf->id = NULL;
    }
    return NULL;
}

static void feat_free(road_feat *f)
{
    free(f->id);
    free(f->name);
    free(f->cls);
    free(f->extra);
}

/* ---- reading geometry ---- */

static int reserve_verts(roads_ctx *c, size_t need)
{
    if (need <= c->cap_verts) return 0;
    size_t n = c->cap_verts ? 2 * c->cap_verts : 1024;
    while (n < need)
        n *= 2;
    double *a = realloc(c->lon, n * sizeof *a);
    if (a) c->lon = a;
    double *b = a ? realloc(c->lat, n * sizeof *b) : NULL;
    if (b) c->lat = b;
    if (!b) return -1;
    c->cap_verts = n;
    return 0;
}

/* Appends part g (a LINESTRING in WGS84) as a line of feature fi: 0, 1 when it has fewer than 2
 * distinct vertices, 2 when a coordinate is not finite or out of range, -1 out of memory. */
static int add_part(roads_ctx *c, OGRGeometryH g, size_t fi, int64_t from, int64_t to)
{
    int np = OGR_G_GetPointCount(g);
    if (reserve_verts(c, c->nverts + (size_t)(np > 0 ? np : 0))) return -1;
    size_t v0 = c->nverts, n = 0;
    for (int i = 0; i < np; i++) {
        double x = OGR_G_GetX(g, i), y = OGR_G_GetY(g, i);
        if (!isfinite(x) || !isfinite(y) || fabs(x) > 180 || fabs(y) > 90) return 2;
        if (n > 0 && x == c->lon[v0 + n - 1] && y == c->lat[v0 + n - 1]) continue;
        c->lon[v0 + n] = x;
        c->lat[v0 + n] = y;
        n++;
    }
    if (n < 2) return 1;
    if (c->nlines == c->cap_lines) {
        size_t cap = c->cap_lines ? 2 * c->cap_lines : 256;
        roadtopo_line *l = realloc(c->lines, cap * sizeof *l);
        if (!l) return -1;
        c->lines = l;
        c->cap_lines = cap;
    }
    c->lines[c->nlines++] = (roadtopo_line){v0, n, fi, from, to};
    c->nverts += n;
    return 0;
}

/* The parts of g (WGS84 already) as lines of feature fi; on a bad part nothing of the feature
 * is kept. Returns NULL or a reject kind with the message in msg; *oom on memory failure. */
static const char *add_parts(roads_ctx *c, OGRGeometryH g, size_t fi, int64_t from, int64_t to,
                             int *oom, char *msg, size_t msglen)
{
    size_t l0 = c->nlines, v0 = c->nverts;
    int multi = wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiLineString;
    int nparts = multi ? OGR_G_GetGeometryCount(g) : 1;
    const char *kind = NULL;
    if (c->given && nparts != 1) {
        snprintf(msg, msglen,
                 "a MULTILINESTRING of %d parts cannot be one segment between the "
                 "given nodes",
                 nparts);
        kind = "multi-part line";
    }
    for (int i = 0; i < nparts && !kind && !*oom; i++) {
        int rc = add_part(c, multi ? OGR_G_GetGeometryRef(g, i) : g, fi, from, to);
        if (rc < 0) *oom = 1;
        if (rc == 1) {
            snprintf(msg, msglen, "part %d has fewer than 2 distinct vertices", i + 1);
            kind = "too few vertices";
        } else if (rc == 2) {
            snprintf(msg, msglen,
                     "part %d has a coordinate that is not finite or outside "
                     "lon -180..180 / lat -90..90 (wrong --srs?)",
                     i + 1);
            kind = "bad coordinates";
        }
    }
    if (kind || *oom) {
        c->nlines = l0;
        c->nverts = v0;
    }
    return kind;
}

/* The feature's geometry: NULL and its lines added, or the reject kind with msg. */
static const char *read_geometry(roads_ctx *c, OGRFeatureH f, size_t fi, int64_t from, int64_t to,
                                 int *oom, char *msg, size_t msglen)
{
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (!g || OGR_G_IsEmpty(g)) {
        snprintf(msg, msglen, "no geometry");
        return "empty geometry";
    }
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t != wkbLineString && t != wkbMultiLineString) {
        snprintf(msg, msglen, "geometry is a %s, not a line", OGR_G_GetGeometryName(g));
        return "not a line";
    }
    OGRGeometryH gc = OGR_G_Clone(g);
    OGR_G_FlattenTo2D(gc);
    const char *kind = NULL;
    if (import_crs_to_wgs84(&c->crs, gc) < 0) {
        snprintf(msg, msglen, "cannot be transformed to WGS84");
        kind = "bad coordinates";
    } else {
        kind = add_parts(c, gc, fi, from, to, oom, msg, msglen);
    }
    OGR_G_DestroyGeometry(gc);
    return kind;
}

/* ---- one feature ---- */

static int reserve_feat(roads_ctx *c)
{
    if (c->nfeats < c->cap_feats) return 0;
    size_t cap = c->cap_feats ? 2 * c->cap_feats : 256;
    road_feat *f = realloc(c->feats, cap * sizeof *f);
    if (!f) return -1;
    c->feats = f;
    c->cap_feats = cap;
    return 0;
}

/* Reads feature number fno: kept in c->feats with its lines, or rejected. */
static hz_status load_feature(roads_ctx *c, OGRFeatureH f, OGRFeatureDefnH def, int64_t fno,
                              char *err, size_t errlen)
{
    if (roadattr_read(&c->attrs, f, def, c->osm) < 0 || reserve_feat(c) < 0)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (c->osm && !roadattr_take(&c->attrs, NULL, (const char *const[]){"highway", NULL}))
        return HZ_OK; /* not a road: waterways, railways, barriers */
    c->sum->read++;
    road_feat *rf = &c->feats[c->nfeats];
    memset(rf, 0, sizeof *rf);
    rf->fno = fno;
    int64_t from = 0, to = 0;
    char msg[300], raw[400];
    int oom = 0;
    const char *kind = read_roles(c, rf, &from, &to, msg, sizeof msg);
    snprintf(raw, sizeof raw, "id=%s; name=%s", rf->id ? rf->id : "", rf->name ? rf->name : "");
    if (!kind && !rf->id) oom = 1;
    if (!kind && !oom) rf->extra = roadattr_extra(&c->attrs, &oom);
    if (!kind && !oom) kind = read_geometry(c, f, c->nfeats, from, to, &oom, msg, sizeof msg);
    if (oom) {
        feat_free(rf);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    if (kind) {
        feat_free(rf);
        return reject(c, fno, raw, kind, err, errlen, "%s", msg);
    }
    c->nfeats++;
    return HZ_OK;
}

/* ---- layer set-up ---- */

/* Every field named by an option must exist (OSM tags other than the layer's fields are looked
 * up per feature, so only a non-OSM layer is checked). */
static hz_status check_fields(roads_ctx *c, OGRFeatureDefnH def, char *err, size_t errlen)
{
    for (int r = 0; r < R_COUNT && !c->osm; r++) {
        const char *g = c->role_given[r];
        if (g && OGR_FD_GetFieldIndex(def, g) < 0)
            return hz_fail(HZ_EINVAL, err, errlen, "%s: %s '%s' not found in the layer", c->path,
                           role_opt[r], g);
    }
    if (!c->role_given[R_FROM] != !c->role_given[R_TO])
        return hz_fail(HZ_EINVAL, err, errlen, "--from-node and --to-node go together");
    return HZ_OK;
}

/* Reads every feature: the OSM driver's layers interleaved (GDALDatasetGetNextFeature, keeping
 * the chosen layer's), any other layer in order. */
static hz_status read_layer(roads_ctx *c, GDALDatasetH ds, OGRLayerH ly, char *err, size_t errlen)
{
    OGRFeatureDefnH def = OGR_L_GetLayerDefn(ly);
    hz_status s = HZ_OK;
    int64_t fno = 0;
    if (c->osm)
        GDALDatasetResetReading(ds);
    else
        OGR_L_ResetReading(ly);
    for (;;) {
        OGRLayerH from = ly;
        OGRFeatureH f = c->osm ? GDALDatasetGetNextFeature(ds, &from, NULL, NULL, NULL)
                               : OGR_L_GetNextFeature(ly);
        if (!f) break;
        if (from == ly) {
            fno++;
            s = load_feature(c, f, def, fno, err, errlen);
        }
        OGR_F_Destroy(f);
        if (s != HZ_OK) break;
    }
    return s;
}

/* ---- duplicate ids ---- */

static int feat_id_cmp(const void *a, const void *b)
{
    const road_feat *x = *(road_feat *const *)a, *y = *(road_feat *const *)b;
    int d = strcmp(x->id, y->id);
    return d ? d : (x->fno > y->fno) - (x->fno < y->fno);
}

/* A feature whose id an earlier feature has is rejected (the store keys segments by it). */
static hz_status reject_duplicates(roads_ctx *c, char *err, size_t errlen)
{
    road_feat **p = malloc((c->nfeats ? c->nfeats : 1) * sizeof *p);
    if (!p) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; i < c->nfeats; i++)
        p[i] = &c->feats[i];
    qsort(p, c->nfeats, sizeof *p, feat_id_cmp);
    hz_status s = HZ_OK;
    size_t first = 0;
    for (size_t i = 1; i < c->nfeats && s == HZ_OK; i++) {
        if (strcmp(p[i]->id, p[first]->id) != 0) {
            first = i;
            continue;
        }
        p[i]->rejected = 1;
        s = reject(c, p[i]->fno, p[i]->id, "duplicate id", err, errlen,
                   "id '%s' is also feature %lld's", p[i]->id, (long long)p[first]->fno);
    }
    free(p);
    return s;
}

/* ---- topology ---- */

/* The accepted features' lines, projected to the working CRS of their centre, made into a
 * network in *t (roadtopo_free() it). An empty network when no line is left. */
static hz_status build_topology(roads_ctx *c, roadtopo *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    size_t n = 0;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < c->nlines; i++) {
        const roadtopo_line *l = &c->lines[i];
        if (c->feats[l->feat].rejected) continue;
        c->lines[n++] = *l; /* compacted in place: line order is kept */
        for (size_t v = l->v0; v < l->v0 + l->nv; v++) {
            x0 = fmin(x0, c->lon[v]), x1 = fmax(x1, c->lon[v]);
            y0 = fmin(y0, c->lat[v]), y1 = fmax(y1, c->lat[v]);
        }
    }
    c->nlines = n;
    if (n == 0) return HZ_OK;
    workcrs *w = workcrs_new(NULL, (x0 + x1) / 2, (y0 + y1) / 2, err, errlen);
    if (!w) return HZ_ECRS;
    double *x = malloc(c->nverts * sizeof *x), *y = malloc(c->nverts * sizeof *y);
    hz_status s = x && y ? workcrs_forward(w, c->nverts, c->lon, c->lat, x, y) : HZ_ENOMEM;
    if (s == HZ_OK) {
        double snap = c->o->snap_m != 0 ? c->o->snap_m
                      : c->osm          ? IMPORT_ROADS_SNAP_EXACT
                                        : IMPORT_ROADS_SNAP_DEFAULT;
        roadtopo_in in = {c->nverts, c->lon, c->lat, x, y, c->nlines, c->lines, c->given, snap};
        s = roadtopo_build(&in, t);
    }
    if (s != HZ_OK)
        hz_fail(s, err, errlen, "%s: %s", c->path,
                s == HZ_ENOMEM ? "out of memory" : "projection to the working CRS failed");
    free(x);
    free(y);
    workcrs_free(w);
    return s;
}

static hz_status topology_rejects(roads_ctx *c, const roadtopo *t, char *err, size_t errlen)
{
    hz_status s = HZ_OK;
    for (size_t i = 0; i < t->nrejects && s == HZ_OK; i++) {
        const road_feat *f = &c->feats[c->lines[t->rejects[i].line].feat];
        s = reject(c, f->fno, f->id, t->rejects[i].kind, err, errlen, "%s", t->rejects[i].msg);
    }
    return s;
}

/* ---- writing ---- */

/* The segment records of t; ids[i] holds segment i's source id (the feature's id, with "/k"
 * when the feature gave several segments). */
static int make_segs(roads_ctx *c, const roadtopo *t, hz_road_seg_rec *r, char **ids)
{
    for (size_t i = 0; i < t->nsegs; i++)
        c->feats[c->lines[t->segs[i].line].feat].nsegs++;
    int *k = calloc(c->nfeats ? c->nfeats : 1, sizeof *k);
    if (!k) return -1;
    int rc = 0;
    for (size_t i = 0; i < t->nsegs && rc == 0; i++) {
        const roadtopo_seg *g = &t->segs[i];
        size_t fi = c->lines[g->line].feat;
        const road_feat *f = &c->feats[fi];
        char buf[64];
        snprintf(buf, sizeof buf, "/%d", ++k[fi]);
        size_t len = strlen(f->id) + (f->nsegs > 1 ? strlen(buf) : 0) + 1;
        if (!(ids[i] = malloc(len))) {
            rc = -1;
            break;
        }
        snprintf(ids[i], len, "%s%s", f->id, f->nsegs > 1 ? buf : "");
        r[i] = (hz_road_seg_rec){.source_id = ids[i],
                                 .from_node = g->from,
                                 .to_node = g->to,
                                 .name = f->name,
                                 .cls = f->cls,
                                 .oneway = f->oneway,
                                 .lanes = f->lanes,
                                 .maxspeed_kmh = f->speed,
                                 .volume = f->volume,
                                 .length_m = g->length,
                                 .extra = f->extra,
                                 .npts = g->np,
                                 .lon = t->lon + g->p0,
                                 .lat = t->lat + g->p0};
    }
    free(k);
    return rc;
}

static void summarise(import_summary *sum, const roadtopo *t, store_put_outcome out)
{
    sum->segments = (int64_t)t->nsegs;
    sum->nodes = (int64_t)t->nnodes;
    for (size_t k = 0; k < t->nnodes; k++) {
        sum->junctions += t->degree[k] >= 3;
        sum->dead_ends += t->degree[k] == 1;
    }
    for (size_t i = 0; i < t->nsegs; i++)
        sum->km += t->segs[i].length / 1000;
    int64_t *n = out == STORE_PUT_INSERTED   ? &sum->loaded
                 : out == STORE_PUT_REPLACED ? &sum->replaced
                                             : &sum->unchanged;
    *n = sum->segments;
}

static hz_status write_roads(roads_ctx *c, const char *source, const roadtopo *t, char *err,
                             size_t errlen)
{
    size_t n = t->nnodes ? t->nnodes : 1, m = t->nsegs ? t->nsegs : 1;
    hz_road_node_rec *nodes = malloc(n * sizeof *nodes);
    hz_road_seg_rec *segs = malloc(m * sizeof *segs);
    char **ids = calloc(m, sizeof *ids);
    hz_status s = nodes && segs && ids && make_segs(c, t, segs, ids) == 0
                      ? HZ_OK
                      : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t k = 0; k < t->nnodes && s == HZ_OK; k++)
        nodes[k] = (hz_road_node_rec){.node = t->node_id[k],
                                      .degree = t->degree[k],
                                      .lon = t->node_lon[k],
                                      .lat = t->node_lat[k]};
    store_put_outcome out = STORE_PUT_INSERTED;
    if (s == HZ_OK)
        s = store_roads_put(c->st, source, t->nnodes, nodes, t->nsegs, segs, &out, err, errlen);
    if (s == HZ_OK) summarise(c->sum, t, out);
    for (size_t i = 0; ids && i < t->nsegs; i++)
        free(ids[i]);
    free(ids);
    free(segs);
    free(nodes);
    return s;
}

/* ---- the import ---- */

static void ctx_free(roads_ctx *c)
{
    for (size_t i = 0; i < c->nfeats; i++)
        feat_free(&c->feats[i]);
    free(c->feats);
    roadattr_free(&c->attrs);
    free(c->lines);
    free(c->lon);
    free(c->lat);
    import_crs_free(&c->crs);
}

/* Everything between the batch's start and its summary. */
static hz_status run(roads_ctx *c, GDALDatasetH ds, OGRLayerH ly, const char *source, char *err,
                     size_t errlen)
{
    hz_status s = read_layer(c, ds, ly, err, errlen);
    if (s == HZ_OK && c->sum->read == 0)
        s = hz_fail(HZ_EINVAL, err, errlen, "%s: no %sfeatures", c->path, c->osm ? "highway " : "");
    if (s == HZ_OK) s = reject_duplicates(c, err, errlen);
    roadtopo t = {0};
    if (s == HZ_OK) s = build_topology(c, &t, err, errlen);
    if (s == HZ_OK) s = topology_rejects(c, &t, err, errlen);
    if (s == HZ_OK) s = write_roads(c, source, &t, err, errlen);
    roadtopo_free(&t);
    return s;
}

static int is_osm(const char *path)
{
    GDALAllRegister();
    GDALDriverH d = GDALIdentifyDriverEx(path, GDAL_OF_VECTOR, NULL, NULL);
    return d && strcmp(GDALGetDriverShortName(d), "OSM") == 0;
}

static hz_status open_source(roads_ctx *c, GDALDatasetH *ds, OGRLayerH *ly, char *err,
                             size_t errlen)
{
    const import_roads_opts *o = c->o;
    c->osm = is_osm(c->path);
    hz_status s = import_ogr_open(c->path,
                                  o->layer ? o->layer
                                  : c->osm ? "lines"
                                           : NULL,
                                  1, ds, ly, err, errlen);
    if (s != HZ_OK) return s;
    const char *given[R_COUNT] = {o->id_field,    o->from_field,  o->to_field,
                                  o->name_field,  o->class_field, o->oneway_field,
                                  o->lanes_field, o->speed_field, o->volume_field};
    memcpy(c->role_given, given, sizeof given);
    c->given = o->from_field && o->to_field;
    s = check_fields(c, OGR_L_GetLayerDefn(*ly), err, errlen);
    if (s == HZ_OK) s = import_crs_open(c->path, *ly, o->srs, &c->crs, err, errlen);
    if (s != HZ_OK) {
        GDALClose(*ds);
        *ds = NULL;
    }
    return s;
}

hz_status import_roads(store *st, const char *path, const import_roads_opts *o, import_summary *sum,
                       char *err, size_t errlen)
{
    import_roads_opts none = {0};
    if (!o) o = &none;
    memset(sum, 0, sizeof *sum);
    if (!(o->snap_m == IMPORT_ROADS_SNAP_EXACT || (o->snap_m >= 0 && o->snap_m <= 1000)))
        return hz_fail(HZ_EINVAL, err, errlen, "snap distance %g m is not in 0..1000", o->snap_m);
    roads_ctx c = {.st = st, .sum = sum, .path = path, .o = o};
    GDALDatasetH ds;
    OGRLayerH ly;
    hz_status s = open_source(&c, &ds, &ly, err, errlen);
    if (s != HZ_OK) {
        ctx_free(&c);
        return s;
    }
    const char *base = strrchr(path, '/');
    const char *source = o->source ? o->source : base ? base + 1 : path;
    s = store_begin(st, err, errlen);
    if (s == HZ_OK) {
        s = store_batch_begin(st, "roads", path, &sum->batch_id, err, errlen);
        if (s == HZ_OK) s = run(&c, ds, ly, source, err, errlen);
        char *js = s == HZ_OK ? import_summary_json(sum) : NULL;
        if (s == HZ_OK)
            s = js ? store_batch_finish(st, sum->batch_id, js, err, errlen)
                   : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        free(js);
        if (s == HZ_OK)
            s = store_commit(st, err, errlen);
        else
            store_rollback(st);
    }
    GDALClose(ds);
    ctx_free(&c);
    return s;
}

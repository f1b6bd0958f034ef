/* incset.c - the in-memory snapshot of areas and incidents that analyses run on.
 *
 * The snapshot cache: DB.snapshot (snapfile.h) holds the incidents as loaded and projected here,
 * under a key naming everything they were computed from, so that a load whose key matches reads
 * one file instead of a million rows and their projection:
 *  - the data: the store's data identity (store_data_id(), renewed by every write) and version;
 *  - the working CRS as asked for ("auto" is resolved from the data, so it keys as well as a
 *    named one) and the version of PROJ that projected the points;
 *  - the areas' codes in order, since hz_incident.area indexes them;
 *  - the record layout: hz_incident's size and every field's offset.
 * The areas are few and always come from the store, in the same read transaction as the data
 * identity, so areas, key and incidents all describe one state of the database. Without a data
 * identity (an older store opened read-only) or a file path (an in-memory database), nothing is
 * cached. */
#include "hazmap/incset.h"
#include "hazmap/snapfile.h"
#include "hazmap/store_query.h"
#include "hazmap/wkb.h"
#include "hazmap/workcrs.h"

#include <xxhash.h>
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(hz_incident) == 64, "an incident is 64 bytes (README: the snapshot file)");

struct incset {
    hz_incident *items;
    size_t n, cap;
    hz_area *areas; /* sorted by code */
    size_t nareas, areacap;
    char srs[256];
    int64_t version;
    int64_t t_min, t_max;   /* first and last dated incident; INT64_MIN when none is dated */
    double pt_bb[4];        /* the located incidents' box; INFINITY, -INFINITY when none */
    int failed;             /* set by a callback when an allocation fails */
    int cached;             /* the incidents came from the snapshot file */
    _Atomic uint64_t scans; /* full passes over items (statistics; see incset.h) */
    pthread_mutex_t memo_mu;
    struct count_memo *memo; /* COUNT_MEMO_SLOTS slots, guarded by memo_mu */
    uint32_t *event;         /* per item its linked event (incset_set_events()), or NULL */
    size_t nevents;
    int64_t max_batch;    /* store_marks.max_batch in the load's read transaction */
    incset_source source; /* how the incidents were built (incset_source()) */
    size_t delta_rows;    /* INCSET_DELTA: the rows read */
};

/* The filter-count memo: a direct-mapped table keyed by the canonical filter (a colliding key
 * replaces the slot), so its memory is bounded by COUNT_MEMO_SLOTS keys. */
enum { COUNT_MEMO_SLOTS = 1024 };
typedef struct count_memo {
    char *key; /* NULL = empty */
    size_t n;
} count_memo;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int bbox_ring(void *ud, uint32_t polygon, uint32_t ring, size_t n, const double *xy)
{
    double *bb = ud;
    (void)polygon;
    (void)ring;
    for (size_t k = 0; k < n; k++) {
        bb[0] = fmin(bb[0], xy[2 * k]);
        bb[1] = fmin(bb[1], xy[2 * k + 1]);
        bb[2] = fmax(bb[2], xy[2 * k]);
        bb[3] = fmax(bb[3], xy[2 * k + 1]);
    }
    return 0;
}

/* Bounding box of a WKB (MULTI)POLYGON. Returns 0, -1 on malformed input, -2 out of memory. */
static int wkb_bbox(const unsigned char *wkb, size_t len, double bb[4])
{
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    int rc = wkb_polygon_rings(wkb, len, bbox_ring, bb);
    return rc == -2 ? -2 : rc ? -1 : 0;
}

static int area_cb(void *ud, const hz_area_rec *a)
{
    incset *s = ud;
    if (s->nareas == s->areacap) {
        size_t cap = s->areacap ? s->areacap * 2 : 32;
        hz_area *na = realloc(s->areas, cap * sizeof *na);
        if (!na) goto oom;
        s->areas = na;
        s->areacap = cap;
    }
    hz_area *d = &s->areas[s->nareas];
    memset(d, 0, sizeof *d);
    d->code = strdup(a->code);
    d->name = strdup(a->name);
    d->name_en = dup_or_null(a->name_en);
    d->level = strdup(a->level);
    d->parent_code = dup_or_null(a->parent_code);
    d->population = a->population;
    d->parent = -1;
    d->wkb = malloc(a->wkb_len ? a->wkb_len : 1);
    s->nareas++; /* counted now so that incset_free() releases a partial record */
    if (!d->code || !d->name || !d->level || !d->wkb || (a->name_en && !d->name_en) ||
        (a->parent_code && !d->parent_code))
        goto oom;
    memcpy(d->wkb, a->wkb, a->wkb_len);
    d->wkb_len = a->wkb_len;
    double bb[4];
    int bbrc = wkb_bbox(d->wkb, d->wkb_len, bb);
    if (bbrc == -2) goto oom; /* not a malformed area: an area without its box would be wrong */
    if (bbrc == 0) {
        d->minlon = bb[0];
        d->minlat = bb[1];
        d->maxlon = bb[2];
        d->maxlat = bb[3];
    }
    return 0;
oom:
    s->failed = 1;
    return 1;
}

int32_t incset_area_find(const incset *s, const char *code)
{
    size_t lo = 0, hi = s->nareas;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->areas[mid].code, code);
        if (c == 0) return (int32_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int incident_cb(void *ud, const hz_incident_rec *r)
{
    incset *s = ud;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        hz_incident *ni = realloc(s->items, cap * sizeof *ni);
        if (!ni) {
            s->failed = 1;
            return 1;
        }
        s->items = ni;
        s->cap = cap;
    }
    hz_incident *i = &s->items[s->n++];
    memset(i, 0, sizeof *i); /* the padding too: records are written to the cache file as bytes */
    i->id = r->id;
    i->lon = r->lon;
    i->lat = r->lat;
    i->x = i->y = NAN;
    i->t = r->t;
    i->area = r->area_code ? incset_area_find(s, r->area_code) : -1;
    i->mechanism = (uint8_t)r->mechanism;
    i->place = (uint8_t)r->place;
    i->intent = (uint8_t)r->intent;
    i->severity = (uint8_t)r->severity;
    i->sex = (uint8_t)r->sex;
    i->activity = (uint8_t)r->activity;
    i->outcome = (uint8_t)r->outcome;
    i->disability = (int8_t)r->disability;
    i->age = (int16_t)(r->age > 32767 ? 32767 : r->age);
    i->victims = (int16_t)(r->victims > 32767 ? 32767 : r->victims);
    return 0;
}

/* The point "auto" picks the working CRS by: the areas' centre, else the incidents' mean. */
static void work_centre(const incset *s, double *lon0_out, double *lat0_out)
{
    double lon0 = 0, lat0 = 0;
    if (s->nareas) {
        double bb[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (size_t i = 0; i < s->nareas; i++) {
            bb[0] = fmin(bb[0], s->areas[i].minlon);
            bb[1] = fmin(bb[1], s->areas[i].minlat);
            bb[2] = fmax(bb[2], s->areas[i].maxlon);
            bb[3] = fmax(bb[3], s->areas[i].maxlat);
        }
        lon0 = (bb[0] + bb[2]) / 2;
        lat0 = (bb[1] + bb[3]) / 2;
    } else if (s->n) {
        size_t np = 0;
        for (size_t i = 0; i < s->n; i++)
            np += hz_incident_has_point(&s->items[i]);
        for (size_t i = 0; i < s->n && np; i++) {
            if (!hz_incident_has_point(&s->items[i])) continue;
            lon0 += s->items[i].lon / (double)np;
            lat0 += s->items[i].lat / (double)np;
        }
    }
    *lon0_out = lon0;
    *lat0_out = lat0;
}

/* Projects the incidents at[0 .. n-1] (positions in s->items; NULL: all of them) into w's CRS,
 * in chunks to bound the scratch memory. */
static hz_status project_some(incset *s, workcrs *w, const size_t *at, size_t n, char *err,
                              size_t errlen)
{
    enum { CHUNK = 65536 };
    /* lon, lat in one block and x, y in another: with all four in one, clang's analyzer (make
     * analyze) takes the const lon and lat to keep the whole block as it was across
     * workcrs_forward() and reports x and y as unset */
    double *buf = malloc(2 * CHUNK * sizeof *buf), *xy = malloc(2 * CHUNK * sizeof *xy);
    if (!buf || !xy) {
        free(buf);
        free(xy);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    hz_status rc = HZ_OK;
    for (size_t start = 0; start < n && rc == HZ_OK; start += CHUNK) {
        size_t m = n - start < CHUNK ? n - start : CHUNK;
        double *lon = buf, *lat = buf + CHUNK, *x = xy, *y = xy + CHUNK;
        for (size_t k = 0; k < m; k++) { /* no point: projected as (0, 0), then NaN again */
            const hz_incident *it = &s->items[at ? at[start + k] : start + k];
            int p = hz_incident_has_point(it);
            lon[k] = p ? it->lon : 0;
            lat[k] = p ? it->lat : 0;
        }
        rc = workcrs_forward(w, m, lon, lat, x, y);
        for (size_t k = 0; k < m && rc == HZ_OK; k++) {
            hz_incident *it = &s->items[at ? at[start + k] : start + k];
            int p = hz_incident_has_point(it);
            it->x = p ? x[k] : NAN;
            it->y = p ? y[k] : NAN;
        }
    }
    if (rc != HZ_OK) hz_fail(rc, err, errlen, "projecting incidents to %s failed", s->srs);
    free(buf);
    free(xy);
    return rc;
}

/* Projects every incident into the working CRS. */
static hz_status project_all(incset *s, const char *work_srs, char *err, size_t errlen)
{
    double lon0, lat0;
    work_centre(s, &lon0, &lat0);
    workcrs *w = workcrs_new(work_srs, lon0, lat0, err, errlen);
    if (!w) return HZ_ECRS;
    snprintf(s->srs, sizeof s->srs, "%s", workcrs_srs(w));
    hz_status rc = project_some(s, w, NULL, s->n, err, errlen);
    workcrs_free(w);
    return rc;
}

/* The snapshot file of the database st, in path; 0, or -1 when there is none to use. A
 * SpatiaLite store's sits beside it (DB.snapshot); a PostGIS store has no file to sit beside, so
 * its is HAZMAP_SNAPSHOT_DIR/hazmap-H.snapshot when that variable names a directory, H the hash
 * of the store's (redacted) connection string: one file per database, replaced by each load from
 * the rows (the data id changes with every write; the key inside decides whether it matches). */
static int cache_path(store *st, char *path, size_t pathlen)
{
    const char *db = store_path(st);
    if (strcmp(store_backend_name(st), "spatialite") != 0) {
        const char *dir = getenv("HAZMAP_SNAPSHOT_DIR");
        if (!dir || !dir[0]) return -1;
        int len = snprintf(path, pathlen, "%s/hazmap-%016" PRIx64 ".snapshot", dir,
                           (uint64_t)XXH64(db, strlen(db), 0));
        return len > 0 && (size_t)len < pathlen ? 0 : -1;
    }
    if (!db[0] || strcmp(db, ":memory:") == 0 || strncmp(db, "file:", 5) == 0) return -1;
    int len = snprintf(path, pathlen, "%s.snapshot", db);
    return len > 0 && (size_t)len < pathlen ? 0 : -1;
}

/* The cache key of the incidents (see the top of this file); 0, or -1 when there is none. */
static int cache_key(const incset *s, store *st, const char *work_srs, char *key, size_t keylen)
{
    char id[STORE_DATA_ID_SIZE];
    if (store_data_id(st, id, sizeof id) != HZ_OK) return -1;
    uint64_t codes = 0;
    for (size_t i = 0; i < s->nareas; i++)
        codes = XXH64(s->areas[i].code, strlen(s->areas[i].code) + 1, codes);
    int len = snprintf(
        key, keylen,
        "hazmap incidents snapshot\nrecord " HZ_INCIDENT_FORMAT
        "\ndata_id %s\ndata_version %" PRId64 "\nwork_srs %s\nproj %s\n"
        "areas %zu %016" PRIx64 "\nhz_incident %zu: %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu"
        " %zu %zu %zu %zu %zu\n",
        id, s->version, work_srs ? work_srs : "auto", workcrs_proj_version(), s->nareas, codes,
        sizeof(hz_incident), offsetof(hz_incident, id), offsetof(hz_incident, lon),
        offsetof(hz_incident, lat), offsetof(hz_incident, x), offsetof(hz_incident, y),
        offsetof(hz_incident, t), offsetof(hz_incident, area), offsetof(hz_incident, mechanism),
        offsetof(hz_incident, place), offsetof(hz_incident, intent),
        offsetof(hz_incident, severity), offsetof(hz_incident, sex),
        offsetof(hz_incident, disability), offsetof(hz_incident, age),
        offsetof(hz_incident, victims), offsetof(hz_incident, activity),
        offsetof(hz_incident, outcome));
    return len > 0 && (size_t)len < keylen ? 0 : -1;
}

/* Takes the incidents from the snapshot file when its key matches; 1 if it did. The file's note
 * is the working CRS the points were projected to. Any mismatch is a miss, never an error. */
static int cache_load(incset *s, const char *path, const char *key)
{
    void *recs;
    size_t n;
    char why[256];
    if (snapfile_read(path, key, sizeof(hz_incident), &recs, &n, s->srs, sizeof s->srs, why,
                      sizeof why) != HZ_OK)
        return 0;
    const hz_incident *it = recs;
    for (size_t k = 0; k < n; k++) {
        if (it[k].area < -1 || it[k].area >= (int32_t)s->nareas) { /* a bug, not damage */
            free(recs);
            s->srs[0] = '\0';
            return 0;
        }
    }
    s->items = recs;
    s->n = s->cap = n;
    s->cached = 1;
    return 1;
}

/* Writes the snapshot file for the next load. Failure only costs that load the time this one
 * took (a read-only directory, a full disk), so it is not reported. */
static void cache_save(const incset *s, store *st, const char *path, const char *key)
{
    char err[256];
    snapfile_write(path, key, s->srs, s->items, sizeof(hz_incident), s->n, store_path(st), err,
                   sizeof err);
}

/* Reads the areas, sorted by code, and links each to its parent. */
static hz_status load_areas(incset *s, store *st, char *err, size_t errlen)
{
    if (store_areas_scan(st, area_cb, s, err, errlen) != HZ_OK || s->failed) return HZ_EDB;
    for (size_t i = 0; i < s->nareas; i++)
        if (s->areas[i].parent_code)
            s->areas[i].parent = incset_area_find(s, s->areas[i].parent_code);
    return HZ_OK;
}

/* The first and last dated incident (incset_study_period()) and the located incidents' box
 * (incset_extent()), one pass when the snapshot is built. */
static void time_span(incset *s)
{
    s->t_min = INT64_MAX;
    s->t_max = INT64_MIN;
    s->pt_bb[0] = s->pt_bb[1] = INFINITY;
    s->pt_bb[2] = s->pt_bb[3] = -INFINITY;
    for (size_t k = 0; k < s->n; k++) {
        const hz_incident *it = &s->items[k];
        if (hz_incident_has_point(it)) {
            s->pt_bb[0] = fmin(s->pt_bb[0], it->lon);
            s->pt_bb[1] = fmin(s->pt_bb[1], it->lat);
            s->pt_bb[2] = fmax(s->pt_bb[2], it->lon);
            s->pt_bb[3] = fmax(s->pt_bb[3], it->lat);
        }
        if (it->t == INT64_MIN) continue;
        if (it->t < s->t_min) s->t_min = it->t;
        if (it->t > s->t_max) s->t_max = it->t;
    }
    if (s->t_max == INT64_MIN) s->t_min = INT64_MIN;
}

/* incset_load() inside its read transaction. Sets key to the cache key (empty: nothing to
 * cache) and takes the incidents from the file at path (empty: none) when that matches it. */
static hz_status load_tx(incset *s, store *st, const char *work_srs, const char *path, char *key,
                         size_t keylen, char *err, size_t errlen)
{
    key[0] = '\0';
    if (store_data_version(st, &s->version) != HZ_OK)
        return hz_fail(HZ_EDB, err, errlen, "%s: cannot read the data version", store_path(st));
    if (load_areas(s, st, err, errlen) != HZ_OK) return HZ_EDB;
    store_marks m;
    if (store_incident_marks(st, 0, &m, err, errlen) != HZ_OK) return HZ_EDB;
    s->max_batch = m.max_batch;
    if (path[0] && cache_key(s, st, work_srs, key, keylen) != 0) key[0] = '\0';
    if (key[0] && cache_load(s, path, key)) return HZ_OK;
    if (store_incidents_scan(st, incident_cb, s, err, errlen) != HZ_OK || s->failed) return HZ_EDB;
    return project_all(s, work_srs, err, errlen);
}

/* An empty snapshot, or NULL with err set. */
static incset *incset_new(char *err, size_t errlen)
{
    incset *s = calloc(1, sizeof *s);
    count_memo *memo = calloc(COUNT_MEMO_SLOTS, sizeof *memo);
    if (!s || !memo) {
        free(s);
        free(memo);
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    s->memo = memo;
    s->pt_bb[0] = s->pt_bb[1] = INFINITY; /* no located incident until time_span() */
    s->pt_bb[2] = s->pt_bb[3] = -INFINITY;
    atomic_init(&s->scans, 0);
    pthread_mutex_init(&s->memo_mu, NULL);
    return s;
}

incset *incset_load(store *st, const char *work_srs, char *err, size_t errlen)
{
    incset *s = incset_new(err, errlen);
    if (!s) return NULL;
    if (store_query_read_begin(st, err, errlen) != HZ_OK) {
        incset_free(s);
        return NULL;
    }
    char path[4096], key[2048];
    if (cache_path(st, path, sizeof path) != 0) path[0] = '\0';
    hz_status rc = load_tx(s, st, work_srs, path, key, sizeof key, err, errlen);
    store_query_read_end(st);
    /* Written after the read transaction ends: the records in memory are final. */
    if (rc == HZ_OK && key[0] && !s->cached) cache_save(s, st, path, key);
    if (rc != HZ_OK) {
        if (s->failed) hz_fail(HZ_ENOMEM, err, errlen, "out of memory loading the snapshot");
        incset_free(s);
        return NULL;
    }
    time_span(s);
    s->source = s->cached ? INCSET_FILE : INCSET_ROWS;
    return s;
}

/* ---- the incremental reload (incset_reload()) ----
 *
 * The new snapshot is the old one with the rows written since it merged in, by id: a row whose id
 * the old one holds replaces it, a larger id is appended. store.h (store_marks) says why "id >
 * the old largest id or batch_id > the old largest batch" are all the rows written since, unless
 * a replacement outside a batch raised the horizon. Whatever else could differ from a full load
 * is compared, and any difference gives up (the caller then loads in full):
 *  - the areas, read again and compared field by field (hz_incident.area indexes them, and
 *    "auto" takes its working CRS from them);
 *  - the working CRS, chosen again from the merged data exactly as a full load chooses it;
 *  - the store's count and largest id against the merged ones: a deleted row, or a row that
 *    appeared below the old largest id, breaks them;
 *  - the data version: one that went back is another database.
 * The event map is not carried over: the loader attaches it from the store's links after each
 * load, as after a full one. */

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* 1 when the two snapshots' areas are the same, field by field. */
static int areas_equal(const incset *a, const incset *b)
{
    if (a->nareas != b->nareas) return 0;
    for (size_t i = 0; i < a->nareas; i++) {
        const hz_area *x = &a->areas[i], *y = &b->areas[i];
        if (!str_eq(x->code, y->code) || !str_eq(x->name, y->name) ||
            !str_eq(x->name_en, y->name_en) || !str_eq(x->level, y->level) ||
            !str_eq(x->parent_code, y->parent_code) || x->population != y->population ||
            x->wkb_len != y->wkb_len || memcmp(x->wkb, y->wkb, x->wkb_len) != 0)
            return 0;
    }
    return 1;
}

/* Merges old's items with the rows read into s->items (d of them, in id order) into one array
 * in id order, which replaces s->items; at[0 .. d-1] receives the rows' new positions. The runs
 * of old between two rows are copied whole: a commit of a few rows costs one copy of the array.
 * Returns 0, 1 when a row's id is below old's largest but not in old (give up), -1 out of
 * memory. */
static int merge_rows(incset *s, const incset *old, size_t *at)
{
    size_t d = s->n, n = 0, i = 0;
    hz_incident *m = malloc((old->n + d ? old->n + d : 1) * sizeof *m);
    if (!m) return -1;
    for (size_t j = 0; j < d; j++) {
        int64_t id = s->items[j].id;
        size_t lo = i, hi = old->n; /* the first of old[i ..] whose id is >= id */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (old->items[mid].id < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > i) memcpy(m + n, old->items + i, (lo - i) * sizeof *m); /* items NULL when empty */
        n += lo - i;
        i = lo;
        if (i < old->n && old->items[i].id == id) {
            i++; /* replaced */
        } else if (i < old->n) {
            free(m);
            return 1;
        }
        at[j] = n;
        m[n++] = s->items[j];
    }
    if (old->n > i) memcpy(m + n, old->items + i, (old->n - i) * sizeof *m);
    n += old->n - i;
    free(s->items);
    s->items = m;
    s->n = s->cap = n;
    return 0;
}

/* incset_reload() inside its read transaction: *usable = 0 when the snapshot must be loaded in
 * full instead (not an error). */
static hz_status reload_tx(incset *s, const incset *old, store *st, const char *work_srs,
                           const char *path, char *key, size_t keylen, int *usable, char *err,
                           size_t errlen)
{
    *usable = 0;
    key[0] = '\0';
    store_marks m;
    if (store_data_version(st, &s->version) != HZ_OK)
        return hz_fail(HZ_EDB, err, errlen, "%s: cannot read the data version", store_path(st));
    if (s->version < old->version) return HZ_OK;
    if (store_incident_marks(st, 1, &m, err, errlen) != HZ_OK) return HZ_EDB;
    if (m.horizon >= old->version || m.max_batch < old->max_batch) return HZ_OK;
    if (load_areas(s, st, err, errlen) != HZ_OK) return HZ_EDB;
    if (!areas_equal(s, old)) return HZ_OK;
    s->max_batch = m.max_batch;
    int64_t old_max = old->n ? old->items[old->n - 1].id : 0;
    /* No import batch since old: only new ids (store.h) */
    int64_t after_batch = m.max_batch == old->max_batch ? INT64_MAX : old->max_batch;
    if (store_incidents_scan_since(st, old_max, after_batch, incident_cb, s, err, errlen) !=
            HZ_OK ||
        s->failed)
        return HZ_EDB;
    s->delta_rows = s->n;
    size_t *at = malloc((s->n ? s->n : 1) * sizeof *at);
    if (!at) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    size_t d = s->n;
    int mr = merge_rows(s, old, at);
    hz_status rc = mr < 0 ? hz_fail(HZ_ENOMEM, err, errlen, "out of memory") : HZ_OK;
    if (mr == 0 && (int64_t)s->n == m.count && (s->n ? s->items[s->n - 1].id : 0) == m.max_id) {
        double lon0, lat0;
        work_centre(s, &lon0, &lat0);
        workcrs *w = workcrs_new(work_srs, lon0, lat0, err, errlen);
        if (!w) rc = HZ_ECRS;
        if (w && strcmp(workcrs_srs(w), old->srs) == 0) {
            snprintf(s->srs, sizeof s->srs, "%s", old->srs);
            rc = project_some(s, w, at, d, err, errlen);
            *usable = rc == HZ_OK;
        }
        workcrs_free(w);
    }
    free(at);
    if (*usable && path[0] && cache_key(s, st, work_srs, key, keylen) != 0) key[0] = '\0';
    return rc;
}

incset *incset_reload(const incset *old, store *st, const char *work_srs, char *err, size_t errlen)
{
    if (!old) return incset_load(st, work_srs, err, errlen);
    incset *s = incset_new(err, errlen);
    if (!s) return NULL;
    if (store_query_read_begin(st, err, errlen) != HZ_OK) {
        incset_free(s);
        return NULL;
    }
    char path[4096], key[2048];
    if (cache_path(st, path, sizeof path) != 0) path[0] = '\0';
    int usable = 0;
    hz_status rc = reload_tx(s, old, st, work_srs, path, key, sizeof key, &usable, err, errlen);
    store_query_read_end(st);
    if (rc != HZ_OK || !usable) {
        if (rc != HZ_OK && s->failed)
            hz_fail(HZ_ENOMEM, err, errlen, "out of memory loading the snapshot");
        incset_free(s);
        return rc == HZ_OK ? incset_load(st, work_srs, err, errlen) : NULL;
    }
    /* The records equal a full load's, so the next process may start from them. */
    if (key[0]) cache_save(s, st, path, key);
    time_span(s);
    s->source = INCSET_DELTA;
    return s;
}

incset_source incset_source_of(const incset *s, size_t *rows)
{
    if (rows) *rows = s->source == INCSET_DELTA ? s->delta_rows : 0;
    return s->source;
}

void incset_free(incset *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nareas; i++) {
        hz_area *a = &s->areas[i];
        free(a->code);
        free(a->name);
        free(a->name_en);
        free(a->level);
        free(a->parent_code);
        free(a->wkb);
    }
    free(s->areas);
    free(s->items);
    for (size_t k = 0; k < COUNT_MEMO_SLOTS; k++)
        free(s->memo[k].key);
    free(s->memo);
    free(s->event);
    pthread_mutex_destroy(&s->memo_mu);
    free(s);
}

size_t incset_count(const incset *s)
{
    return s->n;
}

const hz_incident *incset_items(const incset *s)
{
    return s->items;
}

size_t incset_area_count(const incset *s)
{
    return s->nareas;
}

const hz_area *incset_areas(const incset *s)
{
    return s->areas;
}

const char *incset_work_srs(const incset *s)
{
    return s->srs;
}

int64_t incset_data_version(const incset *s)
{
    return s->version;
}

int incset_cached(const incset *s)
{
    return s->cached;
}

/* Start of the local day (offset tz) containing t. */
static int64_t day_start(int64_t t, int tz)
{
    int64_t l = t + tz;
    int64_t d = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    return d * 86400 - tz;
}

double incset_study_period(const incset *s, const hz_filter *f, int64_t *from, int64_t *to)
{
    *from = *to = INT64_MIN;
    if (s->t_min == INT64_MIN) return 0;
    int64_t lo = day_start(s->t_min, f->tz_offset_s);
    int64_t hi = day_start(s->t_max, f->tz_offset_s) + 86400;
    if (f->from > lo) lo = f->from;
    if (f->to < hi) hi = f->to;
    if (hi <= lo) return 0;
    *from = lo;
    *to = hi;
    return (double)(hi - lo) / (365.25 * 86400.0);
}

int incset_area_within(const incset *s, int32_t a, int32_t anc)
{
    /* Parent chains are short (district > subdistrict > community); the bound guards cycles. */
    for (int depth = 0; a >= 0 && depth < 16; depth++) {
        if (a == anc) return 1;
        a = s->areas[a].parent;
    }
    return 0;
}

int incset_match(const incset *s, const hz_filter *f, int32_t area_idx, const hz_incident *i)
{
    if ((f->mechanisms || f->mech_intents) && !(f->mechanisms & (1u << i->mechanism)) &&
        !(f->mech_intents & (1u << i->intent)))
        return 0;
    if (f->places && !(f->places & (1u << i->place))) return 0;
    if (f->intents && !(f->intents & (1u << i->intent))) return 0;
    if (f->severities && !(f->severities & (1u << i->severity))) return 0;
    if (f->sexes && !(f->sexes & (1u << i->sex))) return 0;
    if (f->activities && !(f->activities & (1u << i->activity))) return 0;
    if (f->outcomes && !(f->outcomes & (1u << i->outcome))) return 0;
    if (f->from != INT64_MIN || f->to != INT64_MAX) {
        if (i->t == INT64_MIN || i->t < f->from || i->t >= f->to) return 0;
    }
    if (f->age_min >= 0 || f->age_max >= 0) {
        if (i->age < 0) return 0;
        if (f->age_min >= 0 && i->age < f->age_min) return 0;
        if (f->age_max >= 0 && i->age > f->age_max) return 0;
    }
    if (f->disability >= 0 && i->disability != f->disability) return 0;
    if (area_idx >= 0 && !incset_area_within(s, i->area, area_idx)) return 0;
    return 1;
}

void incset_set_events(incset *s, uint32_t *event, size_t nevents)
{
    for (size_t k = 0; event && k < s->n; k++)
        assert(event[k] < nevents);
    free(s->event);
    s->event = event;
    s->nevents = event ? nevents : 0;
}

const uint32_t *incset_events(const incset *s, size_t *nevents)
{
    *nevents = s->nevents;
    return s->event;
}

const char *incset_counted(const incset *s, const hz_filter *f)
{
    return s->event && !f->count_records ? "events" : "records";
}

/* The selection's pass: calls keep(ud, k) for each item k that incset_select() keeps and counts
 * the left-out ones into *without_point and *dups. Under event counting (s->event and not
 * f->count_records) an event is kept at its first located record that passes f, in item (id)
 * order; its other passing records are duplicates, and an event none of whose passing records
 * has a point counts once in without_point. Returns the number kept, or (size_t)-1 when memory
 * for the per-event marks runs out. */
static size_t select_pass(const incset *s, const hz_filter *f, int32_t area_idx,
                          void (*keep)(void *, size_t), void *ud, size_t *without_point,
                          size_t *dups)
{
    /* per event: 0 not seen, 1 kept, 2 seen only without a point */
    unsigned char *seen = NULL;
    if (s->event && !f->count_records && !(seen = calloc(s->nevents ? s->nevents : 1, 1)))
        return (size_t)-1;
    size_t n = 0, wp = 0, dup = 0;
    incset_note_scan(s);
    for (size_t k = 0; k < s->n; k++) {
        const hz_incident *i = &s->items[k];
        if (!incset_match(s, f, area_idx, i)) continue;
        int located = isfinite(i->x) != 0; /* NaN: area-only (or PROJ could not place it) */
        unsigned char *m = seen ? &seen[s->event[k]] : NULL;
        if (m && *m == 1) {
            dup++;
            continue;
        }
        if (!located) {
            if (m && *m == 2)
                dup++;
            else
                wp++;
            if (m) *m = 2;
            continue;
        }
        if (m && *m == 2) { /* the event's earlier records had no point: they become duplicates */
            wp--;
            dup++;
        }
        if (m) *m = 1;
        if (keep) keep(ud, k);
        n++;
    }
    free(seen);
    *without_point = wp;
    *dups = dup;
    /* every incident passing f is a point, left out without one, or a duplicate: once each */
    assert(n + wp + dup <= s->n);
    return n;
}

typedef struct select_ctx {
    const incset *s;
    const hz_filter *f;
    hz_points *out;
} select_ctx;

static void select_keep(void *ud, size_t k)
{
    select_ctx *c = ud;
    const hz_incident *i = &c->s->items[k];
    size_t n = c->out->n++;
    c->out->x[n] = i->x;
    c->out->y[n] = i->y;
    c->out->w[n] = filter_weight(c->f, i->severity);
    c->out->idx[n] = (uint32_t)k;
}

hz_status incset_select(const incset *s, const hz_filter *f, hz_points *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    int32_t area_idx = -1;
    if (f->area[0] && (area_idx = incset_area_find(s, f->area)) < 0)
        return hz_fail(HZ_EINVAL, err, errlen, "area: no area with code '%s'", f->area);
    size_t cap = s->n ? s->n : 1;
    out->x = malloc(cap * sizeof *out->x);
    out->y = malloc(cap * sizeof *out->y);
    out->w = malloc(cap * sizeof *out->w);
    out->idx = malloc(cap * sizeof *out->idx);
    if (!out->x || !out->y || !out->w || !out->idx) {
        hz_points_free(out);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    select_ctx c = {s, f, out};
    size_t n =
        select_pass(s, f, area_idx, select_keep, &c, &out->without_point, &out->linked_duplicates);
    if (n == (size_t)-1) {
        hz_points_free(out);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    assert(n == out->n);
    out->counted = incset_counted(s, f);
    return HZ_OK;
}

void hz_points_free(hz_points *p)
{
    free(p->x);
    free(p->y);
    free(p->w);
    free(p->idx);
    memset(p, 0, sizeof *p);
}

void incset_note_scan(const incset *s)
{
    /* The counter is the one mutable member of a shared snapshot; s was allocated non-const. */
    atomic_fetch_add_explicit(&((incset *)s)->scans, 1, memory_order_relaxed);
}

uint64_t incset_scans(const incset *s)
{
    return atomic_load_explicit(&((incset *)s)->scans, memory_order_relaxed);
}

static size_t memo_slot(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % COUNT_MEMO_SLOTS);
}

hz_status incset_filter_count(const incset *s, const hz_filter *f, size_t *n, char *err,
                              size_t errlen)
{
    incset *m = (incset *)s; /* the memo is the snapshot's other mutable member */
    char key[1024];
    int cacheable = filter_canonical(f, key, sizeof key) < (int)sizeof key;
    size_t slot = memo_slot(key);
    if (cacheable) {
        pthread_mutex_lock(&m->memo_mu);
        int hit = m->memo[slot].key && strcmp(m->memo[slot].key, key) == 0;
        if (hit) *n = m->memo[slot].n;
        pthread_mutex_unlock(&m->memo_mu);
        if (hit) return HZ_OK;
    }
    int32_t area_idx = -1;
    if (f->area[0] && (area_idx = incset_area_find(s, f->area)) < 0)
        return hz_fail(HZ_EINVAL, err, errlen, "area: no area with code '%s'", f->area);
    size_t wp, dups, count = select_pass(s, f, area_idx, NULL, NULL, &wp, &dups);
    if (count == (size_t)-1) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    *n = count;
    char *dup = cacheable ? strdup(key) : NULL;
    if (!dup) return HZ_OK; /* counted; just not remembered */
    pthread_mutex_lock(&m->memo_mu);
    free(m->memo[slot].key);
    m->memo[slot].key = dup;
    m->memo[slot].n = count;
    pthread_mutex_unlock(&m->memo_mu);
    return HZ_OK;
}

void incset_time_span(const incset *s, int64_t *first, int64_t *last)
{
    *first = s->t_min;
    *last = s->t_max;
}

int incset_areas_box(const incset *s, double bb[4])
{
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    for (size_t i = 0; i < s->nareas; i++) {
        const hz_area *a = &s->areas[i];
        bb[0] = fmin(bb[0], a->minlon);
        bb[1] = fmin(bb[1], a->minlat);
        bb[2] = fmax(bb[2], a->maxlon);
        bb[3] = fmax(bb[3], a->maxlat);
    }
    return s->nareas > 0;
}

void incset_extent(const incset *s, double bb[4])
{
    if (incset_areas_box(s, bb) || incset_points_box(s, bb)) return;
    bb[0] = -180;
    bb[1] = -90;
    bb[2] = 180;
    bb[3] = 90;
}

int incset_points_box(const incset *s, double bb[4])
{
    memcpy(bb, s->pt_bb, sizeof s->pt_bb);
    return isfinite(bb[0]);
}

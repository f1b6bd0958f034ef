/* import_incidents.c - loading incidents from CSV (csv.h) or OGR vector files into the store.
 *
 * Pipeline per row: fields by role (from the options, the mapping file's column rules, then the
 * column names) -> the point (lon/lat columns, a WKT column or the OGR geometry) -> the rules of
 * normalise.h (coordinates reprojected with OGR/PROJ through its transform hook, GCJ-02/BD-09,
 * time, vocabularies, ranges, area) -> the remaining columns as a JSON object in `extra` ->
 * store_bulk_put(). A row that fails is recorded with store_reject_add() with the normaliser's
 * reason for its first problem, and the import goes on. */
#include "hazmap/import.h"
#include "import_ogr.h"
#include "hazmap/areaindex.h"
#include "hazmap/chinacrs.h"
#include "hazmap/csv.h"
#include "hazmap/hztime.h"
#include "hazmap/normalise.h"
#include "hazmap/store_bulk.h"
#include "hazmap/vocabmap.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* GDAL's cpl_port.h tests __clang_major__ without defining it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#pragma GCC diagnostic pop
#include <jansson.h>

/* How many rejected rows are printed to the log; all are stored. */
#define LOG_REJECTS 10

enum role {
    R_EXTRA,
    R_ID,
    R_TIME,
    R_TIME2,
    R_LON,
    R_LAT,
    R_WKT,
    R_MECH,
    R_PLACE,
    R_INTENT,
    R_SEV,
    R_VICTIMS,
    R_AGE,
    R_SEX,
    R_DIS,
    R_DESC,
    R_ACT,
    R_OUTCOME,
    R_NATURE,
    R_BODY,
    R_ICD10,
    R_AREA,
    R_COUNT
};

/* The store field each role fills; also the column names recognised without options. */
static const char *const role_field[R_COUNT] = {
    NULL,       "id",      "occurred_at", "time2",     "lon",   "lat", "wkt",        "mechanism",
    "place",    "intent",  "severity",    "victims",   "age",   "sex", "disability", "description",
    "activity", "outcome", "nature",      "body_part", "icd10", "area"};

/* Common spellings of coordinate columns, matched case-insensitively. */
static const char *const lon_names[] = {"lon", "lng", "long", "longitude", "x", "easting", NULL};
static const char *const lat_names[] = {"lat", "latitude", "y", "northing", NULL};
static const char *const wkt_names[] = {"wkt", "geom", "geometry", "the_geom", NULL};

typedef struct inc_ctx {
    store *st;
    store_bulk *bulk;
    areaindex *ai;
    vocabmap *vm;
    const import_opts *o;
    import_summary *sum;
    const char *path;
    char *source;
    int tz;
    chinacrs_kind ck;
    OGRSpatialReferenceH src_srs, wgs84;
    OGRCoordinateTransformationH ct; /* NULL: coordinates are already WGS84 lon/lat */
    size_t ncols;
    char **names;
    int *role;
    int col[R_COUNT]; /* column of each role, -1 if none */
    int default_mech, default_intent;
    norm_opts norm; /* the rules, set up with the CRS (setup_norm) */
    int has_extra;
    int nlogged;
    const char *enc;       /* the CSV's encoding as read (csv_encoding()); NULL for OGR sources */
    struct pipe_batch *pb; /* reader thread: the batch being filled; NULL when writing directly */
} inc_ctx;

/* ---- summary ---- */

void import_count_reason(import_summary *sum, const char *kind)
{
    sum->rejected++;
    for (int i = 0; i < sum->nreasons; i++)
        if (strcmp(sum->reason[i], kind) == 0) {
            sum->reason_count[i]++;
            return;
        }
    int i;
    if (sum->nreasons < IMPORT_MAX_REASONS - 1) {
        i = sum->nreasons++;
        snprintf(sum->reason[i], sizeof sum->reason[i], "%s", kind);
        sum->reason_count[i] = 0;
    } else {
        /* the last slot gathers the kinds beyond the table */
        i = IMPORT_MAX_REASONS - 1;
        if (sum->nreasons < IMPORT_MAX_REASONS) {
            sum->nreasons++;
            snprintf(sum->reason[i], sizeof sum->reason[i], "other");
            sum->reason_count[i] = 0;
        }
    }
    sum->reason_count[i]++;
}

char *import_summary_json(const import_summary *sum)
{
    json_t *o = json_object(), *r = json_object();
    if (!o || !r) {
        json_decref(o);
        json_decref(r);
        return NULL;
    }
    json_object_set_new(o, "read", json_integer(sum->read));
    json_object_set_new(o, "loaded", json_integer(sum->loaded));
    json_object_set_new(o, "replaced", json_integer(sum->replaced));
    json_object_set_new(o, "unchanged", json_integer(sum->unchanged));
    json_object_set_new(o, "rejected", json_integer(sum->rejected));
    json_object_set_new(o, "outside", json_integer(sum->outside));
    json_object_set_new(o, "area_only", json_integer(sum->area_only));
    json_object_set_new(o, "area_mismatch", json_integer(sum->area_mismatch));
    if (sum->segments > 0 || sum->nodes > 0) {
        json_object_set_new(o, "segments", json_integer(sum->segments));
        json_object_set_new(o, "nodes", json_integer(sum->nodes));
        json_object_set_new(o, "junctions", json_integer(sum->junctions));
        json_object_set_new(o, "dead_ends", json_integer(sum->dead_ends));
        json_object_set_new(o, "km", json_real(sum->km));
    }
    for (int i = 0; i < sum->nreasons; i++)
        json_object_set_new(r, sum->reason[i], json_integer(sum->reason_count[i]));
    json_object_set_new(o, "rejected_by_reason", r);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* ---- small parsers ---- */

static int is_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

/* ---- rejects ---- */

static hz_status reject(inc_ctx *c, int64_t line, const char *raw, size_t rawlen, const char *kind,
                        char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* Counts, logs and stores one rejected row (on the thread that owns the store). */
static hz_status record_reject(inc_ctx *c, int64_t line, const char *raw, size_t rawlen,
                               const char *kind, const char *reason, char *err, size_t errlen)
{
    import_count_reason(c->sum, kind);
    if (c->o->log && c->nlogged < LOG_REJECTS) {
        /* reason is "line N: why"; the log says "FILE:N: why" */
        const char *why = strstr(reason, ": ");
        fprintf(c->o->log, "%s:%lld: %s\n", c->path, (long long)line, why ? why + 2 : reason);
        c->nlogged++;
    }
    char *r = malloc(rawlen + 1);
    if (!r) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (raw) memcpy(r, raw, rawlen);
    r[rawlen] = 0;
    hz_status s = store_reject_add(c->st, c->sum->batch_id, line, r, reason, err, errlen);
    free(r);
    return s;
}

static hz_status pipe_add_reject(inc_ctx *c, int64_t line, const char *raw, size_t rawlen,
                                 const char *kind, const char *reason, char *err, size_t errlen);

static hz_status reject(inc_ctx *c, int64_t line, const char *raw, size_t rawlen, const char *kind,
                        char *err, size_t errlen, const char *fmt, ...)
{
    char msg[512], reason[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(reason, sizeof reason, "line %lld: %s", (long long)line, msg);
    if (c->pb) return pipe_add_reject(c, line, raw, rawlen, kind, reason, err, errlen);
    return record_reject(c, line, raw, rawlen, kind, reason, err, errlen);
}

/* ---- geometry ---- */

/* What a geometry (a WKT column or the OGR feature's own) says about the point. */
typedef struct geom_in {
    int present; /* 0: take coordinates from the lon/lat columns */
    norm_geom kind;
    const char *type_name; /* NORM_GEOM_OTHER: static text (OGR's names are static) */
    double x, y;
} geom_in;

/* Reads an OGR geometry into g; geom may be NULL (no geometry). */
static void ogr_geom_in(OGRGeometryH geom, geom_in *g)
{
    memset(g, 0, sizeof *g);
    g->present = 1;
    if (!geom) {
        g->kind = NORM_GEOM_NONE;
    } else if (OGR_G_IsEmpty(geom)) {
        g->kind = NORM_GEOM_EMPTY;
    } else if (wkbFlatten(OGR_G_GetGeometryType(geom)) != wkbPoint) {
        g->kind = NORM_GEOM_OTHER;
        g->type_name = OGR_G_GetGeometryName(geom);
    } else {
        g->kind = NORM_GEOM_POINT;
        g->x = OGR_G_GetX(geom, 0);
        g->y = OGR_G_GetY(geom, 0);
    }
}

/* WKT POINT: the fast path for "POINT (x y)" and "POINT EMPTY"; anything else through OGR. */
static void parse_wkt(const char *s, geom_in *g)
{
    memset(g, 0, sizeof *g);
    g->present = 1;
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    if (strncasecmp(p, "POINT", 5) == 0) {
        const char *q = p + 5;
        while (isspace((unsigned char)*q))
            q++;
        if (strncasecmp(q, "EMPTY", 5) == 0 && is_blank(q + 5)) {
            g->kind = NORM_GEOM_EMPTY;
            return;
        }
        if (*q == '(') {
            char *end;
            g->x = strtod(q + 1, &end);
            if (end != q + 1) {
                const char *r = end;
                g->y = strtod(r, &end);
                if (end != r) {
                    while (isspace((unsigned char)*end))
                        end++;
                    g->kind = NORM_GEOM_POINT;
                    if (*end == ')' && is_blank(end + 1)) return;
                }
            }
        }
    }
    OGRGeometryH geom = NULL;
    char *w = (char *)s;
    if (OGR_G_CreateFromWkt(&w, NULL, &geom) != OGRERR_NONE || !geom) {
        g->kind = NORM_GEOM_OTHER;
        g->type_name = "unreadable WKT";
        return;
    }
    ogr_geom_in(geom, g);
    if (g->kind == NORM_GEOM_OTHER && !g->type_name) g->type_name = "?";
    OGR_G_DestroyGeometry(geom);
}

/* ---- writing rows, directly or through the reader thread ---- */

/* Stores one prepared incident and counts the outcome (on the thread that owns the store). */
static hz_status apply_row(inc_ctx *c, const hz_incident_rec *r, int mismatch, char *err,
                           size_t errlen)
{
    if (!r->area_code) c->sum->outside++;
    if (!hz_rec_has_point(r)) c->sum->area_only++;
    c->sum->area_mismatch += mismatch;
    store_put_outcome out;
    hz_status s = store_bulk_put(c->bulk, r, c->sum->batch_id, &out, err, errlen);
    if (s != HZ_OK) return s;
    if (out == STORE_PUT_INSERTED)
        c->sum->loaded++;
    else if (out == STORE_PUT_REPLACED)
        c->sum->replaced++;
    else
        c->sum->unchanged++;
    return HZ_OK;
}

/* apply_row() for n rows at once (multi-row INSERTs into a fresh table). */
static hz_status apply_rows(inc_ctx *c, const hz_incident_rec *const *recs, size_t n,
                            store_put_outcome *outs, char *err, size_t errlen)
{
    hz_status s = store_bulk_put_many(c->bulk, recs, n, c->sum->batch_id, outs, err, errlen);
    if (s != HZ_OK) return s;
    for (size_t i = 0; i < n; i++) {
        if (!recs[i]->area_code) c->sum->outside++;
        if (!hz_rec_has_point(recs[i])) c->sum->area_only++;
        if (outs[i] == STORE_PUT_INSERTED)
            c->sum->loaded++;
        else if (outs[i] == STORE_PUT_REPLACED)
            c->sum->replaced++;
        else
            c->sum->unchanged++;
    }
    return HZ_OK;
}

/* The CSV path runs two threads: a reader that parses, converts, maps and locates rows (all
 * read-only on shared state: vocabmap, areaindex, the header), and the caller's thread that owns
 * the store connection and writes them. Rows travel in batches whose strings live in one arena
 * (offsets, since the arena may move); batches are recycled through a free list, so at most
 * PIPE_BATCHES are alive. Order is kept: one reader, one FIFO. */
#define PIPE_ROWS 4096
#define PIPE_BATCHES 3
#define NO_STR SIZE_MAX

typedef struct pipe_item {
    int reject;
    int64_t line;
    hz_incident_rec r;           /* string members are rebased from the offsets below */
    int area_mismatch;           /* norm_out.area_mismatch */
    size_t sid, at, desc, extra; /* arena offsets of the row's strings, or NO_STR */
    size_t raw, raw_len, reason; /* rejected rows */
    const char *kind;            /* static text */
} pipe_item;

typedef struct pipe_batch {
    pipe_item *items;
    size_t n;
    char *arena;
    size_t alen, acap;
    int last;         /* the reader's final batch */
    hz_status status; /* the reader's failure, if any */
    char err[512];
} pipe_batch;

typedef struct row_pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pipe_batch b[PIPE_BATCHES];
    int full[PIPE_BATCHES], nfull; /* FIFO of filled batches */
    int freeb[PIPE_BATCHES], nfree;
    int stop; /* the writer gave up: the reader stops */
    inc_ctx *c;
    csv_reader *rd;
} row_pipe;

static size_t arena_put(pipe_batch *b, const char *s, size_t len)
{
    if (!s) return NO_STR;
    if (b->alen + len + 1 > b->acap) {
        size_t n = b->acap ? b->acap : 1 << 16;
        while (n < b->alen + len + 1)
            n *= 2;
        char *a = realloc(b->arena, n);
        if (!a) return NO_STR - 1;
        b->arena = a;
        b->acap = n;
    }
    size_t off = b->alen;
    memcpy(b->arena + off, s, len);
    b->arena[off + len] = 0;
    b->alen += len + 1;
    return off;
}

static size_t arena_str(pipe_batch *b, const char *s)
{
    return arena_put(b, s, s ? strlen(s) : 0);
}

static hz_status pipe_add_row(inc_ctx *c, const hz_incident_rec *r, int mismatch, char *err,
                              size_t errlen)
{
    pipe_batch *b = c->pb;
    pipe_item *it = &b->items[b->n];
    memset(it, 0, sizeof *it);
    it->r = *r;
    it->area_mismatch = mismatch;
    it->line = 0;
    it->sid = arena_str(b, r->source_id);
    it->at = arena_str(b, r->occurred_at);
    it->desc = arena_str(b, r->description);
    it->extra = arena_str(b, r->extra);
    if (it->sid == NO_STR - 1 || it->at == NO_STR - 1 || it->desc == NO_STR - 1 ||
        it->extra == NO_STR - 1)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    b->n++;
    return HZ_OK;
}

static hz_status pipe_add_reject(inc_ctx *c, int64_t line, const char *raw, size_t rawlen,
                                 const char *kind, const char *reason, char *err, size_t errlen)
{
    pipe_batch *b = c->pb;
    pipe_item *it = &b->items[b->n];
    memset(it, 0, sizeof *it);
    it->reject = 1;
    it->line = line;
    it->kind = kind;
    it->raw = arena_put(b, raw ? raw : "", raw ? rawlen : 0);
    it->raw_len = raw ? rawlen : 0;
    it->reason = arena_str(b, reason);
    if (it->raw == NO_STR - 1 || it->reason == NO_STR - 1)
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    b->n++;
    return HZ_OK;
}

struct geom_in;
static hz_status do_row(inc_ctx *c, char **vals, size_t n, int64_t line, const char *raw,
                        size_t rawlen, const struct geom_in *gin, char *err, size_t errlen);
static hz_status csv_record_row(inc_ctx *c, hz_status r, const csv_record *rec, const char *msg,
                                char *err, size_t errlen);

/* The reader thread: fills batches until the end of the file, an error, or stop. */
static void *pipe_reader(void *ud)
{
    row_pipe *p = ud;
    inc_ctx c = *p->c; /* its own copy: pb differs; everything else is shared read-only */
    int done = 0;
    while (!done) {
        pthread_mutex_lock(&p->mu);
        while (p->nfree == 0 && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pipe_batch *b = &p->b[p->freeb[--p->nfree]];
        pthread_mutex_unlock(&p->mu);
        b->n = 0;
        b->alen = 0;
        b->last = 0;
        b->status = HZ_OK;
        c.pb = b;
        while (b->n < PIPE_ROWS) {
            csv_record rec;
            char msg[512];
            hz_status r = csv_next(p->rd, &rec, msg, sizeof msg);
            if (r == HZ_ENOTFOUND) {
                done = 1;
                break;
            }
            hz_status s = csv_record_row(&c, r, &rec, msg, b->err, sizeof b->err);
            if (s != HZ_OK) {
                b->status = s;
                done = 1;
                break;
            }
        }
        b->last = done;
        pthread_mutex_lock(&p->mu);
        p->full[p->nfull++] = (int)(b - p->b);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static const char *rebase(const pipe_batch *b, size_t off)
{
    return off == NO_STR ? NULL : b->arena + off;
}

/* Runs the reader thread over rd and writes what it prepares. */
static hz_status pipe_run(inc_ctx *c, csv_reader *rd, char *err, size_t errlen)
{
    row_pipe p;
    memset(&p, 0, sizeof p);
    p.c = c;
    p.rd = rd;
    hz_status s = HZ_OK;
    for (int i = 0; i < PIPE_BATCHES; i++) {
        if (!(p.b[i].items = malloc(PIPE_ROWS * sizeof *p.b[i].items)))
            s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        p.freeb[p.nfree++] = i;
    }
    const hz_incident_rec **recs = malloc(PIPE_ROWS * sizeof *recs);
    store_put_outcome *outs = malloc(PIPE_ROWS * sizeof *outs);
    if (!recs || !outs) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    pthread_t th;
    if (s == HZ_OK) {
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.cv, NULL);
        if (pthread_create(&th, NULL, pipe_reader, &p) != 0) {
            s = hz_fail(HZ_ENOMEM, err, errlen, "cannot start the reader thread");
            pthread_mutex_destroy(&p.mu);
            pthread_cond_destroy(&p.cv);
        } else {
            int last = 0;
            while (!last) {
                pthread_mutex_lock(&p.mu);
                while (p.nfull == 0)
                    pthread_cond_wait(&p.cv, &p.mu);
                int bi = p.full[0];
                memmove(p.full, p.full + 1, (size_t)(--p.nfull) * sizeof *p.full);
                pthread_mutex_unlock(&p.mu);
                pipe_batch *b = &p.b[bi];
                size_t i = 0;
                while (i < b->n && s == HZ_OK) {
                    pipe_item *it = &b->items[i];
                    if (it->reject) {
                        c->sum->read++;
                        s = record_reject(c, it->line, rebase(b, it->raw), it->raw_len, it->kind,
                                          rebase(b, it->reason), err, errlen);
                        i++;
                        continue;
                    }
                    /* the run of rows up to the next rejected one, written together */
                    size_t nr = 0;
                    for (; i < b->n && !b->items[i].reject; i++) {
                        pipe_item *r = &b->items[i];
                        r->r.source_id = rebase(b, r->sid);
                        r->r.occurred_at = rebase(b, r->at);
                        r->r.description = rebase(b, r->desc);
                        r->r.extra = rebase(b, r->extra);
                        c->sum->area_mismatch += r->area_mismatch;
                        recs[nr++] = &r->r;
                    }
                    c->sum->read += (int64_t)nr;
                    s = apply_rows(c, recs, nr, outs, err, errlen);
                }
                if (s == HZ_OK && b->status != HZ_OK)
                    s = hz_fail(b->status, err, errlen, "%s", b->err);
                last = b->last;
                pthread_mutex_lock(&p.mu);
                p.freeb[p.nfree++] = bi;
                if (s != HZ_OK) p.stop = 1;
                pthread_cond_broadcast(&p.cv);
                pthread_mutex_unlock(&p.mu);
                if (s != HZ_OK) break;
            }
            pthread_join(th, NULL);
            pthread_mutex_destroy(&p.mu);
            pthread_cond_destroy(&p.cv);
        }
    }
    for (int i = 0; i < PIPE_BATCHES; i++) {
        free(p.b[i].items);
        free(p.b[i].arena);
    }
    free(recs);
    free(outs);
    return s;
}

/* ---- one row ---- */

/* 1: s is well-formed UTF-8 (RFC 3629 / Unicode 15 table 3-7: no overlong forms, no surrogates,
 * nothing above U+10FFFF), the same rule jansson applies to JSON strings. */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        int n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        if (p[1] < lo || p[1] > hi) return 0;
        for (int k = 2; k <= n; k++)
            if (p[k] < 0x80 || p[k] > 0xBF) return 0;
        p += n + 1;
    }
    return 1;
}

/* The field each column role fills in a norm_in (-1: none). */
static const int role_norm[R_COUNT] = {[R_EXTRA] = -1,
                                       [R_ID] = NORM_ID,
                                       [R_TIME] = NORM_TIME,
                                       [R_TIME2] = NORM_TIME2,
                                       [R_LON] = NORM_LON,
                                       [R_LAT] = NORM_LAT,
                                       [R_WKT] = -1,
                                       [R_MECH] = NORM_MECHANISM,
                                       [R_PLACE] = NORM_PLACE,
                                       [R_INTENT] = NORM_INTENT,
                                       [R_SEV] = NORM_SEVERITY,
                                       [R_VICTIMS] = NORM_VICTIMS,
                                       [R_AGE] = NORM_AGE,
                                       [R_SEX] = NORM_SEX,
                                       [R_DIS] = NORM_DISABILITY,
                                       [R_DESC] = NORM_DESCRIPTION,
                                       [R_ACT] = NORM_ACTIVITY,
                                       [R_OUTCOME] = NORM_OUTCOME,
                                       [R_NATURE] = NORM_NATURE,
                                       [R_BODY] = NORM_BODY_PART,
                                       [R_ICD10] = NORM_ICD10,
                                       [R_AREA] = NORM_AREA};

/* Rejects a row for the normaliser's problem: "line N: reason", and where the column that held
 * the field has another name than the field, " (column 'NAME')". */
static hz_status reject_problem(inc_ctx *c, int64_t line, const char *raw, size_t rawlen,
                                const norm_problem *p, char *err, size_t errlen)
{
    const char *col = NULL;
    for (int r = 1; r < R_COUNT; r++)
        if (role_norm[r] == (int)p->field && c->col[r] >= 0) col = c->names[c->col[r]];
    if (col && strcmp(col, norm_field_name(p->field)) == 0) col = NULL;
    return reject(c, line, raw, rawlen, p->kind, err, errlen, "%s%s%s%s", p->reason,
                  col ? " (column '" : "", col ? col : "", col ? "')" : "");
}

/* The point of a row: the geometry given (OGR), else the WKT column, else the lon/lat columns
 * (as text, already in in->text). */
static void row_geometry(const inc_ctx *c, char **vals, const geom_in *gin, norm_in *in)
{
    geom_in g = {0};
    if (gin && gin->present) {
        g = *gin;
    } else if (c->col[R_WKT] >= 0) {
        if (is_blank(vals[c->col[R_WKT]]))
            g.kind = NORM_GEOM_NONE;
        else
            parse_wkt(vals[c->col[R_WKT]], &g);
    } else if (c->col[R_LON] < 0 || c->col[R_LAT] < 0) {
        g.kind = NORM_GEOM_NONE;
    } else {
        g.kind = NORM_GEOM_TEXT;
    }
    in->geom = g.kind;
    in->geom_type = g.type_name;
    in->x = g.x;
    in->y = g.y;
}

/* The columns without a role, as a JSON object (NULL when there are none); *oom on failure. */
static char *row_extra(const inc_ctx *c, char **vals, size_t n, int *oom)
{
    *oom = 0;
    if (!c->has_extra) return NULL;
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < n; i++) {
        if (c->role[i] != R_EXTRA || !vals[i][0]) continue;
        json_t *sv = json_string(vals[i]); /* valid UTF-8 (checked by do_row) */
        if (!sv || json_object_set_new(obj, c->names[i], sv) != 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    char *extra = obj && json_object_size(obj) > 0 ? json_dumps(obj, JSON_COMPACT) : NULL;
    *oom = !obj || (json_object_size(obj) > 0 && !extra);
    json_decref(obj);
    return extra;
}

static hz_status do_row(inc_ctx *c, char **vals, size_t n, int64_t line, const char *raw,
                        size_t rawlen, const geom_in *gin, char *err, size_t errlen)
{
    if (n != c->ncols)
        return reject(c, line, raw, rawlen, "wrong number of fields", err, errlen,
                      "%zu fields where the header has %zu", n, c->ncols);
    /* Every field, before any other check: stored text (id, description, time, vocabulary
     * values, extra columns) must be UTF-8, and so must the values quoted in reject reasons. */
    for (size_t i = 0; i < n; i++)
        if (!utf8_valid(vals[i]))
            return reject(c, line, raw, rawlen, "invalid UTF-8", err, errlen,
                          "column '%s' is not valid %s text (give --encoding, e.g. gb18030, or "
                          "save the file as UTF-8)",
                          c->names[i], c->enc ? c->enc : "UTF-8");
    norm_in in = {.source = c->source};
    for (int r = 1; r < R_COUNT; r++)
        if (role_norm[r] >= 0 && c->col[r] >= 0) in.text[role_norm[r]] = vals[c->col[r]];
    char idbuf[32];
    if (c->col[R_ID] < 0) { /* no id column: the line (feature) number */
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)line);
        in.text[NORM_ID] = idbuf;
    }
    row_geometry(c, vals, gin, &in);
    norm_out out;
    if (norm_incident(&c->norm, &in, &out) > 0)
        return reject_problem(c, line, raw, rawlen, &out.problem[0], err, errlen);
    int oom;
    char *extra = row_extra(c, vals, n, &oom);
    if (oom) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    out.rec.extra = extra;
    hz_status s = c->pb ? pipe_add_row(c, &out.rec, out.area_mismatch, err, errlen)
                        : apply_row(c, &out.rec, out.area_mismatch, err, errlen);
    free(extra);
    return s;
}

/* ---- columns ---- */

static int name_in(const char *name, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcasecmp(name, list[i]) == 0) return 1;
    return 0;
}

static int find_col(const inc_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->ncols; i++)
        if (strcasecmp(c->names[i], name) == 0) return (int)i;
    return -1;
}

static void list_columns(const inc_ctx *c, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < c->ncols && used + 4 < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", c->names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static hz_status assign_roles(inc_ctx *c, int have_geometry, char *err, size_t errlen)
{
    const import_opts *o = c->o;
    for (int r = 0; r < R_COUNT; r++)
        c->col[r] = -1;
    c->role = calloc(c->ncols ? c->ncols : 1, sizeof *c->role);
    if (!c->role) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    /* 1. explicit options */
    struct {
        const char *opt, *what;
        int role;
    } ex[] = {{o->lon, "--lon/--x", R_LON},   {o->lat, "--lat/--y", R_LAT},
              {o->wkt, "--wkt", R_WKT},       {o->id, "--id", R_ID},
              {o->time, "--time", R_TIME},    {o->time2, "--time2", R_TIME2},
              {o->icd10, "--icd10", R_ICD10}, {o->area_field, "--area-field", R_AREA}};
    char cols[1024];
    for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
        if (!ex[i].opt) continue;
        int ci = find_col(c, ex[i].opt);
        if (ci < 0) {
            list_columns(c, cols, sizeof cols);
            return hz_fail(HZ_EINVAL, err, errlen, "%s: %s column '%s' not found; columns: %s",
                           c->path, ex[i].what, ex[i].opt, cols);
        }
        c->col[ex[i].role] = ci;
    }
    /* 2. column rules of the mapping file, then 3. the field names themselves */
    for (size_t i = 0; i < c->ncols; i++) {
        const char *f = vocabmap_column(c->vm, c->names[i]);
        int r = -1;
        for (int k = 1; k < R_COUNT && f; k++)
            if (strcmp(f, role_field[k]) == 0) r = k;
        if (f && strcmp(f, "x") == 0) r = R_LON;
        if (f && strcmp(f, "y") == 0) r = R_LAT;
        if (r < 0) {
            for (int k = 1; k < R_COUNT; k++)
                if (k != R_LON && k != R_LAT && k != R_WKT && k != R_TIME2 && k != R_ICD10 &&
                    k != R_AREA && strcasecmp(c->names[i], role_field[k]) == 0)
                    r = k;
            if (r < 0 && !o->time && strcasecmp(c->names[i], "time") == 0) r = R_TIME;
        }
        if (r >= 0 && c->col[r] < 0) c->col[r] = (int)i;
    }
    /* 4. coordinates by their common names, unless given */
    if (!have_geometry && c->col[R_WKT] < 0 && (c->col[R_LON] < 0 || c->col[R_LAT] < 0)) {
        for (size_t i = 0; i < c->ncols; i++) {
            if (c->col[R_LON] < 0 && name_in(c->names[i], lon_names)) c->col[R_LON] = (int)i;
            if (c->col[R_LAT] < 0 && name_in(c->names[i], lat_names)) c->col[R_LAT] = (int)i;
        }
        /* a WKT column counts only when no lon/lat pair was found */
        if (c->col[R_LON] < 0 || c->col[R_LAT] < 0) {
            for (size_t i = 0; i < c->ncols && c->col[R_WKT] < 0; i++)
                if (name_in(c->names[i], wkt_names)) c->col[R_WKT] = (int)i;
            if (c->col[R_WKT] >= 0) c->col[R_LON] = c->col[R_LAT] = -1;
        }
        /* without coordinate columns, an area column makes every row area-only */
        if (c->col[R_WKT] < 0 && (c->col[R_LON] < 0 || c->col[R_LAT] < 0) && c->col[R_AREA] < 0) {
            list_columns(c, cols, sizeof cols);
            return hz_fail(HZ_EINVAL, err, errlen,
                           "%s: no coordinate columns (looked for lon/lng/long/longitude/x/"
                           "easting + lat/latitude/y/northing, or wkt/geom/geometry; name them "
                           "with --lon/--lat, --x/--y or --wkt); columns found: %s",
                           c->path, cols);
        }
    }
    if (o->format && strcmp(o->format, "niss") == 0) {
        /* the card's cause and intent, found by their Chinese names (vocabmap.c) */
        static const struct {
            int role;
            const char *name;
        } card[] = {{R_MECH, "伤害发生原因"}, {R_INTENT, "是否故意"}};
        for (size_t k = 0; k < sizeof card / sizeof *card; k++) {
            if (c->col[card[k].role] >= 0) continue;
            list_columns(c, cols, sizeof cols);
            return hz_fail(HZ_EINVAL, err, errlen,
                           "%s: not a national injury surveillance report card (--format niss): "
                           "no column '%s'; columns: %s",
                           c->path, card[k].name, cols);
        }
    }
    for (int r = 1; r < R_COUNT; r++)
        if (c->col[r] >= 0) c->role[c->col[r]] = r;
    c->has_extra = 0;
    for (size_t i = 0; i < c->ncols; i++)
        if (c->role[i] == R_EXTRA) c->has_extra = 1;
    return HZ_OK;
}

/* ---- CRS ---- */

static int is_wgs84(OGRSpatialReferenceH srs)
{
    if (!srs) return 1;
    OGRSpatialReferenceH w = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(w, "WGS84");
    int same = OSRIsSame(srs, w);
    OSRDestroySpatialReference(w);
    return same;
}

/* Sets up c->ct from --srs (or the layer's own CRS). */
static hz_status setup_crs(inc_ctx *c, OGRSpatialReferenceH layer_srs, char *err, size_t errlen)
{
    const char *srs = c->o->srs;
    c->ck = srs ? chinacrs_parse(srs) : CHINACRS_NONE;
    OGRSpatialReferenceH src = NULL;
    if (srs && c->ck == CHINACRS_NONE) {
        src = OSRNewSpatialReference(NULL);
        if (OSRSetFromUserInput(src, srs) != OGRERR_NONE) {
            OSRDestroySpatialReference(src);
            return hz_fail(HZ_ECRS, err, errlen,
                           "unknown CRS '%s' (use EPSG:n, a PROJ string, WKT, gcj02 or bd09)", srs);
        }
    } else if (layer_srs && c->ck == CHINACRS_NONE) {
        src = OSRClone(layer_srs);
    }
    if (!src || is_wgs84(src)) {
        OSRDestroySpatialReference(src);
        return HZ_OK;
    }
    /* traditional GIS order: x = longitude/easting, y = latitude/northing, whatever the
     * authority's axis order (EPSG:4326 is lat/lon by the book) */
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    c->wgs84 = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(c->wgs84, "WGS84");
    OSRSetAxisMappingStrategy(c->wgs84, OAMS_TRADITIONAL_GIS_ORDER);
    c->src_srs = src;
    c->ct = OCTNewCoordinateTransformation(src, c->wgs84);
    if (!c->ct)
        return hz_fail(HZ_ECRS, err, errlen, "no transformation from '%s' to WGS84",
                       srs ? srs : "the file's CRS");
    return HZ_OK;
}

/* OCTTransform() as the normaliser's transform hook. */
static int ogr_transform(void *ud, double *x, double *y)
{
    return OCTTransform((OGRCoordinateTransformationH)ud, 1, x, y, NULL) ? 0 : -1;
}

/* The normaliser's options, once the CRS is known (setup_crs). */
static void setup_norm(inc_ctx *c)
{
    c->norm = (norm_opts){.vm = c->vm,
                          .ai = c->ai,
                          .tz = c->tz,
                          .time_format = c->o->time_format,
                          .default_mechanism = c->default_mech,
                          .default_intent = c->default_intent,
                          .ck = c->ck,
                          .transform = c->ct ? ogr_transform : NULL,
                          .transform_ud = c->ct};
}

static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

/* ---- the two readers ---- */

/* One result of csv_next(): a row, a malformed record (rejected), or a read error. */
static hz_status csv_record_row(inc_ctx *c, hz_status r, const csv_record *rec, const char *msg,
                                char *err, size_t errlen)
{
    if (r == HZ_EINVAL) {
        const char *why = strstr(msg, ": ") ? strstr(msg, ": ") + 2 : msg;
        const char *kind = strncmp(why, "unterminated quote", 18) == 0 ? "unterminated quote"
                           : strstr(why, "NUL")                        ? "NUL byte"
                           : strstr(why, "1 MiB")                      ? "line too long"
                                                                       : "malformed CSV";
        return reject(c, rec->line, rec->raw, rec->raw_len, kind, err, errlen, "%s", why);
    }
    if (r != HZ_OK) return hz_fail(r, err, errlen, "%s", msg);
    return do_row(c, rec->fields, rec->nfields, rec->line, rec->raw, rec->raw_len, NULL, err,
                  errlen);
}

static hz_status read_csv(inc_ctx *c, char *err, size_t errlen)
{
    csv_reader *rd = csv_open_enc(c->path, c->o->encoding, err, errlen);
    if (!rd) return strncmp(err, "encoding:", 9) == 0 ? HZ_EINVAL : HZ_EIO;
    csv_record rec;
    char msg[512];
    hz_status s = HZ_OK;
    for (long k = 0; k < c->o->skip_rows && (s == HZ_OK || s == HZ_EINVAL); k++)
        s = csv_next(rd, &rec, msg, sizeof msg); /* title rows: whatever they hold */
    if (s == HZ_OK || s == HZ_EINVAL) s = csv_next(rd, &rec, msg, sizeof msg);
    if (s == HZ_ENOTFOUND) {
        csv_close(rd);
        return hz_fail(HZ_EINVAL, err, errlen, "%s: empty file (no header line)", c->path);
    }
    if (s != HZ_OK) {
        csv_close(rd);
        return hz_fail(s, err, errlen, "%s: header %s", c->path, msg);
    }
    c->enc = csv_encoding(rd);
    c->ncols = rec.nfields;
    c->names = calloc(c->ncols, sizeof *c->names);
    if (!c->names) {
        csv_close(rd);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    for (size_t i = 0; i < c->ncols; i++)
        if (!(c->names[i] = strdup(rec.fields[i]))) {
            csv_close(rd);
            return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        }
    /* a record of another width that swallowed line ends is a stray quote (csv.h) */
    csv_expect_fields(rd, c->ncols);
    s = assign_roles(c, 0, err, errlen);
    if (s == HZ_OK) s = setup_crs(c, NULL, err, errlen);
    if (s == HZ_OK) setup_norm(c);
    if (s == HZ_OK) s = pipe_run(c, rd, err, errlen);
    csv_close(rd);
    if (s == HZ_OK && c->sum->read == 0)
        s = hz_fail(HZ_EINVAL, err, errlen, "%s: no data rows (header only)", c->path);
    return s;
}

/* A field's value as text: dates and times of typed fields (GeoPackage, Shapefile) in ISO 8601,
 * as the normaliser reads them, with the field's offset if it has one; "" when unset. The
 * result is borrowed from f or buf. */
static const char *ogr_field_text(OGRFeatureH f, int i, char *buf, size_t len)
{
    if (!OGR_F_IsFieldSetAndNotNull(f, i)) return "";
    OGRFieldType ty = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, i));
    int y, mo, d, h, mi, tzf;
    float sec;
    if ((ty != OFTDate && ty != OFTDateTime && ty != OFTTime) ||
        !OGR_F_GetFieldAsDateTimeEx(f, i, &y, &mo, &d, &h, &mi, &sec, &tzf))
        return OGR_F_GetFieldAsString(f, i);
    int n = 0;
    if (ty != OFTTime)
        n = snprintf(buf, len, "%04d-%02d-%02d%s", y, mo, d, ty == OFTDate ? "" : "T");
    if (ty != OFTDate) n += snprintf(buf + n, len - (size_t)n, "%02d:%02d:%02d", h, mi, (int)sec);
    /* OGR's TZFlag: 0 unknown, 1 local, 100 UTC, 100 +/- n: n quarter hours east/west */
    if (ty == OFTDateTime && tzf >= 100) {
        int q = tzf - 100, a = q < 0 ? -q : q;
        snprintf(buf + n, len - (size_t)n, "%c%02d:%02d", q < 0 ? '-' : '+', a / 4, a % 4 * 15);
    }
    return buf;
}

/* The column names: the layer's field names. */
static hz_status names_from_fields(inc_ctx *c, OGRFeatureDefnH def, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->ncols; i++)
        if (!(c->names[i] = strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(def, (int)i)))))
            return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    return HZ_OK;
}

/* The column names: the values of row skip + 1 (after skip title rows); an empty cell keeps the
 * field's name (Field1, ...). */
static hz_status names_from_row(inc_ctx *c, OGRLayerH ly, long skip, char *err, size_t errlen)
{
    OGRFeatureH f = NULL;
    OGR_L_ResetReading(ly);
    for (long k = 0; k <= skip; k++) {
        OGR_F_Destroy(f);
        if (!(f = OGR_L_GetNextFeature(ly)))
            return hz_fail(HZ_EINVAL, err, errlen,
                           "%s: --skip-rows %ld: the sheet has only %ld row(s), no header after "
                           "them",
                           c->path, skip, k);
    }
    OGRFeatureDefnH def = OGR_L_GetLayerDefn(ly);
    for (size_t i = 0; i < c->ncols; i++) {
        const char *v = OGR_F_IsFieldSetAndNotNull(f, (int)i)
                            ? OGR_F_GetFieldAsString(f, (int)i)
                            : OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(def, (int)i));
        if (!(c->names[i] =
                  strdup(v[0] ? v : OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(def, (int)i))))) {
            OGR_F_Destroy(f);
            return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        }
    }
    OGR_F_Destroy(f);
    return HZ_OK;
}

static hz_status read_ogr(inc_ctx *c, char *err, size_t errlen)
{
    GDALDatasetH ds;
    OGRLayerH ly;
    long skip = c->o->skip_rows;
    hz_status s = import_ogr_open(c->path, c->o->layer, skip == 0, &ds, &ly, err, errlen);
    if (s != HZ_OK) return s;
    OGRFeatureDefnH def = OGR_L_GetLayerDefn(ly);
    c->ncols = (size_t)OGR_FD_GetFieldCount(def);
    c->names = calloc(c->ncols ? c->ncols : 1, sizeof *c->names);
    char **vals = calloc(c->ncols ? c->ncols : 1, sizeof *vals);
    if (!c->names || !vals) {
        free(vals);
        GDALClose(ds);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    s = skip ? names_from_row(c, ly, skip, err, errlen) : names_from_fields(c, def, err, errlen);
    int have_geom = OGR_FD_GetGeomFieldCount(def) > 0 && !c->o->lon && !c->o->wkt;
    if (s == HZ_OK) s = assign_roles(c, have_geom, err, errlen);
    if (s == HZ_OK) s = setup_crs(c, have_geom ? OGR_L_GetSpatialRef(ly) : NULL, err, errlen);
    if (s == HZ_OK) setup_norm(c);
    OGR_L_ResetReading(ly);
    OGRFeatureH f;
    /* with --skip-rows the title rows and the header come first (and the numbers are the
     * sheet's rows: the first data row is skip + 2) */
    int64_t fno = skip ? skip + 1 : 0;
    for (long k = 0; skip && k <= skip && (f = OGR_L_GetNextFeature(ly)) != NULL; k++)
        OGR_F_Destroy(f);
    while (s == HZ_OK && (f = OGR_L_GetNextFeature(ly)) != NULL) {
        fno++;
        /* the raw text of a feature: its attributes and geometry as WKT */
        size_t rawcap = 256, rawlen = 0;
        char *raw = malloc(rawcap);
        for (size_t i = 0; i < c->ncols; i++) {
            free(vals[i]);
            char dbuf[40];
            vals[i] = strdup(ogr_field_text(f, (int)i, dbuf, sizeof dbuf));
            size_t need = rawlen + strlen(c->names[i]) + strlen(vals[i] ? vals[i] : "") + 4;
            if (raw && need > rawcap) {
                rawcap = need * 2;
                char *nr = realloc(raw, rawcap);
                if (!nr) {
                    free(raw);
                    raw = NULL;
                }
                raw = nr;
            }
            if (raw)
                rawlen += (size_t)snprintf(raw + rawlen, rawcap - rawlen, "%s%s=%s", i ? "; " : "",
                                           c->names[i], vals[i] ? vals[i] : "");
        }
        geom_in g = {0};
        OGRGeometryH geom = have_geom ? OGR_F_GetGeometryRef(f) : NULL;
        if (geom) ogr_geom_in(geom, &g);
        c->sum->read++;
        int ok = raw != NULL;
        for (size_t i = 0; i < c->ncols; i++)
            ok = ok && vals[i];
        s = ok ? do_row(c, vals, c->ncols, fno, raw, rawlen, &g, err, errlen)
               : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        free(raw);
        OGR_F_Destroy(f);
    }
    for (size_t i = 0; i < c->ncols; i++)
        free(vals[i]);
    free(vals);
    GDALClose(ds);
    if (s == HZ_OK && c->sum->read == 0)
        s = hz_fail(HZ_EINVAL, err, errlen, "%s: no features", c->path);
    return s;
}

hz_status import_incidents(store *st, const char *path, const import_opts *o, import_summary *sum,
                           char *err, size_t errlen)
{
    import_opts none = {0};
    if (!o) o = &none;
    memset(sum, 0, sizeof *sum);
    inc_ctx c = {.st = st, .o = o, .sum = sum, .path = path, .tz = HZ_TZ_SHANGHAI};
    hz_status s = HZ_OK;
    int journal_switched = 0;
    if (o->tz && hztime_parse_offset(o->tz, &c.tz) < 0)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "--tz: unknown time zone '%s' (use +08:00 or "
                       "Asia/Shanghai)",
                       o->tz);
    if (o->mechanism &&
        vocab_mechanism_legacy(o->mechanism, &c.default_mech, &c.default_intent) < 0)
        return hz_fail(HZ_EINVAL, err, errlen, "--mechanism: '%s' is not a mechanism",
                       o->mechanism);
    const char *base = strrchr(path, '/');
    c.source = strdup(o->source ? o->source : base ? base + 1 : path);
    c.vm = vocabmap_new();
    if (!c.source || !c.vm) {
        s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        goto out;
    }
    if (o->map && (s = vocabmap_load(c.vm, o->map, err, errlen)) != HZ_OK) goto out;
    if (!(c.ai = areaindex_new(st, err, errlen))) {
        s = HZ_EDB;
        goto out;
    }
    journal_switched = store_bulk_journal_begin(st);
    if ((s = store_begin(st, err, errlen)) != HZ_OK) goto out;
    if ((s = store_batch_begin(st, "incidents", path, &sum->batch_id, err, errlen)) != HZ_OK ||
        !(c.bulk = store_bulk_begin(st, err, errlen))) {
        if (s == HZ_OK) s = store_last_status(st);
        store_rollback(st);
        goto out;
    }
    int is_csv = has_ext(path, ".csv") || has_ext(path, ".txt") || has_ext(path, ".tsv") ||
                 strcmp(path, "-") == 0;
    s = is_csv ? read_csv(&c, err, errlen) : read_ogr(&c, err, errlen);
    store_bulk *b = c.bulk;
    c.bulk = NULL;
    if (s == HZ_OK) {
        s = store_bulk_finish(b, err, errlen);
    } else {
        store_bulk_free(b);
    }
    if (s == HZ_OK) {
        char *js = import_summary_json(sum);
        s = js ? store_batch_finish(st, sum->batch_id, js, err, errlen)
               : hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        free(js);
    }
    if (s == HZ_OK)
        s = store_commit(st, err, errlen);
    else
        store_rollback(st);
out:
    store_bulk_journal_end(st, journal_switched);
    areaindex_free(c.ai);
    vocabmap_free(c.vm);
    if (c.ct) OCTDestroyCoordinateTransformation(c.ct);
    OSRDestroySpatialReference(c.src_srs);
    OSRDestroySpatialReference(c.wgs84);
    for (size_t i = 0; i < c.ncols && c.names; i++)
        free(c.names[i]);
    free(c.names);
    free(c.role);
    free(c.source);
    return s;
}

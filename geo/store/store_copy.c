/* store_copy.c - a whole store into another (store_copy.h), through the public store interface
 * of both (so any pair of backends), and, for the rows that interface can only append through
 * its normal write paths (projects as stored, their audit log, the import bookkeeping, the token
 * hashes), projects_put_stored() and rows_copy() (store_rows.c).
 *
 * Invariant: the target's incidents are written in the source's id order into a table that was
 * empty, so the k-th id of the source and the k-th id of the target name the same record; the
 * links' incident ids are mapped that way. */
#include "hazmap/store_copy.h"
#include "hazmap/store_bulk.h"
#include "hazmap/store_links.h"
#include "hazmap/store_projects.h"
#include "store_pg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COPY_CHUNK = 4096 };

/* ---- growable arrays of ids ---- */

typedef struct idvec {
    int64_t *v;
    size_t n, cap;
    int oom;
} idvec;

static int id_collect(void *ud, const hz_incident_rec *r)
{
    idvec *a = ud;
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 4096;
        int64_t *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) {
            a->oom = 1;
            return 1;
        }
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = r->id;
    return 0;
}

/* ---- areas ---- */

typedef struct area_ctx {
    store *to;
    hz_status s;
    char *err;
    size_t errlen;
    int64_t n;
} area_ctx;

static int area_copy(void *ud, const hz_area_rec *a)
{
    area_ctx *c = ud;
    c->s = store_area_put(c->to, a, c->err, c->errlen);
    c->n++;
    return c->s != HZ_OK;
}

static hz_status copy_areas(store *from, store *to, int64_t *n, char *err, size_t errlen)
{
    area_ctx c = {.to = to, .s = HZ_OK, .err = err, .errlen = errlen, .n = 0};
    hz_status s = store_begin(to, err, errlen);
    if (s == HZ_OK) s = store_areas_scan(from, area_copy, &c, err, errlen);
    if (s == HZ_OK) s = c.s;
    if (s == HZ_OK) return (*n = c.n), store_commit(to, err, errlen);
    store_rollback(to);
    return s;
}

/* ---- incidents: whole records, a chunk at a time ---- */

typedef struct chunk {
    hz_incident_rec r[COPY_CHUNK];
    const hz_incident_rec *p[COPY_CHUNK];
    char *strs[COPY_CHUNK * 6];
    size_t n, nstr;
    int oom;
} chunk;

static const char *keep(chunk *c, const char *s)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) {
        c->oom = 1;
        return NULL;
    }
    c->strs[c->nstr++] = d;
    return d;
}

static int rec_keep(void *ud, const hz_incident_rec *r)
{
    chunk *c = ud;
    hz_incident_rec *o = &c->r[c->n];
    *o = *r;
    o->source = keep(c, r->source);
    o->source_id = keep(c, r->source_id);
    o->occurred_at = keep(c, r->occurred_at);
    o->description = keep(c, r->description);
    o->area_code = keep(c, r->area_code);
    o->extra = keep(c, r->extra);
    c->p[c->n] = o;
    c->n++;
    return c->oom;
}

static void chunk_clear(chunk *c)
{
    for (size_t i = 0; i < c->nstr; i++)
        free(c->strs[i]);
    c->n = c->nstr = 0;
}

static hz_status copy_incidents(store *from, store *to, const idvec *ids, char *err, size_t errlen)
{
    chunk *c = calloc(1, sizeof *c);
    store_put_outcome *outs = malloc(COPY_CHUNK * sizeof *outs);
    if (!c || !outs) {
        free(c);
        free(outs);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    hz_status s = store_begin(to, err, errlen);
    store_bulk *b = s == HZ_OK ? store_bulk_begin(to, err, errlen) : NULL;
    if (s == HZ_OK && !b) s = store_last_status(to);
    for (size_t at = 0; s == HZ_OK && at < ids->n; at += COPY_CHUNK) {
        size_t k = ids->n - at < COPY_CHUNK ? ids->n - at : COPY_CHUNK;
        s = store_incidents_get(from, ids->v + at, k, rec_keep, c, err, errlen);
        if (s == HZ_OK && (c->oom || c->n != k))
            s = c->oom ? hz_fail(HZ_ENOMEM, err, errlen, "out of memory")
                       : hz_fail(HZ_EDB, err, errlen, "%s: incidents changed during the copy",
                                 store_path(from));
        if (s == HZ_OK) s = store_bulk_put_many(b, c->p, c->n, 0, outs, err, errlen);
        for (size_t i = 0; s == HZ_OK && i < c->n; i++)
            if (outs[i] != STORE_PUT_INSERTED)
                s = hz_fail(HZ_EINVAL, err, errlen, "%s: incident %s/%s given twice",
                            store_path(from), c->r[i].source, c->r[i].source_id);
        chunk_clear(c);
    }
    if (b && s == HZ_OK) {
        s = store_bulk_finish(b, err, errlen);
        b = NULL;
    }
    store_bulk_free(b);
    if (s == HZ_OK) s = store_commit(to, err, errlen);
    if (s != HZ_OK) store_rollback(to);
    free(c);
    free(outs);
    return s;
}

/* ---- roads: one source at a time ---- */

typedef struct roadset {
    hz_road_node_rec *nodes;
    size_t nn, capn;
    hz_road_seg_rec *segs;
    size_t ns, caps;
    char **strs;
    size_t nstr, capstr;
    int oom;
} roadset;

static const char *rs_keep(roadset *r, const char *s)
{
    if (!s || r->oom) return NULL;
    if (r->nstr == r->capstr) {
        size_t nc = r->capstr ? r->capstr * 2 : 1024;
        char **n = realloc(r->strs, nc * sizeof *n);
        if (!n) {
            r->oom = 1;
            return NULL;
        }
        r->strs = n;
        r->capstr = nc;
    }
    char *d = strdup(s);
    if (!d) r->oom = 1;
    if (d) r->strs[r->nstr++] = d;
    return d;
}

static int node_keep(void *ud, const hz_road_node_rec *n)
{
    roadset *r = ud;
    if (r->nn == r->capn) {
        size_t nc = r->capn ? r->capn * 2 : 1024;
        hz_road_node_rec *v = realloc(r->nodes, nc * sizeof *v);
        if (!v) return (r->oom = 1);
        r->nodes = v;
        r->capn = nc;
    }
    r->nodes[r->nn] = *n;
    r->nodes[r->nn].source = rs_keep(r, n->source);
    r->nn++;
    return r->oom;
}

static int seg_keep(void *ud, const hz_road_seg_rec *s)
{
    roadset *r = ud;
    if (r->ns == r->caps) {
        size_t nc = r->caps ? r->caps * 2 : 1024;
        hz_road_seg_rec *v = realloc(r->segs, nc * sizeof *v);
        if (!v) return (r->oom = 1);
        r->segs = v;
        r->caps = nc;
    }
    hz_road_seg_rec *o = &r->segs[r->ns];
    *o = *s;
    o->source = rs_keep(r, s->source);
    o->source_id = rs_keep(r, s->source_id);
    o->name = rs_keep(r, s->name);
    o->cls = rs_keep(r, s->cls);
    o->extra = rs_keep(r, s->extra);
    double *xy = malloc(2 * s->npts * sizeof *xy);
    if (!xy) return (r->oom = 1);
    memcpy(xy, s->lon, s->npts * sizeof *xy);
    memcpy(xy + s->npts, s->lat, s->npts * sizeof *xy);
    o->lon = xy;
    o->lat = xy + s->npts;
    r->ns++;
    return r->oom;
}

static void roadset_free(roadset *r)
{
    for (size_t i = 0; i < r->ns; i++)
        free((double *)r->segs[i].lon);
    for (size_t i = 0; i < r->nstr; i++)
        free(r->strs[i]);
    free(r->strs);
    free(r->nodes);
    free(r->segs);
}

static int by_source(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static hz_status copy_roads(store *from, store *to, int64_t *nsources, char *err, size_t errlen)
{
    roadset r = {0};
    hz_status s = store_road_nodes_scan(from, node_keep, &r, err, errlen);
    if (s == HZ_OK) s = store_road_segs_scan(from, seg_keep, &r, err, errlen);
    if (s == HZ_OK && r.oom) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    *nsources = 0;
    /* nodes and segments come in id order, and a source's rows were written together: each
     * source is one run of nodes and one run of segments */
    size_t i = 0, j = 0;
    while (s == HZ_OK && (i < r.nn || j < r.ns)) {
        const char *src = i < r.nn ? r.nodes[i].source : r.segs[j].source;
        size_t i1 = i, j1 = j;
        while (i1 < r.nn && by_source(r.nodes[i1].source, src) == 0)
            i1++;
        while (j1 < r.ns && by_source(r.segs[j1].source, src) == 0)
            j1++;
        store_put_outcome o;
        s = store_begin(to, err, errlen);
        if (s == HZ_OK)
            s = store_roads_put(to, src, i1 - i, r.nodes + i, j1 - j, r.segs + j, &o, err, errlen);
        if (s == HZ_OK) s = store_commit(to, err, errlen);
        if (s != HZ_OK) store_rollback(to);
        if (s == HZ_OK) ++*nsources;
        if (i1 == i && j1 == j) break; /* cannot happen: src came from one of the runs */
        i = i1;
        j = j1;
    }
    roadset_free(&r);
    return s;
}

/* ---- releases ---- */

typedef struct rel_copy {
    store_release_rec rec;
    char *created_at, *metadata;
    store_release_blob *blobs;
    size_t nb;
    int oom;
    int64_t *ids;
    size_t nids, capids;
} rel_copy;

static int rel_id(void *ud, const store_release_rec *r)
{
    rel_copy *c = ud;
    if (c->nids == c->capids) {
        size_t nc = c->capids ? c->capids * 2 : 16;
        int64_t *v = realloc(c->ids, nc * sizeof *v);
        if (!v) return (c->oom = 1);
        c->ids = v;
        c->capids = nc;
    }
    c->ids[c->nids++] = r->id;
    return 0;
}

static int rel_meta(void *ud, const store_release_rec *r)
{
    rel_copy *c = ud;
    c->rec = *r;
    c->created_at = strdup(r->created_at);
    c->metadata = strdup(r->metadata);
    if (!c->created_at || !c->metadata) c->oom = 1;
    return c->oom;
}

static int rel_blob(void *ud, const store_release_blob *b)
{
    rel_copy *c = ud;
    store_release_blob *v = realloc(c->blobs, (c->nb + 1) * sizeof *v);
    if (!v) return (c->oom = 1);
    c->blobs = v;
    char *name = strdup(b->name);
    unsigned char *data = malloc(b->len ? b->len : 1);
    if (!name || !data) {
        free(name);
        free(data);
        return (c->oom = 1);
    }
    if (b->len) memcpy(data, b->data, b->len);
    c->blobs[c->nb++] = (store_release_blob){.name = name, .data = data, .len = b->len};
    return 0;
}

static void rel_clear(rel_copy *c)
{
    for (size_t i = 0; i < c->nb; i++) {
        free((char *)c->blobs[i].name);
        free((unsigned char *)c->blobs[i].data);
    }
    free(c->blobs);
    free(c->created_at);
    free(c->metadata);
    c->blobs = NULL;
    c->nb = 0;
    c->created_at = c->metadata = NULL;
}

static hz_status copy_releases(store *from, store *to, int64_t *n, char *err, size_t errlen)
{
    rel_copy c = {0};
    hz_status s = store_release_list(from, rel_id, &c, err, errlen);
    for (size_t k = 0; s == HZ_OK && k < c.nids; k++) {
        s = store_release_get(from, c.ids[k], rel_meta, rel_blob, &c, err, errlen);
        if (s == HZ_OK && c.oom) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        c.rec.created_at = c.created_at;
        c.rec.metadata = c.metadata;
        int64_t id;
        if (s == HZ_OK) s = store_release_put(to, &c.rec, c.nb, c.blobs, &id, err, errlen);
        if (s == HZ_OK && id != c.ids[k])
            s = hz_fail(HZ_EINVAL, err, errlen,
                        "%s: release %lld would become %lld: the target"
                        " has releases already",
                        store_path(to), (long long)c.ids[k], (long long)id);
        rel_clear(&c);
    }
    *n = (int64_t)c.nids;
    free(c.ids);
    return s;
}

/* ---- links ---- */

typedef struct link_copy {
    store_link_rec *v;
    size_t n, cap;
    char **strs;
    size_t nstr;
    int oom;
} link_copy;

static int link_keep(void *ud, const store_link_rec *l)
{
    link_copy *c = ud;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 256;
        store_link_rec *v = realloc(c->v, nc * sizeof *v);
        char **s = realloc(c->strs, 3 * nc * sizeof *s);
        if (v) c->v = v;
        if (s) c->strs = s;
        if (!v || !s) return (c->oom = 1);
        c->cap = nc;
    }
    store_link_rec *o = &c->v[c->n++];
    *o = *l;
    o->status = c->strs[c->nstr++] = strdup(l->status);
    o->reviewer = l->reviewer ? (c->strs[c->nstr++] = strdup(l->reviewer)) : NULL;
    o->at = l->at ? (c->strs[c->nstr++] = strdup(l->at)) : NULL;
    if (!o->status || (l->reviewer && !o->reviewer) || (l->at && !o->at)) c->oom = 1;
    return c->oom;
}

/* The position of id in v (sorted), or SIZE_MAX. */
static size_t id_pos(const idvec *v, int64_t id)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n && v->v[lo] == id ? lo : SIZE_MAX;
}

static int64_t map_id(const idvec *src, const idvec *dst, int64_t id)
{
    size_t k = id_pos(src, id);
    return k == SIZE_MAX ? -1 : dst->v[k];
}

static hz_status copy_links(store *from, store *to, const idvec *src, const idvec *dst, int64_t *n,
                            char *err, size_t errlen)
{
    link_copy c = {0};
    hz_status s = store_links_scan(from, NULL, 0, -1, link_keep, &c, NULL, err, errlen);
    if (s == HZ_OK && c.oom) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    /* every link as auto/possible first, then the reviewers' decisions on top */
    store_link_rec *w = s == HZ_OK ? malloc((c.n ? c.n : 1) * sizeof *w) : NULL;
    if (s == HZ_OK && !w) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    for (size_t i = 0; s == HZ_OK && i < c.n; i++) {
        w[i] = c.v[i];
        w[i].a = map_id(src, dst, c.v[i].a);
        w[i].b = map_id(src, dst, c.v[i].b);
        if (w[i].a < 0 || w[i].b < 0)
            s = hz_fail(HZ_EINVAL, err, errlen, "link %lld: an incident that is not there",
                        (long long)c.v[i].id);
        if (strcmp(w[i].status, "auto") && strcmp(w[i].status, "possible")) w[i].status = "auto";
    }
    if (s == HZ_OK && c.n) s = store_links_sync(to, w, c.n, NULL, err, errlen);
    /* the target's link ids, by pair, for the reviews */
    link_copy t = {0};
    if (s == HZ_OK && c.n) s = store_links_scan(to, NULL, 0, -1, link_keep, &t, NULL, err, errlen);
    for (size_t i = 0; s == HZ_OK && i < c.n; i++) {
        if (!c.v[i].reviewer) continue;
        for (size_t k = 0; k < t.n; k++)
            if (t.v[k].a == w[i].a && t.v[k].b == w[i].b) {
                s = store_link_review(to, t.v[k].id, c.v[i].status, c.v[i].reviewer, err, errlen);
                /* the review's own time, not the copy's */
                char idt[32];
                snprintf(idt, sizeof idt, "%lld", (long long)t.v[k].id);
                const char *v[2] = {c.v[i].at, idt};
                if (s == HZ_OK && c.v[i].at)
                    s = rows_exec(to, "UPDATE record_links SET at=?1 WHERE id=?2", 2, v, err,
                                  errlen);
                break;
            }
    }
    *n = (int64_t)c.n;
    for (size_t i = 0; i < c.nstr; i++)
        free(c.strs[i]);
    for (size_t i = 0; i < t.nstr; i++)
        free(t.strs[i]);
    free(c.v);
    free(c.strs);
    free(t.v);
    free(t.strs);
    free(w);
    return s;
}

/* ---- the projects registry: projects as stored, their audit rows as they are ---- */

typedef struct proj_copy {
    store *to;
    hz_status s;
    char *err;
    size_t errlen;
    int64_t n, max_id;
} proj_copy;

static int proj_put(void *ud, const hz_project *p)
{
    proj_copy *c = ud;
    c->s = projects_put_stored(c->to, p, c->err, c->errlen);
    c->n++;
    if (p->id > c->max_id) c->max_id = p->id;
    return c->s != HZ_OK;
}

static int audit_max(void *ud, const store_audit_rec *a)
{
    int64_t *m = ud;
    if (a->project_id > *m) *m = a->project_id;
    return 0;
}

static hz_status copy_projects(store *from, store *to, store_copy_summary *sum, char *err,
                               size_t errlen)
{
    proj_copy c = {.to = to, .s = HZ_OK, .err = err, .errlen = errlen};
    int64_t audit_top = 0;
    hz_status s = store_begin(to, err, errlen);
    if (s == HZ_OK) s = store_projects_scan(from, NULL, -1, proj_put, &c, err, errlen);
    if (s == HZ_OK) s = c.s;
    if (s == HZ_OK)
        s = rows_copy(from, to, "project_audit", "id,project_id,at,actor,action,before,after", 7,
                      "id", &sum->audit, err, errlen);
    /* a deleted project's id is never handed out again (store_projects.h): the target's next
     * id is above every id the audit log names, not only the remaining projects' */
    if (s == HZ_OK)
        s = store_project_audit_scan(to, 0, 0, -1, audit_max, &audit_top, NULL, err, errlen);
    if (s == HZ_OK)
        s = rows_serial_past(to, "projects", audit_top > c.max_id ? audit_top : c.max_id, err,
                             errlen);
    if (s == HZ_OK) s = rows_serial_past(to, "project_audit", 0, err, errlen);
    sum->projects = c.n;
    if (s == HZ_OK) return store_commit(to, err, errlen);
    store_rollback(to);
    return s;
}

/* ---- rows as they are: import batches and rejects, token hashes ---- */

static hz_status copy_bookkeeping(store *from, store *to, store_copy_summary *sum, char *err,
                                  size_t errlen)
{
    hz_status s = store_begin(to, err, errlen);
    if (s == HZ_OK)
        s = rows_copy(from, to, "import_batches", "id,kind,file,started_at,finished_at,summary", 6,
                      "id", &sum->batches, err, errlen);
    if (s == HZ_OK)
        s = rows_copy(from, to, "import_rejects", "batch_id,line,raw,reason", 4,
                      "batch_id,line,reason", &sum->rejects, err, errlen);
    if (s == HZ_OK) s = rows_serial_past(to, "import_batches", 0, err, errlen);
    if (s == HZ_OK)
        s = rows_copy(from, to, "tokens", "hash,role,created_at,label", 4, "hash", &sum->tokens,
                      err, errlen);
    if (s == HZ_OK) return store_commit(to, err, errlen);
    store_rollback(to);
    return s;
}

/* ---- each incident's import batch (the ids of the copied batches) ---- */

typedef struct batch_runs {
    store *to;
    const idvec *src, *dst;
    char batch[32];
    size_t lo, hi; /* the current run: positions in src (and dst) with one batch */
    int open;
    char *err;
    size_t errlen;
} batch_runs;

/* The run's target ids are the images of consecutive source ids, in order (the invariant at
 * the top): one range. */
static hz_status runs_flush(batch_runs *r)
{
    if (!r->open) return HZ_OK;
    r->open = 0;
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%lld", (long long)r->dst->v[r->lo]);
    snprintf(hi, sizeof hi, "%lld", (long long)r->dst->v[r->hi]);
    const char *v[3] = {r->batch, lo, hi};
    return rows_exec(r->to, "UPDATE incidents SET batch_id=?1 WHERE id BETWEEN ?2 AND ?3", 3, v,
                     r->err, r->errlen);
}

static hz_status run_add(void *ud, const char *const *v)
{
    batch_runs *r = ud;
    size_t k = id_pos(r->src, strtoll(v[0], NULL, 10));
    if (k == SIZE_MAX)
        return hz_fail(HZ_EDB, r->err, r->errlen, "incident %s: not among those copied", v[0]);
    if (r->open && k == r->hi + 1 && strcmp(v[1], r->batch) == 0) {
        r->hi = k;
        return HZ_OK;
    }
    hz_status s = runs_flush(r);
    snprintf(r->batch, sizeof r->batch, "%s", v[1]);
    r->lo = r->hi = k;
    r->open = 1;
    return s;
}

static hz_status copy_incident_batches(store *from, store *to, const idvec *src, const idvec *dst,
                                       char *err, size_t errlen)
{
    batch_runs r = {.to = to, .src = src, .dst = dst, .err = err, .errlen = errlen};
    hz_status s = store_begin(to, err, errlen);
    if (s == HZ_OK)
        s = rows_scan(from,
                      "SELECT id, batch_id FROM incidents WHERE batch_id IS NOT NULL ORDER BY id",
                      2, run_add, &r, err, errlen);
    if (s == HZ_OK) s = runs_flush(&r);
    if (s == HZ_OK) return store_commit(to, err, errlen);
    store_rollback(to);
    return s;
}

hz_status store_copy(store *from, store *to, store_copy_summary *sum, char *err, size_t errlen)
{
    memset(sum, 0, sizeof *sum);
    int64_t na, ni;
    hz_status s = store_counts(to, &na, &ni);
    if (s != HZ_OK) return hz_fail(s, err, errlen, "%s: cannot count its rows", store_path(to));
    if (na || ni)
        return hz_fail(HZ_EINVAL, err, errlen,
                       "%s: not empty (%lld areas, %lld incidents): copy into a new store",
                       store_path(to), (long long)na, (long long)ni);
    idvec src = {0}, dst = {0};
    s = copy_areas(from, to, &sum->areas, err, errlen);
    if (s == HZ_OK) s = store_incidents_scan(from, id_collect, &src, err, errlen);
    if (s == HZ_OK && src.oom) s = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (s == HZ_OK) s = copy_incidents(from, to, &src, err, errlen);
    if (s == HZ_OK) s = store_incidents_scan(to, id_collect, &dst, err, errlen);
    if (s == HZ_OK && (dst.oom || dst.n != src.n))
        s = hz_fail(HZ_EDB, err, errlen, "%s: %zu incidents after copying %zu", store_path(to),
                    dst.n, src.n);
    sum->incidents = (int64_t)dst.n;
    if (s == HZ_OK) s = copy_roads(from, to, &sum->road_sources, err, errlen);
    if (s == HZ_OK) s = copy_releases(from, to, &sum->releases, err, errlen);
    if (s == HZ_OK) s = copy_links(from, to, &src, &dst, &sum->links, err, errlen);
    if (s == HZ_OK) s = copy_projects(from, to, sum, err, errlen);
    if (s == HZ_OK) s = copy_bookkeeping(from, to, sum, err, errlen);
    if (s == HZ_OK) s = copy_incident_batches(from, to, &src, &dst, err, errlen);
    free(src.v);
    free(dst.v);
    return s;
}

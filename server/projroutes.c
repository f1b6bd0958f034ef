/* projroutes.c - the projects registry over HTTP and as the OGC API collection "projects"
 * (projroutes.h). Bodies are read strictly by project_from_json(); every value reaches SQL bound
 * (store_projects.c). */
#include "hazmap/projroutes.h"
#include "hazmap/boxhit.h"
#include "hazmap/geojson.h"
#include "hazmap/oapif.h"
#include "hazmap/paging.h"
#include "hazmap/project.h"
#include "hazmap/projeval.h"
#include "hazmap/release.h"
#include "hazmap/rescache.h"
#include "hazmap/workcrs.h"
#include "hazmap/qparam.h"
#include "hazmap/store_projects.h"
#include "hazmap/wgroups.h"
#include "hazmap/wkb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GEOJSON "application/geo+json"

enum { PROJ_MAX_LIMIT = 1000, PROJ_DEFAULT_LIMIT = 1000, AUDIT_DEFAULT_LIMIT = 100 };

/* The largest project body: a drawn geometry of 100 kB (project.c) and the texts fit many times
 * over; the server's max_body_bytes (10 MB by default) is for imports. */
enum { PROJ_BODY_MAX = 256 * 1024 };

/* ---- who sees what (projroutes.h): the one home of the rule ---- */

/* 1 if c's audience sees project p at all: the public only the projects that have started. */
static int visible(const hctx *c, const hz_project *p)
{
    return c->role != HZ_ROLE_PUBLIC || p->status != HZ_PSTATUS_PLANNED;
}

/* The members the public is not shown: the units behind a project and the editing
 * bookkeeping. */
static const char *const internal_members[] = {"lead_unit",  "partners",   "version",
                                               "created_at", "updated_at", NULL};

/* Removes from j (a project's JSON or a feature's properties) what c's audience may not see. */
static void public_view(const hctx *c, json_t *j)
{
    if (c->role != HZ_ROLE_PUBLIC) return;
    for (size_t i = 0; internal_members[i]; i++)
        json_object_del(j, internal_members[i]);
}

/* 401 for the public (writes need an editor or planner token). */
static int need_writer(const hctx *c, hresp *rs)
{
    if (c->role != HZ_ROLE_PUBLIC) return 0;
    hresp_error(rs, 401, "Unauthorized", "changing projects needs an editor or planner token");
    hresp_header(rs, "WWW-Authenticate", "Bearer");
    return 1;
}

/* 401 for the public, 403 for editors: the audit log is the planners'. */
static int need_planner(const hctx *c, hresp *rs)
{
    if (c->role == HZ_ROLE_PLANNER) return 0;
    if (c->role == HZ_ROLE_PUBLIC) {
        hresp_error(rs, 401, "Unauthorized", "the audit log is for planners: send a token");
        hresp_header(rs, "WWW-Authenticate", "Bearer");
    } else {
        hresp_error(rs, 403, "Forbidden", "the audit log is for planners, not %s tokens",
                    tokens_role_name(c->role));
    }
    return 1;
}

/* The actor of a write: the token's role and, when it has one, its label ("planner:alice"). */
static void actor_of(const hctx *c, char *buf, size_t len)
{
    if (c->token_label[0])
        snprintf(buf, len, "%s:%s", tokens_role_name(c->role), c->token_label);
    else
        snprintf(buf, len, "%s", tokens_role_name(c->role));
}

static int64_t id_or_404(const hctx *c, hresp *rs)
{
    int64_t id = qparam_path_id(c->seg[0]);
    if (id < 0) hresp_error(rs, 404, "NotFound", "no project '%.32s'", c->seg[0]);
    return id;
}

/* The project's JSON for c's audience (new reference; NULL on OOM). */
static json_t *project_for(const hctx *c, const hz_project *p)
{
    json_t *j = project_to_json(p);
    if (!j) return NULL;
    public_view(c, j);
    char href[400];
    snprintf(href, sizeof href, "%s/api/projects/%lld", c->base, (long long)p->id);
    json_object_set_new(j, "href", json_string(href));
    return j;
}

/* ---- GET /api/projects ---- */

typedef struct list_ctx {
    const hctx *c;
    json_t *items;
    long offset, limit;
    int64_t matched;
    int oom;
} list_ctx;

static int list_cb(void *ud, const hz_project *p)
{
    list_ctx *x = ud;
    if (!visible(x->c, p)) return 0;
    int64_t k = x->matched++;
    if (k < x->offset || k >= x->offset + x->limit) return 0;
    json_t *j = project_for(x->c, p);
    if (!j || json_array_append_new(x->items, j)) x->oom = 1;
    return x->oom;
}

static const char *const status_words[] = {"planned", "active", "finished", "stopped", NULL};

void projroutes_list(hctx *c, const hreq *rq, hresp *rs)
{
    static const char *const allowed[] = {"group", "status", "limit", "offset", NULL};
    if (app_check_args(rq, allowed, 0, rs)) return;
    char err[256];
    const char *v, *group = hreq_arg_get(rq, "group");
    int si = -1;
    long limit = PROJ_DEFAULT_LIMIT, offset = 0;
    hz_status s = HZ_OK;
    if (group && !wgroup_find(group))
        s = hz_fail(HZ_EINVAL, err, sizeof err, "group: '%.64s' is not a working group", group);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "status")))
        s = qparam_enum("status", v, status_words, &si, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "limit")))
        s = qparam_long("limit", v, 1, PROJ_MAX_LIMIT, &limit, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "offset")))
        s = qparam_long("offset", v, 0, 1000000000L, &offset, err, sizeof err);
    if (s != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    list_ctx x = {c, json_array(), offset, limit, 0, 0};
    s = store_projects_scan(c->st, group, si, list_cb, &x, err, sizeof err);
    if (s == HZ_OK && (x.oom || !x.items)) s = hz_fail(HZ_ENOMEM, err, sizeof err, "out of memory");
    if (s != HZ_OK) {
        json_decref(x.items);
        app_fail(rs, s, err);
        return;
    }
    json_t *j =
        json_pack("{s:o, s:I, s:I}", "projects", x.items, "numberMatched", (json_int_t)x.matched,
                  "numberReturned", (json_int_t)json_array_size(x.items));
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    hresp_header(rs, "Cache-Control", "no-store");
}

/* ---- one project ---- */

/* Sends project id (status 200 or 201) for c's audience, or the 404. */
static void send_project(hctx *c, int64_t id, int status, hresp *rs)
{
    hz_project p;
    char err[256];
    hz_status s = store_project_get(c->st, id, &p, err, sizeof err);
    if (s == HZ_OK && !visible(c, &p))
        s = hz_fail(HZ_ENOTFOUND, err, sizeof err, "no project %lld", (long long)id);
    json_t *j = s == HZ_OK ? project_for(c, &p) : NULL;
    project_free(&p);
    if (s == HZ_OK && !j) s = hz_fail(HZ_ENOMEM, err, sizeof err, "out of memory");
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    hresp_json(rs, status, j, "application/json");
    if (status == 201) hresp_header(rs, "Location", json_string_value(json_object_get(j, "href")));
    json_decref(j);
    hresp_header(rs, "Cache-Control", "no-store");
}

void projroutes_one(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    int64_t id = id_or_404(c, rs);
    if (id > 0) send_project(c, id, 200, rs);
}

/* ---- GET /api/projects/{id}/evaluation ---- */

/* The public's evaluation: the project's entry of the release's "project_effects" (published
 * with the release, rel_publish_projects()); never computed live from the incidents. */
static void public_evaluation(hctx *c, int64_t id, hresp *rs)
{
    const json_t *effects =
        c->rel ? json_object_get(rel_metadata(c->rel), "project_effects") : NULL;
    size_t i;
    const json_t *e;
    json_array_foreach(effects, i, e)
    {
        if (json_integer_value(json_object_get(e, "id")) != id) continue;
        json_t *j = json_deep_copy(e);
        if (j) json_object_set_new(j, "release", json_integer(rel_id(c->rel)));
        if (!j) {
            app_fail(rs, HZ_ENOMEM, "out of memory");
            return;
        }
        hresp_json(rs, 200, j, "application/json");
        json_decref(j);
        return;
    }
    hresp_error(rs, 404, "NotFound",
                "no published evaluation of project %lld (a project's effect "
                "is published with the next release after it has started)",
                (long long)id);
}

/* Planners and editors: projeval_run() on the current snapshot, cached per data version and
 * project version (a project's write bumps the data version too). */
void projroutes_evaluation(hctx *c, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    int64_t id = id_or_404(c, rs);
    if (id <= 0) return;
    if (c->role == HZ_ROLE_PUBLIC) {
        public_evaluation(c, id, rs);
        return;
    }
    char canon[64], key[256], err[512];
    snprintf(canon, sizeof canon, "%lld", (long long)id);
    rescache_key(c, "project_evaluation", canon, key, sizeof key);
    json_t *j = rescache_json(c, key);
    if (!j) {
        if (app_offload(c, rs)) return;
        hz_project p;
        hz_status s = store_project_get(c->st, id, &p, err, sizeof err);
        workcrs *w = NULL;
        if (s == HZ_OK && !(w = workcrs_new(incset_work_srs(c->snap), 0, 0, err, sizeof err)))
            s = HZ_EINVAL;
        if (s == HZ_OK) {
            projeval_opts o = {c->net, w, NULL, 0, NULL};
            s = projeval_run(c->snap, &p, &o, &j, err, sizeof err);
        }
        workcrs_free(w);
        project_free(&p);
        if (s == HZ_EINVAL) { /* a stored project the methods cannot evaluate (projeval.h) */
            hresp_error(rs, 422, "NotEvaluable", "project %lld: %s", (long long)id, err);
            return;
        }
        if (s != HZ_OK) {
            app_fail(rs, s, err);
            return;
        }
        rescache_store_json(c, key, j, "application/json");
    }
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
}

/* The body of a POST or PUT read into *p; non-zero with rs filled (400, 415) otherwise. */
static int read_body(const hreq *rq, hz_project *p, hresp *rs)
{
    memset(p, 0, sizeof *p);
    const char *ct = rq->content_type;
    if (ct && strncasecmp(ct, "application/json", 16)) {
        hresp_error(rs, 415, "UnsupportedMediaType", "send the project as application/json");
        return -1;
    }
    if (rq->body_len > PROJ_BODY_MAX) {
        hresp_error(rs, 413, "PayloadTooLarge", "a project body is at most %d bytes",
                    PROJ_BODY_MAX);
        return -1;
    }
    json_error_t jerr;
    json_t *doc =
        rq->body ? json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    /* what GET answers may be sent back as it is: its link is no member of the project */
    if (json_is_string(json_object_get(doc, "href"))) json_object_del(doc, "href");
    if (!doc) {
        hresp_error(rs, 400, "InvalidParameterValue", "body: not JSON (line %d: %.128s)",
                    rq->body ? jerr.line : 0, rq->body ? jerr.text : "no body");
        return -1;
    }
    char err[512];
    hz_status s = project_from_json(doc, p, err, sizeof err);
    json_decref(doc);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return -1;
    }
    return 0;
}

/* After a write: this process's next requests see it at once (caches key on the version). */
static void note_write(hctx *c)
{
    int64_t v = 0;
    if (store_data_version(c->st, &v) == HZ_OK) app_note_write(c->app, v);
}

void projroutes_post(hctx *c, const hreq *rq, hresp *rs)
{
    if (need_writer(c, rs) || app_check_args(rq, NULL, 0, rs)) return;
    hz_project p;
    if (read_body(rq, &p, rs)) {
        project_free(&p);
        return;
    }
    char err[512], actor[128];
    actor_of(c, actor, sizeof actor);
    int64_t id = 0;
    hz_status s = store_project_add(c->st, &p, actor, &id, err, sizeof err);
    project_free(&p);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    note_write(c);
    send_project(c, id, 201, rs);
}

void projroutes_put(hctx *c, const hreq *rq, hresp *rs)
{
    if (need_writer(c, rs) || app_check_args(rq, NULL, 0, rs)) return;
    int64_t id = id_or_404(c, rs);
    if (id < 0) return;
    hz_project p;
    if (read_body(rq, &p, rs)) {
        project_free(&p);
        return;
    }
    char err[512], actor[128];
    hz_status s = HZ_OK;
    if (p.version < 1)
        s = hz_fail(HZ_EINVAL, err, sizeof err,
                    "version: required (the version the project was read at)");
    else if (p.id && p.id != id)
        s = hz_fail(HZ_EINVAL, err, sizeof err, "id: %lld is not the project of the path (%lld)",
                    (long long)p.id, (long long)id);
    p.id = id;
    actor_of(c, actor, sizeof actor);
    if (s == HZ_OK) s = store_project_update(c->st, &p, actor, err, sizeof err);
    project_free(&p);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    note_write(c);
    send_project(c, id, 200, rs);
}

void projroutes_delete(hctx *c, const hreq *rq, hresp *rs)
{
    static const char *const allowed[] = {"version", NULL};
    if (need_writer(c, rs) || app_check_args(rq, allowed, 0, rs)) return;
    int64_t id = id_or_404(c, rs);
    if (id < 0) return;
    char err[512], actor[128];
    long version = 0;
    const char *v = hreq_arg_get(rq, "version");
    hz_status s = HZ_OK;
    if (v) s = qparam_long("version", v, 1, 0x7fffffffL, &version, err, sizeof err);
    actor_of(c, actor, sizeof actor);
    if (s == HZ_OK) s = store_project_delete(c->st, id, version, actor, err, sizeof err);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    note_write(c);
    hresp_bytes(rs, 204, "text/plain", "", 0);
    hresp_header(rs, "Cache-Control", "no-store");
}

/* ---- the audit log ---- */

typedef struct audit_ctx {
    json_t *items;
    int oom;
} audit_ctx;

/* The top-level members whose values differ between before and after (the store's bookkeeping
 * version and updated_at left out): what the change changed. */
static json_t *changed_members(const json_t *before, const json_t *after)
{
    json_t *out = json_array();
    const json_t *all[2] = {before, after};
    for (int k = 0; k < 2 && out; k++) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)all[k], key, v)
        {
            if (!strcmp(key, "version") || !strcmp(key, "updated_at")) continue;
            if (k == 1 && json_object_get(before, key)) continue; /* counted in the first pass */
            if (!json_equal(json_object_get(before, key), json_object_get(after, key)))
                json_array_append_new(out, json_string(key));
        }
    }
    return out;
}

static int audit_cb(void *ud, const store_audit_rec *a)
{
    audit_ctx *x = ud;
    json_t *before = a->before ? json_loads(a->before, 0, NULL) : json_null();
    json_t *after = a->after ? json_loads(a->after, 0, NULL) : json_null();
    json_t *changed = changed_members(json_is_object(before) ? before : NULL,
                                      json_is_object(after) ? after : NULL);
    json_t *o =
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)a->id, "project_id",
                  (json_int_t)a->project_id, "at", a->at, "actor", a->actor, "action", a->action,
                  "changed", changed, "before", before, "after", after);
    if (!o || json_array_append_new(x->items, o)) x->oom = 1;
    return x->oom;
}

void projroutes_audit(hctx *c, const hreq *rq, hresp *rs)
{
    static const char *const allowed[] = {"limit", "offset", NULL};
    if (need_planner(c, rs) || app_check_args(rq, allowed, 0, rs)) return;
    int64_t id = 0;
    if (c->seg[0] && (id = id_or_404(c, rs)) < 0) return;
    char err[256];
    long limit = AUDIT_DEFAULT_LIMIT, offset = 0;
    const char *v;
    hz_status s = HZ_OK;
    if ((v = hreq_arg_get(rq, "limit")))
        s = qparam_long("limit", v, 1, PROJ_MAX_LIMIT, &limit, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "offset")))
        s = qparam_long("offset", v, 0, 1000000000L, &offset, err, sizeof err);
    if (s != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    audit_ctx x = {json_array(), 0};
    int64_t total = 0;
    s = store_project_audit_scan(c->st, id, offset, limit, audit_cb, &x, &total, err, sizeof err);
    if (s == HZ_OK && (x.oom || !x.items)) s = hz_fail(HZ_ENOMEM, err, sizeof err, "out of memory");
    if (s == HZ_OK && id && total == 0)
        s = hz_fail(HZ_ENOTFOUND, err, sizeof err, "no project %lld", (long long)id);
    if (s != HZ_OK) {
        json_decref(x.items);
        app_fail(rs, s, err);
        return;
    }
    size_t n = json_array_size(x.items);
    json_t *j = json_pack("{s:o, s:I, s:I}", "items", x.items, "numberMatched", (json_int_t)total,
                          "numberReturned", (json_int_t)n);
    json_t *nav = json_array();
    char path[96], href[512];
    if (id)
        snprintf(path, sizeof path, "/api/projects/%lld/audit", (long long)id);
    else
        snprintf(path, sizeof path, "/api/projects/audit");
    if (offset + (long)n < total) {
        snprintf(href, sizeof href, "%s%s?limit=%ld&offset=%ld", c->base, path, limit,
                 offset + limit);
        json_array_append_new(nav, json_pack("{s:s, s:s}", "rel", "next", "href", href));
    }
    if (offset > 0) {
        snprintf(href, sizeof href, "%s%s?limit=%ld&offset=%ld", c->base, path, limit,
                 offset > limit ? offset - limit : 0);
        json_array_append_new(nav, json_pack("{s:s, s:s}", "rel", "prev", "href", href));
    }
    json_object_set_new(j, "links", nav);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    hresp_header(rs, "Cache-Control", "no-store");
}

/* ---- the OGC API collection "projects" ---- */

static void bbox_grow(double bb[4], double x0, double y0, double x1, double y1)
{
    bb[0] = fmin(bb[0], x0);
    bb[1] = fmin(bb[1], y0);
    bb[2] = fmax(bb[2], x1);
    bb[3] = fmax(bb[3], y1);
}

/* The geometry of p's feature and its box: the drawn location; else its areas' polygons as one
 * MultiPolygon (an area inside another listed area adds nothing); else null (bb left empty:
 * bb[0] > bb[2]). *kind says which ("drawn", "areas", "sites", "none"). With build 0 only the box
 * and kind are found (a feature off the page costs no GeoJSON) and the answer is null. New
 * reference; NULL on OOM. */
static json_t *feature_geometry(const hctx *c, const hz_project *p, int build, double bb[4],
                                const char **kind)
{
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    if (p->wkb) {
        *kind = "drawn";
        wkb_geom *g = wkb_read(p->wkb, p->wkb_len);
        for (size_t i = 0; g && i < g->npoints; i++)
            bbox_grow(bb, g->xy[2 * i], g->xy[2 * i + 1], g->xy[2 * i], g->xy[2 * i + 1]);
        wkb_geom_free(g);
        return build ? geojson_from_wkb(p->wkb, p->wkb_len) : json_null();
    }
    const hz_area *areas = c->snap ? incset_areas(c->snap) : NULL;
    json_t *polys = build ? json_array() : NULL;
    size_t used = 0;
    for (size_t i = 0; (polys || !build) && areas && i < p->nareas; i++) {
        int32_t a = incset_area_find(c->snap, p->areas[i]);
        if (a < 0) continue; /* removed since the project was written */
        int inside = 0;
        for (size_t k = 0; k < p->nareas && !inside; k++) {
            int32_t b = k == i ? -1 : incset_area_find(c->snap, p->areas[k]);
            inside = b >= 0 && b != a && incset_area_within(c->snap, a, b);
        }
        if (inside) continue;
        used++;
        bbox_grow(bb, areas[a].minlon, areas[a].minlat, areas[a].maxlon, areas[a].maxlat);
        if (!build) continue;
        json_t *g = geojson_from_wkb(areas[a].wkb, areas[a].wkb_len);
        json_t *coords = json_object_get(g, "coordinates");
        if (json_is_array(coords)) json_array_extend(polys, coords); /* MULTIPOLYGON's parts */
        json_decref(g);
    }
    if (build && !polys) return NULL;
    *kind = used ? "areas" : p->nsites ? "sites" : "none";
    if (build && json_array_size(polys))
        return json_pack("{s:s, s:o}", "type", "MultiPolygon", "coordinates", polys);
    json_decref(polys);
    return json_null();
}

/* v's entries joined with sep (GIS clients read flat properties); NULL for an empty list. */
static json_t *joined(char *const *v, size_t n, const char *sep)
{
    if (!n) return json_null();
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + strlen(sep);
    char *buf = malloc(len);
    if (!buf) return NULL;
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? sep : "", v[i]);
    json_t *j = json_string(buf);
    free(buf);
    return j;
}

/* p as a GeoJSON feature for c's audience, its box in bb; NULL on OOM. Properties are flat:
 * the lists as text joined with ", " (indicators with "; "). */
static json_t *project_feature(const hctx *c, const hz_project *p, double bb[4])
{
    const char *kind = "none";
    json_t *geom = feature_geometry(c, p, 1, bb, &kind);
    const wgroup *g = wgroup_find(p->group);
    json_t *props = json_pack(
        "{s:I, s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:s, s:s, s:s, s:s?, s:s, s:o, s:o, s:f, s:s,"
        " s:o, s:s?, s:o, s:I, s:s, s:s}",
        "id", (json_int_t)p->id, "title", p->title, "title_en", p->title_en, "description",
        p->description, "group", p->group, "group_name", g ? g->name_zh : NULL, "group_name_en",
        g ? g->name_en : NULL, "type", project_type_word(p->type), "status",
        project_status_word(p->status), "start", p->start, "end", p->end[0] ? p->end : NULL,
        "target", p->target, "areas", joined(p->areas, p->nareas, ", "), "sites",
        joined(p->sites, p->nsites, ", "), "buffer_m", p->buffer_m, "located_by", kind,
        "indicators", joined(p->indicators, p->nindicators, "; "), "lead_unit", p->lead_unit,
        "partners", joined(p->partners, p->npartners, ", "), "version", (json_int_t)p->version,
        "created_at", p->created_at, "updated_at", p->updated_at);
    if (!props || !geom) {
        json_decref(props);
        json_decref(geom);
        return NULL;
    }
    public_view(c, props);
    return json_pack("{s:s, s:I, s:o, s:o}", "type", "Feature", "id", (json_int_t)p->id, "geometry",
                     geom, "properties", props);
}

static json_t *projects_provenance(void)
{
    return json_pack("{s:s, s:s}", "source", "the projects registry of the store (issue 12)",
                     "geometry",
                     "the drawn location; else the project's areas as one "
                     "MultiPolygon; else null (road sites only, or no location)");
}

typedef struct items_ctx {
    const hctx *c;
    const paging_params *pg;
    paging_page *page;
    int oom;
} items_ctx;

/* paging_exact of a project: its geometry, built only for a feature on the bbox's edge. */
typedef struct proj_ref {
    const hctx *c;
    const hz_project *p;
    int oom;
} proj_ref;

static int proj_exact(void *ud, const double box[4])
{
    proj_ref *r = ud;
    double bb[4];
    const char *kind;
    json_t *g = feature_geometry(r->c, r->p, 1, bb, &kind);
    if (!g) r->oom = 1;
    int hit = g && boxhit_geojson(g, box);
    json_decref(g);
    return hit;
}

static int items_cb(void *ud, const hz_project *p)
{
    items_ctx *x = ud;
    if (!visible(x->c, p)) return 0;
    double bb[4];
    const char *kind;
    json_decref(feature_geometry(x->c, p, 0, bb, &kind)); /* the box only */
    /* with a bbox, a feature without geometry matches nothing */
    proj_ref ref = {x->c, p, 0};
    int hit = paging_bbox_meets(x->pg, bb, proj_exact, &ref);
    if (ref.oom) {
        x->oom = 1;
        return 1;
    }
    if (!hit || !paging_match(x->page)) return 0;
    json_t *f = project_feature(x->c, p, bb);
    if (!f) {
        x->oom = 1;
        return 1;
    }
    paging_add_json(x->page, f);
    json_decref(f);
    return 0;
}

void projroutes_items(hctx *c, const hreq *rq, hresp *rs)
{
    paging_params pg;
    if (paging_parse_untimed(c, rq, &pg, rs)) return;
    paging_page *page = paging_page_new(&pg);
    if (!page) {
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory");
        return;
    }
    items_ctx x = {c, &pg, page, 0};
    char err[256];
    hz_status s = store_projects_scan(c->st, NULL, -1, items_cb, &x, err, sizeof err);
    if (s == HZ_OK && x.oom) s = hz_fail(HZ_ENOMEM, err, sizeof err, "out of memory");
    if (s != HZ_OK) {
        paging_page_free(page);
        app_fail(rs, s, err);
        return;
    }
    json_t *prov = projects_provenance();
    paging_send(c, rq, rs, page, prov);
    json_decref(prov);
}

void projroutes_item(hctx *c, const char *fid, const hreq *rq, hresp *rs)
{
    if (app_check_args(rq, NULL, 0, rs)) return;
    int64_t id = qparam_path_id(fid);
    hz_project p;
    char err[256];
    hz_status s = id > 0 ? store_project_get(c->st, id, &p, err, sizeof err)
                         : hz_fail(HZ_ENOTFOUND, err, sizeof err, "no project '%.32s'", fid);
    if (id > 0 && s == HZ_OK && !visible(c, &p))
        s = hz_fail(HZ_ENOTFOUND, err, sizeof err, "no project %lld", (long long)id);
    double bb[4];
    json_t *f = s == HZ_OK ? project_feature(c, &p, bb) : NULL;
    if (id > 0) project_free(&p);
    if (s == HZ_OK && !f) s = hz_fail(HZ_ENOMEM, err, sizeof err, "out of memory");
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    json_object_set_new(f, "links", paging_item_links(c));
    hresp_json(rs, 200, f, GEOJSON);
    json_decref(f);
}

/* ---- OpenAPI ---- */

static json_t *op(const char *id, const char *summary, json_t *params, json_t *responses,
                  int secured)
{
    json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "operationId", id, "summary", summary,
                          "parameters", params, "responses", responses);
    /* reads answer the public too (the token is optional); writes and the audit need one */
    json_object_set_new(o, "security",
                        secured ? json_pack("[{s:[]}, {s:[]}]", "bearer", "basic")
                                : json_pack("[{}, {s:[]}, {s:[]}]", "bearer", "basic"));
    return o;
}

static json_t *id_param(void)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:i}}", "name", "id", "in", "path",
                     "description", "the project's id", "required", 1, "schema", "type", "integer",
                     "minimum", 1);
}

static json_t *int_param(const char *name, const char *desc, int min, int max, int def)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:i, s:i, s:i}}", "name", name, "in", "query",
                     "description", desc, "required", 0, "schema", "type", "integer", "minimum",
                     min, "maximum", max, "default", def);
}

static json_t *resp(const char *code, const char *desc, json_t *r)
{
    if (!r) r = json_object();
    json_t *one = json_pack("{s:s}", "description", desc);
    if (code[0] == '2' && strcmp(code, "204"))
        json_object_set_new(one, "content", json_pack("{s:{}}", "application/json"));
    json_object_set_new(r, code, one);
    return r;
}

static json_t *project_body(void)
{
    return json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content", "application/json",
                     "schema", "type", "object");
}

void projroutes_openapi(json_t *paths)
{
    json_t *lp = json_array();
    json_array_append_new(lp, json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name", "group", "in",
                                        "query", "description",
                                        "the projects of this working group (wgroups.h keys)",
                                        "required", 0, "schema", "type", "string"));
    json_array_append_new(
        lp, json_pack("{s:s, s:s, s:s, s:b, s:{s:s, s:[s,s,s,s]}}", "name", "status", "in", "query",
                      "description", "the projects with this status", "required", 0, "schema",
                      "type", "string", "enum", "planned", "active", "finished", "stopped"));
    json_array_append_new(lp,
                          int_param("limit", "page size", 1, PROJ_MAX_LIMIT, PROJ_DEFAULT_LIMIT));
    json_array_append_new(lp, int_param("offset", "index of the first project", 0, 1000000000, 0));
    json_t *list_r = resp("200", "the projects the audience sees", NULL);
    resp("400", "invalid parameter", list_r);
    json_t *post_r = resp("201", "the new project (Location: its URL)", NULL);
    resp("400", "invalid body, naming the member", post_r);
    resp("401", "an editor or planner token is needed", post_r);
    resp("415", "the body is not application/json", post_r);
    json_t *post =
        op("post_api_projects", "Registers a project (editors, planners)", json_array(), post_r, 1);
    json_object_set_new(post, "requestBody", project_body());
    json_object_set_new(
        paths, "/api/projects",
        json_pack("{s:o, s:o}", "get",
                  op("get_api_projects", "The safety-promotion projects", lp, list_r, 0), "post",
                  post));

    json_t *get_r = resp("200", "the project", NULL);
    resp("404", "no such project (or not yet published)", get_r);
    json_t *put_r = resp("200", "the project as updated", NULL);
    resp("400", "invalid body, naming the member; version missing", put_r);
    resp("401", "an editor or planner token is needed", put_r);
    resp("404", "no such project", put_r);
    resp("409", "the project changed since the version named: read it again", put_r);
    resp("415", "the body is not application/json", put_r);
    json_t *put = op("put_api_projects_id", "Replaces a project (editors, planners)",
                     json_pack("[o]", id_param()), put_r, 1);
    json_object_set_new(put, "requestBody", project_body());
    json_t *del_r = resp("204", "deleted", NULL);
    resp("401", "an editor or planner token is needed", del_r);
    resp("404", "no such project", del_r);
    resp("409", "the project is not at the version named", del_r);
    json_t *del_params =
        json_pack("[o, o]", id_param(),
                  int_param("version", "delete only at this version", 1, 0x7fffffff, 1));
    json_object_set_new(
        paths, "/api/projects/{id}",
        json_pack("{s:o, s:o, s:o}", "get",
                  op("get_api_projects_id", "One project", json_pack("[o]", id_param()), get_r, 0),
                  "put", put, "delete",
                  op("delete_api_projects_id", "Deletes a project (editors, planners)", del_params,
                     del_r, 1)));

    json_t *audit_params =
        json_pack("[o, o]", int_param("limit", "page size", 1, PROJ_MAX_LIMIT, AUDIT_DEFAULT_LIMIT),
                  int_param("offset", "index of the first row", 0, 1000000000, 0));
    json_t *a1 = resp("200", "a page of the audit log", NULL);
    resp("401", "a planner token is needed", a1);
    resp("403", "editors do not read the audit log", a1);
    json_t *a2 = json_deep_copy(a1);
    resp("404", "no such project, now or before", a2);
    json_object_set_new(
        paths, "/api/projects/audit",
        json_pack("{s:o}", "get",
                  op("get_api_projects_audit", "Every project's audit log (planners)",
                     json_deep_copy(audit_params), a1, 1)));
    json_t *ap2 = json_deep_copy(audit_params);
    json_array_insert_new(ap2, 0, id_param());
    json_decref(audit_params);
    json_object_set_new(paths, "/api/projects/{id}/audit",
                        json_pack("{s:o}", "get",
                                  op("get_api_projects_id_audit",
                                     "One project's audit log (planners)", ap2, a2, 1)));
    json_t *e = resp("200",
                     "planners and editors: the live evaluation (PROGRAMME.md); the public: the "
                     "effect published with the newest release",
                     NULL);
    resp("404", "no such project, or (public) no published effect yet", e);
    resp("422", "the methods cannot evaluate this project (the reason)", e);
    json_object_set_new(paths, "/api/projects/{id}/evaluation",
                        json_pack("{s:o}", "get",
                                  op("get_api_projects_id_evaluation", "A project's evaluation",
                                     json_pack("[o]", id_param()), e, 0)));
}

/* links.c - the record links over HTTP: list, summary, one link, a reviewer's decision (see
 * links.h). Every parameter is parsed strictly and every value reaches SQL bound
 * (store_links.c). */
#include "hazmap/links.h"
#include "hazmap/linkage.h"
#include "hazmap/linkage_db.h"
#include "hazmap/qparam.h"
#include "hazmap/store_links.h"
#include "hazmap/vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { LINKS_MAX_LIMIT = 1000, LINKS_DEFAULT_LIMIT = 100 };

/* 401 for the public; 0 for planners and editors. */
static int need_token(const hctx *c, hresp *rs)
{
    if (c->role != HZ_ROLE_PUBLIC) return 0;
    hresp_error(rs, 401, "Unauthorized", "record links are for planners and editors: send a token");
    hresp_header(rs, "WWW-Authenticate", "Bearer");
    return 1;
}

/* The incident fields a reviewer compares (only for roles that read incidents). */
static int record_cb(void *ud, const hz_incident_rec *r)
{
    json_t *arr = ud;
    json_t *o = json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o}", "id", (json_int_t)r->id,
                          "source", r->source, "source_id", r->source_id, "occurred_at",
                          r->occurred_at, "mechanism", vocab_name(HZ_VOCAB_MECHANISM, r->mechanism),
                          "sex", vocab_name(HZ_VOCAB_SEX, r->sex), "area", r->area_code, "lonlat",
                          /* null for an area-only record (json_real() refuses NaN) */
                          hz_rec_has_point(r) ? json_pack("[f,f]", r->lon, r->lat) : json_null());
    if (o) {
        json_object_set_new(o, "age", r->age >= 0 ? json_integer(r->age) : json_null());
        json_array_append_new(arr, o);
    }
    return 0;
}

typedef struct link_ctx {
    hctx *c;
    json_t *items;
    hz_status s;
    char err[256];
} link_ctx;

static int link_cb(void *ud, const store_link_rec *l)
{
    link_ctx *x = ud;
    char href[400];
    snprintf(href, sizeof href, "%s/api/links/%lld", x->c->base, (long long)l->id);
    json_t *o = json_pack("{s:I, s:I, s:I, s:f, s:s, s:s?, s:s?, s:s}", "id", (json_int_t)l->id,
                          "a", (json_int_t)l->a, "b", (json_int_t)l->b, "score", l->score, "status",
                          l->status, "reviewer", l->reviewer, "at", l->at, "href", href);
    if (!o) {
        x->s = HZ_ENOMEM;
        return 1;
    }
    if (tokens_reads_incidents(x->c->role)) {
        json_t *recs = json_array();
        int64_t ids[2] = {l->a, l->b};
        x->s = store_incidents_get(x->c->st, ids, 2, record_cb, recs, x->err, sizeof x->err);
        json_object_set_new(o, "records", recs);
    }
    json_array_append_new(x->items, o);
    return x->s != HZ_OK;
}

void links_list(hctx *c, const hreq *rq, hresp *rs)
{
    if (need_token(c, rs)) return;
    static const char *const allowed[] = {"status", "limit", "offset", NULL};
    if (app_check_args(rq, allowed, 0, rs)) return;
    static const char *const statuses[] = {"auto",     "possible", "confirmed",
                                           "rejected", "all",      NULL};
    char err[256];
    int si = 1;
    long limit = LINKS_DEFAULT_LIMIT, offset = 0;
    const char *v;
    hz_status s = HZ_OK;
    if ((v = hreq_arg_get(rq, "status")))
        s = qparam_enum("status", v, statuses, &si, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "limit")))
        s = qparam_long("limit", v, 1, LINKS_MAX_LIMIT, &limit, err, sizeof err);
    if (s == HZ_OK && (v = hreq_arg_get(rq, "offset")))
        s = qparam_long("offset", v, 0, 1000000000L, &offset, err, sizeof err);
    if (s != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return;
    }
    const char *status = strcmp(statuses[si], "all") == 0 ? NULL : statuses[si];
    link_ctx x = {c, json_array(), HZ_OK, ""};
    int64_t total = 0;
    s = store_links_scan(c->st, status, offset, limit, link_cb, &x, &total, err, sizeof err);
    if (s == HZ_OK && x.s != HZ_OK) {
        s = x.s;
        snprintf(err, sizeof err, "%s", x.err[0] ? x.err : "out of memory");
    }
    if (s != HZ_OK) {
        json_decref(x.items);
        app_fail(rs, s, err);
        return;
    }
    size_t n = json_array_size(x.items);
    json_t *j =
        json_pack("{s:o, s:I, s:I, s:s}", "items", x.items, "numberMatched", (json_int_t)total,
                  "numberReturned", (json_int_t)n, "status", statuses[si]);
    json_t *nav = json_array();
    char href[512];
    if (offset + (long)n < total) {
        snprintf(href, sizeof href, "%s/api/links?status=%s&limit=%ld&offset=%ld", c->base,
                 statuses[si], limit, offset + limit);
        json_array_append_new(nav, json_pack("{s:s, s:s}", "rel", "next", "href", href));
    }
    if (offset > 0) {
        snprintf(href, sizeof href, "%s/api/links?status=%s&limit=%ld&offset=%ld", c->base,
                 statuses[si], limit, offset > limit ? offset - limit : 0);
        json_array_append_new(nav, json_pack("{s:s, s:s}", "rel", "prev", "href", href));
    }
    json_object_set_new(j, "links", nav);
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    hresp_header(rs, "Cache-Control", "no-store");
}

void links_summary(hctx *c, const hreq *rq, hresp *rs)
{
    if (need_token(c, rs) || app_check_args(rq, NULL, 0, rs)) return;
    if (app_offload(c, rs)) return; /* reads every record: work proportional to the data */
    char err[512];
    json_t *j = NULL;
    hz_status s = linkage_db_summary(c->st, &j, err, sizeof err);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    hresp_json(rs, 200, j, "application/json");
    json_decref(j);
    hresp_header(rs, "Cache-Control", "no-store");
}

/* Sends link id (200), or the 404. */
static void send_link(hctx *c, int64_t id, hresp *rs)
{
    link_ctx x = {c, json_array(), HZ_OK, ""};
    char err[256];
    hz_status s = store_link_get(c->st, id, link_cb, &x, err, sizeof err);
    if (s == HZ_OK && x.s != HZ_OK) {
        s = x.s;
        snprintf(err, sizeof err, "%s", x.err[0] ? x.err : "out of memory");
    }
    if (s != HZ_OK) {
        json_decref(x.items);
        app_fail(rs, s, err);
        return;
    }
    hresp_json(rs, 200, json_array_get(x.items, 0), "application/json");
    json_decref(x.items);
    hresp_header(rs, "Cache-Control", "no-store");
}

void links_one(hctx *c, const hreq *rq, hresp *rs)
{
    if (need_token(c, rs) || app_check_args(rq, NULL, 0, rs)) return;
    int64_t id = qparam_path_id(c->seg[0]);
    if (id < 0) {
        hresp_error(rs, 404, "NotFound", "no link '%.32s'", c->seg[0]);
        return;
    }
    send_link(c, id, rs);
}

void links_review(hctx *c, const hreq *rq, hresp *rs)
{
    if (need_token(c, rs) || app_check_args(rq, NULL, 0, rs)) return;
    int64_t id = qparam_path_id(c->seg[0]);
    if (id < 0) {
        hresp_error(rs, 404, "NotFound", "no link '%.32s'", c->seg[0]);
        return;
    }
    const char *ct = rq->content_type;
    if (ct && strncasecmp(ct, "application/json", 16)) {
        hresp_error(rs, 415, "UnsupportedMediaType", "send application/json");
        return;
    }
    json_error_t jerr;
    json_t *doc =
        rq->body ? json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    const json_t *st = json_object_get(doc, "status");
    const char *status = json_string_value(st);
    if (!json_is_object(doc) || json_object_size(doc) != 1 || !status ||
        (strcmp(status, "confirmed") && strcmp(status, "rejected"))) {
        json_decref(doc);
        hresp_error(rs, 400, "InvalidParameterValue",
                    "body: send {\"status\": \"confirmed\"} or {\"status\": \"rejected\"}");
        return;
    }
    char err[512];
    hz_status s = store_link_review(c->st, id, status, tokens_role_name(c->role), err, sizeof err);
    json_decref(doc);
    if (s != HZ_OK) {
        app_fail(rs, s, err);
        return;
    }
    int64_t v = 0;
    if (store_data_version(c->st, &v) == HZ_OK) app_note_write(c->app, v);
    send_link(c, id, rs);
}

/* ---- OpenAPI ---- */

static json_t *op(const char *id, const char *summary, json_t *params, json_t *responses)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:[{s:[]}, {s:[]}]}", "operationId", id, "summary",
                     summary, "parameters", params, "responses", responses, "security", "bearer",
                     "basic");
}

static json_t *id_param(void)
{
    return json_pack("[{s:s, s:s, s:s, s:b, s:{s:s, s:i}}]", "name", "id", "in", "path",
                     "description", "the link's id", "required", 1, "schema", "type", "integer",
                     "minimum", 1);
}

static json_t *answers(const char *ok)
{
    return json_pack("{s:{s:s, s:{s:{}}}, s:{s:s}, s:{s:s}}", "200", "description", ok, "content",
                     "application/json", "400", "description",
                     "invalid parameter or body {\"code\", \"description\"}", "401", "description",
                     "a planner or editor token is needed");
}

void links_openapi(json_t *paths)
{
    json_t *list =
        json_pack("[{s:s, s:s, s:s, s:b, s:{s:s, s:[s,s,s,s,s], s:s}},"
                  " {s:s, s:s, s:s, s:b, s:{s:s, s:i, s:i, s:i}},"
                  " {s:s, s:s, s:s, s:b, s:{s:s, s:i, s:i}}]",
                  "name", "status", "in", "query", "description", "the links with this status",
                  "required", 0, "schema", "type", "string", "enum", "auto", "possible",
                  "confirmed", "rejected", "all", "default", "possible", "name", "limit", "in",
                  "query", "description", "page size", "required", 0, "schema", "type", "integer",
                  "minimum", 1, "maximum", LINKS_MAX_LIMIT, "default", LINKS_DEFAULT_LIMIT, "name",
                  "offset", "in", "query", "description", "index of the first link", "required", 0,
                  "schema", "type", "integer", "minimum", 0, "default", 0);
    json_object_set_new(
        paths, "/api/links",
        json_pack("{s:o}", "get",
                  op("get_api_links", "Record links between sources, paged (planners, editors)",
                     list, answers("a page of links"))));
    json_object_set_new(
        paths, "/api/links/summary",
        json_pack("{s:o}", "get",
                  op("get_api_links_summary",
                     "Per-source counts, overlaps and the capture-recapture estimate of the total",
                     json_array(), answers("the summary"))));
    json_t *post_resp = answers("the link with the decision");
    json_object_set_new(post_resp, "404", json_pack("{s:s}", "description", "no such link"));
    json_object_set_new(post_resp, "415",
                        json_pack("{s:s}", "description", "the body is not application/json"));
    json_t *get_resp = answers("one link");
    json_object_set_new(get_resp, "404", json_pack("{s:s}", "description", "no such link"));
    json_t *post =
        op("post_api_links_id", "A reviewer confirms or rejects a link", id_param(), post_resp);
    json_object_set_new(post, "requestBody",
                        json_pack("{s:b, s:{s:{s:{s:s, s:[s], s:b, s:{s:{s:s, s:[s,s]}}}}}}",
                                  "required", 1, "content", "application/json", "schema", "type",
                                  "object", "required", "status", "additionalProperties", 0,
                                  "properties", "status", "type", "string", "enum", "confirmed",
                                  "rejected"));
    json_object_set_new(paths, "/api/links/{id}",
                        json_pack("{s:o, s:o}", "get",
                                  op("get_api_links_id", "One record link", id_param(), get_resp),
                                  "post", post));
}

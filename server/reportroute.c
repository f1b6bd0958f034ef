/* reportroute.c - GET /api/report (reportroute.h). */
#include "hazmap/reportroute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/linkage_db.h"
#include "hazmap/projeval.h"
#include "hazmap/release.h"
#include "hazmap/report.h"
#include "hazmap/rescache.h"

enum { PDF_TIMEOUT_S = 60 };

/* The arguments; 0, or -1 with the 400 in rs. */
static int report_args(const hreq *rq, report_inputs *in, int *pdf, hresp *rs)
{
    static const char *const allowed[] = {"group", "quarter", "lang", "f", NULL};
    char err[512];
    if (hreq_check_args(rq, allowed, 0, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    const char *group = hreq_arg_get(rq, "group"), *q = hreq_arg_get(rq, "quarter"),
               *lang = hreq_arg_get(rq, "lang"), *f = hreq_arg_get(rq, "f");
    if (!group || !q) {
        hresp_error(rs, 400, "MissingParameterValue",
                    "%s: required (e.g. group=traffic&quarter=2014Q2)",
                    group ? "quarter" : "group");
        return -1;
    }
    in->group = group;
    if (report_parse_quarter(q, &in->quarter, err, sizeof err) != HZ_OK) {
        hresp_error(rs, 400, "InvalidParameterValue", "%s", err);
        return -1;
    }
    if (lang && strcmp(lang, "zh") && strcmp(lang, "en")) {
        hresp_error(rs, 400, "InvalidParameterValue", "lang: '%.32s' is not zh or en", lang);
        return -1;
    }
    in->lang_en = lang && strcmp(lang, "en") == 0;
    if (f && strcmp(f, "html") && strcmp(f, "pdf")) {
        hresp_error(rs, 400, "InvalidParameterValue", "f: '%.32s' is not html or pdf", f);
        return -1;
    }
    *pdf = f && strcmp(f, "pdf") == 0;
    return 0;
}

/* The projects the report lists (report.h): for planners every project of the group (all for
 * the district) with its live evaluation (projeval_list()); for the public version the started
 * projects' effects published with the release. New reference, NULL on failure (err). */
static json_t *report_projects(hctx *c, const report_inputs *in, char *err, size_t errlen)
{
    if (in->public_version) {
        const json_t *e = c->rel ? json_object_get(rel_metadata(c->rel), "project_effects") : NULL;
        return e ? json_deep_copy(e) : json_array();
    }
    const char *group = strcmp(in->group, "district") == 0 ? NULL : in->group;
    json_t *list = NULL;
    if (projeval_list(c->st, c->snap, c->net, group, 0, NULL, &list, err, errlen) != HZ_OK)
        return NULL;
    return list;
}

/* The report's HTML into *html; 0, or -1 with the error in rs. */
static int make_html(hctx *c, report_inputs *in, char **html, size_t *len, hresp *rs)
{
    char err[512];
    json_t *projects = report_projects(c, in, err, sizeof err), *linkage = NULL;
    hz_status s = projects ? HZ_OK : HZ_EDB;
    if (s == HZ_OK && !in->public_version && linkage_db_has_links(c->st))
        s = linkage_db_summary(c->st, &linkage, err, sizeof err);
    in->projects = projects;
    in->linkage = linkage;
    if (s == HZ_OK) s = report_html(in, html, len, err, sizeof err);
    json_decref(projects);
    json_decref(linkage);
    if (s == HZ_ENOMEM) snprintf(err, sizeof err, "out of memory");
    if (s != HZ_OK) app_fail(rs, s, err);
    return s == HZ_OK ? 0 : -1;
}

void reportroute_handle(hctx *c, const hreq *rq, hresp *rs)
{
    report_inputs in = {.snap = c->snap, .source = c->cfg->db, .nthreads = 1};
    int pdf = 0;
    if (report_args(rq, &in, &pdf, rs)) return;
    if (app_public_unreleased(c, rs)) return;
    if (c->role == HZ_ROLE_PUBLIC) {
        in.public_version = 1;
        in.rel = c->rel;
        in.min_count = c->cfg->min_count;
    } else {
        in.net = c->net;
        in.tr = c->tr;
    }
    char canon[256], key[512];
    snprintf(canon, sizeof canon, "group=%s&quarter=%d&lang=%d&pdf=%d", in.group, in.quarter,
             in.lang_en, pdf);
    rescache_key(c, "report", canon, key, sizeof key);
    const char *type = pdf ? "application/pdf" : "text/html; charset=utf-8";
    if (!rescache_lookup(c, key, type, rs)) {
        if (app_offload(c, rs)) return;
        char *html = NULL;
        size_t len = 0;
        if (make_html(c, &in, &html, &len, rs)) return;
        if (!pdf) {
            hresp_take(rs, 200, type, (unsigned char *)html, len);
        } else {
            unsigned char *doc = NULL;
            size_t n = 0;
            char err[512];
            hz_status s = report_pdf(html, len, NULL, PDF_TIMEOUT_S, &doc, &n, err, sizeof err);
            free(html);
            if (s != HZ_OK) {
                hresp_error(rs, 503, "ServiceUnavailable", "%s", err);
                return;
            }
            hresp_take(rs, 200, type, doc, n);
        }
        rescache_store(c, key, rs);
    }
    char disp[128];
    snprintf(disp, sizeof disp, "inline; filename=\"hazmap-report-%s-%dQ%d.%s\"", in.group,
             in.quarter / 4, in.quarter % 4 + 1, pdf ? "pdf" : "html");
    hresp_header(rs, "Content-Disposition", disp);
}

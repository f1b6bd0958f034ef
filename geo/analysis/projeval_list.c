/* projeval_list.c - every project of a group evaluated, and the public summary of that list
 * (projeval.h). One home for "the projects with their evaluations" that the reports, the
 * release and the CLI read. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hazmap/project.h"
#include "hazmap/projeval.h"
#include "hazmap/roadnet.h"
#include "hazmap/store_projects.h"
#include "hazmap/workcrs.h"

typedef struct list_ctx {
    store *st;
    const incset *s;
    const roadnet *net; /* given, or owned_net once loaded */
    roadnet *owned_net;
    workcrs *w; /* owned; for drawn points and the network's load */
    int started_only;
    const disc_policy *pol;
    json_t *out;
    hz_status fail; /* an allocation or store failure stops the scan */
    char *err;
    size_t errlen;
} list_ctx;

/* The working CRS and, when net was not given, the store's network: loaded once, on demand. */
static hz_status need_net(list_ctx *x, char *err, size_t errlen)
{
    if (!x->w && !(x->w = workcrs_new(incset_work_srs(x->s), 0, 0, err, errlen))) return HZ_EINVAL;
    if (x->net) return HZ_OK;
    x->owned_net = roadnet_load(x->st, x->w, err, errlen);
    x->net = x->owned_net;
    return x->net ? HZ_OK : HZ_EDB;
}

static int list_cb(void *ud, const hz_project *p)
{
    list_ctx *x = ud;
    if (x->started_only && p->status == HZ_PSTATUS_PLANNED) return 0;
    json_t *j = project_to_json(p), *ev = NULL;
    if (!j) {
        x->fail = HZ_ENOMEM;
        return 1;
    }
    char err[512] = "";
    hz_status s = HZ_OK;
    if (p->nsites || p->wkb) s = need_net(x, err, sizeof err);
    if (s == HZ_OK) {
        projeval_opts o = {x->net, x->w, NULL, 0, x->pol};
        s = projeval_run(x->s, p, &o, &ev, err, sizeof err);
    }
    if (s == HZ_ENOMEM) {
        json_decref(j);
        x->fail = HZ_ENOMEM;
        return 1;
    }
    if (s != HZ_OK) ev = json_pack("{s:s}", "error", err);
    if (!ev || json_object_set_new(j, "evaluation", ev) != 0 || json_array_append_new(x->out, j)) {
        x->fail = HZ_ENOMEM;
        return 1;
    }
    return 0;
}

hz_status projeval_list(struct store *st, const incset *s, const roadnet *net, const char *group,
                        int started_only, const disc_policy *pol, json_t **out, char *err,
                        size_t errlen)
{
    assert(st && s && out);
    list_ctx x = {.st = st, .s = s, .net = net, .started_only = started_only, .pol = pol};
    x.out = json_array();
    if (!x.out) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    hz_status rc = store_projects_scan(st, group, -1, list_cb, &x, err, errlen);
    if (rc == HZ_OK && x.fail != HZ_OK) rc = hz_fail(x.fail, err, errlen, "out of memory");
    roadnet_free(x.owned_net);
    workcrs_free(x.w);
    if (rc != HZ_OK) {
        json_decref(x.out);
        return rc;
    }
    *out = x.out;
    return HZ_OK;
}

static json_t *rounded(const json_t *v)
{
    return json_is_number(v) ? json_real(round(json_number_value(v) * 100.0) / 100.0) : NULL;
}

/* The effect of one evaluation, rounded; NULL (JSON null) when suppressed or absent. */
static json_t *public_effect(const json_t *ev)
{
    const json_t *e = json_object_get(ev, "effect");
    const json_t *ci = json_object_get(e, "ci");
    json_t *est = rounded(json_object_get(e, "estimate"));
    json_t *lo = rounded(json_array_get(ci, 0)), *hi = rounded(json_array_get(ci, 1));
    const char *method = json_string_value(json_object_get(e, "method"));
    const char *verdict = json_string_value(json_object_get(e, "verdict"));
    if (!est || !lo || !hi || !method || !verdict ||
        json_is_true(json_object_get(e, "suppressed"))) {
        json_decref(est);
        json_decref(lo);
        json_decref(hi);
        return json_null();
    }
    return json_pack("{s:s,s:o,s:[o,o],s:s}", "method", method, "estimate", est, "ci", lo, hi,
                     "verdict", verdict);
}

json_t *projeval_public_summary(const json_t *list)
{
    static const char *const keep[] = {"id",     "title", "title_en", "group", "type",
                                       "status", "start", "end",      NULL};
    json_t *out = json_array();
    size_t i;
    const json_t *p;
    json_array_foreach(list, i, p)
    {
        json_t *o = json_object();
        if (!o || json_array_append_new(out, o) != 0) {
            json_decref(out);
            return NULL;
        }
        for (size_t k = 0; keep[k]; k++) {
            json_t *v = json_object_get(p, keep[k]);
            if (v) json_object_set(o, keep[k], v);
        }
        json_object_set_new(
            o, "evaluation",
            json_pack("{s:o}", "effect", public_effect(json_object_get(p, "evaluation"))));
    }
    return out;
}

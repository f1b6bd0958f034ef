/* fuzz_project.c - libFuzzer harness of the projects registry's JSON reader (project.h), the one
 * every project from the API and the CLI goes through.
 *
 * The input is a JSON text, read as the server reads a body (duplicate keys refused). Invariants:
 *   - a refused object gets HZ_EINVAL (or HZ_ENOMEM) and a message "MEMBER: why" naming a
 *     member of the project or the object itself ("project", "location");
 *   - an accepted project holds project.c's invariants: title, group and target set, start a
 *     date YYYY-MM-DD, end empty or not before start, buffer_m in 0..5000 and 0 without a
 *     drawn location, and a location;
 *   - what project_to_json() writes of it reads back, and writes the same object again (the API's
 *     GET-then-PUT round trip and the audit log's before/after never change a project). */
#include "fuzzutil.h"
#include "hazmap/project.h"

#include <string.h>

#include <jansson.h>

static const char *const named[] = {"project",    "location",    "id",    "version",   "title",
                                    "title_en",   "description", "group", "lead_unit", "partners",
                                    "type",       "target",      "areas", "sites",     "location",
                                    "buffer_m",   "start",       "end",   "status",    "indicators",
                                    "created_at", "updated_at",  NULL};

static int names_member(const char *err, const json_t *doc)
{
    size_t n = strcspn(err, ":[");
    for (size_t i = 0; named[i]; i++)
        if (strlen(named[i]) == n && strncmp(err, named[i], n) == 0) return 1;
    /* an unknown member is named as given */
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)doc, key, v)
    {
        (void)v;
        if (strlen(key) >= n && strncmp(err, key, n) == 0) return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!doc) return 0;
    hz_project p;
    char err[512] = "";
    hz_status s = project_from_json(doc, &p, err, sizeof err);
    if (s != HZ_OK) {
        FUZZ_CHECK(s == HZ_EINVAL || s == HZ_ENOMEM);
        FUZZ_CHECK(s == HZ_ENOMEM || (err[0] && names_member(err, doc)));
    } else {
        FUZZ_CHECK(p.title && p.title[0] && p.group && p.target);
        FUZZ_CHECK(strlen(p.start) == 10 && p.start[4] == '-' && p.start[7] == '-');
        FUZZ_CHECK(!p.end[0] || strcmp(p.end, p.start) >= 0);
        FUZZ_CHECK(p.buffer_m >= 0 && p.buffer_m <= 5000 && (p.wkb || p.buffer_m == 0));
        FUZZ_CHECK(p.nareas || p.nsites || p.wkb);
        json_t *a = project_to_json(&p);
        if (a) {
            hz_project q;
            FUZZ_CHECK(project_from_json(a, &q, err, sizeof err) == HZ_OK);
            json_t *b = project_to_json(&q);
            FUZZ_CHECK(!b || json_equal(a, b));
            json_decref(b);
            project_free(&q);
        }
        json_decref(a);
    }
    project_free(&p);
    json_decref(doc);
    return 0;
}

/* check_project.c - the projects registry (issue 12): the strict JSON of project.h (round trip,
 * every refusal naming its member), the store's projects and audit log (store_projects.h: CRUD,
 * optimistic locking, the audit row in the change's transaction, the data version), and the
 * migration of a schema-2 database (tests/data/schema2p/, made by the hazmap before the registry)
 * to schema 4. Geometries are checked against SpatiaLite's own reading and hand-written WKB. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <spatialite.h>

#include "hazmap/project.h"
#include "hazmap/store.h"
#include "hazmap/store_projects.h"
#include "testutil.h"

/* Every member, in project_to_json()'s canonical form. */
static const char *const full_json =
    "{\"id\": 7, \"version\": 3, \"title\": \"老年人防跌倒\", \"title_en\": \"Falls prevention\","
    " \"description\": \"Home visits and grab bars\", \"group\": \"elderly\","
    " \"lead_unit\": \"区卫健局\", \"partners\": [\"街道办\", \"社区卫生服务中心\"],"
    " \"type\": \"education\", \"target\": \"mechanism=fall&age=65-\","
    " \"areas\": [\"510104\"], \"sites\": [\"j12\", \"s3\"],"
    " \"location\": {\"type\": \"Polygon\", \"coordinates\": [[[104.05, 30.6], [104.06, 30.6],"
    " [104.06, 30.61], [104.05, 30.61], [104.05, 30.6]]]}, \"buffer_m\": 0.0,"
    " \"start\": \"2014-01-01\", \"end\": \"2014-12-31\", \"status\": \"active\","
    " \"indicators\": [\"falls per 100,000 aged 65+\"], \"created_at\": \"2014-01-02T03:04:05Z\","
    " \"updated_at\": \"2014-02-02T03:04:05Z\"}";

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    ck_assert_msg(j != NULL, "%s: %s", text, e.text);
    return j;
}

START_TEST(test_round_trip)
{
    json_t *in = load(full_json);
    hz_project p;
    char err[256];
    ck_assert_msg(project_from_json(in, &p, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(p.id, 7);
    ck_assert_int_eq(p.version, 3);
    ck_assert_int_eq(p.type, HZ_PTYPE_EDUCATION);
    ck_assert_int_eq(p.status, HZ_PSTATUS_ACTIVE);
    ck_assert_uint_eq(p.npartners, 2);
    ck_assert_str_eq(p.partners[1], "社区卫生服务中心");
    ck_assert_str_eq(p.end, "2014-12-31");
    json_t *out = project_to_json(&p);
    char *a = json_dumps(in, JSON_SORT_KEYS), *b = json_dumps(out, JSON_SORT_KEYS);
    ck_assert_msg(json_equal(in, out), "in  %s\nout %s", a, b);
    free(a);
    free(b);
    /* and again: what project_to_json() writes reads back to the same object */
    hz_project q;
    ck_assert_msg(project_from_json(out, &q, err, sizeof err) == HZ_OK, "%s", err);
    json_t *out2 = project_to_json(&q);
    ck_assert(json_equal(out, out2));
    json_decref(out2);
    json_decref(out);
    json_decref(in);
    project_free(&q);
    project_free(&p);
    project_free(&p); /* a freed project frees again as nothing */
}
END_TEST

/* The WKB of a point written byte by byte (little-endian, type 1), independently of OGR. */
static size_t point_wkb(unsigned char *buf, double x, double y)
{
    buf[0] = 1;
    buf[1] = 1;
    buf[2] = buf[3] = buf[4] = 0;
    memcpy(buf + 5, &x, 8); /* the test machines are little-endian (checked below) */
    memcpy(buf + 13, &y, 8);
    return 21;
}

START_TEST(test_minimal_and_defaults)
{
    json_t *in = load("{\"title\": \"t\", \"group\": \"traffic\", \"type\": \"engineering\","
                      " \"start\": \"2016-02-29\", \"location\": {\"type\": \"Point\","
                      " \"coordinates\": [104.08, 30.65]}, \"buffer_m\": 150}");
    hz_project p;
    char err[256];
    ck_assert_msg(project_from_json(in, &p, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(p.status, HZ_PSTATUS_PLANNED); /* the default */
    ck_assert_str_eq(p.target, "");
    ck_assert_str_eq(p.end, "");
    ck_assert_ptr_null(p.title_en);
    ck_assert(p.buffer_m == 150);
    unsigned char want[21];
    uint16_t one = 1;
    ck_assert_int_eq(*(unsigned char *)&one, 1);
    ck_assert_uint_eq(p.wkb_len, point_wkb(want, 104.08, 30.65));
    ck_assert_int_eq(memcmp(p.wkb, want, 21), 0);
    json_t *out = project_to_json(&p);
    ck_assert(json_is_null(json_object_get(out, "end")));
    ck_assert(json_is_null(json_object_get(out, "title_en")));
    ck_assert_str_eq(json_string_value(json_object_get(out, "status")), "planned");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(out, "location"), "type")),
                     "Point");
    json_decref(out);
    json_decref(in);
    project_free(&p);

    /* a drawn geometry is kept to 1e-7 degrees (about 1 cm), as it is written: the round trip is
     * exact from the first write on */
    in = load("{\"title\": \"t\", \"group\": \"traffic\", \"type\": \"engineering\","
              " \"start\": \"2014-01-01\", \"location\": {\"type\": \"LineString\","
              " \"coordinates\": [[104.123456789, 30.00000004], [104.2, 30.1]]}}");
    ck_assert_msg(project_from_json(in, &p, err, sizeof err) == HZ_OK, "%s", err);
    double x, y;
    memcpy(&x, p.wkb + 9, 8); /* little-endian LINESTRING: order, type, count, then x0 y0 */
    memcpy(&y, p.wkb + 17, 8);
    ck_assert(x == 104.1234568 && y == 30.0);
    out = project_to_json(&p);
    const json_t *c0 =
        json_array_get(json_object_get(json_object_get(out, "location"), "coordinates"), 0);
    ck_assert(json_real_value(json_array_get(c0, 0)) == 104.1234568);
    json_decref(out);
    json_decref(in);
    project_free(&p);
}
END_TEST

/* Each refusal: the object is the minimal valid one with one member set to a bad value (or
 * removed, with value NULL); the message must start with the member's name. */
static const struct {
    const char *member, *value, *named;
} bad[] = {
    {"bogus", "1", "bogus"},
    {"title", NULL, "title"},
    {"title", "\"\"", "title"},
    {"title", "3", "title"},
    {"title", "\"a\\u0000b\"", "title"},
    {"title_en", "[]", "title_en"},
    {"description", "{}", "description"},
    {"group", NULL, "group"},
    {"group", "\"traffic_police\"", "group"},
    {"lead_unit", "12", "lead_unit"},
    {"partners", "\"a\"", "partners"},
    {"partners", "[\"a\", 1]", "partners[1]"},
    {"partners", "[\"a\", \"a\"]", "partners[1]"},
    {"partners", "[\"\"]", "partners[0]"},
    {"type", NULL, "type"},
    {"type", "\"concrete\"", "type"},
    {"status", "\"done\"", "status"},
    {"status", "1", "status"},
    {"target", "\"mechanism=rocket\"", "target"},
    {"target", "\"mechanism\"", "target"},
    {"target", "\"from=2014-01-01\"", "target"},
    {"target", "\"colour=red\"", "target"},
    {"target", "\"age=65-&\"", "target"},
    {"target", "7", "target"},
    {"areas", "{}", "areas"},
    {"sites", "[null]", "sites[0]"},
    {"indicators", "[[]]", "indicators[0]"},
    {"start", NULL, "start"},
    {"start", "\"2014-02-30\"", "start"},
    {"start", "\"2014-1-01\"", "start"},
    {"start", "\"2014-01-01T00:00:00Z\"", "start"},
    {"end", "\"2013-12-31\"", "end"},
    {"end", "\"31/12/2014\"", "end"},
    {"location", "[104, 30]", "location"},
    {"location", "{\"type\": \"Point\", \"coordinates\": [200, 30]}", "location"},
    {"location", "{\"type\": \"Point\", \"coordinates\": [104, 30, 5]}", "location"},
    {"location", "{\"type\": \"Circle\", \"coordinates\": [104, 30]}", "location"},
    {"location",
     "{\"type\": \"GeometryCollection\", \"geometries\": [{\"type\": \"Point\","
     " \"coordinates\": [104, 30]}]}",
     "location"},
    {"location",
     "{\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}",
     "location"},
    {"buffer_m", "-1", "buffer_m"},
    {"buffer_m", "\"100\"", "buffer_m"},
    {"buffer_m", "100000", "buffer_m"},
    {"id", "-1", "id"},
    {"id", "1.5", "id"},
    {"version", "-1", "version"},
    {"created_at", "\"yesterday\"", "created_at"},
    {"updated_at", "\"2014-01-01T25:00:00Z\"", "updated_at"},
};

static const char *const minimal =
    "{\"title\": \"t\", \"group\": \"elderly\", \"type\": \"education\","
    " \"start\": \"2014-01-01\", \"areas\": [\"510104\"]}";

START_TEST(test_strict)
{
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *j = load(minimal);
        if (bad[i].value)
            json_object_set_new(j, bad[i].member, load(bad[i].value));
        else
            json_object_del(j, bad[i].member);
        hz_project p;
        char err[256] = "";
        hz_status s = project_from_json(j, &p, err, sizeof err);
        ck_assert_msg(s == HZ_EINVAL, "case %zu (%s = %s): accepted", i, bad[i].member,
                      bad[i].value ? bad[i].value : "absent");
        size_t n = strlen(bad[i].named);
        ck_assert_msg(strncmp(err, bad[i].named, n) == 0 && err[n] == ':',
                      "case %zu: '%s' does not name %s", i, err, bad[i].named);
        project_free(&p);
        json_decref(j);
    }
    /* refusals that are about the whole object */
    hz_project p;
    char err[256];
    json_t *arr = load("[]");
    ck_assert_int_eq(project_from_json(arr, &p, err, sizeof err), HZ_EINVAL);
    project_free(&p);
    json_decref(arr);
    json_t *j = load(minimal);
    json_object_del(j, "areas");
    ck_assert_int_eq(project_from_json(j, &p, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strncmp(err, "location:", 9) == 0, "%s", err);
    project_free(&p);
    /* buffer_m only around a point or line */
    json_object_set_new(j, "buffer_m", json_real(50));
    json_object_set_new(j, "location",
                        load("{\"type\": \"Polygon\", \"coordinates\": [[[0, 0],"
                             " [1, 0], [1, 1], [0, 0]]]}"));
    ck_assert_int_eq(project_from_json(j, &p, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strncmp(err, "buffer_m:", 9) == 0, "%s", err);
    project_free(&p);
    json_decref(j);
    /* limits: 200 list entries pass, 201 do not; a title of 300 bytes passes, 301 not */
    j = load(minimal);
    json_t *many = json_array();
    for (int i = 0; i < 201; i++) {
        char b[16];
        snprintf(b, sizeof b, "i%d", i);
        json_array_append_new(many, json_string(b));
    }
    json_object_set(j, "indicators", many);
    ck_assert_int_eq(project_from_json(j, &p, err, sizeof err), HZ_EINVAL);
    project_free(&p);
    json_array_remove(many, 0);
    ck_assert_int_eq(project_from_json(j, &p, err, sizeof err), HZ_OK);
    project_free(&p);
    json_decref(many);
    char title[302];
    memset(title, 'x', 301);
    title[301] = 0;
    json_object_set_new(j, "title", json_string(title));
    ck_assert_int_eq(project_from_json(j, &p, err, sizeof err), HZ_EINVAL);
    project_free(&p);
    title[300] = 0;
    json_object_set_new(j, "title", json_string(title));
    ck_assert_int_eq(project_from_json(j, &p, err, sizeof err), HZ_OK);
    project_free(&p);
    json_decref(j);
    /* the words */
    ck_assert_str_eq(project_type_word(HZ_PTYPE_OTHER), "other");
    ck_assert_ptr_null(project_type_word(HZ_PTYPE_COUNT));
    ck_assert_str_eq(project_status_word(HZ_PSTATUS_STOPPED), "stopped");
    ck_assert_ptr_null(project_status_word((hz_project_status)-1));
}
END_TEST

/* ---- the store ---- */

static char dbpath[64];

/* A new store with one area, 510104 (and its child 51010401). */
static store *new_store(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-projects-%d.sqlite", (int)getpid());
    tu_remove_db(dbpath);
    char err[512];
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    unsigned char wkb[128];
    hz_area_rec a = {.code = "510104", .name = "锦江区", .level = "district", .population = -1};
    a.wkb = wkb;
    a.wkb_len = tu_square_wkb(wkb, 104.0, 30.5, 104.2, 30.7);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    ck_assert_msg(store_area_put(st, &a, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    return st;
}

static void parse_into(const char *text, hz_project *p)
{
    json_t *j = load(text);
    char err[256];
    ck_assert_msg(project_from_json(j, p, err, sizeof err) == HZ_OK, "%s", err);
    json_decref(j);
}

/* SQL on the database file through a connection of the test's own. */
static void sql_text(const char *sql, char *out, size_t len)
{
    sqlite3 *c;
    ck_assert_int_eq(sqlite3_open_v2(dbpath, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    void *sp = spatialite_alloc_connection();
    spatialite_init_ex(c, sp, 0);
    sqlite3_stmt *s;
    ck_assert_msg(sqlite3_prepare_v2(c, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(c));
    int rc = sqlite3_step(s);
    const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
    snprintf(out, len, "%s", t ? (const char *)t : "");
    sqlite3_finalize(s);
    sqlite3_close(c);
    spatialite_cleanup_ex(sp);
}

static int64_t count(const char *table)
{
    char sql[128], out[32];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sql_text(sql, out, sizeof out);
    return strtoll(out, NULL, 10);
}

static int exec_ok(const char *sql)
{
    sqlite3 *c;
    ck_assert_int_eq(sqlite3_open_v2(dbpath, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    int rc = sqlite3_exec(c, sql, NULL, NULL, NULL);
    sqlite3_close(c);
    return rc == SQLITE_OK;
}

typedef struct audit_rows {
    int n;
    char action[8][8], actor[8][32];
    json_t *before[8], *after[8];
} audit_rows;

static int audit_cb(void *ud, const store_audit_rec *a)
{
    audit_rows *r = ud;
    ck_assert_int_lt(r->n, 8);
    snprintf(r->action[r->n], 8, "%s", a->action);
    snprintf(r->actor[r->n], 32, "%s", a->actor);
    ck_assert_int_eq(strlen(a->at), 20); /* 2026-11-29T18:00:00Z */
    ck_assert(a->at[10] == 'T' && a->at[19] == 'Z');
    r->before[r->n] = a->before ? load(a->before) : NULL;
    r->after[r->n] = a->after ? load(a->after) : NULL;
    r->n++;
    return 0;
}

static void audit_rows_free(audit_rows *r)
{
    for (int i = 0; i < r->n; i++) {
        json_decref(r->before[i]);
        json_decref(r->after[i]);
    }
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

START_TEST(test_store_crud_and_audit)
{
    store *st = new_store();
    char err[512];
    int64_t v0 = 0, v = 0;
    ck_assert_int_eq(store_data_version(st, &v0), HZ_OK);
    hz_project p;
    parse_into(full_json, &p);
    int64_t id = 0;
    ck_assert_msg(store_project_add(st, &p, "planner:alice", &id, err, sizeof err) == HZ_OK, "%s",
                  err);
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(store_data_version(st, &v), HZ_OK);
    ck_assert_int_eq(v, v0 + 1); /* a write bumps the data version */
    /* read back: the store's id, version 1 and its own timestamps; the rest as given */
    hz_project g;
    ck_assert_msg(store_project_get(st, id, &g, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(g.id, id);
    ck_assert_int_eq(g.version, 1);
    ck_assert_str_eq(g.created_at, g.updated_at);
    json_t *a = project_to_json(&p), *b = project_to_json(&g);
    json_object_del(a, "id");
    json_object_del(b, "id");
    for (const char *const *k = (const char *const[]){"version", "created_at", "updated_at", NULL};
         *k; k++) {
        json_object_del(a, *k);
        json_object_del(b, *k);
    }
    ck_assert(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    /* the geometry as SpatiaLite reads it: a polygon of 4326 with the given corners */
    char out[256];
    sql_text("SELECT GeometryType(geom) || ' ' || ST_Srid(geom) || ' ' || ST_MinX(geom) || ' ' "
             "|| ST_MaxY(geom) || ' ' || ST_NumPoints(ST_ExteriorRing(geom)) FROM projects",
             out, sizeof out);
    ck_assert_str_eq(out, "POLYGON 4326 104.05 30.61 5");
    sql_text("SELECT partners FROM projects", out, sizeof out);
    ck_assert_str_eq(out, "[\"街道办\",\"社区卫生服务中心\"]");

    /* update at version 1: version 2; the same version again is stale */
    free(g.title);
    g.title = strdup("新标题");
    g.status = HZ_PSTATUS_FINISHED;
    ck_assert_msg(store_project_update(st, &g, "editor", err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_data_version(st, &v0), HZ_OK);
    ck_assert_int_eq(v0, v + 1);
    ck_assert_int_eq(store_project_update(st, &g, "editor", err, sizeof err), HZ_ECONFLICT);
    ck_assert_msg(strstr(err, "version 2") != NULL, "%s", err);
    ck_assert_int_eq(store_data_version(st, &v), HZ_OK);
    ck_assert_int_eq(v, v0); /* nothing written */
    hz_project h;
    ck_assert_int_eq(store_project_get(st, id, &h, err, sizeof err), HZ_OK);
    ck_assert_int_eq(h.version, 2);
    ck_assert_str_eq(h.title, "新标题");
    ck_assert_str_eq(h.created_at, g.created_at);
    project_free(&h);
    /* an update of a project that is not there */
    g.id = id + 100;
    ck_assert_int_eq(store_project_update(st, &g, "editor", err, sizeof err), HZ_ENOTFOUND);
    g.id = id;
    /* scans by group and status */
    hz_project other;
    parse_into(minimal, &other);
    int64_t id2;
    ck_assert_int_eq(store_project_add(st, &other, "cli", &id2, err, sizeof err), HZ_OK);
    project_free(&other);
    ck_assert_int_eq(count("projects"), 2);
    /* delete: a stale version is refused, the right one deletes */
    ck_assert_int_eq(store_project_delete(st, id, 1, "planner:bob", err, sizeof err), HZ_ECONFLICT);
    ck_assert_int_eq(store_project_delete(st, id, 2, "planner:bob", err, sizeof err), HZ_OK);
    ck_assert_int_eq(store_project_get(st, id, &h, err, sizeof err), HZ_ENOTFOUND);
    project_free(&h);
    ck_assert_int_eq(store_project_delete(st, id, 0, "planner:bob", err, sizeof err), HZ_ENOTFOUND);
    /* ids are not reused, not even the newest's after its delete */
    ck_assert_int_eq(store_project_delete(st, id2, 1, "cli", err, sizeof err), HZ_OK);
    parse_into(minimal, &other);
    int64_t id3;
    ck_assert_int_eq(store_project_add(st, &other, "cli", &id3, err, sizeof err), HZ_OK);
    project_free(&other);
    ck_assert_int_gt(id3, id2);

    /* the audit log of project id: create, update, delete, with who and what */
    audit_rows r = {0};
    int64_t total = 0;
    ck_assert_int_eq(store_project_audit_scan(st, id, 0, -1, audit_cb, &r, &total, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(total, 3);
    ck_assert_int_eq(r.n, 3);
    ck_assert_str_eq(r.action[0], "create");
    ck_assert_str_eq(r.actor[0], "planner:alice");
    ck_assert_ptr_null(r.before[0]);
    ck_assert_str_eq(jstr(r.after[0], "title"), "老年人防跌倒");
    ck_assert_int_eq(json_integer_value(json_object_get(r.after[0], "version")), 1);
    ck_assert_str_eq(r.action[1], "update");
    ck_assert_str_eq(r.actor[1], "editor");
    ck_assert_str_eq(jstr(r.before[1], "title"), "老年人防跌倒");
    ck_assert_str_eq(jstr(r.before[1], "status"), "active");
    ck_assert_str_eq(jstr(r.after[1], "title"), "新标题");
    ck_assert_str_eq(jstr(r.after[1], "status"), "finished");
    ck_assert_int_eq(json_integer_value(json_object_get(r.after[1], "version")), 2);
    ck_assert_str_eq(r.action[2], "delete");
    ck_assert_str_eq(r.actor[2], "planner:bob");
    ck_assert_str_eq(jstr(r.before[2], "title"), "新标题");
    ck_assert_ptr_null(r.after[2]);
    audit_rows_free(&r);
    /* every project's: 6 rows, paged */
    audit_rows r2 = {0};
    ck_assert_int_eq(store_project_audit_scan(st, 0, 1, 2, audit_cb, &r2, &total, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(total, 6);
    ck_assert_int_eq(r2.n, 2);
    ck_assert_str_eq(r2.action[0], "update");
    audit_rows_free(&r2);
    /* the audit log is append-only */
    ck_assert(!exec_ok("UPDATE project_audit SET actor='mallory'"));
    ck_assert(!exec_ok("DELETE FROM project_audit"));
    ck_assert_int_eq(count("project_audit"), 6);
    project_free(&g);
    project_free(&p);
    store_close(st);
    tu_remove_db(dbpath);
}
END_TEST

typedef struct scan_ids {
    int n;
    int64_t id[8];
} scan_ids;

static int scan_cb(void *ud, const hz_project *p)
{
    scan_ids *s = ud;
    s->id[s->n++] = p->id;
    return 0;
}

START_TEST(test_store_scan)
{
    store *st = new_store();
    char err[512];
    static const char *const docs[] = {
        "{\"title\": \"a\", \"group\": \"traffic\", \"type\": \"engineering\", \"start\": "
        "\"2014-01-01\", \"areas\": [\"510104\"], \"status\": \"active\"}",
        "{\"title\": \"b\", \"group\": \"elderly\", \"type\": \"education\", \"start\": "
        "\"2014-01-01\", \"areas\": [\"510104\"], \"status\": \"active\"}",
        "{\"title\": \"c\", \"group\": \"traffic\", \"type\": \"enforcement\", \"start\": "
        "\"2014-01-01\", \"sites\": [\"j1\"], \"status\": \"planned\"}",
    };
    int64_t ids[3];
    for (int i = 0; i < 3; i++) {
        hz_project p;
        parse_into(docs[i], &p);
        ck_assert_int_eq(store_project_add(st, &p, "cli", &ids[i], err, sizeof err), HZ_OK);
        project_free(&p);
    }
    scan_ids s = {0};
    ck_assert_int_eq(store_projects_scan(st, "traffic", -1, scan_cb, &s, err, sizeof err), HZ_OK);
    ck_assert_int_eq(s.n, 2);
    ck_assert_int_eq(s.id[0], ids[0]);
    ck_assert_int_eq(s.id[1], ids[2]);
    s.n = 0;
    ck_assert_int_eq(store_projects_scan(st, NULL, HZ_PSTATUS_ACTIVE, scan_cb, &s, err, sizeof err),
                     HZ_OK);
    ck_assert_int_eq(s.n, 2);
    ck_assert_int_eq(s.id[1], ids[1]);
    s.n = 0;
    ck_assert_int_eq(
        store_projects_scan(st, "traffic", HZ_PSTATUS_PLANNED, scan_cb, &s, err, sizeof err),
        HZ_OK);
    ck_assert_int_eq(s.n, 1);
    ck_assert_int_eq(s.id[0], ids[2]);
    s.n = 0;
    ck_assert_int_eq(store_projects_scan(st, "fire", -1, scan_cb, &s, err, sizeof err), HZ_OK);
    ck_assert_int_eq(s.n, 0);
    store_close(st);
    tu_remove_db(dbpath);
}
END_TEST

/* A failed write leaves neither the change nor an audit row: the two are one transaction. */
START_TEST(test_store_atomic)
{
    store *st = new_store();
    char err[512];
    hz_project p;
    parse_into(minimal, &p);
    /* an unknown area: refused before anything is written */
    free(p.areas[0]);
    p.areas[0] = strdup("999999");
    int64_t id = 0, v0, v;
    ck_assert_int_eq(store_data_version(st, &v0), HZ_OK);
    ck_assert_int_eq(store_project_add(st, &p, "cli", &id, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strncmp(err, "areas[0]:", 9) == 0, "%s", err);
    ck_assert_int_eq(count("projects"), 0);
    ck_assert_int_eq(count("project_audit"), 0);
    free(p.areas[0]);
    p.areas[0] = strdup("510104");
    /* the audit insert fails after the project row was written: the row goes too */
    ck_assert(exec_ok("CREATE TRIGGER t_fail BEFORE INSERT ON project_audit"
                      " BEGIN SELECT RAISE(ABORT, 'injected'); END"));
    ck_assert_int_ne(store_project_add(st, &p, "cli", &id, err, sizeof err), HZ_OK);
    ck_assert_int_eq(count("projects"), 0);
    ck_assert_int_eq(count("project_audit"), 0);
    ck_assert_int_eq(store_data_version(st, &v), HZ_OK);
    ck_assert_int_eq(v, v0);
    ck_assert(exec_ok("DROP TRIGGER t_fail"));
    ck_assert_int_eq(store_project_add(st, &p, "cli", &id, err, sizeof err), HZ_OK);
    /* the same for an update and a delete */
    ck_assert(exec_ok("CREATE TRIGGER t_fail BEFORE INSERT ON project_audit"
                      " BEGIN SELECT RAISE(ABORT, 'injected'); END"));
    p.id = id;
    p.version = 1;
    free(p.title);
    p.title = strdup("changed");
    ck_assert_int_ne(store_project_update(st, &p, "cli", err, sizeof err), HZ_OK);
    ck_assert_int_ne(store_project_delete(st, id, 0, "cli", err, sizeof err), HZ_OK);
    char out[64];
    sql_text("SELECT title || ' ' || version FROM projects", out, sizeof out);
    ck_assert_str_eq(out, "t 1");
    ck_assert_int_eq(count("project_audit"), 1);
    /* a stale update writes no audit row either */
    ck_assert(exec_ok("DROP TRIGGER t_fail"));
    p.version = 5;
    ck_assert_int_eq(store_project_update(st, &p, "cli", err, sizeof err), HZ_ECONFLICT);
    ck_assert_int_eq(count("project_audit"), 1);
    project_free(&p);
    store_close(st);
    tu_remove_db(dbpath);
}
END_TEST

/* ---- migration: schema 2 -> 3 ---- */

START_TEST(test_schema2_migrated)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/hazmap-projects-v2-%d.sqlite", (int)getpid());
    tu_remove_db(dbpath);
    tu_copy_file("data/schema2p/v2.sqlite", dbpath);
    char out[256];
    sql_text("SELECT value FROM meta WHERE key='schema_version'", out, sizeof out);
    ck_assert_str_eq(out, "2");
    sql_text("SELECT count(*) FROM sqlite_master WHERE name='projects'", out, sizeof out);
    ck_assert_str_eq(out, "0");
    sql_text("SELECT value FROM meta WHERE key='data_version'", out, sizeof out);
    int64_t before = strtoll(out, NULL, 10);
    int64_t incidents = count("incidents"), areas = count("areas");
    ck_assert_int_gt(incidents, 0);
    char err[512];
    /* a read-only open migrates through a read-write connection first */
    store *st = store_open(dbpath, STORE_READONLY, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    store_close(st);
    sql_text("SELECT value FROM meta WHERE key='schema_version'", out, sizeof out);
    ck_assert_str_eq(out, "4");
    sql_text("SELECT value FROM meta WHERE key='data_version'", out, sizeof out);
    ck_assert_int_eq(strtoll(out, NULL, 10), before + 1);
    ck_assert_int_eq(count("incidents"), incidents); /* nothing else changed */
    ck_assert_int_eq(count("areas"), areas);
    sql_text("SELECT count(*) FROM tokens", out, sizeof out);
    ck_assert_str_eq(out, "1");
    /* the registry works on the migrated store, its geometry column registered with SpatiaLite */
    sql_text("SELECT geometry_type || ' ' || srid FROM geometry_columns"
             " WHERE f_table_name='projects'",
             out, sizeof out);
    ck_assert_str_eq(out, "0 4326"); /* 0: GEOMETRY, any type */
    st = store_open(dbpath, 0, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    hz_project p;
    parse_into("{\"title\": \"t\", \"group\": \"fire\", \"type\": \"environment\","
               " \"start\": \"2014-01-01\", \"location\": {\"type\": \"LineString\","
               " \"coordinates\": [[104.05, 30.6], [104.06, 30.61]]}, \"buffer_m\": 30}",
               &p);
    int64_t id;
    ck_assert_msg(store_project_add(st, &p, "cli", &id, err, sizeof err) == HZ_OK, "%s", err);
    project_free(&p);
    store_close(st);
    sql_text("SELECT ST_AsText(geom) FROM projects", out, sizeof out);
    ck_assert_str_eq(out, "LINESTRING(104.05 30.6, 104.06 30.61)");
    /* opening again does not migrate again */
    sql_text("SELECT value FROM meta WHERE key='data_version'", out, sizeof out);
    int64_t now = strtoll(out, NULL, 10);
    st = store_open(dbpath, 0, err, sizeof err);
    store_close(st);
    sql_text("SELECT value FROM meta WHERE key='data_version'", out, sizeof out);
    ck_assert_int_eq(strtoll(out, NULL, 10), now);
    tu_remove_db(dbpath);
}
END_TEST

Suite *project_suite(void)
{
    Suite *s = suite_create("project");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_minimal_and_defaults);
    tcase_add_test(tc, test_strict);
    suite_add_tcase(s, tc);
    tc = tcase_create("store");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_store_crud_and_audit);
    tcase_add_test(tc, test_store_scan);
    tcase_add_test(tc, test_store_atomic);
    tcase_add_test(tc, test_schema2_migrated);
    suite_add_tcase(s, tc);
    return s;
}

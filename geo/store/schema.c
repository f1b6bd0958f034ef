/* schema.c - the store's schema and migrations, described once, rendered per backend (schema.h).
 *
 * Invariants:
 *  1. Every table, column and index of the store is written here and nowhere else; the backends
 *     only execute the rendered text (and their own metadata: SpatiaLite's InitSpatialMetadata,
 *     the postgis extension, the meta rows).
 *  2. A geometry column is its table's last column: SpatiaLite appends it (AddGeometryColumn) after
 *     the CREATE TABLE, PostGIS declares it inline, and the column order is the same on both.
 *  3. A column, index or table constraint marked for one dialect (ONLY_SQLITE/ONLY_PG) is a
 *     difference the two backends had before this description existed; it is kept, visible here,
 *     rather than silently changed (tests/schema/ compares the rendered schema with the one the
 *     hand-written DDL made).
 *
 * Adding to the schema (a new version N = STORE_SCHEMA_VERSION after raising it in store.h):
 *  - an index: a line {"name", "columns", 0, N} in its table's idx list; both backends create it
 *    on a new store, and their migrations to N create it on an old one;
 *  - a column: a line with .since = N at the end of the table's columns (before a geometry column
 *    only on a new table: invariant 2);
 *  - a table: an entry with .since = N;
 *  - anything else (a changed constraint, a data rewrite): a steps[] entry for N with the SQL of
 *    each dialect and/or a schema_hook the backends implement.
 * SpatiaLite's migrate() renders SCHEMA_CORE only: the other groups' tables may not exist yet
 * (they are made on first use, at the current version), so an addition to one of them needs a
 * step that looks first. tests/schema/ records the schema each backend gets; a new version
 * regenerates tests/schema/expected/ and adds its PostGIS undo[] line to tests/schema/dump.sh. */
#include "schema.h"

#include "hazmap/store.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The logical column types. */
typedef enum {
    T_KEY,      /* the row id: INTEGER PRIMARY KEY / BIGSERIAL PRIMARY KEY */
    T_KEY_AUTO, /* a row id never reused: ... AUTOINCREMENT on SQLite */
    T_I64,      /* INTEGER / BIGINT */
    T_I32,      /* INTEGER / INTEGER */
    T_TEXT,
    T_TEXT_C, /* text compared bytewise: COLLATE "C" on PostgreSQL (SQLite's BINARY default) */
    T_REAL,   /* REAL / DOUBLE PRECISION */
    T_BLOB,   /* BLOB / BYTEA */
    T_POINT,  /* the geometry types, WGS84 (SRID 4326), 2D */
    T_LINE,
    T_MPOLY,
    T_GEOM
} col_type;

/* Dialect masks; 0 is "both". */
enum { ONLY_SQLITE = 1, ONLY_PG = 2 };

/* Column flags. */
enum {
    C_PK = 1,             /* PRIMARY KEY (a T_KEY is one already) */
    C_NOTNULL = 2,        /* NOT NULL */
    C_CHECK_SQLITE = 4,   /* the CHECK is SpatiaLite's only (invariant 3) */
    C_SPATIAL_SQLITE = 8, /* a geometry column with SpatiaLite's R*Tree (CreateSpatialIndex) */
    C_SPATIAL_PG = 16,    /* a geometry column with a GiST index named TABLE_COLUMN */
    C_SPATIAL = 8 | 16
};

typedef struct {
    const char *name;
    col_type type;
    unsigned flags;    /* C_* */
    const char *check; /* the CHECK expression, or NULL */
    const char *refs;  /* what follows REFERENCES, or NULL */
    int since;         /* the schema version that added it; 0 is the table's */
} column;

typedef struct {
    const char *text; /* UNIQUE(..), PRIMARY KEY(..), CHECK(..) */
    unsigned only;    /* ONLY_* or 0 */
} tconstraint;

typedef struct {
    const char *name, *cols; /* CREATE INDEX name ON table(cols) */
    unsigned only;           /* ONLY_* or 0 */
    int since;               /* 0 is the table's */
} tindex;

typedef struct {
    const char *name;
    unsigned group; /* SCHEMA_* */
    int since;      /* the schema version that added it */
    const column *cols;
    const tconstraint *cons;
    const tindex *idx;
    /* What the dialects do differently (triggers), run after the table and its indexes. */
    const char *sqlite_extra, *pg_extra;
} table;

/* The immutability of public releases (store_release.c). SQLite's are created with the tables on
 * the first release, hence IF NOT EXISTS. */
static const char *const release_sqlite_triggers =
    "CREATE TRIGGER IF NOT EXISTS releases_no_update BEFORE UPDATE ON releases"
    " BEGIN SELECT RAISE(ABORT, 'public releases are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS releases_no_delete BEFORE DELETE ON releases"
    " BEGIN SELECT RAISE(ABORT, 'public releases are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS releases_no_replace BEFORE INSERT ON releases"
    " WHEN EXISTS(SELECT 1 FROM releases WHERE id = NEW.id)"
    " BEGIN SELECT RAISE(ABORT, 'public releases are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS release_tables_no_update BEFORE UPDATE ON release_tables"
    " BEGIN SELECT RAISE(ABORT, 'public releases are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS release_tables_no_delete BEFORE DELETE ON release_tables"
    " BEGIN SELECT RAISE(ABORT, 'public releases are immutable'); END;"
    "CREATE TRIGGER IF NOT EXISTS release_tables_sealed BEFORE INSERT ON release_tables"
    " WHEN EXISTS(SELECT 1 FROM releases WHERE id = NEW.release_id)"
    " BEGIN SELECT RAISE(ABORT, 'public releases are immutable'); END;";

static const char *const release_pg_triggers =
    "CREATE FUNCTION hazmap_immutable() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION 'public releases are immutable'; END$$;"
    "CREATE FUNCTION hazmap_sealed() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN IF EXISTS(SELECT 1 FROM releases WHERE id = NEW.release_id) THEN"
    " RAISE EXCEPTION 'public releases are immutable'; END IF; RETURN NEW; END$$;"
    "CREATE TRIGGER releases_frozen BEFORE UPDATE OR DELETE ON releases"
    " FOR EACH ROW EXECUTE FUNCTION hazmap_immutable();"
    "CREATE TRIGGER release_tables_frozen BEFORE UPDATE OR DELETE ON release_tables"
    " FOR EACH ROW EXECUTE FUNCTION hazmap_immutable();"
    "CREATE TRIGGER release_tables_sealed BEFORE INSERT ON release_tables"
    " FOR EACH ROW EXECUTE FUNCTION hazmap_sealed();";

/* The project audit log is append-only (store_projects.c). */
static const char *const audit_sqlite_triggers =
    "CREATE TRIGGER project_audit_no_update BEFORE UPDATE ON project_audit"
    " BEGIN SELECT RAISE(ABORT, 'the project audit log is append-only'); END;"
    "CREATE TRIGGER project_audit_no_delete BEFORE DELETE ON project_audit"
    " BEGIN SELECT RAISE(ABORT, 'the project audit log is append-only'); END;";

static const char *const audit_pg_triggers =
    "CREATE FUNCTION hazmap_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION 'the project audit log is append-only'; END$$;"
    "CREATE TRIGGER project_audit_frozen BEFORE UPDATE OR DELETE ON project_audit"
    " FOR EACH ROW EXECUTE FUNCTION hazmap_audit_append_only();";

#define TEXT(n)                                                                                    \
    {                                                                                              \
        n, T_TEXT, 0, NULL, NULL, 0                                                                \
    }
#define TEXT_NN(n)                                                                                 \
    {                                                                                              \
        n, T_TEXT, C_NOTNULL, NULL, NULL, 0                                                        \
    }
#define END_COLS                                                                                   \
    {                                                                                              \
        NULL, T_TEXT, 0, NULL, NULL, 0                                                             \
    }

/* In the order of creation (SQLite's .schema lists them so). */
static const table tables[] = {
    {"meta", SCHEMA_CORE, 1,
     (const column[]){{"key", T_TEXT, C_PK, NULL, NULL, 0}, TEXT_NN("value"), END_COLS}, NULL, NULL,
     NULL, NULL},
    {"areas", SCHEMA_CORE, 1,
     (const column[]){
         {"code", T_TEXT_C, C_PK, NULL, NULL, 0},
         TEXT_NN("name"),
         TEXT("name_en"),
         {"level", T_TEXT, C_NOTNULL, "level IN ('district','subdistrict','community')", NULL, 0},
         TEXT("parent_code"),
         {"population", T_I64, 0, NULL, NULL, 0},
         {"geom", T_MPOLY, C_NOTNULL | C_SPATIAL, NULL, NULL, 0},
         END_COLS},
     NULL, NULL, NULL, NULL},
    /* incidents.lon, lat and geom: NULL together for a record known only by its area (schema 3,
     * store.c's invariant 2); the four WHO ICECI columns came with schema 2 */
    {"incidents", SCHEMA_CORE, 1,
     (const column[]){{"id", T_KEY, 0, NULL, NULL, 0},
                      TEXT_NN("source"),
                      TEXT_NN("source_id"),
                      TEXT("occurred_at"),
                      {"t", T_I64, 0, NULL, NULL, 0},
                      TEXT("mechanism"),
                      TEXT("place"),
                      TEXT("intent"),
                      TEXT("severity"),
                      {"victims", T_I32, 0, NULL, NULL, 0},
                      {"age", T_I32, 0, NULL, NULL, 0},
                      TEXT("sex"),
                      {"disability", T_I32, 0, NULL, NULL, 0},
                      TEXT("description"),
                      TEXT("area_code"),
                      TEXT("extra"),
                      {"lon", T_REAL, 0, NULL, NULL, 0},
                      {"lat", T_REAL, 0, NULL, NULL, 0},
                      {"batch_id", T_I64, 0, NULL, NULL, 0},
                      {"content_hash", T_I64, C_NOTNULL, NULL, NULL, 0},
                      {"activity", T_TEXT, 0, NULL, NULL, 2},
                      {"outcome", T_TEXT, 0, NULL, NULL, 2},
                      {"nature", T_TEXT, 0, NULL, NULL, 2},
                      {"body_part", T_TEXT, 0, NULL, NULL, 2},
                      {"geom", T_POINT, C_SPATIAL, NULL, NULL, 0},
                      END_COLS},
     (const tconstraint[]){{"UNIQUE(source, source_id)", 0}, {NULL, 0}},
     (const tindex[]){
         {"incidents_t", "t", 0, 0}, {"incidents_area", "area_code", 0, 0}, {NULL, NULL, 0, 0}},
     NULL, NULL},
    {"import_batches", SCHEMA_CORE, 1,
     (const column[]){{"id", T_KEY, 0, NULL, NULL, 0},
                      TEXT_NN("kind"),
                      TEXT_NN("file"),
                      TEXT_NN("started_at"),
                      TEXT("finished_at"),
                      TEXT("summary"),
                      END_COLS},
     NULL, NULL, NULL, NULL},
    {"import_rejects", SCHEMA_CORE, 1,
     (const column[]){{"batch_id", T_I64, C_NOTNULL, NULL, "import_batches(id)", 0},
                      {"line", T_I64, C_NOTNULL, NULL, NULL, 0},
                      TEXT("raw"),
                      TEXT_NN("reason"),
                      END_COLS},
     NULL, (const tindex[]){{"import_rejects_batch", "batch_id", 0, 0}, {NULL, NULL, 0, 0}}, NULL,
     NULL},
    {"tokens", SCHEMA_CORE, 1,
     (const column[]){{"hash", T_TEXT, C_PK, NULL, NULL, 0},
                      {"role", T_TEXT, C_NOTNULL, "role IN ('planner','editor')", NULL, 0},
                      TEXT_NN("created_at"),
                      TEXT("label"),
                      END_COLS},
     NULL, NULL, NULL, NULL},
    /* the projects registry (issue 12, schema 4) */
    {"projects", SCHEMA_CORE, 4,
     (const column[]){{"id", T_KEY_AUTO, 0, NULL, NULL, 0},
                      {"version", T_I64, C_NOTNULL, "version >= 1", NULL, 0},
                      TEXT_NN("title"),
                      TEXT("title_en"),
                      TEXT("description"),
                      TEXT_NN("work_group"),
                      TEXT("lead_unit"),
                      TEXT_NN("partners"),
                      TEXT_NN("type"),
                      TEXT_NN("target"),
                      TEXT_NN("areas"),
                      TEXT_NN("sites"),
                      {"buffer_m", T_REAL, C_NOTNULL, NULL, NULL, 0},
                      TEXT_NN("start_date"),
                      TEXT("end_date"),
                      TEXT_NN("status"),
                      TEXT_NN("indicators"),
                      TEXT_NN("created_at"),
                      TEXT_NN("updated_at"),
                      {"geom", T_GEOM, 0, NULL, NULL, 0},
                      END_COLS},
     NULL, (const tindex[]){{"projects_group", "work_group, status", 0, 0}, {NULL, NULL, 0, 0}},
     NULL, NULL},
    {"project_audit", SCHEMA_CORE, 4,
     (const column[]){
         {"id", T_KEY, 0, NULL, NULL, 0},
         {"project_id", T_I64, C_NOTNULL, NULL, NULL, 0},
         TEXT_NN("at"),
         TEXT_NN("actor"),
         {"action", T_TEXT, C_NOTNULL, "action IN ('create','update','delete')", NULL, 0},
         TEXT("before"),
         TEXT("after"),
         END_COLS},
     NULL, (const tindex[]){{"project_audit_project", "project_id", 0, 0}, {NULL, NULL, 0, 0}},
     audit_sqlite_triggers, audit_pg_triggers},
    /* the road network (store_roads.c) */
    {"road_nodes", SCHEMA_ROADS, 1,
     (const column[]){{"id", T_KEY, 0, NULL, NULL, 0},
                      TEXT_NN("source"),
                      {"node", T_I64, C_NOTNULL, NULL, NULL, 0},
                      {"degree", T_I32, C_NOTNULL, NULL, NULL, 0},
                      {"geom", T_POINT, C_NOTNULL | C_SPATIAL_SQLITE, NULL, NULL, 0},
                      END_COLS},
     (const tconstraint[]){{"UNIQUE(source, node)", 0}, {NULL, 0}}, NULL, NULL, NULL},
    {"road_segments", SCHEMA_ROADS, 1,
     (const column[]){
         {"id", T_KEY, 0, NULL, NULL, 0},
         TEXT_NN("source"),
         TEXT_NN("source_id"),
         {"from_node", T_I64, C_NOTNULL, NULL, "road_nodes(id)", 0},
         {"to_node", T_I64, C_NOTNULL, NULL, "road_nodes(id)", 0},
         TEXT("name"),
         TEXT("class"),
         {"oneway", T_I32, C_NOTNULL | C_CHECK_SQLITE, "oneway IN (-1, 0, 1)", NULL, 0},
         {"lanes", T_I32, 0, NULL, NULL, 0},
         {"maxspeed", T_REAL, 0, NULL, NULL, 0},
         {"volume", T_REAL, 0, NULL, NULL, 0},
         {"length_m", T_REAL, C_NOTNULL | C_CHECK_SQLITE, "length_m > 0", NULL, 0},
         TEXT("extra"),
         {"geom", T_LINE, C_NOTNULL | C_SPATIAL, NULL, NULL, 0},
         END_COLS},
     (const tconstraint[]){{"UNIQUE(source, source_id)", 0}, {NULL, 0}},
     (const tindex[]){{"road_segments_from", "from_node", ONLY_SQLITE, 0},
                      {"road_segments_to", "to_node", ONLY_SQLITE, 0},
                      {NULL, NULL, 0, 0}},
     NULL, NULL},
    {"road_sources", SCHEMA_ROADS, 1,
     (const column[]){{"source", T_TEXT, C_PK, NULL, NULL, 0},
                      {"content_hash", T_I64, C_NOTNULL, NULL, NULL, 0},
                      END_COLS},
     NULL, NULL, NULL, NULL},
    /* public releases (store_release.c): immutable, by the triggers after release_tables */
    {"releases", SCHEMA_RELEASES, 1,
     (const column[]){{"id", T_I64, C_PK, NULL, NULL, 0},
                      TEXT_NN("created_at"),
                      {"data_version", T_I64, C_NOTNULL, NULL, NULL, 0},
                      TEXT_NN("metadata"),
                      END_COLS},
     NULL, NULL, NULL, NULL},
    {"release_tables", SCHEMA_RELEASES, 1,
     (const column[]){
         {"release_id", T_I64, C_NOTNULL, NULL, "releases(id) DEFERRABLE INITIALLY DEFERRED", 0},
         {"name", T_TEXT_C, C_NOTNULL, NULL, NULL, 0},
         {"cells", T_BLOB, C_NOTNULL, NULL, NULL, 0},
         END_COLS},
     (const tconstraint[]){{"PRIMARY KEY(release_id, name)", 0}, {NULL, 0}}, NULL,
     release_sqlite_triggers, release_pg_triggers},
    /* record linkage (store_links.c) */
    {"record_links", SCHEMA_LINKS, 1,
     (const column[]){{"id", T_KEY, 0, NULL, NULL, 0},
                      {"a", T_I64, C_NOTNULL, NULL, NULL, 0},
                      {"b", T_I64, C_NOTNULL, NULL, NULL, 0},
                      {"score", T_REAL, C_NOTNULL, NULL, NULL, 0},
                      {"status", T_TEXT, C_NOTNULL,
                       "status IN ('auto','possible','confirmed','rejected')", NULL, 0},
                      TEXT("reviewer"),
                      TEXT("at"),
                      END_COLS},
     (const tconstraint[]){{"UNIQUE(a, b)", 0}, {"CHECK(a < b)", ONLY_SQLITE}, {NULL, 0}},
     (const tindex[]){{"record_links_status", "status, id", 0, 0}, {NULL, NULL, 0, 0}}, NULL, NULL},
};
enum { NTABLES = sizeof tables / sizeof tables[0] };

/* The migration steps that are not "add a table, column or index" (those follow from since), at
 * most one per version; its SQL runs after the additions of that version, its hook after both. */
static const struct {
    int to;
    const char *sqlite_sql, *pg_sql; /* NULL: none */
    schema_hook sqlite_hook, pg_hook;
} steps[] = {
    /* 1 -> 2 (issue 11): the legacy mechanism words become mechanism x intent (store.c); PostGIS
     * stores started at schema 2 */
    {2, NULL, NULL, SCHEMA_HOOK_VOCAB_2, SCHEMA_HOOK_NONE},
    /* 2 -> 3 (issue 11): incident points become nullable; SQLite cannot DROP NOT NULL, store.c
     * edits the table's text instead */
    {3, NULL,
     "ALTER TABLE incidents ALTER COLUMN lon DROP NOT NULL, ALTER COLUMN lat DROP NOT NULL,"
     " ALTER COLUMN geom DROP NOT NULL;",
     SCHEMA_HOOK_NULL_POINT_3, SCHEMA_HOOK_NONE},
};
enum { NSTEPS = sizeof steps / sizeof steps[0] };

/* ---- a growing string ---- */

typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(buf *b, const char *fmt, ...)
{
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if (b->s && b->len + (size_t)n < b->cap) {
        b->len += (size_t)n;
        return;
    }
    size_t cap = b->cap ? b->cap : 1024;
    while (cap <= b->len + (size_t)n)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = 1;
        return;
    }
    b->s = s;
    b->cap = cap;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* The string built, or NULL (freed) after an allocation failed. */
static char *done(buf *b)
{
    if (!b->oom && !b->s) put(b, "%s", "");
    if (b->oom) {
        free(b->s);
        return NULL;
    }
    return b->s;
}

/* ---- rendering ---- */

static int is_geom(col_type t)
{
    return t >= T_POINT;
}

static int in_dialect(unsigned only, schema_dialect d)
{
    return only == 0 || only == (d == SCHEMA_SQLITE ? ONLY_SQLITE : ONLY_PG);
}

static const char *type_sql(col_type t, schema_dialect d)
{
    static const char *const sq[] = {[T_KEY] = "INTEGER PRIMARY KEY",
                                     [T_KEY_AUTO] = "INTEGER PRIMARY KEY AUTOINCREMENT",
                                     [T_I64] = "INTEGER",
                                     [T_I32] = "INTEGER",
                                     [T_TEXT] = "TEXT",
                                     [T_TEXT_C] = "TEXT",
                                     [T_REAL] = "REAL",
                                     [T_BLOB] = "BLOB",
                                     [T_POINT] = "POINT",
                                     [T_LINE] = "LINESTRING",
                                     [T_MPOLY] = "MULTIPOLYGON",
                                     [T_GEOM] = "GEOMETRY"};
    static const char *const pg[] = {[T_KEY] = "BIGSERIAL PRIMARY KEY",
                                     [T_KEY_AUTO] = "BIGSERIAL PRIMARY KEY",
                                     [T_I64] = "BIGINT",
                                     [T_I32] = "INTEGER",
                                     [T_TEXT] = "TEXT",
                                     [T_TEXT_C] = "TEXT COLLATE \"C\"",
                                     [T_REAL] = "DOUBLE PRECISION",
                                     [T_BLOB] = "BYTEA",
                                     [T_POINT] = "geometry(Point,4326)",
                                     [T_LINE] = "geometry(LineString,4326)",
                                     [T_MPOLY] = "geometry(MultiPolygon,4326)",
                                     [T_GEOM] = "geometry(Geometry,4326)"};
    return d == SCHEMA_SQLITE ? sq[t] : pg[t];
}

/* "name TYPE constraints", as a column of CREATE TABLE or ALTER TABLE ADD COLUMN. */
static void put_column(buf *b, const column *c, schema_dialect d)
{
    assert(!(d == SCHEMA_SQLITE && is_geom(c->type))); /* AddGeometryColumn: put_geometry() */
    put(b, "%s %s", c->name, type_sql(c->type, d));
    if (c->flags & C_PK) put(b, " PRIMARY KEY");
    if (c->flags & C_NOTNULL) put(b, " NOT NULL");
    if (c->check && (d == SCHEMA_SQLITE || !(c->flags & C_CHECK_SQLITE)))
        put(b, " CHECK(%s)", c->check);
    if (c->refs) put(b, " REFERENCES %s", c->refs);
}

/* What follows a table's creation (or a geometry column's addition) for the geometry column c:
 * SpatiaLite's AddGeometryColumn and R*Tree, PostGIS's GiST index. */
static void put_geometry(buf *b, const table *t, const column *c, schema_dialect d)
{
    if (d == SCHEMA_SQLITE) {
        put(b, "SELECT AddGeometryColumn('%s','%s',4326,'%s','XY',%d);", t->name, c->name,
            type_sql(c->type, d), (c->flags & C_NOTNULL) ? 1 : 0);
        if (c->flags & C_SPATIAL_SQLITE)
            put(b, "SELECT CreateSpatialIndex('%s','%s');", t->name, c->name);
    } else if (c->flags & C_SPATIAL_PG) {
        put(b, "CREATE INDEX %s_%s ON %s USING GIST(%s);", t->name, c->name, t->name, c->name);
    }
}

static void put_index(buf *b, const table *t, const tindex *x, int if_not_exists)
{
    put(b, "CREATE INDEX %s%s ON %s(%s);", if_not_exists ? "IF NOT EXISTS " : "", x->name, t->name,
        x->cols);
}

static void put_table(buf *b, const table *t, schema_dialect d, int if_not_exists)
{
    put(b, "CREATE TABLE %s%s(", if_not_exists ? "IF NOT EXISTS " : "", t->name);
    const char *sep = "";
    for (const column *c = t->cols; c->name; c++) {
        assert(!is_geom(c->type) || !c[1].name); /* invariant 2 */
        if (d == SCHEMA_SQLITE && is_geom(c->type)) continue;
        put(b, "%s", sep);
        put_column(b, c, d);
        sep = ", ";
    }
    for (const tconstraint *k = t->cons; k && k->text; k++)
        if (in_dialect(k->only, d)) put(b, ", %s", k->text);
    put(b, ");");
    for (const column *c = t->cols; c->name; c++)
        if (is_geom(c->type)) put_geometry(b, t, c, d);
    for (const tindex *x = t->idx; x && x->name; x++)
        if (in_dialect(x->only, d)) put_index(b, t, x, if_not_exists);
    const char *extra = d == SCHEMA_SQLITE ? t->sqlite_extra : t->pg_extra;
    if (extra) put(b, "%s", extra);
    /* the rows of a new store: its schema version, data version 0 and a random data identity
     * (store.c's invariants 1 and 5) */
    if (strcmp(t->name, "meta") == 0)
        put(b,
            "INSERT INTO meta VALUES('schema_version','%d'),('data_version','0'),('data_id',%s);",
            (int)STORE_SCHEMA_VERSION,
            d == SCHEMA_SQLITE ? "lower(hex(randomblob(16)))"
                               : "replace(gen_random_uuid()::text,'-','')");
}

char *schema_create_sql(schema_dialect d, unsigned groups, int if_not_exists)
{
    assert(d == SCHEMA_SQLITE || !if_not_exists);
    buf b = {0};
    for (int i = 0; i < NTABLES; i++)
        if (tables[i].group & groups) put_table(&b, &tables[i], d, if_not_exists);
    return done(&b);
}

char *schema_migrate_sql(schema_dialect d, unsigned groups, int to, schema_hook *hook)
{
    assert(to >= 2 && to <= STORE_SCHEMA_VERSION);
    buf b = {0};
    *hook = SCHEMA_HOOK_NONE;
    for (int i = 0; i < NTABLES; i++)
        if ((tables[i].group & groups) && tables[i].since == to) put_table(&b, &tables[i], d, 0);
    for (int i = 0; i < NTABLES; i++) {
        const table *t = &tables[i];
        if (!(t->group & groups) || t->since >= to) continue;
        for (const column *c = t->cols; c->name; c++) {
            if (c->since != to) continue;
            if (d == SCHEMA_SQLITE && is_geom(c->type)) {
                put_geometry(&b, t, c, d);
                continue;
            }
            put(&b, "ALTER TABLE %s ADD COLUMN ", t->name);
            put_column(&b, c, d);
            put(&b, ";");
            if (is_geom(c->type)) put_geometry(&b, t, c, d);
        }
    }
    for (int i = 0; i < NTABLES; i++) {
        const table *t = &tables[i];
        if (!(t->group & groups) || t->since >= to) continue;
        for (const tindex *x = t->idx; x && x->name; x++)
            if (x->since == to && in_dialect(x->only, d)) put_index(&b, t, x, 0);
    }
    for (int i = 0; i < NSTEPS; i++) {
        if (steps[i].to != to) continue;
        const char *sql = d == SCHEMA_SQLITE ? steps[i].sqlite_sql : steps[i].pg_sql;
        if (sql) put(&b, "%s", sql);
        *hook = d == SCHEMA_SQLITE ? steps[i].sqlite_hook : steps[i].pg_hook;
    }
    return done(&b);
}

char *schema_index_sql(schema_dialect d, const char *name, int create)
{
    const table *t = NULL;
    for (int i = 0; i < NTABLES && !t; i++)
        if (strcmp(tables[i].name, name) == 0) t = &tables[i];
    assert(t);
    buf b = {0};
    for (const column *c = t->cols; d == SCHEMA_PG && c->name; c++) {
        if (!is_geom(c->type) || !(c->flags & C_SPATIAL_PG)) continue;
        if (create)
            put_geometry(&b, t, c, d);
        else
            put(&b, "DROP INDEX %s_%s;", t->name, c->name);
    }
    for (const tindex *x = t->idx; x && x->name; x++) {
        if (!in_dialect(x->only, d)) continue;
        if (create)
            put_index(&b, t, x, 0);
        else
            put(&b, "DROP INDEX %s;", x->name);
    }
    return done(&b);
}

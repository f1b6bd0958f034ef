/* schema.h - the store's schema, described once (schema.c), and its DDL rendered per backend:
 * SQLite/SpatiaLite (store.c, store_roads.c, store_release.c, store_links.c) and
 * PostgreSQL/PostGIS (pg_store.c). Internal to geo/store.
 *
 * The description is a table of tables (columns of a logical type with their constraints, table
 * constraints, indexes, the point/line/polygon geometry column), each table, column and index
 * tagged with the schema version that introduced it ("since"), plus the few migration steps that
 * are not "add this table/column/index" (schema.c, steps[]). The renderers turn it into:
 *  - the DDL of a fresh store (schema_create_sql()), as of STORE_SCHEMA_VERSION;
 *  - the DDL of one migration step, version to-1 -> to (schema_migrate_sql()): the tables, then
 *    the columns, then the indexes whose since is to, then that version's own SQL text, and the
 *    backend hook (C code: a data rewrite, SQLite's edit of a table's text) to run after it.
 * The DDL of a new store includes the meta rows (the schema version, data version 0, a random
 * data identity). What is genuinely one backend's (SpatiaLite's metadata, the postgis extension)
 * stays in that backend. */
#ifndef HAZMAP_STORE_SCHEMA_H
#define HAZMAP_STORE_SCHEMA_H

typedef enum { SCHEMA_SQLITE, SCHEMA_PG } schema_dialect;

/* The groups of tables. PostGIS creates them all with the store; SpatiaLite creates
 * SCHEMA_CORE with the store and the others on first use (store_roads_ensure(), the first
 * release, the first record link), as it always has. */
enum {
    SCHEMA_CORE = 1,     /* meta .. tokens, projects, project_audit */
    SCHEMA_ROADS = 2,    /* road_nodes, road_segments, road_sources */
    SCHEMA_RELEASES = 4, /* releases, release_tables and their immutability triggers */
    SCHEMA_LINKS = 8,    /* record_links */
    SCHEMA_ALL = 15
};

/* C code a backend runs after a migration step's SQL (schema_migrate_sql()). */
typedef enum {
    SCHEMA_HOOK_NONE,
    SCHEMA_HOOK_VOCAB_2,     /* 1 -> 2: re-map mechanism/intent words, recompute the hashes */
    SCHEMA_HOOK_NULL_POINT_3 /* 2 -> 3 on SQLite: lon, lat, geom lose NOT NULL (store.c) */
} schema_hook;

/* The DDL of the tables of the groups in mask (SCHEMA_*, a bit set) as of STORE_SCHEMA_VERSION, in
 * the order they are created, every statement ended by ';'. if_not_exists (SQLite only) writes
 * CREATE TABLE/INDEX IF NOT EXISTS. malloc'd, the caller's to free; NULL when out of memory. */
char *schema_create_sql(schema_dialect d, unsigned groups, int if_not_exists);

/* The DDL of the migration step to-1 -> to (2 <= to <= STORE_SCHEMA_VERSION) of the tables of
 * the groups in mask; possibly "". *hook is the backend's C step to run after it. malloc'd, the
 * caller's to free; NULL when out of memory. */
char *schema_migrate_sql(schema_dialect d, unsigned groups, int to, schema_hook *hook);

/* The statements that drop (create = 0) or create (create = 1) the secondary indexes of the table
 * name (its indexes and, on PostGIS, its GiST index; not SpatiaLite's R*Tree), for a bulk load
 * that builds them once at the end (pg_bulk.c). malloc'd, the caller's to free; NULL when out of
 * memory. name must be one of the store's tables. */
char *schema_index_sql(schema_dialect d, const char *name, int create);

#endif

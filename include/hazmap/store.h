/* store.h - the incident and area store: SpatiaLite (a file path) or PostGIS (a PostgreSQL URI,
 * postgresql://... or postgres://..., or a libpq conninfo naming dbname= or host=; README.md,
 * "PostGIS"). Both backends keep the same tables with the same semantics; functions the PostGIS
 * backend lacks fail with HZ_EUNSUPPORTED ("not supported on PostGIS yet").
 *
 * Ownership: store_open() returns a handle the caller frees with store_close(). A handle is one
 * database connection: use it from one thread at a time (the server opens one per worker).
 * Strings in records passed to store_*_put() are borrowed for the call only. Records handed to
 * callbacks are valid only during the callback.
 *
 * Writes happen inside store_begin()/store_commit(); store_commit() bumps the data version, a
 * number that changes with every committed write that changed a row and that caches key on, and
 * renews the data
 * identity, which caches that outlive the process key on (store_data_id()). */
#ifndef HAZMAP_STORE_H
#define HAZMAP_STORE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

typedef struct store store;

/* The schema this build writes. 1: the first; 2 (issue 11): mechanism and intent as separate
 * axes (vocab.h), the columns activity, outcome, nature and body_part; 3 (issue 11): an incident
 * may have no point (lon, lat and geom NULL), known only by its area; 4 (issue 12): the projects
 * registry and its audit log (store_projects.h). */
enum { STORE_SCHEMA_VERSION = 4 };

enum {
    STORE_READONLY = 1 << 0, /* open read-only; fails if the file is absent */
    STORE_CREATE = 1 << 1    /* create the file and the schema if absent */
};

/* Opens (and with STORE_CREATE creates) the database at path. A PostgreSQL URI or conninfo opens
 * a PostGIS store instead (one libpq connection; STORE_CREATE creates the schema, and the postgis
 * extension, in an existing database; STORE_READONLY makes its transactions read-only). For a
 * SpatiaLite file: sets WAL mode and a busy timeout.
 * A database of an older schema (STORE_SCHEMA_VERSION) is migrated in place, in one transaction
 * that also renews the data version and identity; a read-only open of one migrates it through a
 * read-write connection first (failing when the file cannot be written). Returns NULL on failure
 * with the reason in err. */
store *store_open(const char *path, int flags, char *err, size_t errlen);

/* Closes the connection; NULL is a no-op. An open transaction is rolled back. */
void store_close(store *st);

/* The status of the store's last failed call, for callers whose failure came back without one
 * (a NULL handle): HZ_ENOSPC when the disk was full, HZ_ELIMIT after the time limit, else
 * HZ_EDB. */
hz_status store_last_status(store *st);

/* The path given to store_open() (for PostGIS: the conninfo without its password). Borrowed. */
const char *store_path(const store *st);

/* "spatialite" or "postgis". Borrowed, static. Only a SpatiaLite store has files beside it
 * (the snapshot cache). */
const char *store_backend_name(const store *st);

/* Transactions. store_begin() starts an immediate (write) transaction; store_commit() bumps the
 * data version if the transaction changed any row, and commits; store_rollback() undoes
 * everything since store_begin(). */
hz_status store_begin(store *st, char *err, size_t errlen);
hz_status store_commit(store *st, char *err, size_t errlen);
void store_rollback(store *st);

/* The current data version (0 for an empty new store). */
hz_status store_data_version(store *st, int64_t *version);

/* Waits until the store changed: its data version differs from known_version, or another
 * connection (another thread, another `hazmap serve` replica, an import, `hazmap publish`) has
 * committed anything since this handle's previous call (a release, a token: changes that keep
 * the data version). Returns HZ_OK with the data version then in *version (equal to
 * known_version for such other commits: the caller re-reads whatever else it keeps, such as the
 * newest release); HZ_ELIMIT with *version = known_version when timeout_ms passed without a
 * change; another status when the store cannot be read (the caller waits and calls again). The
 * first call on a handle only compares the data version. Meant for one watcher thread with a
 * handle of its own, which it holds no transaction on.
 *
 * SpatiaLite: polls every STORE_WATCH_POLL_MS, cheaply: `PRAGMA data_version` (which changes
 * when another connection, in this process or another, commits to the file) and, when that
 * moved, the meta row of the data version. PostGIS (geo/store/pg_watch.c): LISTEN on the channel
 * that store_commit() and store_release_put() NOTIFY in their transaction, waiting on the
 * connection's socket; when the connection (and so the channel) drops, the call reconnects (with a
 * backoff; HZ_EDB while the server is unreachable) and reports a change after reconnecting, as
 * commits may have gone unheard; where LISTEN is refused (a hot standby) it polls the data
 * version and the newest release id every STORE_WATCH_POLL_MS. */
enum { STORE_WATCH_POLL_MS = 100 };
hz_status store_wait_change(store *st, int64_t known_version, int timeout_ms, int64_t *version);

/* The data identity: STORE_DATA_ID_SIZE - 1 lowercase hex digits (128 random bits), set when
 * the store is created and renewed by every store_commit() together with the data version. The
 * version alone does not name the data outside one process's lifetime: a database deleted and
 * recreated counts from 0 again, and a restored backup that is written to again reaches version
 * numbers it had before with other data. Equal identities mean equal data. A store created before
 * identities existed gets one on its first read-write open; until then this returns HZ_ENOTFOUND
 * (HZ_EINVAL when idlen < STORE_DATA_ID_SIZE). */
enum { STORE_DATA_ID_SIZE = 33 };
hz_status store_data_id(store *st, char *id, size_t idlen);

/* Numbers of areas and incidents. */
hz_status store_counts(store *st, int64_t *areas, int64_t *incidents);

/* A time limit for every statement on this connection, in milliseconds (0 = none). A statement
 * that runs longer fails with HZ_ELIMIT. */
void store_set_timeout(store *st, int ms);

/* ---- areas ---- */

typedef struct hz_area_rec {
    const char *code;         /* unique key, required */
    const char *name;         /* UTF-8, required */
    const char *name_en;      /* may be NULL */
    const char *level;        /* "district", "subdistrict" or "community"; required */
    const char *parent_code;  /* may be NULL */
    int64_t population;       /* -1 when unknown */
    const unsigned char *wkb; /* (MULTI)POLYGON in EPSG:4326, lon/lat order */
    size_t wkb_len;
} hz_area_rec;

/* Inserts an area, or replaces the one with the same code. Inside a transaction. */
hz_status store_area_put(store *st, const hz_area_rec *a, char *err, size_t errlen);

typedef int (*store_area_cb)(void *ud, const hz_area_rec *a);

/* Calls cb for every area, ordered by code; the geometry comes as MULTIPOLYGON WKB. A non-zero
 * return from cb stops the scan (the function still returns HZ_OK). */
hz_status store_areas_scan(store *st, store_area_cb cb, void *ud, char *err, size_t errlen);

/* ---- incidents ---- */

typedef struct hz_incident_rec {
    int64_t id;            /* set by the store on reads; ignored on writes */
    const char *source;    /* required: the file name or feed the record came from */
    const char *source_id; /* required: its id within the source */
    const char
        *occurred_at; /* ISO 8601 with offset, e.g. "2013-05-01T08:30:00+08:00"; may be NULL */
    int64_t t;        /* the same instant as seconds since the epoch (INT64_MIN if unknown) */
    int mechanism, place, intent, severity, sex; /* hz_* vocab values; 0 = unknown */
    int activity, outcome, nature, body_part;    /* likewise (vocab.h) */
    int victims;                                 /* -1 unknown */
    int age;                                     /* years; -1 unknown */
    int disability;                              /* 1 yes, 0 no, -1 unknown */
    const char *description;                     /* may be NULL */
    const char *area_code;                       /* NULL when outside every area */
    const char
        *extra; /* JSON object of the source columns without a field of their own; may be NULL */
    double lon, lat; /* WGS84; both NaN when the record has no point (only an area_code) */
} hz_incident_rec;

/* 1 when r has a point, 0 when it is known only by its area (lon, lat NaN; stored as NULL). */
static inline int hz_rec_has_point(const hz_incident_rec *r)
{
    return isfinite(r->lon) && isfinite(r->lat);
}

typedef enum store_put_outcome {
    STORE_PUT_INSERTED = 0, /* a new (source, source_id) */
    STORE_PUT_REPLACED = 1, /* existed with different content; replaced */
    STORE_PUT_UNCHANGED = 2 /* existed with identical content; nothing written */
} store_put_outcome;

/* Inserts or replaces the incident keyed by (source, source_id). Inside a transaction. */
hz_status store_incident_put(store *st, const hz_incident_rec *r, store_put_outcome *outcome,
                             char *err, size_t errlen);

typedef int (*store_incident_cb)(void *ud, const hz_incident_rec *r);

/* Calls cb for every incident in id order: the fields of an analysis only (source, source_id,
 * occurred_at, description and extra are NULL; store_incidents_get() reads whole records). A
 * non-zero return stops the scan. */
hz_status store_incidents_scan(store *st, store_incident_cb cb, void *ud, char *err, size_t errlen);

/* What an incremental snapshot reload (incset_reload()) needs to know of the incidents, read in
 * the caller's read transaction. Every write of incidents either inserts a row with a new, larger
 * id (ids only grow: nothing deletes incidents) or replaces a row within an import batch, whose
 * id (import_batches.id, allocated inside the serialised write transaction) is larger than any
 * batch committed before; a replacement outside any batch (store_incident_put(), a POST) raises
 * the horizon to the data version it was written on top of, so a snapshot at or below the
 * horizon cannot be brought up to date from the rows written since it. */
typedef struct store_marks {
    int64_t count;     /* incidents */
    int64_t max_id;    /* largest incident id, 0 when none */
    int64_t max_batch; /* largest import batch id, 0 when none */
    int64_t horizon;   /* meta.reload_horizon, 0 when never set */
} store_marks;
/* counts 0: count and max_id are not read (both 0), for a load that knows them already. */
hz_status store_incident_marks(store *st, int counts, store_marks *m, char *err, size_t errlen);

/* As store_incidents_scan(), for the incidents with id > after_id or batch_id > after_batch: the
 * rows written since a snapshot whose store_incident_marks() were after_id and after_batch.
 * after_batch INT64_MAX (no batch since) reads only id > after_id, a range of the primary key;
 * otherwise every row is looked at (batch_id has no index). */
hz_status store_incidents_scan_since(store *st, int64_t after_id, int64_t after_batch,
                                     store_incident_cb cb, void *ud, char *err, size_t errlen);

/* Calls cb for the incidents with the given ids (in the order given; missing ids are skipped). */
hz_status store_incidents_get(store *st, const int64_t *ids, size_t n, store_incident_cb cb,
                              void *ud, char *err, size_t errlen);

/* ---- roads (geo/store/store_roads.c) ----
 *
 * A road network is stored per source (the file it came from): its nodes (road_nodes: a
 * store-wide id, the node's id within its source, degree, POINT) and its segments (road_segments:
 * a LINESTRING in EPSG:4326 between two nodes, with name, class, one-way, lanes, speed limit,
 * volume, length in metres and the source's other fields as JSON). Node ids within a source are
 * the source's own (a file's from/to fields) or the importer's; the store gives every node a
 * store-wide id, so two sources never share a node. A source is written whole, in one call: a
 * source written again with the same content is left as it was (STORE_PUT_UNCHANGED: no row is
 * written and the data version stays), one with other content replaces all of the source's rows.
 * The tables are created with the schema, and by the first read-write store_open() of a database
 * made before roads existed (a write-protected one is opened without them); a store without them
 * has no roads. */

typedef struct hz_road_node_rec {
    int64_t id;         /* store-wide id: set by the store on reads, ignored on writes */
    const char *source; /* set on reads; ignored on writes (the source of store_roads_put()) */
    int64_t node;       /* the node's id within its source; unique within it */
    uint32_t degree;    /* segment ends at the node (a loop counts twice) */
    double lon, lat;    /* WGS84 */
} hz_road_node_rec;

typedef struct hz_road_seg_rec {
    int64_t id;                 /* set by the store on reads; ignored on writes */
    const char *source;         /* set on reads; ignored on writes */
    const char *source_id;      /* required: the segment's id within its source; unique within it */
    int64_t from_node, to_node; /* node ids within the source (hz_road_node_rec.node) */
    int64_t from_id, to_id;  /* the same nodes' store-wide ids: set on reads, ignored on writes */
    const char *name;        /* UTF-8; may be NULL */
    const char *cls;         /* road class (OSM highway value: "primary", ...); may be NULL */
    int oneway;              /* 1 only from -> to, -1 only to -> from, 0 both ways */
    int lanes;               /* -1 unknown */
    double maxspeed_kmh;     /* NaN unknown */
    double volume;           /* traffic volume (AADT, vehicles per day); NaN unknown */
    double length_m;         /* length in metres in the working CRS of the import; > 0 */
    const char *extra;       /* JSON object of the source's other fields; may be NULL */
    size_t npts;             /* >= 2 */
    const double *lon, *lat; /* npts vertices, WGS84; the first at from_node, the last at to_node */
} hz_road_seg_rec;

/* Writes the whole road network of source: n nodes and m segments (every segment's from_node and
 * to_node among the nodes' node ids, else HZ_EINVAL), replacing what the source had, or leaving
 * it untouched when the content is the same (*outcome says which: INSERTED for a new source).
 * Inside a transaction. Records are borrowed for the call. */
hz_status store_roads_put(store *st, const char *source, size_t n, const hz_road_node_rec *nodes,
                          size_t m, const hz_road_seg_rec *segs, store_put_outcome *outcome,
                          char *err, size_t errlen);

/* Numbers of road segments and road nodes in the store (0 and 0 when it has no road tables). */
hz_status store_roads_counts(store *st, int64_t *segments, int64_t *nodes);

typedef int (*store_road_seg_cb)(void *ud, const hz_road_seg_rec *r);
typedef int (*store_road_node_cb)(void *ud, const hz_road_node_rec *r);

/* Calls cb for every road segment in id order (nothing when the store has no road tables). The
 * record and its arrays are valid during the callback only. A non-zero return stops the scan. */
hz_status store_road_segs_scan(store *st, store_road_seg_cb cb, void *ud, char *err, size_t errlen);

/* Calls cb for every road node in id order, as above. */
hz_status store_road_nodes_scan(store *st, store_road_node_cb cb, void *ud, char *err,
                                size_t errlen);

/* ---- import bookkeeping ---- */

/* Records the start of an import of file into the store; *batch_id identifies it. */
hz_status store_batch_begin(store *st, const char *kind, const char *file, int64_t *batch_id,
                            char *err, size_t errlen);

/* Records one rejected row or feature: its line (or feature number), raw text and reason. */
hz_status store_reject_add(store *st, int64_t batch_id, int64_t line, const char *raw,
                           const char *reason, char *err, size_t errlen);

/* Records the summary (a JSON object) of a finished import. */
hz_status store_batch_finish(store *st, int64_t batch_id, const char *summary_json, char *err,
                             size_t errlen);

/* ---- public statistical releases (geo/store/store_release.c) ----
 *
 * A release (release.h) is stored as one row of metadata (JSON text) and one named blob per
 * table. Releases are immutable: triggers refuse any UPDATE or DELETE, a second insert with an
 * existing id, and a table added to a release already written, so an older release stays
 * readable by id exactly as published. The tables are created (CREATE ... IF NOT EXISTS) on the
 * first store_release_put(), so databases made before releases existed need no migration; until
 * then the read functions find no release. Writing a release does not change the data version
 * (it adds no incident data). */

typedef struct store_release_rec {
    int64_t id;             /* set by the store */
    const char *created_at; /* ISO 8601 UTC, e.g. "2025-01-31T08:00:00Z"; required */
    int64_t data_version;   /* the data version the release was computed from */
    const char *metadata;   /* JSON text; required */
} store_release_rec;

typedef struct store_release_blob {
    const char *name; /* unique within a release; required */
    const unsigned char *data;
    size_t len;
} store_release_blob;

/* Writes a new release with its n blobs in one transaction (a savepoint, so it may also run
 * inside store_begin()/store_commit()) and sets *id. r->id is ignored. Strings and blobs are
 * borrowed for the call. */
hz_status store_release_put(store *st, const store_release_rec *r, size_t n,
                            const store_release_blob *blobs, int64_t *id, char *err, size_t errlen);

typedef int (*store_release_cb)(void *ud, const store_release_rec *r);
typedef int (*store_release_blob_cb)(void *ud, const store_release_blob *b);

/* Calls cb for every release in id order (nothing when none was ever written). A non-zero
 * return stops the scan. Records are valid during the callback only. */
hz_status store_release_list(store *st, store_release_cb cb, void *ud, char *err, size_t errlen);

/* The id of the newest release; HZ_ENOTFOUND when there is none. */
hz_status store_release_latest(store *st, int64_t *id, char *err, size_t errlen);

/* Calls meta_cb once with release id's record, then blob_cb for each of its blobs in name
 * order (either callback may be NULL; a non-zero return stops). HZ_ENOTFOUND when there is no
 * release id. */
hz_status store_release_get(store *st, int64_t id, store_release_cb meta_cb,
                            store_release_blob_cb blob_cb, void *ud, char *err, size_t errlen);

#endif

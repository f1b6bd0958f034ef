/* tileexport.c - tile sets for static hosting (MBTiles 1.3, z/x/y directories) and TileJSON. */
#include "hazmap/tileexport.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hazmap/tilemath.h"

struct tileexport {
    tileexport_format fmt;
    sqlite3 *db;
    sqlite3_stmt *ins;
    char dir[1024];
};

tileexport_format tileexport_format_of(const char *path)
{
    size_t n = strlen(path);
    struct stat sb;
    if ((n > 0 && path[n - 1] == '/') || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)))
        return TILEEXPORT_DIR;
    return TILEEXPORT_MBTILES;
}

static hz_status db_fail(tileexport *e, const char *what, char *err, size_t errlen)
{
    return hz_fail(HZ_EIO, err, errlen, "%s: %s", what, sqlite3_errmsg(e->db));
}

static hz_status meta_put(tileexport *e, sqlite3_stmt *st, const char *name, const char *value,
                          char *err, size_t errlen)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return db_fail(e, "mbtiles metadata", err, errlen);
    return HZ_OK;
}

/* The metadata of a tile set as MBTiles 1.3 names and text values, the one list both formats
 * write (the MBTiles metadata table, a directory's metadata.json). */
enum { META_KEYS = 11 };
typedef struct meta_text {
    char bounds[128], center[128], minz[16], maxz[16];
} meta_text;

static void meta_pairs(const tileexport_meta *m, meta_text *t, const char *kv[META_KEYS][2])
{
    snprintf(t->bounds, sizeof t->bounds, "%.6f,%.6f,%.6f,%.6f", m->bounds[0], m->bounds[1],
             m->bounds[2], m->bounds[3]);
    snprintf(t->center, sizeof t->center, "%.6f,%.6f,%d", (m->bounds[0] + m->bounds[2]) / 2,
             (m->bounds[1] + m->bounds[3]) / 2, m->minzoom);
    snprintf(t->minz, sizeof t->minz, "%d", m->minzoom);
    snprintf(t->maxz, sizeof t->maxz, "%d", m->maxzoom);
    const char *pairs[META_KEYS][2] = {{"name", m->name},
                                       {"format", "png"},
                                       {"bounds", t->bounds},
                                       {"center", t->center},
                                       {"minzoom", t->minz},
                                       {"maxzoom", t->maxz},
                                       {"type", "overlay"},
                                       {"version", m->version ? m->version : "1"},
                                       {"description", m->description ? m->description : ""},
                                       {"attribution", m->attribution ? m->attribution : ""},
                                       {"legend", m->legend ? m->legend : ""}};
    memcpy(kv, pairs, sizeof pairs);
}

/* Writes j (borrowed) as DIR/name, through a temporary file renamed into place. */
static hz_status write_json(const char *dir, const char *name, const json_t *j, char *err,
                            size_t errlen)
{
    char p[1200], tmp[1300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", p, (long)getpid());
    if (!j || json_dump_file(j, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) != 0 ||
        rename(tmp, p) != 0) {
        int eno = errno;
        unlink(tmp);
        return hz_fail(HZ_EIO, err, errlen, "%s: %s", p, strerror(eno));
    }
    return HZ_OK;
}

/* A directory's description beside its tiles, for static hosting: metadata.json (the MBTiles
 * metadata, as tippecanoe writes beside a directory) and tilejson.json (TileJSON 3.0.0, its
 * tiles URL relative to the file: {z}/{x}/{y}.png). */
static hz_status dir_describe(const char *dir, const tileexport_meta *m, char *err, size_t errlen)
{
    meta_text mt;
    const char *kv[META_KEYS][2];
    meta_pairs(m, &mt, kv);
    json_t *meta = json_object();
    for (size_t k = 0; meta && k < META_KEYS; k++)
        json_object_set_new(meta, kv[k][0], json_string(kv[k][1]));
    hz_status s = write_json(dir, "metadata.json", meta, err, errlen);
    json_decref(meta);
    if (s != HZ_OK) return s;
    int cz = m->minzoom + 2 <= m->maxzoom ? m->minzoom + 2 : m->maxzoom;
    json_t *tj = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:i, s:i, s:[f,f,f,f], s:[f,f,i]}", "tilejson",
        "3.0.0", "name", m->name, "description", m->description ? m->description : "",
        "attribution", m->attribution ? m->attribution : "", "version",
        m->version ? m->version : "1", "scheme", "xyz", "tiles", "{z}/{x}/{y}.png", "minzoom",
        m->minzoom, "maxzoom", m->maxzoom, "bounds", m->bounds[0], m->bounds[1], m->bounds[2],
        m->bounds[3], "center", (m->bounds[0] + m->bounds[2]) / 2,
        (m->bounds[1] + m->bounds[3]) / 2, cz);
    json_t *legend = m->legend ? json_loads(m->legend, 0, NULL) : NULL;
    if (tj && legend)
        json_object_set_new(tj, "legend", legend);
    else
        json_decref(legend);
    s = write_json(dir, "tilejson.json", tj, err, errlen);
    json_decref(tj);
    return s;
}

static hz_status mbtiles_open(tileexport *e, const char *path, const tileexport_meta *m, char *err,
                              size_t errlen)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return hz_fail(HZ_EIO, err, errlen, "%s: %s", path, strerror(errno));
    if (sqlite3_open_v2(path, &e->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        return hz_fail(HZ_EIO, err, errlen, "%s: %s", path,
                       e->db ? sqlite3_errmsg(e->db) : "cannot open");
    static const char schema[] =
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE UNIQUE INDEX metadata_name ON metadata (name);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
        " tile_data BLOB);"
        "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
        "BEGIN;";
    if (sqlite3_exec(e->db, schema, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(e, path, err, errlen);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(e->db, "INSERT INTO metadata (name, value) VALUES (?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return db_fail(e, path, err, errlen);
    meta_text mt;
    const char *kv[META_KEYS][2];
    meta_pairs(m, &mt, kv);
    hz_status s = HZ_OK;
    for (size_t k = 0; s == HZ_OK && k < META_KEYS; k++)
        s = meta_put(e, st, kv[k][0], kv[k][1], err, errlen);
    sqlite3_finalize(st);
    if (s != HZ_OK) return s;
    if (sqlite3_prepare_v2(e->db,
                           "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row,"
                           " tile_data) VALUES (?, ?, ?, ?)",
                           -1, &e->ins, NULL) != SQLITE_OK)
        return db_fail(e, path, err, errlen);
    return HZ_OK;
}

tileexport *tileexport_open(const char *path, tileexport_format fmt, const tileexport_meta *m,
                            char *err, size_t errlen)
{
    if (!m->name || m->minzoom < 0 || m->maxzoom > TILEMATH_MAXZOOM || m->minzoom > m->maxzoom) {
        hz_fail(HZ_EINVAL, err, errlen, "tile export: bad name or zoom range %d-%d", m->minzoom,
                m->maxzoom);
        return NULL;
    }
    tileexport *e = calloc(1, sizeof *e);
    if (!e) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    e->fmt = fmt;
    if (fmt == TILEEXPORT_DIR) {
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
            n--;
        if (n >= sizeof e->dir - 64) {
            hz_fail(HZ_EINVAL, err, errlen, "%s: path too long", path);
            free(e);
            return NULL;
        }
        memcpy(e->dir, path, n);
        e->dir[n] = '\0';
        if ((mkdir(e->dir, 0755) != 0 && errno != EEXIST &&
             hz_fail(HZ_EIO, err, errlen, "%s: %s", e->dir, strerror(errno))) ||
            dir_describe(e->dir, m, err, errlen) != HZ_OK) {
            free(e);
            return NULL;
        }
        return e;
    }
    if (mbtiles_open(e, path, m, err, errlen) != HZ_OK) {
        sqlite3_finalize(e->ins);
        sqlite3_close(e->db);
        free(e);
        return NULL;
    }
    return e;
}

static hz_status mkdir_one(const char *p, char *err, size_t errlen)
{
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return hz_fail(HZ_EIO, err, errlen, "%s: %s", p, strerror(errno));
    return HZ_OK;
}

hz_status tileexport_put(tileexport *e, int z, int x, int y, const unsigned char *png, size_t len,
                         char *err, size_t errlen)
{
    if (!tilemath_valid(z, x, y))
        return hz_fail(HZ_EINVAL, err, errlen, "tile %d/%d/%d: out of range", z, x, y);
    if (e->fmt == TILEEXPORT_MBTILES) {
        sqlite3_reset(e->ins);
        sqlite3_bind_int(e->ins, 1, z);
        sqlite3_bind_int(e->ins, 2, x);
        sqlite3_bind_int(e->ins, 3, tilemath_tms_y(z, y)); /* MBTiles rows are TMS */
        sqlite3_bind_blob(e->ins, 4, png, (int)len, SQLITE_STATIC);
        int rc = sqlite3_step(e->ins);
        sqlite3_clear_bindings(e->ins);
        if (rc != SQLITE_DONE) return db_fail(e, "mbtiles tiles", err, errlen);
        return HZ_OK;
    }
    char p[1200], tmp[1300];
    snprintf(p, sizeof p, "%s/%d", e->dir, z);
    hz_status st = mkdir_one(p, err, errlen);
    if (st != HZ_OK) return st;
    snprintf(p, sizeof p, "%s/%d/%d", e->dir, z, x);
    if ((st = mkdir_one(p, err, errlen)) != HZ_OK) return st;
    snprintf(p, sizeof p, "%s/%d/%d/%d.png", e->dir, z, x, y);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", p, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return hz_fail(HZ_EIO, err, errlen, "%s: %s", tmp, strerror(errno));
    int ok = fwrite(png, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, p) != 0) {
        int eno = errno;
        unlink(tmp);
        return hz_fail(HZ_EIO, err, errlen, "%s: %s", p, strerror(eno));
    }
    return HZ_OK;
}

hz_status tileexport_close(tileexport *e, char *err, size_t errlen)
{
    if (!e) return HZ_OK;
    hz_status st = HZ_OK;
    if (e->fmt == TILEEXPORT_MBTILES) {
        sqlite3_finalize(e->ins);
        if (sqlite3_exec(e->db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
            st = db_fail(e, "mbtiles commit", err, errlen);
        sqlite3_close(e->db);
    }
    free(e);
    return st;
}

hz_status tileexport_bounds(const incset *s, double b[4])
{
    b[0] = b[1] = INFINITY;
    b[2] = b[3] = -INFINITY;
    const hz_area *a = incset_areas(s);
    for (size_t k = 0; k < incset_area_count(s); k++) {
        b[0] = fmin(b[0], a[k].minlon);
        b[1] = fmin(b[1], a[k].minlat);
        b[2] = fmax(b[2], a[k].maxlon);
        b[3] = fmax(b[3], a[k].maxlat);
    }
    if (b[0] <= b[2]) return HZ_OK;
    const hz_incident *it = incset_items(s);
    incset_note_scan(s);
    for (size_t k = 0; k < incset_count(s); k++) {
        if (!isfinite(it[k].lon) || !isfinite(it[k].lat)) continue;
        b[0] = fmin(b[0], it[k].lon);
        b[1] = fmin(b[1], it[k].lat);
        b[2] = fmax(b[2], it[k].lon);
        b[3] = fmax(b[3], it[k].lat);
    }
    return b[0] <= b[2] ? HZ_OK : HZ_ENOTFOUND;
}

json_t *tileexport_tilejson(const char *base_url, const char *query, int minzoom, int maxzoom,
                            const double bounds[4], const char *attribution)
{
    char url[4096], legend[4096];
    int q = query && query[0];
    snprintf(url, sizeof url, "%s/tiles/density/{z}/{x}/{y}.png%s%s", base_url, q ? "?" : "",
             q ? query : "");
    snprintf(legend, sizeof legend, "%s/tiles/density/legend.json%s%s", base_url, q ? "?" : "",
             q ? query : "");
    int cz = minzoom + 2 <= maxzoom ? minzoom + 2 : maxzoom;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:i, s:i, s:[f,f,f,f], s:[f,f,i], s:s}",
                     "tilejson", "3.0.0", "name", "hazmap injury density", "description",
                     "Kernel density of injury incidents, per km² per year (see legend)",
                     "attribution", attribution ? attribution : "", "scheme", "xyz", "tiles", url,
                     "minzoom", minzoom, "maxzoom", maxzoom, "bounds", bounds[0], bounds[1],
                     bounds[2], bounds[3], "center", (bounds[0] + bounds[2]) / 2,
                     (bounds[1] + bounds[3]) / 2, cz, "legend", legend);
}

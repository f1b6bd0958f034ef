/* cmd_render_tiles.c - `hazmap render-tiles`: pre-render density tiles to MBTiles or z/x/y. */
#include "cli.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/tileexport.h"
#include "hazmap/tilemath.h"
#include "hazmap/tilerender.h"

#define MAX_TILES 4000000L

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hazmap render-tiles --db PATH [filters] [--kernel K] [--bandwidth M]\n"
            "         --zoom Z0-Z1 [--bbox W,S,E,N] [--threads N] [--work-srs SRS]\n"
            "         [--name TEXT] [--attribution TEXT] -o OUT.mbtiles | -o DIR/\n"
            "\n"
            "Renders the density tiles the server's /tiles/density/{z}/{x}/{y}.png would send\n"
            "(same filters, kernel, bandwidth, colour ramp; values per km² per year) for every\n"
            "tile of the zoom range over the bbox (default: the areas' bounds), into an MBTiles\n"
            "1.3 file (rows in TMS order, metadata type=overlay) or, when OUT ends in '/' or is a\n"
            "directory, into DIR/z/x/y.png for a static web host or CDN.\n"
            "Fully transparent tiles (no density above the first colour break) are not written:\n"
            "map clients show nothing for a missing tile, and the file stays small.\n"
            "--kernel quartic (default), epanechnikov, triweight, triangular, uniform, gaussian\n"
            "--bandwidth metres (default 300; the Gaussian's standard deviation)\n"
            "filters: --mechanism --place --intent --severity --sex --from --to --age\n"
            "         --disability --area --weight count|score --weights fatal=12,...\n");
}

typedef struct job {
    tilerender *r;
    const tile_params *p;
    tileexport *out;
    int z0, z1;
    int x0[TILEMATH_MAXZOOM + 1], y0[TILEMATH_MAXZOOM + 1];
    int nx[TILEMATH_MAXZOOM + 1], ny[TILEMATH_MAXZOOM + 1];
    long total;
    atomic_long next;
    atomic_long written, empty;
    atomic_int failed;
    pthread_mutex_t mu; /* the writer */
    char err[600];
} job;

/* Maps a running index to z/x/y, zoom by zoom. */
static void tile_of(const job *j, long k, int *z, int *x, int *y)
{
    for (int zz = j->z0; zz <= j->z1; zz++) {
        long n = (long)j->nx[zz] * j->ny[zz];
        if (k < n) {
            *z = zz;
            *x = j->x0[zz] + (int)(k % j->nx[zz]);
            *y = j->y0[zz] + (int)(k / j->nx[zz]);
            return;
        }
        k -= n;
    }
}

static void *worker(void *arg)
{
    job *j = arg;
    char err[400];
    for (;;) {
        long k = atomic_fetch_add(&j->next, 1);
        if (k >= j->total || atomic_load(&j->failed)) break;
        int z = 0, x = 0, y = 0;
        tile_of(j, k, &z, &x, &y);
        unsigned char *png;
        size_t len;
        tile_info info;
        hz_status st = tilerender_png(j->r, j->p, z, x, y, &png, &len, &info, err, sizeof err);
        if (st == HZ_OK && info.empty) {
            atomic_fetch_add(&j->empty, 1);
            free(png);
            continue;
        }
        if (st == HZ_OK) {
            pthread_mutex_lock(&j->mu);
            st = tileexport_put(j->out, z, x, y, png, len, err, sizeof err);
            pthread_mutex_unlock(&j->mu);
            free(png);
        }
        if (st != HZ_OK) {
            if (atomic_exchange(&j->failed, 1) == 0)
                snprintf(j->err, sizeof j->err, "tile %d/%d/%d: %s", z, x, y, err);
            break;
        }
        atomic_fetch_add(&j->written, 1);
    }
    return NULL;
}

static int parse_bbox(const char *s, double b[4])
{
    char *end;
    for (int k = 0; k < 4; k++) {
        b[k] = strtod(s, &end);
        if (end == s || (k < 3 && *end != ',') || (k == 3 && *end)) return -1;
        s = end + 1;
    }
    if (!(b[0] < b[2] && b[1] < b[3] && b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90))
        return -1;
    return 0;
}

int cmd_render_tiles(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *kernel = NULL, *bw = NULL, *zoom = NULL, *bbox = NULL, *threads = NULL,
               *srs = NULL, *name = NULL, *attribution = NULL, *outp = NULL, *help = NULL;
    const cli_opt opts[] = {
        {"db", 1, &db},        {"kernel", 1, &kernel}, {"bandwidth", 1, &bw},
        {"zoom", 1, &zoom},    {"bbox", 1, &bbox},     {"threads", 1, &threads},
        {"work-srs", 1, &srs}, {"name", 1, &name},     {"attribution", 1, &attribution},
        {"output", 1, &outp},  {"help", 0, &help},     {NULL, 0, NULL}};
    tile_params p;
    tilerender_params_init(&p);
    if (cli_parse(argc, argv, opts, &p.filter, NULL, 0, NULL) != 0) return 2;
    if (help) {
        usage(stdout);
        return 0;
    }
    if (!db || !outp || !zoom) {
        cli_error(cmd, "--db, --zoom and -o are required");
        usage(stderr);
        return 2;
    }
    char err[512];
    if ((kernel && tilerender_params_set(&p, "kernel", kernel, err, sizeof err) != HZ_OK) ||
        (bw && tilerender_params_set(&p, "bandwidth", bw, err, sizeof err) != HZ_OK)) {
        cli_error(cmd, "--%s", err);
        return 2;
    }
    int z0 = -1, z1 = -1;
    {
        char *end;
        long a = strtol(zoom, &end, 10), c = a;
        if (end != zoom && *end == '-') {
            const char *q = end + 1;
            c = strtol(q, &end, 10);
            if (end == q) end = (char *)"x";
        }
        if (end != zoom && *end == '\0' && a >= 0 && c >= a && c <= 22) {
            z0 = (int)a;
            z1 = (int)c;
        }
    }
    if (z0 < 0) {
        cli_error(cmd, "--zoom: '%s' is not Z or Z0-Z1 within 0..22", zoom);
        return 2;
    }
    double b[4];
    if (bbox && parse_bbox(bbox, b) != 0) {
        cli_error(cmd, "--bbox: '%s' is not W,S,E,N in degrees with W < E and S < N", bbox);
        return 2;
    }
    long nthreads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads) {
        char *end;
        nthreads = strtol(threads, &end, 10);
        if (end == threads || *end || nthreads < 1 || nthreads > 64) {
            cli_error(cmd, "--threads: '%s' is not an integer in 1..64", threads);
            return 2;
        }
    }
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 64) nthreads = 64;

    incset *s = cli_load_snapshot(cmd, db, srs);
    if (!s) return 1;
    int rc = 1;
    tilerender *r = NULL;
    tileexport *out = NULL;
    char *legend = NULL;
    job *j = calloc(1, sizeof *j);
    if (!j) goto done;
    if (!bbox && tileexport_bounds(s, b) != HZ_OK) {
        cli_error(cmd, "the database has no areas or incidents: give --bbox");
        goto done;
    }
    j->z0 = z0;
    j->z1 = z1;
    for (int z = z0; z <= z1; z++) {
        int x1, y1;
        tilemath_tile_range(b, z, &j->x0[z], &j->y0[z], &x1, &y1);
        j->nx[z] = x1 - j->x0[z] + 1;
        j->ny[z] = y1 - j->y0[z] + 1;
        j->total += (long)j->nx[z] * j->ny[z];
        if (j->total > MAX_TILES) {
            cli_error(cmd, "more than %ld tiles: narrow --zoom or --bbox", MAX_TILES);
            rc = 2;
            goto done;
        }
    }
    r = tilerender_new(s, 0, err, sizeof err);
    if (!r) {
        cli_error(cmd, "%s", err);
        goto done;
    }
    tile_view view;
    if (tilerender_view(r, &p, &view, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "%s", err);
        goto done;
    }
    char query[1200], desc[1600], breaks[256];
    tilerender_params_canonical(&p, query, sizeof query);
    colorramp_scale_canonical(&view.scale, breaks, sizeof breaks);
    snprintf(desc, sizeof desc,
             "Injury density, per km² per year (ColorBrewer YlOrRd, breaks %s); %s; data version "
             "%lld",
             breaks + 2, query, (long long)incset_data_version(s));
    json_t *lj = colorramp_legend_json(&view.scale, p.filter.weight);
    legend = lj ? json_dumps(lj, JSON_COMPACT) : NULL;
    json_decref(lj);
    tileexport_meta m = {.name = name ? name : "hazmap injury density",
                         .description = desc,
                         .attribution = attribution,
                         .version = "1",
                         .legend = legend,
                         .bounds = {b[0], b[1], b[2], b[3]},
                         .minzoom = z0,
                         .maxzoom = z1};
    out = tileexport_open(outp, tileexport_format_of(outp), &m, err, sizeof err);
    if (!out) {
        cli_error(cmd, "%s", err);
        goto done;
    }
    j->r = r;
    j->p = &p;
    j->out = out;
    pthread_mutex_init(&j->mu, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t tid[64];
    int started = 0;
    for (long t = 1; t < nthreads; t++)
        if (pthread_create(&tid[started], NULL, worker, j) == 0) started++;
    worker(j);
    for (int t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_mutex_destroy(&j->mu);
    hz_status cst = tileexport_close(out, err, sizeof err);
    out = NULL;
    if (atomic_load(&j->failed)) {
        cli_error(cmd, "%s", j->err);
        goto done;
    }
    if (cst != HZ_OK) {
        cli_error(cmd, "%s", err);
        goto done;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    fprintf(stderr,
            "hazmap %s: %ld tiles z%d-%d, %ld written, %ld empty skipped, %.1f s -> %s (%s)\n", cmd,
            j->total, z0, z1, (long)atomic_load(&j->written), (long)atomic_load(&j->empty), secs,
            outp, query);
    rc = 0;
done:
    if (out) tileexport_close(out, err, sizeof err);
    free(legend);
    tilerender_free(r);
    free(j);
    incset_free(s);
    return rc;
}

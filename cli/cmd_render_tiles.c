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
            "         --activity --outcome\n"
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

/* The checked command line. */
typedef struct rt_args {
    const char *db, *kernel, *bw, *zoom, *bbox, *threads, *srs, *name, *attribution, *outp, *help;
    tile_params p;
    int z0, z1;
    double b[4]; /* the bbox: --bbox's, or the snapshot's bounds */
    long nthreads;
} rt_args;

/* Parses "Z" or "Z0-Z1" within 0..22 into *z0, *z1; -1 (and nothing set) when it is neither. */
static int parse_zoom(const char *zoom, int *z0, int *z1)
{
    char *end;
    long a = strtol(zoom, &end, 10), c = a;
    if (end != zoom && *end == '-') {
        const char *q = end + 1;
        c = strtol(q, &end, 10);
        if (end == q) end = (char *)"x";
    }
    if (end != zoom && *end == '\0' && a >= 0 && c >= a && c <= 22) {
        *z0 = (int)a;
        *z1 = (int)c;
        return 0;
    }
    return -1;
}

/* Parses and checks the command line into *a (zeroed). Returns -1 to go on, else the exit
 * status: 0 after --help, 2 after a usage error (reported). */
static int parse_args(int argc, char **argv, rt_args *a)
{
    const char *cmd = argv[0];
    const cli_opt opts[] = {
        {"db", 1, &a->db},        {"kernel", 1, &a->kernel}, {"bandwidth", 1, &a->bw},
        {"zoom", 1, &a->zoom},    {"bbox", 1, &a->bbox},     {"threads", 1, &a->threads},
        {"work-srs", 1, &a->srs}, {"name", 1, &a->name},     {"attribution", 1, &a->attribution},
        {"output", 1, &a->outp},  {"help", 0, &a->help},     {NULL, 0, NULL}};
    tilerender_params_init(&a->p);
    if (cli_parse(argc, argv, opts, &a->p.filter, NULL, 0, NULL) != 0) return 2;
    if (a->help) {
        usage(stdout);
        return 0;
    }
    if (!a->db || !a->outp || !a->zoom) {
        cli_error(cmd, "--db, --zoom and -o are required");
        usage(stderr);
        return 2;
    }
    char err[512];
    if ((a->kernel &&
         tilerender_params_set(&a->p, "kernel", a->kernel, err, sizeof err) != HZ_OK) ||
        (a->bw && tilerender_params_set(&a->p, "bandwidth", a->bw, err, sizeof err) != HZ_OK)) {
        cli_error(cmd, "--%s", err);
        return 2;
    }
    a->z0 = a->z1 = -1;
    if (parse_zoom(a->zoom, &a->z0, &a->z1) != 0) {
        cli_error(cmd, "--zoom: '%s' is not Z or Z0-Z1 within 0..22", a->zoom);
        return 2;
    }
    if (a->bbox && parse_bbox(a->bbox, a->b) != 0) {
        cli_error(cmd, "--bbox: '%s' is not W,S,E,N in degrees with W < E and S < N", a->bbox);
        return 2;
    }
    a->nthreads = sysconf(_SC_NPROCESSORS_ONLN);
    if (a->threads) {
        char *end;
        a->nthreads = strtol(a->threads, &end, 10);
        if (end == a->threads || *end || a->nthreads < 1 || a->nthreads > 64) {
            cli_error(cmd, "--threads: '%s' is not an integer in 1..64", a->threads);
            return 2;
        }
    }
    if (a->nthreads < 1) a->nthreads = 1;
    if (a->nthreads > 64) a->nthreads = 64;
    return -1;
}

/* The tile ranges of every zoom over a->b into j. 2 when they hold more than MAX_TILES tiles
 * (reported), else 0. */
static int plan_tiles(const char *cmd, const rt_args *a, job *j)
{
    j->z0 = a->z0;
    j->z1 = a->z1;
    for (int z = a->z0; z <= a->z1; z++) {
        int x1, y1;
        tilemath_tile_range(a->b, z, &j->x0[z], &j->y0[z], &x1, &y1);
        j->nx[z] = x1 - j->x0[z] + 1;
        j->ny[z] = y1 - j->y0[z] + 1;
        j->total += (long)j->nx[z] * j->ny[z];
        if (j->total > MAX_TILES) {
            cli_error(cmd, "more than %ld tiles: narrow --zoom or --bbox", MAX_TILES);
            return 2;
        }
    }
    return 0;
}

/* Opens the output with its metadata: the name, attribution, bounds and zooms, and the legend
 * and description of the colour scale r chooses for the parameters. query (querylen bytes)
 * receives their canonical form; *legend is the caller's to free. NULL on failure (reported). */
static tileexport *open_output(const char *cmd, const incset *s, tilerender *r, const rt_args *a,
                               char *query, size_t querylen, char **legend)
{
    char err[512], desc[1600], breaks[256];
    tile_view view;
    if (tilerender_view(r, &a->p, &view, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "%s", err);
        return NULL;
    }
    tilerender_params_canonical(&a->p, query, querylen);
    colorramp_scale_canonical(&view.scale, breaks, sizeof breaks);
    snprintf(desc, sizeof desc,
             "Injury density, per km² per year (ColorBrewer YlOrRd, breaks %s); %s; data version "
             "%lld",
             breaks + 2, query, (long long)incset_data_version(s));
    json_t *lj = colorramp_legend_json(&view.scale, a->p.filter.weight);
    *legend = lj ? json_dumps(lj, JSON_COMPACT) : NULL;
    json_decref(lj);
    tileexport_meta m = {.name = a->name ? a->name : "hazmap injury density",
                         .description = desc,
                         .attribution = a->attribution,
                         .version = "1",
                         .legend = *legend,
                         .bounds = {a->b[0], a->b[1], a->b[2], a->b[3]},
                         .minzoom = a->z0,
                         .maxzoom = a->z1};
    tileexport *out = tileexport_open(a->outp, tileexport_format_of(a->outp), &m, err, sizeof err);
    if (!out) cli_error(cmd, "%s", err);
    return out;
}

/* Renders the tiles of j on nthreads threads, the caller's among them; *secs is the wall
 * time taken. */
static void render_all(job *j, long nthreads, double *secs)
{
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
    *secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
}

/* Parses, loads the snapshot, plans, renders and reports; one cleanup path after the load. */
int cmd_render_tiles(int argc, char **argv)
{
    const char *cmd = argv[0];
    rt_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    incset *s = cli_load_snapshot(cmd, a.db, a.srs);
    if (!s) return 1;
    rc = 1;
    char err[512], query[1200];
    tilerender *r = NULL;
    tileexport *out = NULL;
    char *legend = NULL;
    job *j = calloc(1, sizeof *j);
    if (!j) goto done;
    if (!a.bbox && tileexport_bounds(s, a.b) != HZ_OK) {
        cli_error(cmd, "the database has no areas or incidents: give --bbox");
        goto done;
    }
    if (plan_tiles(cmd, &a, j) != 0) {
        rc = 2;
        goto done;
    }
    if (!(r = tilerender_new(s, 0, err, sizeof err))) {
        cli_error(cmd, "%s", err);
        goto done;
    }
    if (!(out = open_output(cmd, s, r, &a, query, sizeof query, &legend))) goto done;
    j->r = r;
    j->p = &a.p;
    j->out = out;
    double secs;
    render_all(j, a.nthreads, &secs);
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
    fprintf(stderr,
            "hazmap %s: %ld tiles z%d-%d, %ld written, %ld empty skipped, %.1f s -> %s (%s)\n", cmd,
            j->total, a.z0, a.z1, (long)atomic_load(&j->written), (long)atomic_load(&j->empty),
            secs, a.outp, query);
    rc = 0;
done:
    if (out) tileexport_close(out, err, sizeof err);
    free(legend);
    tilerender_free(r);
    free(j);
    incset_free(s);
    return rc;
}

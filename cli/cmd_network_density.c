/* cmd_network_density.c - `hazmap network-density`: network kernel density of the filtered
 * incidents along the store's roads, per lixel, to GeoJSON or GeoPackage. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/nkde.h"
#include "hazmap/roadnet.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap network-density --db PATH [filters] [--lixel 20] [--bandwidth 300]\n"
        "                              [--kernel quartic] [--method discontinuous] [--snap 30]\n"
        "                              [--max-depth 10] [--div none] [--raw] [--all]\n"
        "                              [--work-srs SRS] [--threads N] -o OUT.geojson|OUT.gpkg\n"
        "\n"
        "Network kernel density (spNetwork's definitions; Okabe & Sugihara 2012) of the filtered\n"
        "incidents along the store's roads (hazmap import-roads), evaluated at the centre of each\n"
        "lixel, written as WGS84 LineStrings with the properties density, segment_id, lixel, s0, "
        "s1.\n"
        "density is incidents (or severity score with --weight score) per km of road per year:\n"
        "sum of w K(d) over the incidents, per metre, x 1000 / the study period in years (the\n"
        "--from..--to span within the data's dated span).\n"
        "\n"
        "  --lixel      metres (default 20): each road segment is cut into ceil(length / lixel)\n"
        "               equal lixels\n"
        "  --bandwidth  metres along the network (default 300)\n"
        "  --kernel     quartic (default) | triangle | epanechnikov | triweight | tricube |\n"
        "               cosine | uniform   (spNetwork's, 1/h included: quartic 15/16 (1-u^2)^2 / "
        "h)\n"
        "  --method     discontinuous (default: mass split equally at junctions, conserved) |\n"
        "               continuous (Okabe's, with reflections at junctions; the slowest) |\n"
        "               simple (shortest network distance; overcounts near junctions)\n"
        "  --snap       metres (default 30): incidents farther from every road are left out\n"
        "               (counted as unsnapped in the printed provenance)\n"
        "  --max-depth  junctions a path may pass (discontinuous, continuous; default 10)\n"
        "  --div        none (default) | bw (divide by the bandwidth, spNetwork's div=\"bw\") |\n"
        "               n (divide by the total weight)\n"
        "  --raw        no per-km-per-year scaling: incidents per metre (divided as --div says)\n"
        "  --all        write every lixel (default: only those with a non-zero density)\n"
        "\nfilters: --mechanism --place --intent --severity --sex --from --to --age\n"
        "         --disability --area --weight count|score --weights\n");
}

/* Sets o from the option values; 0, or -1 with the message printed. */
static int set_opts(const char *cmd, const char *const v[8], nkde_opts *o)
{
    if (v[0] && cli_double(cmd, "lixel", v[0], 0.01, 1e5, &o->lixel)) return -1;
    if (v[1] && cli_double(cmd, "bandwidth", v[1], 0.01, 1e5, &o->bandwidth)) return -1;
    if (v[2] && nkde_kernel_parse(v[2], &o->kernel)) {
        cli_error(cmd, "--kernel: '%s' is not a kernel (see --help)", v[2]);
        return -1;
    }
    if (v[3] && nkde_method_parse(v[3], &o->method)) {
        cli_error(cmd, "--method: '%s' is not simple, discontinuous or continuous", v[3]);
        return -1;
    }
    if (v[4] && cli_double(cmd, "snap", v[4], 0, 1e4, &o->snap)) return -1;
    long n;
    if (v[5]) {
        if (cli_int(cmd, "max-depth", v[5], 0, 100, &n)) return -1;
        o->max_depth = (int)n;
    }
    if (v[6] && nkde_div_parse(v[6], &o->div)) {
        cli_error(cmd, "--div: '%s' is not none, bw or n", v[6]);
        return -1;
    }
    if (v[7]) {
        if (cli_int(cmd, "threads", v[7], 0, 64, &n)) return -1;
        o->nthreads = (int)n;
    }
    return 0;
}

/* The store's roads in the snapshot's working CRS; NULL with the message printed. */
static roadnet *load_roads(const char *cmd, const char *db, const incset *s)
{
    char err[1024];
    store *st = store_open(db, STORE_READONLY, err, sizeof err);
    workcrs *w = st ? workcrs_new(incset_work_srs(s), 0, 0, err, sizeof err) : NULL;
    roadnet *net = w ? roadnet_load(st, w, err, sizeof err) : NULL;
    workcrs_free(w);
    store_close(st);
    if (!net) {
        cli_error(cmd, "%s", err);
    } else if (roadnet_seg_count(net) == 0) {
        cli_error(cmd, "%s holds no roads: load them with hazmap import-roads", db);
        roadnet_free(net);
        net = NULL;
    }
    return net;
}

static void print_provenance(const hz_filter *f, const nkde_opts *o, const nkde_result *r,
                             const roadnet *net, double years, const char *out, const hz_points *p)
{
    char canon[2048];
    filter_canonical(f, canon, sizeof canon);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:i, s:s, s:I, s:I, s:f, s:I, s:I, s:f, s:s}",
        "analysis", "network kernel density", "method", nkde_method_name(o->method), "kernel",
        nkde_kernel_name(o->kernel), "div", nkde_div_name(o->div), "bandwidth_m", o->bandwidth,
        "lixel_m", o->lixel, "snap_m", o->snap, "max_depth", o->max_depth, "filters", canon,
        "incidents_snapped", (json_int_t)r->snapped, "incidents_unsnapped",
        (json_int_t)r->unsnapped, "weight", r->weight, "segments",
        (json_int_t)roadnet_seg_count(net), "lixels", (json_int_t)r->nlixels, "years", years,
        "units",
        years > 0 ? "incidents (or score) per km of road per year" : "incidents (or score) per m");
    if (j) {
        json_object_set_new(j, "output", json_string(out));
        json_object_set_new(j, "without_point", json_integer((json_int_t)p->without_point));
        json_object_set_new(j, "counted", json_string(p->counted));
        json_object_set_new(j, "linked_duplicates", json_integer((json_int_t)p->linked_duplicates));
        char *txt = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (txt) printf("%s\n", txt);
        free(txt);
        json_decref(j);
    }
}

/* Selects, computes and writes; the exit status. */
static int run(const char *cmd, const incset *s, const roadnet *net, const hz_filter *f,
               nkde_opts *o, int raw, int all, const char *out)
{
    char err[1024];
    int64_t from, to;
    double years = raw ? 0 : incset_study_period(s, f, &from, &to);
    if (!raw && !(years > 0)) {
        cli_error(cmd, "no dated incidents under the filters: no study period for per-year "
                       "values (--raw gives incidents per metre)");
        return 1;
    }
    o->scale = raw ? 1 : nkde_per_km_year(years);
    hz_points p = {0};
    nkde_result *r = NULL;
    hz_status rc = incset_select(s, f, &p, err, sizeof err);
    if (rc == HZ_OK) rc = nkde_compute(net, &p, o, &r, err, sizeof err);
    if (rc == HZ_OK) rc = nkde_write(net, r, out, !all, err, sizeof err);
    if (rc == HZ_OK) {
        print_provenance(f, o, r, net, years, out, &p);
        cli_note_without_point(cmd, p.without_point);
    } else
        cli_error(cmd, "%s", err);
    nkde_result_free(r);
    hz_points_free(&p);
    return rc == HZ_OK ? 0 : 1;
}

int cmd_network_density(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *out = NULL, *srs = NULL, *help = NULL, *raw = NULL, *all = NULL;
    const char *v[8] = {NULL};
    const cli_opt opts[] = {{"db", 1, &db},          {"output", 1, &out},     {"lixel", 1, &v[0]},
                            {"bandwidth", 1, &v[1]}, {"kernel", 1, &v[2]},    {"method", 1, &v[3]},
                            {"snap", 1, &v[4]},      {"max-depth", 1, &v[5]}, {"div", 1, &v[6]},
                            {"threads", 1, &v[7]},   {"work-srs", 1, &srs},   {"raw", 0, &raw},
                            {"all", 0, &all},        {"help", 0, &help},      {NULL, 0, NULL}};
    hz_filter f;
    filter_init(&f);
    if (cli_parse(argc, argv, opts, &f, NULL, 0, NULL) != 0) return 2;
    if (help) {
        usage(stdout);
        return 0;
    }
    if (!db || !out) {
        cli_error(cmd, "--db and -o OUT.geojson|OUT.gpkg are required (see 'hazmap help "
                       "network-density')");
        return 2;
    }
    nkde_opts o;
    nkde_opts_init(&o);
    if (set_opts(cmd, v, &o) != 0) return 2;
    incset *s = cli_load_snapshot(cmd, db, srs);
    if (!s) return 1;
    roadnet *net = load_roads(cmd, db, s);
    int status = net ? run(cmd, s, net, &f, &o, raw != NULL, all != NULL, out) : 1;
    roadnet_free(net);
    incset_free(s);
    return status;
}

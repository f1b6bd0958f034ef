/* cmd_density.c - `hazmap density`: kernel density of the filtered incidents to a GeoTIFF. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/density.h"
#include "hazmap/densitystyle.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap density --db PATH [filters] [--kernel K] [--bandwidth B] [--cell M]\n"
        "                      [--work-srs SRS] [--extent areas|points] [--mask areas|none]\n"
        "                      [--threads N] -o FILE.tif\n"
        "\n"
        "Kernel density of the filtered incidents in incidents (or severity score with\n"
        "--weight score) per km2 per year, written as a Float32 GeoTIFF in the working CRS.\n"
        "The provenance (filters, kernel, bandwidth and how it was chosen, cell, grid,\n"
        "incidents, years, data version) is printed as JSON and stored in the file's metadata.\n"
        "The colour legend (the map's YlOrRd ramp, breaks fitted to the grid's non-zero cells)\n"
        "goes on the band (LEGEND, LEGEND_BREAKS, LEGEND_COLORS) and into a QGIS style beside\n"
        "the file: FILE.qml (QGIS loads it with FILE.tif).\n"
        "\n"
        "  --kernel     quartic (default) | epanechnikov | triweight | triangular | uniform |\n"
        "               gaussian (h is then the standard deviation; truncated at 4h)\n"
        "  --bandwidth  metres, or auto|arcgis (default: ArcGIS Pro's rule\n"
        "               0.9 min(SD, sqrt(1/ln 2) Dm) n^-0.2), silverman, scott (sigma n^-1/6);\n"
        "               a rule's value is converted to the chosen kernel at equal smoothing\n"
        "  --cell       metres (default: bandwidth/10, at least 5 m, coarsened to keep the\n"
        "               grid within 4,000,000 cells)\n"
        "  --work-srs   projected CRS for distances (default: the UTM zone of the areas)\n"
        "  --extent     areas (default: the areas' box, or --area's) | points (the incidents'\n"
        "               box grown by the kernel's reach)\n"
        "  --mask       none (default) | areas: cells whose centre lies outside the areas (or\n"
        "               --area's) are nodata (-9999), since no incidents are recorded there\n"
        "  per year:    the --from..--to span when both are given, else the data's span\n"
        "\nfilters: --mechanism --place --intent --severity --sex --from --to --age\n"
        "         --activity --outcome\n"
        "         --disability --area --weight count|score --weights\n");
}

/* The GeoTIFF at path and its QGIS style beside it (x.tif, x.qml: densitystyle.h), the legend
 * on the band; the QML's path goes into the provenance as "style". */
static hz_status write_styled(density_result *r, const char *path, hz_weight_mode mode, char *err,
                              size_t errlen)
{
    char qml[4096];
    if (densitystyle_qml_path(path, qml, sizeof qml))
        return hz_fail(HZ_EINVAL, err, errlen, "-o: '%.64s...' is too long", path);
    colorramp_scale sc;
    hz_status rc = densitystyle_fit(r, &sc, err, errlen);
    const char *base = strrchr(qml, '/') ? strrchr(qml, '/') + 1 : qml;
    char **meta = rc == HZ_OK ? densitystyle_band_meta(&sc, mode, base) : NULL;
    if (rc == HZ_OK && !meta) rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    if (rc == HZ_OK) rc = density_write_geotiff(r, path, (const char *const *)meta, err, errlen);
    densitystyle_meta_free(meta);
    if (rc == HZ_OK) rc = densitystyle_write_qml(&sc, mode, qml, err, errlen);
    if (rc == HZ_OK) json_object_set_new(r->provenance, "style", json_string(qml));
    return rc;
}

int cmd_density(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *outpath = NULL, *kernel = NULL, *bandwidth = NULL, *cell = NULL;
    const char *work_srs = NULL, *extent = NULL, *threads = NULL, *help = NULL;
    const char *mask = NULL;
    const cli_opt opts[] = {{"db", 1, &db},           {"output", 1, &outpath},
                            {"kernel", 1, &kernel},   {"bandwidth", 1, &bandwidth},
                            {"cell", 1, &cell},       {"work-srs", 1, &work_srs},
                            {"extent", 1, &extent},   {"mask", 1, &mask},
                            {"threads", 1, &threads}, {"help", 0, &help},
                            {NULL, 0, NULL}};
    hz_filter f;
    filter_init(&f);
    int npos = 0;
    if (cli_parse(argc, argv, opts, &f, NULL, 0, &npos) != 0) return 2;
    if (help) {
        usage(stdout);
        return 0;
    }
    if (!db || !outpath) {
        cli_error(cmd, "--db and -o FILE.tif are required (see 'hazmap help density')");
        return 2;
    }
    char err[1024];
    density_opts o;
    density_opts_init(&o);
    const char *keys[] = {"kernel", "bandwidth", "cell", "extent", "mask"};
    const char *vals[] = {kernel, bandwidth, cell, extent, mask};
    for (int k = 0; k < 5; k++) {
        if (vals[k] && density_opts_set(&o, keys[k], vals[k], err, sizeof err) != HZ_OK) {
            cli_error(cmd, "--%s", err);
            return 2;
        }
    }
    if (threads) {
        char *end;
        long t = strtol(threads, &end, 10);
        if (*end || t < 0 || t > 64) {
            cli_error(cmd, "--threads: '%s' is not 0..64", threads);
            return 2;
        }
        o.nthreads = (int)t;
    }
    incset *s = cli_load_snapshot(cmd, db, work_srs);
    if (!s) return 1;
    density_result *r = NULL;
    hz_status rc = density_run(s, &f, &o, &r, err, sizeof err);
    if (rc != HZ_OK) {
        cli_error(cmd, "%s", err);
        incset_free(s);
        return 1;
    }
    rc = write_styled(r, outpath, f.weight, err, sizeof err);
    if (rc != HZ_OK) {
        cli_error(cmd, "%s", err);
    } else {
        json_object_set_new(r->provenance, "output", json_string(outpath));
        char *txt = json_dumps(r->provenance, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (txt) printf("%s\n", txt);
        free(txt);
        cli_note_without_point(cmd, r->without_point);
    }
    density_result_free(r);
    incset_free(s);
    return rc == HZ_OK ? 0 : 1;
}

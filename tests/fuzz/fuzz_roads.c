/* fuzz_roads.c - libFuzzer harness of the road import (import_roads.h) and roadnet_load().
 *
 * The input is a file that GDAL opens by its content: GeoJSON, OSM XML, or anything else (which
 * must fail cleanly). A first byte 'G' is taken off and asks for the given topology (--from-node
 * u --to-node v), 'S' for a 5 m snap distance. Every input is imported as the one source "fuzz"
 * of an in-memory store made once per process (no disk writes between runs). Invariants of an
 * import that succeeds:
 *   - the summary's rejects are the batch's import_rejects rows, each naming its feature;
 *   - the store holds exactly the summary's segments and nodes, node degrees add up to twice the
 *     segments, every segment has >= 2 vertices and a positive length;
 *   - roadnet_load() builds the network (roadnet_build() checks that segment ends sit on their
 *     nodes) with the same counts, when the data span less than 3 degrees of longitude;
 *   - importing the same file again changes nothing: every segment unchanged, the same data
 *     version.
 * A failed import leaves the data version as it was. */
#include "fuzzutil.h"
#include "hazmap/import_roads.h"
#include "hazmap/roadnet.h"
#include "hazmap/store.h"
#include "hazmap/workcrs.h"

#include <math.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wundef"
#include <cpl_error.h>
#pragma GCC diagnostic pop

static store *st;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    CPLSetErrorHandler(CPLQuietErrorHandler);
    char err[512];
    st = store_open(":memory:", STORE_CREATE, err, sizeof err);
    if (!st) fprintf(stderr, "store_open: %s\n", err);
    FUZZ_CHECK(st);
    return 0;
}

typedef struct seg_stats {
    int64_t n;
    double lon0, lon1, lat_max;
} seg_stats;

static int seg_cb(void *ud, const hz_road_seg_rec *r)
{
    seg_stats *s = ud;
    FUZZ_CHECK(r->npts >= 2 && r->length_m > 0 && isfinite(r->length_m));
    FUZZ_CHECK(r->oneway >= -1 && r->oneway <= 1 && r->source_id);
    for (size_t i = 0; i < r->npts; i++) {
        s->lon0 = fmin(s->lon0, r->lon[i]);
        s->lon1 = fmax(s->lon1, r->lon[i]);
        s->lat_max = fmax(s->lat_max, fabs(r->lat[i]));
    }
    s->n++;
    return 0;
}

static int node_cb(void *ud, const hz_road_node_rec *r)
{
    int64_t *deg = ud;
    FUZZ_CHECK(r->degree >= 1);
    deg[0]++;
    deg[1] += r->degree;
    return 0;
}

static void check_network(const import_summary *sum)
{
    char err[512];
    int64_t ns, nn, deg[2] = {0, 0};
    FUZZ_CHECK(store_roads_counts(st, &ns, &nn) == HZ_OK);
    FUZZ_CHECK(ns == sum->segments && nn == sum->nodes);
    seg_stats s = {0, INFINITY, -INFINITY, 0};
    FUZZ_CHECK(store_road_segs_scan(st, seg_cb, &s, err, sizeof err) == HZ_OK);
    FUZZ_CHECK(store_road_nodes_scan(st, node_cb, deg, err, sizeof err) == HZ_OK);
    FUZZ_CHECK(s.n == ns && deg[0] == nn && deg[1] == 2 * ns);
    if (ns == 0 || s.lon1 - s.lon0 > 3 || s.lat_max > 80) return;
    workcrs *w = workcrs_new(NULL, (s.lon0 + s.lon1) / 2, 0, err, sizeof err);
    FUZZ_CHECK(w);
    roadnet *net = roadnet_load(st, w, err, sizeof err);
    if (!net) fprintf(stderr, "roadnet_load: %s\n", err);
    FUZZ_CHECK(net);
    FUZZ_CHECK(roadnet_seg_count(net) == (size_t)ns && roadnet_node_count(net) == (size_t)nn);
    roadnet_free(net);
    workcrs_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    import_roads_opts o = {.source = "fuzz"};
    if (size > 0 && data[0] == 'G') {
        o.from_field = "u", o.to_field = "v";
        data++, size--;
    } else if (size > 0 && data[0] == 'S') {
        o.snap_m = 5;
        data++, size--;
    }
    const char *path = fuzz_file(data, size);
    int64_t v0, v1;
    FUZZ_CHECK(store_data_version(st, &v0) == HZ_OK);
    import_summary sum;
    char err[1024];
    err[0] = 0;
    hz_status s = import_roads(st, path, &o, &sum, err, sizeof err);
    if (s != HZ_OK) {
        FUZZ_CHECK(err[0] != 0);
        FUZZ_CHECK(store_data_version(st, &v0) == HZ_OK); /* still readable */
        return 0;
    }
    FUZZ_CHECK(sum.rejected >= 0 && sum.rejected <= sum.read);
    check_network(&sum);
    FUZZ_CHECK(store_data_version(st, &v0) == HZ_OK);
    s = import_roads(st, path, &o, &sum, err, sizeof err);
    FUZZ_CHECK(s == HZ_OK);
    FUZZ_CHECK(sum.unchanged == sum.segments && sum.loaded == 0 && sum.replaced == 0);
    FUZZ_CHECK(store_data_version(st, &v1) == HZ_OK && v1 == v0);
    return 0;
}

/* check_legend.c - the density colour scale fits the data and means the same everywhere
 * (issue 8): on the sample (55,000 incidents), a filter of about 1,000 of them and a synthetic
 * city of 1,000,000, the tiles of one view
 *   - put at most ~1 % of the non-zero area in the top class,
 *   - are not one flat colour,
 *   - classify one ground point the same at two zooms (two different lattice cells). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hazmap/colorramp.h"
#include "hazmap/hztime.h"
#include "hazmap/import.h"
#include "hazmap/incset.h"
#include "hazmap/store.h"
#include "hazmap/store_bulk.h"
#include "hazmap/tilemath.h"
#include "hazmap/tilerender.h"
#include "hazmap/vocab.h"
#include "testutil.h"

/* What the tiles of a view show over the data's extent at zoom z. */
typedef struct view_stats {
    size_t nonzero;                     /* pixels with a density > 0 */
    size_t by_class[COLORRAMP_CLASSES]; /* of those, per class (below the first: none) */
    int classes;                        /* classes present */
} view_stats;

static void tiles_stats(tilerender *r, const tile_params *p, const tile_view *v, const double b[4],
                        int z, view_stats *out)
{
    memset(out, 0, sizeof *out);
    int x0, y0, x1, y1;
    tilemath_tile_range(b, z, &x0, &y0, &x1, &y1);
    float *px = malloc(TILEMATH_SIZE * TILEMATH_SIZE * sizeof *px);
    char err[512];
    for (int y = y0; y <= y1; y++) {
        for (int x = x0; x <= x1; x++) {
            ck_assert_msg(tilerender_density(r, p, z, x, y, px, NULL, err, sizeof err) == HZ_OK,
                          "%s", err);
            for (int k = 0; k < TILEMATH_SIZE * TILEMATH_SIZE; k++) {
                if (!(px[k] > 0)) continue;
                out->nonzero++;
                int c = colorramp_class(&v->scale, px[k]);
                if (c >= 0) out->by_class[c]++;
            }
        }
    }
    free(px);
    for (int c = 0; c < COLORRAMP_CLASSES; c++)
        out->classes += out->by_class[c] > 0;
}

/* Checks the three properties for the view of p over snapshot s; label names it in messages. */
static void check_view(const incset *s, const tile_params *p, const char *label)
{
    char err[512];
    tilerender *r = tilerender_new(s, 0, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    tile_view v;
    ck_assert_msg(tilerender_view(r, p, &v, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_msg(v.ref_nonzero > 100, "%s: %zu reference cells", label, v.ref_nonzero);
    ck_assert_msg(v.top_share <= COLORRAMP_TOP_SHARE, "%s: reference top share %g", label,
                  v.top_share);
    double b[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    const hz_incident *it = incset_items(s);
    for (size_t k = 0; k < incset_count(s); k++) {
        b[0] = fmin(b[0], it[k].lon);
        b[1] = fmin(b[1], it[k].lat);
        b[2] = fmax(b[2], it[k].lon);
        b[3] = fmax(b[3], it[k].lat);
    }
    /* z13: a pixel is ~17 m, the lattice cell 32 m at h = 300 m (the reference's is 64 m). */
    view_stats st;
    tiles_stats(r, p, &v, b, 13, &st);
    double top = (double)st.by_class[COLORRAMP_CLASSES - 1] / (double)st.nonzero;
    fprintf(
        stderr,
        "legend %s: %zu incidents, breaks %g..%g, top class %.3f %% of %zu pixels, %d classes\n",
        label, v.incidents, v.scale.breaks[0], v.scale.breaks[8], 100 * top, st.nonzero,
        st.classes);
    ck_assert_msg(top <= 0.015, "%s: the top class covers %.2f %% of the non-zero area", label,
                  100 * top);
    ck_assert_msg(top > 0, "%s: the top class is empty: the scale reaches past the data", label);
    ck_assert_msg(st.classes >= 6, "%s: only %d classes drawn", label, st.classes);

    /* One ground point at two zooms with different lattices (z11: 64 m cells, z15: 32 m): the
     * densest point of the sample of incident positions, and the rest of the sample. */
    int agree = 0, total = 0;
    size_t step = v.incidents / 60 + 1, seen = 0;
    for (size_t k = 0; k < incset_count(s); k++) {
        if (!incset_match(s, &p->filter, -1, &it[k]) || seen++ % step) continue;
        double va, vb;
        int ta, tb, ua, ub;
        tilemath_lonlat_to_tile(it[k].lon, it[k].lat, 11, &ta, &tb);
        tilemath_lonlat_to_tile(it[k].lon, it[k].lat, 15, &ua, &ub);
        ck_assert_int_eq(
            tilerender_value_at(r, p, 11, ta, tb, it[k].lon, it[k].lat, &va, err, sizeof err),
            HZ_OK);
        ck_assert_int_eq(
            tilerender_value_at(r, p, 15, ua, ub, it[k].lon, it[k].lat, &vb, err, sizeof err),
            HZ_OK);
        total++;
        agree += colorramp_class(&v.scale, va) == colorramp_class(&v.scale, vb);
    }
    fprintf(stderr, "legend %s: %d of %d points in the same class at z11 and z15\n", label, agree,
            total);
    ck_assert_int_ge(total, 20);
    /* Classes are a factor 2-2.5 wide; the two lattices differ by the bilinear error only, so
     * only points within a few per cent of a break may fall on different sides of it. */
    ck_assert_msg(agree >= total * 9 / 10, "%s: %d of %d points agree", label, agree, total);
    tilerender_free(r);
}

/* ---- the sample ---- */

static char sdb[64];
static store *sst;
static incset *sset;

static void sample_setup(void)
{
    char err[512];
    snprintf(sdb, sizeof sdb, "/tmp/hazmap-legend-%d.sqlite", (int)getpid());
    sst = tu_load_sample(sdb);
    sset = incset_load(sst, NULL, err, sizeof err);
    ck_assert_msg(sset != NULL, "%s", err);
}

static void sample_teardown(void)
{
    incset_free(sset);
    store_close(sst);
    tu_remove_db(sdb);
}

START_TEST(test_legend_sample)
{
    tile_params p;
    tilerender_params_init(&p);
    check_view(sset, &p, "sample");
}
END_TEST

/* The n-th field (0-based) of a CSV line without quoted commas, its length in *len; NULL when the
 * line has fewer fields. */
static const char *csv_field(const char *line, int n, size_t *len)
{
    for (int k = 0; k < n && line; k++)
        line = strchr(line, ',') ? strchr(line, ',') + 1 : NULL;
    if (line) *len = strcspn(line, ",\n");
    return line;
}

static int field_is(const char *f, size_t len, const char *word)
{
    return f && strlen(word) == len && strncmp(f, word, len) == 0;
}

/* Rows of the sample's CSV that the filter mechanism=self_harm,drowning selects under the
 * mechanism x intent model (SURVEILLANCE.md): the old word self_harm, any row whose intent is
 * self_harm (self-poisonings), and drownings. Read from the CSV's mechanism and intent columns
 * (fields 4 and 6), independently of the importer. */
static size_t csv_self_harm_or_drowning_rows(void)
{
    FILE *f = fopen("../data/incidents_2012_2014.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        size_t ml = 0, il = 0;
        const char *m = csv_field(line, 4, &ml), *i = csv_field(line, 6, &il);
        n += field_is(m, ml, "self_harm") || field_is(m, ml, "drowning") ||
             field_is(i, il, "self_harm");
    }
    fclose(f);
    return n;
}

START_TEST(test_legend_1000)
{
    tile_params p;
    tilerender_params_init(&p);
    char err[256];
    /* Self-harm (the old word self_harm and every self-harm intent, self-poisonings included)
     * and drownings: about 1,200 of the sample (2.2 %), over its three years. */
    ck_assert_int_eq(tilerender_params_set(&p, "mechanism", "self_harm,drowning", err, sizeof err),
                     HZ_OK);
    size_t n = 0;
    ck_assert_int_eq(incset_filter_count(sset, &p.filter, &n, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(n, csv_self_harm_or_drowning_rows());
    ck_assert(n >= 900 && n <= 1300);
    check_view(sset, &p, "1,000");
}
END_TEST

/* A filter's scale differs from the whole data's: each view is fitted on its own. */
START_TEST(test_legend_views_differ)
{
    char err[256];
    tilerender *r = tilerender_new(sset, 0, err, sizeof err);
    tile_params all, few;
    tilerender_params_init(&all);
    tilerender_params_init(&few);
    ck_assert_int_eq(
        tilerender_params_set(&few, "mechanism", "self_harm,drowning", err, sizeof err), HZ_OK);
    tile_view va, vf, va2;
    ck_assert_int_eq(tilerender_view(r, &all, &va, err, sizeof err), HZ_OK);
    ck_assert_int_eq(tilerender_view(r, &few, &vf, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(va.incidents, 55000);
    ck_assert_msg(vf.scale.breaks[8] < va.scale.breaks[8] / 5, "top breaks %g and %g",
                  vf.scale.breaks[8], va.scale.breaks[8]);
    /* memoised: the same answer, and no pass over the snapshot */
    uint64_t before = incset_scans(sset);
    ck_assert_int_eq(tilerender_view(r, &all, &va2, err, sizeof err), HZ_OK);
    ck_assert(memcmp(&va, &va2, sizeof va) == 0);
    ck_assert_uint_eq(incset_scans(sset), before);
    tilerender_free(r);
}
END_TEST

/* ---- a city of 1,000,000 ---- */

static char mdb[64];
static incset *mset;

static double lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* 60 % in 40 Gaussian clusters (sigma 80-400 m), 40 % uniform over a 12 x 12 km box around
 * Chengdu's centre, dated over 2012-2014: the density benchmark's shape. */
static void million_setup(void)
{
    enum { N = 1000000, CLUSTERS = 40, BATCH = 2000 };
    char err[512];
    snprintf(mdb, sizeof mdb, "/tmp/hazmap-legend-1m-%d.sqlite", (int)getpid());
    tu_remove_db(mdb);
    store *st = store_open(mdb, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    int sw = store_bulk_journal_begin(st);
    ck_assert_int_eq(store_begin(st, err, sizeof err), HZ_OK);
    store_bulk *b = store_bulk_begin(st, err, sizeof err);
    ck_assert_msg(b != NULL, "%s", err);
    uint64_t seed = 2024;
    double clon[CLUSTERS], clat[CLUSTERS], csig[CLUSTERS];
    const double lon0 = 104.08, lat0 = 30.65, dlon = 0.125, dlat = 0.108; /* ~12 km */
    for (int c = 0; c < CLUSTERS; c++) {
        clon[c] = lon0 + (lcg(&seed) - 0.5) * dlon * 0.8;
        clat[c] = lat0 + (lcg(&seed) - 0.5) * dlat * 0.8;
        csig[c] = 80 + 320 * lcg(&seed);
    }
    static hz_incident_rec recs[BATCH];
    static char ids[BATCH][16];
    const hz_incident_rec *ptr[BATCH];
    store_put_outcome out[BATCH];
    for (int k = 0; k < N; k += BATCH) {
        for (int i = 0; i < BATCH; i++) {
            hz_incident_rec *r = &recs[i];
            memset(r, 0, sizeof *r);
            snprintf(ids[i], sizeof ids[i], "%d", k + i);
            r->source = "synthetic";
            r->source_id = ids[i];
            r->victims = 1;
            r->age = -1;
            r->disability = -1;
            r->mechanism = HZ_MECH_MVT_OTHER;
            r->severity = HZ_SEV_MINOR;
            r->t = 1325347200 + (int64_t)(lcg(&seed) * 3 * 365.25 * 86400); /* 2012-2014 */
            if (lcg(&seed) < 0.6) {
                int c = (int)(lcg(&seed) * CLUSTERS);
                double u1 = fmax(lcg(&seed), 1e-12), u2 = lcg(&seed);
                double rr = csig[c] * sqrt(-2 * log(u1)), th = 2 * M_PI * u2;
                r->lon = clon[c] + rr * cos(th) / (111320 * cos(lat0 * M_PI / 180));
                r->lat = clat[c] + rr * sin(th) / 110540;
            } else {
                r->lon = lon0 + (lcg(&seed) - 0.5) * dlon;
                r->lat = lat0 + (lcg(&seed) - 0.5) * dlat;
            }
            ptr[i] = r;
        }
        ck_assert_msg(store_bulk_put_many(b, ptr, BATCH, 0, out, err, sizeof err) == HZ_OK, "%s",
                      err);
    }
    ck_assert_msg(store_bulk_finish(b, err, sizeof err) == HZ_OK, "%s", err);
    ck_assert_int_eq(store_commit(st, err, sizeof err), HZ_OK);
    store_bulk_journal_end(st, sw);
    mset = incset_load(st, NULL, err, sizeof err);
    ck_assert_msg(mset != NULL, "%s", err);
    ck_assert_uint_eq(incset_count(mset), N);
    store_close(st);
}

static void million_teardown(void)
{
    incset_free(mset);
    tu_remove_db(mdb);
}

START_TEST(test_legend_million)
{
    tile_params p;
    tilerender_params_init(&p);
    check_view(mset, &p, "1M");
}
END_TEST

Suite *legend_suite(void)
{
    Suite *s = suite_create("legend");
    TCase *tc = tcase_create("sample");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, sample_setup, sample_teardown);
    tcase_add_test(tc, test_legend_sample);
    tcase_add_test(tc, test_legend_1000);
    tcase_add_test(tc, test_legend_views_differ);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("million");
    tcase_set_timeout(tm, 900);
    tcase_add_unchecked_fixture(tm, million_setup, million_teardown);
    tcase_add_test(tm, test_legend_million);
    suite_add_tcase(s, tm);
    return s;
}

/* cmd_publish.c - `hazmap publish`: builds and stores a public statistical release (release.h),
 * or lists the releases stored. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "hazmap/dpnoise.h"
#include "hazmap/release.h"
#include "hazmap/store.h"

static void publish_usage(FILE *out)
{
    fprintf(out,
            "usage: hazmap publish --db PATH [--epsilon E] [--delta D] [--min-count N]\n"
            "                      [--period quarter|month|year] [--quarters FIRST-LAST]\n"
            "                      [--seed-file FILE]\n"
            "       hazmap publish --db PATH --list\n"
            "  Builds an immutable public release of noisy aggregate tables (PRIVACY.md) from\n"
            "  the database and stores it; prints its id and privacy budget. The noise is\n"
            "  the discrete Gaussian, drawn once, under zero-concentrated differential privacy\n"
            "  with the budget (epsilon, delta), default (%g, %g), split over the tables.\n"
            "  --min-count N   noisy counts below N are withheld (default 10)\n"
            "  --period        columns of the sub-district tables (default quarter)\n"
            "  --quarters      the study period, e.g. 2012Q1-2014Q4 (default: the data's span\n"
            "                  in whole quarters)\n"
            "  --seed-file F   draw the noise from the AES-256-CTR stream keyed by SHA-256 of\n"
            "                  F, reproducibly: whoever holds F can remove the noise, so keep\n"
            "                  it secret or destroy it (default: OpenSSL's RAND_bytes)\n"
            "  --list          the stored releases: id, time, data version, budget, period\n",
            REL_DEFAULT_EPSILON, REL_DEFAULT_DELTA);
}

/* The noise key: SHA-256 of the seed file's bytes. */
static int seed_key(const char *cmd, const char *path, unsigned char key[DPN_KEY_BYTES])
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        cli_error(cmd, "--seed-file: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    unsigned char buf[4096];
    size_t n, total = 0;
    while (ok && (n = fread(buf, 1, sizeof buf, fp)) > 0) {
        ok = EVP_DigestUpdate(md, buf, n) == 1;
        total += n;
    }
    ok = ok && !ferror(fp);
    unsigned int len = 0;
    ok = ok && EVP_DigestFinal_ex(md, key, &len) == 1 && len == DPN_KEY_BYTES;
    EVP_MD_CTX_free(md);
    fclose(fp);
    if (!ok || total == 0) {
        cli_error(cmd, "--seed-file: %s is empty or unreadable", path);
        return -1;
    }
    return 0;
}

static int list_one(void *ud, const store_release_rec *r)
{
    (void)ud;
    json_t *m = json_loads(r->metadata, 0, NULL);
    const json_t *p = json_object_get(m, "privacy"), *per = json_object_get(m, "period");
    printf("%-4lld %-26s %-8lld %-8.4g %-8.3g %-8.4g %s..%s (%s)\n", (long long)r->id,
           r->created_at, (long long)r->data_version,
           json_number_value(json_object_get(p, "epsilon")),
           json_number_value(json_object_get(p, "delta")),
           json_number_value(json_object_get(p, "rho")),
           json_string_value(json_object_get(per, "first_quarter")),
           json_string_value(json_object_get(per, "last_quarter")),
           json_string_value(json_object_get(
               json_object_get(json_object_get(m, "dimensions"), "period"), "granularity")));
    json_decref(m);
    return 0;
}

static int list_releases(const char *cmd, const char *db)
{
    char err[1024];
    store *st = store_open(db, STORE_READONLY, err, sizeof err);
    if (!st) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    printf("%-4s %-26s %-8s %-8s %-8s %-8s %s\n", "id", "created_at", "data_v", "epsilon", "delta",
           "rho", "period");
    hz_status s = store_release_list(st, list_one, NULL, err, sizeof err);
    store_close(st);
    if (s != HZ_OK) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    return 0;
}

static void print_release(const char *db, const rel_release *r)
{
    const json_t *m = rel_metadata(r), *p = json_object_get(m, "privacy");
    const json_t *per = json_object_get(m, "period");
    printf("release %lld of %s: data version %lld, period %s..%s (%s), min_count %lld\n",
           (long long)rel_id(r), db,
           (long long)json_integer_value(json_object_get(m, "data_version")),
           json_string_value(json_object_get(per, "first_quarter")),
           json_string_value(json_object_get(per, "last_quarter")),
           json_string_value(json_object_get(
               json_object_get(json_object_get(m, "dimensions"), "period"), "granularity")),
           (long long)json_integer_value(
               json_object_get(json_object_get(m, "suppression"), "min_count")));
    printf("budget: epsilon %g, delta %g -> rho %.6f (zCDP); spent: epsilon %.6f\n",
           json_number_value(json_object_get(p, "epsilon_requested")),
           json_number_value(json_object_get(p, "delta")),
           json_number_value(json_object_get(p, "rho")),
           json_number_value(json_object_get(p, "epsilon")));
    printf("  %-26s %9s %6s %7s %8s %9s\n", "table", "cells", "share", "sigma", "95% +/-",
           "withheld");
    for (size_t k = 0; k < rel_table_count(r); k++) {
        const rel_table *t = rel_table_at(r, k);
        size_t withheld = 0;
        rel_value v;
        for (size_t c = 0; c < rel_table_cells(t); c++)
            withheld += !rel_table_cell(t, c, &v);
        const json_t *tm = json_array_get(json_object_get(m, "tables"), k);
        printf("  %-26s %9zu %6.3f %7.3f %8lld %9zu\n", rel_table_name(t), rel_table_cells(t),
               json_number_value(json_object_get(tm, "share")), sqrt(dpn_sigma2(rel_table_s2(t))),
               (long long)rel_table_half95(t), withheld);
    }
}

/* Parses the publish options into o; -1 after printing the error. */
static int parse_options(const char *cmd, const char *eps, const char *delta, const char *minc,
                         const char *period, const char *quarters, rel_options *o)
{
    char err[256];
    long mc = o->disclosure.min_count;
    if (eps && cli_double(cmd, "epsilon", eps, 1e-3, 100, &o->epsilon) != 0) return -1;
    if (delta && cli_double(cmd, "delta", delta, 1e-15, 0.1, &o->delta) != 0) return -1;
    if (minc && cli_int(cmd, "min-count", minc, 0, 1000000, &mc) != 0) return -1;
    o->disclosure = disc_public((int)mc, o->disclosure.min_bandwidth);
    if (period && rel_parse_granularity(period, &o->period, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "--%s", err);
        return -1;
    }
    if (quarters) {
        char first[32];
        const char *dash = strrchr(quarters, '-');
        size_t n = dash ? (size_t)(dash - quarters) : 0;
        if (!dash || n >= sizeof first) {
            cli_error(cmd, "--quarters: '%s' is not FIRST-LAST (e.g. 2012Q1-2014Q4)", quarters);
            return -1;
        }
        memcpy(first, quarters, n);
        first[n] = 0;
        if (rel_parse_quarter(first, &o->first_quarter, err, sizeof err) != HZ_OK ||
            rel_parse_quarter(dash + 1, &o->last_quarter, err, sizeof err) != HZ_OK) {
            cli_error(cmd, "--quarters: %s", err);
            return -1;
        }
    }
    return 0;
}

int cmd_publish(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *eps = NULL, *delta = NULL, *minc = NULL, *period = NULL,
               *quarters = NULL, *seed = NULL, *list = NULL, *help = NULL;
    const cli_opt opts[] = {{"db", 1, &db},          {"epsilon", 1, &eps},
                            {"delta", 1, &delta},    {"min-count", 1, &minc},
                            {"period", 1, &period},  {"quarters", 1, &quarters},
                            {"seed-file", 1, &seed}, {"list", 0, &list},
                            {"help", 0, &help},      {NULL, 0, NULL}};
    int st0 = cli_start(argc, argv, opts, NULL, &help, &db, publish_usage);
    if (st0 >= 0) return st0;
    if (list) return list_releases(cmd, db);
    rel_options o;
    rel_options_init(&o);
    if (parse_options(cmd, eps, delta, minc, period, quarters, &o) != 0) return 2;
    unsigned char key[DPN_KEY_BYTES];
    if (seed && seed_key(cmd, seed, key) != 0) return 2;
    dpn_source *noise = seed ? dpn_source_keyed(key) : dpn_source_system();
    if (!noise) {
        cli_error(cmd, "cannot set up the noise source");
        return 1;
    }
    if (seed) {
        o.noise_source = "AES-256-CTR key stream keyed by the SHA-256 of a seed file";
        fprintf(stderr, "hazmap %s: noise drawn from %s: whoever holds it can remove the noise\n",
                cmd, seed);
    }
    char err[1024];
    int status = 1;
    rel_release *r = NULL;
    store *st = NULL;
    incset *s = cli_load_snapshot(cmd, db, NULL);
    if (!s) goto done;
    hz_status hs = rel_build(s, &o, noise, &r, err, sizeof err);
    if (hs != HZ_OK) {
        cli_error(cmd, "%s", err);
        status = hs == HZ_EINVAL ? 2 : 1;
        goto done;
    }
    int64_t id;
    if (!(st = store_open(db, 0, err, sizeof err)) ||
        rel_publish_projects(st, r, s, &o.disclosure, &id, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "%s", err);
        goto done;
    }
    print_release(db, r);
    status = 0;
done:
    store_close(st);
    rel_free(r);
    incset_free(s);
    dpn_source_free(noise);
    return status;
}

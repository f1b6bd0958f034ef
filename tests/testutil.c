/* testutil.c - fixtures shared by the Check suites. */
#include "testutil.h"

#include <check.h>

#include "hazmap/import.h"
#include "hazmap/store.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

size_t tu_square_wkb(unsigned char *buf, double x0, double y0, double x1, double y1)
{
    double pts[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    size_t o = 0;
    buf[o++] = 1;
    uint32_t head[3] = {3, 1, 5}; /* POLYGON, one ring, five points */
    memcpy(buf + o, head, sizeof head);
    o += sizeof head;
    memcpy(buf + o, pts, sizeof pts);
    return o + sizeof pts;
}

void tu_remove_db(const char *path)
{
    char p[4096];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s.snapshot", path);
    unlink(p);
}

store *tu_load_sample(const char *dbpath)
{
    char err[1024];
    tu_remove_db(dbpath);
    store *st = store_open(dbpath, STORE_CREATE, err, sizeof err);
    ck_assert_msg(st != NULL, "%s", err);
    import_opts o = {.code_field = "code",
                     .name_field = "name",
                     .name_en_field = "name_en",
                     .population_field = "population",
                     .level = "district"};
    import_summary sum;
    ck_assert_msg(
        import_areas(st, "../data/jinjiang_district.geojson", &o, &sum, err, sizeof err) == HZ_OK,
        "%s", err);
    o.level = "subdistrict";
    o.parent = "510104";
    ck_assert_msg(import_areas(st, "../data/jinjiang_subdistricts.geojson", &o, &sum, err,
                               sizeof err) == HZ_OK,
                  "%s", err);
    import_opts io = {.srs = "gcj02", .tz = "+08:00", .source = "sample"};
    ck_assert_msg(import_incidents(st, "../data/incidents_2012_2014.csv", &io, &sum, err,
                                   sizeof err) == HZ_OK,
                  "%s", err);
    ck_assert_int_eq(sum.loaded, 55000);
    return st;
}

void tu_copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

/* check_csv.c - tests of the strict RFC 4180 CSV reader (geo/csv.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hazmap/csv.h"

static char path[256];

/* Writes len bytes of data to a fresh temporary file and opens a reader on it. */
static csv_reader *open_bytes(const char *data, size_t len)
{
    snprintf(path, sizeof path, "/tmp/hazmap_check_csv_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    char err[256];
    csv_reader *r = csv_open(path, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    return r;
}

static csv_reader *open_str(const char *s)
{
    return open_bytes(s, strlen(s));
}

static void done(csv_reader *r)
{
    csv_close(r);
    unlink(path);
}

START_TEST(test_quoted_fields_and_line_numbers)
{
    csv_reader *r = open_str("a,b,c\n"
                             "1,\"x,y\",\"say \"\"hi\"\"\"\n"
                             "2,\"two\nlines\",z\n"
                             "3,,\"\"\n");
    csv_record rec;
    char err[256];
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_uint_eq(rec.nfields, 3);
    ck_assert_str_eq(rec.fields[2], "c");
    ck_assert_int_eq(rec.line, 1);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rec.line, 2);
    ck_assert_str_eq(rec.fields[1], "x,y");
    ck_assert_str_eq(rec.fields[2], "say \"hi\"");
    ck_assert_uint_eq(rec.lens[2], 8);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rec.line, 3);
    ck_assert_str_eq(rec.fields[1], "two\nlines");
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rec.line, 5); /* the quoted newline counted */
    ck_assert_uint_eq(rec.nfields, 3);
    ck_assert_str_eq(rec.fields[1], "");
    ck_assert_str_eq(rec.fields[2], "");
    ck_assert_uint_eq(rec.raw_len, 5);
    ck_assert_int_eq(memcmp(rec.raw, "3,,\"\"", 5), 0);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    done(r);
}
END_TEST

START_TEST(test_crlf_bom_blank_lines_no_final_newline)
{
    csv_reader *r = open_str("\xEF\xBB\xBFid,name\r\n1,\"a\r\nb\"\r\n\r\n\n2,last");
    csv_record rec;
    char err[256];
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_str_eq(rec.fields[0], "id"); /* the BOM is not part of the first name */
    ck_assert_str_eq(rec.fields[1], "name");
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_str_eq(rec.fields[1], "a\r\nb");
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rec.line, 6);
    ck_assert_str_eq(rec.fields[0], "2");
    ck_assert_str_eq(rec.fields[1], "last");
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    done(r);
}
END_TEST

START_TEST(test_nul_byte_rejected_then_reading_goes_on)
{
    static const char data[] = "a,b\n1,x\0y\n2,ok\n";
    csv_reader *r = open_bytes(data, sizeof data - 1);
    csv_record rec;
    char err[256];
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "line 2"));
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    ck_assert_int_eq(rec.line, 2);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rec.line, 3);
    ck_assert_str_eq(rec.fields[1], "ok");
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    done(r);
}
END_TEST

START_TEST(test_overlong_line_rejected)
{
    size_t big = CSV_MAX_RECORD + 100;
    size_t len = 4 + big + 1 + 5;
    char *data = malloc(len);
    memcpy(data, "a,b\n", 4);
    memset(data + 4, 'x', big);
    data[4 + big] = '\n';
    memcpy(data + 5 + big, "1,2\n", 4);
    len--; /* leave the final byte unused: "1,2\n" is 4 */
    csv_reader *r = open_bytes(data, len);
    free(data);
    csv_record rec;
    char err[256];
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "line 2"));
    ck_assert_ptr_nonnull(strstr(err, "1 MiB"));
    ck_assert_uint_le(rec.raw_len, 4096);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rec.line, 3);
    ck_assert_str_eq(rec.fields[0], "1");
    ck_assert_str_eq(rec.fields[1], "2");
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    done(r);
}
END_TEST

START_TEST(test_stray_quotes_rejected)
{
    csv_reader *r = open_str("a,b\n1,ab\"c\n2,\"q\"x\n3,fine\n4,\"open\n");
    csv_record rec;
    char err[256];
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "line 2: quote inside an unquoted field"));
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "line 3: text after the closing quote"));
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_str_eq(rec.fields[1], "fine");
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_EINVAL);
    /* the open quote swallowed the line end: only line 5 is rejected, as an unterminated quote */
    ck_assert_ptr_nonnull(strstr(err, "line 5: unterminated quote"));
    ck_assert_ptr_nonnull(strstr(err, "quoted field never closed"));
    ck_assert_int_eq(rec.line, 5);
    ck_assert_uint_eq(rec.raw_len, 7);
    ck_assert_int_eq(memcmp(rec.raw, "4,\"open", 7), 0);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    done(r);
}
END_TEST

START_TEST(test_unbalanced_quote_costs_one_line)
{
    /* Line 4 opens a quote it never closes. Without recovery the field runs on to the first quote
     * of line 8 and everything in between is lost. Expected by hand: lines 2, 3, 5..9 read as
     * their own 3-field records, line 4 rejected alone; line 9's correct two-line field kept. */
    csv_reader *r = open_str("id,x,desc\n"
                             "1,1,plain\n"
                             "2,2,plain\n"
                             "3,3,\"he said 5\"\" tall\n"
                             "4,4,plain\n"
                             "5,5,plain\n"
                             "6,6,plain\n"
                             "7,7,\"quoted, fine\"\n"
                             "8,8,\"two\nlines\"\n"
                             "9,9,last\n");
    csv_expect_fields(r, 3);
    csv_record rec;
    char err[256];
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    static const int want_line[] = {2, 3, 4, 5, 6, 7, 8, 9, 11};
    static const char *const want_desc[] = {"plain", "plain",        NULL,         "plain", "plain",
                                            "plain", "quoted, fine", "two\nlines", "last"};
    for (int i = 0; i < 9; i++) {
        hz_status s = csv_next(r, &rec, err, sizeof err);
        ck_assert_int_eq(rec.line, want_line[i]);
        if (!want_desc[i]) {
            ck_assert_int_eq(s, HZ_EINVAL);
            ck_assert_msg(strstr(err, "line 4: unterminated quote") != NULL, "%s", err);
            ck_assert_uint_eq(rec.raw_len, strlen("3,3,\"he said 5\"\" tall"));
            continue;
        }
        ck_assert_msg(s == HZ_OK, "line %d: %s", want_line[i], err);
        ck_assert_uint_eq(rec.nfields, 3);
        ck_assert_str_eq(rec.fields[2], want_desc[i]);
    }
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    done(r);
    /* the field count alone gives it away: the stray quote closes at line 3's quote, giving a
     * well-formed record of 4 fields (1 | x\n3 | 4 | y) where 3 are expected */
    r = open_str("a,b,c\n1,\"x\n3\",4,y\n5,6,z\n");
    csv_expect_fields(r, 3);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_EINVAL);
    ck_assert_msg(strstr(err, "line 2: unterminated quote") != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, "4 fields where 3 were expected"));
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_EINVAL); /* 3",4,y on its own */
    ck_assert_int_eq(rec.line, 3);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(rec.line, 4);
    ck_assert_str_eq(rec.fields[2], "z");
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    done(r);
}
END_TEST

START_TEST(test_many_records_across_chunks)
{
    /* ~9 MB: records straddle the reader's 4 MiB refills; every field is checked against the
     * generator's own arithmetic. Every 1000th record has a quoted, embedded-newline field. */
    snprintf(path, sizeof path, "/tmp/hazmap_check_csv_big_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        if (i % 1000 == 7)
            fprintf(f, "%d,\"multi\nline %d\",%d.5,padding-padding-padding\r\n", i, i, i * 3);
        else
            fprintf(f, "%d,name %d,%d.5,padding-padding-padding\n", i, i, i * 3);
    }
    fclose(f);
    char err[256];
    csv_reader *r = csv_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(r);
    csv_record rec;
    int64_t line = 1;
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
        ck_assert_uint_eq(rec.nfields, 4);
        ck_assert_int_eq(rec.line, line);
        ck_assert_int_eq((int)strtol(rec.fields[0], NULL, 10), i);
        char want[64];
        snprintf(want, sizeof want, i % 1000 == 7 ? "multi\nline %d" : "name %d", i);
        ck_assert_str_eq(rec.fields[1], want);
        ck_assert_int_eq((int)strtol(rec.fields[2], NULL, 10), i * 3);
        line += i % 1000 == 7 ? 2 : 1;
    }
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    csv_close(r);
    unlink(path);
}
END_TEST

START_TEST(test_missing_file)
{
    char err[256];
    ck_assert_ptr_null(csv_open("/nonexistent/hazmap.csv", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/hazmap.csv"));
}
END_TEST

Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_quoted_fields_and_line_numbers);
    tcase_add_test(tc, test_crlf_bom_blank_lines_no_final_newline);
    tcase_add_test(tc, test_nul_byte_rejected_then_reading_goes_on);
    tcase_add_test(tc, test_overlong_line_rejected);
    tcase_add_test(tc, test_stray_quotes_rejected);
    tcase_add_test(tc, test_unbalanced_quote_costs_one_line);
    tcase_add_test(tc, test_many_records_across_chunks);
    tcase_add_test(tc, test_missing_file);
    suite_add_tcase(s, tc);
    return s;
}

/* check_csv.c - tests of the strict RFC 4180 CSV reader (geo/csv.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hazmap/csv.h"
#include "hazmap/textdec.h"

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

/* ---- encodings (textdec.h) ---- */

/* "id,描述\n1,被铁钉扎伤\n2,在商场台阶摔倒\n" in GB18030, as Python's gb18030 codec writes it. */
static const char gb_sample[] = "\x69\x64\x2c\xc3\xe8\xca\xf6\x0a\x31\x2c\xb1\xbb\xcc\xfa\xb6\xa4"
                                "\xd4\xfa\xc9\xcb\x0a\x32\x2c\xd4\xda\xc9\xcc\xb3\xa1\xcc\xa8\xbd"
                                "\xd7\xcb\xa4\xb5\xb9\x0a";
static const char *const utf8_fields[] = {"id", "描述", "1", "被铁钉扎伤", "2", "在商场台阶摔倒"};

/* UTF-16LE with a byte order mark of a UTF-8 string of BMP characters, converted here by
 * decoding the UTF-8 by hand (not with iconv). Returns the length. */
static size_t to_utf16le(const char *u8, unsigned char *out)
{
    size_t n = 0;
    out[n++] = 0xFF;
    out[n++] = 0xFE;
    for (const unsigned char *p = (const unsigned char *)u8; *p;) {
        unsigned cp;
        if (*p < 0x80)
            cp = *p++;
        else if ((*p & 0xE0) == 0xC0)
            cp = (unsigned)(*p & 0x1F) << 6 | (p[1] & 0x3F), p += 2;
        else
            cp = (unsigned)(*p & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F), p += 3;
        out[n++] = (unsigned char)(cp & 0xFF);
        out[n++] = (unsigned char)(cp >> 8);
    }
    return n;
}

/* Reads the three records of the sample and compares them with utf8_fields. */
static void expect_sample(csv_reader *r, const char *enc)
{
    char err[256];
    csv_record rec;
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
        ck_assert_uint_eq(rec.nfields, 2);
        ck_assert_int_eq(rec.line, k + 1);
        ck_assert_str_eq(rec.fields[0], utf8_fields[2 * k]);
        ck_assert_str_eq(rec.fields[1], utf8_fields[2 * k + 1]);
    }
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    ck_assert_str_eq(csv_encoding(r), enc);
}

START_TEST(test_encodings_detected)
{
    csv_reader *r = open_bytes(gb_sample, sizeof gb_sample - 1);
    expect_sample(r, "GB18030");
    done(r);
    char u8[128] = "\xEF\xBB\xBF";
    for (int k = 0; k < 3; k++)
        snprintf(u8 + strlen(u8), sizeof u8 - strlen(u8), "%s,%s\n", utf8_fields[2 * k],
                 utf8_fields[2 * k + 1]);
    r = open_str(u8);
    expect_sample(r, "UTF-8");
    done(r);
    r = open_str(u8 + 3);
    expect_sample(r, "UTF-8");
    done(r);
    unsigned char u16[256];
    size_t n = to_utf16le(u8 + 3, u16);
    r = open_bytes((const char *)u16, n);
    expect_sample(r, "UTF-16LE");
    done(r);
}
END_TEST

START_TEST(test_encoding_given)
{
    char err[256];
    csv_reader *r = open_bytes(gb_sample, sizeof gb_sample - 1);
    csv_close(r);
    r = csv_open_enc(path, "gbk", err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_str_eq(csv_encoding(r), "GB18030");
    expect_sample(r, "GB18030");
    csv_close(r);
    ck_assert_ptr_null(csv_open_enc(path, "latin-9", err, sizeof err));
    ck_assert_msg(strstr(err, "latin-9") && strstr(err, "gb18030"), "%s", err);
    unlink(path);
}
END_TEST

/* textdec_detect(): BOMs, valid UTF-8 (a sequence cut off at the end of a partial buffer
 * included), anything else GB18030. */
START_TEST(test_detect)
{
    ck_assert_str_eq(textdec_detect((const unsigned char *)"a,b\n", 4, 1), "UTF-8");
    ck_assert_str_eq(textdec_detect((const unsigned char *)"\xEF\xBB\xBF", 3, 1), "UTF-8");
    ck_assert_str_eq(textdec_detect((const unsigned char *)"\xFF\xFE", 2, 1), "UTF-16LE");
    ck_assert_str_eq(textdec_detect((const unsigned char *)"\xFE\xFF", 2, 1), "UTF-16BE");
    ck_assert_str_eq(textdec_detect((const unsigned char *)"\xe4\xbc", 2, 0), "UTF-8");
    ck_assert_str_eq(textdec_detect((const unsigned char *)"\xe4\xbc", 2, 1), "GB18030");
    ck_assert_str_eq(textdec_detect((const unsigned char *)gb_sample, sizeof gb_sample - 1, 1),
                     "GB18030");
    ck_assert_str_eq(textdec_detect((const unsigned char *)"\xc0\x80", 2, 1), "GB18030");
    /* UTF-8 Chinese with one stray Latin-1 byte stays UTF-8 */
    ck_assert_str_eq(
        textdec_detect((const unsigned char *)"\xe5\x8d\x96\xe5\x92\x96,caf\xe9\n", 12, 1),
        "UTF-8");
}
END_TEST

/* ~7.6 MB of GB18030 whose first 4 MiB chunk ends inside a two-byte character: every field
 * decodes, across the chunk, to the UTF-8 it was made from. */
START_TEST(test_gb18030_across_chunks)
{
    snprintf(path, sizeof path, "/tmp/hazmap_check_csv_gb_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    const int n = 400000;
    fputs("id,d\n", f); /* 5 bytes: then byte 4194303 is the first of a character (19-byte rows) */
    for (int i = 0; i < n; i++)
        fprintf(f, "%07d,\xb1\xbb\xcc\xfa\xb6\xa4\xd4\xfa\xc9\xcb\n", i);
    fclose(f);
    char err[256];
    csv_reader *r = csv_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(r);
    csv_record rec;
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
        ck_assert_int_eq(rec.line, i + 2);
        ck_assert_int_eq((int)strtol(rec.fields[0], NULL, 10), i);
        ck_assert_str_eq(rec.fields[1], "被铁钉扎伤");
    }
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_ENOTFOUND);
    ck_assert_str_eq(csv_encoding(r), "GB18030");
    csv_close(r);
    unlink(path);
}
END_TEST

/* A byte GB18030 cannot decode becomes 0xFF (never valid UTF-8, so the importer rejects that
 * row naming the encoding); the rows around it are intact. */
START_TEST(test_undecodable_bytes)
{
    char data[128];
    int len = snprintf(data, sizeof data, "%s3,\x81\x20x\n4,\xb1\xbb\n", gb_sample);
    csv_reader *r = open_bytes(data, (size_t)len);
    char err[256];
    csv_record rec;
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_str_eq(rec.fields[0], "3");
    ck_assert_ptr_nonnull(strchr(rec.fields[1], 0xFF));
    ck_assert_ptr_nonnull(strchr(rec.fields[1], 'x'));
    ck_assert_int_eq(csv_next(r, &rec, err, sizeof err), HZ_OK);
    ck_assert_str_eq(rec.fields[1], "被");
    done(r);
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
    TCase *enc = tcase_create("encodings");
    tcase_set_timeout(enc, 60);
    tcase_add_test(enc, test_encodings_detected);
    tcase_add_test(enc, test_encoding_given);
    tcase_add_test(enc, test_detect);
    tcase_add_test(enc, test_gb18030_across_chunks);
    tcase_add_test(enc, test_undecodable_bytes);
    suite_add_tcase(s, enc);
    return s;
}

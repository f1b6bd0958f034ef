/* fuzz_csv.c - libFuzzer harness of the CSV reader (csv.h).
 *
 * The input is a file; its first byte, when a digit, sets csv_expect_fields() (0: any). Every
 * record is read to the end of the file. Invariants:
 *   - every accepted record's fields are what an independent RFC 4180 reading of its raw text
 *     gives (unquoted as written, quoted with "" as one quote), each NUL-terminated at lens[i];
 *   - its raw text occurs in the file, in file order, and line numbers only grow;
 *   - a record of another width than the expected one spans no quoted line end;
 *   - each csv_next() call makes progress (at most one call more than the file has bytes).
 * Read again with the encoding detected (csv_open(): GB18030 or UTF-16 for most fuzzed input),
 * the same invariants hold of the decoded text, and every record's raw text is valid UTF-8
 * apart from 0xFF bytes, the decoder's mark for an undecodable byte (textdec.h). */
#include "fuzzutil.h"
#include "hazmap/csv.h"

#include <string.h>

/* Field i of raw (RFC 4180), unescaped into buf; returns its length or -1 if raw has fewer
 * fields. *pos is where the field starts and is moved past it and its comma. */
static long ref_field(const char *raw, size_t n, size_t *pos, char *buf)
{
    size_t p = *pos, o = 0;
    if (p > n) return -1;
    if (p < n && raw[p] == '"') {
        for (p++; p < n; p++) {
            if (raw[p] == '"') {
                if (p + 1 < n && raw[p + 1] == '"') {
                    buf[o++] = '"';
                    p++;
                    continue;
                }
                break;
            }
            buf[o++] = raw[p];
        }
        FUZZ_CHECK(p < n && raw[p] == '"'); /* an accepted quoted field is closed */
        p++;
        FUZZ_CHECK(p == n || raw[p] == ',');
    } else {
        while (p < n && raw[p] != ',')
            buf[o++] = raw[p++];
    }
    *pos = p + 1; /* past the comma, or past n at the end */
    return (long)o;
}

static void check_record(const csv_record *rec, size_t expect)
{
    static char buf[64 * 1024];
    FUZZ_CHECK(rec->nfields >= 1 && rec->raw_len < sizeof buf);
    size_t pos = 0;
    for (size_t i = 0; i < rec->nfields; i++) {
        long len = ref_field(rec->raw, rec->raw_len, &pos, buf);
        FUZZ_CHECK(len >= 0 && (size_t)len == rec->lens[i]);
        FUZZ_CHECK(memcmp(buf, rec->fields[i], rec->lens[i]) == 0);
        FUZZ_CHECK(rec->fields[i][rec->lens[i]] == 0);
    }
    FUZZ_CHECK(pos == rec->raw_len + 1); /* no text left over */
    if (expect && rec->nfields != expect) FUZZ_CHECK(!memchr(rec->raw, '\n', rec->raw_len));
}

/* 1 when s[0..n) is valid UTF-8 once each 0xFF byte is left out. */
static int utf8_or_marks(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80 || s[i] == 0xFF) {
            i++;
            continue;
        }
        int len = (s[i] & 0xE0) == 0xC0   ? 2
                  : (s[i] & 0xF0) == 0xE0 ? 3
                  : (s[i] & 0xF8) == 0xF0 ? 4
                                          : 0;
        if (!len || i + (size_t)len > n) return 0;
        for (int k = 1; k < len; k++)
            if ((s[i + (size_t)k] & 0xC0) != 0x80) return 0;
        i += (size_t)len;
    }
    return 1;
}

/* Reads the whole file with encoding enc; with raw_in_file, each record's raw text must occur in
 * the file in order (only true when nothing is decoded). */
static void read_all(const char *path, const char *enc, const uint8_t *data, size_t size,
                     size_t expect)
{
    char err[256];
    csv_reader *r = csv_open_enc(path, enc, err, sizeof err);
    FUZZ_CHECK(r);
    csv_expect_fields(r, expect);
    const char *text = (const char *)data;
    size_t from = 0;
    int64_t line = 0;
    csv_record rec;
    hz_status s;
    size_t calls = 0;
    int decoded = -1;
    while ((s = csv_next(r, &rec, err, sizeof err)) != HZ_ENOTFOUND) {
        FUZZ_CHECK(++calls <= 2 * size + 2); /* a decoded text is at most 1.5 times longer */
        FUZZ_CHECK(s == HZ_OK || s == HZ_EINVAL);
        FUZZ_CHECK(rec.line > line);
        line = rec.line;
        if (decoded < 0) decoded = strcmp(csv_encoding(r), "UTF-8") != 0;
        if (s != HZ_OK) continue;
        check_record(&rec, expect);
        if (decoded) {
            FUZZ_CHECK(utf8_or_marks((const unsigned char *)rec.raw, rec.raw_len));
            continue;
        }
        const char *at =
            rec.raw_len ? memmem(text + from, size - from, rec.raw, rec.raw_len) : text + from;
        FUZZ_CHECK(at);
        from = (size_t)(at - text) + rec.raw_len;
    }
    csv_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 60000) return 0;
    size_t expect = size && data[0] >= '0' && data[0] <= '9' ? (size_t)(data[0] - '0') : 0;
    const char *path = fuzz_file(data, size);
    read_all(path, "utf-8", data, size, expect);
    read_all(path, "auto", data, size, expect);
    return 0;
}

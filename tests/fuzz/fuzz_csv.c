/* fuzz_csv.c - libFuzzer harness of the CSV reader (csv.h).
 *
 * The input is a file; its first byte, when a digit, sets csv_expect_fields() (0: any). Every
 * record is read to the end of the file. Invariants:
 *   - every accepted record's fields are what an independent RFC 4180 reading of its raw text
 *     gives (unquoted as written, quoted with "" as one quote), each NUL-terminated at lens[i];
 *   - its raw text occurs in the file, in file order, and line numbers only grow;
 *   - a record of another width than the expected one spans no quoted line end;
 *   - each csv_next() call makes progress (at most one call more than the file has bytes). */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 60000) return 0;
    size_t expect = size && data[0] >= '0' && data[0] <= '9' ? (size_t)(data[0] - '0') : 0;
    char err[256];
    csv_reader *r = csv_open(fuzz_file(data, size), err, sizeof err);
    FUZZ_CHECK(r);
    csv_expect_fields(r, expect);
    const char *text = (const char *)data;
    size_t from = 0;
    int64_t line = 0;
    csv_record rec;
    hz_status s;
    size_t calls = 0;
    while ((s = csv_next(r, &rec, err, sizeof err)) != HZ_ENOTFOUND) {
        FUZZ_CHECK(++calls <= size + 1);
        FUZZ_CHECK(s == HZ_OK || s == HZ_EINVAL);
        FUZZ_CHECK(rec.line > line);
        line = rec.line;
        if (s != HZ_OK) continue;
        check_record(&rec, expect);
        const char *at =
            rec.raw_len ? memmem(text + from, size - from, rec.raw, rec.raw_len) : text + from;
        FUZZ_CHECK(at);
        from = (size_t)(at - text) + rec.raw_len;
    }
    csv_close(r);
    return 0;
}

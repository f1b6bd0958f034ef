/* csv.c - the strict streaming RFC 4180 CSV reader (see csv.h).
 *
 * The file is read in large chunks into buf; a record is parsed from buf[start..end) into the
 * field buffer out. When a record runs past the data read so far the parse restarts after a
 * refill (records are at most CSV_MAX_RECORD bytes, the window is larger, so this happens at most
 * once per chunk). Invariants: start <= end <= cap; line is the line number of buf[start]. */
#include "hazmap/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_CHUNK (4u * 1024 * 1024)
#define CSV_RAW_MAX 4096

struct csv_reader {
    FILE *f;
    int own; /* 1: fclose f */
    char *path;
    char *buf;
    size_t cap, start, end;
    int eof;
    int bom_checked;
    int skipping;  /* 1: discarding the rest of a bad record up to the next line end */
    size_t expect; /* the field count a record must have, 0: any (see csv_expect_fields) */
    int64_t line;
    char *out; /* unescaped field bytes, each NUL-terminated */
    size_t outcap;
    size_t *offs, *lens;
    char **fields;
    size_t fcap;
};

enum parse_result { P_OK, P_MORE, P_BAD };

csv_reader *csv_open(const char *path, char *err, size_t errlen)
{
    csv_reader *r = calloc(1, sizeof *r);
    if (!r) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    r->cap = CSV_CHUNK + CSV_MAX_RECORD + 16;
    r->outcap = 2 * (size_t)CSV_MAX_RECORD + 64; /* bytes plus one NUL per field */
    r->fcap = 64;
    r->buf = malloc(r->cap);
    r->out = malloc(r->outcap);
    r->offs = malloc(r->fcap * sizeof *r->offs);
    r->lens = malloc(r->fcap * sizeof *r->lens);
    r->fields = malloc(r->fcap * sizeof *r->fields);
    r->path = strdup(path);
    if (!r->buf || !r->out || !r->offs || !r->lens || !r->fields || !r->path) {
        csv_close(r);
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "rb");
        r->own = 1;
        if (!r->f) {
            hz_fail(HZ_EIO, err, errlen, "%s: cannot open: %s", path, strerror(errno));
            csv_close(r);
            return NULL;
        }
    }
    r->line = 1;
    return r;
}

void csv_close(csv_reader *r)
{
    if (!r) return;
    if (r->f && r->own) fclose(r->f);
    free(r->buf);
    free(r->out);
    free(r->offs);
    free(r->lens);
    free(r->fields);
    free(r->path);
    free(r);
}

/* Moves the unread bytes to the front and reads more. Returns -1 on a read error. */
static int refill(csv_reader *r)
{
    if (r->eof) return 0;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    size_t room = r->cap - r->end;
    if (room == 0) return 0;
    size_t want = room < CSV_CHUNK ? room : CSV_CHUNK;
    size_t n = fread(r->buf + r->end, 1, want, r->f);
    if (n < want) {
        if (ferror(r->f)) return -1;
        r->eof = 1;
    }
    r->end += n;
    if (!r->bom_checked && (r->end >= 3 || r->eof)) {
        r->bom_checked = 1;
        if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) r->start = 3;
    }
    return 0;
}

static int add_field(csv_reader *r, size_t nf, size_t off, size_t len)
{
    if (nf >= r->fcap) {
        size_t ncap = r->fcap * 2;
        size_t *no = realloc(r->offs, ncap * sizeof *no);
        if (!no) return -1;
        r->offs = no;
        size_t *nl = realloc(r->lens, ncap * sizeof *nl);
        if (!nl) return -1;
        r->lens = nl;
        char **nfp = realloc(r->fields, ncap * sizeof *nfp);
        if (!nfp) return -1;
        r->fields = nfp;
        r->fcap = ncap;
    }
    r->offs[nf] = off;
    r->lens[nf] = len;
    return 0;
}

/* Parses one record at buf[start]. On P_OK *next is the offset after the record's line end,
 * *raw_end the end of its text and *nfields the field count; on P_BAD *next is where the error
 * was found and why says what it was. */
static enum parse_result parse(csv_reader *r, size_t *next, size_t *raw_end, size_t *nfields,
                               int *nlines, int *qlines, const char **why)
{
    const char *b = r->buf;
    size_t p = r->start, end = r->end, limit = r->start + CSV_MAX_RECORD;
    int at_eof = r->eof;
    size_t o = 0, nf = 0, fstart;
    int lines = 0;
    *qlines = 0;
    for (;;) {
        fstart = o;
        if (p >= end) {
            if (!at_eof) return P_MORE;
            /* last field of the last record, no line end */
            if (add_field(r, nf++, fstart, 0) < 0) goto oom;
            r->out[o++] = 0;
            *raw_end = *next = p;
            break;
        }
        if (b[p] == '"') {
            p++;
            for (;;) {
                if (p >= end) {
                    if (!at_eof) return P_MORE;
                    *next = p;
                    *why = "quoted field never closed before the end of the file";
                    *nlines = lines;
                    return P_BAD;
                }
                if (p >= limit) goto toolong;
                char c = b[p];
                if (c == '"') {
                    if (p + 1 >= end && !at_eof) return P_MORE;
                    if (p + 1 < end && b[p + 1] == '"') {
                        r->out[o++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (c == 0) goto nul;
                if (c == '\n') {
                    lines++;
                    (*qlines)++;
                }
                r->out[o++] = c;
                p++;
            }
            if (add_field(r, nf++, fstart, o - fstart) < 0) goto oom;
            r->out[o++] = 0;
            if (p >= end) {
                if (!at_eof) return P_MORE;
                *raw_end = *next = p;
                break;
            }
            if (b[p] == ',') {
                p++;
                continue;
            }
            if (b[p] == '\n') {
                *raw_end = p;
                *next = p + 1;
                lines++;
                break;
            }
            if (b[p] == '\r') {
                if (p + 1 >= end && !at_eof) return P_MORE;
                if (p + 1 < end && b[p + 1] == '\n') {
                    *raw_end = p;
                    *next = p + 2;
                    lines++;
                    break;
                }
            }
            *next = p;
            *why = "text after the closing quote of a field";
            *nlines = lines;
            return P_BAD;
        }
        /* unquoted field: scan to the next delimiter */
        for (;;) {
            if (p >= end) {
                if (!at_eof) return P_MORE;
                if (add_field(r, nf++, fstart, o - fstart) < 0) goto oom;
                r->out[o++] = 0;
                *raw_end = *next = p;
                goto done;
            }
            if (p >= limit) goto toolong;
            char c = b[p];
            if (c == ',' || c == '\n') break;
            if (c == '\r') {
                if (p + 1 >= end && !at_eof) return P_MORE;
                if (p + 1 < end && b[p + 1] == '\n') break;
            } else if (c == '"') {
                *next = p;
                *why = "quote inside an unquoted field";
                *nlines = lines;
                return P_BAD;
            } else if (c == 0) {
                goto nul;
            }
            r->out[o++] = c;
            p++;
        }
        if (add_field(r, nf++, fstart, o - fstart) < 0) goto oom;
        r->out[o++] = 0;
        if (b[p] == ',') {
            p++;
            continue;
        }
        *raw_end = p;
        *next = p + (b[p] == '\r' ? 2 : 1);
        lines++;
        break;
    }
done:
    *nfields = nf;
    *nlines = lines;
    return P_OK;
toolong:
    *next = p;
    *why = "record longer than 1 MiB";
    *nlines = lines;
    return P_BAD;
nul:
    *next = p;
    *why = "NUL byte in the data";
    *nlines = lines;
    return P_BAD;
oom:
    *next = p;
    *why = "out of memory";
    *nlines = lines;
    return P_BAD;
}

/* Discards bytes up to and including the next line end; returns 1 when found, 0 at EOF. */
static int skip_line(csv_reader *r)
{
    for (;;) {
        const char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            r->start = (size_t)(nl - r->buf) + 1;
            r->line++;
            return 1;
        }
        r->start = r->end;
        if (r->eof) return 0;
        if (refill(r) < 0) return -1;
    }
}

void csv_expect_fields(csv_reader *r, size_t n)
{
    r->expect = n;
}

/* A quoted field ran past a physical line end and the record then failed (a parse error, or the
 * wrong field count): most likely a stray, unbalanced quote, which would otherwise swallow every
 * later line up to the next quote or the 1 MiB limit. Rejects only the record's first physical
 * line and resumes at the next one, as PostgreSQL's COPY effectively does for a line-oriented
 * file and unlike Python's csv (which keeps the whole run as one field). Records with correctly
 * closed multi-line quoted fields and the right field count are unaffected. */
static hz_status unterminated(csv_reader *r, csv_record *rec, const char *why, size_t nf, char *err,
                              size_t errlen)
{
    /* the record contains a quoted newline, so its first line end is in the buffer */
    const char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
    size_t lend = nl ? (size_t)(nl - r->buf) : r->end;
    size_t rend = lend;
    if (rend > r->start && r->buf[rend - 1] == '\r') rend--;
    rec->raw_len = rend - r->start > CSV_RAW_MAX ? CSV_RAW_MAX : rend - r->start;
    char detail[128];
    if (why)
        snprintf(detail, sizeof detail, "%s", why);
    else
        snprintf(detail, sizeof detail, "%zu fields where %zu were expected", nf, r->expect);
    hz_fail(HZ_EINVAL, err, errlen,
            "line %lld: unterminated quote: a quoted field opened on this line runs past its "
            "end and the record does not parse (%s); only this line is rejected",
            (long long)r->line, detail);
    r->line++;
    r->start = nl ? lend + 1 : r->end;
    return HZ_EINVAL;
}

hz_status csv_next(csv_reader *r, csv_record *rec, char *err, size_t errlen)
{
    memset(rec, 0, sizeof *rec);
    if (r->skipping) {
        int s = skip_line(r);
        if (s < 0) return hz_fail(HZ_EIO, err, errlen, "%s: read error", r->path);
        r->skipping = 0;
    }
    for (;;) {
        if (r->end - r->start < 2 && !r->eof && refill(r) < 0)
            return hz_fail(HZ_EIO, err, errlen, "%s: read error: %s", r->path, strerror(errno));
        if (r->start >= r->end) return HZ_ENOTFOUND;
        /* blank lines are not records */
        char c = r->buf[r->start];
        if (c == '\n') {
            r->start++;
            r->line++;
            continue;
        }
        if (c == '\r' && r->start + 1 < r->end && r->buf[r->start + 1] == '\n') {
            r->start += 2;
            r->line++;
            continue;
        }
        size_t next = 0, raw_end = 0, nf = 0;
        int nlines = 0, qlines = 0;
        const char *why = NULL;
        enum parse_result pr = parse(r, &next, &raw_end, &nf, &nlines, &qlines, &why);
        if (pr == P_MORE) {
            if (refill(r) < 0)
                return hz_fail(HZ_EIO, err, errlen, "%s: read error: %s", r->path, strerror(errno));
            continue;
        }
        rec->line = r->line;
        rec->raw = r->buf + r->start;
        if (qlines > 0 && (pr == P_BAD || (r->expect > 0 && nf != r->expect)))
            return unterminated(r, rec, pr == P_BAD ? why : NULL, nf, err, errlen);
        if (pr == P_BAD) {
            /* the raw text up to the line end where the error was found (or a prefix of it) */
            const char *nl = memchr(r->buf + next, '\n', r->end - next);
            size_t rend = nl ? (size_t)(nl - r->buf) : r->end;
            if (rend > r->start && r->buf[rend - 1] == '\r') rend--;
            rec->raw_len = rend - r->start > CSV_RAW_MAX ? CSV_RAW_MAX : rend - r->start;
            hz_fail(HZ_EINVAL, err, errlen, "line %lld: %s", (long long)r->line, why);
            r->line += nlines;
            r->start = next;
            r->skipping = 1;
            return HZ_EINVAL;
        }
        rec->raw_len = raw_end - r->start;
        for (size_t i = 0; i < nf; i++)
            r->fields[i] = r->out + r->offs[i];
        rec->nfields = nf;
        rec->fields = r->fields;
        rec->lens = r->lens;
        r->line += nlines;
        r->start = next;
        return HZ_OK;
    }
}

/* csv.c - the strict streaming RFC 4180 CSV reader (see csv.h).
 *
 * The file is read in large chunks into buf; a record is parsed from buf[start..end) into the
 * field buffer out. When a record runs past the data read so far the parse restarts after a
 * refill (records are at most CSV_MAX_RECORD bytes, the window is larger, so this happens at most
 * once per chunk). Invariants: start <= end <= cap; line is the line number of buf[start].
 *
 * Encodings: the first chunk is read raw and its encoding detected (or given); UTF-8 is read as
 * it is, anything else is read into raw[rstart..rend) and decoded into buf by a textdec, so the
 * parser only ever sees UTF-8 (and 0xFF where a byte could not be decoded). */
#include "hazmap/csv.h"
#include "hazmap/textdec.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CSV_CHUNK /* the fuzz build reads in tiny chunks (see CSV_MAX_RECORD in csv.h) */
#define CSV_CHUNK (4u * 1024 * 1024)
#endif
#define CSV_RAW_MAX 4096

struct csv_reader {
    FILE *f;
    int own; /* 1: fclose f */
    char *path;
    char *buf;
    size_t cap, start, end;
    int eof;
    int bom_checked;
    const char *want;   /* the encoding asked for (canonical; "auto": detect) */
    const char *enc;    /* the encoding used; NULL until the first refill */
    textdec *dec;       /* NULL for UTF-8 */
    unsigned char *raw; /* undecoded bytes when dec is set */
    size_t rstart, rend;
    int raw_eof;
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
    return csv_open_enc(path, "auto", err, errlen);
}

csv_reader *csv_open_enc(const char *path, const char *encoding, char *err, size_t errlen)
{
    const char *want;
    if (textdec_canonical(encoding ? encoding : "auto", &want, err, errlen) != HZ_OK) return NULL;
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
    r->want = want;
    return r;
}

const char *csv_encoding(const csv_reader *r)
{
    return r->enc ? r->enc : r->want;
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
    free(r->raw);
    textdec_free(r->dec);
    free(r);
}

/* Reads up to want bytes into dst; sets *eof at the end of the file. -1 on a read error. */
static long read_some(FILE *f, unsigned char *dst, size_t want, int *eof)
{
    size_t n = fread(dst, 1, want, f);
    if (n < want) {
        if (ferror(f)) return -1;
        *eof = 1;
    }
    return (long)n;
}

/* The first read: the encoding asked for, or detected from the first chunk; a decoder for
 * anything but UTF-8, with the chunk kept as its first input. -1 on a read or setup error. */
static int open_encoding(csv_reader *r)
{
    unsigned char *first = malloc(CSV_CHUNK);
    int eof = 0;
    long n = first ? read_some(r->f, first, CSV_CHUNK, &eof) : -1;
    if (n < 0) {
        free(first);
        return -1;
    }
    r->enc = strcmp(r->want, "auto") == 0 ? textdec_detect(first, (size_t)n, eof) : r->want;
    if (strcmp(r->enc, "UTF-8") == 0) {
        memcpy(r->buf + r->end, first, (size_t)n);
        r->end += (size_t)n;
        r->eof = eof;
        free(first);
        return 0;
    }
    char err[256];
    if (!(r->dec = textdec_new(r->enc, err, sizeof err))) {
        free(first);
        errno = EINVAL;
        return -1;
    }
    r->raw = first;
    r->rend = (size_t)n;
    r->raw_eof = eof;
    return 0;
}

/* Decodes raw bytes into buf[end..) while there is room, reading more raw bytes as needed. */
static int decode_more(csv_reader *r)
{
    for (;;) {
        if (r->rstart == r->rend && !r->raw_eof) {
            long n = read_some(r->f, r->raw, CSV_CHUNK, &r->raw_eof);
            if (n < 0) return -1;
            r->rstart = 0;
            r->rend = (size_t)n;
        }
        size_t used = 0, room = r->cap - r->end;
        if (room > CSV_CHUNK) room = CSV_CHUNK;
        size_t w = textdec_run(r->dec, r->raw + r->rstart, r->rend - r->rstart, &used,
                               r->buf + r->end, room, r->raw_eof);
        r->rstart += used;
        r->end += w;
        if (r->raw_eof && r->rstart == r->rend) r->eof = 1;
        if (r->eof || w > 0 || r->cap - r->end < 8) return 0;
        if (used == 0 && r->rstart < r->rend) {
            /* an incomplete character at the end of raw: keep it and read on */
            memmove(r->raw, r->raw + r->rstart, r->rend - r->rstart);
            r->rend -= r->rstart;
            r->rstart = 0;
            int eof = 0;
            long n = read_some(r->f, r->raw + r->rend, CSV_CHUNK - r->rend, &eof);
            if (n < 0) return -1;
            r->rend += (size_t)n;
            r->raw_eof = eof;
        }
    }
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
    if (!r->enc && open_encoding(r) < 0) return -1;
    if (r->dec) {
        if (decode_more(r) < 0) return -1;
    } else if (!r->eof && (room = r->cap - r->end) > 0) {
        size_t want = room < CSV_CHUNK ? room : CSV_CHUNK;
        long n = read_some(r->f, (unsigned char *)r->buf + r->end, want, &r->eof);
        if (n < 0) return -1;
        r->end += (size_t)n;
    }
    assert(r->start <= r->end && r->end <= r->cap);
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

/* The state of one parse(): the input position p in buf[start..end) (limit = start +
 * CSV_MAX_RECORD), the output position o in out, the fields and line ends so far; next,
 * raw_end and why are set when the record ends or fails. */
typedef struct parser {
    csv_reader *r;
    const char *b;
    size_t p, end, limit;
    int at_eof;
    size_t o, nf;
    int lines, qlines; /* line ends in the record; those inside quoted fields */
    size_t next, raw_end;
    const char *why;
} parser;

/* How a field ended: a comma (another field follows), the record's end, the data read so far
 * (refill and parse again), or an error (why). */
enum field_end { F_COMMA, F_RECORD, F_MORE, F_BAD };

/* Ends the field that began at out[fstart]: its offset and length, and its NUL. (Forced inline:
 * out of line it made reading a 13-column file about 12 % slower.) */
static inline __attribute__((always_inline)) int end_field(parser *ps, size_t fstart)
{
    if (add_field(ps->r, ps->nf++, fstart, ps->o - fstart) < 0) return -1;
    ps->r->out[ps->o++] = 0;
    assert(ps->o <= ps->r->outcap); /* csv_open(): a record's bytes plus one NUL per field */
    return 0;
}

/* The record fails at p, why. */
static enum field_end bad(parser *ps, const char *why)
{
    ps->next = ps->p;
    ps->why = why;
    return F_BAD;
}

/* The record ends at raw_end; the next starts at next, after `eol` line ends. */
static enum field_end record_end(parser *ps, size_t raw_end, size_t next, int eol)
{
    ps->raw_end = raw_end;
    ps->next = next;
    ps->lines += eol;
    return F_RECORD;
}

/* What follows a quoted field's closing quote at p: a comma, a line end (LF or CRLF) or the end
 * of the data; anything else is an error. */
static enum field_end after_quote(parser *ps)
{
    const char *b = ps->b;
    size_t p = ps->p;
    if (p >= ps->end) return ps->at_eof ? record_end(ps, p, p, 0) : F_MORE;
    if (b[p] == ',') {
        ps->p++;
        return F_COMMA;
    }
    if (b[p] == '\n') return record_end(ps, p, p + 1, 1);
    if (b[p] == '\r') {
        if (p + 1 >= ps->end && !ps->at_eof) return F_MORE;
        if (p + 1 < ps->end && b[p + 1] == '\n') return record_end(ps, p, p + 2, 1);
    }
    return bad(ps, "text after the closing quote of a field");
}

/* A quoted field from its opening quote at p: "" stands for one quote, line ends inside are
 * counted (lines and qlines). */
static enum field_end quoted_field(parser *ps)
{
    const char *b = ps->b;
    size_t fstart = ps->o;
    ps->p++;
    for (;;) {
        if (ps->p >= ps->end) {
            if (!ps->at_eof) return F_MORE;
            return bad(ps, "quoted field never closed before the end of the file");
        }
        if (ps->p >= ps->limit) return bad(ps, "record longer than 1 MiB");
        char c = b[ps->p];
        if (c == '"') {
            if (ps->p + 1 >= ps->end && !ps->at_eof) return F_MORE;
            if (ps->p + 1 < ps->end && b[ps->p + 1] == '"') {
                ps->r->out[ps->o++] = '"';
                ps->p += 2;
                continue;
            }
            ps->p++;
            break;
        }
        if (c == 0) return bad(ps, "NUL byte in the data");
        if (c == '\n') {
            ps->lines++;
            ps->qlines++;
        }
        ps->r->out[ps->o++] = c;
        ps->p++;
    }
    if (end_field(ps, fstart) < 0) return bad(ps, "out of memory");
    return after_quote(ps);
}

/* An unquoted field at p, up to a comma, a line end (LF or CRLF) or the end of the data; a
 * quote inside it is an error. */
static enum field_end unquoted_field(parser *ps)
{
    const char *b = ps->b;
    size_t fstart = ps->o;
    for (;;) {
        if (ps->p >= ps->end) {
            if (!ps->at_eof) return F_MORE;
            if (end_field(ps, fstart) < 0) return bad(ps, "out of memory");
            return record_end(ps, ps->p, ps->p, 0);
        }
        if (ps->p >= ps->limit) return bad(ps, "record longer than 1 MiB");
        char c = b[ps->p];
        if (c == ',' || c == '\n') break;
        if (c == '\r') {
            if (ps->p + 1 >= ps->end && !ps->at_eof) return F_MORE;
            if (ps->p + 1 < ps->end && b[ps->p + 1] == '\n') break;
        } else if (c == '"') {
            return bad(ps, "quote inside an unquoted field");
        } else if (c == 0) {
            return bad(ps, "NUL byte in the data");
        }
        ps->r->out[ps->o++] = c;
        ps->p++;
    }
    if (end_field(ps, fstart) < 0) return bad(ps, "out of memory");
    size_t p = ps->p;
    if (b[p] == ',') {
        ps->p++;
        return F_COMMA;
    }
    return record_end(ps, p, p + (b[p] == '\r' ? 2 : 1), 1);
}

/* One field at p: quoted, unquoted, or the empty last field of a file without a final line
 * end. */
static enum field_end field(parser *ps)
{
    if (ps->p < ps->end) return ps->b[ps->p] == '"' ? quoted_field(ps) : unquoted_field(ps);
    if (!ps->at_eof) return F_MORE;
    /* last field of the last record, no line end */
    if (end_field(ps, ps->o) < 0) return bad(ps, "out of memory");
    return record_end(ps, ps->p, ps->p, 0);
}

/* Parses one record at buf[start]. On P_OK *next is the offset after the record's line end,
 * *raw_end the end of its text and *nfields the field count; on P_BAD *next is where the error
 * was found and why says what it was. */
static enum parse_result parse(csv_reader *r, size_t *next, size_t *raw_end, size_t *nfields,
                               int *nlines, int *qlines, const char **why)
{
    parser ps = {.r = r,
                 .b = r->buf,
                 .p = r->start,
                 .end = r->end,
                 .limit = r->start + CSV_MAX_RECORD,
                 .at_eof = r->eof};
    enum field_end fe;
    do
        fe = field(&ps);
    while (fe == F_COMMA);
    *qlines = ps.qlines;
    if (fe == F_MORE) return P_MORE;
    *next = ps.next;
    *nlines = ps.lines;
    if (fe == F_BAD) {
        *why = ps.why;
        return P_BAD;
    }
    *raw_end = ps.raw_end;
    *nfields = ps.nf;
    return P_OK;
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
        assert(r->start <= r->end && r->end <= r->cap); /* the invariant at the top */
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

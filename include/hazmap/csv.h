/* csv.h - a strict, streaming RFC 4180 CSV reader.
 *
 * Accepts: quoted fields with "" escapes and embedded newlines, LF or CRLF record ends, a UTF-8
 * byte order mark at the start of the file, a missing newline at the end. Blank lines are skipped.
 * Rejects, one record at a time (the reader resynchronises and goes on): NUL bytes, records longer
 * than CSV_MAX_RECORD bytes, a quote inside an unquoted field, text after a closing quote, and a
 * quoted field left open at the end of the file. Line numbers are 1-based physical lines (a quoted
 * newline counts), so they match what an editor shows.
 *
 * Unbalanced quotes: when a quoted field runs past a physical line end and the record then fails
 * (a parse error, or a field count other than the one set with csv_expect_fields()), only the
 * record's first physical line is rejected ("line N: unterminated quote: ...") and reading resumes
 * at the next physical line, so one stray quote costs one line, not the rest of the file. This
 * follows the line-oriented recovery of PostgreSQL COPY rather than Python's csv (non-strict),
 * which keeps everything up to the next quote as one field. A correctly closed multi-line quoted
 * field in a record of the right width is read as one record. */
#ifndef HAZMAP_CSV_H
#define HAZMAP_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

/* The longest record accepted, in bytes (1 MiB). The fuzz build (make fuzz) sets it and the read
 * chunk (csv.c) much smaller, so that its small inputs reach the limit and the chunk boundaries. */
#ifndef CSV_MAX_RECORD
#define CSV_MAX_RECORD (1024 * 1024)
#endif

typedef struct csv_reader csv_reader;

/* One record. Everything is borrowed from the reader and valid until the next csv_next() or
 * csv_close(). Fields are unescaped and NUL-terminated; lens[i] is the byte length of fields[i]. */
typedef struct csv_record {
    size_t nfields;
    char **fields;
    const size_t *lens;
    int64_t line;    /* the line on which the record starts */
    const char *raw; /* the record as it stands in the file, without its line end, */
    size_t raw_len;  /* truncated to 4096 bytes for a rejected over-long record */
} csv_record;

/* Opens path for reading ("-" is standard input), detecting its encoding (csv_open_enc() with
 * "auto"). Returns NULL with the reason in err. */
csv_reader *csv_open(const char *path, char *err, size_t errlen);

/* The same with an encoding (textdec_canonical() names: "auto", "utf-8", "gb18030", "gbk",
 * "utf-16", ...): every other encoding is decoded to UTF-8 before parsing (textdec.h), so fields,
 * raw text and line numbers are the UTF-8 text's. "auto" detects it from the first 4 MiB. NULL
 * with err for an unknown encoding or an unreadable file. */
csv_reader *csv_open_enc(const char *path, const char *encoding, char *err, size_t errlen);

/* The encoding in use: detected at the first csv_next() ("UTF-8", "GB18030", "UTF-16LE", ...),
 * the one asked for before it. */
const char *csv_encoding(const csv_reader *r);

/* Reads the next record into *rec. Returns HZ_OK; HZ_ENOTFOUND at the end of the file;
 * HZ_EINVAL for a malformed record (err says "line N: why"; rec->line and rec->raw describe the
 * record, whose fields are not valid), after which reading may go on; HZ_EIO on a read error. */
hz_status csv_next(csv_reader *r, csv_record *rec, char *err, size_t errlen);

/* Sets the number of fields every record should have (0, the default: any). Used only to
 * recognise a stray quote that swallowed line ends (see above); records of another width that
 * span no quoted line end are still returned as they are, for the caller to judge. */
void csv_expect_fields(csv_reader *r, size_t n);

/* Closes the file and frees the reader; NULL is a no-op. */
void csv_close(csv_reader *r);

#endif

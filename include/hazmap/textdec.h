/* textdec.h - text in a legacy encoding decoded to UTF-8, in chunks (iconv underneath).
 *
 * What Chinese offices export: Excel's "CSV" is GBK (GB18030 is its superset and decodes it),
 * "Unicode text" is UTF-16 with a byte order mark, newer tools write UTF-8 with or without a BOM.
 * textdec_detect() tells them apart from the first bytes; a textdec then turns the byte stream
 * into UTF-8 chunk by chunk, carrying a character split across chunks over to the next call.
 * A byte sequence that is not valid in the encoding becomes one 0xFF byte per byte: never valid
 * UTF-8, so the row holding it is rejected downstream with its line, and nothing is silently
 * replaced. */
#ifndef HAZMAP_TEXTDEC_H
#define HAZMAP_TEXTDEC_H

#include <stddef.h>

#include "hazmap/status.h"

/* The encoding of a file that starts with the n bytes of buf (complete: buf is the whole file):
 * "UTF-16LE" / "UTF-16BE" for their byte order marks; "UTF-8" for a UTF-8 byte order mark, for
 * bytes that are all valid UTF-8 (a sequence cut off at the end of an incomplete buffer is
 * allowed), or for more valid multi-byte UTF-8 sequences than bytes that start none (UTF-8 with a
 * few stray bytes, whose rows are then rejected); else "GB18030". Static strings. */
const char *textdec_detect(const unsigned char *buf, size_t n, int complete);

/* Canonical name of an --encoding value: "auto"; "utf-8"/"utf8"; "gb18030"/"gbk"/"gb2312"/"cp936"
 * (all decoded as GB18030); "utf-16"/"utf-16le"/"utf-16be"; HZ_EINVAL otherwise, naming them. */
hz_status textdec_canonical(const char *name, const char **canon, char *err, size_t errlen);

typedef struct textdec textdec;

/* A decoder from encoding (a canonical name, not "auto" or "UTF-8") to UTF-8. NULL with err. */
textdec *textdec_new(const char *encoding, char *err, size_t errlen);

/* Decodes in[0..inlen) into out (room outcap bytes): returns the bytes written and sets *used to
 * the input bytes consumed. Stops when out is nearly full or at an incomplete character at the
 * end of the input, which is consumed only when eof is set (then it becomes 0xFF bytes). */
size_t textdec_run(textdec *d, const unsigned char *in, size_t inlen, size_t *used, char *out,
                   size_t outcap, int eof);

/* NULL is a no-op. */
void textdec_free(textdec *d);

#endif

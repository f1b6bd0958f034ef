/* textdec.c - legacy encodings to UTF-8 (textdec.h), on glibc's iconv. */
#include "hazmap/textdec.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct textdec {
    iconv_t cd;
};

/* Length of the valid UTF-8 sequence at s (n bytes available): 1..4; 0 when invalid; -1 when it
 * is a valid beginning cut off by the end of the buffer. */
static int utf8_seq(const unsigned char *s, size_t n)
{
    int len = s[0] < 0x80             ? 1
              : (s[0] & 0xE0) == 0xC0 ? 2
              : (s[0] & 0xF0) == 0xE0 ? 3
              : (s[0] & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len == 0 || (len == 2 && s[0] < 0xC2) || (len == 4 && s[0] > 0xF4)) return 0;
    for (int k = 1; k < len; k++) {
        if ((size_t)k >= n) return -1;
        if ((s[k] & 0xC0) != 0x80) return 0;
    }
    /* overlong 3- and 4-byte forms, surrogates, beyond U+10FFFF */
    if (len == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))) return 0;
    if (len == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;
    return len;
}

const char *textdec_detect(const unsigned char *buf, size_t n, int complete)
{
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) return "UTF-8";
    if (n >= 2 && buf[0] == 0xFF && buf[1] == 0xFE) return "UTF-16LE";
    if (n >= 2 && buf[0] == 0xFE && buf[1] == 0xFF) return "UTF-16BE";
    /* Valid multi-byte UTF-8 sequences against bytes that start none: GBK text is mostly the
     * latter, UTF-8 with a stray Latin-1 byte or two mostly the former (and is read as UTF-8, so
     * only the rows holding those bytes are rejected). */
    size_t valid = 0, invalid = 0;
    for (size_t i = 0; i < n;) {
        int len = utf8_seq(buf + i, n - i);
        if (len < 0 && !complete) break; /* cut off by the end of the sample */
        if (len <= 0) {
            invalid++;
            i++;
            continue;
        }
        valid += len > 1;
        i += (size_t)len;
    }
    return invalid == 0 || valid > invalid ? "UTF-8" : "GB18030";
}

hz_status textdec_canonical(const char *name, const char **canon, char *err, size_t errlen)
{
    static const struct {
        const char *alias, *canon;
    } names[] = {{"auto", "auto"},        {"utf-8", "UTF-8"},   {"utf8", "UTF-8"},
                 {"gb18030", "GB18030"},  {"gbk", "GB18030"},   {"gb2312", "GB18030"},
                 {"cp936", "GB18030"},    {"utf-16", "UTF-16"}, {"utf-16le", "UTF-16LE"},
                 {"utf-16be", "UTF-16BE"}};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (strcasecmp(name, names[k].alias) == 0) {
            *canon = names[k].canon;
            return HZ_OK;
        }
    return hz_fail(HZ_EINVAL, err, errlen,
                   "encoding: '%.32s' is not auto, utf-8, gb18030 (gbk, gb2312, cp936) or "
                   "utf-16 (utf-16le, utf-16be)",
                   name);
}

textdec *textdec_new(const char *encoding, char *err, size_t errlen)
{
    textdec *d = malloc(sizeof *d);
    if (!d) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    d->cd = iconv_open("UTF-8", encoding);
    if (d->cd == (iconv_t)-1) {
        hz_fail(HZ_EUNSUPPORTED, err, errlen, "encoding %s: not supported by iconv", encoding);
        free(d);
        return NULL;
    }
    return d;
}

size_t textdec_run(textdec *d, const unsigned char *in, size_t inlen, size_t *used, char *out,
                   size_t outcap, int eof)
{
    char *ip = (char *)(uintptr_t)in, *op = out;
    size_t il = inlen, ol = outcap;
    while (il > 0 && ol >= 8) {
        size_t r = iconv(d->cd, &ip, &il, &op, &ol);
        if (r != (size_t)-1 || errno == E2BIG) break;
        if (errno == EINVAL && !eof) break; /* a character cut off: wait for the next chunk */
        /* EILSEQ, or EINVAL at the end of the file: mark the byte and go on after it */
        *op++ = (char)0xFF;
        ol--;
        ip++;
        il--;
    }
    *used = inlen - il;
    return (size_t)(op - out);
}

void textdec_free(textdec *d)
{
    if (!d) return;
    iconv_close(d->cd);
    free(d);
}

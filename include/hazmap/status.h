/* status.h - the one status code every hazmap function returns. */
#ifndef HAZMAP_STATUS_H
#define HAZMAP_STATUS_H

#include <stddef.h>

/* Results come back through out-parameters; the return value says whether they are valid.
 * Functions that can explain a failure take (char *err, size_t errlen) and write one line,
 * naming the file, line or parameter at fault. err may be NULL when errlen is 0. */
typedef enum hz_status {
    HZ_OK = 0,         /* success */
    HZ_EINVAL = 1,     /* bad argument or bad input data (a parameter, a row, a file's content) */
    HZ_ENOMEM = 2,     /* allocation failed */
    HZ_EIO = 3,        /* cannot read or write a file */
    HZ_EDB = 4,        /* the store reported an error */
    HZ_ENOTFOUND = 5,  /* the thing asked for does not exist */
    HZ_ECRS = 6,       /* unknown coordinate system or failed transformation */
    HZ_ELIMIT = 7,     /* a size or time limit was reached (query timeout, too many cells) */
    HZ_EAUTH = 8,      /* missing or wrong credentials */
    HZ_EFORBIDDEN = 9, /* credentials valid but not allowed */
    HZ_EUNSUPPORTED = 10, /* recognised but not supported (file format, option combination) */
    HZ_ENOSPC = 11,       /* no space left on the device holding the store (or a file written) */
    HZ_ECONFLICT = 12     /* the thing changed since the caller read it (a stale version) */
} hz_status;

/* Short English name of a status ("invalid input", ...). Never NULL; borrowed. */
const char *hz_status_str(hz_status s);

/* printf into err (if errlen > 0), always NUL-terminated; returns s for tail calls:
 *   return hz_fail(HZ_EINVAL, err, errlen, "line %zu: bad date '%s'", line, text); */
hz_status hz_fail(hz_status s, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* printf appended to the text already in buf (if buflen > 0), always NUL-terminated; a full
 * buffer drops the rest. For the "why" reports that analyses write as they choose parameters. */
void hz_append(char *buf, size_t buflen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __clang_analyzer__
/* For clang's analyzer (make analyze), which does not look into status.c: hz_fail() returns s.
 * Without this it assumes any status after a failure, HZ_OK included, and reports the paths. */
#define hz_fail(s, ...) ((hz_fail)((s), __VA_ARGS__), (s))
#endif

#endif

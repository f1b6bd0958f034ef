/* status.c - status names and the error-message helper. */
#include "hazmap/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#undef hz_fail /* status.h's hint for clang's analyzer; the function itself is defined here */

const char *hz_status_str(hz_status s)
{
    switch (s) {
    case HZ_OK:
        return "ok";
    case HZ_EINVAL:
        return "invalid input";
    case HZ_ENOMEM:
        return "out of memory";
    case HZ_EIO:
        return "input/output error";
    case HZ_EDB:
        return "database error";
    case HZ_ENOTFOUND:
        return "not found";
    case HZ_ECRS:
        return "coordinate system error";
    case HZ_ELIMIT:
        return "limit reached";
    case HZ_EAUTH:
        return "authentication required";
    case HZ_EFORBIDDEN:
        return "forbidden";
    case HZ_EUNSUPPORTED:
        return "unsupported";
    case HZ_ENOSPC:
        return "no space left on device";
    case HZ_ECONFLICT:
        return "conflict";
    }
    return "unknown status";
}

hz_status hz_fail(hz_status s, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return s;
}

void hz_append(char *buf, size_t buflen, const char *fmt, ...)
{
    if (!buf || !buflen) return;
    size_t used = strnlen(buf, buflen);
    if (used + 1 >= buflen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, buflen - used, fmt, ap);
    va_end(ap);
}

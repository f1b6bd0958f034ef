/* qparam.h - strict parsing of query-parameter values (numbers, bbox, datetime, enumerations).
 *
 * Every function rejects empty text, trailing characters, non-finite numbers and values out of
 * range with HZ_EINVAL and a message naming the parameter and (up to 64 bytes of) the value. */
#ifndef HAZMAP_QPARAM_H
#define HAZMAP_QPARAM_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

/* A decimal number lo <= x <= hi. */
hz_status qparam_double(const char *key, const char *v, double lo, double hi, double *out,
                        char *err, size_t errlen);

/* A decimal integer lo <= x <= hi (no sign for non-negative ranges is required; "+" rejected). */
hz_status qparam_long(const char *key, const char *v, long lo, long hi, long *out, char *err,
                      size_t errlen);

/* OGC bbox "minlon,minlat,maxlon,maxlat" in WGS84 (OGC API - Features 1, 7.15.3): -180..180,
 * -90..90, south < north; six numbers carry minimum and maximum heights, ignored; minlon above
 * maxlon is a box across the antimeridian (qparam_bbox_split()). */
hz_status qparam_bbox(const char *v, double bb[4], char *err, size_t errlen);

/* A bbox as one or two boxes with west <= east (two when it crosses the antimeridian): their
 * number. */
int qparam_bbox_split(const double bb[4], double parts[2][4]);

/* OGC datetime: an instant, or an interval "start/end" where either end may be ".." or empty
 * (open; not both). Dates (YYYY-MM-DD) as an instant mean that whole day; as the end of an
 * interval, the end of that day. Times without an offset are read in tz_offset_s.
 * [*from, *to) is the half-open range in seconds (INT64_MIN / INT64_MAX for open ends). */
hz_status qparam_datetime(const char *v, int tz_offset_s, int64_t *from, int64_t *to, char *err,
                          size_t errlen);

/* One of the NULL-terminated names; *idx is its position. The message lists the names. */
hz_status qparam_enum(const char *key, const char *v, const char *const *names, int *idx, char *err,
                      size_t errlen);

/* A row id from a path segment (/api/projects/{id}, /api/links/{id}): a positive decimal
 * integer of at most 18 digits, nothing else (no sign, space or leading '+'); -1 otherwise. */
int64_t qparam_path_id(const char *s);

#endif

/* webroot.h - static files of the map page, confined to the web root.
 *
 * A path is served only if it names a regular file whose real path (symlinks resolved) lies
 * inside the real path of the root; ".." segments, backslashes and control characters are
 * refused outright. The media type comes from a fixed map of extensions; anything else is
 * application/octet-stream (with nosniff, a browser will not execute it). */
#ifndef HAZMAP_WEBROOT_H
#define HAZMAP_WEBROOT_H

#include "hazmap/httpmsg.h"

/* Serves rq->path ("/" is "/index.html") from root into rs. Returns 0 when rs was filled (the
 * file, or a 4xx for a refused path), -1 when there is no such file (the caller answers 404). */
int webroot_serve(const char *root, const hreq *rq, hresp *rs);

/* The same for an explicit path below the root ("/index.html"). */
int webroot_serve_path(const char *root, const char *path, hresp *rs);

/* The media type for a file name by its extension. Borrowed, static. */
const char *webroot_mime(const char *name);

/* The 404 for a path that webroot_serve() found no file for, when the path names a file, i.e. its
 * last segment has an extension: labelled with that extension's media type (text/plain when the
 * extension is unknown), with a body valid in it (a comment for .js and .css, empty for images),
 * so that a browser reports a missing script as a missing script. Returns 0 when rs was filled,
 * -1 when the path has no extension (the caller answers as for any unknown API resource). */
int webroot_not_found(const char *path, hresp *rs);

#endif

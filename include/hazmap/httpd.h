/* httpd.h - the libmicrohttpd front end: sockets, threads, limits, access log, shutdown.
 *
 * One epoll thread pool (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, pool size = threads or
 * the number of cores), a connection timeout, a per-address connection limit and a request-body
 * limit (413 beyond it). Each request is translated to an hreq, answered by app_handle() and
 * logged as one line on stderr: "METHOD PATH STATUS BYTES MILLISECONDS".
 *
 * Shutdown: httpd_run() blocks SIGINT and SIGTERM in the calling thread before the workers are
 * created (so they inherit the mask) and waits for either with sigwait(); no signal handler and
 * no global variable is involved. Then it stops accepting, lets the workers finish and returns. */
#ifndef HAZMAP_HTTPD_H
#define HAZMAP_HTTPD_H

#include <stddef.h>

#include "hazmap/app.h"
#include "hazmap/srvconf.h"
#include "hazmap/status.h"

/* Serves a on cfg->bind:cfg->port until SIGINT or SIGTERM. Prints
 * "hazmap: listening on http://BIND:PORT/" to stdout once accepting (the real port when
 * cfg->port is 0). HZ_EIO when the socket cannot be opened. */
hz_status httpd_run(app *a, const srvconf *cfg, char *err, size_t errlen);

#endif

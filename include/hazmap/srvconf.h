/* srvconf.h - the server's configuration: defaults, a key = value file, command-line overrides.
 *
 * File format: one "key = value" per line; blank lines and lines starting with '#' are ignored;
 * values run to the end of the line with surrounding blanks removed (no quoting). Keys:
 *   title                 text shown by the map page (default "hazmap")
 *   min_count             public portal: aggregates counting fewer incidents are suppressed (10)
 *   min_bandwidth         public portal: density bandwidth floor in metres (300)
 *   basemap_url           XYZ tile URL template for the map page ("" = no base map)
 *   basemap_attribution   its attribution text
 *   basemap_gcj02         true if the base map is in GCJ-02 (Amap/Tencent tiles) (false)
 *   cache_dir             directory for rendered tiles on disk ("" = memory only)
 *   cache_mb              memory budget of the tile and result cache in MB (128)
 *   query_timeout_ms      time limit of one analysis or query, ms (10000)
 *   max_body_bytes        largest accepted request body (10485760)
 *   threads               network threads of libmicrohttpd (0 = one per core); they answer the
 *                         cheap requests and never compute an analysis
 *   analysis_threads      threads of the analysis pool (0 = one per core): analyses computed
 *                         from the incidents, uncached tiles and publications run there
 *   analysis_queue        analysis requests that may wait for a free pool thread (64); one more
 *                         is answered at once with 503 and Retry-After
 *   connection_timeout_s  idle connection timeout, s (30)
 *   per_ip_connections    simultaneous connections per client address (64)
 *   header_deadline_s     a request's headers must arrive within this many seconds of the
 *                         connection opening or the previous response (10)
 *   body_deadline_s       its body within this many seconds of its headers (60)
 *   body_bytes_per_addr   request-body bytes buffered at once for one client address
 *                         (0 = 2 x max_body_bytes); more is answered 429
 *   blackspots_max_work   the most point-pair tests a black-spot request may need, estimated by
 *                         dbscan_work() before DBSCAN runs (1e11, about 10 s at 1M incidents);
 *                         more is answered 422 with the estimate
 *   work_srs              working projected CRS for analyses ("auto" = UTM zone of the data)
 *   publish_every_h       publish a public release every this many hours when the data changed
 *                         since the newest one (0 = only `hazmap publish` and POST /api/releases;
 *                         the default: each release spends privacy budget, PRIVACY.md)
 *   prerender_max_zoom    render the public's default tiles of zooms 10..this in the background
 *                         when a release is loaded (16; below 10 = none: all on demand)
 *   base_url              the absolute URL prefix of every link the server writes (OGC links,
 *                         paging, TileJSON), e.g. https://maps.example.org/hazmap: http:// or
 *                         https://, no query, no trailing '/' ("" = http://BIND:PORT; set it
 *                         behind a reverse proxy or when bound to 0.0.0.0). The request's Host
 *                         header is never used.
 *   bind, port, web       as the command-line options
 * Command-line options given to `hazmap serve` override the file. */
#ifndef HAZMAP_SRVCONF_H
#define HAZMAP_SRVCONF_H

#include <stddef.h>

#include "hazmap/status.h"

typedef struct srvconf {
    char db[1024];
    char bind[64];
    int port;
    char web[1024]; /* "" = no static files */
    char title[256];
    int min_count;
    double min_bandwidth;
    char basemap_url[1024];
    char basemap_attribution[512];
    int basemap_gcj02;
    char cache_dir[1024];
    int cache_mb;
    int query_timeout_ms;
    long max_body_bytes;
    int threads;
    int analysis_threads;
    int analysis_queue;
    int connection_timeout_s;
    int per_ip_connections;
    int header_deadline_s;
    int body_deadline_s;
    long body_bytes_per_addr;
    long blackspots_max_work;
    char work_srs[256];
    int publish_every_h;
    int prerender_max_zoom;
    char base_url[256]; /* "" or a checked absolute URL without a trailing '/' */
} srvconf;

/* Fills c with the defaults above. */
void srvconf_init(srvconf *c);

/* Sets one key from its text, strictly (numbers in range, booleans true/false/1/0/yes/no).
 * HZ_EINVAL names the key and value. */
hz_status srvconf_set(srvconf *c, const char *key, const char *value, char *err, size_t errlen);

/* The prefix of absolute links: base_url, else "http://BIND:PORT" ("http://[BIND]:PORT" for an
 * IPv6 address). Always NUL-terminated. */
void srvconf_base(const srvconf *c, char *buf, size_t buflen);

/* Reads a configuration file into c; errors name the file and line. */
hz_status srvconf_load(srvconf *c, const char *path, char *err, size_t errlen);

#endif

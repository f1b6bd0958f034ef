/* cmd_serve.c - `hazmap serve` (the HTTP server) and `hazmap token` (API tokens). */
#include "cli.h"

#include "hazmap/app.h"
#include "hazmap/httpd.h"
#include "hazmap/srvconf.h"
#include "hazmap/store.h"
#include "hazmap/tokens.h"

#include <stdio.h>
#include <string.h>

static const char serve_usage[] =
    "usage: hazmap serve --db PATH [--bind 127.0.0.1] [--port 8080] [--web DIR]\n"
    "                    [--config FILE] [--cache-dir DIR] [--threads N]\n"
    "Serves OGC API - Features, the analysis endpoints, density tiles and the map page.\n"
    "The config file holds 'key = value' lines: title, min_count, min_bandwidth, basemap_url,\n"
    "basemap_attribution, basemap_gcj02, cache_dir, cache_mb, query_timeout_ms, max_body_bytes,\n"
    "threads, analysis_threads, analysis_queue, connection_timeout_s, per_ip_connections,\n"
    "work_srs, publish_every_h, prerender_max_zoom, base_url (see include/hazmap/srvconf.h).\n"
    "Links in the answers start with base_url (e.g. https://maps.example.org/hazmap; set it\n"
    "behind a reverse proxy), else with http://BIND:PORT - never with the request's Host.\n"
    "Command-line options override the file. SIGINT or SIGTERM stops the server.\n";

int cmd_serve(int argc, char **argv)
{
    const char *db = NULL, *bind = NULL, *port = NULL, *web = NULL, *config = NULL,
               *cache_dir = NULL, *threads = NULL, *help = NULL;
    const cli_opt opts[] = {
        {"db", 1, &db},           {"bind", 1, &bind},     {"port", 1, &port},
        {"web", 1, &web},         {"config", 1, &config}, {"cache-dir", 1, &cache_dir},
        {"threads", 1, &threads}, {"help", 0, &help},     {NULL, 0, NULL}};
    if (cli_parse(argc, argv, opts, NULL, NULL, 0, NULL) != 0) return 2;
    if (help) {
        fputs(serve_usage, stdout);
        return 0;
    }
    srvconf cfg;
    srvconf_init(&cfg);
    char err[1024];
    if (config && srvconf_load(&cfg, config, err, sizeof err) != HZ_OK) {
        cli_error(argv[0], "%s", err);
        return 2;
    }
    const struct {
        const char *key, *value;
    } overrides[] = {{"db", db},   {"bind", bind},           {"port", port},
                     {"web", web}, {"cache_dir", cache_dir}, {"threads", threads}};
    for (size_t i = 0; i < sizeof overrides / sizeof *overrides; i++) {
        if (overrides[i].value &&
            srvconf_set(&cfg, overrides[i].key, overrides[i].value, err, sizeof err) != HZ_OK) {
            cli_error(argv[0], "--%s", err);
            return 2;
        }
    }
    if (!cfg.db[0]) {
        cli_error(argv[0], "--db PATH is required");
        return 2;
    }
    app *a = app_new(&cfg, err, sizeof err);
    if (!a) {
        cli_error(argv[0], "%s", err);
        return 1;
    }
    size_t na, ni;
    int64_t v;
    app_counts(a, &na, &ni, &v);
    fprintf(stderr, "hazmap: %s: %zu areas, %zu incidents, data version %lld\n", cfg.db, na, ni,
            (long long)v);
    hz_status s = httpd_run(a, &cfg, err, sizeof err);
    app_free(a);
    if (s != HZ_OK) {
        cli_error(argv[0], "%s", err);
        return 1;
    }
    return 0;
}

static const char token_usage[] =
    "usage: hazmap token create --db PATH --role planner|editor [--label TEXT]\n"
    "Prints a new random API token once; the database keeps only its SHA-256.\n"
    "Send it as 'Authorization: Bearer TOKEN'.\n";

int cmd_token(int argc, char **argv)
{
    const char *db = NULL, *role = NULL, *label = NULL, *help = NULL;
    const cli_opt opts[] = {{"db", 1, &db},
                            {"role", 1, &role},
                            {"label", 1, &label},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    const char *pos[1];
    int npos = 0;
    if (cli_parse(argc, argv, opts, NULL, pos, 1, &npos) != 0) return 2;
    if (help) {
        fputs(token_usage, stdout);
        return 0;
    }
    if (npos != 1 || strcmp(pos[0], "create") != 0) {
        fputs(token_usage, stderr);
        return 2;
    }
    hz_role r;
    if (!db || !role) {
        cli_error(argv[0], "--db and --role are required");
        return 2;
    }
    if (tokens_role_parse(role, &r) != 0) {
        cli_error(argv[0], "--role: '%s' is not planner or editor", role);
        return 2;
    }
    char err[1024];
    store *st = store_open(db, 0, err, sizeof err);
    if (!st) {
        cli_error(argv[0], "%s", err);
        return 1;
    }
    char token[65];
    hz_status s = tokens_create(st, r, label, token, err, sizeof err);
    store_close(st);
    if (s != HZ_OK) {
        cli_error(argv[0], "%s", err);
        return 1;
    }
    printf("%s\n", token);
    return 0;
}

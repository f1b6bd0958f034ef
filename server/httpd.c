/* httpd.c - libmicrohttpd front end: per-connection state, limits, access log, the analysis
 * pool, shutdown.
 *
 * Per-request state (struct conn) is created on libmicrohttpd's first callback for a request
 * and freed in the completion callback (the pattern of libmicrohttpd's largepost.c).
 *
 * Isolation: libmicrohttpd's network threads (`threads`) answer every request, but never
 * compute. A handler about to compute (app_offload()) gives the request back marked offload; the
 * connection is then suspended and the request handed to the analysis pool (wpool.h,
 * `analysis_threads` threads, `analysis_queue` waiting), which answers it again from the start
 * and resumes the connection; libmicrohttpd then calls on_request() once more and the answer is
 * queued there. When the queue is full the request gets a 503 with Retry-After at once. So
 * health, metrics, static files and cached answers never wait behind an analysis.
 *
 * Thread ownership of a conn: the network thread of its connection owns it, except while
 * cn->state is CONN_QUEUED: the connection is suspended (libmicrohttpd calls nothing for it) and
 * the pool job owns cn->rq and cn->pending. The job stores the answer in cn->pending, sets
 * CONN_READY (release) and resumes the connection as its last access to cn; the network thread
 * reads cn->pending only after seeing CONN_READY (acquire). The pool is stopped (every queued or
 * running job has resumed its connection) before the daemon is stopped, as libmicrohttpd
 * requires. */
#include "hazmap/httpd.h"
#include "hazmap/cancel.h"
#include "hazmap/connguard.h"
#include "hazmap/wpool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

enum { MAX_ARGS = 64 };

/* How long a client refused by a full analysis queue is asked to wait, seconds. */
#define BUSY_RETRY_AFTER "5"

/* The analysis threads' nice value: with every core computing, a cheap request's thread still
 * gets a core within a scheduler tick or two (weight 1024 against 110 per analysis thread). */
enum { ANALYSIS_NICE = 10 };

typedef struct server {
    app *a;
    const srvconf *cfg;
    wpool *pool; /* the analysis pool; valid (refusing once stopped) until the daemon is stopped */
    connguard *guard; /* request deadlines and body bytes per address */
} server;

typedef struct argv_ctx {
    hreq_arg args[MAX_ARGS];
    size_t n;
    int overflow;
    int nul; /* a decoded key or value holds a NUL byte (%00): C strings would truncate it */
} argv_ctx;

enum { CONN_IDLE, CONN_QUEUED, CONN_READY };

typedef struct conn {
    struct timespec t0;
    int started;  /* on_request() has seen this request */
    int nul_path; /* the raw path holds %00: its decoded C string would be cut short there */
    char *body;
    size_t len, cap;
    int too_large;
    int addr_full; /* the client's address has too many body bytes buffered */
    int done;
    /* the request as handed to the handlers (args and headers borrowed from libmicrohttpd,
     * valid until the completion callback) */
    argv_ctx av;
    hreq rq;
    /* the analysis pool hand-off (ownership: see the head of the file) */
    server *sv;
    struct MHD_Connection *mc;
    hresp pending;
    _Atomic int state;
} conn;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    argv_ctx *c = cls;
    if (c->n >= MAX_ARGS) {
        c->overflow = 1;
        return MHD_NO;
    }
    if ((key && strlen(key) != key_size) || (value && strlen(value) != value_size)) {
        c->nul = 1;
        return MHD_NO;
    }
    c->args[c->n].key = key ? key : "";
    c->args[c->n].value = value ? value : "";
    c->n++;
    return MHD_YES;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Printable copy of a path for the log (control characters become '?'). */
static void log_safe(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) ? '?' : in[i];
    out[i] = 0;
}

static enum MHD_Result respond(server *sv, struct MHD_Connection *mc, conn *cn, const char *method,
                               const char *url, const hreq *rq, hresp *rs)
{
    size_t len = rs->len;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(rs->len, rs->body ? rs->body : (void *)"",
                                        rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        hresp_free(rs);
        return MHD_NO;
    }
    rs->body = NULL; /* now owned by libmicrohttpd */
    if (rs->content_type[0]) MHD_add_response_header(r, "Content-Type", rs->content_type);
    for (int i = 0; i < rs->nheaders; i++)
        MHD_add_response_header(r, rs->hname[i], rs->hvalue[i]);
    enum MHD_Result ok = MHD_queue_response(mc, (unsigned int)rs->status, r);
    MHD_destroy_response(r);
    double ms = ms_since(&cn->t0);
    metrics_request(app_metrics(sv->a), (size_t)rs->route, rs->status, ms, len);
    /* The decoded query is logged too (it shows which parameters clients such as GDAL send);
     * the Authorization header never is. */
    char line[1024];
    size_t off = 0;
    int n = snprintf(line, sizeof line, "%s", url);
    off = n > 0 && (size_t)n < sizeof line ? (size_t)n : 0;
    for (size_t i = 0; rq && i < rq->nargs && off < sizeof line; i++) {
        n = snprintf(line + off, sizeof line - off, "%c%s=%s", i ? '&' : '?', rq->args[i].key,
                     rq->args[i].value);
        if (n < 0) break;
        off += (size_t)n;
    }
    char safe[1024];
    log_safe(line, safe, sizeof safe);
    fprintf(stderr, "%s %s %d %zu %.2f\n", method, safe, rs->status, len, ms);
    hresp_free(rs);
    cn->done = 1;
    return ok;
}

/* The connection's guard handle (connguard.h), or NULL. */
static cg_conn *guard_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        mc ? MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
    return ci ? ci->socket_context : NULL;
}

/* The answer to a request that the pool cannot take: now full, or stopping (`stopping`). */
static void busy(hresp *rs, int route, int stopping)
{
    hresp_error(rs, 503, "ServiceUnavailable", "%s",
                stopping ? "the server is shutting down"
                         : "too many analyses are running or waiting; retry later");
    hresp_header(rs, "Retry-After", BUSY_RETRY_AFTER);
    hresp_header(rs, "X-Content-Type-Options", "nosniff");
    hresp_header(rs, "Access-Control-Allow-Origin", "*");
    rs->route = route;
}

/* The pool job of one offloaded request (wpool_fn): answers it and resumes its connection, the
 * job's last access to cn. */
static void pool_job(void *arg, int cancelled)
{
    conn *cn = arg;
    struct MHD_Connection *mc = cn->mc;
    hresp rs = {0};
    if (cancelled) {
        busy(&rs, cn->pending.route, 1);
    } else {
        /* The analysis runs under a deadline, and stops when its client goes away. */
        hz_cancel k;
        hz_cancel_init(&k, cn->sv->cfg->query_timeout_ms);
        cg_conn *g = guard_of(mc);
        connguard_watch(cn->sv->guard, g, &k);
        hz_cancel *prev = hz_cancel_enter(&k);
        app_handle(cn->sv->a, &cn->rq, &rs);
        hz_cancel_leave(prev);
        connguard_watch(cn->sv->guard, g, NULL);
    }
    cn->pending = rs;
    atomic_store_explicit(&cn->state, CONN_READY, memory_order_release);
    MHD_resume_connection(mc);
}

/* Hands the request of cn (answered rs->offload by the handler) to the pool, suspending its
 * connection; the answer is queued when libmicrohttpd calls on_request() again after the
 * resume. A full queue gives the 503 through the same path. */
static enum MHD_Result offload(server *sv, struct MHD_Connection *mc, conn *cn, const hresp *rs)
{
    cn->sv = sv;
    cn->mc = mc;
    cn->rq.where = HREQ_POOL;
    memset(&cn->pending, 0, sizeof cn->pending);
    cn->pending.route = rs->route;
    atomic_store_explicit(&cn->state, CONN_QUEUED, memory_order_relaxed);
    /* Suspended before the job can run, so that its resume never precedes the suspend. */
    MHD_suspend_connection(mc);
    if (wpool_submit(sv->pool, pool_job, cn) != 0) {
        hresp refused = {0};
        busy(&refused, rs->route, 0);
        cn->pending = refused;
        atomic_store_explicit(&cn->state, CONN_READY, memory_order_release);
        MHD_resume_connection(mc);
    }
    return MHD_YES;
}

/* libmicrohttpd's connection start and end: the guard follows each connection from its first
 * byte; it forgets it before libmicrohttpd closes the socket. */
static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    server *sv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context =
            fd ? connguard_open(sv->guard, fd->connect_fd, ad ? ad->client_addr : NULL) : NULL;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        connguard_close(sv->guard, *socket_context);
        *socket_context = NULL;
    }
}

/* 1 if the raw (still percent-encoded) path of uri, before any '?', encodes a NUL byte. */
static int raw_path_has_nul(const char *uri)
{
    for (const char *p = uri; *p && *p != '?'; p++)
        if (p[0] == '%' && p[1] == '0' && p[2] == '0') return 1;
    return 0;
}

/* libmicrohttpd's first look at a request, with the URI as it came: the per-request state
 * starts here, because the path handed to on_request() is already decoded and a %00 in it
 * would silently end it ("/index.html%00.png" would read as "/index.html"). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
    (void)cls;
    (void)mc;
    conn *cn = calloc(1, sizeof *cn);
    if (!cn) return NULL;
    clock_gettime(CLOCK_MONOTONIC, &cn->t0);
    cn->nul_path = raw_path_has_nul(uri);
    return cn;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    server *sv = cls;
    conn *cn = *con_cls;
    if (!cn) { /* on_uri() ran out of memory */
        cn = calloc(1, sizeof *cn);
        if (!cn) return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &cn->t0);
        *con_cls = cn;
    }
    if (!cn->started) {
        cn->started = 1;
        connguard_phase(sv->guard, guard_of(mc), CG_BODY);
        if (cn->nul_path) {
            hresp rs = {0};
            hresp_error(&rs, 400, "InvalidParameterValue", "the path contains a NUL byte (%%00)");
            hresp_header(&rs, "X-Content-Type-Options", "nosniff");
            rs.route = -1;
            return respond(sv, mc, cn, method, url, NULL, &rs);
        }
        /* Refuse an announced oversized body before reading it. */
        const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || *end || n > (unsigned long long)sv->cfg->max_body_bytes) {
                hresp rs = {0};
                hresp_error(&rs, 413, "PayloadTooLarge", "request body larger than %ld bytes",
                            sv->cfg->max_body_bytes);
                hresp_header(&rs, "X-Content-Type-Options", "nosniff");
                hresp_header(&rs, "Connection", "close");
                rs.route = -1;
                return respond(sv, mc, cn, method, url, NULL, &rs);
            }
        }
        /* Authenticate before reading a body: only editors and planners send any (issue 16). */
        if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
            hreq head = {.method = method, .path = url};
            head.authorization = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization");
            hresp rs = {0};
            if (!app_body_allowed(sv->a, &head, &rs)) {
                hresp_header(&rs, "X-Content-Type-Options", "nosniff");
                hresp_header(&rs, "Connection", "close");
                rs.route = -1;
                return respond(sv, mc, cn, method, url, NULL, &rs);
            }
            hresp_free(&rs);
        }
        return MHD_YES;
    }
    if (atomic_load_explicit(&cn->state, memory_order_acquire) == CONN_READY) {
        hresp rs = cn->pending; /* resumed: the pool's answer (or the 503) */
        memset(&cn->pending, 0, sizeof cn->pending);
        atomic_store_explicit(&cn->state, CONN_IDLE, memory_order_relaxed);
        return respond(sv, mc, cn, method, url, &cn->rq, &rs);
    }
    if (cn->done) { /* a response is queued already: discard the rest of the body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (cn->too_large || cn->addr_full || cn->len + n > (size_t)sv->cfg->max_body_bytes) {
            cn->too_large = 1;
            return MHD_YES;
        }
        if (connguard_body_take(sv->guard, guard_of(mc), n) != 0) {
            cn->addr_full = 1; /* the rest of the body is read and dropped */
            return MHD_YES;
        }
        if (cn->len + n + 1 > cn->cap) {
            size_t cap = (cn->len + n + 1) * 2;
            if (cap > (size_t)sv->cfg->max_body_bytes + 1)
                cap = (size_t)sv->cfg->max_body_bytes + 1;
            char *b = realloc(cn->body, cap);
            if (!b) {
                cn->too_large = 1;
                return MHD_YES;
            }
            cn->body = b;
            cn->cap = cap;
        }
        memcpy(cn->body + cn->len, upload_data, n);
        cn->len += n;
        cn->body[cn->len] = 0;
        return MHD_YES;
    }
    hresp rs = {0};
    connguard_phase(sv->guard, guard_of(mc), CG_BUSY);
    if (cn->addr_full) {
        hresp_error(&rs, 429, "TooManyRequests",
                    "too many request-body bytes are being received from your address at once; "
                    "retry when your other uploads are done");
        hresp_header(&rs, "Retry-After", BUSY_RETRY_AFTER);
        hresp_header(&rs, "X-Content-Type-Options", "nosniff");
        rs.route = -1;
        return respond(sv, mc, cn, method, url, NULL, &rs);
    }
    if (cn->too_large) {
        hresp_error(&rs, 413, "PayloadTooLarge", "request body larger than %ld bytes",
                    sv->cfg->max_body_bytes);
        hresp_header(&rs, "X-Content-Type-Options", "nosniff");
        rs.route = -1;
        return respond(sv, mc, cn, method, url, NULL, &rs);
    }
    argv_ctx *av = &cn->av;
    av->n = 0;
    av->overflow = 0;
    av->nul = 0;
    MHD_get_connection_values_n(mc, MHD_GET_ARGUMENT_KIND, collect_arg, av);
    if (av->overflow || av->nul) {
        if (av->nul)
            hresp_error(&rs, 400, "InvalidParameterValue", "a query parameter contains a NUL byte");
        else
            hresp_error(&rs, 400, "InvalidParameterValue", "more than %d query parameters",
                        MAX_ARGS);
        hresp_header(&rs, "X-Content-Type-Options", "nosniff");
        rs.route = -1;
        return respond(sv, mc, cn, method, url, NULL, &rs);
    }
    cn->rq = (hreq){
        .method = method,
        .path = url,
        .args = av->args,
        .nargs = av->n,
        .host = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Host"),
        .accept = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Accept"),
        .authorization = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization"),
        .if_none_match = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "If-None-Match"),
        .content_type = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type"),
        .body = cn->body,
        .body_len = cn->len,
        .where = HREQ_EVENT,
    };
    app_handle(sv->a, &cn->rq, &rs);
    if (rs.offload) return offload(sv, mc, cn, &rs);
    return respond(sv, mc, cn, method, url, &cn->rq, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    server *sv = cls;
    cg_conn *g = guard_of(mc);
    connguard_body_release(sv->guard, g);
    connguard_phase(sv->guard, g, CG_HEADERS); /* the next request's headers, if any */
    conn *cn = *con_cls;
    if (!cn) return;
    hresp_free(&cn->pending);
    free(cn->body);
    free(cn);
    *con_cls = NULL;
}

/* metrics_pool_fn over the analysis pool. */
static void pool_stats(void *ud, size_t *waiting, size_t *running, unsigned long long *refused)
{
    wpool_stats(ud, waiting, running, refused);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("hazmap: httpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

hz_status httpd_run(app *a, const srvconf *cfg, char *err, size_t errlen)
{
    server sv = {a, cfg, NULL, NULL};
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *sa;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
                         MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    memset(&sin, 0, sizeof sin);
    memset(&sin6, 0, sizeof sin6);
    if (inet_pton(AF_INET, cfg->bind, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)cfg->port);
        sa = (struct sockaddr *)&sin;
    } else if (inet_pton(AF_INET6, cfg->bind, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)cfg->port);
        sa = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        return hz_fail(HZ_EINVAL, err, errlen, "--bind: '%s' is not an IPv4 or IPv6 address",
                       cfg->bind);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned int threads =
        cfg->threads > 0 ? (unsigned int)cfg->threads : (unsigned int)(cores > 0 ? cores : 1);
    int analysis_threads =
        cfg->analysis_threads > 0 ? cfg->analysis_threads : (int)(cores > 0 ? cores : 1);

    /* The workers inherit this mask, so SIGINT/SIGTERM are delivered only to sigwait() below. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    signal(SIGPIPE, SIG_IGN);
    if (!(sv.pool = wpool_new(analysis_threads, cfg->analysis_queue, ANALYSIS_NICE))) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return hz_fail(HZ_ENOMEM, err, errlen, "cannot start %d analysis threads",
                       analysis_threads);
    }

    long per_addr =
        cfg->body_bytes_per_addr > 0 ? cfg->body_bytes_per_addr : 2 * cfg->max_body_bytes;
    if (!(sv.guard = connguard_new(cfg->header_deadline_s, cfg->body_deadline_s, per_addr))) {
        wpool_free(sv.pool);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return hz_fail(HZ_ENOMEM, err, errlen, "cannot start the connection watchdog");
    }
    metrics_set_pool(app_metrics(a), pool_stats, sv.pool);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, &sv, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, &sv, MHD_OPTION_URI_LOG_CALLBACK, on_uri, &sv, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)cfg->connection_timeout_s, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)cfg->per_ip_connections, MHD_OPTION_CONNECTION_LIMIT, 4096u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        &sv, MHD_OPTION_END);
    if (!d) {
        metrics_set_pool(app_metrics(a), NULL, NULL);
        wpool_free(sv.pool);
        connguard_free(sv.guard);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return hz_fail(HZ_EIO, err, errlen, "cannot listen on %s:%d (address in use?)", cfg->bind,
                       cfg->port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int port = info && info->port ? info->port : cfg->port;
    if (cfg->port == 0) app_set_port(a, port); /* the kernel chose it: links name it */
    if (strchr(cfg->bind, ':'))
        printf("hazmap: listening on http://[%s]:%d/\n", cfg->bind, port);
    else
        printf("hazmap: listening on http://%s:%d/\n", cfg->bind, port);
    fflush(stdout);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    fprintf(stderr, "hazmap: signal %d, shutting down\n", sig);
    /* Every suspended connection is resumed before the daemon stops (the head of the file):
     * running analyses finish, queued ones and any submitted from now on get a 503. */
    wpool_stop(sv.pool);
    MHD_stop_daemon(d);
    metrics_set_pool(app_metrics(a), NULL, NULL);
    wpool_free(sv.pool);
    connguard_free(sv.guard);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return HZ_OK;
}

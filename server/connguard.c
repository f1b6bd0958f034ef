/* connguard.c - request deadlines and per-address body bytes (connguard.h): a list of the open
 * connections under one mutex, scanned by a watchdog thread every WATCH_MS.
 * Invariant (asserted): an address's buffered body bytes are the sum of its connections'. */
#include "hazmap/connguard.h"
#include "hazmap/cancel.h"

#include <assert.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { WATCH_MS = 200 };

struct cg_conn {
    cg_conn *prev, *next;
    int fd;
    unsigned char addr[16]; /* IPv4 (mapped) or IPv6 address; all zero when unknown */
    cg_phase phase;
    double since;     /* monotonic seconds the phase began */
    size_t body;      /* body bytes accounted */
    int cut;          /* shut down already */
    hz_cancel *watch; /* cancelled when the client goes away; NULL none */
};

struct connguard {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t watchdog;
    int stop;
    double header_s, body_s;
    size_t per_addr;
    cg_conn *head;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 1 when c's client has closed its end or the socket failed. */
static int gone(const cg_conn *c)
{
    struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Shuts down the connections past their phase's deadline and cancels the work of those whose
 * client went away; under g->mu. */
static void sweep(connguard *g, double now)
{
    for (cg_conn *c = g->head; c; c = c->next) {
        if (c->watch && gone(c)) hz_cancel_set(c->watch, HZ_CANCEL_GONE);
        if (c->cut || c->phase == CG_BUSY) continue;
        double limit = c->phase == CG_HEADERS ? g->header_s : g->body_s;
        if (now - c->since <= limit) continue;
        /* libmicrohttpd closes the socket only after connguard_close(), which needs g->mu:
         * c->fd is still this connection's socket here. */
        shutdown(c->fd, SHUT_RDWR);
        c->cut = 1;
    }
}

static void *watch(void *arg)
{
    connguard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WATCH_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&g->wake, &g->mu, &until);
        if (!g->stop) sweep(g, now_s());
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

connguard *connguard_new(int header_deadline_s, int body_deadline_s, long body_bytes_per_addr)
{
    assert(header_deadline_s > 0 && body_deadline_s > 0 && body_bytes_per_addr > 0);
    connguard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->header_s = header_deadline_s;
    g->body_s = body_deadline_s;
    g->per_addr = (size_t)body_bytes_per_addr;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (pthread_create(&g->watchdog, NULL, watch, g) != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return NULL;
    }
    return g;
}

void connguard_free(connguard *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->watchdog, NULL);
    while (g->head) {
        cg_conn *c = g->head;
        g->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

/* The address as 16 bytes (IPv4 as ::ffff:a.b.c.d). */
static void addr_key(const struct sockaddr *sa, unsigned char out[16])
{
    memset(out, 0, 16);
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &s4->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(out, &s6->sin6_addr, 16);
    }
}

cg_conn *connguard_open(connguard *g, int fd, const struct sockaddr *addr)
{
    cg_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = fd;
    addr_key(addr, c->addr);
    c->phase = CG_HEADERS;
    c->since = now_s();
    pthread_mutex_lock(&g->mu);
    c->next = g->head;
    if (g->head) g->head->prev = c;
    g->head = c;
    pthread_mutex_unlock(&g->mu);
    return c;
}

void connguard_close(connguard *g, cg_conn *c)
{
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next) c->next->prev = c->prev;
    pthread_mutex_unlock(&g->mu);
    free(c);
}

void connguard_phase(connguard *g, cg_conn *c, cg_phase ph)
{
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    c->phase = ph;
    c->since = now_s();
    pthread_mutex_unlock(&g->mu);
}

int connguard_body_take(connguard *g, cg_conn *c, size_t n)
{
    if (!c) return 0;
    pthread_mutex_lock(&g->mu);
    size_t held = 0;
    for (const cg_conn *o = g->head; o; o = o->next)
        if (memcmp(o->addr, c->addr, 16) == 0) held += o->body;
    assert(held >= c->body);
    int ok = n <= g->per_addr && held <= g->per_addr - n;
    if (ok) c->body += n;
    pthread_mutex_unlock(&g->mu);
    return ok ? 0 : -1;
}

void connguard_body_release(connguard *g, cg_conn *c)
{
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    c->body = 0;
    pthread_mutex_unlock(&g->mu);
}

void connguard_watch(connguard *g, cg_conn *c, hz_cancel *k)
{
    if (!c) return;
    pthread_mutex_lock(&g->mu);
    c->watch = k;
    pthread_mutex_unlock(&g->mu);
}

/* connguard.h - deadlines for receiving a request and a cap on the request-body bytes buffered
 * per client address (issue 16, item 3).
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that sends one header byte
 * every few seconds (slowloris), or a body at a crawl, keeps its connection, and a few such
 * clients fill the per-address connection limit. The guard gives every request absolute
 * deadlines instead: its headers must arrive within header_deadline_s of the connection opening
 * or of the previous response (so an idle keep-alive connection is closed then too), and its
 * body within body_deadline_s of the headers. A watchdog thread shuts down (shutdown(2), both
 * ways) the socket of a connection past its deadline; libmicrohttpd then sees the end of the
 * stream and closes it, freeing the address's slot for its other clients.
 *
 * Phases of a connection: CG_HEADERS (receiving a request's headers) -> CG_BODY (its body) ->
 * CG_BUSY (being answered: no deadline here; the analyses have their own limits) -> CG_HEADERS
 * for the next request.
 *
 * Ownership: connguard_new() returns a guard freed with connguard_free() (which stops the
 * watchdog); connguard_open() returns a handle owned by the guard until connguard_close(). The
 * caller must call connguard_close() before the connection's socket is closed.
 * Thread-safety: every function may be called from any thread. */
#ifndef HAZMAP_CONNGUARD_H
#define HAZMAP_CONNGUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct connguard connguard;
typedef struct cg_conn cg_conn;

typedef enum cg_phase { CG_HEADERS = 0, CG_BODY = 1, CG_BUSY = 2 } cg_phase;

/* Deadlines in seconds (> 0); body_bytes_per_addr > 0. NULL when the watchdog cannot start. */
connguard *connguard_new(int header_deadline_s, int body_deadline_s, long body_bytes_per_addr);
void connguard_free(connguard *g);

/* A new connection on socket fd from addr (may be NULL: no address grouping), in CG_HEADERS.
 * NULL when out of memory (the connection is then unguarded). */
cg_conn *connguard_open(connguard *g, int fd, const struct sockaddr *addr);
/* Forgets c (NULL is a no-op). */
void connguard_close(connguard *g, cg_conn *c);

/* Enters phase ph now (NULL c is a no-op). */
void connguard_phase(connguard *g, cg_conn *c, cg_phase ph);

/* Accounts n more body bytes buffered for c's request: 0, or -1 (nothing accounted) when the
 * bytes buffered for all connections from c's address would exceed the cap. */
int connguard_body_take(connguard *g, cg_conn *c, size_t n);
/* Releases every body byte accounted to c (its request is done). */
void connguard_body_release(connguard *g, cg_conn *c);

struct hz_cancel;

/* While k is set (NULL clears it; clear it before k goes away), the watchdog cancels k
 * (HZ_CANCEL_GONE, cancel.h) when c's client closes its end or the connection fails: an
 * analysis answering nobody stops. A client that half-closes after sending its request looks
 * the same and is cancelled too (HTTP clients do not do that). */
void connguard_watch(connguard *g, cg_conn *c, struct hz_cancel *k);

#endif

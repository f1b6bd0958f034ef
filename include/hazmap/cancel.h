/* cancel.h - cooperative cancellation of one request's work: a deadline and a flag.
 *
 * The server gives each analysis it runs a deadline (query_timeout_ms) and sets the flag when
 * the client disconnects. The analyses poll at chunk boundaries (about every millisecond of
 * work) with hz_cancel_check() and, when it answers non-zero, stop and return HZ_ELIMIT with
 * hz_cancel_reason() as the message.
 *
 * Scope. hz_cancel_enter(c) makes c the calling thread's current scope until
 * hz_cancel_leave(); par_for() and the KDE's sweep threads carry their caller's scope into the
 * threads they start. This is the one piece of thread-local state in hazmap (like errno):
 * passing the token through every analysis's parameters would touch every signature for a
 * concern none of them has otherwise, and code run outside a scope (the CLI, the tests) is
 * never cancelled.
 *
 * Thread-safety: hz_cancel_set() and hz_cancel_check() may race freely (atomics). */
#ifndef HAZMAP_CANCEL_H
#define HAZMAP_CANCEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"

typedef enum hz_cancel_why {
    HZ_CANCEL_NONE = 0,
    HZ_CANCEL_DEADLINE = 1,
    HZ_CANCEL_GONE = 2
} hz_cancel_why;

typedef struct hz_cancel {
    _Atomic int why;     /* hz_cancel_why; set once */
    int64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = none */
    int timeout_ms;      /* for the message */
} hz_cancel;

/* A scope with a deadline timeout_ms from now (0: none). */
void hz_cancel_init(hz_cancel *c, int timeout_ms);

/* Cancels c (the first reason wins). */
void hz_cancel_set(hz_cancel *c, hz_cancel_why why);

/* Makes c (NULL: none) the calling thread's scope; returns the previous one, to hand back to
 * hz_cancel_leave(). */
hz_cancel *hz_cancel_enter(hz_cancel *c);
void hz_cancel_leave(hz_cancel *previous);

/* The calling thread's scope, or NULL. */
hz_cancel *hz_cancel_current(void);

/* Non-zero when the calling thread's scope is cancelled or past its deadline (which then sets
 * the flag); 0 outside a scope. Cheap: one atomic load and a coarse clock read. */
int hz_cancel_check(void);

/* Why the current scope stopped, for an error message: "the analysis ran past
 * query_timeout_ms (10000 ms) ..." or "the client disconnected"; "" when it did not. */
const char *hz_cancel_reason(void);

/* HZ_OK, or HZ_ELIMIT with hz_cancel_reason() in err when hz_cancel_check() says stop: for
 * the checks between an analysis's stages, `if (rc == HZ_OK) rc = hz_cancel_status(...)`. */
hz_status hz_cancel_status(char *err, size_t errlen);

#endif

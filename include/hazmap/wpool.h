/* wpool.h - a bounded pool of worker threads with a bounded queue, for the expensive analyses
 * (server/httpd.c runs them here so that they never block libmicrohttpd's network threads).
 *
 * A job is a function and its argument. wpool_submit() never blocks: it refuses a job when the
 * queue is full or the pool is stopping, and the caller answers at once (503 with Retry-After).
 *
 * Threads: wpool_submit() and wpool_stats() may be called from any thread. Each job runs exactly
 * once: on a worker with cancelled = 0, or, when wpool_stop() finds it still queued, on the
 * thread calling wpool_stop() with cancelled = 1 (it must then answer without computing).
 * Worker threads inherit the signal mask of the thread that calls wpool_new(). */
#ifndef HAZMAP_WPOOL_H
#define HAZMAP_WPOOL_H

#include <stddef.h>

typedef struct wpool wpool;

typedef void (*wpool_fn)(void *arg, int cancelled);

/* A pool of `threads` workers (>= 1) whose queue holds at most `queue_max` jobs waiting for a
 * worker (>= 0; jobs being run do not count). The workers run at nice value `nice` (0..19;
 * 0 = the process's), and so do the threads their jobs start: the scheduler then prefers every
 * other thread of the process (libmicrohttpd's) when the cores are busy. NULL on failure (no
 * thread left running). */
wpool *wpool_new(int threads, int queue_max, int nice);

/* Queues fn(arg). 0 when queued; -1 (fn not called, arg untouched) when the queue is full or the
 * pool is stopping. */
int wpool_submit(wpool *p, wpool_fn fn, void *arg);

/* Jobs waiting, jobs running, and jobs refused since wpool_new(). */
void wpool_stats(wpool *p, size_t *queued, size_t *running, unsigned long long *refused);

/* Stops the pool: refuses new jobs from now on, waits for the running ones to finish, joins the
 * workers and runs the jobs still queued with cancelled = 1 on this thread. wpool_submit() stays
 * valid (and refuses) until wpool_free(). Idempotent; NULL is a no-op. Call it from one thread,
 * the one that will call wpool_free(). */
void wpool_stop(wpool *p);

/* wpool_stop(), then frees p. NULL is a no-op. */
void wpool_free(wpool *p);

#endif

/* wpool.c - bounded worker pool (wpool.h).
 *
 * Invariants (all fields below mu are guarded by mu):
 *  1. q is a ring of cap = threads + queue_max slots; head is the oldest job and n the number
 *     not yet taken by a worker; running + n <= cap (what wpool_submit() admits), so a job
 *     waits only while every worker is busy and at most queue_max wait then.
 *  2. running counts jobs taken from q whose fn has not returned yet.
 *  3. Once stop is set no job is queued again; workers finish the job in hand and exit, leaving
 *     the queue to wpool_stop(), which empties it with cancelled = 1 after joining them. */
#include "hazmap/wpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct job {
    wpool_fn fn;
    void *arg;
} job;

struct wpool {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled when a job is queued or stop is set */
    job *q;
    size_t cap, head, n;
    size_t running;
    unsigned long long refused;
    int stop;
    pthread_t *th;
    int nice;   /* the workers' nice value */
    int nth;    /* threads started */
    int joined; /* stop_all() has run (owner thread only) */
};

static void *worker(void *ud)
{
    wpool *p = ud;
    /* Linux: the nice value is per thread, and threads a job creates (parfor.h) inherit it.
     * Raising it needs no privilege; failing to is harmless. */
    if (p->nice > 0) (void)setpriority(PRIO_PROCESS, (id_t)gettid(), p->nice);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->n == 0)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) break;
        job j = p->q[p->head];
        p->head = (p->head + 1) % p->cap;
        p->n--;
        p->running++;
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg, 0);
        pthread_mutex_lock(&p->mu);
        p->running--;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Stops and joins the started workers; runs what is still queued with cancelled = 1. */
static void stop_all(wpool *p)
{
    if (p->joined) return;
    p->joined = 1;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nth; i++)
        pthread_join(p->th[i], NULL);
    /* No worker is left, and submit refuses after stop: the queue is this thread's alone. */
    while (p->n) {
        job j = p->q[p->head];
        p->head = (p->head + 1) % p->cap;
        p->n--;
        j.fn(j.arg, 1);
    }
}

wpool *wpool_new(int threads, int queue_max, int nice)
{
    if (threads < 1 || queue_max < 0) return NULL;
    wpool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nice = nice;
    p->cap = (size_t)threads + (size_t)queue_max;
    p->q = calloc(p->cap, sizeof *p->q);
    p->th = calloc((size_t)threads, sizeof *p->th);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    int ok = p->q && p->th;
    for (int i = 0; ok && i < threads; i++) {
        ok = pthread_create(&p->th[i], NULL, worker, p) == 0;
        if (ok) p->nth++;
    }
    if (!ok) {
        wpool_free(p);
        return NULL;
    }
    return p;
}

int wpool_submit(wpool *p, wpool_fn fn, void *arg)
{
    pthread_mutex_lock(&p->mu);
    /* invariant 1: with queue_max = 0 a job is admitted only when a worker is free */
    if (p->stop || p->running + p->n >= p->cap) {
        p->refused++;
        pthread_mutex_unlock(&p->mu);
        return -1;
    }
    p->q[(p->head + p->n) % p->cap] = (job){fn, arg};
    p->n++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void wpool_stats(wpool *p, size_t *queued, size_t *running, unsigned long long *refused)
{
    pthread_mutex_lock(&p->mu);
    *queued = p->n;
    *running = p->running;
    *refused = p->refused;
    pthread_mutex_unlock(&p->mu);
}

void wpool_stop(wpool *p)
{
    if (p) stop_all(p);
}

void wpool_free(wpool *p)
{
    if (!p) return;
    stop_all(p);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->q);
    free(p->th);
    free(p);
}

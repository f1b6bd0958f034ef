/* parfor.c - a parallel loop over [0, n) on short-lived threads (parfor.h). */
#include "hazmap/parfor.h"
#include "hazmap/cancel.h"

#include <pthread.h>
#include <unistd.h>

int par_threads(int asked)
{
    if (asked > 0) return asked > PAR_MAX_THREADS ? PAR_MAX_THREADS : asked;
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c < 1 ? 1 : c > PAR_MAX_THREADS ? PAR_MAX_THREADS : (int)c;
}

typedef struct par_job {
    void (*fn)(void *ctx, size_t lo, size_t hi, int tid);
    void *ctx;
    size_t lo, hi;
    int tid;
    hz_cancel *scope; /* the caller's cancellation scope, carried into the thread */
} par_job;

static void *par_run(void *arg)
{
    par_job *j = arg;
    hz_cancel_enter(j->scope);
    j->fn(j->ctx, j->lo, j->hi, j->tid);
    return NULL;
}

void par_for(size_t n, int nt, void (*fn)(void *ctx, size_t lo, size_t hi, int tid), void *ctx)
{
    if (nt < 1) nt = 1;
    if (nt > PAR_MAX_THREADS) nt = PAR_MAX_THREADS;
    if ((size_t)nt > n) nt = n ? (int)n : 1;
    par_job jobs[PAR_MAX_THREADS];
    pthread_t th[PAR_MAX_THREADS];
    int started[PAR_MAX_THREADS] = {0};
    for (int t = 0; t < nt; t++) {
        jobs[t] = (par_job){fn,
                            ctx,
                            n * (size_t)t / (size_t)nt,
                            n * (size_t)(t + 1) / (size_t)nt,
                            t,
                            hz_cancel_current()};
        if (t > 0) started[t] = pthread_create(&th[t], NULL, par_run, &jobs[t]) == 0;
    }
    fn(ctx, jobs[0].lo, jobs[0].hi, 0);
    for (int t = 1; t < nt; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            fn(ctx, jobs[t].lo, jobs[t].hi, t);
    }
}

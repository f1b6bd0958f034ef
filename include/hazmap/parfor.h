/* parfor.h - a parallel loop over [0, n) on short-lived threads, for the analyses.
 *
 * par_for() splits [0, n) into nthreads contiguous chunks of (nearly) equal length and calls
 * fn(ctx, lo, hi, tid) once per chunk, tid 0 on the calling thread, the others on threads
 * joined before it returns. A thread that cannot be created leaves its chunk to the calling
 * thread, so every chunk runs exactly once whatever happens: fn must give the same results
 * however the chunks are spread (each writes only its own part of the output).
 *
 * Thread-safety: reentrant; no state is kept between calls. */
#ifndef HAZMAP_PARFOR_H
#define HAZMAP_PARFOR_H

#include <stddef.h>

/* The most threads par_for() uses. */
enum { PAR_MAX_THREADS = 64 };

/* The thread count for a request of asked: asked itself when positive, else one per online
 * core; at most PAR_MAX_THREADS. */
int par_threads(int asked);

/* nthreads < 1 counts as 1, and no more threads than n are used. */
void par_for(size_t n, int nthreads, void (*fn)(void *ctx, size_t lo, size_t hi, int tid),
             void *ctx);

#endif

/* watcher.c - the change watcher (watcher.h): a thread looping on store_wait_change().
 *
 * Invariants:
 *  1. Only the watcher's thread uses w->st, from watcher_start() until it exits.
 *  2. w->known is the data version the callback was last called with (or the one given to
 *     watcher_start()); only the thread reads or writes it.
 *  3. w->stop, once 1, stays 1; the thread checks it between two waits, so it exits within one
 *     WATCHER_WAIT_MS (or one retry sleep, which watches it too) plus a running callback. */
#include "hazmap/watcher.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct watcher {
    store *st; /* invariant 1 */
    int64_t known;
    watcher_cb cb;
    void *ud;
    _Atomic int stop;
    atomic_ullong changes;
    pthread_t thread;
};

/* Sleeps ms in steps of WATCHER_WAIT_MS, returning early once stop is set. */
static void nap(watcher *w, int ms)
{
    for (int slept = 0; slept < ms && !atomic_load(&w->stop); slept += WATCHER_WAIT_MS) {
        struct timespec d = {.tv_sec = 0, .tv_nsec = (long)WATCHER_WAIT_MS * 1000000L};
        nanosleep(&d, NULL);
    }
}

static void *watch_main(void *ud)
{
    watcher *w = ud;
    int failing = 0;
    while (!atomic_load(&w->stop)) {
        int64_t v = w->known;
        hz_status s = store_wait_change(w->st, w->known, WATCHER_WAIT_MS, &v);
        if (s == HZ_ELIMIT) continue;
        if (s != HZ_OK) {
            if (!failing)
                fprintf(stderr, "hazmap: change watcher: cannot read the store (%s); retrying\n",
                        hz_status_str(s));
            failing = 1;
            nap(w, WATCHER_RETRY_MS);
            continue;
        }
        if (failing) fprintf(stderr, "hazmap: change watcher: the store is readable again\n");
        failing = 0;
        w->known = v;
        atomic_fetch_add(&w->changes, 1);
        w->cb(w->ud, w->st, v);
    }
    return NULL;
}

watcher *watcher_start(const char *db, int64_t known_version, watcher_cb cb, void *ud, char *err,
                       size_t errlen)
{
    watcher *w = calloc(1, sizeof *w);
    if (!w) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    w->known = known_version;
    w->cb = cb;
    w->ud = ud;
    atomic_init(&w->stop, 0);
    atomic_init(&w->changes, 0);
    if (!(w->st = store_open(db, 0, err, errlen))) {
        free(w);
        return NULL;
    }
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        store_close(w->st);
        free(w);
        hz_fail(HZ_ENOMEM, err, errlen, "cannot start the change watcher thread");
        return NULL;
    }
    return w;
}

void watcher_stop(watcher *w)
{
    if (!w) return;
    atomic_store(&w->stop, 1);
    pthread_join(w->thread, NULL);
    store_close(w->st);
    free(w);
}

unsigned long long watcher_changes(watcher *w)
{
    return w ? atomic_load(&w->changes) : 0;
}

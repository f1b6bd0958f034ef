/* watcher.h - the server's change watcher: one thread that waits on the store for committed
 * changes made by anyone (another replica, an import, `hazmap publish`) and hands each to a
 * callback, so that every `hazmap serve` on one store reloads within a second of a commit.
 *
 * The thread opens a store connection of its own and loops on store_wait_change(); for every
 * change it calls cb(ud, st, version) on that thread with its connection and the store's data
 * version (which may equal the previous one: a release or a token changes no data). Changes that
 * arrive while cb runs are coalesced: the next wait returns the newest version at once, so a
 * burst of N commits costs at most two calls, never N. When the store cannot be read the thread
 * retries every WATCHER_RETRY_MS and says so once on stderr.
 *
 * Ownership: watcher_start() returns a handle that watcher_stop() joins and frees; cb and ud
 * must stay valid until then. watcher_stop() returns within about WATCHER_WAIT_MS plus the
 * running callback. NULL is a no-op for watcher_stop(). */
#ifndef HAZMAP_WATCHER_H
#define HAZMAP_WATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "hazmap/status.h"
#include "hazmap/store.h"

typedef struct watcher watcher;

/* One call per change; st is the watcher's own connection (no transaction open on it). */
typedef void (*watcher_cb)(void *ud, store *st, int64_t version);

enum {
    WATCHER_WAIT_MS = 200,  /* one store_wait_change() call; bounds watcher_stop() */
    WATCHER_RETRY_MS = 1000 /* after a failed read of the store */
};

/* Opens db and starts the thread, which compares against known_version first (a commit made
 * between the caller's load and this call is reported at once). NULL with the reason in err. */
watcher *watcher_start(const char *db, int64_t known_version, watcher_cb cb, void *ud, char *err,
                       size_t errlen);

/* Stops and joins the thread, closes its connection. */
void watcher_stop(watcher *w);

/* Changes handed to the callback so far (for /metrics). */
unsigned long long watcher_changes(watcher *w);

#endif

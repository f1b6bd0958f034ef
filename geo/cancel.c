/* cancel.c - the calling thread's cancellation scope (cancel.h). */
#include "hazmap/cancel.h"

#include <stdio.h>
#include <time.h>

static _Thread_local hz_cancel *current;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void hz_cancel_init(hz_cancel *c, int timeout_ms)
{
    atomic_init(&c->why, HZ_CANCEL_NONE);
    c->timeout_ms = timeout_ms;
    c->deadline_ns = timeout_ms > 0 ? now_ns() + (int64_t)timeout_ms * 1000000 : 0;
}

void hz_cancel_set(hz_cancel *c, hz_cancel_why why)
{
    int none = HZ_CANCEL_NONE;
    atomic_compare_exchange_strong(&c->why, &none, (int)why);
}

hz_cancel *hz_cancel_enter(hz_cancel *c)
{
    hz_cancel *prev = current;
    current = c;
    return prev;
}

void hz_cancel_leave(hz_cancel *previous)
{
    current = previous;
}

hz_cancel *hz_cancel_current(void)
{
    return current;
}

int hz_cancel_check(void)
{
    hz_cancel *c = current;
    if (!c) return 0;
    if (atomic_load_explicit(&c->why, memory_order_relaxed) != HZ_CANCEL_NONE) return 1;
    if (c->deadline_ns && now_ns() > c->deadline_ns) {
        hz_cancel_set(c, HZ_CANCEL_DEADLINE);
        return 1;
    }
    return 0;
}

const char *hz_cancel_reason(void)
{
    static _Thread_local char msg[160];
    hz_cancel *c = current;
    int why = c ? atomic_load(&c->why) : HZ_CANCEL_NONE;
    if (why == HZ_CANCEL_GONE) return "the client disconnected: the analysis was stopped";
    if (why != HZ_CANCEL_DEADLINE) return "";
    snprintf(msg, sizeof msg,
             "the analysis ran past query_timeout_ms (%d ms) and was stopped; narrow the filters "
             "or use a coarser cell or a shorter band",
             c->timeout_ms);
    return msg;
}

hz_status hz_cancel_status(char *err, size_t errlen)
{
    return hz_cancel_check() ? hz_fail(HZ_ELIMIT, err, errlen, "%s", hz_cancel_reason()) : HZ_OK;
}

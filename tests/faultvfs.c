/* faultvfs.c - the fault-injecting SQLite VFS of faultvfs.h (a shim over the default VFS, in the
 * manner of SQLite's own test_vfstrace.c: each file is the wrapper's header followed by the
 * wrapped VFS's file, every method forwarded). */
#include "faultvfs.h"

#include <stdatomic.h>
#include <string.h>

#include <sqlite3.h>

typedef struct fv_file {
    sqlite3_file base;
    sqlite3_file *real; /* follows this header in the same allocation */
} fv_file;

static sqlite3_vfs *orig;
static sqlite3_vfs fv_vfs;
static atomic_uint arm_kinds;
static atomic_long arm_after = -1;
static atomic_int arm_code;
static atomic_long ncalls, nfailed;

void faultvfs_arm(unsigned kinds, long after, int code)
{
    atomic_store(&arm_kinds, 0);
    atomic_store(&ncalls, 0);
    atomic_store(&nfailed, 0);
    atomic_store(&arm_after, after);
    atomic_store(&arm_code, code);
    atomic_store(&arm_kinds, kinds);
}

void faultvfs_disarm(void)
{
    atomic_store(&arm_kinds, 0);
}

long faultvfs_calls(void)
{
    return atomic_load(&ncalls);
}

long faultvfs_failed(void)
{
    return atomic_load(&nfailed);
}

/* 0 to pass the call on, else the error to return. */
static int fault(unsigned kind)
{
    if (!(atomic_load(&arm_kinds) & kind)) return 0;
    long n = atomic_fetch_add(&ncalls, 1);
    long after = atomic_load(&arm_after);
    if (after < 0 || n < after) return 0;
    atomic_fetch_add(&nfailed, 1);
    return atomic_load(&arm_code);
}

#define REAL(f) (((fv_file *)(f))->real)

static int fv_close(sqlite3_file *f)
{
    sqlite3_file *r = REAL(f);
    int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
    f->pMethods = NULL;
    return rc;
}

static int fv_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    int rc = fault(FV_READ);
    if (rc) return rc;
    return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int fv_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    int rc = fault(FV_WRITE);
    if (rc) return rc;
    return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int fv_sync(sqlite3_file *f, int flags)
{
    int rc = fault(FV_SYNC);
    if (rc) return rc;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int fv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int fv_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int fv_lock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int fv_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int fv_check_lock(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int fv_fcntl(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int fv_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int fv_devchar(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int fv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}
static int fv_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void fv_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int fv_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int fv_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int fv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fv_methods = {
    3,           fv_close,       fv_read,       fv_write, fv_truncate, fv_sync,    fv_size,
    fv_lock,     fv_unlock,      fv_check_lock, fv_fcntl, fv_sector,   fv_devchar, fv_shm_map,
    fv_shm_lock, fv_shm_barrier, fv_shm_unmap,  fv_fetch, fv_unfetch,
};

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outflags)
{
    (void)vfs;
    fv_file *p = (fv_file *)f;
    p->real = (sqlite3_file *)&p[1];
    memset(p->real, 0, (size_t)orig->szOsFile);
    int rc = orig->xOpen(orig, name, p->real, flags, outflags);
    /* SQLite calls xClose when pMethods is set, even after a failed open */
    f->pMethods = p->real->pMethods ? &fv_methods : NULL;
    return rc;
}

static int fv_delete(sqlite3_vfs *v, const char *n, int sync)
{
    (void)v;
    return orig->xDelete(orig, n, sync);
}
static int fv_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
    (void)v;
    return orig->xAccess(orig, n, flags, out);
}
static int fv_fullname(sqlite3_vfs *v, const char *n, int len, char *out)
{
    (void)v;
    return orig->xFullPathname(orig, n, len, out);
}
static void *fv_dlopen(sqlite3_vfs *v, const char *n)
{
    (void)v;
    return orig->xDlOpen(orig, n);
}
static void fv_dlerror(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    orig->xDlError(orig, n, msg);
}
static void (*fv_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    (void)v;
    return orig->xDlSym(orig, h, sym);
}
static void fv_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    orig->xDlClose(orig, h);
}
static int fv_random(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return orig->xRandomness(orig, n, out);
}
static int fv_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return orig->xSleep(orig, us);
}
static int fv_time(sqlite3_vfs *v, double *t)
{
    (void)v;
    return orig->xCurrentTime(orig, t);
}
static int fv_lasterr(sqlite3_vfs *v, int n, char *msg)
{
    (void)v;
    return orig->xGetLastError ? orig->xGetLastError(orig, n, msg) : 0;
}
static int fv_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
    (void)v;
    return orig->xCurrentTimeInt64(orig, t);
}

int faultvfs_install(void)
{
    if (orig) return SQLITE_OK;
    int rc = sqlite3_initialize();
    if (rc != SQLITE_OK) return rc;
    sqlite3_vfs *d = sqlite3_vfs_find(NULL);
    if (!d) return SQLITE_ERROR;
    orig = d;
    fv_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(fv_file) + d->szOsFile,
        .mxPathname = d->mxPathname,
        .zName = "faultvfs",
        .xOpen = fv_open,
        .xDelete = fv_delete,
        .xAccess = fv_access,
        .xFullPathname = fv_fullname,
        .xDlOpen = fv_dlopen,
        .xDlError = fv_dlerror,
        .xDlSym = fv_dlsym,
        .xDlClose = fv_dlclose,
        .xRandomness = fv_random,
        .xSleep = fv_sleep,
        .xCurrentTime = fv_time,
        .xGetLastError = fv_lasterr,
        .xCurrentTimeInt64 = fv_time64,
    };
    return sqlite3_vfs_register(&fv_vfs, 1);
}

void faultvfs_uninstall(void)
{
    if (!orig) return;
    faultvfs_disarm();
    sqlite3_vfs_register(orig, 1);
    sqlite3_vfs_unregister(&fv_vfs);
    orig = NULL;
}

/* faultvfs.h - a test-only SQLite VFS that injects I/O errors (tests/check_faults.c).
 *
 * faultvfs_install() registers "faultvfs" as the default VFS, wrapping the default before it
 * (unix): every database, journal, WAL and WAL-index file opened afterwards goes through it, and
 * each call is passed on unchanged until the VFS is armed. Armed with faultvfs_arm(kinds, after,
 * code), the calls of the given kinds (FV_READ = xRead, FV_WRITE = xWrite, FV_SYNC = xSync) are
 * counted, the first `after` pass, and every later one fails with `code` (SQLITE_IOERR_WRITE,
 * SQLITE_FULL, ...) without reaching the file: a device that broke (or filled up) at that point
 * and stays so until faultvfs_disarm(). Not thread-safe beyond what the counters' atomics give. */
#ifndef HAZMAP_TESTS_FAULTVFS_H
#define HAZMAP_TESTS_FAULTVFS_H

enum { FV_READ = 1, FV_WRITE = 2, FV_SYNC = 4 };

/* Registers the VFS as the default (idempotent). 0 on success, else an SQLite error code. */
int faultvfs_install(void);
/* Makes the wrapped VFS the default again and unregisters this one. */
void faultvfs_uninstall(void);

/* Arms: calls of the kinds in the mask after the first `after` (counted from now) fail with code.
 * after < 0 only counts. */
void faultvfs_arm(unsigned kinds, long after, int code);
void faultvfs_disarm(void);
/* Calls of the armed kinds since faultvfs_arm(); how many of them were failed. */
long faultvfs_calls(void);
long faultvfs_failed(void);

#endif

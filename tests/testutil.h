/* testutil.h - fixtures shared by the Check suites. */
#ifndef HAZMAP_TESTS_TESTUTIL_H
#define HAZMAP_TESTS_TESTUTIL_H

#include <stddef.h>

/* Writes a little-endian WKB POLYGON, the axis-aligned rectangle (x0, y0)-(x1, y1) as one closed
 * ring of 5 points, into buf (at least 93 bytes). Returns its length. Written byte by byte from
 * the OGC layout, independently of the code under test. */
size_t tu_square_wkb(unsigned char *buf, double x0, double y0, double x1, double y1);

/* Removes a SQLite database file, its -wal and -shm companions and its snapshot cache
 * (DB.snapshot); missing files are fine. */
void tu_remove_db(const char *path);

/* Copies file from to file to (a fixture's scratch copy); fails the test on any error. */
void tu_copy_file(const char *from, const char *to);

/* Creates the bundled sample at dbpath, as tools/load-sample.sh does (the Jinjiang outline, its
 * 16 sub-districts and the 55,000 GCJ-02 incidents of ../data/, read from the tests directory),
 * asserting every step. Returns the open store; the caller closes it. */
struct store;
struct store *tu_load_sample(const char *dbpath);

#endif

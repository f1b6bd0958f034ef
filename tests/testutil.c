/* testutil.c - fixtures shared by the Check suites. */
#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

size_t tu_square_wkb(unsigned char *buf, double x0, double y0, double x1, double y1)
{
    double pts[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    size_t o = 0;
    buf[o++] = 1;
    uint32_t head[3] = {3, 1, 5}; /* POLYGON, one ring, five points */
    memcpy(buf + o, head, sizeof head);
    o += sizeof head;
    memcpy(buf + o, pts, sizeof pts);
    return o + sizeof pts;
}

void tu_remove_db(const char *path)
{
    char p[4096];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s.snapshot", path);
    unlink(p);
}

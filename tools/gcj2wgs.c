/* gcj2wgs.c - filter: reads "lon lat" lines in GCJ-02 (or BD-09 with -b), writes them in WGS84.
 *
 * Used by tools/make-subdistricts.sh to convert the Amap-derived (GCJ-02) Jinjiang outline with
 * the same geo/chinacrs.c code the importer uses. Build:
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude tools/gcj2wgs.c geo/chinacrs.c -lm -o build/gcj2wgs
 * Lines that are empty or start with '#' are copied unchanged; anything else that is not two
 * numbers is an error (exit 1, naming the line). Output has 9 decimals (0.1 mm). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/chinacrs.h"

int main(int argc, char **argv)
{
    chinacrs_kind kind = CHINACRS_GCJ02;
    if (argc == 2 && strcmp(argv[1], "-b") == 0)
        kind = CHINACRS_BD09;
    else if (argc != 1) {
        fprintf(stderr, "usage: gcj2wgs [-b] < lonlat.txt > wgs84.txt\n");
        return 2;
    }
    char line[512];
    long lineno = 0;
    while (fgets(line, sizeof line, stdin) != NULL) {
        lineno++;
        if (line[0] == '\n' || line[0] == '#') {
            fputs(line, stdout);
            continue;
        }
        char *end;
        double lon = strtod(line, &end);
        char *end2;
        double lat = strtod(end, &end2);
        if (end == line || end2 == end) {
            fprintf(stderr, "gcj2wgs: line %ld: expected \"lon lat\"\n", lineno);
            return 1;
        }
        chinacrs_to_wgs84(kind, 1, &lon, &lat);
        printf("%.9f %.9f\n", lon, lat);
    }
    return ferror(stdin) ? 1 : 0;
}

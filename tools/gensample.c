/* gensample.c - generates the SYNTHETIC Jinjiang injury incident sample (data/README.md).
 *
 *   gensample AREAS.txt ROADS.txt SEED INCIDENTS.csv CLUSTERS.csv [--temporal]
 *             [--intervention PROJECTS.csv]
 *
 * AREAS.txt is data/jinjiang_areas.txt (tools/make-subdistricts.sh): the district and its
 * sub-districts as WGS84 rings. ROADS.txt is data/jinjiang_roads.txt (tools/make-roads-txt.py):
 * the real road network (OpenStreetMap-derived) as straight edges between node ids, one a line.
 * The output is fully determined by the inputs and the seed (xoshiro256**, seeded by splitmix64;
 * Blackman & Vigna 2018): running it twice gives byte-identical files.
 *
 * Model. A population-weighted background (a sub-district is picked with probability proportional
 * to its population, then a point uniformly inside it) plus planted clusters where injuries
 * concentrate: busy junctions (traffic), markets (falls, cuts), old residential compounds with many
 * elderly (falls at 65+), schools (falls at 6-15, school days and hours) and construction sites
 * (crush and falls, workplace, men of 20-59). Cluster points are a 2-D normal around the centre
 * (sigma = radius / 2) truncated at the radius. Every incident has a day drawn uniformly from
 * 2012-01-01..2014-12-31 and accepted with the weekday weight of its kind, an hour from the kind's
 * hour-of-day profile, and mechanism, place, intent, severity, victims, age, sex and disability
 * from the tables below. One planted trend: the 牛市口 junction loses 60 % of its incidents from
 * 2013-07-01 (an "intervention") so before/after evaluations have an effect to find.
 *
 * Road traffic injuries happen on roads: every incident whose mechanism is traffic is placed on
 * the network, its attributes being drawn before its location. In the background, after the
 * sub-district, a point on its roads with probability proportional to length (uniform inside
 * the sub-district only if it had no road). A junction cluster's centre is moved to the nearest
 * real junction (a node with >= 3 edge ends, the degree counted from ROADS.txt) inside the
 * district, and its traffic incidents lie on the roads meeting there, within the radius along
 * them (|N(0, radius / 2)| truncated at the radius, on through bends), each nearer that junction
 * than any other, so a network screening assigns them to it; its few other incidents stay a
 * planar cluster. Every road point gets a GPS error perpendicular to the road, normal with sigma
 * GPS_SIGMA_M (5 m). CLUSTERS.csv gives the moved centres.
 *
 * --intervention PROJECTS.csv appends, after the temporal sites if any, two planted project
 * sites (psites[]): a junction where a project started on 2014-01-01 halves the rate, and one
 * where it changes nothing, listed in PROJECTS.csv with their true effect; the rows before them
 * are unchanged, as for --temporal (tests/integration/projeval.sh).
 *
 * --temporal appends three planted temporal sites (tsites[], for emerging hot spots,
 * tests/integration/emerging.sh): one that starts in 2014-01, one whose rate grows linearly over
 * the 36 months, one that stops after 2014-10. Their incidents are drawn after all the others, so
 * the random stream of those is untouched: the first 55,000 rows of INCIDENTS.csv and the first 16
 * of CLUSTERS.csv are byte-identical to the output without the flag (same ids, same order); the
 * sites' incidents follow, sorted by time among themselves, with the next ids.
 *
 * Coordinates are written in GCJ-02 with 6 decimals, as a geocoder like Amap returns them; load
 * them with --srs gcj02. Every point is at least ~0.2 m inside its sub-district (checked on the
 * WGS84 point) so the GCJ-02 rounding cannot push it across a boundary. The clusters file is WGS84.
 *
 * Built standalone with only libm (Makefile), so it cannot link geo/chinacrs.c: the WGS84 -> GCJ-02
 * forward formula is repeated below (the published series; tests/integration/sample.sh checks that
 * the importer's inverse puts the points back where they were planted, and the traffic on the
 * roads). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

/* ---- random numbers: xoshiro256** with splitmix64 seeding ---- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_unif(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static int rng_int(rng *r, int n)
{
    return (int)(rng_unif(r) * n);
}

/* Standard normal by Box-Muller (both uniforms drawn every call: simple and reproducible). */
static double rng_normal(rng *r)
{
    double u1 = rng_unif(r), u2 = rng_unif(r);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * PI * u2);
}

/* Index drawn with probability proportional to w[i], i < n. */
static int rng_pick(rng *r, const double *w, int n)
{
    double total = 0.0;
    for (int i = 0; i < n; i++)
        total += w[i];
    double u = rng_unif(r) * total;
    for (int i = 0; i < n; i++) {
        if (u < w[i]) return i;
        u -= w[i];
    }
    return n - 1;
}

/* ---- WGS84 -> GCJ-02 (the published offset series; same as geo/chinacrs.c) ---- */

static double gcj_lat(double x, double y)
{
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * PI) + 20.0 * sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * sin(y * PI) + 40.0 * sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * PI) + 320.0 * sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double gcj_lon(double x, double y)
{
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * PI) + 20.0 * sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * sin(x * PI) + 40.0 * sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * PI) + 300.0 * sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
}

static void wgs84_to_gcj02(double lon, double lat, double *olon, double *olat)
{
    const double a = 6378245.0, ee = 0.00669342162296594323; /* Krasovsky 1940 */
    double dlat = gcj_lat(lon - 105.0, lat - 35.0), dlon = gcj_lon(lon - 105.0, lat - 35.0);
    double radlat = lat / 180.0 * PI, s = sin(radlat);
    double magic = 1.0 - ee * s * s, sqrtmagic = sqrt(magic);
    *olat = lat + (dlat * 180.0) / ((a * (1.0 - ee)) / (magic * sqrtmagic) * PI);
    *olon = lon + (dlon * 180.0) / (a / sqrtmagic * cos(radlat) * PI);
}

/* ---- areas: rings read from jinjiang_areas.txt, even-odd point-in-polygon ---- */

typedef struct ring {
    int n;
    double *x, *y;
} ring;

typedef struct area {
    char code[16];
    char name[64];
    long population;
    int is_district;
    ring *rings;
    int nrings;
    double minx, miny, maxx, maxy;
} area;

typedef struct areas {
    area *a;
    int n;
} areas;

static void areas_free(areas *as)
{
    for (int i = 0; i < as->n; i++) {
        for (int j = 0; j < as->a[i].nrings; j++) {
            free(as->a[i].rings[j].x);
            free(as->a[i].rings[j].y);
        }
        free(as->a[i].rings);
    }
    free(as->a);
}

static int fail_line(const char *path, long lineno, const char *what)
{
    fprintf(stderr, "gensample: %s:%ld: %s\n", path, lineno, what);
    return -1;
}

/* Reads the areas file; -1 with a message naming the line on error. */
static int areas_read(const char *path, areas *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "gensample: cannot open %s\n", path);
        return -1;
    }
    areas as = {NULL, 0};
    char line[512];
    long lineno = 0;
    int rc = 0;
    ring *cur = NULL;
    int filled = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (strncmp(line, "area ", 5) == 0) {
            if (cur != NULL && filled != cur->n) {
                rc = fail_line(path, lineno, "ring shorter than announced");
                break;
            }
            area *na = realloc(as.a, (size_t)(as.n + 1) * sizeof *na);
            if (na == NULL) {
                rc = fail_line(path, lineno, "out of memory");
                break;
            }
            as.a = na;
            area *a = &as.a[as.n++];
            memset(a, 0, sizeof *a);
            char level[32];
            if (sscanf(line, "area %15s %ld %31s %63s", a->code, &a->population, level, a->name) !=
                4) {
                rc = fail_line(path, lineno, "expected 'area CODE POPULATION LEVEL NAME'");
                break;
            }
            a->is_district = strcmp(level, "district") == 0;
            a->minx = a->miny = 1e300;
            a->maxx = a->maxy = -1e300;
            cur = NULL;
        } else if (strncmp(line, "ring ", 5) == 0) {
            if (as.n == 0 || (cur != NULL && filled != cur->n)) {
                rc = fail_line(path, lineno, "ring outside an area or previous ring short");
                break;
            }
            area *a = &as.a[as.n - 1];
            char *end;
            long n = strtol(line + 5, &end, 10);
            if (end == line + 5 || n < 4 || n > 1000000) {
                rc = fail_line(path, lineno, "bad ring size");
                break;
            }
            ring *nr = realloc(a->rings, (size_t)(a->nrings + 1) * sizeof *nr);
            if (nr == NULL) {
                rc = fail_line(path, lineno, "out of memory");
                break;
            }
            a->rings = nr;
            cur = &a->rings[a->nrings++];
            cur->n = (int)n;
            cur->x = malloc((size_t)n * sizeof(double));
            cur->y = malloc((size_t)n * sizeof(double));
            if (cur->x == NULL || cur->y == NULL) {
                rc = fail_line(path, lineno, "out of memory");
                break;
            }
            filled = 0;
        } else {
            char *e1, *e2;
            double x = strtod(line, &e1), y = strtod(e1, &e2);
            if (cur == NULL || filled >= cur->n || e1 == line || e2 == e1) {
                rc = fail_line(path, lineno, "unexpected coordinate line");
                break;
            }
            cur->x[filled] = x;
            cur->y[filled] = y;
            filled++;
            area *a = &as.a[as.n - 1];
            a->minx = fmin(a->minx, x);
            a->maxx = fmax(a->maxx, x);
            a->miny = fmin(a->miny, y);
            a->maxy = fmax(a->maxy, y);
        }
    }
    if (rc == 0 && cur != NULL && filled != cur->n)
        rc = fail_line(path, lineno, "last ring shorter than announced");
    if (rc == 0 && ferror(f)) rc = fail_line(path, lineno, "read error");
    fclose(f);
    if (rc == 0 && as.n < 2) {
        fprintf(stderr, "gensample: %s: need the district and its sub-districts\n", path);
        rc = -1;
    }
    if (rc != 0) {
        areas_free(&as);
        return -1;
    }
    *out = as;
    return 0;
}

/* Even-odd rule over all rings (parts and holes alike). */
static int area_contains(const area *a, double x, double y)
{
    if (x < a->minx || x > a->maxx || y < a->miny || y > a->maxy) return 0;
    int in = 0;
    for (int r = 0; r < a->nrings; r++) {
        const ring *g = &a->rings[r];
        for (int i = 0, j = g->n - 1; i < g->n; j = i++) {
            if ((g->y[i] > y) != (g->y[j] > y) &&
                x < g->x[j] + (y - g->y[j]) * (g->x[i] - g->x[j]) / (g->y[i] - g->y[j]))
                in = !in;
        }
    }
    return in;
}

/* Inside a, and so are four neighbours 2e-6 degrees (~0.2 m) away: the margin that keeps the
 * 6-decimal GCJ-02 output (rounding <= 0.5e-6 degrees) on the same side of every boundary. */
static int area_contains_margin(const area *a, double x, double y)
{
    const double m = 2e-6;
    return area_contains(a, x, y) && area_contains(a, x + m, y) && area_contains(a, x - m, y) &&
           area_contains(a, x, y + m) && area_contains(a, x, y - m);
}

/* ---- roads: edges read from jinjiang_roads.txt, nodes and their degrees ---- */

/* Metres per degree on the WGS84 ellipsoid at 30.6 N (meridian arc) and along a parallel at lat:
 * the local plane every distance below is measured in (errors well under 1 % over a district). */
#define M_PER_DEG_LAT 110850.0

static double m_per_deg_lon(double lat)
{
    return 111320.0 * cos(lat * PI / 180.0);
}

typedef struct edge {
    int a, b;     /* node indices of its two ends (a != b) */
    double len_m; /* straight length, metres */
} edge;

typedef struct node {
    long id;
    double x, y; /* WGS84 */
    int degree;  /* edge ends at the node: 1 dead end, 2 a bend, >= 3 a junction */
    int adj;     /* its edges are roads.adj[adj .. adj + degree - 1] */
} node;

/* The network, and per area the edges that may run through it (bounding boxes overlap) with their
 * cumulative lengths, for length-weighted draws by rejection (a point drawn on cand[] and kept
 * only when inside the area is uniform over the road length inside it). */
typedef struct roads {
    edge *e;
    int ne;
    node *nd;
    int nn;
    int *adj;            /* edge indices, grouped by node */
    int **cand;          /* per area */
    double **cum;        /* per area: cum[k] = length of cand[0..k] */
    int *ncand, *has_in; /* has_in: an end or the middle of a candidate lies inside the area */
} roads;

static void roads_free(roads *rd, int nareas)
{
    for (int i = 0; rd->cand != NULL && i < nareas; i++) {
        free(rd->cand[i]);
        free(rd->cum[i]);
    }
    free(rd->cand);
    free(rd->cum);
    free(rd->ncand);
    free(rd->has_in);
    free(rd->adj);
    free(rd->nd);
    free(rd->e);
}

static int cmp_long(const void *pa, const void *pb)
{
    long a = *(const long *)pa, b = *(const long *)pb;
    return (a > b) - (a < b);
}

static int node_find(const roads *rd, long id)
{
    int lo = 0, hi = rd->nn - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (rd->nd[mid].id == id) return mid;
        if (rd->nd[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Builds the nodes (sorted by id), degrees, adjacency and edge lengths from the edges' end ids
 * and coordinates; -1 when two ends of one node id disagree on its position. */
static int roads_index(const char *path, roads *rd, const long *uv, const double *xy)
{
    long *ids = malloc((size_t)rd->ne * 2 * sizeof *ids);
    if (ids == NULL) return fail_line(path, 0, "out of memory");
    memcpy(ids, uv, (size_t)rd->ne * 2 * sizeof *ids);
    qsort(ids, (size_t)rd->ne * 2, sizeof *ids, cmp_long);
    int nn = 0;
    for (int i = 0; i < rd->ne * 2; i++)
        if (i == 0 || ids[i] != ids[i - 1]) ids[nn++] = ids[i];
    rd->nd = calloc((size_t)nn, sizeof *rd->nd);
    rd->adj = malloc((size_t)rd->ne * 2 * sizeof *rd->adj);
    if (rd->nd == NULL || rd->adj == NULL) {
        free(ids);
        return fail_line(path, 0, "out of memory");
    }
    rd->nn = nn;
    for (int i = 0; i < nn; i++) {
        rd->nd[i].id = ids[i];
        rd->nd[i].x = NAN;
    }
    free(ids);
    for (int k = 0; k < rd->ne; k++) {
        edge *e = &rd->e[k];
        for (int end = 0; end < 2; end++) {
            int i = node_find(rd, uv[2 * k + end]);
            node *n = &rd->nd[i];
            double x = xy[4 * k + 2 * end], y = xy[4 * k + 2 * end + 1];
            if (isnan(n->x)) {
                n->x = x;
                n->y = y;
            } else if (n->x != x || n->y != y) {
                fprintf(stderr, "gensample: %s: node %ld has two positions\n", path, n->id);
                return -1;
            }
            n->degree++;
            if (end == 0)
                e->a = i;
            else
                e->b = i;
        }
        const node *na = &rd->nd[e->a], *nb = &rd->nd[e->b];
        e->len_m = hypot((nb->x - na->x) * m_per_deg_lon((na->y + nb->y) / 2.0),
                         (nb->y - na->y) * M_PER_DEG_LAT);
    }
    for (int i = 0, at = 0; i < nn; i++) {
        rd->nd[i].adj = at;
        at += rd->nd[i].degree;
        rd->nd[i].degree = 0; /* recounted while filling */
    }
    for (int k = 0; k < rd->ne; k++) {
        node *na = &rd->nd[rd->e[k].a], *nb = &rd->nd[rd->e[k].b];
        rd->adj[na->adj + na->degree++] = k;
        rd->adj[nb->adj + nb->degree++] = k;
    }
    return 0;
}

/* Per area, the candidate edges and their cumulative lengths (see roads). */
static int roads_areas(const char *path, roads *rd, const areas *as)
{
    rd->cand = calloc((size_t)as->n, sizeof *rd->cand);
    rd->cum = calloc((size_t)as->n, sizeof *rd->cum);
    rd->ncand = calloc((size_t)as->n, sizeof *rd->ncand);
    rd->has_in = calloc((size_t)as->n, sizeof *rd->has_in);
    if (rd->cand == NULL || rd->cum == NULL || rd->ncand == NULL || rd->has_in == NULL)
        return fail_line(path, 0, "out of memory");
    for (int i = 0; i < as->n; i++) {
        const area *a = &as->a[i];
        rd->cand[i] = malloc((size_t)rd->ne * sizeof *rd->cand[i]);
        rd->cum[i] = malloc((size_t)rd->ne * sizeof *rd->cum[i]);
        if (rd->cand[i] == NULL || rd->cum[i] == NULL) return fail_line(path, 0, "out of memory");
        double total = 0.0;
        for (int k = 0; k < rd->ne; k++) {
            const node *na = &rd->nd[rd->e[k].a], *nb = &rd->nd[rd->e[k].b];
            if (fmax(na->x, nb->x) < a->minx || fmin(na->x, nb->x) > a->maxx ||
                fmax(na->y, nb->y) < a->miny || fmin(na->y, nb->y) > a->maxy)
                continue;
            if (area_contains(a, na->x, na->y) || area_contains(a, nb->x, nb->y) ||
                area_contains(a, (na->x + nb->x) / 2.0, (na->y + nb->y) / 2.0))
                rd->has_in[i] = 1;
            total += rd->e[k].len_m;
            rd->cand[i][rd->ncand[i]] = k;
            rd->cum[i][rd->ncand[i]++] = total;
        }
    }
    return 0;
}

/* Reads the roads file ('u v lon1 lat1 lon2 lat2' a line, '#' comments) and indexes it for the
 * areas; -1 with a message naming the line on error. */
static int roads_read(const char *path, const areas *as, roads *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "gensample: cannot open %s\n", path);
        return -1;
    }
    roads rd;
    memset(&rd, 0, sizeof rd);
    long *uv = NULL;
    double *xy = NULL;
    int cap = 0, rc = 0;
    char line[256];
    long lineno = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (rd.ne == cap) {
            cap = cap ? 2 * cap : 4096;
            edge *ne = realloc(rd.e, (size_t)cap * sizeof *ne);
            if (ne != NULL) rd.e = ne;
            long *nuv = realloc(uv, (size_t)cap * 2 * sizeof *nuv);
            if (nuv != NULL) uv = nuv;
            double *nxy = realloc(xy, (size_t)cap * 4 * sizeof *nxy);
            if (nxy != NULL) xy = nxy;
            if (ne == NULL || nuv == NULL || nxy == NULL) {
                rc = fail_line(path, lineno, "out of memory");
                break;
            }
        }
        long *u = &uv[2 * rd.ne];
        double *p = &xy[4 * rd.ne];
        char extra;
        if (sscanf(line, "%ld %ld %lf %lf %lf %lf %c", &u[0], &u[1], &p[0], &p[1], &p[2], &p[3],
                   &extra) != 6) {
            rc = fail_line(path, lineno, "expected 'u v lon1 lat1 lon2 lat2'");
            break;
        }
        if (u[0] == u[1] || (p[0] == p[2] && p[1] == p[3])) {
            rc = fail_line(path, lineno, "edge of length 0");
            break;
        }
        rd.ne++;
    }
    if (rc == 0 && ferror(f)) rc = fail_line(path, lineno, "read error");
    fclose(f);
    if (rc == 0 && rd.ne == 0) {
        fprintf(stderr, "gensample: %s: no edges\n", path);
        rc = -1;
    }
    if (rc == 0) rc = roads_index(path, &rd, uv, xy);
    if (rc == 0) rc = roads_areas(path, &rd, as);
    free(uv);
    free(xy);
    if (rc != 0) {
        roads_free(&rd, as->n);
        return -1;
    }
    *out = rd;
    return 0;
}

/* The node of degree >= 3 nearest (x, y), or -1; only among those inside `within` (with margin)
 * when it is not NULL. */
static int nearest_junction(const roads *rd, const area *within, double x, double y)
{
    int best = -1;
    double bd = INFINITY, mx = m_per_deg_lon(y);
    for (int i = 0; i < rd->nn; i++) {
        const node *n = &rd->nd[i];
        if (n->degree < 3) continue;
        double d = hypot((n->x - x) * mx, (n->y - y) * M_PER_DEG_LAT);
        if (d < bd && (within == NULL || area_contains_margin(within, n->x, n->y))) {
            bd = d;
            best = i;
        }
    }
    return best;
}

/* The point at s metres along edge k from its end at node `from`, moved off the road by a normal
 * perpendicular GPS error (sigma GPS_SIGMA_M). */
#define GPS_SIGMA_M 5.0

static void road_point(rng *r, const roads *rd, int k, int from, double s, double *x, double *y)
{
    const edge *e = &rd->e[k];
    const node *n0 = &rd->nd[from], *n1 = &rd->nd[from == e->a ? e->b : e->a];
    double t = s / e->len_m, mx = m_per_deg_lon((n0->y + n1->y) / 2.0);
    double dx = (n1->x - n0->x) * mx, dy = (n1->y - n0->y) * M_PER_DEG_LAT;
    double off = GPS_SIGMA_M * rng_normal(r);
    *x = n0->x + t * (n1->x - n0->x) - off * dy / e->len_m / mx;
    *y = n0->y + t * (n1->y - n0->y) + off * dx / e->len_m / M_PER_DEG_LAT;
}

/* ---- the model ---- */

enum kind { K_BACKGROUND, K_JUNCTION, K_MARKET, K_ELDERLY, K_SCHOOL, K_CONSTRUCTION, K_COUNT };
static const char *const kind_names[K_COUNT] = {"background",       "junction", "market",
                                                "elderly_compound", "school",   "construction"};

enum mech {
    M_TRAFFIC,
    M_FALL,
    M_FIRE_BURN,
    M_VIOLENCE,
    M_SELF_HARM,
    M_POISONING,
    M_DROWNING,
    M_CRUSH,
    M_CUT_PIERCE,
    M_ANIMAL,
    M_ELECTRIC,
    M_OTHER,
    M_COUNT
};
static const char *const mech_names[M_COUNT] = {"traffic",    "fall",      "fire_burn", "violence",
                                                "self_harm",  "poisoning", "drowning",  "crush",
                                                "cut_pierce", "animal",    "electric",  "other"};

enum place { P_HOME, P_ROAD, P_SCHOOL, P_WORKPLACE, P_PUBLIC, P_OTHER, P_COUNT };
static const char *const place_names[P_COUNT] = {"home",      "road",   "school",
                                                 "workplace", "public", "other"};

enum sev { S_FATAL, S_SERIOUS, S_MINOR, S_NONE, S_COUNT };
static const char *const sev_names[S_COUNT] = {"fatal", "serious", "minor", "none"};

/* Mechanism mix per kind (percent). Background: falls and road traffic lead, as in Chinese
 * injury-surveillance reports (falls ~1/3, traffic ~1/4 of hospital-treated injuries), with dog
 * bites (animal) common. */
static const double mech_w[K_COUNT][M_COUNT] = {
    /*             traf fall fire viol self pois drown crush cut  anim elec other */
    [K_BACKGROUND] = {25, 35, 4, 6, 2, 3, 0.5, 4, 10, 5, 1, 4.5},
    [K_JUNCTION] = {92, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2},
    [K_MARKET] = {0, 55, 0, 4, 0, 0, 0, 5, 30, 2, 0, 4},
    [K_ELDERLY] = {0, 82, 5, 0, 0, 2, 0, 0, 4, 2, 0, 5},
    [K_SCHOOL] = {0, 65, 0, 8, 0, 0, 0, 5, 10, 2, 0, 10},
    [K_CONSTRUCTION] = {0, 38, 0, 0, 0, 0, 0, 45, 10, 0, 5, 2},
};

/* Place by mechanism for the background (percent over home, road, school, workplace, public,
 * other). */
static const double place_w[M_COUNT][P_COUNT] = {
    [M_TRAFFIC] = {0, 95, 0, 0, 5, 0},      [M_FALL] = {45, 10, 5, 8, 25, 7},
    [M_FIRE_BURN] = {80, 0, 0, 15, 3, 2},   [M_VIOLENCE] = {30, 10, 2, 3, 50, 5},
    [M_SELF_HARM] = {80, 2, 0, 0, 15, 3},   [M_POISONING] = {85, 0, 0, 5, 5, 5},
    [M_DROWNING] = {5, 0, 0, 0, 80, 15},    [M_CRUSH] = {20, 0, 0, 60, 20, 0},
    [M_CUT_PIERCE] = {50, 0, 2, 25, 15, 8}, [M_ANIMAL] = {40, 20, 0, 0, 40, 0},
    [M_ELECTRIC] = {40, 0, 0, 60, 0, 0},    [M_OTHER] = {30, 10, 5, 15, 30, 10},
};

/* Severity by mechanism (percent fatal, serious, minor, none). */
static const double sev_w[M_COUNT][S_COUNT] = {
    [M_TRAFFIC] = {1.2, 14, 70, 14.8},     [M_FALL] = {0.3, 10, 72, 17.7},
    [M_FIRE_BURN] = {1, 12, 75, 12},       [M_VIOLENCE] = {0.5, 10, 70, 19.5},
    [M_SELF_HARM] = {6, 30, 55, 9},        [M_POISONING] = {2, 15, 70, 13},
    [M_DROWNING] = {20, 30, 40, 10},       [M_CRUSH] = {1, 18, 70, 11},
    [M_CUT_PIERCE] = {0.05, 4, 80, 15.95}, [M_ANIMAL] = {0.01, 2, 80, 17.99},
    [M_ELECTRIC] = {3, 20, 65, 12},        [M_OTHER] = {0.2, 6, 74, 19.8},
};

/* Hour-of-day weights (local time, hour 0..23) per kind. */
static const double hour_w[K_COUNT][24] = {
    /* general activity: low at night, a late-morning and an evening plateau */
    [K_BACKGROUND] = {1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 4, 4.5, 4.5,
                      4, 3.5, 3.5, 3.8, 4.2, 4.8, 5,   4.8, 4,   3, 2,   1.5},
    /* traffic: the two commuting peaks */
    [K_JUNCTION] = {0.8, 0.5, 0.3, 0.2, 0.2, 0.5, 1.5, 5, 7,   5,   3.5, 3.5,
                    4,   3.5, 3.5, 4,   5,   7,   7.5, 5, 3.5, 2.5, 1.8, 1.2},
    /* morning market, smaller late-afternoon peak */
    [K_MARKET] = {0, 0,   0,   0, 0.2, 1,   4,   7, 8,   7, 6, 4,
                  2, 1.5, 1.5, 2, 3,   3.5, 2.5, 1, 0.3, 0, 0, 0},
    /* elderly: daytime, morning peak (errands, exercise), some at night (getting up) */
    [K_ELDERLY] = {0.6, 0.6, 0.6, 0.5, 0.6, 1, 3, 5,   6, 6,   5, 4,
                   3,   2.5, 3,   3.5, 4,   4, 3, 2.5, 2, 1.5, 1, 0.8},
    /* school hours, peaks at the breaks and PE */
    [K_SCHOOL] = {0, 0, 0, 0, 0, 0, 0, 1, 3, 5, 7, 4, 1, 1, 3, 6, 5, 2, 0.5, 0, 0, 0, 0, 0},
    /* construction: working day with a lunch dip */
    [K_CONSTRUCTION] = {0, 0, 0, 0, 0, 0, 0.5, 3, 6, 7, 7, 6, 2, 3, 6, 7, 7, 5, 2, 0.5, 0, 0, 0, 0},
};

/* Weekday weights, Monday first. */
static const double wday_w[K_COUNT][7] = {
    [K_BACKGROUND] = {1, 1, 1, 1, 1.05, 1.1, 1.05},
    [K_JUNCTION] = {1.1, 1.05, 1.05, 1.05, 1.15, 0.8, 0.7},
    [K_MARKET] = {0.9, 0.9, 0.9, 0.9, 1, 1.3, 1.3},
    [K_ELDERLY] = {1, 1, 1, 1, 1, 1, 1},
    [K_SCHOOL] = {1, 1, 1, 1, 1, 0, 0},
    [K_CONSTRUCTION] = {1, 1, 1, 1, 1, 0.9, 0.4},
};

typedef struct cluster {
    enum kind kind;
    const char *name;
    double lon, lat; /* WGS84 */
    double radius_m;
    int n;
    const char *notes;
} cluster;

/* The planted clusters (WGS84 centres; names are illustrative, positions roughly real). */
static const cluster clusters[] = {
    {K_JUNCTION, "春熙路/红星路口", 104.0822, 30.6578, 60, 1500, "busy junction: traffic"},
    {K_JUNCTION, "牛市口路口", 104.1040, 30.6455, 60, 1800,
     "INTERVENTION 2013-07-01: rate after is 40% of before (-60%)"},
    {K_JUNCTION, "东大街(水井坊段)", 104.0905, 30.6520, 60, 1000, "busy junction: traffic"},
    {K_JUNCTION, "成龙大道/三环路口", 104.1440, 30.5960, 60, 1200, "busy junction: traffic"},
    {K_MARKET, "牛王庙农贸市场", 104.0985, 30.6440, 80, 700, "market: falls and cuts; mornings"},
    {K_MARKET, "莲新农贸市场", 104.1080, 30.6235, 80, 700, "market: falls and cuts; mornings"},
    {K_MARKET, "东光农贸市场", 104.0920, 30.6195, 80, 700, "market: falls and cuts; mornings"},
    {K_ELDERLY, "东光老旧小区", 104.0950, 30.6240, 150, 900, "old compound: falls at 65+"},
    {K_ELDERLY, "水井坊老院落", 104.0930, 30.6485, 150, 900, "old compound: falls at 65+"},
    {K_ELDERLY, "沙河老宿舍区", 104.1170, 30.6150, 150, 900, "old compound: falls at 65+"},
    {K_SCHOOL, "督院街片区中学", 104.0725, 30.6545, 80, 500,
     "school: falls at 6-15; school days and hours"},
    {K_SCHOOL, "莲新片区小学", 104.1020, 30.6290, 80, 500,
     "school: falls at 6-15; school days and hours"},
    {K_SCHOOL, "狮子山片区学校", 104.1280, 30.6080, 80, 500,
     "school: falls at 6-15; school days and hours"},
    {K_CONSTRUCTION, "三圣片区工地", 104.1350, 30.5800, 100, 400,
     "construction: crush and falls; men 20-59 at work"},
    {K_CONSTRUCTION, "柳江片区工地", 104.1150, 30.5600, 100, 400,
     "construction: crush and falls; men 20-59 at work"},
    {K_CONSTRUCTION, "成龙路片区工地", 104.1500, 30.5850, 100, 400,
     "construction: crush and falls; men 20-59 at work"},
};
#define N_CLUSTERS ((int)(sizeof clusters / sizeof clusters[0]))
#define N_BACKGROUND 42000
#define INTERVENTION_CLUSTER 1
#define INTERVENTION_FACTOR 0.4

/* The planted temporal sites (--temporal): a cluster whose rate follows a time profile: zero
 * outside the months y0-m0..y1-m1, inside them linear from rate0 (expected incidents a month in
 * the first month) to rate1 (in the last). The day of each incident is drawn as for the other
 * clusters and accepted with the further weight rate(day) / max(rate0, rate1) (rejection
 * sampling, like the intervention). c.n is the sum of the monthly rates. Centres are at least
 * 800 m from every planted cluster above and from every cell with an emerging pattern in the
 * default sample (default cell 201 m, band 402 m; checked on the sample before its traffic was put
 * on the roads), and 150 m inside their sub-district. C17, a junction, is then moved 412 m onto
 * the nearest junction node like the planted junctions: 1.4 km from every planted cluster and
 * 330 m inside its sub-district there. */
typedef struct tprofile {
    int y0, m0, y1, m1;
    double rate0, rate1;
} tprofile;

typedef struct tsite {
    cluster c;
    tprofile p;
} tsite;

static const tsite tsites[] = {
    /* new: nothing before 2014-01, then ~25 a month for 12 months (12 x 25 = 300) */
    {{K_JUNCTION, "双桂路新开路口", 104.1240, 30.6300, 70, 300,
      "TEMPORAL new: none before 2014-01-01 then ~25/month to 2014-12 (a road opened 2014-01)"},
     {2014, 1, 2014, 12, 25, 25}},
    /* grows: all 36 months, ~12 a month rising linearly to ~60 (36 x mean 36 = 1296) */
    {{K_MARKET, "龙舟路夜市", 104.0925, 30.6345, 70, 1296,
      "TEMPORAL grows: 2012-01..2014-12 rate rising linearly from ~12 to ~60 per month"},
     {2012, 1, 2014, 12, 12, 60}},
    /* stops: ~40 a month for 34 months, then nothing (34 x 40 = 1360). It stops after 2014-10,
     * not 2014-08: historical hot needs hot bins in >= 90 % of the 36 steps (33) and a final step
     * that is not hot; 32 active months (+ the time-lag step after them) would sit on that edge
     * and fall to no pattern, while 34 (35) leave a margin and the last step still has nothing
     * in it or in its lag step. */
    {{K_CONSTRUCTION, "沙河片区工地(已完工)", 104.1290, 30.6185, 70, 1360,
      "TEMPORAL stops: ~40/month 2012-01..2014-10 then none (site finished 2014-10-31)"},
     {2012, 1, 2014, 10, 40, 40}},
};
#define N_TSITES ((int)(sizeof tsites / sizeof tsites[0]))

/* The planted project sites (--intervention FILE): two busy junctions of constant rate, each
 * the site of a safety-promotion project started on 2014-01-01 (PROGRAMME.md, "Evaluation").
 * At the first the intervention works: from the start the rate is `factor` (0.5) of what it was
 * (rejection sampling as for the 牛市口 intervention: c.n = 24 months x 20 + 12 x 10 = 600);
 * at the second nothing changes (36 x 20 = 720). FILE lists them with their true effect (the
 * rate ratio after/before). Their centres are >= 0.8 km from every planted cluster and temporal
 * site, and are moved onto the nearest junction node like the other junctions. */
typedef struct psite {
    cluster c;
    int y, m, d;   /* start of the project */
    double factor; /* rate after the start / rate before: the true effect */
} psite;

static const psite psites[] = {
    {{K_JUNCTION, "项目路口A(已治理)", 104.1120, 30.6380, 60, 600,
      "PROJECT effect: ~20/month then ~10/month from 2014-01-01 (rate halved)"},
     2014, 1, 1, 0.5},
    {{K_JUNCTION, "项目路口B(无效果)", 104.1050, 30.5900, 60, 720,
      "PROJECT no effect: ~20/month throughout; project started 2014-01-01"},
     2014, 1, 1, 1.0},
};
#define N_PSITES ((int)(sizeof psites / sizeof psites[0]))

/* Configuration read once in main(): whether the temporal sites come before the project sites in
 * the cluster numbering. */
static int with_temporal;

/* The project site of cluster cl, or NULL. */
static const psite *psite_at(int cl)
{
    int e = cl - N_CLUSTERS - (with_temporal ? N_TSITES : 0);
    return cl >= N_CLUSTERS && e >= 0 ? &psites[e] : NULL;
}

/* Cluster cl: the planted clusters, then (cl >= N_CLUSTERS) the temporal sites (--temporal),
 * then the project sites (--intervention). */
static const cluster *cluster_at(int cl)
{
    if (cl < N_CLUSTERS) return &clusters[cl];
    const psite *ps = psite_at(cl);
    return ps ? &ps->c : &tsites[cl - N_CLUSTERS].c;
}

/* Short Chinese descriptions by mechanism, and for a cluster kind's dominant mechanism. No ASCII
 * commas or quotes, so the CSV needs no quoting. */
static const char *const desc_mech[M_COUNT][3] = {
    [M_TRAFFIC] = {"骑电动车与汽车相撞", "行人被车辆撞倒", "两车追尾"},
    [M_FALL] = {"摔倒", "下楼梯时摔倒", "绊倒"},
    [M_FIRE_BURN] = {"做饭时被热油烫伤", "热水烫伤", "燃气灶起火烧伤"},
    [M_VIOLENCE] = {"与人发生争执被打伤", "纠纷中被推倒受伤", "被人用器械打伤"},
    [M_SELF_HARM] = {"自伤", "割腕自伤", "服药自伤"},
    [M_POISONING] = {"误服药物", "一氧化碳中毒", "食用不洁食物中毒"},
    [M_DROWNING] = {"在河边落水", "府河游泳溺水", "沙河落水"},
    [M_CRUSH] = {"被重物砸伤", "手被门夹伤", "被倒下的货架压伤"},
    [M_CUT_PIERCE] = {"切菜时割伤手指", "被玻璃划伤", "被铁钉扎伤"},
    [M_ANIMAL] = {"被狗咬伤", "被猫抓伤", "被宠物狗咬伤"},
    [M_ELECTRIC] = {"维修电器时触电", "接触裸露电线触电", "漏电触电"},
    [M_OTHER] = {"运动时扭伤", "异物入眼", "其他意外伤害"},
};
static const char *const desc_kind[K_COUNT][3] = {
    [K_JUNCTION] = {"路口机动车与电动自行车相撞", "过马路时被转弯车辆撞倒", "路口两车相撞"},
    [K_MARKET] = {"菜市场地面湿滑摔倒", "市场内被货物绊倒", "雨天市场台阶滑倒"},
    [K_ELDERLY] = {"老人在家中浴室滑倒", "老人在家中起夜摔倒", "老人在小区院内绊倒"},
    [K_SCHOOL] = {"课间追逐摔倒", "体育课上摔伤", "上下楼梯拥挤摔倒"},
    [K_CONSTRUCTION] = {"被吊装物砸伤", "被倒塌的模板压伤", "被建材砸伤"},
};

/* Background falls are described by where they happened. */
static const char *const desc_fall_place[P_COUNT] = {"在家中滑倒", "路面不平绊倒",   "在学校摔倒",
                                                     "工作时摔倒", "在商场台阶摔倒", "摔倒"};

/* ---- civil dates (Hinnant's days_from_civil / civil_from_days) ---- */

static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Chinese school holidays (approximate): 20 Jan - 20 Feb and 10 Jul - 31 Aug. */
static int school_holiday(long day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    int md = m * 100 + d;
    return (md >= 120 && md <= 220) || (md >= 710 && md <= 831);
}

typedef struct incident {
    long t;          /* minutes since 1970-01-01 00:00 local (Asia/Shanghai) */
    int order;       /* generation order: the tie-break that keeps the sort deterministic */
    double lon, lat; /* GCJ-02, rounded to 6 decimals */
    int mech, place, intent, sev, victims, age, male, disability;
    const char *desc;
} incident;

static int cmp_incident(const void *pa, const void *pb)
{
    const incident *a = pa, *b = pb;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

enum { AGE_GENERAL, AGE_TRAFFIC, AGE_ELDERLY, AGE_CHILD, AGE_WORKER };

static int draw_age(rng *r, int profile)
{
    switch (profile) {
    case AGE_ELDERLY: {
        int a = 65 + (int)(-12.0 * log(1.0 - rng_unif(r)));
        return a > 99 ? 99 : a;
    }
    case AGE_CHILD:
        return 6 + rng_int(r, 10);
    case AGE_WORKER:
        return 20 + rng_int(r, 40);
    default: {
        /* Age bands 0-4, 5-14, 15-24, 25-44, 45-64, 65-84, 85-94. */
        static const int lo[7] = {0, 5, 15, 25, 45, 65, 85}, span[7] = {5, 10, 10, 20, 20, 20, 10};
        static const double gen[7] = {5, 9, 12, 32, 27, 13, 2}, traf[7] = {2, 5, 15, 40, 28, 9, 1};
        int b = rng_pick(r, profile == AGE_TRAFFIC ? traf : gen, 7);
        return lo[b] + rng_int(r, span[b]);
    }
    }
}

/* The kind's most frequent mechanism (the one its own descriptions are written for). */
static int dominant_mech(enum kind k)
{
    int best = 0;
    for (int m = 1; m < M_COUNT; m++)
        if (mech_w[k][m] > mech_w[k][best]) best = m;
    return best;
}

/* The temporal site's acceptance weight on day (1 for the other clusters and the background):
 * its rate that day over its largest rate, linear between the first day of its first month and
 * the last day of its last, 0 outside. */
static double time_weight(int cl, long day)
{
    if (cl < N_CLUSTERS) return 1.0;
    const psite *ps = psite_at(cl);
    if (ps) return day >= days_from_civil(ps->y, ps->m, ps->d) ? ps->factor : 1.0;
    const tprofile *s = &tsites[cl - N_CLUSTERS].p;
    long a = days_from_civil(s->y0, s->m0, 1);
    long b = days_from_civil(s->y1 + (s->m1 == 12), s->m1 % 12 + 1, 1) - 1; /* last day */
    if (day < a || day > b) return 0.0;
    double f = b > a ? (double)(day - a) / (double)(b - a) : 0.0;
    return (s->rate0 + f * (s->rate1 - s->rate0)) / fmax(s->rate0, s->rate1);
}

/* Draws everything but the location for one incident of the given kind and cluster (-1 for
 * background). */
static void draw_attributes(rng *r, enum kind k, int cl, long day0, long ndays, incident *inc)
{
    /* Day: uniform, accepted with the weekday (and holiday, and intervention) weight. */
    long day;
    for (;;) {
        day = day0 + rng_int(r, (int)ndays);
        int wd = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday; Monday = 0 */
        double w = wday_w[k][wd] / 1.3;
        if (k == K_SCHOOL && school_holiday(day)) w = 0.0;
        if (cl == INTERVENTION_CLUSTER && day >= days_from_civil(2013, 7, 1))
            w *= INTERVENTION_FACTOR;
        if (cl >= N_CLUSTERS) w *= time_weight(cl, day);
        if (rng_unif(r) < w) break;
    }
    int hour = rng_pick(r, hour_w[k], 24);
    inc->t = day * 1440 + hour * 60 + rng_int(r, 60);

    int m = rng_pick(r, mech_w[k], M_COUNT);
    inc->mech = m;
    switch (k) {
    case K_JUNCTION:
        inc->place = m == M_TRAFFIC ? P_ROAD : (rng_unif(r) < 0.5 ? P_ROAD : P_PUBLIC);
        break;
    case K_MARKET:
        inc->place = P_PUBLIC;
        break;
    case K_ELDERLY:
        inc->place = rng_unif(r) < 0.7 ? P_HOME : P_PUBLIC;
        break;
    case K_SCHOOL:
        inc->place = P_SCHOOL;
        break;
    case K_CONSTRUCTION:
        inc->place = P_WORKPLACE;
        break;
    default:
        inc->place = rng_pick(r, place_w[m], P_COUNT);
        break;
    }

    /* Intent follows the mechanism (ICECI: assault and self-harm are intents, not mechanisms). */
    double u = rng_unif(r);
    if (m == M_VIOLENCE)
        inc->intent = u < 0.95 ? 1 : 3;
    else if (m == M_SELF_HARM)
        inc->intent = u < 0.9 ? 2 : 3;
    else if (m == M_POISONING)
        inc->intent = u < 0.8 ? 0 : (u < 0.95 ? 2 : 3);
    else
        inc->intent = u < 0.98 ? 0 : 3;

    /* Age and sex profiles. */
    int profile = AGE_GENERAL;
    double p_male = 0.55;
    if (k == K_ELDERLY || (k == K_BACKGROUND && m == M_FALL && rng_unif(r) < 0.35)) {
        profile = AGE_ELDERLY;
        p_male = 0.4;
    } else if (k == K_SCHOOL || (k == K_BACKGROUND && m == M_FALL && rng_unif(r) < 0.2)) {
        profile = AGE_CHILD;
        p_male = 0.6;
    } else if (k == K_CONSTRUCTION) {
        profile = AGE_WORKER;
        p_male = 0.97;
    } else if (m == M_TRAFFIC) {
        profile = AGE_TRAFFIC;
        p_male = 0.62;
    } else if (m == M_VIOLENCE) {
        p_male = 0.75;
    }
    inc->age = draw_age(r, profile);
    inc->male = rng_unif(r) < p_male;
    inc->disability = rng_unif(r) < (profile == AGE_ELDERLY ? 0.06 : 0.025);

    /* Severity: the mechanism's mix, older fallers fare worse and children better. */
    double sw[S_COUNT];
    memcpy(sw, sev_w[m], sizeof sw);
    if (m == M_FALL && profile == AGE_ELDERLY) {
        sw[S_FATAL] = 0.8;
        sw[S_SERIOUS] = 18;
    } else if (m == M_FALL && profile == AGE_CHILD) {
        sw[S_FATAL] = 0.05;
        sw[S_SERIOUS] = 4;
    }
    inc->sev = rng_pick(r, sw, S_COUNT);

    double v = rng_unif(r);
    if (m == M_TRAFFIC)
        inc->victims = v < 0.85 ? 1 : v < 0.96 ? 2 : v < 0.99 ? 3 : 4;
    else if (m == M_FIRE_BURN || m == M_VIOLENCE)
        inc->victims = v < 0.87 ? 1 : v < 0.97 ? 2 : 3;
    else
        inc->victims = v < 0.98 ? 1 : 2;

    int which = rng_int(r, 3);
    if (k != K_BACKGROUND && m == dominant_mech(k)) {
        if (k == K_ELDERLY) /* the first two happen at home, the third in the compound */
            which = inc->place == P_HOME ? which % 2 : 2;
        inc->desc = desc_kind[k][which];
    } else if (m == M_FALL && rng_unif(r) < 0.7) {
        inc->desc = desc_fall_place[inc->place];
    } else {
        inc->desc = desc_mech[m][which];
    }
}

/* A planted cluster as placed: a junction's centre moved onto the nearest junction node. */
typedef struct site {
    cluster c;
    int node; /* the junction's index in roads.nd; -1 unless kind K_JUNCTION */
} site;

/* The sub-district holding (x, y) with margin, or -1. */
static int subdistrict_at(const areas *as, double x, double y)
{
    for (int i = 0; i < as->n; i++)
        if (!as->a[i].is_district && area_contains_margin(&as->a[i], x, y)) return i;
    return -1;
}

/* A point on the roads meeting at junction node j: one of its edges (each equally likely), s
 * metres along the road from j with s = |N(0, radius / 2)| truncated at the radius (the road
 * analogue of the planar clusters), on through bends (degree-2 nodes) and redrawn past a dead end
 * or another junction; then the GPS error. Kept only when j is still the junction nearest the
 * point, so that a network screening assigns it to j. */
static void junction_road_point(rng *r, const roads *rd, int j, double radius, double *x, double *y)
{
    for (;;) {
        const node *nj = &rd->nd[j];
        int k = rd->adj[nj->adj + rng_int(r, nj->degree)], from = j;
        double s = radius / 2.0 * fabs(rng_normal(r));
        if (s > radius) continue;
        while (s > rd->e[k].len_m) {
            int to = rd->e[k].a == from ? rd->e[k].b : rd->e[k].a;
            if (rd->nd[to].degree != 2) break;
            s -= rd->e[k].len_m;
            const int *at = &rd->adj[rd->nd[to].adj];
            k = at[0] == k ? at[1] : at[0];
            from = to;
        }
        if (s > rd->e[k].len_m) continue;
        road_point(r, rd, k, from, s, x, y);
        if (nearest_junction(rd, NULL, *x, *y) == j) return;
    }
}

/* A length-weighted point on the roads of area i (has_in[i]), with the GPS error; the caller
 * keeps it only inside the area. */
static void area_road_point(rng *r, const roads *rd, int i, double *x, double *y)
{
    const double *cum = rd->cum[i];
    double u = rng_unif(r) * cum[rd->ncand[i] - 1];
    int lo = 0, hi = rd->ncand[i] - 1; /* the first candidate whose cumulative length exceeds u */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    int k = rd->cand[i][lo];
    road_point(r, rd, k, rd->e[k].a, u - (lo > 0 ? cum[lo - 1] : 0.0), x, y);
}

/* A WGS84 point for the incident: inside the sub-district it lands in (with margin). Returns the
 * sub-district index. Background (st NULL): a sub-district by population, then uniform inside
 * it, or for traffic a length-weighted point on its roads (uniform when it has none). Cluster:
 * truncated 2-D normal around the centre, or for the traffic of a junction a point on the roads
 * meeting there (junction_road_point). */
static int draw_location(rng *r, const areas *as, const double *popw, const roads *rd,
                         const site *st, int traffic, double *lon, double *lat)
{
    int sd = st == NULL ? rng_pick(r, popw, as->n) : -1;
    for (;;) {
        double x, y;
        if (st == NULL) {
            const area *a = &as->a[sd];
            if (traffic && rd->has_in[sd]) {
                area_road_point(r, rd, sd, &x, &y);
            } else {
                x = a->minx + rng_unif(r) * (a->maxx - a->minx);
                y = a->miny + rng_unif(r) * (a->maxy - a->miny);
            }
            if (!area_contains_margin(a, x, y)) continue;
        } else {
            const cluster *c = &st->c;
            if (traffic && st->node >= 0) {
                junction_road_point(r, rd, st->node, c->radius_m, &x, &y);
            } else {
                double sx = c->radius_m / 2.0 * rng_normal(r);
                double sy = c->radius_m / 2.0 * rng_normal(r);
                if (hypot(sx, sy) > c->radius_m) continue;
                y = c->lat + sy / M_PER_DEG_LAT;
                x = c->lon + sx / m_per_deg_lon(c->lat);
            }
            sd = subdistrict_at(as, x, y);
            if (sd < 0) continue;
        }
        if (!area_contains_margin(&as->a[0], x, y)) continue;
        *lon = x;
        *lat = y;
        return sd;
    }
}

/* The planted clusters as placed (ncl of them): each junction moved to the nearest junction node
 * inside the district; -1 when there is none, or when another junction node has its position. */
static int place_sites(const roads *rd, const areas *as, int ncl, site *out)
{
    for (int i = 0; i < ncl; i++) {
        site *st = &out[i];
        st->c = *cluster_at(i);
        st->node = -1;
        if (st->c.kind != K_JUNCTION) continue;
        int j = nearest_junction(rd, &as->a[0], st->c.lon, st->c.lat);
        if (j < 0 || nearest_junction(rd, NULL, rd->nd[j].x, rd->nd[j].y) != j) {
            fprintf(stderr, "gensample: no junction node for %s\n", st->c.name);
            return -1;
        }
        const node *n = &rd->nd[j];
        fprintf(stderr,
                "gensample: C%02d %s: junction node %ld (degree %d), %.0f m from %.4f %.4f\n",
                i + 1, st->c.name, n->id, n->degree,
                hypot((n->x - st->c.lon) * m_per_deg_lon(st->c.lat),
                      (n->y - st->c.lat) * M_PER_DEG_LAT),
                st->c.lon, st->c.lat);
        st->c.lon = n->x;
        st->c.lat = n->y;
        st->node = j;
    }
    return 0;
}

static int write_clusters(const char *path, const site *sites, const int *counts, int ncl)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "gensample: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "id,kind,name,lon,lat,radius_m,mechanism,n_incidents,notes\n");
    for (int i = 0; i < ncl; i++) {
        const cluster *c = &sites[i].c;
        fprintf(f, "C%02d,%s,%s,%.6f,%.6f,%.0f,%s,%d,%s\n", i + 1, kind_names[c->kind], c->name,
                c->lon, c->lat, c->radius_m, mech_names[dominant_mech(c->kind)], counts[i],
                c->notes);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "gensample: error writing %s\n", path);
        return -1;
    }
    return 0;
}

/* The planted projects (--intervention FILE): site, junction centre as placed, start, truth. */
static int write_projects(const char *path, const site *sites, int first)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "gensample: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "id,name,lon,lat,start,true_rate_ratio,notes\n");
    for (int i = 0; i < N_PSITES; i++) {
        const psite *p = &psites[i];
        const cluster *c = &sites[first + i].c;
        fprintf(f, "P%d,%s,%.6f,%.6f,%04d-%02d-%02d,%.2f,%s\n", i + 1, c->name, c->lon, c->lat,
                p->y, p->m, p->d, p->factor, c->notes);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "gensample: error writing %s\n", path);
        return -1;
    }
    return 0;
}

static int write_incidents(const char *path, const incident *v, int n)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "gensample: cannot write %s\n", path);
        return -1;
    }
    static const char *const intents[4] = {"unintentional", "assault", "self_harm", "undetermined"};
    fprintf(f, "id,occurred_at,lon,lat,mechanism,place,intent,severity,victims,age,sex,"
               "disability,description\n");
    for (int i = 0; i < n; i++) {
        const incident *e = &v[i];
        int y, mo, d;
        civil_from_days(e->t / 1440, &y, &mo, &d);
        int minute_of_day = (int)(e->t % 1440);
        fprintf(f,
                "JJ%07d,%04d-%02d-%02dT%02d:%02d:00+08:00,%.6f,%.6f,%s,%s,%s,%s,%d,%d,%s,%d,%s\n",
                i + 1, y, mo, d, minute_of_day / 60, minute_of_day % 60, e->lon, e->lat,
                mech_names[e->mech], place_names[e->place], intents[e->intent], sev_names[e->sev],
                e->victims, e->age, e->male ? "male" : "female", e->disability, e->desc);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "gensample: error writing %s\n", path);
        return -1;
    }
    return 0;
}

/* Proportions of what was generated, to stderr (reported in data/README.md). */
static void print_summary(const incident *v, int n, const areas *as, const int *per_area)
{
    int mech[M_COUNT] = {0}, sev[S_COUNT] = {0}, place[P_COUNT] = {0}, dis = 0, male = 0, v1 = 0;
    int a65 = 0, a14 = 0;
    for (int i = 0; i < n; i++) {
        mech[v[i].mech]++;
        sev[v[i].sev]++;
        place[v[i].place]++;
        dis += v[i].disability;
        male += v[i].male;
        v1 += v[i].victims == 1;
        a65 += v[i].age >= 65;
        a14 += v[i].age <= 14;
    }
    fprintf(stderr, "gensample: %d incidents\n  mechanism:", n);
    for (int m = 0; m < M_COUNT; m++)
        fprintf(stderr, " %s %.1f%%", mech_names[m], 100.0 * mech[m] / n);
    fprintf(stderr, "\n  severity:");
    for (int s = 0; s < S_COUNT; s++)
        fprintf(stderr, " %s %.2f%%", sev_names[s], 100.0 * sev[s] / n);
    fprintf(stderr, "\n  place:");
    for (int p = 0; p < P_COUNT; p++)
        fprintf(stderr, " %s %.1f%%", place_names[p], 100.0 * place[p] / n);
    fprintf(stderr,
            "\n  male %.1f%%, age 65+ %.1f%%, age 0-14 %.1f%%, disability %.1f%%, "
            "one victim %.1f%%\n  per area:",
            100.0 * male / n, 100.0 * a65 / n, 100.0 * a14 / n, 100.0 * dis / n, 100.0 * v1 / n);
    for (int i = 0; i < as->n; i++)
        if (!as->a[i].is_district) fprintf(stderr, " %s %d", as->a[i].name, per_area[i]);
    fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
    int temporal = 0, bad = argc < 6;
    const char *projects = NULL;
    for (int i = 6; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--temporal") == 0 && !temporal)
            temporal = 1;
        else if (strcmp(argv[i], "--intervention") == 0 && !projects && i + 1 < argc)
            projects = argv[++i];
        else
            bad = 1;
    }
    if (bad) {
        fprintf(stderr,
                "usage: gensample AREAS.txt ROADS.txt SEED INCIDENTS.csv CLUSTERS.csv [--temporal]"
                " [--intervention PROJECTS.csv]\n"
                "  e.g. gensample data/jinjiang_areas.txt data/jinjiang_roads.txt 20141231 "
                "data/incidents_2012_2014.csv data/planted_clusters.csv\n"
                "  --temporal appends the three planted temporal sites (tools/gensample.c)\n"
                "  --intervention appends the two planted project sites and lists them in "
                "PROJECTS.csv\n");
        return 2;
    }
    with_temporal = temporal;
    char *end;
    unsigned long long seed = strtoull(argv[3], &end, 10);
    if (end == argv[3] || *end != '\0') {
        fprintf(stderr, "gensample: SEED must be a non-negative integer, got '%s'\n", argv[3]);
        return 2;
    }
    areas as;
    if (areas_read(argv[1], &as) != 0) return 1;
    if (!as.a[0].is_district) {
        fprintf(stderr, "gensample: %s: the first area must be the district\n", argv[1]);
        areas_free(&as);
        return 1;
    }
    roads rd;
    if (roads_read(argv[2], &as, &rd) != 0) {
        areas_free(&as);
        return 1;
    }
    for (int i = 0; i < as.n; i++)
        if (!as.a[i].is_district && !rd.has_in[i])
            fprintf(stderr, "gensample: no road in %s: its traffic is placed uniformly\n",
                    as.a[i].name);
    site sites[N_CLUSTERS + N_TSITES + N_PSITES];
    double *popw = calloc((size_t)as.n, sizeof *popw);
    int *per_area = calloc((size_t)as.n, sizeof *per_area);
    int total = N_BACKGROUND;
    for (int i = 0; i < N_CLUSTERS; i++)
        total += clusters[i].n;
    int base = total, ncl = N_CLUSTERS + (temporal ? N_TSITES : 0) + (projects ? N_PSITES : 0);
    for (int i = N_CLUSTERS; i < ncl; i++)
        total += cluster_at(i)->n;
    incident *v = calloc((size_t)total, sizeof *v);
    if (popw == NULL || per_area == NULL || v == NULL || place_sites(&rd, &as, ncl, sites) != 0) {
        if (popw == NULL || per_area == NULL || v == NULL)
            fprintf(stderr, "gensample: out of memory\n");
        free(popw);
        free(per_area);
        free(v);
        roads_free(&rd, as.n);
        areas_free(&as);
        return 1;
    }
    for (int i = 0; i < as.n; i++)
        popw[i] = as.a[i].is_district ? 0.0 : (double)as.a[i].population;

    rng r;
    rng_seed(&r, seed);
    long day0 = days_from_civil(2012, 1, 1), ndays = days_from_civil(2015, 1, 1) - day0;
    int counts[N_CLUSTERS + N_TSITES + N_PSITES];
    int k = 0;
    for (int cl = -1; cl < ncl; cl++) {
        int n = cl < 0 ? N_BACKGROUND : sites[cl].c.n;
        enum kind kind = cl < 0 ? K_BACKGROUND : sites[cl].c.kind;
        for (int j = 0; j < n; j++, k++) {
            incident *e = &v[k];
            double lon, lat, glon, glat;
            /* The attributes first: where a traffic incident happens depends on its mechanism. */
            draw_attributes(&r, kind, cl, day0, ndays, e);
            per_area[draw_location(&r, &as, popw, &rd, cl < 0 ? NULL : &sites[cl],
                                   e->mech == M_TRAFFIC, &lon, &lat)]++;
            wgs84_to_gcj02(lon, lat, &glon, &glat);
            e->lon = round(glon * 1e6) / 1e6;
            e->lat = round(glat * 1e6) / 1e6;
            e->order = k;
        }
        if (cl >= 0) counts[cl] = n;
    }
    /* The temporal sites' incidents are sorted apart and follow the others, whose ids stay. */
    qsort(v, (size_t)base, sizeof *v, cmp_incident);
    qsort(v + base, (size_t)(total - base), sizeof *v, cmp_incident);
    int rc =
        write_incidents(argv[4], v, total) == 0 && write_clusters(argv[5], sites, counts, ncl) == 0
            ? 0
            : 1;
    if (rc == 0 && projects && write_projects(projects, sites, ncl - N_PSITES) != 0) rc = 1;
    if (rc == 0) print_summary(v, total, &as, per_area);
    free(v);
    free(per_area);
    free(popw);
    roads_free(&rd, as.n);
    areas_free(&as);
    return rc;
}

/* screen.h - network screening of a road network: junctions and road sections ranked by the
 * Empirical Bayes excess expected crashes, EPDO score or count, with the sliding window and a rule
 * screen for 事故多发点段 (crash-prone spots and stretches).
 *
 * Sites and assignment: roadsites.h. Per site, over the filtered incidents (default filter:
 * mechanism traffic unless the filter names mechanisms):
 *   count, counts by severity, EPDO score = sum of filter_weight() in score mode (the shared
 *     severity weights, filter.h);
 *   crash rate where the volume is known (roadsites.h): sections, crashes per million vehicle-km
 *     = N / (AADT * 365.25 * years * length_km / 1e6); junctions, crashes per million entering
 *     vehicles = N / (entering per day * 365.25 * years / 1e6); NaN otherwise;
 *   N_pred from a safety performance function (SPF) over the study period (incset_study_period;
 *     years), and the EB estimate (ebayes.h: w = 1/(1 + k N_pred), N_exp = w N_pred + (1 - w)
 *     N_obs, excess = N_exp - N_pred).
 *
 * SPFs (HSM 1st ed. part C; nb2.h), per year, L the length in kilometres:
 *   sections   ln mu = a + b ln(L) + c_class      junctions   ln mu = a + b ln(degree)
 * with N_pred = mu * years (the fit's offset ln(years)). Fitted by default (nb2_fit) on the
 * network's own sites with their observed counts: every section (every junction) is one row,
 * crash-free ones included. Class dummies: each of the (at most SCREEN_MAX_CLASSES) largest
 * classes with at least min_class_sites sections (default 30) and at least one crash is its own
 * group; all other sections (rarer or crash-free classes, no class) are pooled into one group,
 * the reference (no dummy); when that pool is empty the largest class is the reference. A
 * crash-free dummy group would drive its coefficient to minus infinity, hence the crash rule.
 * When every junction has the same degree (ln degree equals the intercept) the junction SPF is
 * the intercept alone (b = 0, noted). Or read from a JSON file (screen_spf_read, `--spf`), as
 * the HSM's SPFs are published:
 *   {"sections":  {"a": -1.2, "b": 0.9, "k": 0.6,
 *                  "classes": {"primary": 0.4, "residential": -0.3}},
 *    "junctions": {"a": -0.5, "b": 1.1, "k": 0.3}}
 * a and b as above (L in km, per year), k the NB2 overdispersion (Var = mu + k mu^2); classes
 * optional (a class not listed gets 0); either part may be absent (then fitted). One k serves
 * every site and window of its kind (the HSM's length-dependent k = k0 / L is not modelled). A
 * part that can be neither fitted (too few sites, no crash, no study period) nor read gives no
 * EB for its sites (pred, expected, excess NaN; its note says why).
 *
 * Sliding window (HSM part B ch. 4, "sliding window method"): windows of length window (default
 * 500 m) start at 0, step, 2 step, ... along a section while start + window < length, and one last
 * window ends at the section's end; a section no longer than window is one window. A window's
 * count is the number of its section's crashes with window start <= position <= window end; its
 * N_pred is the section SPF at the window's length (the section's class). A section is
 * represented by its worst window (largest excess; ties the first; without an SPF, the largest
 * count) whose offsets and line are reported. Cycles are not wrapped around.
 *
 * Rule screen (事故多发点段; the defaults are hazmap's, to be set to the local standard): a
 * junction, or a stretch of at most rule_length metres (default 500) of a section, where within
 * rule_months consecutive calendar months (default 12; local time +08:00) there were at least
 *   rule_fatal fatal crashes (default 3), or
 *   rule_serious serious-or-fatal crashes (default 5), or
 *   rule_any crashes of any severity (default 10)
 * (a threshold <= 0 disables its rule). "Within P consecutive months": the crashes' calendar
 * months (year * 12 + month) differ by less than P. Undated crashes take no part. For each rule
 * met, the first witness found is reported: the first and last time of its crashes and, for a
 * stretch, their lowest and highest position along the section.
 *
 * Ranking: by excess (default; a section's is its worst window's; sites without EB after all
 * those with), by EPDO score or by count (of the whole site);
 * ties broken by the other two keys in the order excess, epdo, count, then junctions before
 * sections, then index. Only sites with at least one crash are listed (limit: the first N).
 *
 * Cancellation (cancel.h) is polled in the assignment and in every per-site loop; the work is
 * O(incidents * segments near a point + sites + crashes log crashes + windows), and the rule
 * screen O(m^2 log m) for the m qualifying crashes of one section (stopping at the first witness).
 *
 * Ownership: screen_run()/screen_run_crashes() return a result freed with screen_free() (NULL is
 * a no-op); it owns its arrays and refers to the network's names (the network must outlive it).
 * Thread-safety: reentrant; the inputs are only read. */
#ifndef HAZMAP_SCREEN_H
#define HAZMAP_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hazmap/filter.h"
#include "hazmap/incset.h"
#include "hazmap/roadnet.h"
#include "hazmap/roadsites.h"
#include "hazmap/status.h"

enum { SCREEN_MAX_CLASSES = 8, SCREEN_CLASS_LEN = 48 };

typedef enum screen_rank {
    SCREEN_BY_EXCESS = 0,
    SCREEN_BY_EPDO = 1,
    SCREEN_BY_COUNT = 2
} screen_rank;

/* One SPF (sections or junctions). */
typedef struct screen_spf_model {
    int available; /* 0: no SPF, no EB for these sites; note says why */
    int fitted;    /* 1 fitted here by nb2_fit, 0 read from a file */
    double a, se_a, b, se_b;
    size_t nclass; /* class dummies */
    char cls[SCREEN_MAX_CLASSES][SCREEN_CLASS_LEN];
    double cls_coef[SCREEN_MAX_CLASSES], cls_se[SCREEN_MAX_CLASSES];
    char reference[128]; /* the reference group of the dummies, described */
    double k, se_k;      /* overdispersion; se NaN when given */
    double loglik, aic;  /* of the fit; NaN when given */
    size_t n;            /* sites fitted on */
    int converged, iter;
    char note[256];
} screen_spf_model;

typedef struct screen_spf {
    screen_spf_model section, junction;
} screen_spf;

/* Reads an SPF file (format above) into *spf; parts absent from the file are left with
 * available 0. HZ_EIO, HZ_EINVAL naming the bad member. */
hz_status screen_spf_read(const char *path, screen_spf *spf, char *err, size_t errlen);
/* The same from JSON text. */
hz_status screen_spf_parse(const char *text, screen_spf *spf, char *err, size_t errlen);

/* N_pred per year of a section of length metres and class cls (NULL: none) / of a junction of
 * this degree; NaN when the model is not available. */
double screen_spf_section(const screen_spf_model *m, double length_m, const char *cls);
double screen_spf_junction(const screen_spf_model *m, uint32_t degree);

typedef struct screen_opts {
    double junction_radius, tolerance;      /* roadsites_assign: 50, 30 m */
    double window, step;                    /* sliding window: 500, 100 m */
    screen_rank rank;                       /* SCREEN_BY_EXCESS */
    int min_class_sites;                    /* 30 */
    const screen_spf *spf;                  /* given SPFs (parts with available 1 are used); NULL */
    double rule_length;                     /* 500 m */
    int rule_months;                        /* 12 */
    int rule_fatal, rule_serious, rule_any; /* 3, 5, 10 */
    size_t limit;                           /* sites listed; 0 = all with a crash */
    int nthreads;                           /* assignment threads; <= 0 one per core */
} screen_opts;

void screen_opts_init(screen_opts *o);

/* One crash given to screen_run_crashes(). */
typedef struct screen_crash {
    double x, y;      /* working CRS metres */
    int64_t t;        /* seconds since the epoch; INT64_MIN undated */
    uint8_t severity; /* hz_severity */
} screen_crash;

enum { SCREEN_RULE_FATAL = 0, SCREEN_RULE_SERIOUS = 1, SCREEN_RULE_ANY = 2, SCREEN_RULES = 3 };

/* A rule met: the witness. */
typedef struct screen_rule_hit {
    int met;
    int crashes; /* in the witness */
    int64_t t_first, t_last;
    double pos0, pos1; /* stretch along the section; 0, 0 for a junction */
} screen_rule_hit;

/* EB figures of one site or window. */
typedef struct screen_eb {
    double pred;                /* N_pred over the study period; NaN without SPF */
    double k;                   /* the SPF's */
    double w, expected, excess; /* NaN without SPF */
} screen_eb;

typedef struct screen_site {
    int rank; /* 1 = worst */
    roadsites_kind kind;
    uint32_t index; /* junction or section index in the roadsites */
    int64_t count;
    int64_t severity[HZ_SEV_COUNT];
    double epdo;
    double length;       /* sections: metres; junctions 0 */
    uint32_t degree;     /* junctions */
    double volume, rate; /* NaN unknown; rate per million vehicle-km or entering vehicles */
    screen_eb eb;        /* whole site */
    /* sections: the worst window */
    double win0, win1;
    int64_t win_count;
    screen_eb win_eb;
    size_t nwindows;
    screen_rule_hit rule[SCREEN_RULES];
} screen_site;

typedef struct screen_result {
    size_t n; /* listed sites, ranked */
    screen_site *sites;
    size_t nsites_all; /* junctions + sections of the network */
    size_t njunctions, nsections;
    size_t junctions_with_crash, sections_with_crash;
    size_t flagged;            /* listed sites meeting a rule */
    int64_t incidents;         /* crashes screened */
    int64_t unassigned;        /* of which on no site */
    int64_t without_point;     /* filtered but left out: no point (incset.h; set by screen_run) */
    int64_t linked_duplicates; /* left out as another record's event (incset.h; screen_run) */
    const char *counted;       /* "events" or "records" (incset_counted(); screen_run); static */
    int64_t at_junctions, on_sections;
    double years;     /* study period */
    int64_t from, to; /* the study period, seconds; INT64_MIN when none */
    screen_spf spf;   /* the SPFs used */
    screen_opts opts; /* as run (spf pointer cleared) */
    double weights[HZ_SEV_COUNT];
    const roadsites *sites_of; /* borrowed: the roadsites screened (owned when own_sites) */
    roadsites *own_sites;
    /* provenance, set by screen_run */
    char filters[1024];
    char work_srs[256];
    int64_t data_version;
} screen_result;

/* Screens the crashes c[0..n-1] on the sites rs over a study period of years (> 0 for EB),
 * EPDO weights sev_weight[HZ_SEV_COUNT]. o NULL: defaults. HZ_EINVAL for bad options,
 * HZ_ELIMIT when cancelled, HZ_ENOMEM. */
hz_status screen_run_crashes(const roadsites *rs, size_t n, const screen_crash *c, double years,
                             const double *sev_weight, const screen_opts *o, screen_result **out,
                             char *err, size_t errlen);

/* Screens the incidents of s passing f (mechanism traffic when f names none) on net: builds the
 * sites (owned by the result), the study period from incset_study_period(), the weights from f,
 * and the provenance. HZ_EINVAL for an unknown area or bad options. */
hz_status screen_run(const roadnet *net, const incset *s, const hz_filter *f, const screen_opts *o,
                     screen_result **out, char *err, size_t errlen);

void screen_free(screen_result *r);

/* The number of sliding windows of a section of this length, and window i's [a, b] (metres
 * along the section), by the definition above. */
size_t screen_window_count(double length, double window, double step);
void screen_window_bounds(double length, double window, double step, size_t i, double *a,
                          double *b);

/* GeoJSON FeatureCollection: one feature per listed site (junction: Point; section: LineString of
 * the section, with the worst window's line in properties.window.geometry), properties as
 * screen_site, plus "spf" and "summary" and "provenance" members. New reference in *out. */
hz_status screen_geojson(const screen_result *r, json_t **out, char *err, size_t errlen);

/* CSV, one row per listed site, UTF-8 with a byte order mark, CRLF (as the statistics CSV).
 * *out malloc'd, caller frees. */
hz_status screen_csv(const screen_result *r, char **out, size_t *len, char *err, size_t errlen);

/* Names: "excess", "epdo", "count"; screen_rank_parse returns 0 or -1. */
const char *screen_rank_name(screen_rank r);
int screen_rank_parse(const char *s, screen_rank *r);

#endif

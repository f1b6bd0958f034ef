/* cmd_stats.c - `hazmap stats` (rates per 100,000 with CIs) and `hazmap evaluate` (before/after
 * rate ratio of an intervention). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hazmap/evaluate.h"
#include "hazmap/hztime.h"
#include "hazmap/incset.h"
#include "hazmap/linkage_db.h"
#include "hazmap/rates.h"
#include "hazmap/store.h"

/* Writes len bytes of text to path, or to standard output for NULL or "-". */
static int write_out(const char *cmd, const char *path, const char *text, size_t len)
{
    int to_stdout = !path || strcmp(path, "-") == 0;
    FILE *fp = to_stdout ? stdout : fopen(path, "wb");
    if (!fp) {
        cli_error(cmd, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int bad = fwrite(text, 1, len, fp) != len;
    if (to_stdout)
        bad |= fflush(fp) != 0;
    else
        bad |= fclose(fp) != 0;
    if (bad) {
        cli_error(cmd, "cannot write %s", to_stdout ? "standard output" : path);
        return -1;
    }
    return 0;
}

static void stats_usage(FILE *out)
{
    fprintf(out,
            "usage: hazmap stats --db PATH [filters] [--by area,mechanism,age_group,sex]\n"
            "                    [--format csv|json] [--min-count N] [--count events|records]\n"
            "                    [-o FILE]\n"
            "  Counts and crude rates per 100,000 population per year with exact Poisson 95 %%\n"
            "  CIs (Garwood) and an 'unstable' flag (count < 20). --by defaults to area; the\n"
            "  denominator is the area's total population (no age/sex populations are stored).\n"
            "  Years come from --from/--to, or the data's time span. Age groups: 0-14, 15-24,\n"
            "  25-44, 45-64, 65+, unknown. --format defaults to json for -o *.json, else csv.\n"
            "  --count events|records: once `hazmap link` has linked records of several\n"
            "  sources, an event (linked records) counts once by default; records counts\n"
            "  every record (per source: --source is not a filter, split the file instead).\n");
}

int cmd_stats(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *by_s = NULL, *format = NULL, *output = NULL, *help = NULL,
               *mincount_s = NULL;
    const cli_opt opts[] = {{"db", 1, &db},
                            {"by", 1, &by_s},
                            {"format", 1, &format},
                            {"output", 1, &output},
                            {"min-count", 1, &mincount_s},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    hz_filter f;
    filter_init(&f);
    int st0 = cli_start(argc, argv, opts, &f, &help, &db, stats_usage);
    if (st0 >= 0) return st0;
    char err[1024];
    unsigned by;
    if (rates_parse_by(by_s ? by_s : "area", &by, err, sizeof err) != HZ_OK) {
        cli_error(cmd, "--%s", err);
        return 2;
    }
    int json = 0;
    long mincount = 0;
    if (format) {
        if (strcmp(format, "json") == 0)
            json = 1;
        else if (strcmp(format, "csv") != 0) {
            cli_error(cmd, "--format: '%s' is not csv or json", format);
            return 2;
        }
    } else if (output) {
        size_t n = strlen(output);
        json = n >= 5 && strcmp(output + n - 5, ".json") == 0;
    }
    if (mincount_s && cli_int(cmd, "min-count", mincount_s, 0, 1000000, &mincount) != 0) return 2;
    incset *s = cli_load_snapshot(cmd, db, NULL);
    if (!s) return 1;
    rates_result *r = NULL;
    int status = 1;
    size_t nevents = 0; /* the snapshot's event map unless --count records (filter.h) */
    const uint32_t *event = f.count_records ? NULL : incset_events(s, &nevents);
    hz_status hs = rates_compute_events(s, &f, by, event, nevents, &r, err, sizeof err);
    if (hs != HZ_OK) {
        cli_error(cmd, "%s", err);
        status = hs == HZ_EINVAL ? 2 : 1;
        goto done;
    }
    if (json) {
        json_t *j = NULL;
        if (rates_json(r, &(disc_policy){.min_count = (int)mincount}, &j, err, sizeof err) !=
            HZ_OK) {
            cli_error(cmd, "%s", err);
            goto done;
        }
        char *text = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
        json_decref(j);
        if (!text) goto done;
        size_t n = strlen(text);
        text[n] = '\n'; /* replaces the NUL: write n + 1 bytes, then free */
        int w = write_out(cmd, output, text, n + 1);
        free(text);
        if (w != 0) goto done;
    } else {
        char *csv;
        size_t len;
        if (rates_csv(r, &(disc_policy){.min_count = (int)mincount}, &csv, &len, err, sizeof err) !=
            HZ_OK) {
            cli_error(cmd, "%s", err);
            goto done;
        }
        int w = write_out(cmd, output, csv, len);
        free(csv);
        if (w != 0) goto done;
    }
    if (output && strcmp(output, "-") != 0)
        fprintf(stderr, "hazmap %s: %zu rows, %lld incidents, %.4g years -> %s\n", cmd, r->n,
                (long long)r->incidents, r->years, output);
    status = 0;
done:
    rates_free(r);
    incset_free(s);
    return status;
}

static void evaluate_usage(FILE *out)
{
    fprintf(
        out,
        "usage: hazmap evaluate --db PATH --area CODE --start DATE [--before-days N]\n"
        "                       [--after-days N] [--compare CODE] [filters]\n"
        "                       [--format json|text] [-o FILE]\n"
        "  Rate ratio after/before an intervention started on DATE (windows of 365 days each\n"
        "  by default: [start - N days, start) and [start, start + N days)), with a 95 %% Wald\n"
        "  CI on the log scale; with --compare, the ratio of rate ratios against the\n"
        "  comparison area. Person-time = population x window years. A zero count adds 0.5\n"
        "  to each count of that ratio. --from/--to are not used (the windows replace them).\n");
}

static void text_arm(FILE *fp, const evaluate_arm *a)
{
    fprintf(fp, "%s (%s), population %lld\n", a->code, a->name, (long long)a->population);
    fprintf(fp, "  before: %lld incidents, %.1f person-years, %.2f per 100,000 per year\n",
            (long long)a->before.count, a->before.person_years, a->before.rate);
    fprintf(fp, "  after:  %lld incidents, %.1f person-years, %.2f per 100,000 per year\n",
            (long long)a->after.count, a->after.person_years, a->after.rate);
    if (isfinite(a->rr))
        fprintf(fp, "  rate ratio %.4f (95%% CI %.4f-%.4f)%s\n", a->rr, a->rr_lo, a->rr_hi,
                a->zero_corrected ? " [0.5 added to zero counts]" : "");
    else
        fprintf(fp, "  rate ratio undefined (no incidents in either window)\n");
}

int cmd_evaluate(int argc, char **argv)
{
    const char *cmd = argv[0];
    const char *db = NULL, *start_s = NULL, *before_s = NULL, *after_s = NULL, *compare = NULL,
               *format = NULL, *output = NULL, *help = NULL, *mincount_s = NULL;
    const cli_opt opts[] = {{"db", 1, &db},
                            {"start", 1, &start_s},
                            {"before-days", 1, &before_s},
                            {"after-days", 1, &after_s},
                            {"compare", 1, &compare},
                            {"format", 1, &format},
                            {"output", 1, &output},
                            {"min-count", 1, &mincount_s},
                            {"help", 0, &help},
                            {NULL, 0, NULL}};
    hz_filter f;
    filter_init(&f);
    if (cli_parse(argc, argv, opts, &f, NULL, 0, NULL) != 0) return 2;
    if (help) {
        evaluate_usage(stdout);
        return 0;
    }
    if (!db || !f.area[0] || !start_s) {
        cli_error(cmd, "--db, --area and --start are required");
        evaluate_usage(stderr);
        return 2;
    }
    if (f.from != INT64_MIN || f.to != INT64_MAX) {
        cli_error(cmd, "--from/--to cannot be combined with --start (the windows set the dates)");
        return 2;
    }
    int64_t start;
    if (hztime_parse_iso(start_s, HZ_TZ_SHANGHAI, &start) != 0) {
        cli_error(cmd, "--start: '%s' is not a date (YYYY-MM-DD)", start_s);
        return 2;
    }
    long before = 365, after = 365, mincount = 0;
    int text = 0;
    if (before_s && cli_int(cmd, "before-days", before_s, 1, 36500, &before) != 0) return 2;
    if (after_s && cli_int(cmd, "after-days", after_s, 1, 36500, &after) != 0) return 2;
    if (mincount_s && cli_int(cmd, "min-count", mincount_s, 0, 1000000, &mincount) != 0) return 2;
    if (format) {
        if (strcmp(format, "text") == 0)
            text = 1;
        else if (strcmp(format, "json") != 0) {
            cli_error(cmd, "--format: '%s' is not json or text", format);
            return 2;
        }
    }
    incset *s = cli_load_snapshot(cmd, db, NULL);
    if (!s) return 1;
    char err[1024];
    evaluate_result r;
    int status = 1;
    hz_status hs =
        evaluate_run(s, &f, f.area, compare, start, (int)before, (int)after, &r, err, sizeof err);
    incset_free(s);
    if (hs != HZ_OK) {
        cli_error(cmd, "%s", err);
        return hs == HZ_EINVAL ? 2 : 1;
    }
    json_t *j = NULL;
    if (evaluate_json(&r, &(disc_policy){.min_count = (int)mincount}, &j, err, sizeof err) !=
        HZ_OK) {
        cli_error(cmd, "%s", err);
        return 1;
    }
    char *buf = NULL;
    size_t len = 0;
    if (text) {
        FILE *fp = open_memstream(&buf, &len);
        if (!fp) goto done;
        char day[32];
        hztime_format_iso(r.start, HZ_TZ_SHANGHAI, day);
        fprintf(fp, "intervention start %.10s, windows %d days before, %d days after\n", day,
                r.before_days, r.after_days);
        text_arm(fp, &r.area);
        if (r.has_comparison) {
            fprintf(fp, "comparison: ");
            text_arm(fp, &r.comparison);
            if (isfinite(r.rrr))
                fprintf(fp, "ratio of rate ratios %.4f (95%% CI %.4f-%.4f)%s\n", r.rrr, r.rrr_lo,
                        r.rrr_hi, r.rrr_zero_corrected ? " [0.5 added to zero counts]" : "");
        }
        json_t *warn = json_object_get(j, "warnings");
        for (size_t i = 0; i < json_array_size(warn); i++)
            fprintf(fp, "warning: %s\n", json_string_value(json_array_get(warn, i)));
        fprintf(fp, "filters: %s\n", r.filters[0] ? r.filters : "(none)");
        if (fclose(fp) != 0) goto done;
        if (mincount > 0) {
            cli_error(cmd, "--min-count applies to --format json only");
            goto done;
        }
    } else {
        buf = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
        if (!buf) goto done;
        len = strlen(buf);
        buf[len++] = '\n'; /* replaces the NUL */
    }
    if (write_out(cmd, output, buf, len) == 0) status = 0;
done:
    free(buf);
    json_decref(j);
    return status;
}

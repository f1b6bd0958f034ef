/* nkde_opts.c - the network kernel density's options: defaults, names, checks, the work
 * estimate and the output factor (nkde.h, "Values" and "Work"). */
#include <math.h>
#include <string.h>

#include "nkde_impl.h"

static const char *const method_names[] = {"discontinuous", "simple", "continuous"};
static const char *const div_names[] = {"none", "bw", "n"};

void nkde_opts_init(nkde_opts *o)
{
    *o = (nkde_opts){.lixel = 20,
                     .bandwidth = 300,
                     .snap = 30,
                     .kernel = NKDE_QUARTIC,
                     .method = NKDE_DISCONTINUOUS,
                     .div = NKDE_DIV_NONE,
                     .max_depth = 10,
                     .scale = 1,
                     .budget = 0,
                     .nthreads = 0};
}

static int parse_name(const char *name, const char *const *names, int n)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

int nkde_method_parse(const char *name, nkde_method *m)
{
    int i = parse_name(name, method_names, 3);
    if (i < 0) return -1;
    *m = (nkde_method)i;
    return 0;
}

const char *nkde_method_name(nkde_method m)
{
    return (int)m >= 0 && m <= NKDE_CONTINUOUS ? method_names[m] : "?";
}

int nkde_div_parse(const char *name, nkde_div *d)
{
    int i = parse_name(name, div_names, 3);
    if (i < 0) return -1;
    *d = (nkde_div)i;
    return 0;
}

const char *nkde_div_name(nkde_div d)
{
    return (int)d >= 0 && d <= NKDE_DIV_N ? div_names[d] : "?";
}

double nkde_per_km_year(double years)
{
    return 1000.0 / years;
}

hz_status nkde_opts_check(const nkde_opts *o, char *err, size_t errlen)
{
    if (!o) return hz_fail(HZ_EINVAL, err, errlen, "nkde: NULL options");
    if (!(o->lixel > 0) || !isfinite(o->lixel))
        return hz_fail(HZ_EINVAL, err, errlen, "lixel: must be a positive number of metres");
    if (!(o->bandwidth > 0) || !isfinite(o->bandwidth))
        return hz_fail(HZ_EINVAL, err, errlen, "bandwidth: must be a positive number of metres");
    if (!(o->snap >= 0) || !isfinite(o->snap))
        return hz_fail(HZ_EINVAL, err, errlen, "snap: must be a number of metres >= 0");
    if ((int)o->kernel < 0 || o->kernel > NKDE_UNIFORM)
        return hz_fail(HZ_EINVAL, err, errlen, "kernel: unknown kernel %d", (int)o->kernel);
    if ((int)o->method < 0 || o->method > NKDE_CONTINUOUS)
        return hz_fail(HZ_EINVAL, err, errlen, "method: unknown method %d", (int)o->method);
    if ((int)o->div < 0 || o->div > NKDE_DIV_N)
        return hz_fail(HZ_EINVAL, err, errlen, "div: unknown divisor %d", (int)o->div);
    if (o->max_depth < 0) return hz_fail(HZ_EINVAL, err, errlen, "max_depth: must be >= 0");
    if (!isfinite(o->scale) || !(o->budget >= 0))
        return hz_fail(HZ_EINVAL, err, errlen, "nkde: bad scale or budget");
    return HZ_OK;
}

double nkde_work(const roadnet *net, const nkde_opts *o)
{
    const roadnet_seg *sg = roadnet_segs(net);
    double n = 0;
    for (size_t i = 0; i < roadnet_seg_count(net); i++)
        n += ceil(sg[i].length / o->lixel);
    return n * (2 * o->bandwidth / o->lixel);
}

double nkde_out_factor(const nkde_opts *o, double weight)
{
    double div = o->div == NKDE_DIV_BW ? o->bandwidth : o->div == NKDE_DIV_N ? weight : 1.0;
    return div > 0 ? o->scale / div : 0;
}

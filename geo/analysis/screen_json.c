/* screen_json.c - a screening result as GeoJSON and as CSV (screen.h).
 *
 * Every member is set through set(), which records a failed allocation in the builder instead of
 * returning at each call; the builder's flag decides the status once at the end. NaN (unknown)
 * numbers are written as null in JSON and as empty fields in CSV. */
#include "screen_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazmap/hztime.h"

static const char *const rule_names[SCREEN_RULES] = {"fatal", "serious_or_fatal", "any"};

typedef struct jb {
    int bad; /* an allocation failed */
} jb;

static void set(jb *b, json_t *o, const char *k, json_t *v)
{
    if (!o || !v || json_object_set_new(o, k, v) != 0) b->bad = 1;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *when(int64_t t)
{
    if (t == INT64_MIN) return json_null();
    char buf[32];
    hztime_format_iso(t, HZ_TZ_SHANGHAI, buf);
    return json_string(buf);
}

static json_t *eb_json(jb *b, const screen_eb *e)
{
    json_t *o = json_object();
    set(b, o, "predicted", num(e->pred));
    set(b, o, "k", num(e->k));
    set(b, o, "weight", num(e->w));
    set(b, o, "expected", num(e->expected));
    set(b, o, "excess", num(e->excess));
    return o;
}

static json_t *line_json(jb *b, const roadsites *rs, uint32_t sec, double a, double z)
{
    size_t n = roadsites_section_line(rs, sec, a, z, NULL, NULL, 0);
    double *lon = malloc(2 * n * sizeof *lon);
    json_t *coords = json_array();
    if (!lon || !coords) {
        free(lon);
        json_decref(coords);
        b->bad = 1;
        return NULL;
    }
    roadsites_section_line(rs, sec, a, z, lon, lon + n, n);
    for (size_t i = 0; i < n; i++) {
        double x = round(lon[i] * 1e7) / 1e7, y = round(lon[n + i] * 1e7) / 1e7;
        if (json_array_append_new(coords, json_pack("[f,f]", x, y)) != 0) b->bad = 1;
    }
    free(lon);
    json_t *g = json_object();
    set(b, g, "type", json_string("LineString"));
    set(b, g, "coordinates", coords);
    return g;
}

static json_t *rules_json(jb *b, const screen_result *r, const screen_site *s)
{
    const int need[SCREEN_RULES] = {r->opts.rule_fatal, r->opts.rule_serious, r->opts.rule_any};
    json_t *a = json_array();
    for (int k = 0; k < SCREEN_RULES; k++) {
        const screen_rule_hit *h = &s->rule[k];
        if (!h->met) continue;
        json_t *o = json_object();
        set(b, o, "rule", json_string(rule_names[k]));
        set(b, o, "threshold", json_integer(need[k]));
        set(b, o, "crashes", json_integer(h->crashes));
        set(b, o, "first", when(h->t_first));
        set(b, o, "last", when(h->t_last));
        if (s->kind == ROADSITES_SECTION) {
            set(b, o, "from_m", json_real(h->pos0));
            set(b, o, "to_m", json_real(h->pos1));
        }
        if (!a || json_array_append_new(a, o) != 0) b->bad = 1;
    }
    return a;
}

static json_t *steps_json(jb *b, const roadsites *rs, const roadsites_section *sc)
{
    const roadsites_step *st = roadsites_steps(rs) + sc->first;
    const roadnet_seg *segs = roadnet_segs(roadsites_net(rs));
    json_t *a = json_array();
    for (uint32_t i = 0; i < sc->nsteps; i++) {
        json_t *o = json_pack("{s:I, s:s, s:f}", "id", (json_int_t)segs[st[i].seg].id, "direction",
                              st[i].reversed ? "reverse" : "forward", "start_m", st[i].start);
        if (!a || !o || json_array_append_new(a, o) != 0) b->bad = 1;
    }
    return a;
}

static json_t *severity_json(jb *b, const screen_site *s)
{
    json_t *o = json_object();
    for (int v = 1; v < HZ_SEV_COUNT; v++)
        set(b, o, vocab_name(HZ_VOCAB_SEVERITY, v), json_integer(s->severity[v]));
    set(b, o, "unknown", json_integer(s->severity[0]));
    return o;
}

/* The site's id: J<node id> or S<first segment id> (stable while the network is). */
static void site_id(const screen_result *r, const screen_site *s, char *buf, size_t len)
{
    const roadsites *rs = r->sites_of;
    const roadnet *net = roadsites_net(rs);
    if (s->kind == ROADSITES_JUNCTION) {
        uint32_t v = roadsites_junctions(rs)[s->index].node;
        snprintf(buf, len, "J%lld", (long long)roadnet_nodes(net)[v].id);
    } else {
        uint32_t seg = roadsites_steps(rs)[roadsites_sections(rs)[s->index].first].seg;
        snprintf(buf, len, "S%lld", (long long)roadnet_segs(net)[seg].id);
    }
}

static json_t *feature(jb *b, const screen_result *r, const screen_site *s)
{
    const roadsites *rs = r->sites_of;
    int junc = s->kind == ROADSITES_JUNCTION;
    json_t *p = json_object(), *geom;
    char id[48];
    site_id(r, s, id, sizeof id);
    set(b, p, "rank", json_integer(s->rank));
    set(b, p, "kind", json_string(junc ? "junction" : "section"));
    set(b, p, "id", json_string(id));
    if (junc) {
        const roadsites_junction *j = &roadsites_junctions(rs)[s->index];
        const roadnet_node *nd = &roadnet_nodes(roadsites_net(rs))[j->node];
        geom = json_pack("{s:s, s:[f,f]}", "type", "Point", "coordinates",
                         round(nd->lon * 1e7) / 1e7, round(nd->lat * 1e7) / 1e7);
        set(b, p, "name", str_or_null(j->name));
        set(b, p, "class", json_null());
        set(b, p, "degree", json_integer(s->degree));
    } else {
        const roadsites_section *sc = &roadsites_sections(rs)[s->index];
        geom = line_json(b, rs, s->index, 0, sc->length);
        set(b, p, "name", str_or_null(sc->name));
        set(b, p, "class", str_or_null(sc->cls));
        set(b, p, "length_m", json_real(sc->length));
        set(b, p, "cycle", json_boolean(sc->cycle));
        set(b, p, "segments", steps_json(b, rs, sc));
    }
    set(b, p, "count", json_integer(s->count));
    set(b, p, "severity", severity_json(b, s));
    set(b, p, "epdo", json_real(s->epdo));
    set(b, p, "volume", num(s->volume));
    set(b, p, "rate", num(s->rate));
    set(b, p, "rate_unit",
        json_string(junc ? "crashes per million entering vehicles"
                         : "crashes per million vehicle-km"));
    set(b, p, "eb", eb_json(b, &s->eb));
    if (!junc) {
        json_t *w = json_object();
        set(b, w, "from_m", json_real(s->win0));
        set(b, w, "to_m", json_real(s->win1));
        set(b, w, "count", json_integer(s->win_count));
        set(b, w, "eb", eb_json(b, &s->win_eb));
        set(b, w, "windows", json_integer((json_int_t)s->nwindows));
        set(b, w, "geometry", line_json(b, rs, s->index, s->win0, s->win1));
        set(b, p, "window", w);
    }
    set(b, p, "rules", rules_json(b, r, s));
    set(b, p, "spf", json_string(junc ? "junctions" : "sections"));
    json_t *f = json_object();
    set(b, f, "type", json_string("Feature"));
    set(b, f, "geometry", geom);
    set(b, f, "properties", p);
    return f;
}

static json_t *spf_json(jb *b, const screen_spf_model *m, const char *covariate)
{
    json_t *o = json_object();
    set(b, o, "available", json_boolean(m->available));
    set(b, o, "source",
        json_string(m->fitted ? "fitted (nb2_fit, NB2 maximum likelihood)" : "given (--spf file)"));
    set(b, o, "model", json_string(covariate));
    set(b, o, "a", num(m->a));
    set(b, o, "se_a", num(m->se_a));
    set(b, o, "b", num(m->b));
    set(b, o, "se_b", num(m->se_b));
    json_t *cl = json_object();
    for (size_t c = 0; c < m->nclass; c++)
        set(b, cl, m->cls[c],
            json_pack("{s:o, s:o}", "coef", num(m->cls_coef[c]), "se", num(m->cls_se[c])));
    set(b, o, "classes", cl);
    set(b, o, "reference", json_string(m->reference));
    set(b, o, "k", num(m->k));
    set(b, o, "se_k", num(m->se_k));
    set(b, o, "loglik", num(m->loglik));
    set(b, o, "aic", num(m->aic));
    set(b, o, "n", json_integer((json_int_t)m->n));
    set(b, o, "converged", json_boolean(m->converged));
    set(b, o, "note", json_string(m->note));
    return o;
}

static json_t *summary_json(jb *b, const screen_result *r)
{
    json_t *o = json_object();
    set(b, o, "incidents", json_integer(r->incidents));
    set(b, o, "at_junctions", json_integer(r->at_junctions));
    set(b, o, "on_sections", json_integer(r->on_sections));
    set(b, o, "unassigned", json_integer(r->unassigned));
    set(b, o, "without_point", json_integer(r->without_point));
    set(b, o, "linked_duplicates", json_integer(r->linked_duplicates));
    set(b, o, "counted", json_string(r->counted ? r->counted : "records"));
    set(b, o, "junctions", json_integer((json_int_t)r->njunctions));
    set(b, o, "sections", json_integer((json_int_t)r->nsections));
    set(b, o, "junctions_with_crash", json_integer((json_int_t)r->junctions_with_crash));
    set(b, o, "sections_with_crash", json_integer((json_int_t)r->sections_with_crash));
    set(b, o, "listed", json_integer((json_int_t)r->n));
    set(b, o, "flagged", json_integer((json_int_t)r->flagged));
    set(b, o, "years", json_real(r->years));
    set(b, o, "from", when(r->from));
    set(b, o, "to", when(r->to));
    return o;
}

static json_t *provenance_json(jb *b, const screen_result *r)
{
    const screen_opts *o = &r->opts;
    json_t *p = json_object(), *w = json_object();
    for (int k = 1; k < HZ_SEV_COUNT; k++)
        set(b, w, vocab_name(HZ_VOCAB_SEVERITY, k), json_real(r->weights[k]));
    set(b, w, "unknown", json_real(r->weights[0]));
    set(b, p, "method",
        json_string("network screening (HSM 1st ed. part B ch. 4): incidents to the nearest "
                    "junction within the radius, else the nearest section within the "
                    "tolerance; SPF by NB2 maximum likelihood; Empirical Bayes excess expected "
                    "crashes (Hauer 1997); sliding window; rule screen for 事故多发点段 with "
                    "hazmap's default thresholds (set them to the local standard)"));
    set(b, p, "data_version", json_integer(r->data_version));
    set(b, p, "filters", json_string(r->filters));
    set(b, p, "work_srs", json_string(r->work_srs));
    set(b, p, "rank", json_string(screen_rank_name(o->rank)));
    set(b, p, "junction_radius_m", json_real(o->junction_radius));
    set(b, p, "tolerance_m", json_real(o->tolerance));
    set(b, p, "window_m", json_real(o->window));
    set(b, p, "step_m", json_real(o->step));
    set(b, p, "min_class_sites", json_integer(o->min_class_sites));
    set(b, p, "rule_length_m", json_real(o->rule_length));
    set(b, p, "rule_months", json_integer(o->rule_months));
    set(b, p, "rule_fatal", json_integer(o->rule_fatal));
    set(b, p, "rule_serious", json_integer(o->rule_serious));
    set(b, p, "rule_any", json_integer(o->rule_any));
    set(b, p, "limit", json_integer((json_int_t)o->limit));
    set(b, p, "epdo_weights", w);
    set(b, p, "attribution", json_string("road network © OpenStreetMap contributors, ODbL 1.0"));
    return p;
}

hz_status screen_geojson(const screen_result *r, json_t **out, char *err, size_t errlen)
{
    jb b = {0};
    json_t *feats = json_array(), *root = json_object(), *spf = json_object();
    for (size_t i = 0; i < r->n && !b.bad; i++)
        if (!feats || json_array_append_new(feats, feature(&b, r, &r->sites[i])) != 0) b.bad = 1;
    set(&b, spf, "sections",
        spf_json(&b, &r->spf.section, "ln mu = a + b ln(length km) + class; offset ln(years)"));
    set(&b, spf, "junctions",
        spf_json(&b, &r->spf.junction, "ln mu = a + b ln(degree); offset ln(years)"));
    set(&b, root, "type", json_string("FeatureCollection"));
    set(&b, root, "features", feats);
    set(&b, root, "spf", spf);
    set(&b, root, "summary", summary_json(&b, r));
    set(&b, root, "provenance", provenance_json(&b, r));
    if (b.bad) {
        json_decref(root);
        *out = NULL;
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    *out = root;
    return HZ_OK;
}

static void csv_str(FILE *fp, const char *s)
{
    if (s) {
        fputc('"', fp);
        for (; *s; s++) {
            if (*s == '"') fputc('"', fp);
            fputc(*s, fp);
        }
        fputc('"', fp);
    }
    fputc(',', fp);
}

static void csv_num(FILE *fp, double v)
{
    if (isfinite(v)) fprintf(fp, "%.10g", v);
    fputc(',', fp);
}

static void csv_rules(FILE *fp, const screen_site *s)
{
    int any = 0;
    for (int k = 0; k < SCREEN_RULES; k++) {
        if (!s->rule[k].met) continue;
        char a[32], z[32];
        hztime_format_iso(s->rule[k].t_first, HZ_TZ_SHANGHAI, a);
        hztime_format_iso(s->rule[k].t_last, HZ_TZ_SHANGHAI, z);
        fprintf(fp, "%s%s %.10s..%.10s", any ? "; " : "", rule_names[k], a, z);
        any = 1;
    }
    fputs("\r\n", fp);
}

hz_status screen_csv(const screen_result *r, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    FILE *fp = open_memstream(out, len);
    if (!fp) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    /* the byte order mark: Excel reads the names as UTF-8 only with it (as rates_csv) */
    fputs("\xEF\xBB\xBF"
          "rank,kind,id,name,class,length_m,degree,count,fatal,serious,minor,none,unknown,epdo,"
          "volume,rate,predicted,k,expected,excess,window_from_m,window_to_m,window_count,"
          "window_predicted,window_expected,window_excess,rules\r\n",
          fp);
    const roadsites *rs = r->sites_of;
    for (size_t i = 0; i < r->n; i++) {
        const screen_site *s = &r->sites[i];
        int junc = s->kind == ROADSITES_JUNCTION;
        char id[48];
        site_id(r, s, id, sizeof id);
        fprintf(fp, "%d,%s,%s,", s->rank, junc ? "junction" : "section", id);
        csv_str(fp, junc ? roadsites_junctions(rs)[s->index].name
                         : roadsites_sections(rs)[s->index].name);
        csv_str(fp, junc ? NULL : roadsites_sections(rs)[s->index].cls);
        csv_num(fp, junc ? NAN : s->length);
        csv_num(fp, junc ? s->degree : NAN);
        fprintf(fp, "%lld,", (long long)s->count);
        for (int v = 1; v < HZ_SEV_COUNT; v++)
            fprintf(fp, "%lld,", (long long)s->severity[v]);
        fprintf(fp, "%lld,", (long long)s->severity[0]);
        csv_num(fp, s->epdo);
        csv_num(fp, s->volume);
        csv_num(fp, s->rate);
        csv_num(fp, s->eb.pred);
        csv_num(fp, s->eb.k);
        csv_num(fp, s->eb.expected);
        csv_num(fp, s->eb.excess);
        csv_num(fp, junc ? NAN : s->win0);
        csv_num(fp, junc ? NAN : s->win1);
        csv_num(fp, junc ? NAN : (double)s->win_count);
        csv_num(fp, junc ? NAN : s->win_eb.pred);
        csv_num(fp, junc ? NAN : s->win_eb.expected);
        csv_num(fp, junc ? NAN : s->win_eb.excess);
        csv_rules(fp, s);
    }
    if (fclose(fp) != 0 || !*out) {
        free(*out);
        *out = NULL;
        *len = 0;
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    return HZ_OK;
}

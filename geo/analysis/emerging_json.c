/* emerging_json.c - the emerging hot spot result as GeoJSON: one polygon per location with its
 * pattern and trends, optionally its series, and the provenance of the cube. */
#include "hazmap/emerging.h"
#include "hazmap/cancel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Rounds to 1e-7 degrees (about 1 cm). */
static json_t *coord(double v)
{
    return json_real(round(v * 1e7) / 1e7);
}

static json_t *trend_json(const mk_result *m)
{
    return json_pack("{s:f, s:f, s:f, s:f}", "s", m->s, "z", m->z, "p", m->p, "tau",
                     isfinite(m->tau) ? m->tau : 0.0);
}

/* The per-step series of location i. Under pol each bin is an aggregate of its own
 * (disclosure.h, rule 1): a bin counting fewer than min_count has its count null even when the
 * cell's total is shown. With a restricting policy there are no z or q: Gi* is linear in the
 * counts, so every bin's z (with the published neighbourhood) would give the hidden counts
 * back, as hotspots_geojson() says; the classes stay. */
static json_t *series_json(const emerging_result *r, size_t i, const disc_policy *pol)
{
    json_t *step = json_array(), *cnt = json_array(), *z = json_array(), *q = json_array(),
           *cls = json_array(), *score = emerging_score(r) ? json_array() : NULL;
    for (size_t t = 0; t < emerging_steps(r); t++) {
        const emerging_bin *b = emerging_bin_at(r, i, t);
        json_array_append_new(step, json_string(emerging_step_label(r, t)));
        json_array_append_new(cnt,
                              disc_hidden(pol, b->count) ? json_null() : json_integer(b->count));
        json_array_append_new(z, json_real(round(b->z * 1e4) / 1e4));
        json_array_append_new(q, json_real(b->q));
        json_array_append_new(cls, json_integer(b->cls));
        if (score)
            json_array_append_new(score,
                                  disc_hidden(pol, b->count) ? json_null() : json_real(b->value));
    }
    json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o}", "step", step, "count", cnt, "z", z, "q", q,
                          "class", cls);
    if (j && score) json_object_set_new(j, "score", score);
    if (j && disc_restricts(pol)) {
        json_object_del(j, "z");
        json_object_del(j, "q");
    }
    return j;
}

static json_t *props_json(const emerging_result *r, size_t i, const emerging_cell *c,
                          const disc_policy *pol, int series)
{
    int hide = disc_hidden(pol, c->count);
    json_t *p = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:i, s:i}", "pattern",
        ehsa_pattern_name(c->pattern), "label", ehsa_pattern_label(c->pattern), "label_zh",
        ehsa_pattern_label_zh(c->pattern), "colour", ehsa_pattern_colour(c->pattern), "count",
        hide ? json_null() : json_integer(c->count), "trend_count",
        hide ? json_null() : trend_json(&c->trend_count), "trend_z", trend_json(&c->trend_z),
        "hot_steps", c->hot_steps, "cold_steps", c->cold_steps, "row", c->row, "col", c->col);
    if (p && emerging_score(r))
        json_object_set_new(p, "score", hide ? json_null() : json_real(c->value));
    if (p && hide) json_object_set_new(p, "suppressed", json_true());
    if (p && series) json_object_set_new(p, "series", series_json(r, i, pol));
    return p;
}

/* Rule 3 of disclosure.h: beside a hidden cell, the totals would give its count back by
 * subtraction, so they are left out (null). */
static json_t *provenance(const emerging_result *r, const disc_policy *pol)
{
    const hotspots_result *H = emerging_lattice(r);
    const emerging_params *par = emerging_params_used(r);
    size_t incidents, outside, undated;
    emerging_tally(r, &incidents, &outside, &undated);
    size_t n, T = emerging_steps(r);
    const emerging_cell *c = emerging_cells(r, &n);
    /* every pattern, zeros included, in the order of ehsa.h: the same keys for any data */
    json_int_t per[EHSA_NPATTERNS] = {0};
    int any_hidden = 0;
    for (size_t i = 0; i < n; i++) {
        any_hidden |= disc_hidden(pol, c[i].count);
        per[c[i].pattern]++;
    }
    json_t *counts = json_object();
    for (int k = 0; k < EHSA_NPATTERNS; k++)
        json_object_set_new(counts, ehsa_pattern_name((ehsa_pattern)k), json_integer(per[k]));
    json_t *pv = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:f, s:s, s:o, s:s, s:s, s:b, s:f, s:f, "
        "s:s, s:o, s:o, s:I, s:I, s:o}",
        "filters", emerging_filters(r), "method",
        "emerging hot spot analysis as ArcGIS Pro's (space-time cube, Gi* per bin, "
        "Mann-Kendall trends, 17 patterns); EMERGING.md",
        "statistic", "Gi* over the space-time neighbourhood, binary weights", "global_moments",
        "mean and variance of the whole cube (every cell at every step): ArcGIS's entire-cube "
        "window; R sfdep computes Gi* per time slice (its issue #58)",
        "step", ts_unit_name(par->step), "time_lag", par->time_lag, "first_step",
        emerging_step_label(r, 0), "last_step", emerging_step_label(r, T - 1), "steps",
        (json_int_t)T, "cell_size", hotspots_cell_size(H), "cell_rule", hotspots_cell_rule(H),
        "band", hotspots_band(H) > 0 ? json_real(hotspots_band(H)) : json_null(), "band_rule",
        hotspots_band_rule(H), "shape", par->space.shape == HOTSPOTS_HEX ? "hex" : "square", "fdr",
        par->fdr, "alpha", par->alpha, "trend_alpha", par->trend_alpha, "study_area",
        "cells whose centre lies in the union of the study areas; a cell with nothing in a step "
        "is a zero",
        "incidents",
        disc_total_shown(pol, any_hidden) ? json_integer((json_int_t)incidents) : json_null(),
        "incidents_outside",
        disc_total_shown(pol, any_hidden) ? json_integer((json_int_t)outside) : json_null(),
        "incidents_undated", (json_int_t)undated, "cells", (json_int_t)n, "patterns", counts);
    if (pv)
        json_object_set_new(pv, "without_point",
                            json_integer((json_int_t)emerging_without_point(r)));
    size_t dups = 0;
    const char *counted = emerging_counted(r, &dups);
    if (pv) json_object_set_new(pv, "counted", json_string(counted));
    if (pv)
        json_object_set_new(pv, "linked_duplicates",
                            disc_total_shown(pol, any_hidden) ? json_integer((json_int_t)dups)
                                                              : json_null());
    if (pv && T < 10)
        json_object_set_new(pv, "warning",
                            json_string("fewer than 10 time steps: the Mann-Kendall trend has "
                                        "little power; ArcGIS asks for at least 10"));
    return pv;
}

hz_status emerging_geojson(const emerging_result *r, const disc_policy *pol, int series,
                           json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    const hotspots_result *H = emerging_lattice(r);
    double *x, *y;
    int nv;
    hz_status rc = hotspots_outlines(H, &x, &y, &nv, err, errlen);
    if (rc != HZ_OK) return rc;
    size_t n;
    const emerging_cell *c = emerging_cells(r, &n);
    json_t *feats = json_array();
    json_t *fc = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", feats);
    for (size_t i = 0; fc && i < n; i++) {
        if (i % 4096 == 0 && (rc = hz_cancel_status(err, errlen)) != HZ_OK) break;
        json_t *ring = json_array();
        for (int v = 0; v <= nv; v++) {
            size_t k = i * (size_t)nv + (size_t)(v % nv);
            json_array_append_new(ring, json_pack("[o, o]", coord(x[k]), coord(y[k])));
        }
        json_t *f =
            json_pack("{s:s, s:I, s:{s:s, s:[o]}, s:o}", "type", "Feature", "id",
                      (json_int_t)hotspots_cell_id(H, i), "geometry", "type", "Polygon",
                      "coordinates", ring, "properties", props_json(r, i, &c[i], pol, series));
        if (!f || json_array_append_new(feats, f)) {
            json_decref(fc);
            fc = NULL;
        }
    }
    json_t *pv = fc && rc == HZ_OK ? provenance(r, pol) : NULL;
    free(x);
    free(y);
    if (rc != HZ_OK) {
        json_decref(fc);
        return rc;
    }
    if (!fc || !pv || json_object_set_new(fc, "provenance", pv)) {
        json_decref(fc);
        return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    }
    *out = fc;
    return HZ_OK;
}

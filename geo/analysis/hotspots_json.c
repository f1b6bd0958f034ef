/* hotspots_json.c - the hot-spot cells as GeoJSON: one writer of a cell's Feature text
 * (hotspots_writer_feature()), and the FeatureCollection of the CLI and the release built from
 * it (hotspots_geojson_text(), and hotspots_geojson() its parse), so that the forms cannot
 * drift apart.
 *
 * A Feature is {"type","id","geometry","properties"}; the properties, in this order: count, z,
 * p, p_fdr, class, confidence, row, col, x_utm, y_utm, neighbours, then score (scored results),
 * p_perm (with permutations) and suppressed (hidden cells). Reals are written as jansson writes
 * them at 12 digits (jbuf_real()); coordinates at 1e-7 degrees (jbuf_fixed7(), about 1 cm). */
#include "hazmap/hotspots.h"
#include "hazmap/cancel.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

struct hotspots_writer {
    const hotspots_result *r;
    const hotspots_cell *cells;
    size_t ncells;
    disc_policy pol; /* a copy; none when the caller gave NULL */
    int has_pol, nv, scored, perm;
    double *lon, *lat; /* nv outline vertices per cell (hotspots_outlines()) */
};

hz_status hotspots_writer_new(const hotspots_result *r, const disc_policy *pol,
                              hotspots_writer **out, char *err, size_t errlen)
{
    *out = NULL;
    hotspots_writer *w = calloc(1, sizeof *w);
    if (!w) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    hz_status rc = hotspots_outlines(r, &w->lon, &w->lat, &w->nv, err, errlen);
    if (rc != HZ_OK) {
        free(w);
        return rc;
    }
    w->r = r;
    w->cells = hotspots_cells(r, &w->ncells);
    w->has_pol = pol != NULL;
    if (pol) w->pol = *pol;
    w->scored = hotspots_scored(r);
    w->perm = hotspots_permutations(r) > 0;
    *out = w;
    return HZ_OK;
}

void hotspots_writer_free(hotspots_writer *w)
{
    if (!w) return;
    free(w->lon);
    free(w->lat);
    free(w);
}

static double rounded7(double v)
{
    return round(v * 1e7) / 1e7;
}

/* The closed ring of cell i, and its bounding box. */
static void write_ring(const hotspots_writer *w, size_t i, jbuf *b, double bb[4])
{
    bb[0] = bb[1] = INFINITY;
    bb[2] = bb[3] = -INFINITY;
    jbuf_lit(b, "[[");
    for (int v = 0; v <= w->nv; v++) {
        size_t k = i * (size_t)w->nv + (size_t)(v % w->nv); /* closed: first vertex again */
        double x = rounded7(w->lon[k]), y = rounded7(w->lat[k]);
        bb[0] = fmin(bb[0], x);
        bb[1] = fmin(bb[1], y);
        bb[2] = fmax(bb[2], x);
        bb[3] = fmax(bb[3], y);
        jbuf_lit(b, v ? ",[" : "[");
        jbuf_fixed7(b, w->lon[k]);
        jbuf_lit(b, ",");
        jbuf_fixed7(b, w->lat[k]);
        jbuf_lit(b, "]");
    }
    jbuf_lit(b, "]]");
}

static void key_real(jbuf *b, const char *key, double v)
{
    jbuf_lit(b, key);
    jbuf_real(b, v);
}

static void key_int(jbuf *b, const char *key, long long v)
{
    jbuf_lit(b, key);
    jbuf_int(b, v);
}

void hotspots_writer_feature(const hotspots_writer *w, size_t i, long long id, jbuf *b,
                             double bb[4])
{
    assert(i < w->ncells);
    const hotspots_cell *c = &w->cells[i];
    const disc_policy *pol = w->has_pol ? &w->pol : NULL;
    int sup = disc_hidden(pol, (long)c->count);
    /* Gi* is linear in the counts: with every cell's z (and the published weights) a reader
     * could solve the suppressed counts back. Restricted output keeps the classes. */
    int values = !disc_restricts(pol);
    key_int(b, "{\"type\":\"Feature\",\"id\":", id);
    jbuf_lit(b, ",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":");
    write_ring(w, i, b, bb);
    jbuf_lit(b, "},\"properties\":{\"count\":");
    if (sup)
        jbuf_lit(b, "null");
    else
        jbuf_int(b, c->count);
    if (values) {
        key_real(b, ",\"z\":", c->z);
        key_real(b, ",\"p\":", c->p);
        key_real(b, ",\"p_fdr\":", c->p_fdr);
    }
    jbuf_lit(b, ",\"class\":");
    jbuf_str(b, hotspots_class_name(c->confidence));
    key_int(b, ",\"confidence\":", c->confidence);
    key_int(b, ",\"row\":", c->row);
    key_int(b, ",\"col\":", c->col);
    key_real(b, ",\"x_utm\":", c->cx);
    key_real(b, ",\"y_utm\":", c->cy);
    key_int(b, ",\"neighbours\":", c->neighbours);
    if (w->scored) key_real(b, ",\"score\":", sup ? NAN : c->value);
    if (w->perm && values) key_real(b, ",\"p_perm\":", c->p_perm);
    if (sup) jbuf_lit(b, ",\"suppressed\":true");
    jbuf_lit(b, "}}");
}

hz_status hotspots_geojson_text(const hotspots_result *r, const disc_policy *pol, char **text,
                                size_t *len, char *err, size_t errlen)
{
    *text = NULL;
    *len = 0;
    hotspots_writer *w;
    hz_status rc = hotspots_writer_new(r, pol, &w, err, errlen);
    if (rc != HZ_OK) return rc;
    json_t *prov = hotspots_provenance(r);
    jbuf b = {0};
    jbuf_lit(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (size_t i = 0; i < w->ncells && prov; i++) {
        /* writing 100,000 cells takes as long as computing them: under the deadline too */
        if (i % 4096 == 0 && (rc = hz_cancel_status(err, errlen)) != HZ_OK) break;
        double bb[4];
        if (i) jbuf_lit(&b, ",");
        hotspots_writer_feature(w, i, (long long)hotspots_cell_id(r, i), &b, bb);
    }
    jbuf_lit(&b, "],\"provenance\":");
    jbuf_json(&b, prov);
    jbuf_lit(&b, "}");
    hotspots_writer_free(w);
    char *t = jbuf_take(&b, len);
    if (rc == HZ_OK && (!prov || !t)) rc = hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    json_decref(prov);
    if (rc != HZ_OK) {
        free(t);
        *len = 0;
        return rc;
    }
    *text = t;
    return HZ_OK;
}

hz_status hotspots_geojson(const hotspots_result *r, const disc_policy *pol, json_t **out,
                           char *err, size_t errlen)
{
    *out = NULL;
    char *text;
    size_t len;
    hz_status rc = hotspots_geojson_text(r, pol, &text, &len, err, errlen);
    if (rc != HZ_OK) return rc;
    json_error_t je;
    json_t *fc = json_loadb(text, len, 0, &je);
    free(text);
    /* the text is ours: a parse failure is memory, not syntax */
    if (!fc) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory (%s)", je.text);
    *out = fc;
    return HZ_OK;
}

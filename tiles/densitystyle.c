/* densitystyle.c - the density GeoTIFF's legend, QML and ZIP (densitystyle.h). */
#include "hazmap/densitystyle.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

hz_status densitystyle_fit(const density_result *r, colorramp_scale *s, char *err, size_t errlen)
{
    size_t n = (size_t)r->grid.nx * (size_t)r->grid.ny, k = 0;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory (density legend)");
    for (size_t i = 0; i < n; i++) {
        float x = r->values[i];
        if (isfinite(x) && x > 0 && x != (float)DENSITY_NODATA) v[k++] = x;
    }
    colorramp_scale_fit(v, k, s, NULL);
    free(v);
    return HZ_OK;
}

static const char *unit_of(hz_weight_mode mode)
{
    return mode == HZ_WEIGHT_SCORE ? "severity score per km² per year"
                                   : "incidents per km² per year";
}

char **densitystyle_band_meta(const colorramp_scale *s, hz_weight_mode mode, const char *qml_name)
{
    enum { N = 5 };
    char **m = calloc(N, sizeof *m);
    json_t *legend = colorramp_legend_json(s, mode);
    char *lj = legend ? json_dumps(legend, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(legend);
    char bt[COLORRAMP_CLASSES * 24], ct[COLORRAMP_CLASSES * 12];
    size_t bn = 0, cn = 0;
    for (int k = 0; k < COLORRAMP_CLASSES; k++) {
        unsigned char c[4];
        colorramp_rgba(k, c);
        cn += (size_t)snprintf(ct + cn, sizeof ct - cn, "%s#%02x%02x%02x%02x", k ? "," : "", c[0],
                               c[1], c[2], c[3]);
        bn += (size_t)snprintf(bt + bn, sizeof bt - bn, "%s%.15g", k ? "," : "", s->breaks[k]);
    }
    int ok = m && lj && bn < sizeof bt && cn < sizeof ct;
    if (ok && asprintf(&m[0], "LEGEND=%s", lj) < 0) m[0] = NULL, ok = 0;
    if (ok && asprintf(&m[1], "LEGEND_BREAKS=%s", bt) < 0) m[1] = NULL, ok = 0;
    if (ok && asprintf(&m[2], "LEGEND_COLORS=%s", ct) < 0) m[2] = NULL, ok = 0;
    if (ok && asprintf(&m[3], "STYLE=%s", qml_name) < 0) m[3] = NULL, ok = 0;
    free(lj);
    if (!ok) {
        densitystyle_meta_free(m);
        return NULL;
    }
    return m;
}

void densitystyle_meta_free(char **meta)
{
    for (char **p = meta; p && *p; p++)
        free(*p);
    free(meta);
}

/* One <item> of the discrete ramp: values at or below value (text) get colour c. */
static void qml_item(FILE *b, const char *value, const unsigned char c[4], const char *label)
{
    /* labels are numbers and "&lt;", "&gt;=": no other markup */
    fprintf(b, "          <item value=\"%s\" color=\"#%02x%02x%02x\" alpha=\"%d\" label=\"%s\"/>\n",
            value, c[0], c[1], c[2], c[3], label);
}

char *densitystyle_qml(const colorramp_scale *s, hz_weight_mode mode)
{
    const double *br = s->breaks;
    char head[1024];
    snprintf(head, sizeof head,
             "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
             "<!-- hazmap density legend: ColorBrewer YlOrRd 9, %s (colorramp.h) -->\n"
             "<qgis version=\"3.22.0\" styleCategories=\"Symbology\">\n"
             "  <pipe>\n"
             "    <rasterrenderer type=\"singlebandpseudocolor\" band=\"1\" opacity=\"1\" "
             "alphaBand=\"-1\" classificationMin=\"%.15g\" classificationMax=\"%.15g\" "
             "nodataColor=\"\">\n"
             "      <rasterTransparency/>\n"
             "      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent>"
             "<statAccuracy>Estimated</statAccuracy><cumulativeCutLower>0.02</cumulativeCutLower>"
             "<cumulativeCutUpper>0.98</cumulativeCutUpper><stdDevFactor>2</stdDevFactor>"
             "</minMaxOrigin>\n"
             "      <rastershader>\n"
             "        <colorrampshader colorRampType=\"DISCRETE\" classificationMode=\"1\" "
             "clip=\"0\" minimumValue=\"%.15g\" maximumValue=\"%.15g\" labelPrecision=\"6\">\n",
             unit_of(mode), br[0], br[COLORRAMP_CLASSES - 1], br[0], br[COLORRAMP_CLASSES - 1]);
    char *text = NULL;
    size_t len = 0;
    FILE *b = open_memstream(&text, &len);
    if (!b) return NULL;
    fputs(head, b);
    char value[40], label[96];
    const unsigned char clear[4] = {0, 0, 0, 0};
    snprintf(value, sizeof value, "%.15g", br[0]);
    snprintf(label, sizeof label, "&lt; %.6g", br[0]);
    qml_item(b, value, clear, label); /* below the first break: transparent */
    for (int k = 0; k < COLORRAMP_CLASSES; k++) {
        unsigned char c[4];
        colorramp_rgba(k, c);
        if (k + 1 < COLORRAMP_CLASSES) {
            snprintf(value, sizeof value, "%.15g", br[k + 1]);
            snprintf(label, sizeof label, "%.6g - %.6g", br[k], br[k + 1]);
        } else {
            snprintf(value, sizeof value, "inf");
            snprintf(label, sizeof label, "&gt;= %.6g", br[k]);
        }
        qml_item(b, value, c, label);
    }
    fputs("        </colorrampshader>\n"
          "      </rastershader>\n"
          "    </rasterrenderer>\n"
          "    <brightnesscontrast brightness=\"0\" contrast=\"0\" gamma=\"1\"/>\n"
          "    <huesaturation saturation=\"0\" grayscaleMode=\"0\" colorizeOn=\"0\"/>\n"
          "    <rasterresampler maxOversampling=\"2\"/>\n"
          "  </pipe>\n"
          "  <blendMode>0</blendMode>\n"
          "</qgis>\n",
          b);
    int bad = ferror(b);
    if (fclose(b) != 0 || bad) {
        free(text);
        return NULL;
    }
    return text;
}

hz_status densitystyle_write_qml(const colorramp_scale *s, hz_weight_mode mode, const char *path,
                                 char *err, size_t errlen)
{
    char *q = densitystyle_qml(s, mode);
    if (!q) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory (QML)");
    FILE *f = fopen(path, "wb");
    int ok = f && fputs(q, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    free(q);
    return ok ? HZ_OK : hz_fail(HZ_EIO, err, errlen, "%s: cannot write the QML style", path);
}

int densitystyle_qml_path(const char *path, char *out, size_t outlen)
{
    size_t n = strlen(path);
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash) &&
        (strcasecmp(dot, ".tif") == 0 || strcasecmp(dot, ".tiff") == 0))
        n = (size_t)(dot - path);
    int w = snprintf(out, outlen, "%.*s.qml", (int)n, path);
    return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

hz_status densitystyle_zip(const densitystyle_file *files, int n, unsigned char **zip, size_t *len,
                           char *err, size_t errlen)
{
    *zip = NULL;
    *len = 0;
    char name[128];
    int here = 0;
    snprintf(name, sizeof name, "/vsimem/hazmap-zip-%lx-%p.zip", (unsigned long)pthread_self(),
             (void *)&here);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    void *z = CPLCreateZip(name, NULL);
    int ok = z != NULL;
    for (int i = 0; ok && i < n; i++) {
        ok = CPLCreateFileInZip(z, files[i].name, NULL) == CE_None;
        /* CPLWriteFileInZip() takes an int size: a GeoTIFF of the server is far below 2 GB */
        for (size_t off = 0; ok && off < files[i].len;) {
            size_t chunk = files[i].len - off > (1u << 30) ? (1u << 30) : files[i].len - off;
            ok = CPLWriteFileInZip(z, (const char *)files[i].data + off, (int)chunk) == CE_None;
            off += chunk;
        }
        if (CPLCloseFileInZip(z) != CE_None) ok = 0;
    }
    if (z && CPLCloseZip(z) != CE_None) ok = 0;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", CPLGetLastErrorMsg());
    CPLPopErrorHandler();
    vsi_l_offset vlen = 0;
    GByte *bytes = ok ? VSIGetMemFileBuffer(name, &vlen, FALSE) : NULL;
    unsigned char *out = bytes ? malloc(vlen ? (size_t)vlen : 1) : NULL;
    if (out) memcpy(out, bytes, (size_t)vlen);
    VSIUnlink(name);
    if (!out)
        return hz_fail(ok ? HZ_ENOMEM : HZ_EIO, err, errlen, "ZIP archive: %s",
                       ok ? "out of memory" : msg);
    *zip = out;
    *len = (size_t)vlen;
    return HZ_OK;
}

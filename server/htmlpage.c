/* htmlpage.c - the f=html page of a JSON answer (htmlpage.h). */
#include "hazmap/htmlpage.h"
#include "hazmap/geojson.h"
#include "hazmap/json_out.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Members shown by their own section, not as rows of the members' table. */
static const char *const own_section[] = {"links", "features", "collections", "properties",
                                          "title", "type",     NULL};

int htmlpage_wanted(const hreq *rq)
{
    const char *f = hreq_arg_get(rq, "f");
    return f && strcmp(f, "html") == 0;
}

void htmlpage_escape(jbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *e = *s == '&'    ? "&amp;"
                        : *s == '<'  ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\'' ? "&#39;"
                                     : NULL;
        if (!e) continue;
        jbuf_raw(b, run, (size_t)(s - run));
        jbuf_lit(b, e);
        run = s + 1;
    }
    jbuf_raw(b, run, (size_t)(s - run));
}

/* A value as escaped text: a string as it is, a number or literal as JSON, an object or array
 * as compact JSON. */
static void value_text(jbuf *b, const json_t *v)
{
    if (json_is_string(v)) {
        htmlpage_escape(b, json_string_value(v));
        return;
    }
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (t) htmlpage_escape(b, t);
    free(t);
}

static void cell(jbuf *b, const char *tag, const json_t *v)
{
    jbuf_lit(b, "<");
    jbuf_lit(b, tag);
    jbuf_lit(b, ">");
    if (v) value_text(b, v);
    jbuf_lit(b, "</");
    jbuf_lit(b, tag);
    jbuf_lit(b, ">");
}

static void text_cell(jbuf *b, const char *tag, const char *s)
{
    json_t *v = json_string(s);
    cell(b, tag, v);
    json_decref(v);
}

/* An <a> element of href (escaped) with rel and type attributes when given. */
static void anchor(jbuf *b, const char *href, const char *rel, const char *type, const char *text)
{
    jbuf_lit(b, "<a href=\"");
    htmlpage_escape(b, href);
    jbuf_lit(b, "\"");
    if (rel) {
        jbuf_lit(b, " rel=\"");
        htmlpage_escape(b, rel);
        jbuf_lit(b, "\"");
    }
    if (type) {
        jbuf_lit(b, " type=\"");
        htmlpage_escape(b, type);
        jbuf_lit(b, "\"");
    }
    jbuf_lit(b, ">");
    htmlpage_escape(b, text);
    jbuf_lit(b, "</a>");
}

/* Every link of the JSON's "links" as an <a> with its rel and type. */
static void links_list(jbuf *b, const json_t *links)
{
    if (!json_array_size(links)) return;
    jbuf_lit(b, "<h2>Links</h2>\n<ul class=\"links\">\n");
    size_t i;
    const json_t *l;
    json_array_foreach(links, i, l)
    {
        const char *href = json_string_value(json_object_get(l, "href"));
        if (!href) continue;
        const char *rel = json_string_value(json_object_get(l, "rel"));
        const char *type = json_string_value(json_object_get(l, "type"));
        const char *title = json_string_value(json_object_get(l, "title"));
        jbuf_lit(b, "<li>");
        anchor(b, href, rel, type, title ? title : href);
        jbuf_lit(b, " (");
        htmlpage_escape(b, rel ? rel : "");
        if (type) {
            jbuf_lit(b, ", ");
            htmlpage_escape(b, type);
        }
        jbuf_lit(b, ")</li>\n");
    }
    jbuf_lit(b, "</ul>\n");
}

/* The names of the properties of every feature, in first-seen order (a new array). */
static json_t *property_names(const json_t *features)
{
    json_t *names = json_array(), *seen = json_object();
    size_t i;
    const json_t *f;
    json_array_foreach(features, i, f)
    {
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(f, "properties"), k, v)
        {
            if (json_object_get(seen, k)) continue;
            json_object_set_new(seen, k, json_true());
            json_array_append_new(names, json_string(k));
        }
    }
    json_decref(seen);
    return names;
}

/* The geometry's type, and a point's coordinates. */
static void geometry_cell(jbuf *b, const json_t *g)
{
    jbuf_lit(b, "<td>");
    const char *type = json_string_value(json_object_get(g, "type"));
    htmlpage_escape(b, type ? type : "");
    if (type && strcmp(type, "Point") == 0) {
        jbuf_lit(b, " ");
        value_text(b, json_object_get(g, "coordinates"));
    }
    jbuf_lit(b, "</td>");
}

/* A FeatureCollection's features: a row each, id, geometry and the properties. */
static void features_table(jbuf *b, const json_t *fc)
{
    const json_t *all = json_object_get(fc, "features");
    jbuf_lit(b, "<p>");
    const json_t *m = json_object_get(fc, "numberMatched"),
                 *r = json_object_get(fc, "numberReturned");
    if (m && r) {
        value_text(b, r);
        jbuf_lit(b, " of ");
        value_text(b, m);
        jbuf_lit(b, " features");
    }
    jbuf_lit(b, "</p>\n<table class=\"features\">\n<tr><th>id</th><th>geometry</th>");
    json_t *names = property_names(all);
    size_t i, j;
    const json_t *f, *n;
    json_array_foreach(names, j, n) cell(b, "th", n);
    jbuf_lit(b, "</tr>\n");
    json_array_foreach(all, i, f)
    {
        jbuf_lit(b, "<tr>");
        cell(b, "td", json_object_get(f, "id"));
        geometry_cell(b, json_object_get(f, "geometry"));
        const json_t *props = json_object_get(f, "properties");
        json_array_foreach(names, j, n) cell(b, "td", json_object_get(props, json_string_value(n)));
        jbuf_lit(b, "</tr>\n");
    }
    json_decref(names);
    jbuf_lit(b, "</table>\n");
}

/* One Feature: its id, geometry and properties as rows of name and value. */
static void feature_table(jbuf *b, const json_t *f)
{
    jbuf_lit(b, "<table class=\"feature\">\n<tr><th>id</th>");
    cell(b, "td", json_object_get(f, "id"));
    jbuf_lit(b, "</tr>\n<tr><th>geometry</th><td>");
    value_text(b, json_object_get(f, "geometry"));
    jbuf_lit(b, "</td></tr>\n");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(f, "properties"), k, v)
    {
        jbuf_lit(b, "<tr>");
        text_cell(b, "th", k);
        cell(b, "td", v);
        jbuf_lit(b, "</tr>\n");
    }
    jbuf_lit(b, "</table>\n");
}

/* The list of collections: id (linked to its HTML page), title, description. */
static void collections_table(jbuf *b, const char *base, const json_t *colls)
{
    jbuf_lit(b, "<table class=\"collections\">\n<tr><th>id</th><th>title</th><th>description</th>"
                "</tr>\n");
    size_t i;
    const json_t *c;
    json_array_foreach(colls, i, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        if (!id) continue;
        char href[512];
        snprintf(href, sizeof href, "%s/collections/%s?f=html", base, id);
        jbuf_lit(b, "<tr><td>");
        anchor(b, href, "item", "text/html", id);
        jbuf_lit(b, "</td>");
        cell(b, "td", json_object_get(c, "title"));
        cell(b, "td", json_object_get(c, "description"));
        jbuf_lit(b, "</tr>\n");
    }
    jbuf_lit(b, "</table>\n");
}

/* The other members: a row each. */
static void members_table(jbuf *b, const json_t *j)
{
    const char *k;
    json_t *v;
    int any = 0;
    json_object_foreach((json_t *)j, k, v)
    {
        int skip = 0;
        for (const char *const *o = own_section; *o && !skip; o++)
            skip = strcmp(*o, k) == 0;
        if (skip) continue;
        if (!any++) jbuf_lit(b, "<table class=\"members\">\n");
        jbuf_lit(b, "<tr>");
        text_cell(b, "th", k);
        cell(b, "td", v);
        jbuf_lit(b, "</tr>\n");
    }
    if (any) jbuf_lit(b, "</table>\n");
}

/* The request's URL with f=json in place of its f (the JSON this page was made from). */
static int json_href(const hctx *c, const hreq *rq, char *href, size_t cap)
{
    int n = snprintf(href, cap, "%s%s?", c->base, rq->path);
    if (n < 0 || (size_t)n >= cap) return -1;
    size_t off = (size_t)n;
    for (size_t i = 0; i < rq->nargs; i++) {
        if (strcmp(rq->args[i].key, "f") == 0) continue;
        if (geojson_urlencode(href, cap, &off, rq->args[i].key) || off + 2 >= cap) return -1;
        href[off++] = '=';
        href[off] = 0;
        if (geojson_urlencode(href, cap, &off, rq->args[i].value) || off + 2 >= cap) return -1;
        href[off++] = '&';
        href[off] = 0;
    }
    n = snprintf(href + off, cap - off, "f=json");
    return n < 0 || (size_t)n >= cap - off ? -1 : 0;
}

/* The page of JSON value j. */
static void render(jbuf *b, const hctx *c, const hreq *rq, const json_t *j, const char *title,
                   const char *json_type)
{
    const char *t = json_string_value(json_object_get(j, "title"));
    if (t) title = t;
    jbuf_lit(b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    htmlpage_escape(b, title);
    jbuf_lit(b, "</title>\n<style>table{border-collapse:collapse}th,td{border:1px solid #aaa;"
                "padding:2px 6px;text-align:left;vertical-align:top}</style>\n</head>\n<body>\n"
                "<h1>");
    htmlpage_escape(b, title);
    jbuf_lit(b, "</h1>\n<p>");
    char href[4096];
    if (json_href(c, rq, href, sizeof href) == 0)
        anchor(b, href, "alternate", json_type, "This page as JSON");
    jbuf_lit(b, "</p>\n");
    members_table(b, j);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (json_is_array(json_object_get(j, "features")))
        features_table(b, j);
    else if (type && strcmp(type, "Feature") == 0)
        feature_table(b, j);
    if (json_is_array(json_object_get(j, "collections")))
        collections_table(b, c->base, json_object_get(j, "collections"));
    links_list(b, json_object_get(j, "links"));
    jbuf_lit(b, "</body>\n</html>\n");
}

void htmlpage_convert(const hctx *c, const hreq *rq, hresp *rs, const char *title)
{
    if (rs->offload || rs->status != 200 || !htmlpage_wanted(rq) ||
        !strstr(rs->content_type, "json"))
        return;
    char json_type[sizeof rs->content_type];
    snprintf(json_type, sizeof json_type, "%s", rs->content_type);
    json_t *j = json_loadb((const char *)rs->body, rs->len, 0, NULL);
    jbuf b = {0};
    if (j) render(&b, c, rq, j, title, json_type);
    size_t len;
    char *page = jbuf_take(&b, &len);
    if (page && !j) { /* the answer did not parse (no memory): no empty page */
        free(page);
        page = NULL;
    }
    json_decref(j);
    if (!page) {
        int route = rs->route;
        hresp_free(rs);
        rs->route = route;
        hresp_error(rs, 503, "ServiceUnavailable", "out of memory (HTML page)");
        return;
    }
    /* the body goes; the headers (Content-Crs, provenance, Vary) stay */
    free(rs->body);
    rs->body = (unsigned char *)page;
    rs->len = len;
    snprintf(rs->content_type, sizeof rs->content_type, "%s", HTMLPAGE_TYPE);
}

/* htmlpage.h - the HTML representation (f=html) of the OGC API resources: a plain
 * server-rendered page made from the resource's JSON answer (OGC API - Features 1, 7.7
 * Requirements class "HTML": /req/html/definition, /req/html/content).
 *
 * The page holds what the JSON holds: a FeatureCollection as a table (a row a feature, a column a
 * property), a Feature as a table of its properties, the list of collections as a table, any
 * other member as a row of name and value, and every link as an <a> element; plus a link back to
 * the JSON (rel alternate). Every text from the data is escaped (& < > " '), so a property value
 * is never markup. No script, no style sheet from elsewhere. */
#ifndef HAZMAP_HTMLPAGE_H
#define HAZMAP_HTMLPAGE_H

#include "hazmap/app.h"
#include "hazmap/json_out.h"

#define HTMLPAGE_TYPE "text/html; charset=utf-8"

/* 1 when rq asks for the HTML representation (f=html). */
int htmlpage_wanted(const hreq *rq);

/* When rs is a finished 200 JSON answer to rq and rq wants HTML, replaces its body by the HTML
 * page titled title (the JSON's "title" member when it has one) and its type by HTMLPAGE_TYPE;
 * other headers are kept. Any other answer (an error, a download, an answer still to be computed
 * on the pool) is left as it is. A body that does not parse, or no memory, is a 503. */
void htmlpage_convert(const hctx *c, const hreq *rq, hresp *rs, const char *title);

/* Appends text s to b escaped for HTML text and attribute values (& < > " '). */
void htmlpage_escape(jbuf *b, const char *s);

#endif

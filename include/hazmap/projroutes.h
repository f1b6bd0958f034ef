/* projroutes.h - the safety-promotion projects registry over HTTP (issue 12; store_projects.h,
 * project.h; API.md, "Projects"):
 *
 *   GET    /api/projects?group=G&status=S&limit=N&offset=K  the projects in id order
 *   POST   /api/projects                 a new project (editors, planners): 201 + Location
 *   GET    /api/projects/{id}            one project
 *   PUT    /api/projects/{id}            replaces it (editors, planners); the body names the
 *                                        version it was read at: 409 when it changed since
 *   DELETE /api/projects/{id}?version=V  deletes it (editors, planners): 204
 *   GET    /api/projects/{id}/audit      its audit log (planners)
 *   GET    /api/projects/audit           every project's audit log (planners)
 *
 * and the items of the OGC API collection "projects" (collections.c): one feature per project,
 * its geometry the drawn location, else the project's areas as one MultiPolygon, else null.
 *
 * Who sees what (visible() and public_view() of projroutes.c are the one home of the rule):
 * planners and editors every project and member; the public the projects that have started (status
 * active, finished or stopped) without the organisational members lead_unit and partners and the
 * editing bookkeeping (version, created_at, updated_at), and never the audit log. Writes need an
 * editor or planner token (401 without one); the audit log a planner's (401 without a token, 403
 * for an editor's). Each write is recorded with the token's role and label as its actor. */
#ifndef HAZMAP_PROJROUTES_H
#define HAZMAP_PROJROUTES_H

#include "hazmap/app.h"

void projroutes_list(hctx *c, const hreq *rq, hresp *rs);
void projroutes_post(hctx *c, const hreq *rq, hresp *rs);
void projroutes_one(hctx *c, const hreq *rq, hresp *rs);    /* seg[0] = id */
void projroutes_put(hctx *c, const hreq *rq, hresp *rs);    /* seg[0] = id */
void projroutes_delete(hctx *c, const hreq *rq, hresp *rs); /* seg[0] = id */
void projroutes_audit(hctx *c, const hreq *rq, hresp *rs);  /* seg[0] = id, or none: all */

/* The collection "projects" (collections.c): a page of features, one feature. */
void projroutes_items(hctx *c, const hreq *rq, hresp *rs);
void projroutes_item(hctx *c, const char *fid, const hreq *rq, hresp *rs);

/* Adds the routes above to an OpenAPI document's paths object (openapi.c). */
void projroutes_openapi(json_t *paths);

#endif

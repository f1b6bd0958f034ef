/* openapi.h - GET /api: the OpenAPI 3.0 document of every endpoint and parameter of the server
 * (OGC API - Features "oas30" conformance class). */
#ifndef HAZMAP_OPENAPI_H
#define HAZMAP_OPENAPI_H

#include <jansson.h>

#include "hazmap/app.h"

void openapi_document(hctx *c, const hreq *rq, hresp *rs);

/* The document itself (new reference; NULL on OOM); server_url is the "servers" entry. */
json_t *openapi_build(const char *server_url, const char *title);

#endif

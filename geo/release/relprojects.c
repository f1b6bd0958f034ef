/* relprojects.c - a release published with the started projects' effects (release.h,
 * rel_publish_projects()): the public's only view of the evaluations (PRIVACY.md). */
#include <assert.h>

#include "hazmap/projeval.h"
#include "hazmap/release.h"
#include "hazmap/store.h"

hz_status rel_publish_projects(store *st, rel_release *r, const incset *s, const disc_policy *pol,
                               int64_t *id, char *err, size_t errlen)
{
    assert(st && r && s && pol);
    json_t *list = NULL;
    hz_status rc = projeval_list(st, s, NULL, NULL, 1, pol, &list, err, errlen);
    if (rc != HZ_OK) return rc;
    json_t *summary = projeval_public_summary(list);
    json_decref(list);
    if (!summary) return hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
    rc = rel_set_project_effects(r, summary);
    if (rc != HZ_OK) return hz_fail(rc, err, errlen, "out of memory");
    return rel_publish(st, r, id, err, errlen);
}

/* wgroups.c - the working groups' table (wgroups.h). */
#include "hazmap/wgroups.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ten working groups in the programme's order, then the two groups without incidents of
 * their own. The filters use only words of geo/vocab.c. */
static const wgroup GROUPS[] = {
    {"order", "社会治安", "Public order", "intent=assault", 1},
    {"traffic", "交通安全", "Road traffic", "mechanism=traffic", 1},
    {"fire", "消防安全", "Fire", "mechanism=fire_flame,hot_substance", 1},
    {"workplace", "工作场所安全", "Workplace", "place=workplace", 1},
    {"home", "居家安全", "Home", "place=home", 1},
    {"elderly", "老年人安全", "Elderly", "age=65-", 1},
    {"disabled", "残疾人安全", "Disabled people", "disability=yes", 1},
    {"school", "学校安全", "School", "place=school", 1},
    {"environment", "环境安全", "Environment",
     "mechanism=drowning,bites_stings,electric,poisoning,natural", 1},
    {"public", "公共场所安全", "Public places", "place=public", 1},
    {"surveillance", "伤害监测", "Injury surveillance", "", 0},
    {"publicity", "宣传教育", "Publicity", "", 0},
};

size_t wgroup_count(void)
{
    return sizeof GROUPS / sizeof GROUPS[0];
}

const wgroup *wgroup_at(size_t i)
{
    return i < wgroup_count() ? &GROUPS[i] : NULL;
}

const wgroup *wgroup_find(const char *key)
{
    if (!key) return NULL;
    for (size_t i = 0; i < wgroup_count(); i++)
        if (strcmp(GROUPS[i].key, key) == 0) return &GROUPS[i];
    return NULL;
}

hz_status wgroup_apply(const wgroup *g, hz_filter *f, char *err, size_t errlen)
{
    assert(g && f);
    char buf[256];
    if (snprintf(buf, sizeof buf, "%s", g->filter) >= (int)sizeof buf) {
        snprintf(err, errlen, "working group %s: filter too long", g->key);
        return HZ_EINVAL;
    }
    char *save = NULL;
    for (char *kv = strtok_r(buf, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(err, errlen, "working group %s: malformed filter '%s'", g->key, kv);
            return HZ_EINVAL;
        }
        *eq = '\0';
        hz_status rc = filter_set(f, kv, eq + 1, err, errlen);
        if (rc != HZ_OK) return rc;
    }
    return HZ_OK;
}

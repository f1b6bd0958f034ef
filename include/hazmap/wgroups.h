/* wgroups.h - the Jinjiang Safe Community programme's working groups, and the incidents each one
 * is responsible for, as one table (geo/wgroups.c) that the page (/api/config), the reports and
 * the projects registry all read.
 *
 * Ten working groups choose safety-promotion projects; each is a filter selection over the
 * mechanism x intent model (SURVEILLANCE.md):
 *   traffic      mechanism=traffic (the five motor-vehicle traffic groups)
 *   fire         mechanism=fire_flame,hot_substance
 *   workplace    place=workplace          home         place=home
 *   elderly      age=65-                  disabled     disability=yes
 *   school       place=school             public       place=public
 *   environment  mechanism=drowning,bites_stings,electric,poisoning,natural
 *   order        intent=assault           (public order, 社会治安)
 * Two more groups own projects but select no incidents of their own: surveillance (the injury
 * surveillance group) and publicity; their filter is "" (every incident).
 * Pure functions over a static table: thread-safe. */
#ifndef HAZMAP_WGROUPS_H
#define HAZMAP_WGROUPS_H

#include <stddef.h>

#include "hazmap/filter.h"
#include "hazmap/status.h"

typedef struct wgroup {
    const char *key;     /* "traffic" - the word of URLs, the CLI and the API */
    const char *name_zh; /* "道路交通安全工作组" */
    const char *name_en; /* "Road traffic safety" */
    const char *filter;  /* query string of filter.h parameters; "" selects every incident */
    int working;         /* 1 for the ten working groups, 0 for surveillance and publicity */
} wgroup;

/* Number of groups (the ten working groups first, then surveillance and publicity). */
size_t wgroup_count(void);

/* Group i in [0, wgroup_count()); NULL out of range. Borrowed, static. */
const wgroup *wgroup_at(size_t i);

/* The group with this key, or NULL. */
const wgroup *wgroup_find(const char *key);

/* Adds the group's selection to f (filter_set() for each parameter of its filter string). */
hz_status wgroup_apply(const wgroup *g, hz_filter *f, char *err, size_t errlen);

#endif

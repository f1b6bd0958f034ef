/* tokens.h - API tokens for planners and editors, stored as SHA-256 hashes in the store.
 *
 * A token is 32 random bytes (OpenSSL RAND_bytes) written as 64 lowercase hex digits; the store
 * keeps only the hex SHA-256 of that text, so a copy of the database reveals no usable token.
 * Lookups hash the presented token and compare it with every stored hash in constant time
 * (CRYPTO_memcmp, no early exit), so response times say nothing about near misses. */
#ifndef HAZMAP_TOKENS_H
#define HAZMAP_TOKENS_H

#include <stddef.h>

#include "hazmap/status.h"
#include "hazmap/store.h"

typedef enum hz_role {
    HZ_ROLE_PUBLIC = 0, /* no token: the public portal (aggregates only) */
    HZ_ROLE_EDITOR = 1, /* adds incidents; reads the planners' aggregates, not the incidents */
    HZ_ROLE_PLANNER = 2 /* reads everything and may add incidents */
} hz_role;

/* 1 if role r may read individual incidents (the incidents collection): planners only. Editors
 * write incidents but do not read them back (least privilege for health data); the public
 * sees aggregates only. The one home of this rule. */
int tokens_reads_incidents(hz_role r);

/* "public", "editor", "planner". Borrowed, static. */
const char *tokens_role_name(hz_role r);

/* Parses "planner" or "editor" (the roles a token can carry). 0, or -1 for anything else. */
int tokens_role_parse(const char *name, hz_role *r);

/* Writes the hex SHA-256 of text into hex (65 bytes, NUL-terminated). */
void tokens_hash(const char *text, char hex[65]);

/* Creates a token with the role and an optional label (may be NULL), stores its hash and writes
 * the token itself into token (65 bytes). The caller shows it once; it cannot be recovered. */
hz_status tokens_create(store *st, hz_role role, const char *label, char token[65], char *err,
                        size_t errlen);

/* Looks up a presented token: *role is its role, or HZ_ENOTFOUND (and *role HZ_ROLE_PUBLIC)
 * when no stored hash matches. */
hz_status tokens_lookup(store *st, const char *token, hz_role *role, char *err, size_t errlen);

/* tokens_lookup(), also copying the token's label ("" when it has none) into label (labellen
 * bytes, truncated; labellen 0: not copied). */
hz_status tokens_lookup_label(store *st, const char *token, hz_role *role, char *label,
                              size_t labellen, char *err, size_t errlen);

#endif

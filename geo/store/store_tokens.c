/* store_tokens.c - API token storage (hashes only) in the store's tokens table. */
#include "hazmap/tokens.h"
#include "store_pg.h"
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

int tokens_reads_incidents(hz_role r)
{
    return r == HZ_ROLE_PLANNER;
}

const char *tokens_role_name(hz_role r)
{
    switch (r) {
    case HZ_ROLE_EDITOR:
        return "editor";
    case HZ_ROLE_PLANNER:
        return "planner";
    default:
        return "public";
    }
}

int tokens_role_parse(const char *name, hz_role *r)
{
    if (strcmp(name, "planner") == 0) {
        *r = HZ_ROLE_PLANNER;
        return 0;
    }
    if (strcmp(name, "editor") == 0) {
        *r = HZ_ROLE_EDITOR;
        return 0;
    }
    return -1;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

void tokens_hash(const char *text, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        /* Only on an OpenSSL failure; an all-zero hash never matches a stored one. */
        memset(hex, '0', 64);
        hex[64] = 0;
        return;
    }
    to_hex(md, 32, hex);
}

hz_status tokens_create(store *st, hz_role role, const char *label, char token[65], char *err,
                        size_t errlen)
{
    if (role != HZ_ROLE_PLANNER && role != HZ_ROLE_EDITOR)
        return hz_fail(HZ_EINVAL, err, errlen, "role: must be planner or editor");
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return hz_fail(HZ_EIO, err, errlen, "cannot get random bytes from OpenSSL");
    to_hex(raw, sizeof raw, token);
    char hex[65];
    tokens_hash(token, hex);
    if (store_pg(st))
        return pg_token_insert(store_pg(st), hex, tokens_role_name(role), label, err, errlen);
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO tokens(hash,role,created_at,label)"
                           " VALUES(?,?,strftime('%Y-%m-%dT%H:%M:%SZ','now'),?)",
                           -1, &s, NULL) != SQLITE_OK)
        return hz_fail(store_sqlite_status(db), err, errlen, "%s: storing token: %s",
                       store_path(st), sqlite3_errmsg(db));
    sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, tokens_role_name(role), -1, SQLITE_STATIC);
    if (label)
        sqlite3_bind_text(s, 3, label, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 3);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return hz_fail(store_sqlite_status(db), err, errlen, "%s: storing token: %s",
                       store_path(st), sqlite3_errmsg(db));
    return HZ_OK;
}

/* tokens_lookup()'s comparison of one stored row, for the PostGIS rows (pg_tokens_scan()). */
typedef struct token_match {
    const char *hex;
    int found;
    hz_role role;
    char *label; /* the matching row's label ("" for none) when labellen > 0 */
    size_t labellen;
} token_match;

static void match_row(void *ud, const char *h, const char *rn, const char *label)
{
    token_match *m = ud;
    hz_role this_role;
    if (strlen(h) != 64) return;
    int eq = CRYPTO_memcmp(h, m->hex, 64) == 0;
    if (eq && tokens_role_parse(rn, &this_role) == 0) {
        m->found = 1;
        m->role = this_role;
        if (m->labellen) snprintf(m->label, m->labellen, "%s", label ? label : "");
    }
}

hz_status tokens_lookup(store *st, const char *token, hz_role *role, char *err, size_t errlen)
{
    return tokens_lookup_label(st, token, role, NULL, 0, err, errlen);
}

hz_status tokens_lookup_label(store *st, const char *token, hz_role *role, char *label,
                              size_t labellen, char *err, size_t errlen)
{
    *role = HZ_ROLE_PUBLIC;
    if (labellen) label[0] = 0;
    char hex[65];
    tokens_hash(token, hex);
    if (store_pg(st)) {
        token_match m = {
            .hex = hex, .found = 0, .role = HZ_ROLE_PUBLIC, .label = label, .labellen = labellen};
        hz_status s = pg_tokens_scan(store_pg(st), match_row, &m, err, errlen);
        if (s != HZ_OK) return s;
        if (!m.found) return hz_fail(HZ_ENOTFOUND, err, errlen, "unknown token");
        *role = m.role;
        return HZ_OK;
    }
    sqlite3 *db = store_sqlite(st);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT hash, role, label FROM tokens", -1, &s, NULL) != SQLITE_OK)
        return hz_fail(HZ_EDB, err, errlen, "%s: reading tokens: %s", store_path(st),
                       sqlite3_errmsg(db));
    /* Every row is compared, whatever matched before: constant time in the token's content. */
    int found = 0;
    hz_role r = HZ_ROLE_PUBLIC;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(s, 0);
        const char *rn = (const char *)sqlite3_column_text(s, 1);
        if (!h || sqlite3_column_bytes(s, 0) != 64 || !rn) continue;
        int eq = CRYPTO_memcmp(h, hex, 64) == 0;
        hz_role this_role;
        if (eq && tokens_role_parse(rn, &this_role) == 0) {
            found = 1;
            r = this_role;
            const char *lb = (const char *)sqlite3_column_text(s, 2);
            if (labellen) snprintf(label, labellen, "%s", lb ? lb : "");
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return hz_fail(HZ_EDB, err, errlen, "%s: reading tokens: %s", store_path(st),
                       sqlite3_errmsg(db));
    if (!found) return hz_fail(HZ_ENOTFOUND, err, errlen, "unknown token");
    *role = r;
    return HZ_OK;
}

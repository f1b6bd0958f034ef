/* tilecache.c - rendered-tile cache: memory LRU within a byte budget, plus a disk directory.
 *
 * Invariants (under c->mu): every entry is in exactly one hash chain and in the LRU list
 * (head = most recently used); c->bytes is the sum of entry_cost() over the entries and stays
 * <= c->budget after every put. */
#include "hazmap/tilecache.h"

#include <dirent.h>
#include <assert.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {
    struct entry *hnext;       /* hash chain */
    struct entry *prev, *next; /* LRU list */
    uint64_t hash;
    char *key;
    unsigned char *data;
    size_t len;
} entry;

struct tilecache {
    pthread_mutex_t mu;
    entry **buckets;
    size_t nbuckets; /* power of two */
    entry *head, *tail;
    size_t entries, bytes, budget;
    size_t max_entry; /* larger entries are not kept in memory (a quarter of the budget) */
    uint64_t hits, disk_hits, misses, evictions;
    char *dir; /* NULL = memory only */
};

/* FNV-1a, 64 bit (Fowler, Noll, Vo): fast and adequate for in-memory chaining. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static size_t entry_cost(const entry *e)
{
    return e->len + strlen(e->key) + 1 + sizeof *e;
}

static void sha256_hex(const char *key, char hex[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void tilecache_etag(const char *key, char etag[TILECACHE_ETAG_LEN])
{
    char hex[65];
    sha256_hex(key, hex);
    snprintf(etag, TILECACHE_ETAG_LEN, "\"%.32s\"", hex);
}

tilecache *tilecache_new(size_t mem_bytes, const char *disk_dir, char *err, size_t errlen)
{
    tilecache *c = calloc(1, sizeof *c);
    if (!c) {
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    c->budget = mem_bytes;
    c->max_entry = mem_bytes / 4;
    c->nbuckets = 1024;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        hz_fail(HZ_ENOMEM, err, errlen, "out of memory");
        return NULL;
    }
    if (disk_dir && disk_dir[0]) {
        if (mkdir(disk_dir, 0755) != 0 && errno != EEXIST) {
            hz_fail(HZ_EIO, err, errlen, "cache_dir %s: %s", disk_dir, strerror(errno));
            free(c->buckets);
            free(c);
            return NULL;
        }
        struct stat sb;
        if (stat(disk_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            hz_fail(HZ_EIO, err, errlen, "cache_dir %s: not a directory", disk_dir);
            free(c->buckets);
            free(c);
            return NULL;
        }
        c->dir = strdup(disk_dir);
    }
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void entry_free(entry *e)
{
    free(e->key);
    free(e->data);
    free(e);
}

static void clear_memory(tilecache *c)
{
    for (entry *e = c->head, *n; e; e = n) {
        n = e->next;
        entry_free(e);
    }
    memset(c->buckets, 0, c->nbuckets * sizeof *c->buckets);
    c->head = c->tail = NULL;
    c->entries = c->bytes = 0;
}

void tilecache_free(tilecache *c)
{
    if (!c) return;
    clear_memory(c);
    free(c->buckets);
    free(c->dir);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void lru_unlink(tilecache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(tilecache *c, entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static entry *find(tilecache *c, const char *key, uint64_t h)
{
    for (entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0) return e;
    return NULL;
}

static void remove_entry(tilecache *c, entry *e)
{
    entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(c, e);
    c->entries--;
    c->bytes -= entry_cost(e);
    entry_free(e);
}

static void grow(tilecache *c)
{
    size_t nb = c->nbuckets * 2;
    entry **b = calloc(nb, sizeof *b);
    if (!b) return; /* longer chains, still correct */
    for (entry *e = c->head; e; e = e->next) {
        e->hnext = b[e->hash & (nb - 1)];
        b[e->hash & (nb - 1)] = e;
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = nb;
}

/* Inserts under c->mu; returns 0 if not kept (too large or out of memory). */
static int mem_insert(tilecache *c, const char *key, const unsigned char *data, size_t len)
{
    uint64_t h = fnv1a(key);
    entry *old = find(c, key, h);
    if (old) remove_entry(c, old);
    entry *e = calloc(1, sizeof *e);
    if (!e) return 0;
    e->hash = h;
    e->key = strdup(key);
    e->data = malloc(len ? len : 1);
    e->len = len;
    if (!e->key || !e->data || entry_cost(e) > c->max_entry) {
        entry_free(e);
        return 0;
    }
    memcpy(e->data, data, len);
    while (c->tail && c->bytes + entry_cost(e) > c->budget) {
        assert(!c->tail->next); /* the tail is the last entry (so removing it moves c->tail) */
        remove_entry(c, c->tail);
        c->evictions++;
    }
    size_t b = h & (c->nbuckets - 1);
    e->hnext = c->buckets[b];
    c->buckets[b] = e;
    lru_push_front(c, e);
    c->entries++;
    c->bytes += entry_cost(e);
    if (c->entries > c->nbuckets) grow(c);
    return 1;
}

static void disk_path(const tilecache *c, const char *key, char *path, size_t n, char *sub,
                      size_t subn)
{
    char hex[65];
    sha256_hex(key, hex);
    snprintf(sub, subn, "%s/%.2s", c->dir, hex);
    snprintf(path, n, "%s/%.2s/%s.png", c->dir, hex, hex);
}

static int read_file(const char *path, unsigned char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (1 << 26)) {
        fclose(f);
        return -1;
    }
    size_t n = (size_t)sb.st_size;
    unsigned char *p = malloc(n ? n : 1);
    if (!p || fread(p, 1, n, f) != n) {
        free(p);
        fclose(f);
        return -1;
    }
    fclose(f);
    *data = p;
    *len = n;
    return 0;
}

void tilecache_set_max_entry(tilecache *c, size_t bytes)
{
    pthread_mutex_lock(&c->mu);
    c->max_entry = bytes < c->budget ? bytes : c->budget;
    pthread_mutex_unlock(&c->mu);
}

hz_status tilecache_borrow(tilecache *c, const char *key, tilecache_reader fn, void *ud)
{
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key, fnv1a(key));
    if (e) {
        lru_unlink(c, e);
        lru_push_front(c, e);
        c->hits++;
        fn(ud, e->data, e->len);
        pthread_mutex_unlock(&c->mu);
        return HZ_OK;
    }
    pthread_mutex_unlock(&c->mu);
    if (!c->dir) {
        pthread_mutex_lock(&c->mu);
        c->misses++;
        pthread_mutex_unlock(&c->mu);
        return HZ_ENOTFOUND;
    }
    unsigned char *data;
    size_t len;
    hz_status s = tilecache_get(c, key, &data, &len);
    if (s != HZ_OK) return s;
    fn(ud, data, len);
    free(data);
    return HZ_OK;
}

hz_status tilecache_get(tilecache *c, const char *key, unsigned char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key, fnv1a(key));
    if (e) {
        unsigned char *p = malloc(e->len ? e->len : 1);
        if (p) {
            memcpy(p, e->data, e->len);
            *data = p;
            *len = e->len;
            lru_unlink(c, e);
            lru_push_front(c, e);
            c->hits++;
        }
        pthread_mutex_unlock(&c->mu);
        return p ? HZ_OK : HZ_ENOMEM;
    }
    pthread_mutex_unlock(&c->mu);
    if (c->dir) {
        char path[1400], sub[1200];
        disk_path(c, key, path, sizeof path, sub, sizeof sub);
        if (read_file(path, data, len) == 0) {
            pthread_mutex_lock(&c->mu);
            c->disk_hits++;
            mem_insert(c, key, *data, *len);
            pthread_mutex_unlock(&c->mu);
            return HZ_OK;
        }
    }
    pthread_mutex_lock(&c->mu);
    c->misses++;
    pthread_mutex_unlock(&c->mu);
    return HZ_ENOTFOUND;
}

hz_status tilecache_put(tilecache *c, const char *key, const unsigned char *data, size_t len,
                        char *err, size_t errlen)
{
    pthread_mutex_lock(&c->mu);
    mem_insert(c, key, data, len);
    pthread_mutex_unlock(&c->mu);
    if (!c->dir) return HZ_OK;
    char path[1400], sub[1200], tmp[1500];
    disk_path(c, key, path, sizeof path, sub, sizeof sub);
    if (mkdir(sub, 0755) != 0 && errno != EEXIST)
        return hz_fail(HZ_EIO, err, errlen, "%s: %s", sub, strerror(errno));
    /* A unique temporary name per thread and call, then an atomic rename(). */
    static const char tmpl[] = "%s.%ld.%lx.tmp";
    snprintf(tmp, sizeof tmp, tmpl, path, (long)getpid(), (unsigned long)pthread_self());
    FILE *f = fopen(tmp, "wb");
    if (!f) return hz_fail(HZ_EIO, err, errlen, "%s: %s", tmp, strerror(errno));
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return hz_fail(HZ_EIO, err, errlen, "%s: %s", path, strerror(e));
    }
    return HZ_OK;
}

/* Removes DIR/hh/<64 hex>.png files (and leftover .tmp files), then the empty hh directories.
 * Only names of that shape are touched, so a mistaken cache_dir loses nothing else. */
static void purge_disk(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (strlen(n) != 2 || !strchr("0123456789abcdef", n[0]) ||
            !strchr("0123456789abcdef", n[1]))
            continue;
        char sub[1200];
        snprintf(sub, sizeof sub, "%s/%s", dir, n);
        DIR *s = opendir(sub);
        if (!s) continue;
        struct dirent *fe;
        while ((fe = readdir(s))) {
            size_t l = strlen(fe->d_name);
            if (l < 68 || strncmp(fe->d_name, n, 2) != 0) continue;
            if (strcmp(fe->d_name + 64, ".png") != 0 && strstr(fe->d_name, ".tmp") == NULL)
                continue;
            char p[1500];
            snprintf(p, sizeof p, "%s/%s", sub, fe->d_name);
            unlink(p);
        }
        closedir(s);
        rmdir(sub);
    }
    closedir(d);
}

void tilecache_purge(tilecache *c, int disk_too)
{
    pthread_mutex_lock(&c->mu);
    clear_memory(c);
    pthread_mutex_unlock(&c->mu);
    if (disk_too && c->dir) purge_disk(c->dir);
}

void tilecache_get_stats(tilecache *c, tilecache_stats *s)
{
    pthread_mutex_lock(&c->mu);
    s->hits = c->hits;
    s->disk_hits = c->disk_hits;
    s->misses = c->misses;
    s->evictions = c->evictions;
    s->entries = c->entries;
    s->bytes = c->bytes;
    s->budget = c->budget;
    pthread_mutex_unlock(&c->mu);
}

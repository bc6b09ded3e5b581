/*
 * config_cache.c - the per-worker cache of tenants' config.json (see
 * config_cache.h for why one fstatat() per request keeps it exact).
 *
 * Entries live in one array, allocated once; a chained hash table of
 * indices finds them by subdomain and a doubly linked list of indices
 * orders them by use, so a lookup, an insertion and an eviction are all
 * constant time and the cache never allocates per entry except for the
 * file's bytes and the module map parsed from them.  Slots of removed
 * entries are kept on a free list.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config_cache.h"
#include "config_modules.h"
#include "folder.h"
#include "validate.h"

#define NO_ENTRY		SIZE_MAX
#define ETAG_DIGEST_BYTES	16	/* 32 hex digits of the SHA-256 */

/* The most one entry can hold: the largest file and the largest map. */
#define ENTRY_BYTES_MAX	(CONFIG_CACHE_FILE_MAX + \
	CONFIG_MODULES_MAX * sizeof(struct config_module_flag))

struct cache_entry {
	char		 subdomain[SUBDOMAIN_MAX + 1];
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim;
	int		 identity_valid;	/* 0: never matches, re-read */
	char		*data;
	size_t		 len;
	char		 etag[CONFIG_ETAG_LEN + 1];
	struct config_module_flag *modules;	/* "modules" of the bytes, or NULL */
	size_t		 module_count;
	int		 modules_valid;	/* 0: no "modules" object in them */
	size_t		 chain_next;	/* next in bucket, or in free list */
	size_t		 newer;		/* towards the most recently used */
	size_t		 older;
};

struct config_cache {
	struct cache_entry *entries;
	size_t		 max_entries;
	size_t		 high_water;	/* slots ever handed out */
	size_t		 count;
	size_t		 free_head;
	size_t		*buckets;
	size_t		 bucket_mask;
	size_t		 newest;
	size_t		 oldest;
	size_t		 bytes;
	size_t		 max_bytes;
	uint64_t	 lookups;	/* of a valid subdomain, for metrics */
	uint64_t	 hits;		/* of them answered without a read */
};

/* FNV-1a of a subdomain: enough spread for names that are all distinct. */
static uint64_t
subdomain_hash(const char *s)
{
	uint64_t hash = UINT64_C(14695981039346656037);

	for (; *s != '\0'; s++) {
		hash ^= (unsigned char)*s;
		hash *= UINT64_C(1099511628211);
	}
	return hash;
}

/*
 * Creates a cache (see config_cache.h).  A byte budget below one entry's
 * limit (the file's and its module map's) is raised to it, so any single
 * file can always be held.  Returns
 * the cache or NULL.
 */
struct config_cache *
config_cache_new(size_t max_entries, size_t max_bytes)
{
	struct config_cache *cache = NULL;
	size_t buckets = 16, i;

	if (max_entries == 0 || max_entries > SIZE_MAX / 4)
		goto fail;
	while (buckets < max_entries * 2)
		buckets *= 2;
	if ((cache = calloc(1, sizeof(*cache))) == NULL)
		goto fail;
	cache->entries = calloc(max_entries, sizeof(*cache->entries));
	cache->buckets = calloc(buckets, sizeof(*cache->buckets));
	if (cache->entries == NULL || cache->buckets == NULL)
		goto fail;
	for (i = 0; i < buckets; i++)
		cache->buckets[i] = NO_ENTRY;
	cache->bucket_mask = buckets - 1;
	cache->max_entries = max_entries;
	cache->free_head = NO_ENTRY;
	cache->newest = NO_ENTRY;
	cache->oldest = NO_ENTRY;
	cache->max_bytes = max_bytes < ENTRY_BYTES_MAX ?
	    ENTRY_BYTES_MAX : max_bytes;
	return cache;
fail:
	config_cache_free(cache);
	return NULL;
}

/* Frees the cache, its entries and their bytes; accepts NULL. */
void
config_cache_free(struct config_cache *cache)
{
	size_t i;

	if (cache == NULL)
		return;
	if (cache->entries != NULL)
		for (i = 0; i < cache->high_water; i++) {
			free(cache->entries[i].data);
			free(cache->entries[i].modules);
		}
	free(cache->entries);
	free(cache->buckets);
	free(cache);
}

/* Number of entries held; for tests. */
size_t
config_cache_count(const struct config_cache *cache)
{
	return cache->count;
}

/* The slot holding `subdomain`, or NO_ENTRY. */
static size_t
cache_find(const struct config_cache *cache, const char *subdomain)
{
	size_t index;

	index = cache->buckets[subdomain_hash(subdomain) & cache->bucket_mask];
	while (index != NO_ENTRY) {
		if (strcmp(cache->entries[index].subdomain, subdomain) == 0)
			return index;
		index = cache->entries[index].chain_next;
	}
	return NO_ENTRY;
}

/* Takes slot `index` out of the use order. */
static void
lru_unlink(struct config_cache *cache, size_t index)
{
	struct cache_entry *e = &cache->entries[index];

	if (e->newer != NO_ENTRY)
		cache->entries[e->newer].older = e->older;
	else
		cache->newest = e->older;
	if (e->older != NO_ENTRY)
		cache->entries[e->older].newer = e->newer;
	else
		cache->oldest = e->newer;
	e->newer = e->older = NO_ENTRY;
}

/* Puts slot `index` first in the use order. */
static void
lru_push_newest(struct config_cache *cache, size_t index)
{
	struct cache_entry *e = &cache->entries[index];

	e->newer = NO_ENTRY;
	e->older = cache->newest;
	if (cache->newest != NO_ENTRY)
		cache->entries[cache->newest].newer = index;
	cache->newest = index;
	if (cache->oldest == NO_ENTRY)
		cache->oldest = index;
}

/*
 * Removes slot `index` entirely: from its bucket, from the use order, its
 * bytes freed, the slot onto the free list.
 */
static void
cache_remove(struct config_cache *cache, size_t index)
{
	struct cache_entry *e = &cache->entries[index];
	size_t *link;

	link = &cache->buckets[subdomain_hash(e->subdomain) &
	    cache->bucket_mask];
	while (*link != NO_ENTRY && *link != index)
		link = &cache->entries[*link].chain_next;
	if (*link == index)
		*link = e->chain_next;
	lru_unlink(cache, index);
	cache->bytes -= e->len + e->module_count * sizeof(*e->modules);
	free(e->data);
	free(e->modules);
	memset(e, 0, sizeof(*e));
	e->chain_next = cache->free_head;
	cache->free_head = index;
	cache->count--;
}

/*
 * A slot for a new entry: from the free list, from the unused part of the
 * array, or by evicting the least recently used entry.  Returns its index
 * (never NO_ENTRY: max_entries is at least one).
 */
static size_t
cache_slot(struct config_cache *cache)
{
	size_t index;

	if (cache->count == cache->max_entries)
		cache_remove(cache, cache->oldest);
	if (cache->free_head != NO_ENTRY) {
		index = cache->free_head;
		cache->free_head = cache->entries[index].chain_next;
	} else
		index = cache->high_water++;
	return index;
}

/* Does `st` describe the file entry `e` was read from? */
static int
identity_matches(const struct cache_entry *e, const struct stat *st)
{
	return e->identity_valid && e->dev == st->st_dev &&
	    e->ino == st->st_ino && e->size == st->st_size &&
	    e->mtim.tv_sec == st->st_mtim.tv_sec &&
	    e->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* Is errno after a failed lookup "no such config.json"? */
static int
errno_is_absent(int error)
{
	return error == ENOENT || error == ENOTDIR || error == ELOOP ||
	    error == ENXIO || error == EACCES || error == ENAMETOOLONG;
}

/*
 * Reads the config.json at `relative` below `dirfd` into a new buffer.
 * Returns 1 with the bytes in *data / *len and the file's identity in
 * `st`, with *stable 0 if the file changed while it was read (the bytes
 * are then served but not trusted for later requests); 0 when it is not
 * there or not a regular file; -1 on an error (errno set).
 */
static int
read_config(int dirfd, const char *relative, char **data, size_t *len,
    struct stat *st, int *stable)
{
	struct stat after;
	char *bytes = NULL;
	size_t want, got = 0;
	ssize_t n;
	int fd = -1, rc = -1;

	*data = NULL;
	*len = 0;
	*stable = 0;
	fd = openat(dirfd, relative, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		rc = errno_is_absent(errno) ? 0 : -1;
		goto out;
	}
	if (fstat(fd, st) == -1)
		goto out;
	if (!S_ISREG(st->st_mode)) {
		rc = 0;
		goto out;
	}
	if (st->st_size < 0 || st->st_size > CONFIG_CACHE_FILE_MAX) {
		errno = EFBIG;
		goto out;
	}
	want = (size_t)st->st_size;
	if ((bytes = malloc(want + 1)) == NULL)
		goto out;
	while (got < want) {
		n = read(fd, bytes + got, want - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	bytes[got] = '\0';
	if (fstat(fd, &after) == -1)
		goto out;
	*stable = got == want && after.st_size == st->st_size &&
	    after.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	    after.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
	*data = bytes;
	*len = got;
	bytes = NULL;
	rc = 1;
out:
	free(bytes);
	if (fd != -1)
		close(fd);
	return rc;
}

/* Writes "\"<first 32 hex of SHA-256>\"" of the bytes into `etag`. */
static void
make_etag(const char *data, size_t len, char etag[CONFIG_ETAG_LEN + 1])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[ETAG_DIGEST_BYTES * 2 + 1];

	crypto_hash_sha256(digest, (const unsigned char *)data, len);
	sodium_bin2hex(hex, sizeof(hex), digest, ETAG_DIGEST_BYTES);
	snprintf(etag, CONFIG_ETAG_LEN + 1, "\"%s\"", hex);
}

/* Fills `view` from entry `e`; `from_cache` says whether a read was saved. */
static void
view_of(const struct cache_entry *e, int from_cache, struct config_view *view)
{
	view->data = e->data;
	view->len = e->len;
	view->etag = e->etag;
	view->from_cache = from_cache;
}

/*
 * Reports the lookups answered from memory and those that had to look
 * further (a read, or no file), for the worker's metrics.
 */
void
config_cache_stats(const struct config_cache *cache, uint64_t *hits,
    uint64_t *misses)
{
	*hits = cache != NULL ? cache->hits : 0;
	*misses = cache != NULL ? cache->lookups - cache->hits : 0;
}

/*
 * Finds tenant `subdomain`'s current config.json in the cache, reading it
 * (and parsing its module map) when the file changed.  The shared part of
 * config_cache_get() and config_cache_module().  Returns 1 with the slot
 * in *found and *from_cache set, 0 when there is no such file, -1 on an
 * error (errno set).
 */
static int
cache_lookup(struct config_cache *cache, int tenants_dirfd,
    const char *subdomain, size_t *found, int *from_cache)
{
	char relative[SUBDOMAIN_MAX + sizeof("/" FOLDER_CONFIG_FILE)];
	struct stat st;
	struct cache_entry *e;
	struct config_module_flag *modules = NULL;
	char *data = NULL;
	size_t index, len, module_count, need;
	int stable, rc, modules_valid;

	*found = NO_ENTRY;
	*from_cache = 0;
	if (validate_subdomain(subdomain, strlen(subdomain)) != NULL)
		return 0;
	cache->lookups++;
	snprintf(relative, sizeof(relative), "%s/%s", subdomain,
	    FOLDER_CONFIG_FILE);
	index = cache_find(cache, subdomain);

	if (fstatat(tenants_dirfd, relative, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		int saved = errno;

		if (index != NO_ENTRY)
			cache_remove(cache, index);
		errno = saved;
		return errno_is_absent(saved) ? 0 : -1;
	}
	if (!S_ISREG(st.st_mode)) {
		if (index != NO_ENTRY)
			cache_remove(cache, index);
		return 0;
	}
	if (index != NO_ENTRY && identity_matches(&cache->entries[index],
	    &st)) {
		lru_unlink(cache, index);
		lru_push_newest(cache, index);
		*found = index;
		*from_cache = 1;
		cache->hits++;
		return 1;
	}

	rc = read_config(tenants_dirfd, relative, &data, &len, &st, &stable);
	if (rc != 1) {
		if (index != NO_ENTRY)
			cache_remove(cache, index);
		return rc;
	}
	if ((modules_valid = config_modules_parse(data, len, &modules,
	    &module_count)) == -1) {
		free(data);
		if (index != NO_ENTRY)
			cache_remove(cache, index);
		errno = ENOMEM;
		return -1;
	}
	if (index != NO_ENTRY)
		cache_remove(cache, index);
	need = len + module_count * sizeof(*modules);
	while (cache->count > 0 && need > cache->max_bytes - cache->bytes)
		cache_remove(cache, cache->oldest);
	index = cache_slot(cache);
	e = &cache->entries[index];
	memset(e, 0, sizeof(*e));
	snprintf(e->subdomain, sizeof(e->subdomain), "%s", subdomain);
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtim = st.st_mtim;
	e->identity_valid = stable;
	e->data = data;
	e->len = len;
	e->modules = modules;
	e->module_count = module_count;
	e->modules_valid = modules_valid;
	make_etag(data, len, e->etag);
	e->chain_next = cache->buckets[subdomain_hash(subdomain) &
	    cache->bucket_mask];
	cache->buckets[subdomain_hash(subdomain) & cache->bucket_mask] = index;
	lru_push_newest(cache, index);
	cache->bytes += need;
	cache->count++;
	*found = index;
	return 1;
}

/*
 * Looks up tenant `subdomain`'s config.json (see config_cache.h).  Called
 * by the config-by-subdomain handler on every request.  Returns 1, 0 or
 * -1.
 */
int
config_cache_get(struct config_cache *cache, int tenants_dirfd,
    const char *subdomain, struct config_view *view)
{
	size_t index;
	int from_cache, rc;

	memset(view, 0, sizeof(*view));
	rc = cache_lookup(cache, tenants_dirfd, subdomain, &index, &from_cache);
	if (rc == 1)
		view_of(&cache->entries[index], from_cache, view);
	return rc;
}

/*
 * The state of one module of tenant `subdomain` (see config_cache.h).
 * Called by the module gate on every question.  Returns 1, 0 or -1.
 */
int
config_cache_module(struct config_cache *cache, int tenants_dirfd,
    const char *subdomain, const char *module_key,
    enum config_module_state *state)
{
	const struct cache_entry *e;
	size_t index, i;
	int from_cache, rc;

	*state = CONFIG_MODULE_UNKNOWN;
	rc = cache_lookup(cache, tenants_dirfd, subdomain, &index, &from_cache);
	if (rc != 1)
		return rc;
	e = &cache->entries[index];
	if (!e->modules_valid) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < e->module_count; i++) {
		if (strcmp(e->modules[i].key, module_key) == 0) {
			*state = e->modules[i].enabled ?
			    CONFIG_MODULE_ENABLED : CONFIG_MODULE_DISABLED;
			break;
		}
	}
	return 1;
}

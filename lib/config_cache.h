/*
 * config_cache.h - tenants' config.json bytes kept in memory by each
 * worker, for GET /api/tenants/by-subdomain/{sub}/config/.
 *
 * config.json is only ever replaced by rename (provision.h), so a new
 * content always comes with a new inode.  Each lookup therefore costs one
 * fstatat() of <sub>/config.json (no symlink followed): when the device,
 * inode, size and modification time are those of the cached copy, the
 * cached bytes are current; otherwise the file is read again.  A change
 * made by another worker, by tenantctl or by hand is seen by the very next
 * request, with no database query and no message between processes; a
 * folder moved away (deleted or archived tenant) is a miss at once.
 *
 * The cache is bounded both in entries and in bytes; the least recently
 * used entry makes room.  Each entry keeps a strong ETag: the first 32 hex
 * digits of the SHA-256 of the bytes, in quotes.
 *
 * Ownership: config_cache_new() allocates; config_cache_free() frees it
 * with every entry.  A struct config_view points into the cache and is
 * valid until the next call on the same cache.  A cache belongs to one
 * process and is never shared.
 */
#ifndef TENANTD_CONFIG_CACHE_H
#define TENANTD_CONFIG_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_CACHE_DEFAULT_ENTRIES	4096
#define CONFIG_CACHE_DEFAULT_BYTES	(32 * 1024 * 1024)
#define CONFIG_CACHE_FILE_MAX		(1024 * 1024)	/* larger: refused */
#define CONFIG_ETAG_LEN			34	/* 32 hex + 2 quotes */

struct config_cache;

struct config_view {
	const char	*data;
	size_t		 len;
	const char	*etag;		/* "\"<32 hex>\"" */
	int		 from_cache;	/* 1: no read was needed */
};

/*
 * A cache of at most `max_entries` files and `max_bytes` bytes of
 * content.  Returns NULL if out of memory.
 */
struct config_cache *config_cache_new(size_t max_entries, size_t max_bytes);

/* Frees the cache and every entry; accepts NULL. */
void	config_cache_free(struct config_cache *cache);

/*
 * The current config.json of tenant `subdomain` (validated by the caller)
 * below `tenants_dirfd`.  Returns 1 with `view` filled, 0 when there is no
 * such regular file (no tenant folder, no config.json, a symlink), or -1
 * on an error (I/O, a file over CONFIG_CACHE_FILE_MAX, memory; errno set).
 */
int	config_cache_get(struct config_cache *cache, int tenants_dirfd,
	    const char *subdomain, struct config_view *view);

/*
 * What a tenant's config.json says of one module (the module gate, gate.h).
 * The "modules" map of each entry is parsed once, when its bytes are read,
 * and kept next to them: a question costs the same one fstatat() as
 * config_cache_get() and a scan of a few keys.
 */
enum config_module_state {
	CONFIG_MODULE_UNKNOWN = 0,	/* not a key of "modules" */
	CONFIG_MODULE_DISABLED,		/* "modules": {"<key>": anything but true} */
	CONFIG_MODULE_ENABLED		/* "modules": {"<key>": true} */
};

/*
 * The state of module `module_key` for tenant `subdomain` (validated by the
 * caller), from the current config.json as config_cache_get() finds it.
 * Returns 1 with *state set, 0 when there is no config.json, or -1 on an
 * error (as config_cache_get(); also a config.json that is no JSON object
 * with a "modules" object of at most CONFIG_MODULES_MAX keys
 * (config_modules.h), errno EINVAL).
 */
int	config_cache_module(struct config_cache *cache, int tenants_dirfd,
	    const char *subdomain, const char *module_key,
	    enum config_module_state *state);

/* Number of entries held, for tests. */
size_t	config_cache_count(const struct config_cache *cache);

/*
 * Lookups since config_cache_new() answered from memory (*hits) and those
 * that were not (*misses: read again, or no such file), for metrics.
 * Accepts NULL (both 0).
 */
void	config_cache_stats(const struct config_cache *cache, uint64_t *hits,
	    uint64_t *misses);

#endif

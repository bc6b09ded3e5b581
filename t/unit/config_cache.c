/*
 * config_cache.c - unit tests for lib/config_cache.c on a private
 * temporary tenants directory: a hit needs no read, a config.json replaced
 * by rename is seen at once (even with the same bytes), a removed folder
 * or a symlinked config.json is a miss, the ETag is the SHA-256 prefix of
 * the bytes, and the entry and byte bounds evict the least recently used.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config_cache.h"
#include "tap.h"

static char	root[1024];	/* short, so every path built from it fits */

/*
 * Replaces tenants/<sub>/config.json with `len` bytes of `data` the way
 * tenantd does: a temporary file renamed over it.  Returns 0 or -1.
 */
static int
replace_config(const char *sub, const char *data, size_t len)
{
	char dir[2048], temp[PATH_MAX], final[PATH_MAX];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/tenants/%s", root, sub);
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return -1;
	snprintf(temp, sizeof(temp), "%s/.config.tmp", dir);
	snprintf(final, sizeof(final), "%s/config.json", dir);
	if ((f = fopen(temp, "w")) == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return -1;
	return rename(temp, final);
}

/* The ETag the cache should give `text`, computed independently. */
static void
expected_etag(const char *text, char out[CONFIG_ETAG_LEN + 1])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];

	crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	snprintf(out, CONFIG_ETAG_LEN + 1, "\"%.32s\"", hex);
}

/* Removes the test tree. */
static void
cleanup(void)
{
	char command[PATH_MAX + 16];

	if (root[0] == '\0')
		return;
	snprintf(command, sizeof(command), "rm -rf '%s'", root);
	if (system(command) != 0)
		diag("could not remove %s", root);
}

/* Does `view` hold exactly `text`? */
static int
view_is(const struct config_view *view, const char *text)
{
	return view->len == strlen(text) &&
	    memcmp(view->data, text, view->len) == 0;
}

static void
test_freshness(int tenants)
{
	struct config_cache *cache;
	struct config_view view;
	char etag[CONFIG_ETAG_LEN + 1], first_etag[CONFIG_ETAG_LEN + 1];
	char path[PATH_MAX], moved[PATH_MAX];

	if (!ok((cache = config_cache_new(16, 0)) != NULL, "a cache is made"))
		return;
	is_int(config_cache_get(cache, tenants, "acme", &view), 0,
	    "no folder: not found");
	is_int(config_cache_get(cache, tenants, "../x", &view), 0,
	    "an invalid subdomain: not found");

	ok(replace_config("acme", "{\"v\": 1}\n", 9) == 0,
	    "config.json is written");
	is_int(config_cache_get(cache, tenants, "acme", &view), 1,
	    "config.json is found");
	ok(view_is(&view, "{\"v\": 1}\n"), "  with its bytes");
	is_int(view.from_cache, 0, "  read from the file the first time");
	expected_etag("{\"v\": 1}\n", etag);
	is_string(view.etag, etag, "  the ETag is the SHA-256 prefix");
	snprintf(first_etag, sizeof(first_etag), "%s", view.etag);

	is_int(config_cache_get(cache, tenants, "acme", &view), 1,
	    "asked again");
	is_int(view.from_cache, 1, "  served from the cache");
	ok(view_is(&view, "{\"v\": 1}\n"), "  with the same bytes");

	ok(replace_config("acme", "{\"v\": 2}\n", 9) == 0,
	    "config.json is replaced (same size)");
	is_int(config_cache_get(cache, tenants, "acme", &view), 1,
	    "asked after the change");
	ok(view_is(&view, "{\"v\": 2}\n"), "  the new bytes at once");
	is_int(view.from_cache, 0, "  because the file was read again");
	ok(strcmp(view.etag, first_etag) != 0, "  with a new ETag");

	ok(replace_config("acme", "{\"v\": 2}\n", 9) == 0,
	    "config.json is replaced by the same bytes");
	is_int(config_cache_get(cache, tenants, "acme", &view), 1,
	    "asked again");
	is_int(view.from_cache, 0, "  a new inode is read again");
	expected_etag("{\"v\": 2}\n", etag);
	is_string(view.etag, etag, "  and keeps the ETag of its bytes");

	snprintf(path, sizeof(path), "%s/tenants/acme/config.json", root);
	ok(unlink(path) == 0 && symlink("/etc/passwd", path) == 0,
	    "config.json becomes a symlink to /etc/passwd");
	is_int(config_cache_get(cache, tenants, "acme", &view), 0,
	    "a symlinked config.json is not found");
	is_int((long long)config_cache_count(cache), 0,
	    "  and its old entry is gone");
	ok(unlink(path) == 0 && mkdir(path, 0755) == 0,
	    "config.json becomes a directory");
	is_int(config_cache_get(cache, tenants, "acme", &view), 0,
	    "a directory is not found");
	ok(rmdir(path) == 0 && replace_config("acme", "{}\n", 3) == 0,
	    "config.json is back");
	is_int(config_cache_get(cache, tenants, "acme", &view), 1,
	    "and is found again");

	snprintf(path, sizeof(path), "%s/tenants/acme", root);
	snprintf(moved, sizeof(moved), "%s/archived-acme", root);
	ok(rename(path, moved) == 0, "the tenant folder is moved away (archive)");
	is_int(config_cache_get(cache, tenants, "acme", &view), 0,
	    "an archived tenant is not found at once");
	ok(rename(moved, path) == 0, "the folder comes back");
	is_int(config_cache_get(cache, tenants, "acme", &view), 1,
	    "a restored tenant is found again");
	config_cache_free(cache);
}

static void
test_bounds(int tenants)
{
	struct config_cache *cache;
	struct config_view view;
	char *big;
	size_t big_len = 600 * 1024;

	if (!ok((cache = config_cache_new(2, 0)) != NULL,
	    "a cache of two entries is made"))
		return;
	ok(replace_config("one", "1\n", 2) == 0 &&
	    replace_config("two", "2\n", 2) == 0 &&
	    replace_config("three", "3\n", 2) == 0, "three tenants exist");
	config_cache_get(cache, tenants, "one", &view);
	config_cache_get(cache, tenants, "two", &view);
	config_cache_get(cache, tenants, "one", &view);
	is_int(config_cache_get(cache, tenants, "three", &view), 1,
	    "a third tenant is served");
	is_int((long long)config_cache_count(cache), 2,
	    "  and the cache still holds two entries");
	config_cache_get(cache, tenants, "one", &view);
	is_int(view.from_cache, 1,
	    "the recently used entry survived the eviction");
	config_cache_get(cache, tenants, "two", &view);
	is_int(view.from_cache, 0, "the least recently used one was evicted");
	ok(view_is(&view, "2\n"), "  and is read again correctly");
	config_cache_free(cache);

	if (!ok((big = malloc(CONFIG_CACHE_FILE_MAX + 1)) != NULL,
	    "memory for big files"))
		return;
	memset(big, ' ', CONFIG_CACHE_FILE_MAX + 1);
	if (!ok((cache = config_cache_new(16, 0)) != NULL,
	    "a cache with the smallest byte budget is made"))
		goto out;
	ok(replace_config("big1", big, big_len) == 0 &&
	    replace_config("big2", big, big_len) == 0,
	    "two tenants with 600 KiB configs exist");
	is_int(config_cache_get(cache, tenants, "big1", &view), 1,
	    "the first is served");
	is_int(config_cache_get(cache, tenants, "big2", &view), 1,
	    "the second is served");
	is_int((long long)view.len, (long long)big_len, "  whole");
	is_int((long long)config_cache_count(cache), 1,
	    "  and the byte budget (1 MiB) evicted the first");

	ok(replace_config("huge", big, CONFIG_CACHE_FILE_MAX + 1) == 0,
	    "a config.json over the limit exists");
	errno = 0;
	is_int(config_cache_get(cache, tenants, "huge", &view), -1,
	    "it is refused");
	is_int(errno, EFBIG, "  with EFBIG");
	config_cache_free(cache);
out:
	free(big);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];
	int tenants = -1;

	snprintf(root, sizeof(root), "%s/tenantd-config-cache-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		root[0] = '\0';
		plan(1);
		ok(0, "mkdtemp: %s", strerror(errno));
		return exit_status();
	}
	snprintf(path, sizeof(path), "%s/tenants", root);
	if (mkdir(path, 0755) == 0)
		tenants = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ok(tenants != -1, "the tenants directory is made")) {
		test_freshness(tenants);
		test_bounds(tenants);
		close(tenants);
	}
	cleanup();
	done_testing();
	return exit_status();
}

/*
 * gate.c - unit tests for lib/gate.c and the module map of
 * lib/config_cache.c: which hosts are tenant hosts, which module API paths
 * name which module (and which are refused as not normalised), and the
 * gate's answers on a private temporary tenants and archive directory,
 * including a config.json replaced by rename being seen at once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_cache.h"
#include "gate.h"
#include "tap.h"
#include "validate.h"

static char	root[1024];	/* short, so every path built from it fits */

/*
 * Writes `text` as <dir>/<sub>/config.json the way tenantd does: a
 * temporary file renamed over it.  Returns 0 or -1.
 */
static int
write_config(const char *dir, const char *sub, const char *text)
{
	char folder[2048], temp[PATH_MAX], final[PATH_MAX];
	FILE *f;

	snprintf(folder, sizeof(folder), "%s/%s/%s", root, dir, sub);
	if (mkdir(folder, 0755) == -1 && errno != EEXIST)
		return -1;
	snprintf(temp, sizeof(temp), "%s/.config.tmp", folder);
	snprintf(final, sizeof(final), "%s/config.json", folder);
	if ((f = fopen(temp, "w")) == NULL)
		return -1;
	if (fputs(text, f) == EOF) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return -1;
	return rename(temp, final);
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

/* gate_host_subdomain() on one host: the label, or "" for none. */
static void
check_host(const char *host, const char *base, const char *expected)
{
	char out[SUBDOMAIN_MAX + 1];
	int rc;

	rc = gate_host_subdomain(host, base, out, sizeof(out));
	if (expected[0] == '\0')
		ok(rc == 0 && out[0] == '\0', "host '%s' under %s is no tenant",
		    host != NULL ? host : "(null)", base);
	else
		ok(rc == 1 && strcmp(out, expected) == 0,
		    "host '%s' under %s is tenant '%s' (got %d '%s')", host,
		    base, expected, rc, out);
}

static void
test_hosts(void)
{
	char tiny[4];
	char long_host[300];

	check_host("acme.localhost", "localhost", "acme");
	check_host("acme.localhost:8080", "localhost", "acme");
	check_host("ACME.LocalHost", "localhost", "acme");
	check_host("acme.localhost.", "localhost", "acme");
	check_host("a-1.example.com", "example.com", "a-1");
	check_host("acme.example.com:443", "example.com", "acme");
	check_host("localhost", "localhost", "");
	check_host(".localhost", "localhost", "");
	check_host("a.b.localhost", "localhost", "");
	check_host("acme.otherhost", "localhost", "");
	check_host("acmelocalhost", "localhost", "");
	check_host("-acme.localhost", "localhost", "");
	check_host("ac_me.localhost", "localhost", "");
	check_host("acme.localhost:", "localhost", "");
	check_host("acme.localhost:80x", "localhost", "");
	check_host("127.0.0.1:8080", "localhost", "");
	check_host("[::1]:8080", "localhost", "");
	check_host("[::1]", "localhost", "");
	check_host("", "localhost", "");
	check_host(NULL, "localhost", "");
	check_host("acme.example.com", "example.com.evil", "");
	check_host("acme.example.com.evil", "example.com", "");
	check_host("acme.localhost", "", "");

	memset(long_host, 'a', sizeof(long_host));
	memcpy(long_host + sizeof(long_host) - 11, ".localhost", 11);
	check_host(long_host, "localhost", "");
	ok(gate_host_subdomain("acme.localhost", "localhost", tiny,
	    sizeof(tiny)) == 0, "a label longer than the buffer is refused");
}

/* gate_module_from_path() on one path: its result and key. */
static void
check_path(const char *path, int expected_rc, const char *expected_key)
{
	char key[MODULE_KEY_MAX + 1];
	int rc;

	rc = gate_module_from_path(path, strlen(path), key, sizeof(key));
	ok(rc == expected_rc && strcmp(key, expected_key) == 0,
	    "path '%s' -> %d '%s' (got %d '%s')", path, expected_rc,
	    expected_key, rc, key);
}

static void
test_paths(void)
{
	check_path("/api/m/wallet", 1, "wallet");
	check_path("/api/m/wallet/", 1, "wallet");
	check_path("/api/m/wallet/balance", 1, "wallet");
	check_path("/api/m/wallet/a%20b/x.json", 1, "wallet");
	check_path("/api/m/shift_plans/2026/11/", 1, "shift_plans");
	check_path("/api/m/wallet/.well-known", 1, "wallet");
	check_path("/api/m/wallet/a.b.c", 1, "wallet");
	check_path("/api/m/wallet/x%41y", 1, "wallet");
	check_path("/api/m/", 0, "");
	check_path("/api/m", 0, "");
	check_path("/api/mx/wallet", 0, "");
	check_path("/api/tenants/", 0, "");
	check_path("/api/m/Wallet/x", 0, "");
	check_path("/api/m/wal%6cet/x", 0, "");
	check_path("/api/m//wallet", -1, "");
	check_path("/api/m/wallet//x", -1, "");
	check_path("/api/m/wallet/../employees", -1, "");
	check_path("/api/m/wallet/./x", -1, "");
	check_path("/api/m/wallet/..", -1, "");
	check_path("/api/m/wallet/%2e%2e/employees", -1, "");
	check_path("/api/m/wallet/%2E%2E/employees", -1, "");
	check_path("/api/m/wallet/..%2femployees", -1, "");
	check_path("/api/m/wallet/x%2F..", -1, "");
	check_path("/api/m/wallet/x%5c..%5cy", -1, "");
	check_path("/api/m/wallet/...", -1, "");
	check_path("/api/m/wallet/..;/reports/x", -1, "");
	check_path("/api/m/wallet/;x=1/reports", -1, "");
	check_path("/api/m/wallet/x;jsessionid=1", -1, "");
	check_path("/api/m/wallet/%2e%2e;/reports/x", -1, "");
	check_path("/api/m/wallet/.%2e/reports/x", -1, "");
	check_path("/api/m/wallet/%2e/x", -1, "");
	check_path("/api/m/wallet/..%5creports/x", -1, "");
	check_path("/api/m/wallet/..\\reports\\x", -1, "");
	check_path("/api/m/wallet/%252e%252e/reports/x", -1, "");
	check_path("/api/m/wallet/%25/x", -1, "");
	check_path("/api/m/wallet/%3b/x", -1, "");
	check_path("/api/m/wallet/%3B/x", -1, "");
	check_path("/api/m/wallet/a%2/x", -1, "");
	check_path("/api/m/wallet/a%zz", -1, "");
	check_path("/api/m/wallet/a%", -1, "");
	check_path("/api/m/wallet/a%00b", -1, "");
	check_path("/api/m/wallet/a%0ab", -1, "");
	check_path("/api/m/wallet/a\tb", -1, "");
}

/* Segments up to GATE_SEGMENT_MAX bytes are judged, longer ones refused. */
static void
test_long_segment(void)
{
	char path[GATE_SEGMENT_MAX + 32], key[MODULE_KEY_MAX + 1];
	size_t prefix = strlen("/api/m/wallet/");

	memcpy(path, "/api/m/wallet/", prefix);
	memset(path + prefix, 'a', GATE_SEGMENT_MAX);
	is_int(gate_module_from_path(path, prefix + GATE_SEGMENT_MAX, key,
	    sizeof(key)), 1, "a segment of GATE_SEGMENT_MAX bytes is judged");
	path[prefix + GATE_SEGMENT_MAX] = 'a';
	is_int(gate_module_from_path(path, prefix + GATE_SEGMENT_MAX + 1, key,
	    sizeof(key)), -1, "one byte more is refused");
}

static void
test_check(int tenants)
{
	char archive[PATH_MAX], path[PATH_MAX];
	struct config_cache *cache;
	enum config_module_state state;

	snprintf(archive, sizeof(archive), "%s/archive", root);
	if (!ok((cache = config_cache_new(16, 0)) != NULL, "a cache is made"))
		return;
	ok(write_config("tenants", "acme", "{\"version\": 1, \"modules\": "
	    "{\"employees\": true, \"wallet\": false, \"tasks\": true, "
	    "\"reports\": 1, \"Bad-Key\": true}}\n") == 0,
	    "acme's config.json is written");
	is_int(gate_check(cache, tenants, archive, "acme", "employees"),
	    GATE_ALLOW, "an enabled module is allowed");
	is_int(gate_check(cache, tenants, archive, "acme", "wallet"),
	    GATE_MODULE_DISABLED, "a disabled module is refused");
	is_int(gate_check(cache, tenants, archive, "acme", "reports"),
	    GATE_MODULE_DISABLED, "a module that is not exactly true is refused");
	is_int(gate_check(cache, tenants, archive, "acme", "shifts"),
	    GATE_UNKNOWN_MODULE, "a module the map lacks is unknown");
	is_int(config_cache_module(cache, tenants, "acme", "tasks", &state), 1,
	    "config_cache_module finds acme");
	is_int(state, CONFIG_MODULE_ENABLED, "  tasks is enabled");
	is_int((long long)config_cache_count(cache), 1,
	    "the gate and the config share one entry");

	ok(write_config("tenants", "acme", "{\"version\": 1, \"modules\": "
	    "{\"employees\": true, \"wallet\": true}}\n") == 0,
	    "wallet is enabled (config.json replaced)");
	is_int(gate_check(cache, tenants, archive, "acme", "wallet"),
	    GATE_ALLOW, "the next question sees it");
	ok(write_config("tenants", "acme", "{\"version\": 1, \"modules\": "
	    "{\"employees\": true, \"wallet\": false}}\n") == 0,
	    "wallet is disabled again (same size)");
	is_int(gate_check(cache, tenants, archive, "acme", "wallet"),
	    GATE_MODULE_DISABLED, "the next question sees that too");

	is_int(gate_check(cache, tenants, archive, "nobody", "wallet"),
	    GATE_NO_TENANT, "an unknown tenant");
	ok(write_config("archive", "old", "{\"modules\": {\"wallet\": true}}\n")
	    == 0, "an archived tenant's folder exists");
	is_int(gate_check(cache, tenants, archive, "old", "wallet"),
	    GATE_TENANT_ARCHIVED, "an archived tenant is told apart");
	is_int(gate_check(cache, tenants, NULL, "old", "wallet"),
	    GATE_NO_TENANT, "without an archive_dir it is just unknown");

	snprintf(path, sizeof(path), "%s/tenants/old", root);
	ok(mkdir(path, 0755) == 0, "a folder without config.json");
	is_int(gate_check(cache, tenants, archive, "old", "wallet"),
	    GATE_TENANT_ARCHIVED, "  is no tenant; the archive still says so");

	ok(write_config("tenants", "broken", "{\"modules\": [1, 2]}\n") == 0,
	    "a config.json whose modules is no object");
	errno = 0;
	is_int(gate_check(cache, tenants, archive, "broken", "wallet"),
	    GATE_FAILED, "cannot be judged");
	is_int(errno, EINVAL, "  with EINVAL");
	ok(write_config("tenants", "broken", "not json\n") == 0,
	    "a config.json that is no JSON");
	is_int(gate_check(cache, tenants, archive, "broken", "wallet"),
	    GATE_FAILED, "cannot be judged either");
	ok(write_config("tenants", "broken", "{\"modules\": {}}\n") == 0,
	    "a config.json with an empty map");
	is_int(gate_check(cache, tenants, archive, "broken", "wallet"),
	    GATE_UNKNOWN_MODULE, "knows no module");
	config_cache_free(cache);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];
	int tenants = -1;

	snprintf(root, sizeof(root), "%s/tenantd-gate-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		root[0] = '\0';
		plan(1);
		ok(0, "mkdtemp: %s", strerror(errno));
		return exit_status();
	}
	test_hosts();
	test_paths();
	test_long_segment();
	snprintf(path, sizeof(path), "%s/tenants", root);
	if (ok(mkdir(path, 0755) == 0, "the tenants directory is made") &&
	    ok((tenants = open(path, O_RDONLY | O_DIRECTORY)) != -1,
	    "and opened")) {
		snprintf(path, sizeof(path), "%s/archive", root);
		if (ok(mkdir(path, 0755) == 0, "the archive directory is made"))
			test_check(tenants);
	}
	if (tenants != -1)
		close(tenants);
	cleanup();
	done_testing();
	return exit_status();
}

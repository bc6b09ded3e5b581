/*
 * conf.c - unit tests for lib/conf.c: defaults, every key, refusals with
 * file and line, the reserved list, the URL format and the password file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "tap.h"
#include "validate.h"

static char	tmpdir[128];
static char	path[512];

/* conf_release() in the shape lives_ok() calls. */
static void
release_conf(void *c)
{
	conf_release(c);
}

/* Writes `len` bytes of `text` to the test file; returns its path. */
static const char *
write_file_len(const char *name, const char *text, size_t len)
{
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		diag("cannot write %s", path);
		return path;
	}
	return path;
}

/* Writes a C string to the test file; returns its path. */
static const char *
write_file(const char *text)
{
	return write_file_len("tenantd.conf", text, strlen(text));
}

/* Loads `text` on top of the defaults; 0/-1 with the message in `err`. */
static int
load(struct conf *c, const char *text, char *err, size_t errlen)
{
	return conf_load(c, write_file(text), err, errlen);
}

/* Does loading `text` fail with "FILE:`suffix`"? */
static void
load_fails(const char *text, const char *suffix, const char *name)
{
	struct conf	c;
	char		err[512] = "", expected[512];

	conf_init(&c);
	is_int(load(&c, text, err, sizeof(err)), -1, name);
	snprintf(expected, sizeof(expected), "%s/tenantd.conf:%s", tmpdir,
	    suffix);
	is_string(err, expected, name);
	conf_release(&c);
}

/* Every default of conf_init(), the URL format and the reserved list. */
static void
test_defaults(void)
{
	struct conf	c;
	char		url[128];

	is_int(conf_init(&c), 0, "conf_init");
	is_string(c.listen, "127.0.0.1:9000", "default listen");
	is_int(c.workers, 4, "default workers");
	is_int(c.job_runners, 1, "default job_runners");
	ok(c.user == NULL, "default user none");
	ok(c.db_host == NULL, "default db_host none");
	is_int(c.db_port, 3306, "default db_port");
	is_string(c.db_socket, "/run/mysqld/mysqld.sock", "default db_socket");
	is_string(c.db_name, "tenantd", "default db_name");
	is_string(c.db_user, "tenantd", "default db_user");
	is_string(c.db_password, "", "default db_password empty");
	ok(c.db_password_file == NULL, "default db_password_file none");
	ok(c.tenants_dir != NULL &&
	    strstr(c.tenants_dir, "/lib/tenantd/tenants") != NULL,
	    "default tenants_dir under LOCALSTATEDIR (%s)", c.tenants_dir);
	ok(c.archive_dir != NULL &&
	    strstr(c.archive_dir, "/lib/tenantd/archive") != NULL,
	    "default archive_dir");
	ok(c.template_dir != NULL && strstr(c.template_dir, "/template") !=
	    NULL, "default template_dir");
	ok(c.modules_file != NULL && strstr(c.modules_file, "/modules.json") !=
	    NULL, "default modules_file");
	ok(c.migrations_dir != NULL && strstr(c.migrations_dir,
	    "/migrations") != NULL, "default migrations_dir");
	is_string(c.base_domain, "localhost", "default base_domain");
	is_string(c.tenant_url_format, "http://{subdomain}.localhost",
	    "default tenant_url_format");
	is_string(c.api_url, "/api", "default api_url");
	is_int(c.reserved_count, 26, "default reserved list has 26 names");
	ok(conf_is_reserved(&c, "www") && conf_is_reserved(&c, "api") &&
	    conf_is_reserved(&c, "admin") && conf_is_reserved(&c,
	    "autodiscover") && conf_is_reserved(&c, "localhost"),
	    "default reserved names");
	ok(!conf_is_reserved(&c, "acme"), "acme is not reserved");
	ok(!conf_is_reserved(&c, "WWW"), "reserved check is exact");
	ok(!conf_is_reserved(&c, "ww"), "no prefix match");
	is_int(c.max_body_bytes, 16 * 1024 * 1024, "default max_body_bytes");
	is_int(c.max_logo_bytes, 2 * 1024 * 1024, "default max_logo_bytes");
	is_int(c.max_bulk_items, 1000, "default max_bulk_items");
	is_int(c.max_json_nodes, 100000, "default max_json_nodes");
	is_int(c.worker_rss_high_water, 64 * 1024 * 1024,
	    "default worker_rss_high_water");
	is_int(c.session_ttl, 43200, "default session_ttl");
	is_int(c.cookie_secure, 0, "default cookie_secure");
	is_int(c.login_max_failures, 5, "default login_max_failures");
	is_int(c.login_window, 900, "default login_window");
	is_int(c.log_level, LOG_LEVEL_INFO, "default log_level");
	is_int(c.log_target, LOG_TARGET_STDERR, "default log_target");

	is_int(conf_tenant_url(&c, "acme", url, sizeof(url)), 0, "tenant url");
	is_string(url, "http://acme.localhost", "tenant url text");
	is_int(conf_tenant_url(&c, "acme", url, 21), -1,
	    "tenant url that does not fit");
	is_int(conf_tenant_url(&c, "acme", url, 22), 0,
	    "tenant url that just fits");
	is_int(conf_tenant_url(&c, "acme", url, 0), -1, "outlen 0");
	conf_release(&c);
	ok(c.listen == NULL && c.reserved_count == 0, "release clears");
	lives_ok(release_conf, &c, "a second release neither crashes nor frees twice");
	conf_release(&c);
	ok(c.listen == NULL && c.reserved_count == 0,
	    "after a second release it is still empty");
}

/* Every key parses from a file, with comments, tabs and CRLF around it. */
static void
test_every_key(void)
{
	struct conf	c;
	char		err[512] = "", url[128], password_path[256];

	snprintf(password_path, sizeof(password_path), "%s",
	    write_file_len("password", "s3cr#t pw\r\nsecond\n", 18));
	conf_init(&c);
	{
		char	text[2048];

		snprintf(text, sizeof(text),
		    "# a comment\n"
		    "\n"
		    "   \t\n"
		    "listen = unix:/run/tenantd.sock\n"
		    "workers=8\n"
		    "job_runners = 0   # none\n"
		    "user = tenantd\n"
		    "db_host = db.internal\n"
		    "db_port = 3307\n"
		    "db_socket = /tmp/mysql.sock\n"
		    "db_name = tenants\n"
		    "db_user = app\n"
		    "db_password = pa#ss\n"
		    "db_password_file = %s\n"
		    "tenants_dir = /srv/tenants\n"
		    "archive_dir = /srv/archive\n"
		    "template_dir = /srv/template\n"
		    "modules_file = /srv/modules.json\n"
		    "migrations_dir = /srv/migrations\n"
		    "base_domain = myapp.com\n"
		    "tenant_url_format = https://{subdomain}.myapp.com/\n"
		    "api_url = https://api.myapp.com\n"
		    "reserved_subdomains = www, api,,billing  ops\n"
		    "max_body_bytes = 32M\n"
		    "max_logo_bytes = 512k\n"
		    "max_bulk_items = 5000\n"
		    "max_json_nodes = 250000\n"
		    "worker_rss_high_water = 0\n"
		    "session_ttl = 3600\n"
		    "cookie_secure = yes\n"
		    "login_max_failures = 10\n"
		    "login_window = 60\n"
		    "log_level = debug\n"
		    "\tworkers\t=\t9\t\r\n"
		    "max_logo_bytes = 1048576", password_path);
		is_int(load(&c, text, err, sizeof(err)), 0, "every key loads");
		if (err[0] != '\0')
			diag("%s", err);
	}
	is_string(c.listen, "unix:/run/tenantd.sock", "listen");
	is_int(c.workers, 9, "workers (later line wins, tabs, CRLF)");
	is_int(c.job_runners, 0, "job_runners with a trailing comment");
	is_string(c.user, "tenantd", "user");
	is_string(c.db_host, "db.internal", "db_host");
	is_int(c.db_port, 3307, "db_port");
	is_string(c.db_socket, "/tmp/mysql.sock", "db_socket");
	is_string(c.db_name, "tenants", "db_name");
	is_string(c.db_user, "app", "db_user");
	is_string(c.db_password, "s3cr#t pw",
	    "db_password from the file's first line, CRLF stripped");
	is_string(c.db_password_file, password_path, "db_password_file");
	is_string(c.tenants_dir, "/srv/tenants", "tenants_dir");
	is_string(c.archive_dir, "/srv/archive", "archive_dir");
	is_string(c.template_dir, "/srv/template", "template_dir");
	is_string(c.modules_file, "/srv/modules.json", "modules_file");
	is_string(c.migrations_dir, "/srv/migrations", "migrations_dir");
	is_string(c.base_domain, "myapp.com", "base_domain");
	is_string(c.tenant_url_format, "https://{subdomain}.myapp.com/",
	    "tenant_url_format");
	is_string(c.api_url, "https://api.myapp.com", "api_url");
	is_int(c.reserved_count, 4, "reserved list replaced (4 names)");
	ok(conf_is_reserved(&c, "billing") && conf_is_reserved(&c, "ops") &&
	    conf_is_reserved(&c, "www") && conf_is_reserved(&c, "api"),
	    "new reserved names");
	ok(!conf_is_reserved(&c, "admin"), "old list is gone, not merged");
	is_int(c.max_body_bytes, 32 * 1024 * 1024, "max_body_bytes 32M");
	is_int(c.max_logo_bytes, 1048576, "max_logo_bytes in plain bytes");
	is_int(c.max_bulk_items, 5000, "max_bulk_items");
	is_int(c.max_json_nodes, 250000, "max_json_nodes");
	is_int(c.worker_rss_high_water, 0, "worker_rss_high_water 0 (off)");
	is_int(c.session_ttl, 3600, "session_ttl");
	is_int(c.cookie_secure, 1, "cookie_secure");
	is_int(c.login_max_failures, 10, "login_max_failures");
	is_int(c.login_window, 60, "login_window");
	is_int(c.log_level, LOG_LEVEL_DEBUG, "log_level");
	conf_tenant_url(&c, "acme", url, sizeof(url));
	is_string(url, "https://acme.myapp.com/", "tenant url from format");
	conf_release(&c);

	conf_init(&c);
	is_int(load(&c, "db_password = pa#ss\nmax_logo_bytes = 3K\n"
	    "max_body_bytes = 1G\nuser =\ndb_host=\nlog_level = error\n"
	    "log_target = syslog\n"
	    "reserved_subdomains =\n", err, sizeof(err)), 0,
	    "second file loads");
	is_string(c.db_password, "pa#ss", "'#' inside a value is kept");
	is_int(c.max_logo_bytes, 3072, "K suffix");
	is_int(c.max_body_bytes, 1024 * 1024 * 1024, "G suffix");
	ok(c.user == NULL && c.db_host == NULL, "empty value unsets user");
	is_int(c.log_level, LOG_LEVEL_ERROR, "log_level error");
	is_int(c.log_target, LOG_TARGET_SYSLOG, "log_target syslog");
	is_int(c.reserved_count, 0, "empty reserved list");
	conf_release(&c);

	conf_init(&c);
	is_int(load(&c, "", err, sizeof(err)), 0, "empty file loads");
	is_int(c.workers, 4, "empty file keeps defaults");
	conf_release(&c);
}

/* Each boolean spelling, and a refused one leaving the value alone. */
static void
test_booleans(void)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	struct conf	c;
	char		err[256];
	size_t		i;

	conf_init(&c);
	for (i = 0; i < 4; i++) {
		c.cookie_secure = 0;
		ok(conf_set(&c, "cookie_secure", yes[i], err, sizeof(err)) ==
		    0 && c.cookie_secure == 1, "boolean %s", yes[i]);
		ok(conf_set(&c, "cookie_secure", no[i], err, sizeof(err)) ==
		    0 && c.cookie_secure == 0, "boolean %s", no[i]);
	}
	c.cookie_secure = 1;
	is_int(conf_set(&c, "cookie_secure", "maybe", err, sizeof(err)), -1,
	    "boolean maybe refused");
	is_string(err, "cookie_secure: must be yes, no, true, false, on, off, "
	    "1 or 0", "boolean message");
	is_int(c.cookie_secure, 1, "value unchanged after a refusal");
	conf_release(&c);
}

/* Bad values, unknown keys and malformed lines fail with FILE:LINE. */
/* asset_base_url: unset by default, one trailing '/' dropped, the origin. */
static void
test_asset_base_url(void)
{
	struct conf	c;
	char		err[512] = "", origin[ASSET_BASE_URL_MAX + 1];

	conf_init(&c);
	ok(c.asset_base_url == NULL, "asset_base_url is unset by default");
	is_int(conf_asset_origin(&c, origin, sizeof(origin)), 0,
	    "the origin of an unset asset_base_url");
	is_string(origin, "", "is empty");
	is_int(load(&c, "asset_base_url = https://cdn.example.com/t/\n", err,
	    sizeof(err)), 0, "asset_base_url loads");
	is_string(c.asset_base_url, "https://cdn.example.com/t",
	    "its trailing '/' is not kept");
	is_int(conf_asset_origin(&c, origin, sizeof(origin)), 0,
	    "its origin is written");
	is_string(origin, "https://cdn.example.com", "scheme and host");
	is_int(conf_asset_origin(&c, origin, 8), -1,
	    "an origin too long for the buffer fails");
	is_int(load(&c, "asset_base_url =\n", err, sizeof(err)), 0,
	    "an empty asset_base_url loads");
	ok(c.asset_base_url == NULL, "and unsets it");
	conf_release(&c);
}

/* dns_server: unset by default, IPv4 or bracketed IPv6 with a port. */
static void
test_dns_server(void)
{
	struct conf	c;
	char		err[512] = "";

	conf_init(&c);
	ok(c.dns_server == NULL, "dns_server is unset by default");
	is_int(c.dns_timeout, 5, "dns_timeout is 5 s by default");
	is_int(load(&c, "dns_server = 127.0.0.1:5353\n", err, sizeof(err)), 0,
	    "an IPv4 dns_server with a port loads");
	is_string(c.dns_server, "127.0.0.1:5353", "as given");
	is_int(load(&c, "dns_server = [::1]:5353\n", err, sizeof(err)), 0,
	    "an IPv6 dns_server in brackets loads");
	is_int(load(&c, "dns_server = 192.0.2.53\n", err, sizeof(err)), 0,
	    "a dns_server without a port loads");
	is_int(load(&c, "dns_server =\n", err, sizeof(err)), 0,
	    "an empty dns_server loads");
	ok(c.dns_server == NULL, "and unsets it");
	conf_release(&c);
}

static void
test_refusals(void)
{
	struct conf	c;
	char		err[512], long_line[5000], expected[512];

	load_fails("dns_server = dns.example\n",
	    "1: dns_server: must be an IPv4 address or an IPv6 address in "
	    "brackets, with an optional :port", "dns_server a name");
	load_fails("dns_server = ::1\n",
	    "1: dns_server: must be an IPv4 address or an IPv6 address in "
	    "brackets, with an optional :port", "dns_server IPv6 unbracketed");
	load_fails("dns_server = 127.0.0.1:0\n",
	    "1: dns_server: must be an IPv4 address or an IPv6 address in "
	    "brackets, with an optional :port", "dns_server port 0");
	load_fails("dns_timeout = 31\n",
	    "1: dns_timeout: must be an integer from 1 to 30", "dns_timeout 31");
	load_fails("asset_base_url = javascript:alert(1)\n",
	    "1: asset_base_url: must start with http:// or https://",
	    "asset_base_url javascript:");
	load_fails("asset_base_url = data:text/css,x\n",
	    "1: asset_base_url: must start with http:// or https://",
	    "asset_base_url data:");
	load_fails("asset_base_url = https://cdn.example.com/t?v=1\n",
	    "1: asset_base_url: must have a path of letters, digits and . _ ~ "
	    "- only (no query, fragment, escape, quote or space)",
	    "asset_base_url with a query");
	load_fails("asset_base_url = https://u@cdn.example.com/t\n",
	    "1: asset_base_url: must have a host name of a-z, 0-9, '.' and '-' "
	    "(user information, IPv6 literals and upper case are refused)",
	    "asset_base_url with user information");
	load_fails("asset_base_url = https://cdn.example.com/\"><x\n",
	    "1: asset_base_url: must have a path of letters, digits and . _ ~ "
	    "- only (no query, fragment, escape, quote or space)",
	    "asset_base_url with a quote and brackets");
	load_fails("asset_base_url = https://cdn.example.com/a b\n",
	    "1: asset_base_url: must have a path of letters, digits and . _ ~ "
	    "- only (no query, fragment, escape, quote or space)",
	    "asset_base_url with a space");
	{
		char	text[5100];

		snprintf(text, sizeof(text), "asset_base_url = https://"
		    "cdn.example.com/%03990d\n", 0);
		load_fails(text, "1: asset_base_url: must be at most 256 bytes",
		    "asset_base_url of 4,030 bytes in the file");
		conf_init(&c);
		memset(text, 'a', 5000);
		memcpy(text, "https://cdn.example.com/", 24);
		text[5000] = '\0';
		is_int(conf_set(&c, "asset_base_url", text, err, sizeof(err)),
		    -1, "asset_base_url of 5,000 bytes set directly");
		is_string(err, "asset_base_url: must be at most 256 bytes",
		    "is refused with its reason");
		ok(c.asset_base_url == NULL, "and leaves it unset");
		conf_release(&c);
	}
	load_fails("workers = 4\nbogus = 1\n", "2: unknown key \"bogus\"",
	    "unknown key with its line");
	load_fails("# x\nworkers 4\n", "2: expected \"key = value\"",
	    "line without '='");
	load_fails(" = 4\n", "1: missing key before '='", "empty key");
	load_fails("Workers = 4\n", "1: unknown key \"Workers\"",
	    "keys are case-sensitive");
	load_fails("\n\nworkers = 0\n", "3: workers: must be an integer from "
	    "1 to 256", "workers 0");
	load_fails("workers = 257\n", "1: workers: must be an integer from 1 "
	    "to 256", "workers 257");
	load_fails("workers = four\n", "1: workers: must be an integer from 1 "
	    "to 256", "workers not a number");
	load_fails("workers = +4\n", "1: workers: must be an integer from 1 "
	    "to 256", "workers with a plus sign");
	load_fails("workers =\n", "1: workers: must be an integer from 1 to "
	    "256", "workers empty");
	load_fails("job_runners = 65\n", "1: job_runners: must be an integer "
	    "from 0 to 64", "job_runners 65");
	load_fails("job_runners = -1\n", "1: job_runners: must be an integer "
	    "from 0 to 64", "job_runners -1");
	load_fails("db_port = 0\n", "1: db_port: must be an integer from 1 "
	    "to 65535", "db_port 0");
	load_fails("db_port = 65536\n", "1: db_port: must be an integer from "
	    "1 to 65535", "db_port 65536");
	load_fails("session_ttl = 59\n", "1: session_ttl: must be an integer "
	    "from 60 to 31536000", "session_ttl too short");
	load_fails("login_max_failures = 0\n", "1: login_max_failures: must "
	    "be an integer from 1 to 1000", "login_max_failures 0");
	load_fails("login_window = 86401\n", "1: login_window: must be an "
	    "integer from 1 to 86400", "login_window too long");
	load_fails("max_bulk_items = 0\n", "1: max_bulk_items: must be an "
	    "integer from 1 to 1000000", "max_bulk_items 0");
	load_fails("max_bulk_items = 1K\n", "1: max_bulk_items: must be an "
	    "integer from 1 to 1000000", "max_bulk_items takes no suffix");
	load_fails("max_json_nodes = 15\n", "1: max_json_nodes: must be an "
	    "integer from 16 to 10000000", "max_json_nodes too small");
	load_fails("worker_rss_high_water = 65G\n", "1: worker_rss_high_water: "
	    "must be a size from 0 to 68719476736 bytes (K, M or G suffix "
	    "allowed)", "worker_rss_high_water too large");
	load_fails("max_body_bytes = 2T\n", "1: max_body_bytes: must be a "
	    "size from 1024 to 1073741824 bytes (K, M or G suffix allowed)",
	    "unknown size suffix");
	load_fails("max_body_bytes = 2G\n", "1: max_body_bytes: must be a "
	    "size from 1024 to 1073741824 bytes (K, M or G suffix allowed)",
	    "size too large");
	load_fails("max_body_bytes = 99999999999999999999G\n",
	    "1: max_body_bytes: must be a size from 1024 to 1073741824 bytes "
	    "(K, M or G suffix allowed)", "size overflow");
	load_fails("max_logo_bytes = 1023\n", "1: max_logo_bytes: must be a "
	    "size from 1024 to 1073741824 bytes (K, M or G suffix allowed)",
	    "size too small");
	load_fails("max_logo_bytes = M\n", "1: max_logo_bytes: must be a "
	    "size from 1024 to 1073741824 bytes (K, M or G suffix allowed)",
	    "suffix without digits");
	load_fails("max_logo_bytes = 2 M\n", "1: max_logo_bytes: must be a "
	    "size from 1024 to 1073741824 bytes (K, M or G suffix allowed)",
	    "space before the suffix");
	load_fails("log_level = verbose\n", "1: log_level: must be error, "
	    "warning, info or debug", "unknown log level");
	load_fails("log_target = journal\n", "1: log_target: must be stderr "
	    "or syslog", "unknown log target");
	load_fails("listen =\n", "1: listen: must not be empty",
	    "empty listen");
	load_fails("db_name =  # nothing\n", "1: db_name: must not be empty",
	    "empty after the comment is stripped");
	load_fails("tenant_url_format = https://example.com\n",
	    "1: tenant_url_format: must contain {subdomain} exactly once",
	    "url format without {subdomain}");
	load_fails("tenant_url_format = https://{subdomain}.{subdomain}\n",
	    "1: tenant_url_format: must contain {subdomain} exactly once",
	    "url format with it twice");
	load_fails("reserved_subdomains = www Admin\n",
	    "1: reserved_subdomains: \"Admin\" must be lower case",
	    "reserved name must be a valid subdomain");
	load_fails("reserved_subdomains = www -x\n",
	    "1: reserved_subdomains: \"-x\" must not start or end with '-'",
	    "reserved name with a leading hyphen");
	load_fails("reserved_subdomains = a.b\n",
	    "1: reserved_subdomains: \"a.b\" may contain only a-z, 0-9 and "
	    "'-'", "reserved name with a dot");
	load_fails("db_password_file = /nonexistent/pw\n",
	    "1: db_password_file: /nonexistent/pw: No such file or directory",
	    "unreadable password file");

	/* 65 reserved names is one too many; 64 is fine. */
	{
		char	text[1024];
		size_t	used = 0;
		int	i;

		used += (size_t)snprintf(text, sizeof(text),
		    "reserved_subdomains =");
		for (i = 0; i < 64; i++)
			used += (size_t)snprintf(text + used,
			    sizeof(text) - used, " r%d", i);
		conf_init(&c);
		is_int(load(&c, text, err, sizeof(err)), 0,
		    "64 reserved names");
		is_int(c.reserved_count, 64, "64 reserved names kept");
		conf_release(&c);
		snprintf(text + used, sizeof(text) - used, " r64\n");
		load_fails(text, "1: reserved_subdomains: more than 64 names",
		    "65 reserved names refused");
	}

	/* A refused list leaves the old list in place. */
	conf_init(&c);
	is_int(conf_set(&c, "reserved_subdomains", "ok BAD", err,
	    sizeof(err)), -1, "conf_set refuses a bad list");
	is_int(c.reserved_count, 26, "old list kept after a refusal");
	is_int(conf_set(&c, "nope", "1", err, sizeof(err)), -1,
	    "conf_set unknown key");
	is_string(err, "unknown key \"nope\"", "conf_set message has no line");
	is_int(conf_set(&c, "workers", "12", err, sizeof(err)), 0,
	    "conf_set as a command-line override");
	is_int(c.workers, 12, "override applied");
	conf_release(&c);

	/* Lines of 4096 bytes are fine; 4097 are refused. */
	memset(long_line, ' ', sizeof(long_line));
	memcpy(long_line, "workers = 5", 11);
	long_line[4096] = '\n';
	long_line[4097] = '\0';
	conf_init(&c);
	is_int(load(&c, long_line, err, sizeof(err)), 0, "4096-byte line");
	conf_release(&c);
	long_line[4096] = ' ';
	long_line[4097] = '\n';
	long_line[4098] = '\0';
	load_fails(long_line, "1: line longer than 4096 bytes",
	    "4097-byte line refused");
	long_line[4097] = '\0';
	load_fails(long_line, "1: line longer than 4096 bytes",
	    "over-long last line without a newline");

	conf_init(&c);
	is_int(conf_load(&c, write_file_len("tenantd.conf", "workers = 5\0x\n",
	    14), err, sizeof(err)), -1, "NUL byte refused");
	snprintf(expected, sizeof(expected), "%s/tenantd.conf:1: NUL byte",
	    tmpdir);
	is_string(err, expected, "NUL byte message");
	is_int(conf_load(&c, "/nonexistent/tenantd.conf", err, sizeof(err)),
	    -1, "missing file");
	is_string(err, "/nonexistent/tenantd.conf: No such file or directory",
	    "missing file message");
	conf_release(&c);

	/* Lines before the bad one are applied; nothing after it. */
	conf_init(&c);
	load(&c, "workers = 7\nworkers = x\njob_runners = 9\n", err,
	    sizeof(err));
	is_int(c.workers, 7, "line before the error applied");
	is_int(c.job_runners, 1, "line after the error not applied");
	conf_release(&c);
}

/* db_password_file: first line only, limits, later lines win. */
static void
test_password_file(void)
{
	struct conf	c;
	char		err[512], big[1100];
	const char	*p;

	conf_init(&c);
	p = write_file_len("pw1", "only\n", 5);
	is_int(conf_set(&c, "db_password_file", p, err, sizeof(err)), 0,
	    "password file via conf_set");
	is_string(c.db_password, "only", "password read");
	p = write_file_len("pw2", "no-newline", 10);
	conf_set(&c, "db_password_file", p, err, sizeof(err));
	is_string(c.db_password, "no-newline", "password without newline");
	p = write_file_len("pw3", "\n", 1);
	conf_set(&c, "db_password_file", p, err, sizeof(err));
	is_string(c.db_password, "", "empty first line is an empty password");
	p = write_file_len("pw4", "", 0);
	is_int(conf_set(&c, "db_password_file", p, err, sizeof(err)), -1,
	    "empty file refused");
	memset(big, 'p', sizeof(big));
	p = write_file_len("pw5", big, sizeof(big));
	is_int(conf_set(&c, "db_password_file", p, err, sizeof(err)), -1,
	    "over-long password refused");
	is_string(c.db_password, "", "password unchanged after refusal");
	is_int(conf_set(&c, "db_password", "direct", err, sizeof(err)), 0,
	    "db_password set directly afterwards");
	is_string(c.db_password, "direct", "the later setting wins");
	conf_release(&c);
}

/* Runs every configuration test in a private temporary directory. */
int
main(void)
{
	/* mkdtemp() wants a template ending in six 'X' characters. */
	snprintf(tmpdir, sizeof(tmpdir) - 7, "%s/tenantd-conf-test.",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	memset(tmpdir + strlen(tmpdir), 'X', 6);
	if (mkdtemp(tmpdir) == NULL) {
		diag("mkdtemp failed");
		return 1;
	}
	test_defaults();
	test_every_key();
	test_booleans();
	test_refusals();
	test_asset_base_url();
	test_dns_server();
	test_password_file();
	{
		static const char *const names[] = { "tenantd.conf", "password",
		    "pw1", "pw2", "pw3", "pw4", "pw5" };
		size_t	i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
			unlink(path);
		}
		rmdir(tmpdir);
	}
	done_testing();
	return exit_status();
}

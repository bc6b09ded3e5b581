/*
 * conf.c - tenantd.conf, the one configuration file of tenantd and tenantctl
 * (see conf.h).
 *
 * Every key is declared once in conf_keys[] with its kind and range, so the
 * file parser, command-line overrides and the example file all agree.  A
 * value is checked completely before the old one is replaced: a bad line
 * leaves the configuration as it was.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dns_txt.h"
#include "log.h"
#include "validate.h"

#ifndef PKGDATADIR
#define PKGDATADIR	"/usr/local/share/tenantd"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/usr/local/var"
#endif

/* Longest line of the file, excluding the newline. */
#define CONF_LINE_MAX		4096

#define CONF_SUBDOMAIN_TOKEN	"{subdomain}"

enum conf_kind {
	CONF_STRING,		/* any non-empty text */
	CONF_STRING_EMPTY_OK,	/* any text, empty included */
	CONF_STRING_OR_NONE,	/* text, or empty for "not set" (NULL) */
	CONF_INT,		/* int in [min, max] */
	CONF_SIZE,		/* size_t in [min, max], K/M/G suffixes */
	CONF_COUNT,		/* size_t in [min, max], plain integer */
	CONF_BOOL,		/* yes/no/true/false/on/off/1/0 */
	CONF_LOG_LEVEL,		/* error/warning/info/debug */
	CONF_LOG_TARGET,	/* stderr/syslog */
	CONF_RESERVED,		/* list of subdomains */
	CONF_URL_FORMAT,	/* text with "{subdomain}" exactly once */
	CONF_PASSWORD_FILE,	/* a path whose first line is db_password */
	CONF_ASSET_OFFLOAD,	/* none, nginx or lighttpd */
	CONF_TEMPLATE_FILES,	/* link or copy */
	CONF_ASSET_BASE_URL,	/* validate_asset_base_url(), or empty for
				   "not set" (NULL) */
	CONF_DNS_SERVER		/* dns_server_check(), or empty for "not
				   set" (NULL) */
};

struct conf_key {
	const char	*name;
	enum conf_kind	 kind;
	size_t		 offset;	/* of the field in struct conf */
	int64_t		 min, max;	/* CONF_INT, CONF_SIZE, CONF_COUNT */
};

#define KIB	((int64_t)1024)
#define MIB	(KIB * 1024)
#define GIB	(MIB * 1024)

static const struct conf_key conf_keys[] = {
	{ "listen", CONF_STRING, offsetof(struct conf, listen), 0, 0 },
	{ "workers", CONF_INT, offsetof(struct conf, workers), 1, 256 },
	{ "job_runners", CONF_INT, offsetof(struct conf, job_runners), 0, 64 },
	{ "user", CONF_STRING_OR_NONE, offsetof(struct conf, user), 0, 0 },
	{ "db_host", CONF_STRING_OR_NONE, offsetof(struct conf, db_host),
	    0, 0 },
	{ "db_port", CONF_INT, offsetof(struct conf, db_port), 1, 65535 },
	{ "db_socket", CONF_STRING, offsetof(struct conf, db_socket), 0, 0 },
	{ "db_name", CONF_STRING, offsetof(struct conf, db_name), 0, 0 },
	{ "db_user", CONF_STRING, offsetof(struct conf, db_user), 0, 0 },
	{ "db_password", CONF_STRING_EMPTY_OK,
	    offsetof(struct conf, db_password), 0, 0 },
	{ "db_password_file", CONF_PASSWORD_FILE,
	    offsetof(struct conf, db_password_file), 0, 0 },
	{ "tenants_dir", CONF_STRING, offsetof(struct conf, tenants_dir),
	    0, 0 },
	{ "archive_dir", CONF_STRING, offsetof(struct conf, archive_dir),
	    0, 0 },
	{ "template_dir", CONF_STRING, offsetof(struct conf, template_dir),
	    0, 0 },
	{ "template_manifest", CONF_STRING,
	    offsetof(struct conf, template_manifest), 0, 0 },
	{ "modules_file", CONF_STRING, offsetof(struct conf, modules_file),
	    0, 0 },
	{ "migrations_dir", CONF_STRING,
	    offsetof(struct conf, migrations_dir), 0, 0 },
	{ "base_domain", CONF_STRING, offsetof(struct conf, base_domain),
	    0, 0 },
	{ "tenant_url_format", CONF_URL_FORMAT,
	    offsetof(struct conf, tenant_url_format), 0, 0 },
	{ "api_url", CONF_STRING, offsetof(struct conf, api_url), 0, 0 },
	{ "reserved_subdomains", CONF_RESERVED,
	    offsetof(struct conf, reserved_subdomains), 0, 0 },
	{ "max_body_bytes", CONF_SIZE, offsetof(struct conf, max_body_bytes),
	    KIB, GIB },
	{ "max_logo_bytes", CONF_SIZE, offsetof(struct conf, max_logo_bytes),
	    KIB, GIB },
	{ "max_bulk_items", CONF_COUNT, offsetof(struct conf, max_bulk_items),
	    1, 1000000 },
	{ "max_json_nodes", CONF_COUNT, offsetof(struct conf, max_json_nodes),
	    16, 10000000 },
	{ "worker_rss_high_water", CONF_SIZE,
	    offsetof(struct conf, worker_rss_high_water), 0, 64 * GIB },
	{ "session_ttl", CONF_INT, offsetof(struct conf, session_ttl),
	    60, 31536000 },
	{ "cookie_secure", CONF_BOOL, offsetof(struct conf, cookie_secure),
	    0, 0 },
	{ "login_max_failures", CONF_INT,
	    offsetof(struct conf, login_max_failures), 1, 1000 },
	{ "login_window", CONF_INT, offsetof(struct conf, login_window),
	    1, 86400 },
	{ "log_level", CONF_LOG_LEVEL, offsetof(struct conf, log_level),
	    0, 0 },
	{ "log_target", CONF_LOG_TARGET, offsetof(struct conf, log_target),
	    0, 0 },
	{ "asset_offload", CONF_ASSET_OFFLOAD,
	    offsetof(struct conf, asset_offload), 0, 0 },
	{ "asset_offload_prefix", CONF_STRING,
	    offsetof(struct conf, asset_offload_prefix), 0, 0 },
	{ "job_max_attempts", CONF_INT, offsetof(struct conf, job_max_attempts),
	    1, 100 },
	{ "job_heartbeat_timeout", CONF_INT,
	    offsetof(struct conf, job_heartbeat_timeout), 5, 3600 },
	{ "job_poll_ms", CONF_INT, offsetof(struct conf, job_poll_ms),
	    50, 60000 },
	{ "deploy_wait_timeout", CONF_INT,
	    offsetof(struct conf, deploy_wait_timeout), 1, 3600 },
	{ "template_files", CONF_TEMPLATE_FILES,
	    offsetof(struct conf, template_files), 0, 0 },
	{ "smtp_url", CONF_STRING_OR_NONE, offsetof(struct conf, smtp_url),
	    0, 0 },
	{ "smtp_user", CONF_STRING_OR_NONE, offsetof(struct conf, smtp_user),
	    0, 0 },
	{ "smtp_password_file", CONF_STRING_OR_NONE,
	    offsetof(struct conf, smtp_password_file), 0, 0 },
	{ "smtp_starttls", CONF_BOOL, offsetof(struct conf, smtp_starttls),
	    0, 0 },
	{ "smtp_ca_file", CONF_STRING_OR_NONE,
	    offsetof(struct conf, smtp_ca_file), 0, 0 },
	{ "smtp_timeout", CONF_INT, offsetof(struct conf, smtp_timeout),
	    1, 600 },
	{ "mail_from", CONF_STRING, offsetof(struct conf, mail_from), 0, 0 },
	{ "mail_templates_dir", CONF_STRING,
	    offsetof(struct conf, mail_templates_dir), 0, 0 },
	{ "mail_max_attempts", CONF_INT,
	    offsetof(struct conf, mail_max_attempts), 1, 50 },
	{ "mail_retry_delay", CONF_INT, offsetof(struct conf, mail_retry_delay),
	    1, 86400 },
	{ "asset_base_url", CONF_ASSET_BASE_URL,
	    offsetof(struct conf, asset_base_url), 0, 0 },
	{ "dns_server", CONF_DNS_SERVER, offsetof(struct conf, dns_server),
	    0, 0 },
	{ "dns_timeout", CONF_INT, offsetof(struct conf, dns_timeout), 1, 30 }
};

/* The built-in defaults, as text, applied through conf_set(). */
static const struct {
	const char	*key;
	const char	*value;
} conf_defaults[] = {
	{ "listen", "127.0.0.1:9000" },
	{ "workers", "4" },
	{ "job_runners", "1" },
	{ "db_port", "3306" },
	{ "db_socket", "/run/mysqld/mysqld.sock" },
	{ "db_name", "tenantd" },
	{ "db_user", "tenantd" },
	{ "db_password", "" },
	{ "tenants_dir", LOCALSTATEDIR "/lib/tenantd/tenants" },
	{ "archive_dir", LOCALSTATEDIR "/lib/tenantd/archive" },
	{ "template_dir", PKGDATADIR "/template" },
	{ "template_manifest", PKGDATADIR "/template.manifest" },
	{ "modules_file", PKGDATADIR "/modules.json" },
	{ "migrations_dir", PKGDATADIR "/migrations" },
	{ "base_domain", "localhost" },
	{ "tenant_url_format", "http://{subdomain}.localhost" },
	{ "api_url", "/api" },
	{ "reserved_subdomains", "www api admin static cdn mail ftp smtp imap "
	    "pop ns ns1 ns2 app assets help support status docs blog dev test "
	    "staging localhost webmail autodiscover" },
	{ "max_body_bytes", "16M" },
	{ "max_logo_bytes", "2M" },
	{ "max_bulk_items", "1000" },
	{ "max_json_nodes", "100000" },
	{ "worker_rss_high_water", "64M" },
	{ "session_ttl", "43200" },
	{ "cookie_secure", "no" },
	{ "login_max_failures", "5" },
	{ "login_window", "900" },
	{ "log_level", "info" },
	{ "log_target", "stderr" },
	{ "asset_offload", "none" },
	{ "asset_offload_prefix", "/_tenantd_files" },
	{ "job_max_attempts", "3" },
	{ "job_heartbeat_timeout", "30" },
	{ "job_poll_ms", "500" },
	{ "deploy_wait_timeout", "30" },
	{ "template_files", "link" },
	{ "smtp_starttls", "no" },
	{ "smtp_timeout", "60" },
	{ "dns_timeout", "5" },
	{ "mail_from", "tenantd@localhost.localdomain" },
	{ "mail_templates_dir", PKGDATADIR "/mail" },
	{ "mail_max_attempts", "6" },
	{ "mail_retry_delay", "30" },
	{ "asset_base_url", "" }
};

/*
 * Formats an error message into `err` (if there is room) and returns -1, so
 * failure paths stay one line.
 */
static int __attribute__((format(printf, 3, 4)))
conf_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Replaces the string at `slot` with a copy of `value` (NULL clears it).
 * The old value is wiped before it is freed, since one of them is the
 * database password.  Returns 0, or -1 if out of memory (the old value
 * stays).
 */
static int
conf_replace_string(char **slot, const char *value)
{
	char	*copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return -1;
	if (*slot != NULL)
		explicit_bzero(*slot, strlen(*slot));
	free(*slot);
	*slot = copy;
	return 0;
}

/*
 * Parses a size: decimal bytes with an optional K, M or G suffix (binary
 * multiples, either case).  Returns 0 with *out in [min, max], or -1.
 */
static int
conf_parse_size(const char *value, int64_t min, int64_t max, int64_t *out)
{
	char		 digits[32];
	const char	*errstr;
	size_t		 len = strlen(value);
	int64_t		 multiplier = 1, number;

	if (len == 0 || len >= sizeof(digits))
		return -1;
	memcpy(digits, value, len + 1);
	switch (digits[len - 1]) {
	case 'k':
	case 'K':
		multiplier = KIB;
		break;
	case 'm':
	case 'M':
		multiplier = MIB;
		break;
	case 'g':
	case 'G':
		multiplier = GIB;
		break;
	default:
		break;
	}
	if (multiplier != 1)
		digits[len - 1] = '\0';
	if (parse_int64(digits, 0, INT64_MAX, &number, &errstr) == -1)
		return -1;
	if (number > max / multiplier)
		return -1;
	number *= multiplier;
	if (number < min)
		return -1;
	*out = number;
	return 0;
}

/*
 * Parses a reserved_subdomains value (names separated by commas and/or
 * spaces) and, if every name is valid, replaces the list in `c`.  Returns 0
 * or -1 with a message.
 */
static int
conf_set_reserved(struct conf *c, const char *value, char *err, size_t errlen)
{
	char		*names[CONF_MAX_RESERVED];
	size_t		 count = 0, i, len;
	const char	*p = value, *problem;
	int		 rc = -1;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		len = strcspn(p, ", \t");
		if ((problem = validate_subdomain(p, len)) != NULL) {
			conf_error(err, errlen,
			    "reserved_subdomains: \"%.*s\" %s",
			    (int)(len > SUBDOMAIN_MAX + 1 ? SUBDOMAIN_MAX + 1 :
			    len), p, problem);
			goto out;
		}
		if (count == CONF_MAX_RESERVED) {
			conf_error(err, errlen,
			    "reserved_subdomains: more than %d names",
			    CONF_MAX_RESERVED);
			goto out;
		}
		if ((names[count] = strndup(p, len)) == NULL) {
			conf_error(err, errlen, "out of memory");
			goto out;
		}
		count++;
		p += len;
	}

	for (i = 0; i < c->reserved_count; i++) {
		free(c->reserved_subdomains[i]);
		c->reserved_subdomains[i] = NULL;
	}
	for (i = 0; i < count; i++)
		c->reserved_subdomains[i] = names[i];
	c->reserved_count = count;
	count = 0;
	rc = 0;
out:
	for (i = 0; i < count; i++)
		free(names[i]);
	return rc;
}

/*
 * Reads the first line of secret file `path` into `out` (see conf.h).
 * Called for db_password_file and by the mail sender for
 * smtp_password_file.  Returns 0 or -1 with a message.
 */
int
conf_read_secret(const char *key, const char *path, char *out, size_t outlen,
    char *err, size_t errlen)
{
	FILE	*f = NULL;
	char	 line[CONF_SECRET_MAX + 2];
	size_t	 len;
	int	 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		conf_error(err, errlen, "%s: %s: %s", key, path,
		    strerror(errno));
		goto out;
	}
	if (fgets(line, sizeof(line), f) == NULL) {
		if (ferror(f))
			conf_error(err, errlen, "%s: %s: %s", key, path,
			    strerror(errno));
		else
			conf_error(err, errlen, "%s: %s: empty", key, path);
		goto out;
	}
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	else if (len > CONF_SECRET_MAX) {
		conf_error(err, errlen,
		    "%s: %s: first line longer than %d bytes", key, path,
		    CONF_SECRET_MAX);
		goto out;
	}
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len >= outlen) {
		conf_error(err, errlen, "%s: %s: first line too long", key,
		    path);
		goto out;
	}
	memcpy(out, line, len + 1);
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	if (f != NULL)
		fclose(f);
	return rc;
}

/*
 * Reads the first line of `path` as the database password and records
 * the path.  Returns 0 or -1 with a message.
 */
static int
conf_set_password_file(struct conf *c, const char *path, char *err,
    size_t errlen)
{
	char	 password[CONF_SECRET_MAX + 1];
	int	 rc = -1;

	if (*path == '\0')
		return conf_replace_string(&c->db_password_file, NULL);
	if (conf_read_secret("db_password_file", path, password,
	    sizeof(password), err, errlen) == -1)
		goto out;
	if (conf_replace_string(&c->db_password, password) == -1 ||
	    conf_replace_string(&c->db_password_file, path) == -1) {
		conf_error(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(password, sizeof(password));
	return rc;
}

/*
 * Sets one key from its text form; conf_load() calls it for every line and
 * the programs for command-line overrides.  Returns 0, or -1 with a message
 * ("workers: must be an integer from 1 to 256") and `c` unchanged.
 */
int
conf_set(struct conf *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct conf_key	*k = NULL;
	const char		*errstr, *token, *problem;
	char			*field, *trimmed;
	enum log_level		 level;
	enum log_target		 target;
	int64_t			 number;
	size_t			 i, len;
	int			 flag, rc;

	if (key == NULL || value == NULL)
		return conf_error(err, errlen, "missing key or value");
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
		if (strcmp(conf_keys[i].name, key) == 0) {
			k = &conf_keys[i];
			break;
		}
	if (k == NULL)
		return conf_error(err, errlen, "unknown key \"%.64s\"", key);
	field = (char *)c + k->offset;

	switch (k->kind) {
	case CONF_STRING:
		if (*value == '\0')
			return conf_error(err, errlen, "%s: must not be empty",
			    k->name);
		break;
	case CONF_STRING_EMPTY_OK:
		break;
	case CONF_STRING_OR_NONE:
		if (*value == '\0')
			value = NULL;
		break;
	case CONF_URL_FORMAT:
		token = strstr(value, CONF_SUBDOMAIN_TOKEN);
		if (token == NULL || strstr(token + 1,
		    CONF_SUBDOMAIN_TOKEN) != NULL)
			return conf_error(err, errlen, "%s: must contain "
			    CONF_SUBDOMAIN_TOKEN " exactly once", k->name);
		break;
	case CONF_INT:
		if (parse_int64(value, k->min, k->max, &number, &errstr) == -1)
			return conf_error(err, errlen,
			    "%s: must be an integer from %lld to %lld",
			    k->name, (long long)k->min, (long long)k->max);
		*(int *)(void *)field = (int)number;
		return 0;
	case CONF_COUNT:
		if (parse_int64(value, k->min, k->max, &number, &errstr) == -1)
			return conf_error(err, errlen,
			    "%s: must be an integer from %lld to %lld",
			    k->name, (long long)k->min, (long long)k->max);
		*(size_t *)(void *)field = (size_t)number;
		return 0;
	case CONF_SIZE:
		if (conf_parse_size(value, k->min, k->max, &number) == -1)
			return conf_error(err, errlen,
			    "%s: must be a size from %lld to %lld bytes "
			    "(K, M or G suffix allowed)",
			    k->name, (long long)k->min, (long long)k->max);
		*(size_t *)(void *)field = (size_t)number;
		return 0;
	case CONF_BOOL:
		if (parse_bool(value, &flag) == -1)
			return conf_error(err, errlen,
			    "%s: must be yes, no, true, false, on, off, 1 or 0",
			    k->name);
		*(int *)(void *)field = flag;
		return 0;
	case CONF_LOG_LEVEL:
		if (log_level_parse(value, &level) == -1)
			return conf_error(err, errlen,
			    "%s: must be error, warning, info or debug",
			    k->name);
		*(int *)(void *)field = (int)level;
		return 0;
	case CONF_LOG_TARGET:
		if (log_target_parse(value, &target) == -1)
			return conf_error(err, errlen,
			    "%s: must be stderr or syslog", k->name);
		*(int *)(void *)field = (int)target;
		return 0;
	case CONF_RESERVED:
		return conf_set_reserved(c, value, err, errlen);
	case CONF_PASSWORD_FILE:
		return conf_set_password_file(c, value, err, errlen);
	case CONF_ASSET_OFFLOAD:
		if (strcmp(value, "none") == 0)
			*(int *)(void *)field = CONF_ASSET_OFFLOAD_NONE;
		else if (strcmp(value, "nginx") == 0)
			*(int *)(void *)field = CONF_ASSET_OFFLOAD_NGINX;
		else if (strcmp(value, "lighttpd") == 0)
			*(int *)(void *)field = CONF_ASSET_OFFLOAD_LIGHTTPD;
		else
			return conf_error(err, errlen,
			    "%s: must be none, nginx or lighttpd", k->name);
		return 0;
	case CONF_TEMPLATE_FILES:
		if (strcmp(value, "link") == 0)
			*(int *)(void *)field = CONF_TEMPLATE_FILES_LINK;
		else if (strcmp(value, "copy") == 0)
			*(int *)(void *)field = CONF_TEMPLATE_FILES_COPY;
		else
			return conf_error(err, errlen,
			    "%s: must be link or copy", k->name);
		return 0;
	case CONF_DNS_SERVER:
		if (*value == '\0')
			value = NULL;
		else if ((problem = dns_server_check(value)) != NULL)
			return conf_error(err, errlen, "%s: %s", k->name,
			    problem);
		break;
	case CONF_ASSET_BASE_URL:
		if (*value == '\0') {
			value = NULL;
			break;
		}
		/* One trailing '/' is the same base; it is not kept. */
		len = strlen(value);
		if (len > 1 && value[len - 1] == '/')
			len--;
		if ((problem = validate_asset_base_url(value, len,
		    NULL)) != NULL)
			return conf_error(err, errlen, "%s: %s", k->name,
			    problem);
		if ((trimmed = strndup(value, len)) == NULL)
			return conf_error(err, errlen, "out of memory");
		rc = conf_replace_string((char **)(void *)field, trimmed);
		free(trimmed);
		if (rc == -1)
			return conf_error(err, errlen, "out of memory");
		return 0;
	}
	if (conf_replace_string((char **)(void *)field, value) == -1)
		return conf_error(err, errlen, "out of memory");
	return 0;
}

/*
 * Fills `c` with the built-in defaults.  Called once before conf_load().
 * Returns 0, or -1 if out of memory (nothing is left allocated).
 */
int
conf_init(struct conf *c)
{
	size_t	i;
	char	err[256];

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(conf_defaults) / sizeof(conf_defaults[0]);
	    i++) {
		if (conf_set(c, conf_defaults[i].key, conf_defaults[i].value,
		    err, sizeof(err)) == -1) {
			conf_release(c);
			return -1;
		}
	}
	return 0;
}

/* Strips spaces and tabs from both ends of `s` in place; returns the start. */
static char *
conf_trim(char *s)
{
	size_t	len;

	s += strspn(s, " \t");
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		s[--len] = '\0';
	return s;
}

/*
 * Applies one line of the file: strips its comment (a '#' at the start or
 * after a space or tab, so "pa#ss" stays a value), skips it if blank, else
 * splits "key = value" and hands it to conf_set().  Returns 0 or -1.
 */
static int
conf_apply_line(struct conf *c, char *line, char *err, size_t errlen)
{
	char	*hash, *equals, *key, *value;

	for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
		if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	line = conf_trim(line);
	if (*line == '\0')
		return 0;
	if ((equals = strchr(line, '=')) == NULL)
		return conf_error(err, errlen, "expected \"key = value\"");
	*equals = '\0';
	key = conf_trim(line);
	value = conf_trim(equals + 1);
	if (*key == '\0')
		return conf_error(err, errlen, "missing key before '='");
	return conf_set(c, key, value, err, errlen);
}

/*
 * Reads the file at `path` on top of what `c` holds.  Called by tenantd at
 * start and on SIGHUP, and by tenantctl.  Returns 0, or -1 with
 * "FILE:LINE: message" in `err`; lines before the bad one stay applied.
 */
int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE	*f = NULL;
	char	 line[CONF_LINE_MAX + 1];
	char	 message[256];
	size_t	 len = 0, line_number = 1;
	int	 ch, rc = -1, too_long = 0;

	if ((f = fopen(path, "r")) == NULL) {
		conf_error(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		ch = getc(f);
		if (ch == EOF && ferror(f)) {
			conf_error(err, errlen, "%s:%zu: %s", path, line_number,
			    strerror(errno));
			goto out;
		}
		if (ch == EOF && len == 0 && !too_long)
			break;
		if (ch != EOF && ch != '\n') {
			if (ch == '\0') {
				conf_error(err, errlen, "%s:%zu: NUL byte",
				    path, line_number);
				goto out;
			}
			if (len == CONF_LINE_MAX)
				too_long = 1;
			else
				line[len++] = (char)ch;
			continue;
		}
		if (too_long) {
			conf_error(err, errlen,
			    "%s:%zu: line longer than %d bytes", path,
			    line_number, CONF_LINE_MAX);
			goto out;
		}
		line[len] = '\0';
		if (conf_apply_line(c, line, message, sizeof(message)) == -1) {
			conf_error(err, errlen, "%s:%zu: %s", path,
			    line_number, message);
			goto out;
		}
		if (ch == EOF)
			break;
		len = 0;
		line_number++;
	}
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	if (f != NULL)
		fclose(f);
	return rc;
}

/*
 * Writes the public URL of tenant `subdomain` into `out`: tenant_url_format
 * with "{subdomain}" replaced.  Returns 0, or -1 if it does not fit.
 */
int
conf_tenant_url(const struct conf *c, const char *subdomain, char *out,
    size_t outlen)
{
	const char	*token;
	int		 n;

	if (outlen == 0 || subdomain == NULL || c->tenant_url_format == NULL ||
	    (token = strstr(c->tenant_url_format, CONF_SUBDOMAIN_TOKEN)) ==
	    NULL)
		return -1;
	n = snprintf(out, outlen, "%.*s%s%s",
	    (int)(token - c->tenant_url_format), c->tenant_url_format,
	    subdomain, token + strlen(CONF_SUBDOMAIN_TOKEN));
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Writes the origin of asset_base_url (scheme, host and port: what a CSP
 * admits) into `out`, "" when asset_base_url is not set.  Returns 0, or
 * -1 if it does not fit.
 */
int
conf_asset_origin(const struct conf *c, char *out, size_t outlen)
{
	size_t	origin_len = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (c->asset_base_url == NULL)
		return 0;
	if (validate_asset_base_url(c->asset_base_url,
	    strlen(c->asset_base_url), &origin_len) != NULL ||
	    origin_len >= outlen)
		return -1;
	memcpy(out, c->asset_base_url, origin_len);
	out[origin_len] = '\0';
	return 0;
}

/* Is `subdomain` in the reserved list?  Returns 1 or 0. */
int
conf_is_reserved(const struct conf *c, const char *subdomain)
{
	size_t	i;

	if (subdomain == NULL)
		return 0;
	for (i = 0; i < c->reserved_count; i++)
		if (strcmp(c->reserved_subdomains[i], subdomain) == 0)
			return 1;
	return 0;
}

/*
 * Frees every string `c` owns and leaves the pointers NULL, so a second call
 * is harmless.
 */
void
conf_release(struct conf *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		switch (conf_keys[i].kind) {
		case CONF_STRING:
		case CONF_STRING_EMPTY_OK:
		case CONF_STRING_OR_NONE:
		case CONF_URL_FORMAT:
		case CONF_PASSWORD_FILE:
		case CONF_ASSET_BASE_URL:
		case CONF_DNS_SERVER:
			conf_replace_string((char **)(void *)((char *)c +
			    conf_keys[i].offset), NULL);
			break;
		default:
			break;
		}
	}
	for (i = 0; i < c->reserved_count; i++) {
		free(c->reserved_subdomains[i]);
		c->reserved_subdomains[i] = NULL;
	}
	c->reserved_count = 0;
}

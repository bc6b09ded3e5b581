/*
 * conf.h - tenantd.conf, the one configuration file of tenantd and tenantctl.
 *
 * The file is a list of "key = value" lines; '#' starts a comment, blank
 * lines are ignored, values run to the end of the line with surrounding
 * spaces trimmed.  Unknown keys and malformed values are errors, reported with
 * the file name and line number, so a typo never silently falls back to a
 * default.  Every key, its default and its meaning is listed in README.md and
 * in etc/tenantd.conf.example.
 *
 * Ownership: struct conf owns every string in it; conf_release() frees them.
 */
#ifndef TENANTD_CONF_H
#define TENANTD_CONF_H

#include <stddef.h>

#define CONF_MAX_RESERVED	64

struct conf {
	char	*listen;		/* "unix:/path", "/path" or "127.0.0.1:9000" */
	int	 workers;		/* FastCGI worker processes */
	int	 job_runners;		/* job runner processes */
	char	*user;			/* drop privileges to this user when root */

	char	*db_host;		/* NULL: use db_socket */
	int	 db_port;
	char	*db_socket;
	char	*db_name;
	char	*db_user;
	char	*db_password;
	char	*db_password_file;	/* read at load time if set */

	char	*tenants_dir;		/* tenants/<sub>/ live here */
	char	*archive_dir;		/* archived tenant folders */
	char	*template_dir;		/* the tenant site template */
	char	*template_manifest;	/* its manifest (tenantctl manifest) */
	char	*modules_file;		/* etc/modules.json */
	char	*migrations_dir;	/* numbered *.sql files */

	char	*base_domain;		/* tenants are <sub>.<base_domain> */
	char	*tenant_url_format;	/* "{subdomain}" is replaced */
	char	*api_url;		/* "api_url" in config.json */
	char	*reserved_subdomains[CONF_MAX_RESERVED];
	size_t	 reserved_count;

	size_t	 max_body_bytes;	/* request bodies past this get 413 */
	size_t	 max_logo_bytes;	/* logos past this get 400 */
	size_t	 max_bulk_items;	/* bulk requests past this get 413 */
	size_t	 max_json_nodes;	/* JSON bodies with more values get 413 */
	size_t	 worker_rss_high_water;	/* a worker above this many bytes
					   resident exits after its request;
					   0: never */

	int	 session_ttl;		/* seconds a login session lives */
	int	 cookie_secure;		/* add "Secure" to the session cookie */
	int	 login_max_failures;	/* failed logins allowed per window */
	int	 login_window;		/* seconds of that window */

	int	 log_level;		/* enum log_level */
	int	 log_target;		/* enum log_target: stderr or syslog */

	int	 asset_offload;		/* enum conf_asset_offload */
	char	*asset_offload_prefix;	/* nginx: internal location of tenants_dir */

	int	 job_max_attempts;	/* runs of a job before it fails */
	int	 job_heartbeat_timeout;	/* seconds without a sign of life */
	int	 job_poll_ms;		/* idle runners look for work this often */
	int	 deploy_wait_timeout;	/* seconds a sync deploy waits for a job */
	int	 template_files;	/* enum conf_template_files */

	char	*smtp_url;		/* smtp:// or smtps:// relay; NULL: no
					   e-mail is queued at all */
	char	*smtp_user;		/* AUTH user, NULL: no AUTH */
	char	*smtp_password_file;	/* its password: the file's first
					   line, read when a message is sent */
	int	 smtp_starttls;		/* smtp://: require STARTTLS */
	char	*smtp_ca_file;		/* PEM CA bundle to verify the relay
					   with; NULL: the system's */
	int	 smtp_timeout;		/* seconds one message may take */
	char	*mail_from;		/* "Name <addr>" or "addr" */
	char	*mail_templates_dir;	/* etc/mail: <event>.txt, .html */
	int	 mail_max_attempts;	/* sends tried before a message fails */
	int	 mail_retry_delay;	/* seconds before the first retry */
	char	*asset_base_url;	/* NULL: assets are same-origin; else
					   the tenant site loads them from
					   <asset_base_url>/<sub>/ (SPEC 12),
					   no trailing '/' */
	char	*dns_server;		/* "a.b.c.d[:port]" asked for the TXT
					   records of custom domains; NULL:
					   the system resolver */
	int	 dns_timeout;		/* seconds a TXT look-up may take */
};

/*
 * How a deploy puts a template file into a tenant's site: a hard link to
 * the stored version's file (shared inode, no bytes written), or a copy
 * of its own (extents shared by a reflink where the filesystem can).
 */
enum conf_template_files {
	CONF_TEMPLATE_FILES_LINK = 0,
	CONF_TEMPLATE_FILES_COPY
};

/* How asset responses hand the file to the web server. */
enum conf_asset_offload {
	CONF_ASSET_OFFLOAD_NONE = 0,	/* tenantd sends the bytes */
	CONF_ASSET_OFFLOAD_NGINX,	/* X-Accel-Redirect to the prefix */
	CONF_ASSET_OFFLOAD_LIGHTTPD	/* X-Sendfile with the full path */
};

/* Fills `c` with the built-in defaults.  Returns 0, or -1 if out of memory. */
int	conf_init(struct conf *c);

/*
 * Reads `path` on top of what `c` holds.  Returns 0, or -1 with a message
 * naming the file and line in `err` (of `errlen` bytes).
 */
int	conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/*
 * Sets one key from its text form, as a line of the file would.  Used for
 * command-line overrides.  Returns 0, or -1 with a message in `err`.
 */
int	conf_set(struct conf *c, const char *key, const char *value,
	    char *err, size_t errlen);

/*
 * Writes the public URL of tenant `subdomain` (tenant_url_format with
 * "{subdomain}" replaced) into `out`.  Returns 0, or -1 if it does not fit.
 */
int	conf_tenant_url(const struct conf *c, const char *subdomain, char *out,
	    size_t outlen);

/*
 * Reads the first line of the secret file `path` (without its line
 * ending, at most CONF_SECRET_MAX bytes) into `out` of `outlen` bytes, for
 * key `key` (named in messages).  Used for db_password_file at load time
 * and for smtp_password_file when a message is sent.  Returns 0, or -1
 * with a message in `err`; the caller wipes `out` after use.
 */
#define CONF_SECRET_MAX		1024
int	conf_read_secret(const char *key, const char *path, char *out,
	    size_t outlen, char *err, size_t errlen);

/*
 * Writes the origin of asset_base_url ("https://cdn.example.com": what the
 * front ends' CSP admits) into `out`, "" when it is not set.  Returns 0,
 * or -1 if it does not fit (ASSET_BASE_URL_MAX + 1 bytes always do).
 */
int	conf_asset_origin(const struct conf *c, char *out, size_t outlen);

/* Is `subdomain` in the reserved list?  1 or 0. */
int	conf_is_reserved(const struct conf *c, const char *subdomain);

/* Frees every string `c` owns. */
void	conf_release(struct conf *c);

#endif

/*
 * tenantd.c - the tenantd program: options, configuration, the listening
 * socket, then the master.
 *
 * tenantd runs in the foreground and logs to standard error, which suits
 * systemd, spawn-fcgi and a terminal alike.  Everything long-lived happens
 * in master.c and worker.c; this file only decides what to run with.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "mail_send.h"
#include "master.h"
#include "privilege.h"
#include "service.h"
#include "router.h"
#include "validate.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"
#endif

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"unknown"
#endif

/* Pending connections the kernel queues for the workers. */
#define LISTEN_BACKLOG	1024

enum {
	OPTION_JOB_RUNNERS = 256,
	OPTION_LIST_ROUTES,
	OPTION_PRINT_ASSET_ORIGIN
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "workers", required_argument, NULL, 'w' },
	{ "job-runners", required_argument, NULL, OPTION_JOB_RUNNERS },
	{ "pid-file", required_argument, NULL, 'p' },
	{ "check-config", no_argument, NULL, 't' },
	{ "list-routes", no_argument, NULL, OPTION_LIST_ROUTES },
	{ "print-asset-origin", no_argument, NULL,
	    OPTION_PRINT_ASSET_ORIGIN },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Prints the usage text to `out`. */
static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: tenantd [options]\n"
	    "  -c, --config FILE     configuration file (default: "
	    "$TENANTD_CONFIG or %s/tenantd.conf)\n"
	    "  -l, --listen ADDR     unix:/path, /path, host:port or "
	    "[v6]:port\n"
	    "  -w, --workers N       number of FastCGI workers (1-256)\n"
	    "      --job-runners N   number of job runners (0-64)\n"
	    "  -p, --pid-file FILE   write the master's pid to FILE\n"
	    "  -t, --check-config    load the configuration and exit\n"
	    "      --list-routes     print the API routes and exit\n"
	    "      --print-asset-origin\n"
	    "                        load the configuration, print the origin "
	    "of\n"
	    "                        asset_base_url (empty line: unset) and "
	    "exit\n"
	    "  -h, --help            show this help\n"
	    "  -V, --version         show the version\n"
	    "A listening socket passed on fd 0 (spawn-fcgi) or by systemd "
	    "socket activation\nis used instead of --listen.\n", SYSCONFDIR);
}

/*
 * Prints the route table as "METHODS<TAB>PATTERN<TAB>ACCESS" lines, the
 * form the auth matrix test reads.
 */
static void
list_routes(void)
{
	static const struct {
		unsigned	 method;
		const char	*name;
	} names[] = {
		{ HTTP_GET, "GET" },
		{ HTTP_HEAD, "HEAD" },
		{ HTTP_POST, "POST" },
		{ HTTP_PATCH, "PATCH" },
		{ HTTP_PUT, "PUT" },
		{ HTTP_DELETE, "DELETE" },
		{ HTTP_OPTIONS, "OPTIONS" }
	};
	const struct route *routes;
	size_t count, i, j;
	unsigned methods;
	int first;

	routes = router_routes(&count);
	for (i = 0; i < count; i++) {
		methods = routes[i].methods;
		if (methods & HTTP_GET)
			methods |= HTTP_HEAD;
		first = 1;
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			if (!(methods & names[j].method))
				continue;
			printf("%s%s", first ? "" : ",", names[j].name);
			first = 0;
		}
		printf("\t%s\t%s\t%s\n", routes[i].pattern,
		    routes[i].access == ROUTE_ADMIN ? "admin" : "public",
		    routes[i].access == ROUTE_PUBLIC ? "any-host" :
		    "admin-host");
	}
}

/*
 * Parses a count option in [min, max].  Returns 0, or -1 after printing
 * why.
 */
static int
parse_count(const char *option, const char *text, int64_t min, int64_t max,
    int *out)
{
	const char *errstr;
	int64_t value;

	if (parse_int64(text, min, max, &value, &errstr) == -1) {
		fprintf(stderr, "tenantd: %s %s: %s (%lld-%lld)\n", option,
		    text, errstr, (long long)min, (long long)max);
		return -1;
	}
	*out = (int)value;
	return 0;
}

/*
 * Loads the configuration: built-in defaults, then the file, then the
 * command-line overrides.  A missing file is fine only when nobody named
 * it (neither --config nor $TENANTD_CONFIG).  Returns 0, or -1 after
 * printing why (with `c` released).
 */
static int
load_config(struct conf *c, const char *path, int path_given,
    const struct master_options *opts)
{
	char err[512];

	if (conf_init(c) == -1) {
		fprintf(stderr, "tenantd: out of memory\n");
		return -1;
	}
	if (path != NULL && (path_given || access(path, F_OK) == 0) &&
	    conf_load(c, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "tenantd: %s\n", err);
		goto fail;
	}
	if (opts->listen_override != NULL &&
	    conf_set(c, "listen", opts->listen_override, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "tenantd: --listen: %s\n", err);
		goto fail;
	}
	if (opts->workers_override > 0)
		c->workers = opts->workers_override;
	if (opts->job_runners_override >= 0)
		c->job_runners = opts->job_runners_override;
	return 0;
fail:
	conf_release(c);
	return -1;
}

/*
 * Copies the directory part of `path` ("." for a bare name) into `out`.
 * Returns 0, or -1 when it does not fit.
 */
static int
parent_directory(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (slash == NULL)
		len = snprintf(out, outlen, ".");
	else if (slash == path)
		len = snprintf(out, outlen, "/");
	else
		len = snprintf(out, outlen, "%.*s", (int)(slash - path), path);
	return len >= outlen ? -1 : 0;
}

/*
 * Restricts this process and all it will fork to writing beneath the
 * tenant folders, the archive and the directories of the pid file and
 * of the unix socket (see sandbox.h).  tenants_dir and archive_dir are
 * created first if missing, as the workers and archiving would.  A
 * kernel that cannot confine is logged and tolerated: the unprivileged
 * user and file permissions (and under systemd, ProtectSystem=strict)
 * still apply.  Returns 0, or -1 after logging why tenantd must not
 * start.
 */
static int
confine_writes(const struct conf *c, const struct master_options *opts)
{
	char err[512], pid_dir[PATH_MAX], socket_dir[PATH_MAX];
	const char *extra[2];
	size_t count = 0;
	int confined;

	if (opts->pid_file != NULL) {
		if (parent_directory(opts->pid_file, pid_dir,
		    sizeof(pid_dir)) == -1) {
			log_error("pid file path too long: %s", opts->pid_file);
			return -1;
		}
		extra[count++] = pid_dir;
	}
	if (opts->unlink_path != NULL) {
		if (parent_directory(opts->unlink_path, socket_dir,
		    sizeof(socket_dir)) == -1) {
			log_error("socket path too long: %s", opts->unlink_path);
			return -1;
		}
		if (count == 0 || strcmp(socket_dir, pid_dir) != 0)
			extra[count++] = socket_dir;
	}
	confined = service_confine_writes(c, extra, count, err, sizeof(err));
	if (confined == -1) {
		log_error("confining writes: %s", err);
		return -1;
	}
	if (confined == 0)
		log_warning("writes are not confined to tenants_dir and "
		    "archive_dir: %s", err);
	else
		log_info("writes confined to %s, %s%s%s%s%s", c->tenants_dir,
		    c->archive_dir, count > 0 ? ", " : "",
		    count > 0 ? extra[0] : "", count > 1 ? ", " : "",
		    count > 1 ? extra[1] : "");
	return 0;
}

/*
 * Parses the options, loads the configuration, opens or inherits the
 * socket and hands over to the master.  Exit status: 0 after a clean stop,
 * 1 on a runtime failure, 2 for bad usage.
 */
int
main(int argc, char *argv[])
{
	struct master_options opts;
	struct conf c;
	const char *path, *env;
	char err[512], *socket_path = NULL, origin[ASSET_BASE_URL_MAX + 1];
	int option, path_given = 0, check_only = 0, listen_fd, conf_loaded = 0;
	int print_origin = 0;
	int status = 1;

	memset(&opts, 0, sizeof(opts));
	opts.job_runners_override = -1;
	path = SYSCONFDIR "/tenantd.conf";
	if ((env = getenv("TENANTD_CONFIG")) != NULL && env[0] != '\0') {
		path = env;
		path_given = 1;
	}

	while ((option = getopt_long(argc, argv, "c:l:w:p:thV", long_options,
	    NULL)) != -1) {
		switch (option) {
		case 'c':
			path = optarg;
			path_given = 1;
			break;
		case 'l':
			opts.listen_override = optarg;
			break;
		case 'w':
			if (parse_count("--workers", optarg, 1, 256,
			    &opts.workers_override) == -1)
				return 2;
			break;
		case OPTION_JOB_RUNNERS:
			if (parse_count("--job-runners", optarg, 0, 64,
			    &opts.job_runners_override) == -1)
				return 2;
			break;
		case 'p':
			opts.pid_file = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case OPTION_PRINT_ASSET_ORIGIN:
			print_origin = 1;
			break;
		case OPTION_LIST_ROUTES:
			list_routes();
			return fflush(stdout) == 0 ? 0 : 1;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tenantd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tenantd: unexpected argument: %s\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}

	if (sodium_init() < 0) {
		fprintf(stderr, "tenantd: libsodium failed to initialise\n");
		return 1;
	}
	/* Once, before any runner is forked: libcurl for the mail job. */
	if (mail_send_global_init() == -1) {
		fprintf(stderr, "tenantd: libcurl failed to initialise\n");
		return 1;
	}
	if (load_config(&c, path, path_given, &opts) == -1)
		goto out;
	conf_loaded = 1;
	if (check_only) {
		printf("configuration OK\n");
		status = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	/*
	 * The front ends' CSP admits this origin; their configurations are
	 * rendered with what tenantd itself makes of the setting.
	 */
	if (print_origin) {
		if (conf_asset_origin(&c, origin, sizeof(origin)) == -1) {
			fprintf(stderr, "tenantd: asset_base_url has no "
			    "origin\n");
			goto out;
		}
		printf("%s\n", origin);
		status = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	log_set_level((enum log_level)c.log_level);
	log_set_target((enum log_target)c.log_target);
	if (path_given || access(path, F_OK) == 0)
		opts.config_path = path;

	if (geteuid() == 0 && c.user == NULL) {
		log_error("started as root without `user` in the "
		    "configuration; tenantd never runs as root: set `user` to "
		    "an unprivileged account (see tenantd.conf(5))");
		goto out;
	}

	if ((listen_fd = listen_inherited()) != -1)
		log_info("using the inherited listening socket (fd %d)",
		    listen_fd);
	else {
		if ((listen_fd = listen_open(c.listen, LISTEN_BACKLOG, err,
		    sizeof(err))) == -1) {
			log_error("%s", err);
			goto out;
		}
		log_info("listening on %s", c.listen);
		/* A copy: a reload frees the configuration's strings. */
		if (strncmp(c.listen, "unix:", 5) == 0)
			socket_path = strdup(c.listen + 5);
		else if (c.listen[0] == '/')
			socket_path = strdup(c.listen);
		if (socket_path == NULL && (c.listen[0] == '/' ||
		    strncmp(c.listen, "unix:", 5) == 0)) {
			log_error("out of memory");
			close(listen_fd);
			goto out;
		}
		opts.unlink_path = socket_path;
	}

	if (geteuid() == 0) {
		if (privilege_drop(c.user, socket_path, err, sizeof(err)) == -1) {
			log_error("%s", err);
			goto close_socket;
		}
		log_info("running as user %s", c.user);
		if (opts.config_path != NULL &&
		    access(opts.config_path, R_OK) == -1)
			log_warning("%s: %s as user %s; SIGHUP cannot reload "
			    "it (make it readable by the user's group, mode "
			    "0640)", opts.config_path, strerror(errno), c.user);
	}
	if (confine_writes(&c, &opts) == -1)
		goto close_socket;

	/* From here the master owns the configuration. */
	conf_loaded = 0;
	status = master_run(&opts, &c, listen_fd);
	goto out;
close_socket:
	/* Not started: leave no socket behind for a front end to find. */
	close(listen_fd);
	if (socket_path != NULL && unlink(socket_path) == -1)
		log_warning("%s: %s", socket_path, strerror(errno));
out:
	if (conf_loaded)
		conf_release(&c);
	free(socket_path);
	return status;
}

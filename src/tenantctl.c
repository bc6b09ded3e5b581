/*
 * tenantctl.c - the administrator's command line: schema migrations, the
 * module catalog, users, API tokens and tenants.
 *
 * Each command is one function, listed in a table with the options and the
 * number of arguments it takes.  main() parses every option once, checks
 * them against the command's entry (so a usage error never costs a database
 * connection), loads tenantd.conf, opens the service when the command needs
 * the database and runs the command.  Tenants are created through the same
 * validation and provisioning code as the API: the options become a struct
 * form, exactly what a request would have produced.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.  Results go to standard
 * output, messages to standard error; a secret (generated password, API
 * token) is printed once, alone on standard output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>
#include <yajl/yajl_gen.h>

#include "auth.h"
#include "conf.h"
#include "ctl_bulk.h"
#include "db.h"
#include "deploy.h"
#include "form.h"
#include "fsck.h"
#include "job_runner.h"
#include "json.h"
#include "lifecycle.h"
#include "log.h"
#include "manifest.h"
#include "migrate.h"
#include "module.h"
#include "privilege.h"
#include "provision.h"
#include "service.h"
#include "tenant.h"
#include "tenant_create.h"
#include "tenant_input.h"
#include "validate.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"
#endif

#define CLI_OK		0
#define CLI_FAILED	1
#define CLI_USAGE	2

#define GENERATED_PASSWORD_LEN	24
#define TENANT_PAGE_SIZE	100
#define CONFIRM_MAX		(SUBDOMAIN_MAX + 1)

/* Options, as bits so a command can say which ones it accepts. */
enum option_bit {
	OPTION_CONFIG		= 1u << 0,
	OPTION_HELP		= 1u << 1,
	OPTION_JSON		= 1u << 2,
	OPTION_GENERATE		= 1u << 3,
	OPTION_LABEL		= 1u << 4,
	OPTION_SEARCH		= 1u << 5,
	OPTION_ARCHIVED		= 1u << 6,
	OPTION_ACTIVE		= 1u << 7,
	OPTION_ORDER		= 1u << 8,
	OPTION_NAME		= 1u << 9,
	OPTION_SUBDOMAIN	= 1u << 10,
	OPTION_EMAIL		= 1u << 11,
	OPTION_PRIMARY_COLOR	= 1u << 12,
	OPTION_SECONDARY_COLOR	= 1u << 13,
	OPTION_MODULE		= 1u << 14,
	OPTION_LOGO		= 1u << 15,
	OPTION_YES		= 1u << 16,
	OPTION_ONCE		= 1u << 17,
	OPTION_FORCE		= 1u << 18,
	OPTION_REPAIR		= 1u << 19,
	OPTION_ATOMIC		= 1u << 20,
	OPTION_DRY_RUN		= 1u << 21,
	OPTION_REPORT		= 1u << 22,
	OPTION_NO_DEPLOY	= 1u << 23,
	OPTION_CHUNK_SIZE	= 1u << 24,
	OPTION_ENABLE		= 1u << 25,
	OPTION_DISABLE		= 1u << 26,
	OPTION_ALL		= 1u << 27
};

static const struct option long_options[] = {
	{ "config",		required_argument, NULL, OPTION_CONFIG },
	{ "help",		no_argument,	   NULL, OPTION_HELP },
	{ "json",		no_argument,	   NULL, OPTION_JSON },
	{ "generate",		no_argument,	   NULL, OPTION_GENERATE },
	{ "label",		required_argument, NULL, OPTION_LABEL },
	{ "search",		required_argument, NULL, OPTION_SEARCH },
	{ "archived",		no_argument,	   NULL, OPTION_ARCHIVED },
	{ "active",		no_argument,	   NULL, OPTION_ACTIVE },
	{ "order",		required_argument, NULL, OPTION_ORDER },
	{ "name",		required_argument, NULL, OPTION_NAME },
	{ "subdomain",		required_argument, NULL, OPTION_SUBDOMAIN },
	{ "email",		required_argument, NULL, OPTION_EMAIL },
	{ "primary-color",	required_argument, NULL, OPTION_PRIMARY_COLOR },
	{ "secondary-color",	required_argument, NULL,
	  OPTION_SECONDARY_COLOR },
	{ "module",		required_argument, NULL, OPTION_MODULE },
	{ "logo",		required_argument, NULL, OPTION_LOGO },
	{ "yes",		no_argument,	   NULL, OPTION_YES },
	{ "once",		no_argument,	   NULL, OPTION_ONCE },
	{ "force",		no_argument,	   NULL, OPTION_FORCE },
	{ "repair",		no_argument,	   NULL, OPTION_REPAIR },
	{ "atomic",		no_argument,	   NULL, OPTION_ATOMIC },
	{ "dry-run",		no_argument,	   NULL, OPTION_DRY_RUN },
	{ "report",		required_argument, NULL, OPTION_REPORT },
	{ "no-deploy",		no_argument,	   NULL, OPTION_NO_DEPLOY },
	{ "chunk-size",		required_argument, NULL, OPTION_CHUNK_SIZE },
	{ "enable",		no_argument,	   NULL, OPTION_ENABLE },
	{ "disable",		no_argument,	   NULL, OPTION_DISABLE },
	{ "all",		no_argument,	   NULL, OPTION_ALL },
	{ NULL,			0,		   NULL, 0 }
};

/* What the command line said, after getopt_long(). */
struct cli_options {
	unsigned	 given;		/* OPTION_* bits seen */
	const char	*config_path;
	const char	*label;
	const char	*search;
	const char	*order;
	const char	*name;
	const char	*subdomain;
	const char	*email;
	const char	*primary_color;
	const char	*secondary_color;
	const char	*logo_path;
	const char	*report_path;
	const char	*chunk_size;
	const char	*modules[TENANT_INPUT_MAX_MODULES];
	size_t		 module_count;
	char		**words;	/* command, subcommand, arguments */
	int		 word_count;
	char		**args;		/* the arguments after those words */
	int		 arg_count;
};

/* What a command works with. */
struct cli {
	struct conf	 conf;
	struct service	 svc;
	int		 service_is_open;
	const char	*config_path;	/* file loaded; NULL: defaults */
};

struct command {
	const char	*name;
	const char	*subcommand;	/* NULL: the command has none */
	const char	*synopsis;	/* arguments and options, for usage */
	const char	*summary;
	int		(*run)(struct cli *, const struct cli_options *);
	int		 needs_db;
	unsigned	 options;	/* OPTION_* bits accepted */
	int		 min_args;
	int		 max_args;
};

static int	cmd_help(struct cli *, const struct cli_options *);
static int	cmd_manifest(struct cli *, const struct cli_options *);
static int	cmd_migrate(struct cli *, const struct cli_options *);
static int	cmd_init_modules(struct cli *, const struct cli_options *);
static int	cmd_user_add(struct cli *, const struct cli_options *);
static int	cmd_user_passwd(struct cli *, const struct cli_options *);
static int	cmd_user_list(struct cli *, const struct cli_options *);
static int	cmd_token_create(struct cli *, const struct cli_options *);
static int	cmd_token_list(struct cli *, const struct cli_options *);
static int	cmd_token_revoke(struct cli *, const struct cli_options *);
static int	cmd_tenant_create(struct cli *, const struct cli_options *);
static int	cmd_tenant_list(struct cli *, const struct cli_options *);
static int	cmd_tenant_show(struct cli *, const struct cli_options *);
static int	cmd_tenant_delete(struct cli *, const struct cli_options *);
static int	cmd_tenant_deploy(struct cli *, const struct cli_options *);
static int	cmd_tenant_archive(struct cli *, const struct cli_options *);
static int	cmd_tenant_restore(struct cli *, const struct cli_options *);
static int	cmd_fsck(struct cli *, const struct cli_options *);
static int	cmd_worker(struct cli *, const struct cli_options *);
static int	cmd_bulk_create(struct cli *, const struct cli_options *);
static int	cmd_bulk_modules(struct cli *, const struct cli_options *);

static const struct command commands[] = {
	{ "help", NULL, "",
	  "show this help",
	  cmd_help, 0, 0, 0, 0 },
	{ "manifest", NULL, "DIR",
	  "print the manifest (sha256, size, path per file) of the template\n"
	  "        in DIR; needs no configuration or database",
	  cmd_manifest, 0, 0, 1, 1 },
	{ "migrate", NULL, "",
	  "apply pending schema migrations; says how many it applied",
	  cmd_migrate, 1, 0, 0, 0 },
	{ "init-modules", NULL, "[FILE]",
	  "insert or update the module catalog from FILE (default: the\n"
	  "        modules_file setting); says how many",
	  cmd_init_modules, 1, 0, 0, 1 },
	{ "user", "add", "NAME [--generate]",
	  "add an administrator; the password is the first line of standard\n"
	  "        input (asked twice on a terminal), or --generate prints a "
	  "new one",
	  cmd_user_add, 1, OPTION_GENERATE, 1, 1 },
	{ "user", "passwd", "NAME [--generate]",
	  "set a user's password, as for user add; ends the user's sessions",
	  cmd_user_passwd, 1, OPTION_GENERATE, 1, 1 },
	{ "user", "list", "[--json]",
	  "list users: id, name, created_at",
	  cmd_user_list, 1, OPTION_JSON, 0, 0 },
	{ "token", "create", "USER [--label LABEL]",
	  "create an API token for USER; prints the token, only this once",
	  cmd_token_create, 1, OPTION_LABEL, 1, 1 },
	{ "token", "list", "[--json]",
	  "list tokens: id, user, label, created, last used, revoked",
	  cmd_token_list, 1, OPTION_JSON, 0, 0 },
	{ "token", "revoke", "ID",
	  "revoke an API token",
	  cmd_token_revoke, 1, 0, 1, 1 },
	{ "tenant", "create", "--name NAME --subdomain SUB [--email EMAIL]\n"
	  "        [--primary-color #RRGGBB] [--secondary-color #RRGGBB]\n"
	  "        [--module KEY]... [--logo FILE] [--json] [--no-deploy]",
	  "create a tenant and its folder, and deploy its site unless\n"
	  "        --no-deploy",
	  cmd_tenant_create, 1, OPTION_NAME | OPTION_SUBDOMAIN | OPTION_EMAIL |
	  OPTION_PRIMARY_COLOR | OPTION_SECONDARY_COLOR | OPTION_MODULE |
	  OPTION_LOGO | OPTION_JSON | OPTION_NO_DEPLOY, 0, 0 },
	{ "tenant", "list", "[--search TEXT] [--active | --archived]\n"
	  "        [--order FIELD] [--json]",
	  "list tenants: id, subdomain, name, status, created_at; FIELD is\n"
	  "        name, subdomain or created_at, with '-' for descending",
	  cmd_tenant_list, 1, OPTION_SEARCH | OPTION_ACTIVE | OPTION_ARCHIVED |
	  OPTION_ORDER | OPTION_JSON, 0, 0 },
	{ "tenant", "show", "ID|SUBDOMAIN [--json]",
	  "show one tenant",
	  cmd_tenant_show, 1, OPTION_JSON, 1, 1 },
	{ "tenant", "delete", "ID|SUBDOMAIN [--yes]",
	  "delete a tenant and its folder; asks for the subdomain on a\n"
	  "        terminal, needs --yes otherwise",
	  cmd_tenant_delete, 1, OPTION_YES, 1, 1 },
	{ "tenant", "deploy", "ID|SUBDOMAIN [--force]",
	  "copy the site template into the tenant's folder now; files the\n"
	  "        tenant changed are kept and listed, unless --force",
	  cmd_tenant_deploy, 1, OPTION_FORCE, 1, 1 },
	{ "tenant", "archive", "ID|SUBDOMAIN",
	  "deactivate a tenant and move its folder to archive_dir; also\n"
	  "        completes an interrupted archive",
	  cmd_tenant_archive, 1, 0, 1, 1 },
	{ "tenant", "restore", "ID|SUBDOMAIN",
	  "bring an archived tenant back (folder, config.json, active);\n"
	  "        also completes an interrupted restore",
	  cmd_tenant_restore, 1, 0, 1, 1 },
	{ "fsck", NULL, "[--repair] [--json]",
	  "check that tenant rows and folders agree, one line per problem;\n"
	  "        --repair fixes what is safe (nothing is deleted); exit 0\n"
	  "        when clean or all repaired, 1 when problems remain",
	  cmd_fsck, 1, OPTION_REPAIR | OPTION_JSON, 0, 0 },
	{ "worker", NULL, "[--once]",
	  "run queued jobs (deploys) in the foreground, as tenantd's job\n"
	  "        runners do; SIGTERM or SIGINT finishes the current job, then\n"
	  "        exits 0; --once exits when no job is left to claim; waits\n"
	  "        out a database outage",
	  cmd_worker, 0, OPTION_ONCE, 0, 0 },
	{ "bulk-create", NULL, "FILE [--atomic] [--dry-run] [--report FILE]\n"
	  "        [--no-deploy]",
	  "create the tenants of FILE (JSON as POST /api/tenants/bulk-create/\n"
	  "        takes, or CSV with a header row) in chunks with progress;\n"
	  "        subdomains already present with the same data are skipped,\n"
	  "        so an interrupted run (Ctrl-C: exit 130) can be repeated;\n"
	  "        --report writes the JSON report; exit 1 on any error",
	  cmd_bulk_create, 1, OPTION_ATOMIC | OPTION_DRY_RUN | OPTION_REPORT |
	  OPTION_NO_DEPLOY | OPTION_CHUNK_SIZE, 1, 1 },
	{ "bulk-modules", NULL, "--module KEY --enable|--disable (--all | ID...)",
	  "enable or disable one module of many tenants, rewriting their\n"
	  "        config.json; exit 1 when an id has no tenant",
	  cmd_bulk_modules, 1, OPTION_MODULE | OPTION_ENABLE | OPTION_DISABLE |
	  OPTION_ALL, 0, 1 << 20 }
};

#define COMMAND_COUNT	(sizeof(commands) / sizeof(commands[0]))

/* Terminal state to put back if a signal arrives while echo is off. */
static struct termios		saved_termios;
static volatile sig_atomic_t	echo_is_off;

/*
 * Prints "tenantctl: <message>" on standard error.  Every failure a command
 * reports goes through here.
 */
static void	complain(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

static void
complain(const char *fmt, ...)
{
	va_list	ap;

	fputs("tenantctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Prints the usage text, generated from the command table so it can never
 * disagree with what the parser accepts.  Goes to standard output for
 * --help and to standard error after a usage error.
 */
static void
usage(FILE *out)
{
	const struct command	*c;
	size_t			 i;

	fputs("usage: tenantctl [--config FILE] COMMAND [ARGUMENTS]\n\n"
	    "commands:\n", out);
	for (i = 0; i < COMMAND_COUNT; i++) {
		c = &commands[i];
		fprintf(out, "  %s%s%s%s%s\n        %s\n", c->name,
		    c->subcommand != NULL ? " " : "",
		    c->subcommand != NULL ? c->subcommand : "",
		    c->synopsis[0] != '\0' ? " " : "", c->synopsis,
		    c->summary);
	}
	fputs("\n--config FILE defaults to $TENANTD_CONFIG, else "
	    SYSCONFDIR "/tenantd.conf;\nthe last --config given counts.\n"
	    "Exit status: 0 success, 1 failure, 2 usage error, 130 bulk-create\n"
	    "or bulk-modules interrupted.\n", out);
}

/* The long name of option `bit`, for messages. */
static const char *
option_name(unsigned bit)
{
	size_t	i;

	for (i = 0; long_options[i].name != NULL; i++) {
		if ((unsigned)long_options[i].val == bit)
			return long_options[i].name;
	}
	return "?";
}

/*
 * Parses the whole command line into `o`.  Options may stand before or
 * after the command words (getopt_long permutes), and options that take
 * one value may be given once, except --config, where the last one counts.
 * Returns 0, or -1 after a message.
 */
static int
options_parse(int argc, char **argv, struct cli_options *o)
{
	const char	**slot;
	int		  ch;
	unsigned	  bit;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":c:h", long_options,
	    NULL)) != -1) {
		if (ch == 'c')
			ch = OPTION_CONFIG;
		else if (ch == 'h')
			ch = OPTION_HELP;
		if (ch == ':') {
			complain("option %s needs a value", argv[optind - 1]);
			return -1;
		}
		if (ch == '?') {
			if (optopt != 0)
				complain("unknown option -%c", optopt);
			else
				complain("unknown option %s",
				    argv[optind - 1]);
			return -1;
		}
		bit = (unsigned)ch;

		if (bit == OPTION_MODULE) {
			if (o->module_count == TENANT_INPUT_MAX_MODULES) {
				complain("at most %d --module options",
				    TENANT_INPUT_MAX_MODULES);
				return -1;
			}
			o->modules[o->module_count++] = optarg;
			o->given |= bit;
			continue;
		}
		/*
		 * A wrapper such as `./dev tenantctl` passes its own
		 * --config; a later one overrides it.
		 */
		if ((o->given & bit) && bit != OPTION_CONFIG) {
			complain("option --%s given twice", option_name(bit));
			return -1;
		}
		o->given |= bit;

		switch (bit) {
		case OPTION_CONFIG:
			slot = &o->config_path;
			break;
		case OPTION_LABEL:
			slot = &o->label;
			break;
		case OPTION_SEARCH:
			slot = &o->search;
			break;
		case OPTION_ORDER:
			slot = &o->order;
			break;
		case OPTION_NAME:
			slot = &o->name;
			break;
		case OPTION_SUBDOMAIN:
			slot = &o->subdomain;
			break;
		case OPTION_EMAIL:
			slot = &o->email;
			break;
		case OPTION_PRIMARY_COLOR:
			slot = &o->primary_color;
			break;
		case OPTION_SECONDARY_COLOR:
			slot = &o->secondary_color;
			break;
		case OPTION_LOGO:
			slot = &o->logo_path;
			break;
		case OPTION_REPORT:
			slot = &o->report_path;
			break;
		case OPTION_CHUNK_SIZE:
			slot = &o->chunk_size;
			break;
		default:
			slot = NULL;
			break;
		}
		if (slot != NULL)
			*slot = optarg;
	}
	o->words = argv + optind;
	o->word_count = argc - optind;
	return 0;
}

/*
 * Finds the command named by the first words of `o` and points o->args at
 * the words after it.  Returns the entry, or NULL after a message.
 */
static const struct command *
command_find(struct cli_options *o)
{
	const struct command	*c;
	size_t			 i;
	int			 name_known = 0;

	if (o->word_count == 0) {
		complain("no command given");
		return NULL;
	}
	for (i = 0; i < COMMAND_COUNT; i++) {
		c = &commands[i];
		if (strcmp(c->name, o->words[0]) != 0)
			continue;
		name_known = 1;
		if (c->subcommand == NULL) {
			o->args = o->words + 1;
			o->arg_count = o->word_count - 1;
			return c;
		}
		if (o->word_count > 1 &&
		    strcmp(c->subcommand, o->words[1]) == 0) {
			o->args = o->words + 2;
			o->arg_count = o->word_count - 2;
			return c;
		}
	}
	if (!name_known)
		complain("unknown command \"%s\"", o->words[0]);
	else if (o->word_count > 1)
		complain("unknown command \"%s %s\"", o->words[0],
		    o->words[1]);
	else
		complain("\"%s\" needs a subcommand", o->words[0]);
	return NULL;
}

/*
 * Checks the options and argument count of `o` against command `c`.
 * Returns 0, or -1 after a message.
 */
static int
command_check(const struct command *c, const struct cli_options *o)
{
	unsigned	stray, bit;

	stray = o->given & ~(c->options | OPTION_CONFIG | OPTION_HELP);
	if (stray != 0) {
		for (bit = 1; (stray & bit) == 0; bit <<= 1)
			continue;
		complain("option --%s does not apply to \"%s%s%s\"",
		    option_name(bit), c->name, c->subcommand ? " " : "",
		    c->subcommand ? c->subcommand : "");
		return -1;
	}
	if (o->arg_count < c->min_args) {
		complain("missing argument for \"%s%s%s\"", c->name,
		    c->subcommand ? " " : "",
		    c->subcommand ? c->subcommand : "");
		return -1;
	}
	if (o->arg_count > c->max_args) {
		complain("unexpected argument \"%s\"",
		    o->args[c->max_args]);
		return -1;
	}
	if ((o->given & OPTION_ACTIVE) && (o->given & OPTION_ARCHIVED)) {
		complain("--active and --archived exclude each other");
		return -1;
	}
	return 0;
}

/*
 * Loads the configuration: --config, else $TENANTD_CONFIG, else the
 * installed default.  Only the default may be missing, in which case the
 * built-in defaults apply, as they do for tenantd.  Run as root with
 * `user` set, the process then becomes that user for good.  Returns 0, or
 * -1 after a message.
 */
static int
config_load(struct cli *cli, const char *path)
{
	char	err[512];
	int	chosen = 1;

	if (path == NULL || path[0] == '\0')
		path = getenv("TENANTD_CONFIG");
	if (path == NULL || path[0] == '\0') {
		path = SYSCONFDIR "/tenantd.conf";
		chosen = 0;
	}
	if (!chosen && access(path, F_OK) == -1 && errno == ENOENT)
		return 0;
	if (conf_load(&cli->conf, path, err, sizeof(err)) == -1) {
		complain("%s", err);
		return -1;
	}
	cli->config_path = path;
	log_set_level((enum log_level)cli->conf.log_level);
	/*
	 * As tenantd does: root becomes the service user, so the folders
	 * and files this command writes belong to the user tenantd runs as
	 * and it can go on changing them.
	 */
	if (geteuid() == 0 && cli->conf.user != NULL &&
	    privilege_drop(cli->conf.user, NULL, err, sizeof(err)) == -1) {
		complain("%s", err);
		return -1;
	}
	return 0;
}

/*
 * Opens the service and makes sure the database answers, saying where it
 * looked when it does not.  Returns 0, or -1 after a message.
 */
static int
service_start(struct cli *cli)
{
	const struct conf	*c = &cli->conf;
	char			 err[512];

	if (service_open(&cli->svc, c, err, sizeof(err)) == -1) {
		complain("%s", err);
		return -1;
	}
	cli->service_is_open = 1;
	if (db_ensure(cli->svc.db) == -1) {
		if (c->db_host != NULL)
			complain("cannot connect to the database at %s:%d: %s",
			    c->db_host, c->db_port, db_error(cli->svc.db));
		else
			complain("cannot connect to the database at %s: %s",
			    c->db_socket != NULL ? c->db_socket : "(none)",
			    db_error(cli->svc.db));
		complain("check the db_* settings in %s",
		    cli->config_path != NULL ? cli->config_path :
		    "tenantd.conf (none was found; using defaults)");
		return -1;
	}
	return 0;
}

/*
 * Writes what `g` holds to standard output and empties it, so a long
 * listing is printed page by page.  `newline` ends the document.
 * Returns 0, or -1 if the generator failed.
 */
static int
json_flush(yajl_gen g, int newline)
{
	const unsigned char	*text;
	size_t			 len;

	if (yajl_gen_get_buf(g, &text, &len) != yajl_gen_status_ok)
		return -1;
	fwrite(text, 1, len, stdout);
	if (newline)
		putchar('\n');
	yajl_gen_clear(g);
	return 0;
}

/* How read_line() ended. */
enum read_line_status {
	READ_LINE_OK,
	READ_LINE_EOF,		/* end of input before any byte */
	READ_LINE_TOO_LONG,
	READ_LINE_NUL,		/* a NUL byte in the line */
	READ_LINE_ERROR
};

/*
 * Reads one line from `fd` into `out` (of `size` bytes) without the line
 * break, a byte at a time so nothing after the line is consumed and no
 * copy of a password lingers in a stdio buffer.  Used for passwords and
 * the delete confirmation.
 */
static enum read_line_status
read_line(int fd, char *out, size_t size)
{
	size_t	used = 0;
	ssize_t	n;
	char	c;
	int	got_any = 0;

	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return READ_LINE_ERROR;
		}
		if (n == 0) {
			if (!got_any)
				return READ_LINE_EOF;
			break;
		}
		got_any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			return READ_LINE_NUL;
		if (used >= size - 1)
			return READ_LINE_TOO_LONG;
		out[used++] = c;
	}
	if (used > 0 && out[used - 1] == '\r')
		used--;
	out[used] = '\0';
	return READ_LINE_OK;
}

/*
 * Puts the terminal back the way it was before echo_off(), then lets the
 * signal do what it would have done.  Installed with SA_RESETHAND, so the
 * re-raised signal meets the default action.
 */
static void
echo_restore_on_signal(int signo)
{
	if (echo_is_off)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	(void)raise(signo);
}

/*
 * Turns off echo on the terminal on standard input (the line break is
 * still echoed), guarding against an interrupt leaving it off.  A signal
 * the parent chose to ignore (nohup) stays ignored.  Returns 0, or -1 if
 * the terminal refused.
 */
static int
echo_off(void)
{
	struct sigaction	sa, old;
	struct termios		quiet;
	const int		signals[] = {
		SIGINT, SIGTERM, SIGHUP, SIGQUIT
	};
	size_t			i;

	if (tcgetattr(STDIN_FILENO, &saved_termios) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_restore_on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (sigaction(signals[i], NULL, &old) == -1)
			return -1;
		if (old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(signals[i], &sa, NULL) == -1)
			return -1;
	}
	quiet = saved_termios;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	echo_is_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1) {
		echo_is_off = 0;
		return -1;
	}
	return 0;
}

/* Undoes echo_off(), keeping whatever was typed since. */
static void
echo_on(void)
{
	(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
	echo_is_off = 0;
}

/*
 * Checks a new password against the rule auth.c enforces, here first so
 * the user hears which part is wrong.  Returns 1, or 0 after a message.
 */
static int
password_acceptable(const char *password)
{
	size_t	len = strlen(password);

	if (len < PASSWORD_MIN) {
		complain("password: must be at least %d bytes long",
		    PASSWORD_MIN);
		return 0;
	}
	if (len > PASSWORD_MAX) {
		complain("password: must be at most %d bytes long",
		    PASSWORD_MAX);
		return 0;
	}
	if (utf8_length(password, len) < 0) {
		complain("password: must be valid UTF-8");
		return 0;
	}
	return 1;
}

/*
 * Reads one password line, from the terminal without echo when standard
 * input is one.  Returns 0, or -1 after a message.
 */
static int
password_read_line(const char *prompt, char out[PASSWORD_MAX + 1])
{
	enum read_line_status	status;
	int			terminal = isatty(STDIN_FILENO);

	if (terminal) {
		/*
		 * The prompt comes after echo is off: turning it off
		 * discards typed-ahead input, which must not be an answer
		 * to a prompt already shown.
		 */
		if (echo_off() == -1) {
			complain("cannot turn off echo on the terminal: %s",
			    strerror(errno));
			return -1;
		}
		fputs(prompt, stderr);
		fflush(stderr);
	}
	status = read_line(STDIN_FILENO, out, PASSWORD_MAX + 1);
	if (terminal)
		echo_on();

	switch (status) {
	case READ_LINE_OK:
		return 0;
	case READ_LINE_EOF:
		complain("no password given on standard input");
		break;
	case READ_LINE_TOO_LONG:
		complain("password: must be at most %d bytes long",
		    PASSWORD_MAX);
		break;
	case READ_LINE_NUL:
		complain("password: must not contain a NUL byte");
		break;
	case READ_LINE_ERROR:
		complain("cannot read the password: %s", strerror(errno));
		break;
	}
	sodium_memzero(out, PASSWORD_MAX + 1);
	return -1;
}

/*
 * Fills `out` with GENERATED_PASSWORD_LEN characters drawn uniformly from
 * letters and digits (about 143 bits), easy to paste and to quote.
 */
static void
password_generate(char out[PASSWORD_MAX + 1])
{
	static const char	alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t			i;

	for (i = 0; i < GENERATED_PASSWORD_LEN; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[GENERATED_PASSWORD_LEN] = '\0';
}

/*
 * Gets a new password for `username`: generated, typed twice on a terminal,
 * or the first line of standard input.  Returns 0, or -1 after a message;
 * the caller wipes `out` either way.
 */
static int
password_obtain(const char *username, int generate,
    char out[PASSWORD_MAX + 1])
{
	char	prompt[128];
	char	again[PASSWORD_MAX + 1];
	int	rc = -1;

	if (generate) {
		password_generate(out);
		return 0;
	}
	snprintf(prompt, sizeof(prompt), "Password for %s: ", username);
	if (password_read_line(prompt, out) == -1)
		goto out;
	if (!password_acceptable(out))
		goto out;
	if (isatty(STDIN_FILENO)) {
		if (password_read_line("Repeat the password: ", again) == -1)
			goto out;
		if (strcmp(out, again) != 0) {
			complain("the passwords do not match");
			goto out;
		}
	}
	rc = 0;
out:
	sodium_memzero(again, sizeof(again));
	return rc;
}

/* help: the usage text on standard output. */
static int
cmd_help(struct cli *cli, const struct cli_options *o)
{
	usage(stdout);
	return CLI_OK;
}

/*
 * manifest DIR: builds the template manifest of DIR and prints it, for
 * `make` to store as www/template.manifest.  A name, symlink or special
 * file the manifest cannot hold is an error naming the file.
 */
static int
cmd_manifest(struct cli *cli, const struct cli_options *o)
{
	struct manifest	m;
	char		err[512];
	int		rc = CLI_FAILED;

	manifest_init(&m);
	if (manifest_build(&m, o->args[0], err, sizeof(err)) == -1) {
		complain("%s", err);
		goto out;
	}
	if (manifest_write(&m, stdout) == -1) {
		complain("cannot write the manifest: %s", strerror(errno));
		goto out;
	}
	rc = CLI_OK;
out:
	manifest_release(&m);
	return rc;
}

/* migrate: applies pending migrations from conf->migrations_dir. */
static int
cmd_migrate(struct cli *cli, const struct cli_options *o)
{
	char	err[512];
	int	applied = 0;

	if (migrate_run(cli->svc.db, cli->conf.migrations_dir, &applied, err,
	    sizeof(err)) == -1) {
		complain("migrate: %s", err);
		return CLI_FAILED;
	}
	printf("applied %d schema migration%s\n", applied,
	    applied == 1 ? "" : "s");
	return CLI_OK;
}

/* init-modules [FILE]: upserts the module catalog from a modules.json. */
static int
cmd_init_modules(struct cli *cli, const struct cli_options *o)
{
	struct module_catalog	 cat;
	const char		*path;
	char			 err[512];
	int			 rc = CLI_FAILED;

	module_catalog_init(&cat);
	path = o->arg_count > 0 ? o->args[0] : cli->conf.modules_file;
	if (module_catalog_read_file(&cat, path, err, sizeof(err)) == -1) {
		complain("%s", err);
		goto out;
	}
	if (module_catalog_upsert(&cat, cli->svc.db) == -1) {
		complain("cannot store the modules: %s",
		    db_error(cli->svc.db));
		goto out;
	}
	printf("inserted or updated %zu module definition%s\n", cat.count,
	    cat.count == 1 ? "" : "s");
	rc = CLI_OK;
out:
	module_catalog_release(&cat);
	return rc;
}

/*
 * Reports the outcome of adding a user or setting a password: the
 * generated password alone on standard output (and the note on standard
 * error), or the note on standard output.
 */
static void
password_report(int generated, const char *password, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
password_report(int generated, const char *password, const char *fmt, ...)
{
	va_list	ap;
	FILE	*note = generated ? stderr : stdout;

	if (generated)
		printf("%s\n", password);
	va_start(ap, fmt);
	vfprintf(note, fmt, ap);
	va_end(ap);
	fputc('\n', note);
}

/* user add NAME [--generate]: creates an administrator. */
static int
cmd_user_add(struct cli *cli, const struct cli_options *o)
{
	struct db	*db = cli->svc.db;
	const char	*name = o->args[0], *problem;
	char		 password[PASSWORD_MAX + 1];
	int		 generate = (o->given & OPTION_GENERATE) != 0;
	int64_t		 id = 0;
	int		 rc = CLI_FAILED;

	password[0] = '\0';
	if ((problem = validate_username(name, strlen(name))) != NULL) {
		complain("user name: %s", problem);
		goto out;
	}
	switch (auth_user_find(db, name, NULL)) {
	case 1:
		complain("user \"%s\" already exists", name);
		goto out;
	case 0:
		break;
	default:
		complain("cannot look up the user: %s", db_error(db));
		goto out;
	}
	if (password_obtain(name, generate, password) == -1)
		goto out;
	if (auth_user_add(db, name, password, &id) == -1) {
		if (db_is_duplicate(db))
			complain("user \"%s\" already exists", name);
		else
			complain("cannot add the user: %s", db_error(db));
		goto out;
	}
	password_report(generate, password, "added user %s (id %" PRId64 ")",
	    name, id);
	rc = CLI_OK;
out:
	sodium_memzero(password, sizeof(password));
	return rc;
}

/* user passwd NAME [--generate]: sets a new password. */
static int
cmd_user_passwd(struct cli *cli, const struct cli_options *o)
{
	struct db	*db = cli->svc.db;
	const char	*name = o->args[0];
	char		 password[PASSWORD_MAX + 1];
	int		 generate = (o->given & OPTION_GENERATE) != 0;
	int		 rc = CLI_FAILED;

	password[0] = '\0';
	switch (auth_user_find(db, name, NULL)) {
	case 1:
		break;
	case 0:
		complain("no such user \"%s\"", name);
		goto out;
	default:
		complain("cannot look up the user: %s", db_error(db));
		goto out;
	}
	if (password_obtain(name, generate, password) == -1)
		goto out;
	switch (auth_user_set_password(db, name, password)) {
	case 1:
		password_report(generate, password,
		    "changed the password of %s", name);
		rc = CLI_OK;
		break;
	case 0:
		complain("no such user \"%s\"", name);
		break;
	default:
		complain("cannot set the password: %s", db_error(db));
		break;
	}
out:
	sodium_memzero(password, sizeof(password));
	return rc;
}

/* user list [--json]: every user, one per line or as a JSON array. */
static int
cmd_user_list(struct cli *cli, const struct cli_options *o)
{
	struct auth_user_list	 users = { NULL, 0 };
	const struct auth_user	*u;
	yajl_gen		 g = NULL;
	size_t			 i;
	int			 rc = CLI_FAILED;

	if (auth_user_list_load(cli->svc.db, &users) == -1) {
		complain("cannot list users: %s", db_error(cli->svc.db));
		goto out;
	}
	if (!(o->given & OPTION_JSON)) {
		for (i = 0; i < users.count; i++) {
			u = &users.items[i];
			printf("%" PRId64 "\t%s\t%s\n", u->id, u->username,
			    u->created_at);
		}
		rc = CLI_OK;
		goto out;
	}

	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto json_fail;
	for (i = 0; i < users.count; i++) {
		u = &users.items[i];
		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_int(g, "id", u->id) != yajl_gen_status_ok ||
		    json_gen_kv_string(g, "username", u->username) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "created_at", u->created_at) !=
		    yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto json_fail;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_flush(g, 1) == -1)
		goto json_fail;
	rc = CLI_OK;
	goto out;
json_fail:
	complain("cannot write JSON");
out:
	if (g != NULL)
		yajl_gen_free(g);
	auth_user_list_release(&users);
	return rc;
}

/* token create USER [--label L]: prints a new API token once. */
static int
cmd_token_create(struct cli *cli, const struct cli_options *o)
{
	struct db	*db = cli->svc.db;
	struct auth_user user;
	char		 token[AUTH_TOKEN_LEN + 1];
	int64_t		 id = 0;
	int		 rc = CLI_FAILED;

	token[0] = '\0';
	switch (auth_user_find(db, o->args[0], &user)) {
	case 1:
		break;
	case 0:
		complain("no such user \"%s\"", o->args[0]);
		goto out;
	default:
		complain("cannot look up the user: %s", db_error(db));
		goto out;
	}
	if (auth_token_create(db, user.id, o->label, token, &id) == -1) {
		if (errno == EINVAL)
			complain("label: must be at most %d characters "
			    "without control characters", AUTH_LABEL_MAX);
		else
			complain("cannot create the token: %s", db_error(db));
		goto out;
	}
	printf("%s\n", token);
	fprintf(stderr, "created token %" PRId64 " for %s\n", id,
	    user.username);
	rc = CLI_OK;
out:
	sodium_memzero(token, sizeof(token));
	return rc;
}

/* A listing cell: the text, or "-" when there is none. */
static const char *
cell_or_dash(const char *text)
{
	return text[0] != '\0' ? text : "-";
}

/* Writes "key": "text", or null when `text` is empty. */
static int
json_kv_optional(yajl_gen g, const char *key, const char *text)
{
	if (text[0] == '\0')
		return json_gen_kv_null(g, key);
	return json_gen_kv_string(g, key, text);
}

/* token list [--json]: every token without its secret. */
static int
cmd_token_list(struct cli *cli, const struct cli_options *o)
{
	struct auth_token_list	 tokens = { NULL, 0 };
	const struct auth_token_info *t;
	yajl_gen		 g = NULL;
	size_t			 i;
	int			 rc = CLI_FAILED;

	if (auth_token_list_load(cli->svc.db, &tokens) == -1) {
		complain("cannot list tokens: %s", db_error(cli->svc.db));
		goto out;
	}
	if (!(o->given & OPTION_JSON)) {
		for (i = 0; i < tokens.count; i++) {
			t = &tokens.items[i];
			printf("%" PRId64 "\t%s\t%s\t%s\t%s\t%s\n", t->id,
			    t->username, cell_or_dash(t->label),
			    t->created_at, cell_or_dash(t->last_used_at),
			    cell_or_dash(t->revoked_at));
		}
		rc = CLI_OK;
		goto out;
	}

	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto json_fail;
	for (i = 0; i < tokens.count; i++) {
		t = &tokens.items[i];
		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_int(g, "id", t->id) != yajl_gen_status_ok ||
		    json_gen_kv_int(g, "user_id", t->user_id) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "username", t->username) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "label", t->label) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "created_at", t->created_at) !=
		    yajl_gen_status_ok ||
		    json_kv_optional(g, "last_used_at", t->last_used_at) !=
		    yajl_gen_status_ok ||
		    json_kv_optional(g, "revoked_at", t->revoked_at) !=
		    yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto json_fail;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_flush(g, 1) == -1)
		goto json_fail;
	rc = CLI_OK;
	goto out;
json_fail:
	complain("cannot write JSON");
out:
	if (g != NULL)
		yajl_gen_free(g);
	auth_token_list_release(&tokens);
	return rc;
}

/* token revoke ID: the token stops working at once. */
static int
cmd_token_revoke(struct cli *cli, const struct cli_options *o)
{
	const char	*errstr;
	int64_t		 id;

	if (parse_int64(o->args[0], 1, INT64_MAX, &id, &errstr) == -1) {
		complain("token id \"%s\" is %s", o->args[0], errstr);
		return CLI_USAGE;
	}
	switch (auth_token_revoke(cli->svc.db, id)) {
	case 1:
		printf("revoked token %" PRId64 "\n", id);
		return CLI_OK;
	case 0:
		complain("no such token %" PRId64, id);
		return CLI_FAILED;
	default:
		complain("cannot revoke the token: %s",
		    db_error(cli->svc.db));
		return CLI_FAILED;
	}
}

/*
 * Appends one value to field `name` of `f`, creating the field on first
 * use, the way the request parsers do, so `tenant create` goes through
 * the same tenant_input_read() as an API request.  Every piece is
 * malloc()ed, which is what form_release() frees.  The arrays are sized
 * exactly: form.c derives an array's capacity from its count when it
 * appends, but nothing appends to this form through form.c afterwards.
 * Returns 0, or -1 if out of memory.
 */
static int
form_append(struct form *f, const char *name, enum form_value_kind kind,
    const char *data, size_t len)
{
	struct form_field	*fields, *field = NULL;
	struct form_value	*values, *value;
	size_t			 i;

	for (i = 0; i < f->count; i++) {
		if (strcmp(f->fields[i].name, name) == 0) {
			field = &f->fields[i];
			break;
		}
	}
	if (field == NULL) {
		if (f->count > SIZE_MAX / sizeof(*fields) - 1)
			return -1;
		fields = realloc(f->fields, (f->count + 1) * sizeof(*fields));
		if (fields == NULL)
			return -1;
		f->fields = fields;
		field = &fields[f->count];
		memset(field, 0, sizeof(*field));
		if ((field->name = strdup(name)) == NULL)
			return -1;
		f->count++;
	}

	if (field->count > SIZE_MAX / sizeof(*values) - 1 ||
	    len > SIZE_MAX - 1)
		return -1;
	values = realloc(field->values, (field->count + 1) * sizeof(*values));
	if (values == NULL)
		return -1;
	field->values = values;
	value = &values[field->count];
	memset(value, 0, sizeof(*value));
	value->kind = kind;
	if ((value->data = malloc(len + 1)) == NULL)
		return -1;
	memcpy(value->data, data, len);
	value->data[len] = '\0';
	value->len = len;
	field->count++;
	return 0;
}

/* Appends a text option to the form, if it was given.  0 or -1. */
static int
form_append_option(struct form *f, const char *name, const char *text)
{
	if (text == NULL)
		return 0;
	return form_append(f, name, FORM_VALUE_STRING, text, strlen(text));
}

/*
 * Reads the logo file at `path`, at most `max` + 1 bytes: one byte past the
 * limit is enough for tenant_input_read() to refuse the size, and a huge
 * file never fills memory.  Returns 0 with a malloc()ed copy, or -1 after a
 * message.
 */
static int
logo_read(const char *path, size_t max, char **data, size_t *len)
{
	struct stat	 st;
	char		*bytes = NULL;
	size_t		 want, used = 0;
	ssize_t		 n;
	int		 fd = -1, rc = -1;

	*data = NULL;
	*len = 0;
	if (max > SIZE_MAX - 2) {
		complain("max_logo_bytes is too large");
		goto out;
	}
	want = max + 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		complain("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		complain("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		complain("%s: not a regular file", path);
		goto out;
	}
	if ((bytes = malloc(want + 1)) == NULL) {
		complain("out of memory");
		goto out;
	}
	while (used < want) {
		n = read(fd, bytes + used, want - used);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			complain("%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	bytes[used] = '\0';
	*data = bytes;
	*len = used;
	bytes = NULL;
	rc = 0;
out:
	free(bytes);
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Builds the form `tenant create` hands to tenant_input_read() from the
 * options, with the field names of the API.  Returns 0, or -1 after a
 * message.
 */
static int
tenant_form_build(struct cli *cli, const struct cli_options *o,
    struct form *f)
{
	char	*logo = NULL;
	size_t	 logo_len = 0, i;
	int	 rc = -1;

	if (form_append_option(f, "name", o->name) == -1 ||
	    form_append_option(f, "subdomain", o->subdomain) == -1 ||
	    form_append_option(f, "contact_email", o->email) == -1 ||
	    form_append_option(f, "primary_color", o->primary_color) == -1 ||
	    form_append_option(f, "secondary_color",
	    o->secondary_color) == -1)
		goto no_memory;
	for (i = 0; i < o->module_count; i++) {
		if (form_append_option(f, "module_keys", o->modules[i]) == -1)
			goto no_memory;
	}
	if (o->logo_path != NULL) {
		if (logo_read(o->logo_path, cli->conf.max_logo_bytes, &logo,
		    &logo_len) == -1)
			goto out;
		if (form_append(f, "logo", FORM_VALUE_FILE, logo,
		    logo_len) == -1)
			goto no_memory;
	}
	rc = 0;
	goto out;
no_memory:
	complain("out of memory");
out:
	free(logo);
	return rc;
}

/*
 * Prints `t` as the API's JSON object, on one line, filling t->deployed
 * first.  0 or -1.
 */
static int
tenant_print_json(struct cli *cli, struct tenant *t,
    const struct module_catalog *cat)
{
	yajl_gen	g;
	int		rc = -1;

	deploy_state_load(&cli->svc, t);
	if ((g = json_gen_new()) == NULL)
		goto out;
	if (tenant_to_json(g, t, cat, cli->conf.tenant_url_format) != 0 ||
	    json_flush(g, 1) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		complain("cannot write JSON");
	if (g != NULL)
		yajl_gen_free(g);
	return rc;
}

/* The public URL of `t`, or "-" if it does not fit. */
static const char *
tenant_url(struct cli *cli, const struct tenant *t, char *out, size_t outlen)
{
	if (conf_tenant_url(&cli->conf, t->subdomain, out, outlen) == -1)
		return "-";
	return out;
}

/* Loads the module catalog, saying so when that fails.  0 or -1. */
static int
catalog_load(struct cli *cli, struct module_catalog *cat)
{
	if (module_catalog_load(cat, cli->svc.db) == -1) {
		complain("cannot load the module catalog: %s",
		    db_error(cli->svc.db));
		return -1;
	}
	return 0;
}

/*
 * Prints how the deploy of tenant `id` (`t` as deploy_locked() left it)
 * went: the report, or why not.  `quiet` prints nothing on success
 * (tenant create --json prints the tenant only).  Returns CLI_OK or
 * CLI_FAILED.
 */
static int
tenant_deploy_print(struct cli *cli, int64_t id, enum deploy_status status,
    const struct tenant *t, const struct deploy_report *report,
    const char *err, int quiet)
{
	char	url[512];
	size_t	i;

	switch (status) {
	case DEPLOY_OK:
		break;
	case DEPLOY_BUSY:
		complain("tenant %s is busy: another deploy, archive or "
		    "restore is running", t->subdomain);
		return CLI_FAILED;
	case DEPLOY_ARCHIVED:
		complain("tenant %s is archived; restore the tenant first",
		    t->subdomain);
		return CLI_FAILED;
	case DEPLOY_NOT_FOUND:
		complain("tenant %lld was deleted", (long long)id);
		return CLI_FAILED;
	case DEPLOY_DB_ERROR:
	case DEPLOY_FAILED:
		complain("deploy of %s failed: %s", t->subdomain[0] != '\0' ?
		    t->subdomain : "the tenant", err);
		return CLI_FAILED;
	}
	if (quiet)
		return CLI_OK;
	printf("deployed tenant %" PRId64 " %s %s: %zu files copied, %zu "
	    "kept, %zu replaced\n", t->id, t->subdomain,
	    tenant_url(cli, t, url, sizeof(url)), report->files_copied,
	    report->files_kept, report->files_replaced);
	for (i = 0; i < report->files_kept && i < DEPLOY_REPORT_MAX_KEPT; i++)
		printf("kept (changed by the tenant): %s\n", report->kept[i]);
	return CLI_OK;
}

/*
 * Deploys tenant `id` now with deploy_locked() and prints the report, or
 * says why not.  Returns CLI_OK or CLI_FAILED.
 */
static int
tenant_deploy_now(struct cli *cli, int64_t id, int force)
{
	struct tenant		 t;
	struct deploy_report	*report = NULL;
	enum deploy_status	 status;
	char			 err[512];
	int			 rc = CLI_FAILED;

	tenant_init(&t);
	/* The report holds 100 paths: too large for a stack frame. */
	if ((report = calloc(1, sizeof(*report))) == NULL) {
		complain("out of memory");
		goto out;
	}
	status = deploy_locked(&cli->svc, id, force, 0, 0, NULL, NULL, &t,
	    report, err, sizeof(err));
	rc = tenant_deploy_print(cli, id, status, &t, report, err, 0);
out:
	free(report);
	tenant_release(&t);
	return rc;
}

/* What tenant create's `created` callback needs to print the tenant. */
struct created_print {
	struct cli			*cli;
	const struct cli_options	*o;
	const struct module_catalog	*cat;
	int				 failed;
};

/*
 * tenant create's `created` callback (tenant_create.h): prints the new
 * tenant, as JSON with --json, before its deploy starts.  Returns 0, or
 * -1 (the deploy is skipped) when the JSON could not be written.
 */
static int
tenant_created_print(void *arg, struct tenant *t)
{
	struct created_print	*p = arg;
	char			 url[512];

	if (p->o->given & OPTION_JSON) {
		if (tenant_print_json(p->cli, t, p->cat) == -1) {
			p->failed = 1;
			return -1;
		}
	} else
		printf("created tenant %" PRId64 " %s %s\n", t->id,
		    t->subdomain, tenant_url(p->cli, t, url, sizeof(url)));
	/* The tenant stays, deployed or not, as after POST /api/tenants/. */
	fflush(stdout);
	return 0;
}

/*
 * tenant create: the options become a form, are validated like an API
 * request, and tenant_create() provisions the tenant (database rows and
 * folder together) and deploys its site now, the path the API's create
 * takes with a queued deploy, unless --no-deploy.  A failed deploy is
 * exit 1, with the tenant created all the same.
 */
static int
cmd_tenant_create(struct cli *cli, const struct cli_options *o)
{
	struct form			form;
	struct module_catalog		cat;
	struct tenant_input		in;
	struct field_errors		errors;
	struct tenant			t;
	struct tenant_create_site	site;
	struct created_print		print;
	enum provision_status		status;
	char				err[512];
	size_t				i;
	int				rc = CLI_FAILED;

	form_init(&form);
	module_catalog_init(&cat);
	tenant_init(&t);
	memset(&in, 0, sizeof(in));
	memset(&errors, 0, sizeof(errors));
	memset(&site, 0, sizeof(site));

	if (tenant_form_build(cli, o, &form) == -1)
		goto out;
	if (catalog_load(cli, &cat) == -1)
		goto out;
	if (tenant_input_read(&in, TENANT_INPUT_CREATE, &form, &cli->conf,
	    &cat, cli->svc.mime, &errors) == -1) {
		for (i = 0; i < errors.count; i++)
			fprintf(stderr, "%s: %s\n", errors.items[i].field,
			    errors.items[i].message);
		if (errors.count == 0)
			complain("the tenant is not valid");
		goto out;
	}

	in.deploy = (o->given & OPTION_NO_DEPLOY) == 0;
	/* The report holds 100 paths: too large for a stack frame. */
	if (in.deploy &&
	    (site.report = calloc(1, sizeof(*site.report))) == NULL) {
		complain("out of memory");
		goto out;
	}
	site.mode = TENANT_CREATE_NOW;
	site.created = tenant_created_print;
	site.created_arg = &print;
	print.cli = cli;
	print.o = o;
	print.cat = &cat;
	print.failed = 0;

	err[0] = '\0';
	status = tenant_create(&cli->svc, &in, 0, &site, &t, err, sizeof(err));
	if (status != PROVISION_OK) {
		if (err[0] != '\0')
			complain("%s", err);
		else if (status == PROVISION_DB_DOWN)
			complain("the database went away");
		else
			complain("cannot create the tenant");
		goto out;
	}

	if (print.failed)
		goto out;
	if (in.deploy && tenant_deploy_print(cli, t.id, site.status, &t,
	    site.report, site.error, (o->given & OPTION_JSON) != 0) !=
	    CLI_OK) {
		complain("tenant %s was created; deploy it with tenantctl "
		    "tenant deploy %s", t.subdomain, t.subdomain);
		goto out;
	}
	rc = CLI_OK;
out:
	free(site.report);
	tenant_release(&t);
	module_catalog_release(&cat);
	form_release(&form);
	return rc;
}

/*
 * tenant list: every matching tenant, fetched a page at a time so memory
 * stays bounded however many there are.
 */
static int
cmd_tenant_list(struct cli *cli, const struct cli_options *o)
{
	struct module_catalog	 cat;
	struct tenant_query	 q;
	struct tenant_list	 list;
	struct tenant		*t;
	yajl_gen		 g = NULL;
	int			 json = (o->given & OPTION_JSON) != 0;
	int			 done = 0, rc = CLI_FAILED;
	size_t			 i;

	module_catalog_init(&cat);
	memset(&list, 0, sizeof(list));
	memset(&q, 0, sizeof(q));
	q.search = o->search;
	q.is_active = -1;
	if (o->given & OPTION_ACTIVE)
		q.is_active = 1;
	if (o->given & OPTION_ARCHIVED)
		q.is_active = 0;
	q.order = TENANT_ORDER_CREATED_DESC;
	if (o->order != NULL && tenant_order_parse(o->order, &q.order) == -1) {
		complain("--order: unknown field \"%s\"", o->order);
		rc = CLI_USAGE;
		goto out;
	}
	q.limit = TENANT_PAGE_SIZE;

	if (json) {
		if (catalog_load(cli, &cat) == -1)
			goto out;
		if ((g = json_gen_new()) == NULL ||
		    yajl_gen_array_open(g) != yajl_gen_status_ok)
			goto json_fail;
	}
	while (!done) {
		memset(&list, 0, sizeof(list));
		if (tenant_list_query(cli->svc.db, &q, &list) == -1) {
			complain("cannot list tenants: %s",
			    db_error(cli->svc.db));
			goto out;
		}
		for (i = 0; i < list.count; i++) {
			t = &list.items[i];
			if (json) {
				deploy_state_load(&cli->svc, t);
				if (tenant_to_json(g, t, &cat,
				    cli->conf.tenant_url_format) != 0)
					goto json_fail;
				continue;
			}
			printf("%" PRId64 "\t%s\t%s\t%s\t%s\n", t->id,
			    t->subdomain, t->name,
			    t->is_active ? "active" : "archived",
			    t->created_at != NULL ? t->created_at : "-");
		}
		if (json && json_flush(g, 0) == -1)
			goto json_fail;
		done = list.count < TENANT_PAGE_SIZE ||
		    q.offset + (int64_t)list.count >= list.total;
		q.offset += (int64_t)list.count;
		tenant_list_release(&list);
	}
	if (json && (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_flush(g, 1) == -1))
		goto json_fail;
	rc = CLI_OK;
	goto out;
json_fail:
	complain("cannot write JSON");
out:
	tenant_list_release(&list);
	if (g != NULL)
		yajl_gen_free(g);
	module_catalog_release(&cat);
	return rc;
}

/*
 * Finds the tenant `ref` names: an id when it is a number, else (or when no
 * tenant has that id, since "123" is also a valid subdomain) a subdomain.
 * Returns 1, 0 after a "no such tenant" message, or -1 after an error
 * message.
 */
static int
tenant_lookup(struct cli *cli, const char *ref, struct tenant *t)
{
	const char	*errstr;
	int64_t		 id;
	int		 found = 0;

	if (parse_int64(ref, 1, INT64_MAX, &id, &errstr) == 0)
		found = tenant_find_by_id(cli->svc.db, id, t);
	if (found == 0 && validate_subdomain(ref, strlen(ref)) == NULL) {
		tenant_release(t);
		tenant_init(t);
		found = tenant_find_by_subdomain(cli->svc.db, ref, t);
	}
	if (found == 0)
		complain("no such tenant \"%s\"", ref);
	else if (found == -1)
		complain("cannot look up the tenant: %s",
		    db_error(cli->svc.db));
	return found;
}

/* Prints `t` as "key: value" lines for a person to read. */
static void
tenant_print_text(struct cli *cli, const struct tenant *t,
    const struct module_catalog *cat)
{
	char	url[512];
	size_t	i;
	int	first = 1;

	printf("id:              %" PRId64 "\n", t->id);
	printf("name:            %s\n", t->name != NULL ? t->name : "");
	printf("subdomain:       %s\n", t->subdomain);
	printf("url:             %s\n", tenant_url(cli, t, url, sizeof(url)));
	printf("contact_email:   %s\n", t->contact_email != NULL &&
	    t->contact_email[0] != '\0' ? t->contact_email : "-");
	printf("primary_color:   %s\n", t->primary_color);
	printf("secondary_color: %s\n", t->secondary_color);
	printf("logo:            %s\n", t->logo != NULL ? t->logo : "-");
	if (t->is_active)
		printf("status:          active\n");
	else
		printf("status:          archived since %s\n",
		    t->archived_at != NULL ? t->archived_at : "-");
	printf("created_at:      %s\n", t->created_at != NULL ?
	    t->created_at : "-");
	printf("updated_at:      %s\n", t->updated_at != NULL ?
	    t->updated_at : "-");
	printf("modules:         ");
	for (i = 0; i < cat->count; i++) {
		if (!tenant_module_enabled(t, cat->modules[i].key))
			continue;
		printf("%s%s", first ? "" : " ", cat->modules[i].key);
		first = 0;
	}
	putchar('\n');
}

/* tenant show ID|SUBDOMAIN [--json]. */
static int
cmd_tenant_show(struct cli *cli, const struct cli_options *o)
{
	struct module_catalog	cat;
	struct tenant		t;
	int			rc = CLI_FAILED;

	module_catalog_init(&cat);
	tenant_init(&t);
	if (tenant_lookup(cli, o->args[0], &t) != 1)
		goto out;
	if (catalog_load(cli, &cat) == -1)
		goto out;
	if (o->given & OPTION_JSON) {
		if (tenant_print_json(cli, &t, &cat) == -1)
			goto out;
	} else
		tenant_print_text(cli, &t, &cat);
	rc = CLI_OK;
out:
	tenant_release(&t);
	module_catalog_release(&cat);
	return rc;
}

/*
 * Asks the person at the terminal to type the subdomain of the tenant about
 * to be deleted.  Returns 1 when they did, else 0.
 */
static int
delete_confirmed(const struct tenant *t)
{
	char	answer[CONFIRM_MAX + 1];

	fprintf(stderr, "Deleting tenant %" PRId64 " (%s) removes its "
	    "database rows and its folder.\n"
	    "Type the subdomain to confirm: ", t->id, t->subdomain);
	fflush(stderr);
	if (read_line(STDIN_FILENO, answer, sizeof(answer)) != READ_LINE_OK)
		return 0;
	return strcmp(answer, t->subdomain) == 0;
}

/* tenant delete ID|SUBDOMAIN [--yes]: rows first, then the folder. */
static int
cmd_tenant_delete(struct cli *cli, const struct cli_options *o)
{
	struct tenant		t;
	enum provision_status	status;
	char			err[512];
	int			rc = CLI_FAILED;

	tenant_init(&t);
	if (!(o->given & OPTION_YES) && !isatty(STDIN_FILENO)) {
		complain("refusing to delete without --yes when standard "
		    "input is not a terminal");
		goto out;
	}
	if (tenant_lookup(cli, o->args[0], &t) != 1)
		goto out;
	if (!(o->given & OPTION_YES) && !delete_confirmed(&t)) {
		complain("not confirmed; tenant %s kept", t.subdomain);
		goto out;
	}

	err[0] = '\0';
	status = provision_delete(&cli->svc, t.id, 0, err, sizeof(err));
	if (status == PROVISION_NOT_FOUND) {
		complain("no such tenant \"%s\"", o->args[0]);
		goto out;
	}
	if (status != PROVISION_OK) {
		complain("%s", err[0] != '\0' ? err :
		    "cannot delete the tenant");
		goto out;
	}
	printf("deleted tenant %" PRId64 " %s\n", t.id, t.subdomain);
	rc = CLI_OK;
out:
	tenant_release(&t);
	return rc;
}

/*
 * tenant deploy ID|SUBDOMAIN [--force]: deploys the template now, under
 * the tenant lock, with deploy_locked() as the job runner does.  A busy
 * or archived tenant is refused.
 */
static int
cmd_tenant_deploy(struct cli *cli, const struct cli_options *o)
{
	struct tenant	t;
	int		rc = CLI_FAILED;

	tenant_init(&t);
	if (tenant_lookup(cli, o->args[0], &t) == 1)
		rc = tenant_deploy_now(cli, t.id,
		    (o->given & OPTION_FORCE) != 0);
	tenant_release(&t);
	return rc;
}

/*
 * tenant archive and tenant restore: runs `operation`
 * (lifecycle_archive() or lifecycle_restore()) on the tenant `ref` names
 * and prints its state afterwards.  Doing it twice is not an error.
 */
static int
tenant_lifecycle(struct cli *cli, const char *ref, lifecycle_fn operation)
{
	struct tenant		t, after;
	enum lifecycle_status	status;
	char			err[512];
	int			rc = CLI_FAILED;

	tenant_init(&t);
	tenant_init(&after);
	if (tenant_lookup(cli, ref, &t) != 1)
		goto out;
	err[0] = '\0';
	status = operation(&cli->svc, t.id, 0, &after, err, sizeof(err));
	if (status == LIFECYCLE_NOT_FOUND) {
		complain("no such tenant \"%s\"", ref);
		goto out;
	}
	if (status == LIFECYCLE_BUSY) {
		complain("tenant %s is busy: %s", t.subdomain, err);
		goto out;
	}
	if (status != LIFECYCLE_OK) {
		complain("%s", err[0] != '\0' ? err : "the operation failed");
		goto out;
	}
	if (after.is_active)
		printf("tenant %" PRId64 " %s: active\n", after.id,
		    after.subdomain);
	else
		printf("tenant %" PRId64 " %s: archived since %s\n", after.id,
		    after.subdomain, after.archived_at != NULL ?
		    after.archived_at : "-");
	rc = CLI_OK;
out:
	tenant_release(&after);
	tenant_release(&t);
	return rc;
}

/* tenant archive ID|SUBDOMAIN. */
static int
cmd_tenant_archive(struct cli *cli, const struct cli_options *o)
{
	return tenant_lifecycle(cli, o->args[0], lifecycle_archive);
}

/* tenant restore ID|SUBDOMAIN. */
static int
cmd_tenant_restore(struct cli *cli, const struct cli_options *o)
{
	return tenant_lifecycle(cli, o->args[0], lifecycle_restore);
}

/* How fsck prints: lines, or the pieces of one JSON document. */
struct fsck_output {
	int		repair;
	yajl_gen	g;		/* NULL: text */
};

/*
 * Prints one problem fsck found: a line "WHO: PROBLEM: DETAIL" (WHO is
 * "tenant ID SUB" or a folder name), with "[repaired]" or "[not
 * repaired]" when repairing; or one object of the JSON "problems" array.
 * Returns 0, or -1 to stop fsck when output fails.
 */
static int
fsck_print(void *arg, const struct fsck_problem *p)
{
	struct fsck_output	*out = arg;
	yajl_gen		 g = out->g;

	if (g == NULL) {
		if (p->tenant_id > 0)
			printf("tenant %" PRId64 " %s", p->tenant_id, p->name);
		else
			printf("%s", p->name);
		printf(": %s", p->problem);
		if (p->detail[0] != '\0')
			printf(": %s", p->detail);
		if (out->repair)
			printf(" [%s]", p->repaired ? "repaired" :
			    "not repaired");
		putchar('\n');
		return ferror(stdout) ? -1 : 0;
	}
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    (p->tenant_id > 0 ? json_gen_kv_int(g, "tenant_id",
	    p->tenant_id) : json_gen_kv_null(g, "tenant_id")) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "subdomain", p->name) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "problem", p->problem) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "detail", p->detail) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "repaired", p->repaired) !=
	    yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_flush(g, 0) == -1)
		return -1;
	return ferror(stdout) ? -1 : 0;
}

/*
 * fsck [--repair] [--json]: reconciles tenant rows and folders (fsck.h).
 * Text ends with "checked N tenants: clean" or the counts; JSON is
 * {"problems": [{tenant_id, subdomain, problem, detail, repaired}],
 * "checked": N, "repaired": M} (plus "error" when the run stopped).
 * Exit 0 when nothing is left unrepaired, else 1.
 */
static int
cmd_fsck(struct cli *cli, const struct cli_options *o)
{
	struct fsck_output	out;
	struct fsck_summary	summary;
	char			err[512];
	int			run, rc = CLI_FAILED;

	memset(&out, 0, sizeof(out));
	out.repair = (o->given & OPTION_REPAIR) != 0;
	if ((o->given & OPTION_JSON) && ((out.g = json_gen_new()) == NULL ||
	    yajl_gen_map_open(out.g) != yajl_gen_status_ok ||
	    json_gen_key(out.g, "problems") != yajl_gen_status_ok ||
	    yajl_gen_array_open(out.g) != yajl_gen_status_ok)) {
		complain("cannot write JSON");
		goto out;
	}
	err[0] = '\0';
	run = fsck_run(&cli->svc, out.repair, fsck_print, &out, &summary,
	    err, sizeof(err));
	if (run == -1)
		complain("fsck did not finish: %s", err);
	if (out.g != NULL) {
		if (yajl_gen_array_close(out.g) != yajl_gen_status_ok ||
		    json_gen_kv_int(out.g, "checked", summary.checked) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_int(out.g, "repaired", summary.repaired) !=
		    yajl_gen_status_ok ||
		    (run == -1 && json_gen_kv_string(out.g, "error", err) !=
		    yajl_gen_status_ok) ||
		    yajl_gen_map_close(out.g) != yajl_gen_status_ok ||
		    json_flush(out.g, 1) == -1) {
			complain("cannot write JSON");
			goto out;
		}
	} else if (summary.problems == 0)
		printf("checked %" PRId64 " tenants: clean\n", summary.checked);
	else
		printf("checked %" PRId64 " tenants: %" PRId64 " problems, %"
		    PRId64 " repaired\n", summary.checked, summary.problems,
		    summary.repaired);
	if (run == 0 && summary.problems == summary.repaired)
		rc = CLI_OK;
out:
	if (out.g != NULL)
		yajl_gen_free(out.g);
	return rc;
}

/* Set by SIGTERM or SIGINT while `worker` runs. */
static volatile sig_atomic_t	worker_stop;

/* `worker`'s SIGTERM and SIGINT: finish the current job, then stop. */
static void
worker_on_signal(int signo)
{
	worker_stop = 1;
}

/*
 * Confines a job runner's writes to tenants_dir and archive_dir, as
 * tenantd confines its own runners (see sandbox.h); both are made first
 * if missing.  A kernel that cannot is reported and tolerated.
 * Returns 0, or -1 after a message.
 */
static int
worker_confine(struct cli *cli)
{
	char	err[512];
	int	confined;

	if ((confined = service_confine_writes(&cli->conf, NULL, 0, err,
	    sizeof(err))) == -1) {
		complain("confining writes: %s", err);
		return -1;
	}
	if (confined == 0)
		log_warning("writes are not confined to tenants_dir and "
		    "archive_dir: %s", err);
	return 0;
}

/*
 * worker [--once]: a job runner in the foreground, the same loop as
 * tenantd's runners (job_runner_loop()).  Unlike the other database
 * commands it starts while the database is down and waits for it, as a
 * runner under a service manager should.  A signal lets the job in
 * progress finish; the exit status is then 0.
 */
static int
cmd_worker(struct cli *cli, const struct cli_options *o)
{
	struct sigaction	sa;
	char			err[512], runner_id[128];

	if (config_load(cli, o->config_path) == -1 || worker_confine(cli) == -1)
		return CLI_FAILED;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1) {
		complain("cannot set up signals: %s", strerror(errno));
		return CLI_FAILED;
	}
	sa.sa_handler = worker_on_signal;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		complain("cannot set up signals: %s", strerror(errno));
		return CLI_FAILED;
	}
	if (service_open(&cli->svc, &cli->conf, err, sizeof(err)) == -1) {
		complain("%s", err);
		return CLI_FAILED;
	}
	cli->service_is_open = 1;
	job_runner_id(runner_id, sizeof(runner_id));
	log_info("job runner %s started", runner_id);
	if (job_runner_loop(&cli->svc, runner_id, &worker_stop,
	    (o->given & OPTION_ONCE) != 0) == -1) {
		complain("the job runner could not run");
		return CLI_FAILED;
	}
	log_info("job runner %s stopped", runner_id);
	return CLI_OK;
}

/*
 * bulk-create FILE: the options for ctl_bulk.c, which reads the file,
 * shows progress and prints the summary.
 */
static int
cmd_bulk_create(struct cli *cli, const struct cli_options *o)
{
	struct ctl_bulk_create_args	a;

	memset(&a, 0, sizeof(a));
	a.path = o->args[0];
	a.atomic = (o->given & OPTION_ATOMIC) != 0;
	a.dry_run = (o->given & OPTION_DRY_RUN) != 0;
	a.no_deploy = (o->given & OPTION_NO_DEPLOY) != 0;
	a.report_path = o->report_path;
	a.chunk_size = o->chunk_size;
	return ctl_bulk_create(&cli->svc, &a);
}

/*
 * bulk-modules --module KEY --enable|--disable (--all | ID...): checks
 * that the options make one change, then runs it through ctl_bulk.c.
 */
static int
cmd_bulk_modules(struct cli *cli, const struct cli_options *o)
{
	struct ctl_bulk_modules_args	a;
	int				enable, disable;

	enable = (o->given & OPTION_ENABLE) != 0;
	disable = (o->given & OPTION_DISABLE) != 0;
	if (o->module_count != 1) {
		complain("give exactly one --module KEY");
		return CLI_USAGE;
	}
	if (enable == disable) {
		complain("give either --enable or --disable");
		return CLI_USAGE;
	}
	memset(&a, 0, sizeof(a));
	a.module_key = o->modules[0];
	a.enabled = enable;
	a.all = (o->given & OPTION_ALL) != 0;
	a.ids = o->args;
	a.id_count = o->arg_count;
	return ctl_bulk_modules(&cli->svc, &a);
}

/*
 * Parses the command line, prepares what the command needs and runs it.
 * Standard output is flushed and checked at the end: a token or password
 * that could not be written must not be reported as created quietly.
 */
int
main(int argc, char *argv[])
{
	struct cli		 cli;
	struct cli_options	 o;
	const struct command	*c;
	int			 rc = CLI_FAILED;

	memset(&cli, 0, sizeof(cli));
	cli.svc.tenants_dirfd = -1;
	log_set_program("tenantctl");
	if (sodium_init() < 0) {
		complain("cannot initialise libsodium");
		return CLI_FAILED;
	}
	if (conf_init(&cli.conf) == -1) {
		complain("out of memory");
		goto out;
	}

	if (options_parse(argc, argv, &o) == -1) {
		usage(stderr);
		rc = CLI_USAGE;
		goto out;
	}
	if (o.given & OPTION_HELP) {
		usage(stdout);
		rc = CLI_OK;
		goto out;
	}
	if ((c = command_find(&o)) == NULL || command_check(c, &o) == -1) {
		usage(stderr);
		rc = CLI_USAGE;
		goto out;
	}

	if (c->needs_db) {
		if (config_load(&cli, o.config_path) == -1)
			goto out;
		if (service_start(&cli) == -1)
			goto out;
	}
	rc = c->run(&cli, &o);
out:
	if (cli.service_is_open)
		service_close(&cli.svc);
	conf_release(&cli.conf);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		complain("cannot write to standard output: %s",
		    strerror(errno));
		rc = CLI_FAILED;
	}
	return rc;
}

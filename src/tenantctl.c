/*
 * tenantctl.c - the administrator's command line: schema migrations, the
 * module catalog, users, API tokens and tenants.
 *
 * Each command is one function, listed in a table with the options and the
 * number of arguments it takes and what it needs prepared.  main() parses
 * every option once, checks them against the command's entry (so a usage
 * error never costs a database connection), loads tenantd.conf (becoming
 * the service user when run as root), opens the service when the command
 * needs the database and runs the command.  The commands live in one file
 * per group: ctl_admin.c (manifest, migrate, init-modules, fsck, worker),
 * ctl_user.c (user, token), ctl_tenant.c (tenant), ctl_backup.c (backup,
 * restore) and ctl_bulk.c (bulk-create, bulk-modules, whose options are
 * translated here).
 *
 * Exit status: 0 success, 1 failure, 2 usage error.  Results go to standard
 * output, messages to standard error; a secret (generated password, API
 * token) is printed once, alone on standard output.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "ctl_admin.h"
#include "ctl_backup.h"
#include "ctl_bulk.h"
#include "ctl_common.h"
#include "ctl_domain.h"
#include "ctl_template.h"
#include "ctl_tenant.h"
#include "ctl_user.h"
#include "db.h"
#include "log.h"
#include "mail_send.h"
#include "privilege.h"
#include "service.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"
#endif

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
	{ "percent",		required_argument, NULL, OPTION_PERCENT },
	{ "output",		required_argument, NULL, OPTION_OUTPUT },
	{ "with-template",	no_argument,	   NULL,
	  OPTION_WITH_TEMPLATE },
	{ "as",			required_argument, NULL, (int)OPTION_AS },
	{ NULL,			0,		   NULL, 0 }
};

/* What main() prepares before it runs a command. */
enum command_needs {
	NEEDS_NOTHING,		/* no configuration, no database */
	NEEDS_CONFIG,		/* tenantd.conf loaded, service not open */
	NEEDS_DATABASE		/* the service open, the database answering */
};

/*
 * One entry of the command table: the words that name the command, its
 * line in the usage text, the function that runs it, and what main()
 * checks and prepares first.
 */
struct command {
	const char	*name;
	const char	*subcommand;	/* NULL: the command has none */
	const char	*synopsis;	/* arguments and options, for usage */
	const char	*summary;
	int		(*run)(struct cli *, const struct cli_options *);
	enum command_needs needs;
	unsigned	 options;	/* OPTION_* bits accepted */
	int		 min_args;
	int		 max_args;
};

static int	cmd_help(struct cli *, const struct cli_options *);
static int	cmd_bulk_create(struct cli *, const struct cli_options *);
static int	cmd_bulk_modules(struct cli *, const struct cli_options *);

static const struct command commands[] = {
	{ "help", NULL, "",
	  "show this help",
	  cmd_help, NEEDS_NOTHING, 0, 0, 0 },
	{ "manifest", NULL, "DIR",
	  "print the manifest (sha256, size, path per file) of the template\n"
	  "        in DIR; needs no configuration or database",
	  ctl_manifest, NEEDS_NOTHING, 0, 1, 1 },
	{ "migrate", NULL, "",
	  "apply pending schema migrations; says how many it applied",
	  ctl_migrate, NEEDS_DATABASE, 0, 0, 0 },
	{ "init-modules", NULL, "[FILE]",
	  "insert or update the module catalog from FILE (default: the\n"
	  "        modules_file setting); says how many",
	  ctl_init_modules, NEEDS_DATABASE, 0, 0, 1 },
	{ "user", "add", "NAME [--generate]",
	  "add an administrator; the password is the first line of standard\n"
	  "        input (asked twice on a terminal), or --generate prints a "
	  "new one",
	  ctl_user_add, NEEDS_DATABASE, OPTION_GENERATE, 1, 1 },
	{ "user", "passwd", "NAME [--generate]",
	  "set a user's password, as for user add; ends the user's sessions",
	  ctl_user_passwd, NEEDS_DATABASE, OPTION_GENERATE, 1, 1 },
	{ "user", "list", "[--json]",
	  "list users: id, name, created_at",
	  ctl_user_list, NEEDS_DATABASE, OPTION_JSON, 0, 0 },
	{ "token", "create", "USER [--label LABEL]",
	  "create an API token for USER; prints the token, only this once",
	  ctl_token_create, NEEDS_DATABASE, OPTION_LABEL, 1, 1 },
	{ "token", "list", "[--json]",
	  "list tokens: id, user, label, created, last used, revoked",
	  ctl_token_list, NEEDS_DATABASE, OPTION_JSON, 0, 0 },
	{ "token", "revoke", "ID",
	  "revoke an API token",
	  ctl_token_revoke, NEEDS_DATABASE, 0, 1, 1 },
	{ "tenant", "create", "--name NAME --subdomain SUB [--email EMAIL]\n"
	  "        [--primary-color #RRGGBB] [--secondary-color #RRGGBB]\n"
	  "        [--module KEY]... [--logo FILE] [--json] [--no-deploy]",
	  "create a tenant and its folder, and deploy its site unless\n"
	  "        --no-deploy",
	  ctl_tenant_create, NEEDS_DATABASE, OPTION_NAME | OPTION_SUBDOMAIN |
	  OPTION_EMAIL | OPTION_PRIMARY_COLOR | OPTION_SECONDARY_COLOR |
	  OPTION_MODULE | OPTION_LOGO | OPTION_JSON | OPTION_NO_DEPLOY, 0, 0 },
	{ "tenant", "list", "[--search TEXT] [--active | --archived]\n"
	  "        [--order FIELD] [--json]",
	  "list tenants: id, subdomain, name, status, created_at; FIELD is\n"
	  "        name, subdomain or created_at, with '-' for descending",
	  ctl_tenant_list, NEEDS_DATABASE, OPTION_SEARCH | OPTION_ACTIVE |
	  OPTION_ARCHIVED | OPTION_ORDER | OPTION_JSON, 0, 0 },
	{ "tenant", "show", "ID|SUBDOMAIN [--json]",
	  "show one tenant",
	  ctl_tenant_show, NEEDS_DATABASE, OPTION_JSON, 1, 1 },
	{ "tenant", "delete", "ID|SUBDOMAIN [--yes]",
	  "delete a tenant and its folder; asks for the subdomain on a\n"
	  "        terminal, needs --yes otherwise",
	  ctl_tenant_delete, NEEDS_DATABASE, OPTION_YES, 1, 1 },
	{ "tenant", "deploy", "ID|SUBDOMAIN [--force]",
	  "copy the site template into the tenant's folder now; files the\n"
	  "        tenant changed are kept and listed, unless --force",
	  ctl_tenant_deploy, NEEDS_DATABASE, OPTION_FORCE, 1, 1 },
	{ "tenant", "archive", "ID|SUBDOMAIN",
	  "deactivate a tenant and move its folder to archive_dir; also\n"
	  "        completes an interrupted archive",
	  ctl_tenant_archive, NEEDS_DATABASE, 0, 1, 1 },
	{ "tenant", "restore", "ID|SUBDOMAIN",
	  "bring an archived tenant back (folder, config.json, active);\n"
	  "        also completes an interrupted restore",
	  ctl_tenant_restore, NEEDS_DATABASE, 0, 1, 1 },
	{ "tenant", "export", "ID|SUBDOMAIN [-o FILE] [--with-template]",
	  "write the tenant's archive (tenant.json and its own files, a\n"
	  "        .tar.zst) to FILE, default <sub>-<time>.tar.zst, '-' for\n"
	  "        standard output; --with-template carries its template\n"
	  "        version's files for an instance that lacks the version",
	  ctl_tenant_export, NEEDS_DATABASE, OPTION_OUTPUT |
	  OPTION_WITH_TEMPLATE, 1, 1 },
	{ "tenant", "import", "FILE [--as SUB] [--json]",
	  "create the tenant of archive FILE (as tenant export writes\n"
	  "        them), under subdomain SUB with --as; all or nothing",
	  ctl_tenant_import, NEEDS_DATABASE, OPTION_AS | OPTION_JSON, 1, 1 },
	{ "tenant", "notifications", "ID|SUBDOMAIN [--json]",
	  "list a tenant's e-mails: event, to, status, attempts, sent_at,\n"
	  "        last_error",
	  ctl_tenant_notifications, NEEDS_DATABASE, OPTION_JSON, 1, 1 },
	{ "tenant", "domain", "add|verify|remove ID|SUBDOMAIN DOMAIN [--json]\n"
	  "        | list ID|SUBDOMAIN [--json]",
	  "a tenant's custom domains: add one (prints the DNS TXT record\n"
	  "        to create), verify it by that record (then it is served),\n"
	  "        remove it, or list them",
	  ctl_tenant_domain, NEEDS_DATABASE, OPTION_JSON, 2, 3 },
	{ "template", "add", "DIR [--json]",
	  "store the template in DIR as an immutable version and print its\n"
	  "        name (a content hash); the first one becomes the default",
	  ctl_template_add, NEEDS_DATABASE, OPTION_JSON, 1, 1 },
	{ "template", "list", "[--json]",
	  "list template versions: version, default, tenants on it, files,\n"
	  "        bytes, created, source, name",
	  ctl_template_list, NEEDS_DATABASE, OPTION_JSON, 0, 0 },
	{ "template", "show", "VERSION [--json]",
	  "show one template version",
	  ctl_template_show, NEEDS_DATABASE, OPTION_JSON, 1, 1 },
	{ "template", "default", "VERSION",
	  "make VERSION the one new tenants (and plain deploys) get",
	  ctl_template_default, NEEDS_DATABASE, 0, 1, 1 },
	{ "template", "remove", "VERSION",
	  "remove a version no tenant is on and that is not the default",
	  ctl_template_remove, NEEDS_DATABASE, 0, 1, 1 },
	{ "template", "rollout", "VERSION (--all | --percent N | "
	  "ID|SUBDOMAIN...)\n        [--force]",
	  "move tenants to VERSION, one atomic swap each, with a progress\n"
	  "        bar: --percent N chooses a stable N% of the active tenants\n"
	  "        (not those on VERSION already, unless --force); changed\n"
	  "        files are kept and counted unless --force; Ctrl-C cancels\n"
	  "        (moved tenants stay); exit 1 when a tenant failed, 130 when\n"
	  "        cancelled",
	  ctl_template_rollout, NEEDS_DATABASE, OPTION_ALL | OPTION_PERCENT |
	  OPTION_FORCE, 1, 1 << 20 },
	{ "fsck", NULL, "[--repair] [--json]",
	  "check that tenant rows and folders agree, one line per problem;\n"
	  "        --repair fixes what is safe (nothing is deleted); exit 0\n"
	  "        when clean or all repaired, 1 when problems remain",
	  ctl_fsck, NEEDS_DATABASE, OPTION_REPAIR | OPTION_JSON, 0, 0 },
	{ "backup", NULL, "DIR",
	  "back the whole instance up into the new directory DIR: a\n"
	  "        consistent database dump, then tenants_dir and archive_dir\n"
	  "        (template store included), then a manifest with checksums;\n"
	  "        tenantd may keep running",
	  ctl_backup, NEEDS_DATABASE, 0, 1, 1 },
	{ "restore", NULL, "DIR [--force]",
	  "restore a backup into an empty instance with tenantd stopped:\n"
	  "        checks the manifest and checksums first, loads the dump,\n"
	  "        puts the files in place, applies newer migrations, then\n"
	  "        runs fsck --repair; --force restores over a non-empty one\n"
	  "        (its files are set aside in archive_dir)",
	  ctl_restore, NEEDS_DATABASE, OPTION_FORCE, 1, 1 },
	{ "worker", NULL, "[--once]",
	  "run queued jobs (deploys) in the foreground, as tenantd's job\n"
	  "        runners do; SIGTERM or SIGINT finishes the current job, then\n"
	  "        exits 0; --once exits when no job is left to claim; waits\n"
	  "        out a database outage",
	  ctl_worker, NEEDS_CONFIG, OPTION_ONCE, 0, 0 },
	{ "bulk-create", NULL, "FILE [--atomic] [--dry-run] [--report FILE]\n"
	  "        [--no-deploy]",
	  "create the tenants of FILE (JSON as POST /api/tenants/bulk-create/\n"
	  "        takes, or CSV with a header row) in chunks with progress;\n"
	  "        subdomains already present with the same data are skipped,\n"
	  "        so an interrupted run (Ctrl-C: exit 130) can be repeated;\n"
	  "        --report writes the JSON report; exit 1 on any error",
	  cmd_bulk_create, NEEDS_DATABASE, OPTION_ATOMIC | OPTION_DRY_RUN |
	  OPTION_REPORT | OPTION_NO_DEPLOY | OPTION_CHUNK_SIZE, 1, 1 },
	{ "bulk-modules", NULL, "--module KEY --enable|--disable (--all | ID...)",
	  "enable or disable one module of many tenants, rewriting their\n"
	  "        config.json; exit 1 when an id has no tenant",
	  cmd_bulk_modules, NEEDS_DATABASE, OPTION_MODULE | OPTION_ENABLE |
	  OPTION_DISABLE | OPTION_ALL, 0, 1 << 20 }
};

#define COMMAND_COUNT	(sizeof(commands) / sizeof(commands[0]))

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
	while ((ch = getopt_long(argc, argv, ":c:ho:", long_options,
	    NULL)) != -1) {
		if (ch == 'c')
			ch = OPTION_CONFIG;
		else if (ch == 'h')
			ch = OPTION_HELP;
		else if (ch == 'o')
			ch = OPTION_OUTPUT;
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
		case OPTION_PERCENT:
			slot = &o->percent;
			break;
		case OPTION_OUTPUT:
			slot = &o->output_path;
			break;
		case OPTION_AS:
			slot = &o->as_subdomain;
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
	if (ctl_option_given(o, OPTION_ACTIVE) &&
	    ctl_option_given(o, OPTION_ARCHIVED)) {
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

/* help: the usage text on standard output. */
static int
cmd_help(struct cli *cli, const struct cli_options *o)
{
	usage(stdout);
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
	a.atomic = ctl_option_given(o, OPTION_ATOMIC);
	a.dry_run = ctl_option_given(o, OPTION_DRY_RUN);
	a.no_deploy = ctl_option_given(o, OPTION_NO_DEPLOY);
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

	enable = ctl_option_given(o, OPTION_ENABLE);
	disable = ctl_option_given(o, OPTION_DISABLE);
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
	a.all = ctl_option_given(o, OPTION_ALL);
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
	/* Once per process: `tenantctl worker` runs mail jobs. */
	if (mail_send_global_init() == -1) {
		complain("cannot initialise libcurl");
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
	if (ctl_option_given(&o, OPTION_HELP)) {
		usage(stdout);
		rc = CLI_OK;
		goto out;
	}
	if ((c = command_find(&o)) == NULL || command_check(c, &o) == -1) {
		usage(stderr);
		rc = CLI_USAGE;
		goto out;
	}

	if (c->needs != NEEDS_NOTHING &&
	    config_load(&cli, o.config_path) == -1)
		goto out;
	if (c->needs == NEEDS_DATABASE && service_start(&cli) == -1)
		goto out;
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

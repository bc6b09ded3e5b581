/*
 * ctl_common.h - what tenantctl's command files share: the exit statuses,
 * the options as main() parsed them, the state a command runs with, and
 * the helpers that print messages and JSON.
 *
 * tenantctl.c parses the command line into a struct cli_options, loads the
 * configuration and opens the service into a struct cli as the command's
 * table entry asks, and calls the command with both.  The command files
 * (ctl_admin.c, ctl_user.c, ctl_tenant.c) only read the options; a command
 * that opens the service itself (worker) sets cli->service_is_open so
 * main() closes it.
 */
#ifndef TENANTD_CTL_COMMON_H
#define TENANTD_CTL_COMMON_H

#include <stddef.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "conf.h"
#include "service.h"
#include "tenant_input.h"

/* tenantctl's exit statuses. */
#define CLI_OK		0
#define CLI_FAILED	1
#define CLI_USAGE	2
#define CLI_INTERRUPTED	130	/* bulk-create, bulk-modules: a signal */

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
	OPTION_ALL		= 1u << 27,
	OPTION_PERCENT		= 1u << 28,
	OPTION_OUTPUT		= 1u << 29,
	OPTION_WITH_TEMPLATE	= 1u << 30,
	OPTION_AS		= 1u << 31
};

/*
 * What the command line said, after getopt_long().  The strings point into
 * argv; a value option not given is NULL.
 */
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
	const char	*percent;
	const char	*output_path;	/* -o, --output */
	const char	*as_subdomain;	/* --as */
	const char	*modules[TENANT_INPUT_MAX_MODULES];
	size_t		 module_count;
	char		**words;	/* command, subcommand, arguments */
	int		 word_count;
	char		**args;		/* the arguments after those words */
	int		 arg_count;
};

/* What a command works with; main() owns it and releases it. */
struct cli {
	struct conf	 conf;
	struct service	 svc;
	int		 service_is_open;
	const char	*config_path;	/* file loaded; NULL: defaults */
};

/*
 * The one way a command reads a yes/no option such as --json or --force:
 * 1 when `bit` was given, else 0.
 */
int	ctl_option_given(const struct cli_options *o, enum option_bit bit);

/*
 * Prints "tenantctl: <message>" on standard error.  Every failure a command
 * reports goes through here.
 */
void	complain(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * Writes what `g` holds to standard output and empties it, so a long
 * listing is printed page by page.  `newline` ends the document.
 * Returns 0, or -1 if the generator failed.
 */
int	ctl_json_flush(yajl_gen g, int newline);

/*
 * Writes the members of one object of a JSON listing: 0, or -1 if the
 * generator failed.
 */
typedef int	(*ctl_json_item_fn)(yajl_gen g, const void *item);

/* Prints one item of a listing as a line of text. */
typedef void	(*ctl_text_item_fn)(const void *item);

/*
 * Prints a listing of the `count` items at `items` (each `size` bytes):
 * with --json given in `o`, one JSON array of objects on a line, the
 * members of each written by `write_item` (nothing is printed when writing
 * fails); otherwise one line per item, printed by `print_line`.  Returns
 * CLI_OK, or CLI_FAILED after "cannot write JSON".
 */
int	ctl_listing_print(const struct cli_options *o, const void *items,
	    size_t count, size_t size, ctl_json_item_fn write_item,
	    ctl_text_item_fn print_line);

#define CTL_PROGRESS_BAR_WIDTH	30

/*
 * A progress display on standard error (bulk-create, bulk-modules,
 * template rollout): what it keeps between updates.
 */
struct ctl_progress {
	const char	*verb;		/* "created", "updated" */
	int		 tty;		/* standard error is a terminal */
	struct timespec	 started;
	int		 drawn;		/* a bar is on the screen */
};

/* Starts a progress display for work that `verb`s things. */
void	ctl_progress_start(struct ctl_progress *p, const char *verb);

/*
 * Shows `done` of `total`: on a terminal the bar
 * "[#####     ] 4200/10000 420/s ETA 14s" redrawn in place with \r,
 * otherwise one line per call.
 */
void	ctl_progress_show(struct ctl_progress *p, size_t done, size_t total);

/* Ends the bar's line on a terminal, so what follows starts afresh. */
void	ctl_progress_end(struct ctl_progress *p);

#endif

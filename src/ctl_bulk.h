/*
 * ctl_bulk.h - tenantctl's bulk commands, `bulk-create FILE` and
 * `bulk-modules`, on top of lib/bulk.h.
 *
 * tenantctl.c parses the command line and opens the service; the
 * functions here read the file, drive lib/bulk.h chunk by chunk with a
 * progress display (a bar redrawn on a terminal, plain lines otherwise)
 * and print the summary.  The first SIGINT or SIGTERM lets the chunk in
 * progress finish, then prints the summary and exits with
 * CLI_INTERRUPTED (ctl_common.h); a second one ends the process at once
 * (the open chunk is rolled back by the server; folders it had placed are
 * left for tenantctl fsck).  Running the same command again completes the
 * work: bulk-create skips subdomains that already exist with the file's
 * data, bulk-modules is idempotent.
 *
 * Both return tenantctl's exit status: 0 success, 1 failure (or errors in
 * the batch), 2 usage error, CLI_INTERRUPTED.
 */
#ifndef TENANTD_CTL_BULK_H
#define TENANTD_CTL_BULK_H

#include <stddef.h>

struct service;

struct ctl_bulk_create_args {
	const char	*path;		/* the JSON or CSV file */
	int		 atomic;	/* --atomic (or "atomic" in the file) */
	int		 dry_run;	/* --dry-run: validate only */
	int		 no_deploy;	/* --no-deploy */
	const char	*report_path;	/* --report FILE, or NULL */
	const char	*chunk_size;	/* --chunk-size N (hidden), or NULL */
};

struct ctl_bulk_modules_args {
	const char	*module_key;	/* --module KEY */
	int		 enabled;	/* --enable (1) or --disable (0) */
	int		 all;		/* --all */
	char *const	*ids;		/* tenant ids as given */
	int		 id_count;
};

/*
 * tenantctl bulk-create FILE [--atomic] [--dry-run] [--report FILE]
 * [--no-deploy].
 */
int	ctl_bulk_create(struct service *svc,
	    const struct ctl_bulk_create_args *a);

/* tenantctl bulk-modules --module KEY --enable|--disable (--all | ID...). */
int	ctl_bulk_modules(struct service *svc,
	    const struct ctl_bulk_modules_args *a);

#endif

/*
 * ctl_admin.h - tenantctl's commands that look after the installation:
 * the template manifest, schema migrations, the module catalog, the
 * consistency check of rows and folders, and a job runner.
 *
 * tenantctl.c calls them from its command table with the arguments
 * counted; each returns tenantctl's exit status (CLI_OK, CLI_FAILED)
 * after printing its result or a message.
 */
#ifndef TENANTD_CTL_ADMIN_H
#define TENANTD_CTL_ADMIN_H

#include "ctl_common.h"

/*
 * manifest DIR: prints the manifest (sha256, size, path per file) of the
 * template in DIR, for `make` to store as www/template.manifest.  Needs
 * neither configuration nor database.
 */
int	ctl_manifest(struct cli *cli, const struct cli_options *o);

/* migrate: applies the pending schema migrations of migrations_dir. */
int	ctl_migrate(struct cli *cli, const struct cli_options *o);

/* init-modules [FILE]: upserts the module catalog from a modules.json. */
int	ctl_init_modules(struct cli *cli, const struct cli_options *o);

/*
 * fsck [--repair] [--json]: reports (and with --repair fixes what is safe)
 * where tenant rows and folders disagree; CLI_OK when nothing is left
 * unrepaired.
 */
int	ctl_fsck(struct cli *cli, const struct cli_options *o);

/*
 * worker [--once]: runs queued jobs in the foreground until SIGTERM or
 * SIGINT (or, with --once, until no job is left).  Called with the
 * configuration loaded but the service not open: it opens the service
 * itself and waits out a database outage.
 */
int	ctl_worker(struct cli *cli, const struct cli_options *o);

#endif

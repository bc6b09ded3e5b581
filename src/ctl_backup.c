/*
 * ctl_backup.c - tenantctl's backup and restore of the whole instance
 * (see ctl_backup.h); the work is lib/backup.c's and lib/restore.c's.
 */
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "ctl_admin.h"
#include "ctl_backup.h"
#include "ctl_common.h"
#include "restore.h"

int
ctl_backup(struct cli *cli, const struct cli_options *o)
{
	char	err[1024];

	if (backup_create(&cli->conf, cli->svc.db, o->args[0], err,
	    sizeof(err)) == -1) {
		complain("backup: %s", err);
		return CLI_FAILED;
	}
	printf("backup written to %s\n", o->args[0]);
	return CLI_OK;
}

int
ctl_restore(struct cli *cli, const struct cli_options *o)
{
	struct restore_report	r;
	struct cli_options	repair;
	char			err[1024];

	if (backup_restore(&cli->conf, cli->svc.db, cli->svc.tenants_dirfd,
	    o->args[0], ctl_option_given(o, OPTION_FORCE), &r, err,
	    sizeof(err)) == -1) {
		complain("restore: %s", err);
		return CLI_FAILED;
	}
	printf("restored the backup of %s (tenantd %s, schema level %d): "
	    "%zu entries into tenants_dir, %zu into archive_dir\n",
	    r.created_at, r.tenantd_version, r.backup_level,
	    r.tenants_entries, r.archive_entries);
	if (r.orphans > 0)
		printf("%zu tenant folder%s newer than the database dump "
		    "set aside in archive_dir/.orphan-*\n", r.orphans,
		    r.orphans == 1 ? "" : "s");
	if (r.set_aside[0] != '\0')
		printf("what was there before is in archive_dir/%s\n",
		    r.set_aside);
	if (r.migrations_applied > 0)
		printf("applied %d schema migration%s\n",
		    r.migrations_applied, r.migrations_applied == 1 ? "" : "s");

	/* Rows and folders of a backup taken while tenantd ran may differ. */
	memset(&repair, 0, sizeof(repair));
	repair.given = OPTION_REPAIR;
	return ctl_fsck(cli, &repair);
}

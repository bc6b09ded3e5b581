/*
 * ctl_backup.h - tenantctl's `backup DIR` and `restore DIR [--force]`
 * for the whole instance, on top of lib/backup.h.
 */
#ifndef TENANTD_CTL_BACKUP_H
#define TENANTD_CTL_BACKUP_H

#include "ctl_common.h"

/*
 * backup DIR: the database and every file the instance owns into the new
 * directory DIR (lib/backup.h); prints "backup written to DIR".
 */
int	ctl_backup(struct cli *cli, const struct cli_options *o);

/*
 * restore DIR [--force]: checks the backup and that the instance is
 * empty, restores it, then runs `fsck --repair` and prints its report.
 * CLI_OK when restored and fsck leaves nothing unrepaired.
 */
int	ctl_restore(struct cli *cli, const struct cli_options *o);

#endif

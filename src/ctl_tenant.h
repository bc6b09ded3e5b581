/*
 * ctl_tenant.h - tenantctl's tenant commands, on top of lib/provision.c,
 * lib/tenant.c, lib/deploy_queue.c and lib/lifecycle.c.
 *
 * tenantctl.c calls them from its command table with the database open and
 * the arguments counted; each returns tenantctl's exit status (CLI_OK,
 * CLI_FAILED, CLI_USAGE) after printing its result or a message.  A tenant
 * is named by ID|SUBDOMAIN: an id when it is a number and a tenant has it,
 * else a subdomain.
 */
#ifndef TENANTD_CTL_TENANT_H
#define TENANTD_CTL_TENANT_H

#include "ctl_common.h"

/*
 * tenant create --name NAME --subdomain SUB [...] [--json] [--no-deploy]:
 * validates the options as the API validates a request, creates the rows
 * and the folder, then deploys the site unless --no-deploy.  A failed
 * deploy is CLI_FAILED with the tenant created all the same.
 */
int	ctl_tenant_create(struct cli *cli, const struct cli_options *o);

/*
 * tenant list [--search TEXT] [--active | --archived] [--order FIELD]
 * [--json]: every matching tenant, fetched a page at a time.
 */
int	ctl_tenant_list(struct cli *cli, const struct cli_options *o);

/* tenant show ID|SUBDOMAIN [--json]: one tenant. */
int	ctl_tenant_show(struct cli *cli, const struct cli_options *o);

/*
 * tenant delete ID|SUBDOMAIN [--yes]: deletes the rows, then the folder;
 * asks for the subdomain on a terminal, needs --yes otherwise.
 */
int	ctl_tenant_delete(struct cli *cli, const struct cli_options *o);

/*
 * tenant deploy ID|SUBDOMAIN [--force]: copies the template into the
 * tenant's folder now, under the tenant lock; lists the files the tenant
 * changed and that were kept.
 */
int	ctl_tenant_deploy(struct cli *cli, const struct cli_options *o);

/*
 * tenant archive ID|SUBDOMAIN and tenant restore ID|SUBDOMAIN: deactivate
 * a tenant and move its folder to archive_dir, or bring it back; either
 * also completes an interrupted run, and doing it twice is not an error.
 */
int	ctl_tenant_archive(struct cli *cli, const struct cli_options *o);

/*
 * tenant export ID|SUBDOMAIN [-o FILE] [--with-template] and tenant import
 * FILE [--as SUB] [--json]: a tenant's archive (tenant_export.h,
 * tenant_import.h).
 */
int	ctl_tenant_export(struct cli *cli, const struct cli_options *o);
int	ctl_tenant_import(struct cli *cli, const struct cli_options *o);
int	ctl_tenant_restore(struct cli *cli, const struct cli_options *o);

/*
 * Finds the tenant `ref` names (ID|SUBDOMAIN, see above) into `t`.
 * Returns 1, 0 after a "no such tenant" message, or -1 after an error
 * message.  Also used by the template commands.
 */
struct tenant;
int	ctl_tenant_lookup(struct cli *cli, const char *ref, struct tenant *t);

/*
 * tenant notifications ID|SUBDOMAIN [--json]: the tenant's e-mails, one
 * a line (event, to, status, attempts, sent_at, last_error, tab
 * separated), or the API's JSON array with --json.
 */
int	ctl_tenant_notifications(struct cli *cli, const struct cli_options *o);

#endif

/*
 * ctl_template.h - tenantctl's template commands (SPEC 10), on top of
 * lib/template.c, lib/template_rows.c and lib/template_store.c:
 *
 *   template add DIR             store DIR as a version, print its name
 *   template list [--json]       the versions, newest first
 *   template show VERSION        one version
 *   template default VERSION     the version new tenants get
 *   template remove VERSION      refused while it is the default or any
 *                                tenant is on it
 *   template rollout VERSION (--all | --percent N | ID|SUBDOMAIN...)
 *                   [--force]    move tenants to VERSION with a progress
 *                                bar; Ctrl-C cancels (done tenants stay)
 *
 * tenantctl.c calls them from its command table with the database open;
 * each returns tenantctl's exit status after printing its result.
 */
#ifndef TENANTD_CTL_TEMPLATE_H
#define TENANTD_CTL_TEMPLATE_H

#include "ctl_common.h"

int	ctl_template_add(struct cli *cli, const struct cli_options *o);
int	ctl_template_list(struct cli *cli, const struct cli_options *o);
int	ctl_template_show(struct cli *cli, const struct cli_options *o);
int	ctl_template_default(struct cli *cli, const struct cli_options *o);
int	ctl_template_remove(struct cli *cli, const struct cli_options *o);
int	ctl_template_rollout(struct cli *cli, const struct cli_options *o);

#endif

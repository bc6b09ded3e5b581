/*
 * ctl_user.h - tenantctl's commands for administrators and API tokens, on
 * top of lib/auth.h.
 *
 * tenantctl.c calls them from its command table with the database open and
 * the arguments counted; each returns tenantctl's exit status (CLI_OK,
 * CLI_FAILED, CLI_USAGE) after printing its result or a message.
 */
#ifndef TENANTD_CTL_USER_H
#define TENANTD_CTL_USER_H

#include "ctl_common.h"

/*
 * user add NAME [--generate] and user passwd NAME [--generate]: add an
 * administrator, or set a user's password (which ends the user's
 * sessions).  The password is the first line of standard input (asked
 * twice on a terminal), or a new one printed alone on standard output.
 */
int	ctl_user_add(struct cli *cli, const struct cli_options *o);
int	ctl_user_passwd(struct cli *cli, const struct cli_options *o);

/* user list [--json]: id, name and creation time of every user. */
int	ctl_user_list(struct cli *cli, const struct cli_options *o);

/*
 * token create USER [--label LABEL]: prints a new API token for USER, only
 * this once.  token list [--json]: every token without its secret.  token
 * revoke ID: the token stops working at once.
 */
int	ctl_token_create(struct cli *cli, const struct cli_options *o);
int	ctl_token_list(struct cli *cli, const struct cli_options *o);
int	ctl_token_revoke(struct cli *cli, const struct cli_options *o);

#endif

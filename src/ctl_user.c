/*
 * ctl_user.c - tenantctl's commands for administrators and their API
 * tokens: user add|passwd|list, token create|list|revoke (see ctl_user.h).
 *
 * A new password is generated, typed twice on a terminal (ctl_prompt.c) or
 * read as the first line of standard input, and checked here against the
 * rule auth.c enforces so the user hears which part is wrong.  A secret
 * (generated password, API token) is printed once, alone on standard
 * output, with the note about it on standard error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <yajl/yajl_gen.h>

#include "auth.h"
#include "ctl_common.h"
#include "ctl_prompt.h"
#include "ctl_user.h"
#include "db.h"
#include "json.h"
#include "validate.h"

#define GENERATED_PASSWORD_LEN	24

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
	if (ctl_read_password(prompt, out) == -1)
		goto out;
	if (!password_acceptable(out))
		goto out;
	if (isatty(STDIN_FILENO)) {
		if (ctl_read_password("Repeat the password: ", again) == -1)
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
int
ctl_user_add(struct cli *cli, const struct cli_options *o)
{
	struct db	*db = cli->svc.db;
	const char	*name = o->args[0], *problem;
	char		 password[PASSWORD_MAX + 1];
	int		 generate = ctl_option_given(o, OPTION_GENERATE);
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
int
ctl_user_passwd(struct cli *cli, const struct cli_options *o)
{
	struct db	*db = cli->svc.db;
	const char	*name = o->args[0];
	char		 password[PASSWORD_MAX + 1];
	int		 generate = ctl_option_given(o, OPTION_GENERATE);
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

/* The members of one user's object in `user list --json`.  0 or -1. */
static int
user_json(yajl_gen g, const void *item)
{
	const struct auth_user	*u = item;

	if (json_gen_kv_int(g, "id", u->id) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "username", u->username) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "created_at", u->created_at) !=
	    yajl_gen_status_ok)
		return -1;
	return 0;
}

/* One user in `user list`: id, name, creation time. */
static void
user_line(const void *item)
{
	const struct auth_user	*u = item;

	printf("%" PRId64 "\t%s\t%s\n", u->id, u->username, u->created_at);
}

/* user list [--json]: every user, one per line or as a JSON array. */
int
ctl_user_list(struct cli *cli, const struct cli_options *o)
{
	struct auth_user_list	users = { NULL, 0 };
	int			rc = CLI_FAILED;

	if (auth_user_list_load(cli->svc.db, &users) == -1)
		complain("cannot list users: %s", db_error(cli->svc.db));
	else
		rc = ctl_listing_print(o, users.items, users.count,
		    sizeof(*users.items), user_json, user_line);
	auth_user_list_release(&users);
	return rc;
}

/* token create USER [--label L]: prints a new API token once. */
int
ctl_token_create(struct cli *cli, const struct cli_options *o)
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

/* The members of one token's object in `token list --json`.  0 or -1. */
static int
token_json(yajl_gen g, const void *item)
{
	const struct auth_token_info	*t = item;

	if (json_gen_kv_int(g, "id", t->id) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "user_id", t->user_id) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "username", t->username) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "label", t->label) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "created_at", t->created_at) !=
	    yajl_gen_status_ok ||
	    json_kv_optional(g, "last_used_at", t->last_used_at) !=
	    yajl_gen_status_ok ||
	    json_kv_optional(g, "revoked_at", t->revoked_at) !=
	    yajl_gen_status_ok)
		return -1;
	return 0;
}

/*
 * One token in `token list`: id, user, label, created, last used, revoked,
 * with "-" for what it has not.
 */
static void
token_line(const void *item)
{
	const struct auth_token_info	*t = item;

	printf("%" PRId64 "\t%s\t%s\t%s\t%s\t%s\n", t->id, t->username,
	    cell_or_dash(t->label), t->created_at,
	    cell_or_dash(t->last_used_at), cell_or_dash(t->revoked_at));
}

/* token list [--json]: every token without its secret. */
int
ctl_token_list(struct cli *cli, const struct cli_options *o)
{
	struct auth_token_list	tokens = { NULL, 0 };
	int			rc = CLI_FAILED;

	if (auth_token_list_load(cli->svc.db, &tokens) == -1)
		complain("cannot list tokens: %s", db_error(cli->svc.db));
	else
		rc = ctl_listing_print(o, tokens.items, tokens.count,
		    sizeof(*tokens.items), token_json, token_line);
	auth_token_list_release(&tokens);
	return rc;
}

/* token revoke ID: the token stops working at once. */
int
ctl_token_revoke(struct cli *cli, const struct cli_options *o)
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

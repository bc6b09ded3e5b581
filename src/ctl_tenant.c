/*
 * ctl_tenant.c - tenantctl's tenant commands: tenant create, list, show,
 * delete, deploy, archive, restore, export and import (see ctl_tenant.h).
 *
 * A tenant is named by its id or its subdomain.  Tenants are created
 * through the same validation and provisioning code as the API: the
 * options become a struct form, exactly what a request would have
 * produced.  Deploys go through deploy_locked(), archive and restore
 * through lib/lifecycle.c, delete through provision_delete(), as the API
 * and the job runner do.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "conf.h"
#include "ctl_common.h"
#include "ctl_prompt.h"
#include "ctl_tenant.h"
#include "db.h"
#include "deploy.h"
#include "deploy_queue.h"
#include "form.h"
#include "json.h"
#include "lifecycle.h"
#include "module.h"
#include "notification.h"
#include "provision.h"
#include "tenant.h"
#include "tenant_create.h"
#include "tenant_archive.h"
#include "tenant_export.h"
#include "tenant_import.h"
#include "tenant_input.h"
#include "validate.h"

#define TENANT_PAGE_SIZE	100
#define CONFIRM_MAX		(SUBDOMAIN_MAX + 1)

/*
 * Appends option `text` to `f` as a value of field `name`, if it was
 * given, within `limits` as an API request's fields are.  0, or -1 after
 * a message.
 */
static int
form_append_option(struct form *f, const char *name, const char *text,
    const struct form_limits *limits)
{
	char	err[256];

	if (text == NULL)
		return 0;
	if (form_add(f, name, strlen(name), FORM_VALUE_STRING, text,
	    strlen(text), NULL, NULL, NULL, limits, err, sizeof(err)) !=
	    RESULT_OK) {
		complain("%s", err);
		return -1;
	}
	return 0;
}

/*
 * Reads the logo file at `path`, at most `max` + 1 bytes: one byte past the
 * limit is enough for tenant_input_read() to refuse the size, and a huge
 * file never fills memory.  Returns 0 with a malloc()ed copy, or -1 after a
 * message.
 */
static int
logo_read(const char *path, size_t max, char **data, size_t *len)
{
	struct stat	 st;
	char		*bytes = NULL;
	size_t		 want, used = 0;
	ssize_t		 n;
	int		 fd = -1, rc = -1;

	*data = NULL;
	*len = 0;
	if (max > SIZE_MAX - 2) {
		complain("max_logo_bytes is too large");
		goto out;
	}
	want = max + 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		complain("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		complain("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		complain("%s: not a regular file", path);
		goto out;
	}
	if ((bytes = malloc(want + 1)) == NULL) {
		complain("out of memory");
		goto out;
	}
	while (used < want) {
		n = read(fd, bytes + used, want - used);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			complain("%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	bytes[used] = '\0';
	*data = bytes;
	*len = used;
	bytes = NULL;
	rc = 0;
out:
	free(bytes);
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Builds the form `tenant create` hands to tenant_input_read() from the
 * options, with the field names of the API.  Returns 0, or -1 after a
 * message.
 */
static int
tenant_form_build(struct cli *cli, const struct cli_options *o,
    struct form *f)
{
	struct form_limits	 limits = form_default_limits;
	char			 err[256], *logo = NULL;
	size_t			 logo_len = 0, i;
	int			 rc = -1;

	/* As the API: a logo past the limit reaches the validator's error. */
	limits.max_file_bytes = cli->conf.max_logo_bytes;
	if (form_append_option(f, "name", o->name, &limits) == -1 ||
	    form_append_option(f, "subdomain", o->subdomain, &limits) == -1 ||
	    form_append_option(f, "contact_email", o->email, &limits) == -1 ||
	    form_append_option(f, "primary_color", o->primary_color,
	    &limits) == -1 ||
	    form_append_option(f, "secondary_color", o->secondary_color,
	    &limits) == -1)
		goto out;
	for (i = 0; i < o->module_count; i++) {
		if (form_append_option(f, "module_keys", o->modules[i],
		    &limits) == -1)
			goto out;
	}
	if (o->logo_path != NULL) {
		if (logo_read(o->logo_path, cli->conf.max_logo_bytes, &logo,
		    &logo_len) == -1)
			goto out;
		if (form_add(f, "logo", strlen("logo"), FORM_VALUE_FILE, logo,
		    logo_len, NULL, NULL, NULL, &limits, err, sizeof(err)) !=
		    RESULT_OK) {
			complain("%s", err);
			goto out;
		}
	}
	rc = 0;
out:
	free(logo);
	return rc;
}

/*
 * Prints `t` as the API's JSON object, on one line, filling t->deployed
 * first.  0 or -1.
 */
static int
tenant_print_json(struct cli *cli, struct tenant *t,
    const struct module_catalog *cat)
{
	yajl_gen	g;
	int		rc = -1;

	deploy_state_load(&cli->svc, t);
	if ((g = json_gen_new()) == NULL)
		goto out;
	if (tenant_to_json(g, t, cat, cli->conf.tenant_url_format) != 0 ||
	    ctl_json_flush(g, 1) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		complain("cannot write JSON");
	if (g != NULL)
		yajl_gen_free(g);
	return rc;
}

/* The public URL of `t`, or "-" if it does not fit. */
static const char *
tenant_url(struct cli *cli, const struct tenant *t, char *out, size_t outlen)
{
	if (conf_tenant_url(&cli->conf, t->subdomain, out, outlen) == -1)
		return "-";
	return out;
}

/* Loads the module catalog, saying so when that fails.  0 or -1. */
static int
catalog_load(struct cli *cli, struct module_catalog *cat)
{
	if (module_catalog_load(cat, cli->svc.db) == -1) {
		complain("cannot load the module catalog: %s",
		    db_error(cli->svc.db));
		return -1;
	}
	return 0;
}

/*
 * Prints how the deploy of tenant `id` (`t` as deploy_locked() left it)
 * went: the report, or why not.  `quiet` prints nothing on success
 * (tenant create --json prints the tenant only).  Returns CLI_OK or
 * CLI_FAILED.
 */
static int
tenant_deploy_print(struct cli *cli, int64_t id, enum result status,
    const struct tenant *t, const struct deploy_report *report,
    const char *err, int quiet)
{
	char	url[512];
	size_t	i;

	switch (status) {
	case RESULT_OK:
		break;
	case RESULT_BUSY:
		complain("tenant %s is busy: another deploy, archive or "
		    "restore is running", t->subdomain);
		return CLI_FAILED;
	case RESULT_ARCHIVED:
		complain("tenant %s is archived; restore the tenant first",
		    t->subdomain);
		return CLI_FAILED;
	case RESULT_NOT_FOUND:
		complain("tenant %lld was deleted", (long long)id);
		return CLI_FAILED;
	default:	/* a database or deploy failure */
		complain("deploy of %s failed: %s", t->subdomain[0] != '\0' ?
		    t->subdomain : "the tenant", err);
		return CLI_FAILED;
	}
	if (quiet)
		return CLI_OK;
	printf("deployed tenant %" PRId64 " %s %s: %zu files copied, %zu "
	    "kept, %zu replaced\n", t->id, t->subdomain,
	    tenant_url(cli, t, url, sizeof(url)), report->files_copied,
	    report->files_kept, report->files_replaced);
	for (i = 0; i < report->files_kept && i < DEPLOY_REPORT_MAX_KEPT; i++)
		printf("kept (changed by the tenant): %s\n", report->kept[i]);
	return CLI_OK;
}

/*
 * Deploys tenant `id` now with deploy_locked() and prints the report, or
 * says why not.  Returns CLI_OK or CLI_FAILED.
 */
static int
tenant_deploy_now(struct cli *cli, int64_t id, int force)
{
	struct deploy_options	 options;
	struct tenant		 t;
	struct deploy_report	*report = NULL;
	enum result		 status;
	char			 err[512];
	int			 rc = CLI_FAILED;

	tenant_init(&t);
	/* The report holds 100 paths: too large for a stack frame. */
	if ((report = calloc(1, sizeof(*report))) == NULL) {
		complain("out of memory");
		goto out;
	}
	memset(&options, 0, sizeof(options));
	options.force = force;
	status = deploy_locked(&cli->svc, id, &options, &t, report, err,
	    sizeof(err));
	rc = tenant_deploy_print(cli, id, status, &t, report, err, 0);
out:
	free(report);
	tenant_release(&t);
	return rc;
}

/* What tenant create's `created` callback needs to print the tenant. */
struct created_print {
	struct cli			*cli;
	const struct cli_options	*o;
	const struct module_catalog	*cat;
	int				 failed;
};

/*
 * tenant create's `created` callback (tenant_create.h): prints the new
 * tenant, as JSON with --json, before its deploy starts.  Returns 0, or
 * -1 (the deploy is skipped) when the JSON could not be written.
 */
static int
tenant_created_print(void *arg, struct tenant *t)
{
	struct created_print	*p = arg;
	char			 url[512];

	if (ctl_option_given(p->o, OPTION_JSON)) {
		if (tenant_print_json(p->cli, t, p->cat) == -1) {
			p->failed = 1;
			return -1;
		}
	} else
		printf("created tenant %" PRId64 " %s %s\n", t->id,
		    t->subdomain, tenant_url(p->cli, t, url, sizeof(url)));
	/* The tenant stays, deployed or not, as after POST /api/tenants/. */
	fflush(stdout);
	return 0;
}

/*
 * tenant create: the options become a form, are validated like an API
 * request, and tenant_create() provisions the tenant (database rows and
 * folder together) and deploys its site now, the path the API's create
 * takes with a queued deploy, unless --no-deploy.  A failed deploy is
 * exit 1, with the tenant created all the same.
 */
int
ctl_tenant_create(struct cli *cli, const struct cli_options *o)
{
	struct form			form;
	struct module_catalog		cat;
	struct tenant_input		in;
	struct field_errors		errors;
	struct tenant			t;
	struct tenant_create_site	site;
	struct created_print		print;
	enum result			status;
	char				err[512];
	size_t				i;
	int				rc = CLI_FAILED;

	form_init(&form);
	module_catalog_init(&cat);
	tenant_init(&t);
	memset(&in, 0, sizeof(in));
	memset(&errors, 0, sizeof(errors));
	memset(&site, 0, sizeof(site));

	if (tenant_form_build(cli, o, &form) == -1)
		goto out;
	if (catalog_load(cli, &cat) == -1)
		goto out;
	if (tenant_input_read(&in, TENANT_INPUT_CREATE, &form, &cli->conf,
	    &cat, cli->svc.mime, &errors) == -1) {
		for (i = 0; i < errors.count; i++)
			fprintf(stderr, "%s: %s\n", errors.items[i].field,
			    errors.items[i].message);
		if (errors.count == 0)
			complain("the tenant is not valid");
		goto out;
	}

	in.deploy = !ctl_option_given(o, OPTION_NO_DEPLOY);
	/* The report holds 100 paths: too large for a stack frame. */
	if (in.deploy &&
	    (site.report = calloc(1, sizeof(*site.report))) == NULL) {
		complain("out of memory");
		goto out;
	}
	site.mode = TENANT_CREATE_NOW;
	site.created = tenant_created_print;
	site.created_arg = &print;
	print.cli = cli;
	print.o = o;
	print.cat = &cat;
	print.failed = 0;

	err[0] = '\0';
	status = tenant_create(&cli->svc, &in, 0, &site, &t, err, sizeof(err));
	if (status != RESULT_OK) {
		if (err[0] != '\0')
			complain("%s", err);
		else if (status == RESULT_DB_DOWN)
			complain("the database went away");
		else
			complain("cannot create the tenant");
		goto out;
	}

	if (print.failed)
		goto out;
	if (in.deploy && tenant_deploy_print(cli, t.id, site.status, &t,
	    site.report, site.error, ctl_option_given(o, OPTION_JSON)) !=
	    CLI_OK) {
		complain("tenant %s was created; deploy it with tenantctl "
		    "tenant deploy %s", t.subdomain, t.subdomain);
		goto out;
	}
	rc = CLI_OK;
out:
	free(site.report);
	tenant_release(&t);
	module_catalog_release(&cat);
	form_release(&form);
	return rc;
}

/*
 * tenant list: every matching tenant, fetched a page at a time so memory
 * stays bounded however many there are.
 */
int
ctl_tenant_list(struct cli *cli, const struct cli_options *o)
{
	struct module_catalog	 cat;
	struct tenant_query	 q;
	struct tenant_list	 list;
	struct tenant		*t;
	yajl_gen		 g = NULL;
	int			 json = ctl_option_given(o, OPTION_JSON);
	int			 done = 0, rc = CLI_FAILED;
	size_t			 i;

	module_catalog_init(&cat);
	memset(&list, 0, sizeof(list));
	memset(&q, 0, sizeof(q));
	q.search = o->search;
	q.is_active = -1;
	if (ctl_option_given(o, OPTION_ACTIVE))
		q.is_active = 1;
	if (ctl_option_given(o, OPTION_ARCHIVED))
		q.is_active = 0;
	q.order = TENANT_ORDER_CREATED_DESC;
	if (o->order != NULL && tenant_order_parse(o->order, &q.order) == -1) {
		complain("--order: unknown field \"%s\"", o->order);
		rc = CLI_USAGE;
		goto out;
	}
	q.limit = TENANT_PAGE_SIZE;

	if (json) {
		if (catalog_load(cli, &cat) == -1)
			goto out;
		if ((g = json_gen_new()) == NULL ||
		    yajl_gen_array_open(g) != yajl_gen_status_ok)
			goto json_fail;
	}
	while (!done) {
		memset(&list, 0, sizeof(list));
		if (tenant_list_query(cli->svc.db, &q, &list) == -1) {
			complain("cannot list tenants: %s",
			    db_error(cli->svc.db));
			goto out;
		}
		for (i = 0; i < list.count; i++) {
			t = &list.items[i];
			if (json) {
				deploy_state_load(&cli->svc, t);
				if (tenant_to_json(g, t, &cat,
				    cli->conf.tenant_url_format) != 0)
					goto json_fail;
				continue;
			}
			printf("%" PRId64 "\t%s\t%s\t%s\t%s\n", t->id,
			    t->subdomain, t->name,
			    t->is_active ? "active" : "archived",
			    t->created_at != NULL ? t->created_at : "-");
		}
		if (json && ctl_json_flush(g, 0) == -1)
			goto json_fail;
		done = list.count < TENANT_PAGE_SIZE ||
		    q.offset + (int64_t)list.count >= list.total;
		q.offset += (int64_t)list.count;
		tenant_list_release(&list);
	}
	if (json && (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    ctl_json_flush(g, 1) == -1))
		goto json_fail;
	rc = CLI_OK;
	goto out;
json_fail:
	complain("cannot write JSON");
out:
	tenant_list_release(&list);
	if (g != NULL)
		yajl_gen_free(g);
	module_catalog_release(&cat);
	return rc;
}

/*
 * Finds the tenant `ref` names: an id when it is a number, else (or when no
 * tenant has that id, since "123" is also a valid subdomain) a subdomain.
 * Returns 1, 0 after a "no such tenant" message, or -1 after an error
 * message.
 */
int
ctl_tenant_lookup(struct cli *cli, const char *ref, struct tenant *t)
{
	const char	*errstr;
	int64_t		 id;
	int		 found = 0;

	if (parse_int64(ref, 1, INT64_MAX, &id, &errstr) == 0)
		found = tenant_find_by_id(cli->svc.db, id, t);
	if (found == 0 && validate_subdomain(ref, strlen(ref)) == NULL) {
		tenant_release(t);
		tenant_init(t);
		found = tenant_find_by_subdomain(cli->svc.db, ref, t);
	}
	if (found == 0)
		complain("no such tenant \"%s\"", ref);
	else if (found == -1)
		complain("cannot look up the tenant: %s",
		    db_error(cli->svc.db));
	return found;
}

/* Prints `t` as "key: value" lines for a person to read. */
static void
tenant_print_text(struct cli *cli, const struct tenant *t,
    const struct module_catalog *cat)
{
	char	url[512];
	size_t	i;
	int	first = 1;

	printf("id:              %" PRId64 "\n", t->id);
	printf("name:            %s\n", t->name != NULL ? t->name : "");
	printf("subdomain:       %s\n", t->subdomain);
	printf("url:             %s\n", tenant_url(cli, t, url, sizeof(url)));
	printf("contact_email:   %s\n", t->contact_email != NULL &&
	    t->contact_email[0] != '\0' ? t->contact_email : "-");
	printf("primary_color:   %s\n", t->primary_color);
	printf("secondary_color: %s\n", t->secondary_color);
	printf("logo:            %s\n", t->logo != NULL ? t->logo : "-");
	if (t->is_active)
		printf("status:          active\n");
	else
		printf("status:          archived since %s\n",
		    t->archived_at != NULL ? t->archived_at : "-");
	printf("created_at:      %s\n", t->created_at != NULL ?
	    t->created_at : "-");
	printf("updated_at:      %s\n", t->updated_at != NULL ?
	    t->updated_at : "-");
	printf("modules:         ");
	for (i = 0; i < cat->count; i++) {
		if (!tenant_module_enabled(t, cat->modules[i].key))
			continue;
		printf("%s%s", first ? "" : " ", cat->modules[i].key);
		first = 0;
	}
	putchar('\n');
}

/* tenant show ID|SUBDOMAIN [--json]. */
int
ctl_tenant_show(struct cli *cli, const struct cli_options *o)
{
	struct module_catalog	cat;
	struct tenant		t;
	int			rc = CLI_FAILED;

	module_catalog_init(&cat);
	tenant_init(&t);
	if (ctl_tenant_lookup(cli, o->args[0], &t) != 1)
		goto out;
	if (catalog_load(cli, &cat) == -1)
		goto out;
	if (ctl_option_given(o, OPTION_JSON)) {
		if (tenant_print_json(cli, &t, &cat) == -1)
			goto out;
	} else
		tenant_print_text(cli, &t, &cat);
	rc = CLI_OK;
out:
	tenant_release(&t);
	module_catalog_release(&cat);
	return rc;
}

/*
 * Asks the person at the terminal to type the subdomain of the tenant about
 * to be deleted.  Returns 1 when they did, else 0.
 */
static int
delete_confirmed(const struct tenant *t)
{
	char	answer[CONFIRM_MAX + 1];

	fprintf(stderr, "Deleting tenant %" PRId64 " (%s) removes its "
	    "database rows and its folder.\n"
	    "Type the subdomain to confirm: ", t->id, t->subdomain);
	fflush(stderr);
	if (ctl_read_line(STDIN_FILENO, answer, sizeof(answer)) != READ_LINE_OK)
		return 0;
	return strcmp(answer, t->subdomain) == 0;
}

/* tenant delete ID|SUBDOMAIN [--yes]: rows first, then the folder. */
int
ctl_tenant_delete(struct cli *cli, const struct cli_options *o)
{
	struct tenant		t;
	enum result		status;
	char			err[512];
	int			rc = CLI_FAILED;

	tenant_init(&t);
	if (!ctl_option_given(o, OPTION_YES) && !isatty(STDIN_FILENO)) {
		complain("refusing to delete without --yes when standard "
		    "input is not a terminal");
		goto out;
	}
	if (ctl_tenant_lookup(cli, o->args[0], &t) != 1)
		goto out;
	if (!ctl_option_given(o, OPTION_YES) && !delete_confirmed(&t)) {
		complain("not confirmed; tenant %s kept", t.subdomain);
		goto out;
	}

	err[0] = '\0';
	status = provision_delete(&cli->svc, t.id, 0, err, sizeof(err));
	if (status == RESULT_NOT_FOUND) {
		complain("no such tenant \"%s\"", o->args[0]);
		goto out;
	}
	if (status != RESULT_OK) {
		complain("%s", err[0] != '\0' ? err :
		    "cannot delete the tenant");
		goto out;
	}
	printf("deleted tenant %" PRId64 " %s\n", t.id, t.subdomain);
	rc = CLI_OK;
out:
	tenant_release(&t);
	return rc;
}

/*
 * tenant deploy ID|SUBDOMAIN [--force]: deploys the template now, under
 * the tenant lock, with deploy_locked() as the job runner does.  A busy
 * or archived tenant is refused.
 */
int
ctl_tenant_deploy(struct cli *cli, const struct cli_options *o)
{
	struct tenant	t;
	int		rc = CLI_FAILED;

	tenant_init(&t);
	if (ctl_tenant_lookup(cli, o->args[0], &t) == 1)
		rc = tenant_deploy_now(cli, t.id,
		    ctl_option_given(o, OPTION_FORCE));
	tenant_release(&t);
	return rc;
}

/*
 * tenant archive and tenant restore: runs `operation`
 * (lifecycle_archive() or lifecycle_restore()) on the tenant `ref` names
 * and prints its state afterwards.  Doing it twice is not an error.
 */
static int
tenant_lifecycle(struct cli *cli, const char *ref, lifecycle_fn operation)
{
	struct tenant		t, after;
	enum result		status;
	char			err[512];
	int			rc = CLI_FAILED;

	tenant_init(&t);
	tenant_init(&after);
	if (ctl_tenant_lookup(cli, ref, &t) != 1)
		goto out;
	err[0] = '\0';
	status = operation(&cli->svc, t.id, 0, &after, err, sizeof(err));
	if (status == RESULT_NOT_FOUND) {
		complain("no such tenant \"%s\"", ref);
		goto out;
	}
	if (status == RESULT_BUSY) {
		complain("tenant %s is busy: %s", t.subdomain, err);
		goto out;
	}
	if (status != RESULT_OK) {
		complain("%s", err[0] != '\0' ? err : "the operation failed");
		goto out;
	}
	if (after.is_active)
		printf("tenant %" PRId64 " %s: active\n", after.id,
		    after.subdomain);
	else
		printf("tenant %" PRId64 " %s: archived since %s\n", after.id,
		    after.subdomain, after.archived_at != NULL ?
		    after.archived_at : "-");
	rc = CLI_OK;
out:
	tenant_release(&after);
	tenant_release(&t);
	return rc;
}

/* tenant archive ID|SUBDOMAIN. */
int
ctl_tenant_archive(struct cli *cli, const struct cli_options *o)
{
	return tenant_lifecycle(cli, o->args[0], lifecycle_archive);
}

/* tenant restore ID|SUBDOMAIN. */
int
ctl_tenant_restore(struct cli *cli, const struct cli_options *o)
{
	return tenant_lifecycle(cli, o->args[0], lifecycle_restore);
}

/*
 * tenant notifications ID|SUBDOMAIN [--json]: lists the tenant's e-mails
 * (notification.h).  A last_error is printed with any control character
 * as '?', so a relay's answer cannot move the terminal's cursor.
 */
int
ctl_tenant_notifications(struct cli *cli, const struct cli_options *o)
{
	struct notification	*items = NULL, *n;
	struct tenant		 t;
	yajl_gen		 g = NULL;
	size_t			 count = 0, i;
	char			*p;
	int			 rc = CLI_FAILED;

	tenant_init(&t);
	if (ctl_tenant_lookup(cli, o->args[0], &t) != 1)
		goto out;
	if (notification_list(cli->svc.db, t.id, &items, &count) == -1) {
		complain("cannot list the notifications: %s",
		    db_error(cli->svc.db));
		goto out;
	}
	if (ctl_option_given(o, OPTION_JSON)) {
		if ((g = json_gen_new()) == NULL ||
		    yajl_gen_array_open(g) != yajl_gen_status_ok)
			goto json_fail;
		for (i = 0; i < count; i++)
			if (notification_to_json(g, &items[i]) !=
			    yajl_gen_status_ok)
				goto json_fail;
		if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
		    ctl_json_flush(g, 1) == -1)
			goto json_fail;
		rc = CLI_OK;
		goto out;
	}
	for (i = 0; i < count; i++) {
		n = &items[i];
		for (p = n->last_error; p != NULL && *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		printf("%s\t%s\t%s\t%d\t%s\t%s\n", n->event, n->recipient,
		    notification_status_name(n->status), n->attempts,
		    n->sent_at[0] != '\0' ? n->sent_at : "-",
		    n->last_error != NULL ? n->last_error : "-");
	}
	rc = CLI_OK;
	goto out;
json_fail:
	complain("cannot write JSON");
out:
	if (g != NULL)
		yajl_gen_free(g);
	notification_list_free(items, count);
	tenant_release(&t);
	return rc;
}

/*
 * tenant export ID|SUBDOMAIN [-o FILE] [--with-template]: the archive
 * into FILE ("-": standard output; default "<sub>-<time>.tar.zst" here),
 * written under a temporary name and renamed, so FILE is whole or absent.
 */
int
ctl_tenant_export(struct cli *cli, const struct cli_options *o)
{
	struct tenant	 t;
	enum result	 rs;
	const char	*path = o->output_path;
	char		 name[SUBDOMAIN_MAX + 64], temp[4096], err[512];
	int		 fd = -1, rc = CLI_FAILED, to_stdout;

	tenant_init(&t);
	temp[0] = '\0';
	if (ctl_tenant_lookup(cli, o->args[0], &t) != 1)
		goto out;
	if (path == NULL) {
		if (tenant_export_file_name(t.subdomain, (long long)time(NULL),
		    name, sizeof(name)) == -1) {
			complain("cannot name the archive");
			goto out;
		}
		path = name;
	}
	to_stdout = strcmp(path, "-") == 0;
	if (to_stdout)
		fd = STDOUT_FILENO;
	else if (snprintf(temp, sizeof(temp), "%s.partial", path) >=
	    (int)sizeof(temp) || (fd = open(temp, O_WRONLY | O_CREAT |
	    O_EXCL | O_CLOEXEC, 0600)) == -1) {
		complain("cannot create %s: %s", temp, strerror(errno));
		temp[0] = '\0';
		goto out;
	}
	rs = tenant_export(&cli->svc, &t, ctl_option_given(o,
	    OPTION_WITH_TEMPLATE), 0, fd, err, sizeof(err));
	if (rs != RESULT_OK) {
		complain("cannot export %s: %s", t.subdomain, err);
		goto out;
	}
	if (!to_stdout) {
		if (fsync(fd) == -1 || close(fd) == -1) {
			fd = -1;
			complain("cannot write %s: %s", temp, strerror(errno));
			goto out;
		}
		fd = -1;
		if (rename(temp, path) == -1) {
			complain("cannot rename %s to %s: %s", temp, path,
			    strerror(errno));
			goto out;
		}
		temp[0] = '\0';
		printf("exported tenant %" PRId64 " %s to %s\n", t.id,
		    t.subdomain, path);
	}
	rc = CLI_OK;
out:
	if (fd != -1 && fd != STDOUT_FILENO)
		close(fd);
	if (temp[0] != '\0' && unlink(temp) == -1)
		complain("cannot remove %s: %s", temp, strerror(errno));
	tenant_release(&t);
	return rc;
}

/*
 * tenant import FILE [--as SUB] [--json]: the tenant of the archive FILE,
 * printed as tenant create prints it.
 */
int
ctl_tenant_import(struct cli *cli, const struct cli_options *o)
{
	struct tenant_archive_source	 src;
	struct module_catalog		 cat;
	struct tenant			 t;
	enum result			 rs;
	char				 err[512], url[512];
	int				 rc = CLI_FAILED;

	tenant_init(&t);
	module_catalog_init(&cat);
	memset(&src, 0, sizeof(src));
	if ((src.fd = open(o->args[0], O_RDONLY | O_CLOEXEC)) == -1) {
		complain("cannot open %s: %s", o->args[0], strerror(errno));
		goto out;
	}
	rs = tenant_import(&cli->svc, &src, o->as_subdomain, 0, &t, err,
	    sizeof(err));
	if (rs != RESULT_OK) {
		complain("cannot import %s: %s", o->args[0], err);
		goto out;
	}
	if (ctl_option_given(o, OPTION_JSON)) {
		if (catalog_load(cli, &cat) == -1 ||
		    tenant_print_json(cli, &t, &cat) == -1)
			goto out;
	} else
		printf("imported tenant %" PRId64 " %s %s\n", t.id,
		    t.subdomain, tenant_url(cli, &t, url, sizeof(url)));
	rc = CLI_OK;
out:
	if (src.fd != -1)
		close(src.fd);
	module_catalog_release(&cat);
	tenant_release(&t);
	return rc;
}

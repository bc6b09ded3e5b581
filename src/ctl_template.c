/*
 * ctl_template.c - tenantctl's template commands (ctl_template.h).
 *
 * A rollout is queued as the API queues it (template_rollout_queue()),
 * then run here, in this process, when no job runner has claimed it
 * first, so it works with tenantd stopped; otherwise its progress is read
 * from the job's row.  Either way the bar shows tenants done, and the
 * first Ctrl-C cancels the job.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "ctl_common.h"
#include "ctl_template.h"
#include "ctl_tenant.h"
#include "db.h"
#include "job.h"
#include "job_runner.h"
#include "json.h"
#include "template.h"
#include "template_rows.h"
#include "template_store.h"
#include "tenant.h"
#include "validate.h"

/* How often a rollout another process runs is looked at. */
#define ROLLOUT_POLL_MS		200

/* Set by the first SIGINT or SIGTERM during a rollout. */
static volatile sig_atomic_t	cancel_requested;

/* The first SIGINT or SIGTERM cancels; a second one ends tenantctl. */
static void
on_cancel_signal(int signo)
{
	(void)signo;
	cancel_requested = 1;
}

/* Writes version `v` as JSON members (ctl_json_item_fn).  0 or -1. */
static int
version_json(yajl_gen g, const void *item)
{
	return template_version_json(g, item);
}

/* Prints version `v` as one line of `template list`. */
static void
version_line(const void *item)
{
	const struct template_version *v = item;

	printf("%s %s %7" PRId64 " tenants %5" PRId64 " files %10" PRId64
	    " bytes %s %s%s%s\n", v->version, v->is_default ? "default" :
	    "       ", v->tenants, v->files, v->bytes, v->created_at, v->source,
	    v->name[0] != '\0' ? " " : "", v->name);
}

/* Prints version `v` as "key: value" lines. */
static void
version_print(const struct template_version *v)
{
	printf("version: %s\n", v->version);
	printf("name: %s\n", v->name);
	printf("web_root: %s\n", v->web_root[0] != '\0' ? v->web_root :
	    "(the whole template)");
	printf("files: %" PRId64 "\n", v->files);
	printf("bytes: %" PRId64 "\n", v->bytes);
	printf("source: %s\n", v->source);
	printf("created_at: %s\n", v->created_at);
	printf("default: %s\n", v->is_default ? "yes" : "no");
	printf("tenants: %" PRId64 "\n", v->tenants);
}

/*
 * Finds version `version` into `v`, complaining when there is none.
 * Returns 1, 0 or -1 (after a message).
 */
static int
version_lookup(struct cli *cli, const char *version,
    struct template_version *v)
{
	int	rc;

	if (!template_version_valid(version)) {
		complain("\"%s\" is not a template version (%d lowercase hex "
		    "digits)", version, TEMPLATE_VERSION_LEN);
		return 0;
	}
	if ((rc = template_rows_find(cli->svc.db, version, v)) == 0)
		complain("no template version %s", version);
	else if (rc == -1)
		complain("cannot read the template versions: %s",
		    db_error(cli->svc.db));
	return rc;
}

/* template add DIR [--json]: prints the version's name. */
int
ctl_template_add(struct cli *cli, const struct cli_options *o)
{
	struct template_version	v;
	yajl_gen		g = NULL;
	char			err[512];
	enum result		status;
	int			added, rc = CLI_FAILED;

	status = template_add(&cli->svc, o->args[0], NULL, 0, &v, &added, err,
	    sizeof(err));
	if (status != RESULT_OK) {
		complain("%s", err);
		return CLI_FAILED;
	}
	if (ctl_option_given(o, OPTION_JSON)) {
		if ((g = json_gen_new()) == NULL ||
		    yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    version_json(g, &v) == -1 ||
		    json_gen_kv_bool(g, "added", added) != yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok ||
		    ctl_json_flush(g, 1) == -1) {
			complain("cannot write JSON");
			goto out;
		}
	} else {
		printf("%s\n", v.version);
		fprintf(stderr, "%s: %" PRId64 " files, %" PRId64 " bytes%s\n",
		    added ? "stored" : "already stored", v.files, v.bytes,
		    v.is_default ? ", the default" : "");
		if (v.web_root[0] != '\0')
			fprintf(stderr, "web root: %s\n", v.web_root);
	}
	rc = CLI_OK;
out:
	if (g != NULL)
		yajl_gen_free(g);
	return rc;
}

/* template list [--json]. */
int
ctl_template_list(struct cli *cli, const struct cli_options *o)
{
	struct template_version	*list = NULL;
	char			 version[16], err[512];
	size_t			 count = 0;
	int			 rc;

	/* template_dir is stored first when it changed, as the API does. */
	if (template_default(&cli->svc, version, err, sizeof(err)) ==
	    RESULT_FAILED)
		complain("%s", err);
	if (template_rows_list(cli->svc.db, &list, &count) == -1) {
		complain("cannot read the template versions: %s",
		    db_error(cli->svc.db));
		return CLI_FAILED;
	}
	rc = ctl_listing_print(o, list, count, sizeof(*list), version_json,
	    version_line);
	free(list);
	return rc;
}

/* template show VERSION [--json]. */
int
ctl_template_show(struct cli *cli, const struct cli_options *o)
{
	struct template_version	v;

	if (version_lookup(cli, o->args[0], &v) != 1)
		return CLI_FAILED;
	if (ctl_option_given(o, OPTION_JSON))
		return ctl_listing_print(o, &v, 1, sizeof(v), version_json,
		    version_line);
	version_print(&v);
	return CLI_OK;
}

/* template default VERSION. */
int
ctl_template_default(struct cli *cli, const struct cli_options *o)
{
	struct template_version	v;

	if (version_lookup(cli, o->args[0], &v) != 1)
		return CLI_FAILED;
	if (template_rows_set_default(cli->svc.db, v.version) != 1) {
		complain("cannot make %s the default: %s", v.version,
		    db_error(cli->svc.db));
		return CLI_FAILED;
	}
	printf("%s is the default template version\n", v.version);
	return CLI_OK;
}

/*
 * template remove VERSION: the row first (refused, in the same statement,
 * while the version is the default or serves a tenant), then the stored
 * files.  Tenants' hard links keep the bytes of tenants on it; none are.
 */
int
ctl_template_remove(struct cli *cli, const struct cli_options *o)
{
	struct template_version	v;
	int			rc, store;

	if (version_lookup(cli, o->args[0], &v) != 1)
		return CLI_FAILED;
	rc = template_rows_delete(cli->svc.db, v.version);
	if (rc == -1) {
		complain("cannot remove %s: %s", v.version,
		    db_error(cli->svc.db));
		return CLI_FAILED;
	}
	if (rc == 2) {
		complain("%s is %s; nothing was removed", v.version,
		    v.is_default ? "the default version" :
		    "in use by tenants (roll them out to another version "
		    "first)");
		return CLI_FAILED;
	}
	if ((store = template_store_fd(&cli->svc)) == -1 ||
	    template_store_remove(store, v.version) == -1) {
		if (errno != ENOENT) {
			complain("%s is no longer listed, but its files could "
			    "not be removed from the template store: %s",
			    v.version, strerror(errno));
			return CLI_FAILED;
		}
	}
	printf("removed template version %s\n", v.version);
	return CLI_OK;
}

/* What the rollout's watcher needs. */
struct rollout_watch {
	struct ctl_progress	progress;
	size_t			tenants;
};

/*
 * job_run_watched()'s watcher: draws the bar in tenants done and answers
 * the first Ctrl-C with a cancel.
 */
static int
rollout_watch_cb(void *arg, size_t done, size_t total)
{
	struct rollout_watch	*w = arg;

	ctl_progress_show(&w->progress, total > 0 ? done * w->tenants /
	    total : w->tenants, w->tenants);
	return cancel_requested;
}

/*
 * Follows job `id`, which another process runs, drawing its progress
 * from the row until it finishes; the first Ctrl-C asks it to stop.
 * Returns 0 with `j` holding the finished job, or -1 after a message.
 */
static int
rollout_follow(struct cli *cli, int64_t id, struct rollout_watch *w,
    struct job *j)
{
	struct timespec			poll = { 0, ROLLOUT_POLL_MS * 1000000L };
	enum job_cancel_outcome		outcome;
	int				asked = 0;

	for (;;) {
		job_release(j);
		if (job_find(cli->svc.db, id, j) != 1) {
			complain("cannot follow job %" PRId64 ": %s", id,
			    db_error(cli->svc.db));
			return -1;
		}
		ctl_progress_show(&w->progress, (size_t)j->progress *
		    w->tenants / 100, w->tenants);
		if (j->status != JOB_QUEUED && j->status != JOB_RUNNING)
			return 0;
		if (cancel_requested && !asked) {
			asked = 1;
			if (job_cancel(cli->svc.db, id, &outcome) == -1)
				complain("cannot cancel job %" PRId64 ": %s", id,
				    db_error(cli->svc.db));
		}
		nanosleep(&poll, NULL);
	}
}

/* Prints what a finished rollout job did.  Returns the exit status. */
static int
rollout_print(const struct job *j)
{
	struct json_value	*result = NULL;
	const struct json_value	*member;
	char			 err[128];
	int64_t			 deployed = 0, failed = 0, kept = 0;
	int			 rc = CLI_FAILED;

	if (j->status == JOB_FAILED) {
		complain("the rollout failed: %s", j->error != NULL ? j->error :
		    "no reason recorded");
		return CLI_FAILED;
	}
	if (j->result == NULL || (result = json_parse(j->result,
	    strlen(j->result), err, sizeof(err))) == NULL) {
		complain("job %" PRId64 " left no readable result", j->id);
		return CLI_FAILED;
	}
	if ((member = json_object_get(result, "deployed")) != NULL)
		json_number_int64(member, 0, INT64_MAX, &deployed);
	if ((member = json_object_get(result, "failed_count")) != NULL)
		json_number_int64(member, 0, INT64_MAX, &failed);
	if ((member = json_object_get(result, "kept_count")) != NULL)
		json_number_int64(member, 0, INT64_MAX, &kept);
	printf("job %" PRId64 " %s: %" PRId64 " tenants moved, %" PRId64
	    " failed, %" PRId64 " with changed files kept (see GET "
	    "/api/jobs/%" PRId64 "/)\n", j->id, job_status_name(j->status),
	    deployed, failed, kept, j->id);
	if (j->status == JOB_CANCELLED)
		rc = CLI_INTERRUPTED;
	else
		rc = failed == 0 ? CLI_OK : CLI_FAILED;
	json_free(result);
	return rc;
}

/*
 * Reads the selection of `template rollout`: --all, --percent N, or the
 * tenants named as arguments after the version.  Returns 0 with *percent
 * (100 for --all, 0 for ids) and a new array *ids, or -1 after a message.
 */
static int
rollout_selection(struct cli *cli, const struct cli_options *o,
    int *percent, int64_t **ids, size_t *count)
{
	struct tenant	t;
	const char	*errstr;
	int64_t		value;
	int		i, chosen, rc = -1;

	*percent = 0;
	*ids = NULL;
	*count = 0;
	chosen = ctl_option_given(o, OPTION_ALL) +
	    ctl_option_given(o, OPTION_PERCENT) + (o->arg_count > 1);
	if (chosen != 1) {
		complain("give exactly one of --all, --percent N or the tenants "
		    "to move");
		return -1;
	}
	if (ctl_option_given(o, OPTION_ALL)) {
		*percent = 100;
		return 0;
	}
	if (ctl_option_given(o, OPTION_PERCENT)) {
		if (o->percent == NULL || parse_int64(o->percent, 1, 100,
		    &value, &errstr) == -1) {
			complain("--percent: a whole number from 1 to 100");
			return -1;
		}
		*percent = (int)value;
		return 0;
	}
	if ((*ids = calloc((size_t)o->arg_count, sizeof(**ids))) == NULL) {
		complain("out of memory");
		return -1;
	}
	for (i = 1; i < o->arg_count; i++) {
		tenant_init(&t);
		if (ctl_tenant_lookup(cli, o->args[i], &t) != 1) {
			tenant_release(&t);
			goto out;
		}
		(*ids)[(*count)++] = t.id;
		tenant_release(&t);
	}
	rc = 0;
out:
	if (rc == -1) {
		free(*ids);
		*ids = NULL;
	}
	return rc;
}

/*
 * template rollout VERSION (--all | --percent N | ID|SUBDOMAIN...)
 * [--force]: queues the rollout and sees it through (see above).  Exit 0
 * when every tenant moved, 1 when some failed, 130 when cancelled.
 */
int
ctl_template_rollout(struct cli *cli, const struct cli_options *o)
{
	struct template_version	 v;
	struct rollout_watch	 watch;
	struct sigaction	 sa;
	struct job		 j;
	char			 err[512], runner[128];
	int64_t			*ids = NULL, job_id;
	size_t			 count = 0, tenants;
	int			 percent, claimed, rc = CLI_FAILED;

	job_init(&j);
	if (version_lookup(cli, o->args[0], &v) != 1 ||
	    rollout_selection(cli, o, &percent, &ids, &count) == -1)
		goto out;
	if (template_rollout_queue(&cli->svc, v.version, ids, count, percent,
	    ctl_option_given(o, OPTION_FORCE), 0, &job_id, &tenants, err,
	    sizeof(err)) != RESULT_OK) {
		complain("%s", err);
		goto out;
	}
	printf("job %" PRId64 ": %zu tenants to template version %s\n", job_id,
	    tenants, v.version);
	fflush(stdout);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_cancel_signal;
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1) {
		complain("cannot set up signals: %s", strerror(errno));
		goto out;
	}
	memset(&watch, 0, sizeof(watch));
	watch.tenants = tenants;
	ctl_progress_start(&watch.progress, "moved");
	job_runner_id(runner, sizeof(runner));
	claimed = job_claim_id(cli->svc.db, job_id, runner, &j);
	if (claimed == -1) {
		complain("cannot claim job %" PRId64 ": %s", job_id,
		    db_error(cli->svc.db));
		goto out;
	}
	if (claimed == 1)
		job_run_watched(&cli->svc, &j, rollout_watch_cb, &watch);
	if (rollout_follow(cli, job_id, &watch, &j) == -1)
		goto out;
	ctl_progress_end(&watch.progress);
	rc = rollout_print(&j);
out:
	job_release(&j);
	free(ids);
	return rc;
}

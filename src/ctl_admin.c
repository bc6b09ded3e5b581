/*
 * ctl_admin.c - tenantctl's commands that look after the installation
 * rather than one tenant or user: manifest, migrate, init-modules, fsck
 * and worker (see ctl_admin.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "ctl_admin.h"
#include "ctl_common.h"
#include "db.h"
#include "fsck.h"
#include "job_runner.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "migrate.h"
#include "module.h"

/*
 * manifest DIR: builds the template manifest of DIR and prints it, for
 * `make` to store as www/template.manifest.  A name, symlink or special
 * file the manifest cannot hold is an error naming its whole path.
 */
int
ctl_manifest(struct cli *cli, const struct cli_options *o)
{
	struct manifest	m;
	char		err[MANIFEST_PATH_MAX + 256];	/* names the path */
	int		rc = CLI_FAILED;

	manifest_init(&m);
	if (manifest_build(&m, o->args[0], err, sizeof(err)) == -1) {
		complain("%s", err);
		goto out;
	}
	if (manifest_write(&m, stdout) == -1) {
		complain("cannot write the manifest: %s", strerror(errno));
		goto out;
	}
	rc = CLI_OK;
out:
	manifest_release(&m);
	return rc;
}

/* migrate: applies pending migrations from conf->migrations_dir. */
int
ctl_migrate(struct cli *cli, const struct cli_options *o)
{
	char	err[512];
	int	applied = 0;

	if (migrate_run(cli->svc.db, cli->conf.migrations_dir, &applied, err,
	    sizeof(err)) == -1) {
		complain("migrate: %s", err);
		return CLI_FAILED;
	}
	printf("applied %d schema migration%s\n", applied,
	    applied == 1 ? "" : "s");
	return CLI_OK;
}

/* init-modules [FILE]: upserts the module catalog from a modules.json. */
int
ctl_init_modules(struct cli *cli, const struct cli_options *o)
{
	struct module_catalog	 cat;
	const char		*path;
	char			 err[512];
	int			 rc = CLI_FAILED;

	module_catalog_init(&cat);
	path = o->arg_count > 0 ? o->args[0] : cli->conf.modules_file;
	if (module_catalog_read_file(&cat, path, err, sizeof(err)) == -1) {
		complain("%s", err);
		goto out;
	}
	if (module_catalog_upsert(&cat, cli->svc.db) == -1) {
		complain("cannot store the modules: %s",
		    db_error(cli->svc.db));
		goto out;
	}
	printf("inserted or updated %zu module definition%s\n", cat.count,
	    cat.count == 1 ? "" : "s");
	rc = CLI_OK;
out:
	module_catalog_release(&cat);
	return rc;
}

/* How fsck prints: lines, or the pieces of one JSON document. */
struct fsck_output {
	int		repair;
	yajl_gen	g;		/* NULL: text */
};

/*
 * Prints one problem fsck found: a line "WHO: PROBLEM: DETAIL" (WHO is
 * "tenant ID SUB" or a folder name), with "[repaired]" or "[not
 * repaired]" when repairing; or one object of the JSON "problems" array.
 * Returns 0, or -1 to stop fsck when output fails.
 */
static int
fsck_print(void *arg, const struct fsck_problem *p)
{
	struct fsck_output	*out = arg;
	yajl_gen		 g = out->g;

	if (g == NULL) {
		if (p->tenant_id > 0)
			printf("tenant %" PRId64 " %s", p->tenant_id, p->name);
		else
			printf("%s", p->name);
		printf(": %s", p->problem);
		if (p->detail[0] != '\0')
			printf(": %s", p->detail);
		if (out->repair)
			printf(" [%s]", p->repaired ? "repaired" :
			    "not repaired");
		putchar('\n');
		return ferror(stdout) ? -1 : 0;
	}
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    (p->tenant_id > 0 ? json_gen_kv_int(g, "tenant_id",
	    p->tenant_id) : json_gen_kv_null(g, "tenant_id")) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "subdomain", p->name) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "problem", p->problem) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "detail", p->detail) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "repaired", p->repaired) !=
	    yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    ctl_json_flush(g, 0) == -1)
		return -1;
	return ferror(stdout) ? -1 : 0;
}

/*
 * fsck [--repair] [--json]: reconciles tenant rows and folders (fsck.h).
 * Text ends with "checked N tenants: clean" or the counts; JSON is
 * {"problems": [{tenant_id, subdomain, problem, detail, repaired}],
 * "checked": N, "repaired": M} (plus "error" when the run stopped).
 * Exit 0 when nothing is left unrepaired, else 1.
 */
int
ctl_fsck(struct cli *cli, const struct cli_options *o)
{
	struct fsck_output	out;
	struct fsck_summary	summary;
	char			err[512];
	int			run, rc = CLI_FAILED;

	memset(&out, 0, sizeof(out));
	out.repair = ctl_option_given(o, OPTION_REPAIR);
	if (ctl_option_given(o, OPTION_JSON) &&
	    ((out.g = json_gen_new()) == NULL ||
	    yajl_gen_map_open(out.g) != yajl_gen_status_ok ||
	    json_gen_key(out.g, "problems") != yajl_gen_status_ok ||
	    yajl_gen_array_open(out.g) != yajl_gen_status_ok)) {
		complain("cannot write JSON");
		goto out;
	}
	err[0] = '\0';
	run = fsck_run(&cli->svc, out.repair, fsck_print, &out, &summary,
	    err, sizeof(err));
	if (run == -1)
		complain("fsck did not finish: %s", err);
	if (out.g != NULL) {
		if (yajl_gen_array_close(out.g) != yajl_gen_status_ok ||
		    json_gen_kv_int(out.g, "checked", summary.checked) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_int(out.g, "repaired", summary.repaired) !=
		    yajl_gen_status_ok ||
		    (run == -1 && json_gen_kv_string(out.g, "error", err) !=
		    yajl_gen_status_ok) ||
		    yajl_gen_map_close(out.g) != yajl_gen_status_ok ||
		    ctl_json_flush(out.g, 1) == -1) {
			complain("cannot write JSON");
			goto out;
		}
	} else if (summary.problems == 0)
		printf("checked %" PRId64 " tenants: clean\n", summary.checked);
	else
		printf("checked %" PRId64 " tenants: %" PRId64 " problems, %"
		    PRId64 " repaired\n", summary.checked, summary.problems,
		    summary.repaired);
	if (run == 0 && summary.problems == summary.repaired)
		rc = CLI_OK;
out:
	if (out.g != NULL)
		yajl_gen_free(out.g);
	return rc;
}

/* Set by SIGTERM or SIGINT while `worker` runs. */
static volatile sig_atomic_t	worker_stop;

/* `worker`'s SIGTERM and SIGINT: finish the current job, then stop. */
static void
worker_on_signal(int signo)
{
	worker_stop = 1;
}

/*
 * Confines a job runner's writes to tenants_dir and archive_dir, as
 * tenantd confines its own runners (see sandbox.h); both are made first
 * if missing.  A kernel that cannot is reported and tolerated.
 * Returns 0, or -1 after a message.
 */
static int
worker_confine(struct cli *cli)
{
	char	err[512];
	int	confined;

	if ((confined = service_confine_writes(&cli->conf, NULL, 0, err,
	    sizeof(err))) == -1) {
		complain("confining writes: %s", err);
		return -1;
	}
	if (confined == 0)
		log_warning("writes are not confined to tenants_dir and "
		    "archive_dir: %s", err);
	return 0;
}

/*
 * worker [--once]: a job runner in the foreground, the same loop as
 * tenantd's runners (job_runner_loop()).  main() has loaded the
 * configuration; unlike the other database commands it opens the service
 * itself, after its signals are set, and starts while the database is down
 * and waits for it, as a runner under a service manager should.  A signal
 * lets the job in progress finish; the exit status is then 0.
 */
int
ctl_worker(struct cli *cli, const struct cli_options *o)
{
	struct sigaction	sa;
	char			err[512], runner_id[128];

	if (worker_confine(cli) == -1)
		return CLI_FAILED;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1) {
		complain("cannot set up signals: %s", strerror(errno));
		return CLI_FAILED;
	}
	sa.sa_handler = worker_on_signal;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		complain("cannot set up signals: %s", strerror(errno));
		return CLI_FAILED;
	}
	if (service_open(&cli->svc, &cli->conf, err, sizeof(err)) == -1) {
		complain("%s", err);
		return CLI_FAILED;
	}
	cli->service_is_open = 1;
	job_runner_id(runner_id, sizeof(runner_id));
	log_info("job runner %s started", runner_id);
	if (job_runner_loop(&cli->svc, runner_id, &worker_stop,
	    ctl_option_given(o, OPTION_ONCE)) == -1) {
		complain("the job runner could not run");
		return CLI_FAILED;
	}
	log_info("job runner %s stopped", runner_id);
	return CLI_OK;
}

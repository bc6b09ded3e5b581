/*
 * ctl_bulk.c - tenantctl bulk-create and bulk-modules (see ctl_bulk.h).
 *
 * bulk-create reads the whole file (JSON in the API's shape, a bare JSON
 * array, or CSV with a header row, told apart by the extension and else
 * by the first byte), then hands the batch to bulk_create() with
 * skip_present set, so a re-run after an interruption counts what the
 * first run created as "skipped, already present".  Progress goes to
 * standard error, the summary to standard output, the report (--report)
 * to its file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "bulk.h"
#include "ctl_bulk.h"
#include "ctl_common.h"
#include "db.h"
#include "json.h"
#include "module.h"
#include "service.h"
#include "status_http.h"
#include "tenant.h"
#include "tenant_input.h"
#include "validate.h"

#define CTL_FILE_MAX		((off_t)1 << 30)	/* 1 GiB */
#define CTL_ERRORS_SHOWN	20

/* Set by the first SIGINT or SIGTERM. */
static volatile sig_atomic_t	stop_requested;

/*
 * The first SIGINT or SIGTERM: ask the loop to stop after the current
 * chunk.  SA_RESETHAND puts the default action back, so a second one ends
 * the process.
 */
static void
on_stop_signal(int signo)
{
	stop_requested = 1;
}

/* Installs on_stop_signal() for SIGINT and SIGTERM.  Returns 0 or -1. */
static int
catch_stop_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1) {
		complain("cannot set up signals: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* bulk_create()'s progress callback: shows it, stops on request. */
static int
create_progress(void *arg, size_t done, size_t total)
{
	ctl_progress_show(arg, done, total);
	return stop_requested != 0;
}

/*
 * Reads all of `path` (a regular file of at most CTL_FILE_MAX bytes) into
 * `out`.  Returns 0, or -1 after a message.
 */
static int
read_file(const char *path, struct buf *out)
{
	struct stat	st;
	char		chunk[65536];
	ssize_t		n;
	int		fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		complain("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		complain("%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CTL_FILE_MAX) {
		complain("%s: larger than 1 GiB; split it", path);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			complain("%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (buf_append(out, chunk, (size_t)n) == -1) {
			complain("%s: larger than 1 GiB; split it", path);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Does `path` end in `suffix`, ignoring case? */
static int
has_suffix(const char *path, const char *suffix)
{
	size_t	len = strlen(path), slen = strlen(suffix);

	return len >= slen && strcasecmp(path + len - slen, suffix) == 0;
}

/*
 * Is `data` CSV rather than JSON?  The extension decides; without a known
 * one, JSON starts with '{' or '[' after white space.
 */
static int
looks_like_csv(const char *path, const char *data, size_t len)
{
	size_t	i;

	if (has_suffix(path, ".csv"))
		return 1;
	if (has_suffix(path, ".json"))
		return 0;
	for (i = 0; i < len; i++) {
		if (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
		    data[i] == '\n')
			continue;
		return data[i] != '{' && data[i] != '[';
	}
	return 1;
}

/*
 * Reads the batch from the file: `*root` gets the parsed document (to
 * free) and `*tenants` the array in it.  "atomic" and "deploy" of a JSON
 * object are read into *atomic and *deploy.  Returns 0, or -1 after a
 * message.
 */
static int
load_batch(const char *path, struct json_value **root,
    const struct json_value **tenants, int *atomic, int *deploy)
{
	const struct json_value	*v;
	struct buf		 file, converted;
	char			 err[512];
	int			 rc = -1;

	*root = NULL;
	*tenants = NULL;
	buf_init(&file, (size_t)CTL_FILE_MAX);
	buf_init(&converted, BUF_NO_LIMIT);
	if (read_file(path, &file) == -1)
		goto out;
	if (looks_like_csv(path, file.data, file.len)) {
		if (bulk_csv_to_json(file.data, file.len, &converted, err,
		    sizeof(err)) == -1) {
			complain("%s: %s", path, err);
			goto out;
		}
		buf_release(&file);
		file = converted;
		buf_init(&converted, BUF_NO_LIMIT);
	}
	if ((*root = json_parse(file.data, file.len, err,
	    sizeof(err))) == NULL) {
		complain("%s: %s", path, err);
		goto out;
	}
	if ((*root)->type == JSON_ARRAY)
		*tenants = *root;
	else if ((*root)->type == JSON_OBJECT &&
	    (v = json_object_get(*root, "tenants")) != NULL &&
	    v->type == JSON_ARRAY) {
		*tenants = v;
		if ((v = json_object_get(*root, "atomic")) != NULL &&
		    v->type == JSON_BOOL && v->boolean)
			*atomic = 1;
		if ((v = json_object_get(*root, "deploy")) != NULL &&
		    v->type == JSON_BOOL && !v->boolean)
			*deploy = 0;
	} else {
		complain("%s: expected {\"tenants\": [...]} or a list of "
		    "tenants", path);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		json_free(*root);
		*root = NULL;
	}
	buf_release(&file);
	buf_release(&converted);
	return rc;
}

/*
 * Writes the report of `r` as JSON into `path`.  Returns 0, or -1 after a
 * message.
 */
static int
write_report(const char *path, const struct bulk_report *r)
{
	const unsigned char	*text;
	size_t			 len;
	yajl_gen		 g = NULL;
	FILE			*fp = NULL;
	int			 rc = -1;

	if ((g = json_gen_new()) == NULL ||
	    bulk_report_to_json(g, r, status_http_bulk_item_code, NULL,
	    NULL) == -1 ||
	    yajl_gen_get_buf(g, &text, &len) != yajl_gen_status_ok) {
		complain("cannot build the report");
		goto out;
	}
	if ((fp = fopen(path, "w")) == NULL) {
		complain("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fwrite(text, 1, len, fp) != len || fputc('\n', fp) == EOF) {
		complain("%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fp != NULL && fclose(fp) == EOF && rc == 0) {
		complain("%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (g != NULL)
		yajl_gen_free(g);
	return rc;
}

/*
 * Prints the errors of `r` on standard error, the first CTL_ERRORS_SHOWN
 * of them: "item N: message (field: message; ...)".
 */
static void
print_errors(const struct bulk_report *r, const char *report_path)
{
	const struct bulk_item	*item;
	size_t			 i, j, shown = 0;

	for (i = 0; i < r->count && shown < CTL_ERRORS_SHOWN; i++) {
		item = &r->items[i];
		if (item->state != BULK_ITEM_ERROR)
			continue;
		fprintf(stderr, "tenantctl: item %zu%s%s: %s", i,
		    item->subdomain[0] != '\0' ? " " : "", item->subdomain,
		    item->error != NULL ? item->error : "failed");
		for (j = 0; item->fields != NULL && j < item->fields->count;
		    j++)
			fprintf(stderr, "%s%s: %s", j == 0 ? " (" : "; ",
			    item->fields->items[j].field,
			    item->fields->items[j].message);
		fputs(item->fields != NULL && item->fields->count > 0 ?
		    ")\n" : "\n", stderr);
		shown++;
	}
	if (r->errors > shown)
		complain("... and %zu more errors%s%s", r->errors - shown,
		    report_path != NULL ? "; all are in " : "",
		    report_path != NULL ? report_path : "");
}

/*
 * Parses --chunk-size (1..BULK_CHUNK_MAX, default BULK_CHUNK_DEFAULT).
 * Returns 0, or -1 after a message.
 */
static int
chunk_size_parse(const char *text, size_t *out)
{
	const char	*errstr;
	int64_t		 value;

	*out = BULK_CHUNK_DEFAULT;
	if (text == NULL)
		return 0;
	if (parse_int64(text, 1, BULK_CHUNK_MAX, &value, &errstr) == -1) {
		complain("--chunk-size: %s (1 to %d)", errstr, BULK_CHUNK_MAX);
		return -1;
	}
	*out = (size_t)value;
	return 0;
}

/*
 * bulk-create FILE: validates the whole file, creates it chunk by chunk
 * (see ctl_bulk.h), prints the summary and writes the report.
 */
int
ctl_bulk_create(struct service *svc, const struct ctl_bulk_create_args *a)
{
	struct bulk_create_options	 options;
	struct bulk_report		 report;
	struct ctl_progress			 progress;
	struct json_value		*root = NULL;
	const struct json_value		*tenants;
	char				 err[512];
	int				 rc = CLI_FAILED, deploy = 1;
	enum result			 status;

	bulk_report_init(&report);
	memset(&options, 0, sizeof(options));
	ctl_progress_start(&progress, "created");
	if (chunk_size_parse(a->chunk_size, &options.chunk_size) == -1)
		return CLI_USAGE;
	options.atomic = a->atomic;
	if (load_batch(a->path, &root, &tenants, &options.atomic,
	    &deploy) == -1)
		goto out;
	if (catch_stop_signals() == -1)
		goto out;
	options.deploy = deploy && !a->no_deploy;
	options.dry_run = a->dry_run;
	options.skip_present = 1;
	options.progress = create_progress;
	options.progress_arg = &progress;
	ctl_progress_start(&progress, "created");

	err[0] = '\0';
	status = bulk_create(svc, tenants, &options, &report, err, sizeof(err));
	ctl_progress_end(&progress);
	if (status != RESULT_OK) {
		complain("bulk create failed: %s", err[0] != '\0' ? err :
		    "database error");
		goto out;
	}
	print_errors(&report, a->report_path);
	if (a->report_path != NULL && write_report(a->report_path,
	    &report) == -1)
		goto out;
	if (report.dry_run) {
		printf("dry run: %zu valid, %zu skipped (already present), "
		    "%zu errors; nothing was created\n", report.pending,
		    report.skipped, report.errors);
		rc = report.errors > 0 ? CLI_FAILED : CLI_OK;
		goto out;
	}
	printf("created %zu, skipped %zu (already present), errors %zu, "
	    "not created %zu%s\n", report.created, report.skipped,
	    report.errors, report.pending, report.rolled_back ?
	    " (atomic: everything was rolled back)" : "");
	if (report.deployed > 0)
		printf("deployed %zu sites\n", report.deployed);
	if (report.deploy_job_id > 0)
		printf("deploy job %" PRId64 " queued for the other sites\n",
		    report.deploy_job_id);
	if (report.stopped) {
		printf("interrupted: run the same command again to create "
		    "the rest\n");
		rc = CLI_INTERRUPTED;
		goto out;
	}
	rc = bulk_report_success(&report) ? CLI_OK : CLI_FAILED;
out:
	bulk_report_release(&report);
	json_free(root);
	return rc;
}

/*
 * Parses the tenant ids of bulk-modules into a new array.  Returns the
 * array (to free), or NULL after a message.
 */
static int64_t *
ids_parse(char *const *words, int count)
{
	const char	*errstr;
	int64_t		*ids;
	int		 i;

	if ((ids = calloc((size_t)count, sizeof(*ids))) == NULL) {
		complain("out of memory");
		return NULL;
	}
	for (i = 0; i < count; i++) {
		if (parse_int64(words[i], 1, INT64_MAX, &ids[i],
		    &errstr) == -1) {
			complain("\"%s\" is not a tenant id", words[i]);
			free(ids);
			return NULL;
		}
	}
	return ids;
}

/*
 * Changes one chunk of ids, adding what happened to the totals.  Returns
 * 0, or -1 after a message.
 */
static int
modules_chunk(struct service *svc, const struct ctl_bulk_modules_args *a,
    const int64_t *ids, size_t count, size_t *updated, size_t *missing)
{
	struct bulk_modules_result	res;
	char				err[512];
	size_t				i;
	enum result			status;

	bulk_modules_result_init(&res);
	err[0] = '\0';
	status = bulk_update_modules(svc, ids, count, a->module_key,
	    a->enabled, 0, &res, err, sizeof(err));
	if (status == RESULT_OK) {
		*updated += res.updated_count;
		*missing += res.not_found_count;
		for (i = 0; i < res.not_found_count; i++)
			complain("no tenant with id %" PRId64,
			    res.not_found[i]);
	} else if (status == RESULT_NOT_FOUND)
		complain("unknown module \"%s\"", a->module_key);
	else if (status == RESULT_INVALID)
		complain("module \"%s\" is a core module and cannot be "
		    "disabled", a->module_key);
	else
		complain("%s", err[0] != '\0' ? err : "database error");
	bulk_modules_result_release(&res);
	return status == RESULT_OK ? 0 : -1;
}

/*
 * The number of tenants, for the progress of --all.  Returns it, or 0
 * when it cannot be counted (the display then has no total).
 */
static size_t
tenant_total(struct service *svc)
{
	struct module_catalog		cat;
	struct tenant_statistics	st;
	size_t				total = 0;

	module_catalog_init(&cat);
	if (tenant_statistics_load(svc->db, &cat, &st) == 0) {
		total = st.total > 0 ? (size_t)st.total : 0;
		tenant_statistics_release(&st);
	}
	module_catalog_release(&cat);
	return total;
}

/*
 * bulk-modules: sets one module of the given tenants, or of all of them,
 * BULK_IDS_CHUNK per transaction, with progress and a summary.
 */
int
ctl_bulk_modules(struct service *svc, const struct ctl_bulk_modules_args *a)
{
	struct ctl_progress	 progress;
	int64_t		*ids = NULL, page[BULK_IDS_CHUNK], after = 0;
	size_t		 total, done = 0, updated = 0, missing = 0, n;
	long		 got;
	int		 rc = CLI_FAILED, interrupted = 0;

	if (a->all == (a->id_count > 0)) {
		complain("give either --all or tenant ids");
		return CLI_USAGE;
	}
	if (!a->all && (ids = ids_parse(a->ids, a->id_count)) == NULL)
		return CLI_USAGE;
	ctl_progress_start(&progress, "updated");
	if (catch_stop_signals() == -1)
		goto out;
	total = a->all ? tenant_total(svc) : (size_t)a->id_count;
	for (;;) {
		if (a->all) {
			if ((got = bulk_next_ids(svc->db, after, page,
			    BULK_IDS_CHUNK)) == -1) {
				complain("cannot list tenants: %s",
				    db_error(svc->db));
				goto out;
			}
			if (got == 0)
				break;
			n = (size_t)got;
			after = page[n - 1];
			if (modules_chunk(svc, a, page, n, &updated,
			    &missing) == -1)
				goto out;
		} else {
			if (done >= (size_t)a->id_count)
				break;
			n = (size_t)a->id_count - done < BULK_IDS_CHUNK ?
			    (size_t)a->id_count - done : BULK_IDS_CHUNK;
			if (modules_chunk(svc, a, ids + done, n, &updated,
			    &missing) == -1)
				goto out;
		}
		done += n;
		ctl_progress_show(&progress, done, total > done ? total : done);
		if (stop_requested) {
			interrupted = 1;
			break;
		}
	}
	ctl_progress_end(&progress);
	printf("updated %zu tenants: module %s %s; not found %zu\n", updated,
	    a->module_key, a->enabled ? "enabled" : "disabled", missing);
	if (interrupted) {
		printf("interrupted: run the same command again to finish\n");
		rc = CLI_INTERRUPTED;
		goto out;
	}
	rc = missing > 0 ? CLI_FAILED : CLI_OK;
out:
	ctl_progress_end(&progress);
	free(ids);
	return rc;
}

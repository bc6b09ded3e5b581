/*
 * template.c - template versions for the rest of tenantd (template.h):
 * adding one (the store's files, then the row), the default version with
 * template_dir kept in the store, and the per-process manifests of
 * versions.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "db.h"
#include "deploy_copy.h"
#include "error.h"
#include "job.h"
#include "job_names.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "package_json.h"
#include "service.h"
#include "template.h"
#include "template_files.h"
#include "template_meta.h"
#include "template_rows.h"
#include "template_store.h"
#include "tenant.h"

/* The store's descriptor, opened and made on first use. */
int
template_store_fd(struct service *svc)
{
	if (svc->template_store_fd == -1)
		svc->template_store_fd = template_store_open(svc->tenants_dirfd,
		    1);
	return svc->template_store_fd;
}

/* A template's name and web root into a version's row (template.h). */
int
template_version_meta_at(int dirfd, struct template_version *v, char *err,
    size_t errlen)
{
	struct template_meta	meta;

	if (template_meta_read_at(&meta, dirfd, err, errlen) == -1)
		return -1;
	if (strlen(meta.name) >= sizeof(v->name) ||
	    strlen(meta.web_root) >= sizeof(v->web_root)) {
		error_set(err, errlen, "tenantd-template.json: web_root is too "
		    "long");
		return -1;
	}
	snprintf(v->name, sizeof(v->name), "%s", meta.name);
	snprintf(v->web_root, sizeof(v->web_root), "%s", meta.web_root);
	return 0;
}

/*
 * Checks that the template in `dir`, whose manifest is `m`, deploys as
 * its web root asks: the split of template_files_split(), and a
 * package.json at the top that each tenant's can be made from.  Returns
 * 0, or -1 with `err` set.
 */
static int
check_split(const struct manifest *m, const char *dir, const char *web_root,
    char *err, size_t errlen)
{
	struct template_files	f;
	struct buf		package, customised;
	struct stat		st;
	char			problem[256];
	int			dirfd = -1, fd = -1, rc = -1;

	template_files_init(&f);
	buf_init(&package, PACKAGE_JSON_INPUT_MAX);
	buf_init(&customised, 2 * PACKAGE_JSON_INPUT_MAX);
	f.manifest = *m;	/* borrowed: only the split lists are freed */
	snprintf(f.web_root, sizeof(f.web_root), "%s", web_root);
	if (template_files_split(&f, err, errlen) == -1)
		goto out;
	if (f.package_json == NULL) {
		rc = 0;
		goto out;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    manifest_file_open_at(dirfd, PACKAGE_JSON_FILE, &fd, &st) != 1 ||
	    buf_read_fd(&package, fd) == -1) {
		error_set(err, errlen, "package.json: cannot read it");
		rc = -1;
		goto out;
	}
	if (package_json_customise(package.data, package.len, "check",
	    "Check", &customised, problem, sizeof(problem)) == -1) {
		error_set(err, errlen, "%s", problem);
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (dirfd != -1)
		close(dirfd);
	buf_release(&package);
	buf_release(&customised);
	free(f.web.entries);
	free(f.source.entries);
	return rc;
}

/*
 * Reads what tenantd-template.json of the template in `dir` says into
 * `v` (name and web root; none: the whole tree is the web root).
 * Returns 0, or -1 with `err` set.
 */
static int
read_meta(const char *dir, struct template_version *v, char *err,
    size_t errlen)
{
	int	fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		error_set(err, errlen, "cannot open the template directory: "
		    "%s", strerror(errno));
		return -1;
	}
	rc = template_version_meta_at(fd, v, err, errlen);
	close(fd);
	return rc;
}

/* Stores a template directory as a version (template.h). */
enum result
template_add(struct service *svc, const char *dir, const char *manifest_path,
    int from_template_dir, struct template_version *out, int *added,
    char *err, size_t errlen)
{
	struct template_version	v;
	struct manifest		m;
	char			current[16];
	enum result		status = RESULT_FAILED;
	int			stored, inserted = 0, store, rc;

	*added = 0;
	memset(&v, 0, sizeof(v));
	manifest_init(&m);
	if (manifest_path != NULL) {
		if (manifest_read(&m, manifest_path, err, errlen) == -1)
			goto out;
	} else if (manifest_build(&m, dir, err, errlen) == -1) {
		status = RESULT_INVALID;
		goto out;
	}
	if (m.count == 0) {
		error_set(err, errlen, "the template has no files");
		status = RESULT_INVALID;
		goto out;
	}
	if (read_meta(dir, &v, err, errlen) == -1 ||
	    check_split(&m, dir, v.web_root, err, errlen) == -1) {
		status = RESULT_INVALID;
		goto out;
	}
	if (template_version_of(&m, v.version) == -1) {
		error_set(err, errlen, "cannot name the version");
		goto out;
	}
	if ((store = template_store_fd(svc)) == -1) {
		error_set(err, errlen, "cannot open the template store: %s",
		    strerror(errno));
		goto out;
	}
	if ((stored = template_store_add(store, dir, &m, v.version, err,
	    errlen)) == -1)
		goto out;
	v.files = (int64_t)m.count;
	v.bytes = (int64_t)m.total_bytes;
	snprintf(v.source, sizeof(v.source), "%s", from_template_dir ?
	    "template_dir" : "added");
	if (db_ensure(svc->db) == -1 ||
	    template_rows_insert(svc->db, &v, from_template_dir,
	    &inserted) == -1 ||
	    (rc = template_rows_default(svc->db, current)) == -1 ||
	    (rc == 0 && template_rows_set_default(svc->db, v.version) == -1) ||
	    template_rows_find(svc->db, v.version, out) != 1) {
		status = db_failure_status(svc->db, "could not record the "
		    "template version", err, errlen);
		goto out;
	}
	*added = stored == 1 || inserted;
	if (stored == 2)
		log_warning("template version %s was damaged in the store and "
		    "is restored from this copy; run tenantctl fsck --repair "
		    "to redeploy the tenants on it", v.version);
	if (*added)
		log_info("template version %s stored (%zu files, %llu bytes, "
		    "from %s)", v.version, m.count,
		    (unsigned long long)m.total_bytes, v.source);
	status = RESULT_OK;
out:
	manifest_release(&m);
	return status;
}

/*
 * Stores template_dir when its manifest changed since this process last
 * looked and holds a version not in the rows yet (template.h).  Costs a
 * stat() when nothing changed.  Returns RESULT_OK or a failure.
 */
static enum result
template_dir_sync(struct service *svc, char *err, size_t errlen)
{
	const struct conf	*c = svc->conf;
	struct template_version	 v;
	struct manifest		 m;
	struct stat		 st;
	char			 version[16];
	enum result		 status = RESULT_FAILED;
	int			 added, rc;

	if (c->template_dir == NULL || c->template_manifest == NULL)
		return RESULT_OK;
	if (stat(c->template_manifest, &st) == -1) {
		error_set(err, errlen, "cannot read the template manifest: %s",
		    strerror(errno));
		return RESULT_FAILED;
	}
	if (svc->template_dir_seen &&
	    svc->template_dir_dev == (uint64_t)st.st_dev &&
	    svc->template_dir_inode == (uint64_t)st.st_ino &&
	    svc->template_dir_size == (int64_t)st.st_size &&
	    svc->template_dir_mtime_ns == stat_mtime_ns(&st))
		return RESULT_OK;
	manifest_init(&m);
	if (manifest_read(&m, c->template_manifest, err, errlen) == -1 ||
	    template_version_of(&m, version) == -1)
		goto out;
	if (db_ensure(svc->db) == -1 ||
	    (rc = template_rows_find(svc->db, version, &v)) == -1) {
		status = db_failure_status(svc->db, "could not read the "
		    "template versions", err, errlen);
		goto out;
	}
	if (rc == 0 && (status = template_add(svc, c->template_dir,
	    c->template_manifest, 1, &v, &added, err, errlen)) != RESULT_OK)
		goto out;
	svc->template_dir_seen = 1;
	svc->template_dir_dev = (uint64_t)st.st_dev;
	svc->template_dir_inode = (uint64_t)st.st_ino;
	svc->template_dir_size = (int64_t)st.st_size;
	svc->template_dir_mtime_ns = stat_mtime_ns(&st);
	status = RESULT_OK;
out:
	manifest_release(&m);
	return status;
}

/* The default version, template_dir stored first when it changed. */
enum result
template_default(struct service *svc, char *version, char *err,
    size_t errlen)
{
	enum result	status;
	int		rc;

	if ((status = template_dir_sync(svc, err, errlen)) != RESULT_OK)
		return status;
	if (db_ensure(svc->db) == -1 ||
	    (rc = template_rows_default(svc->db, version)) == -1)
		return db_failure_status(svc->db, "could not read the default "
		    "template version", err, errlen);
	if (rc == 0) {
		error_set(err, errlen, "there is no template version; add one "
		    "with tenantctl template add");
		return RESULT_NOT_FOUND;
	}
	return RESULT_OK;
}

/*
 * The files of a stored version, from the process's slots or loaded into
 * the next one (the oldest is let go).  Returns them, or NULL with `err`
 * set.
 */
const struct template_files *
template_files_of(struct service *svc, const char *version, char *err,
    size_t errlen)
{
	struct service_template	*slot;
	struct template_files	*fresh;
	size_t			 i;
	int			 store;

	for (i = 0; i < SERVICE_TEMPLATE_SLOTS; i++)
		if (svc->templates[i].files != NULL &&
		    strcmp(svc->templates[i].version, version) == 0)
			return svc->templates[i].files;
	if ((store = template_store_fd(svc)) == -1) {
		error_set(err, errlen, "cannot open the template store: %s",
		    strerror(errno));
		return NULL;
	}
	if ((fresh = malloc(sizeof(*fresh))) == NULL) {
		error_set(err, errlen, "out of memory");
		return NULL;
	}
	template_files_init(fresh);
	if (template_store_load(store, version, fresh, err, errlen) == -1) {
		free(fresh);
		return NULL;
	}
	slot = &svc->templates[svc->template_next_slot];
	svc->template_next_slot = (svc->template_next_slot + 1) %
	    SERVICE_TEMPLATE_SLOTS;
	if (slot->files != NULL)
		template_files_release(slot->files);
	free(slot->files);
	slot->files = fresh;
	snprintf(slot->version, sizeof(slot->version), "%s", version);
	return fresh;
}

/* The version a tenant is judged against, and its files. */
const struct template_files *
template_files_of_tenant(struct service *svc, const struct tenant *t,
    char *version, char *err, size_t errlen)
{
	if (t->template_version[0] != '\0')
		snprintf(version, 16, "%s", t->template_version);
	else if (template_default(svc, version, err, errlen) != RESULT_OK)
		return NULL;
	return template_files_of(svc, version, err, errlen);
}

/* The largest rollout payload: a million ids of up to 19 digits. */
#define ROLLOUT_PAYLOAD_MAX	(24 * 1024 * 1024)

/* The payload of a rollout job into `out`.  0 or -1. */
static int
rollout_payload(const char *version, int force, const int64_t *ids,
    size_t count, struct buf *out)
{
	yajl_gen	g;
	size_t		i;
	int		rc = -1;

	if ((g = json_gen_new()) == NULL)
		return -1;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "version", version) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "force", force) != yajl_gen_status_ok ||
	    json_gen_key(g, "tenant_ids") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < count; i++)
		if (yajl_gen_integer(g, (long long)ids[i]) !=
		    yajl_gen_status_ok)
			goto out;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_to_buf(g, out) == -1)
		goto out;
	rc = 0;
out:
	yajl_gen_free(g);
	return rc;
}

/* Queues a rollout job (template.h). */
enum result
template_rollout_queue(struct service *svc, const char *version,
    const int64_t *ids, size_t count, int percent, int force,
    int64_t user_id, int64_t *job_id, size_t *tenants, char *err,
    size_t errlen)
{
	struct buf	 payload;
	int64_t		*chosen = NULL;
	char		 detail[128];
	enum result	 status = RESULT_NO_MEMORY;

	*job_id = 0;
	*tenants = 0;
	buf_init(&payload, ROLLOUT_PAYLOAD_MAX);
	if (percent > 0) {
		if (template_rows_rollout_tenants(svc->db, version, percent,
		    force, &chosen, &count) == -1) {
			status = db_failure_status(svc->db, "could not choose "
			    "the tenants", err, errlen);
			goto out;
		}
		ids = chosen;
	}
	if (rollout_payload(version, force, ids, count, &payload) == -1) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	if (job_enqueue(svc->db, JOB_KIND_ROLLOUT, 0, payload.data, user_id,
	    job_id) == -1) {
		status = db_failure_status(svc->db, "could not queue the "
		    "rollout", err, errlen);
		goto out;
	}
	snprintf(detail, sizeof(detail), "version %s, %zu tenants%s, job %lld",
	    version, count, force ? ", force" : "", (long long)*job_id);
	if (audit_record(svc->db, user_id, 0, "template.rollout",
	    detail) == -1)
		log_warning("rollout to %s: could not record it in the audit "
		    "log: %s", version, db_error(svc->db));
	*tenants = count;
	status = RESULT_OK;
out:
	buf_release(&payload);
	free(chosen);
	return status;
}

/*
 * lifecycle.c - archiving and restoring tenants: the folder moved between
 * tenants_dir and archive_dir and the row's is_active flag changed, in the
 * order lifecycle.h documents, so that a crash at any step leaves a state
 * that running the operation again (or tenantctl fsck) completes.
 *
 * Both operations are one routine driven by a table of what differs
 * (where the folder comes from and goes to, the row's target state), so
 * the crash cases are handled once.  Folders move with
 * folder_rename_noreplace() (folder.h): nothing here may ever replace a
 * folder.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "config_file.h"
#include "crash.h"
#include "db.h"
#include "error.h"
#include "folder.h"
#include "job.h"
#include "job_names.h"
#include "lifecycle.h"
#include "log.h"
#include "module.h"
#include "service.h"
#include "tenant.h"
#include "tenant_lock.h"
#include "validate.h"

/* What distinguishes archive from restore. */
struct operation {
	const char	*lock_name;	/* tenant_lock operation */
	const char	*audit_action;
	int		 target_active;	/* is_active once done */
	unsigned	 source;	/* LIFECYCLE_IN_* the folder leaves */
	unsigned	 target;	/* LIFECYCLE_IN_* the folder reaches */
	int		 check_jobs;	/* refuse while a deploy job waits */
	int		 write_config;	/* rewrite config.json when done */
	const char	*sql;		/* the row's change */
};

static const struct operation archive_operation = {
	"archive", "tenant.archive", 0,
	LIFECYCLE_IN_TENANTS, LIFECYCLE_IN_ARCHIVE, 1, 0,
	"UPDATE tenants SET is_active = 0, archived_at = UTC_TIMESTAMP(), "
	"updated_at = UTC_TIMESTAMP(6) WHERE id = ?"
};

static const struct operation restore_operation = {
	"restore", "tenant.restore", 1,
	LIFECYCLE_IN_ARCHIVE, LIFECYCLE_IN_TENANTS, 0, 1,
	"UPDATE tenants SET is_active = 1, archived_at = NULL, "
	"updated_at = UTC_TIMESTAMP(6) WHERE id = ?"
};

/* The job kinds that make an archive wait (job.h). */
static const char *const deploy_job_kinds[] = { JOB_KIND_DEPLOY, NULL };


/* Is `name` a directory (not a symlink) in `dirfd`?  1, 0, or -1. */
static int
directory_exists(int dirfd, const char *name)
{
	struct stat	st;

	if (dirfd == -1)
		return 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	return S_ISDIR(st.st_mode) ? 1 : 0;
}

/*
 * Finds where the folder `subdomain` is (see lifecycle.h).  Called by
 * archive/restore and by fsck for every tenant.  Returns 0 or -1.
 */
int
lifecycle_locate(int tenants_dirfd, int archive_dirfd, const char *subdomain,
    unsigned *where)
{
	int	found;

	*where = 0;
	if (validate_subdomain(subdomain, strlen(subdomain)) != NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((found = directory_exists(tenants_dirfd, subdomain)) == -1)
		return -1;
	if (found)
		*where |= LIFECYCLE_IN_TENANTS;
	if ((found = directory_exists(archive_dirfd, subdomain)) == -1)
		return -1;
	if (found)
		*where |= LIFECYCLE_IN_ARCHIVE;
	return 0;
}

/* The directory descriptor of place `where` (a LIFECYCLE_IN_* bit). */
static int
place_fd(struct service *svc, int archive_fd, unsigned where)
{
	return where == LIFECYCLE_IN_TENANTS ? svc->tenants_dirfd : archive_fd;
}

/*
 * Moves the folder of `sub` from the operation's source to its target and
 * syncs both directories.  Returns OK, CONFLICT (target taken) or FAILED.
 */
static enum result
move_folder(struct service *svc, int archive_fd, const struct operation *op,
    const char *sub, char *err, size_t errlen)
{
	int	from = place_fd(svc, archive_fd, op->source);
	int	to = place_fd(svc, archive_fd, op->target);

	if (folder_rename_noreplace(from, sub, to, sub) == -1) {
		if (errno == EEXIST || errno == ENOTEMPTY) {
			error_set(err, errlen, "a folder named %s is already "
			    "in the %s directory; run tenantctl fsck", sub,
			    op->target == LIFECYCLE_IN_TENANTS ? "tenants" :
			    "archive");
			return RESULT_CONFLICT;
		}
		if (errno == EXDEV) {
			log_error("archive_dir and tenants_dir are on "
			    "different filesystems");
			error_set(err, errlen, "archive_dir and tenants_dir "
			    "are on different filesystems; the folder is "
			    "moved with rename(), so they must share one");
			return RESULT_FAILED;
		}
		return folder_failure(sub, "could not move the tenant folder",
		    err, errlen);
	}
	if (fsync(to) == -1 || fsync(from) == -1)
		return folder_failure(sub, "could not sync the move",
		    err, errlen);
	return RESULT_OK;
}

/* Puts a moved folder back where it came from, after a later failure. */
static void
move_folder_back(struct service *svc, int archive_fd,
    const struct operation *op, const char *sub)
{
	int	from = place_fd(svc, archive_fd, op->target);
	int	to = place_fd(svc, archive_fd, op->source);

	if (folder_rename_noreplace(from, sub, to, sub) == -1 ||
	    fsync(to) == -1 || fsync(from) == -1)
		log_error("could not move the folder of %s back after a "
		    "failed %s: %s; tenantctl fsck will complete it", sub,
		    op->lock_name, strerror(errno));
}

/*
 * Writes tenant `t`'s config.json into tenants_dir/<sub>, so a restored
 * tenant serves what the database holds.  Returns OK or FAILED.
 */
static enum result
rewrite_config(struct service *svc, const struct tenant *t, char *err,
    size_t errlen)
{
	struct module_catalog	cat;
	enum result		status = RESULT_OK;

	module_catalog_init(&cat);
	if (module_catalog_load(&cat, svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not load the modules", err, errlen);
		goto out;
	}
	if (config_write_atomic_with(svc, t, &cat) == -1)
		status = folder_failure(t->subdomain,
		    "could not write config.json", err, errlen);
out:
	module_catalog_release(&cat);
	return status;
}

/*
 * The steps of lifecycle.h for tenant `t`, locked and loaded inside an
 * open transaction, which this function commits when the row changes.
 * Decides from where the folder is and whether the row already has the
 * target state:
 *   row done, folder at target or nowhere to move from: nothing to do;
 *   folder at source only: move it (and change the row if not done);
 *   folder at target only, row not done: change the row (crash case);
 *   folder in both places, row not done: archive puts the old archived
 *     copy aside first, restore refuses (CONFLICT);
 *   folder nowhere, row not done: CONFLICT, fsck must look.
 * On success *committed says whether it committed.  Returns the status.
 */
static enum result
apply(struct service *svc, int archive_fd, const struct operation *op,
    struct tenant *t, int64_t user_id, int *committed, char *err,
    size_t errlen)
{
	struct db_param		id;
	char			aside[NAME_MAX + 1];
	unsigned		where;
	int			done, at_source, at_target, moved = 0;
	enum result		status;

	*committed = 0;
	if (lifecycle_locate(svc->tenants_dirfd, archive_fd, t->subdomain,
	    &where) == -1)
		return folder_failure(t->subdomain,
		    "could not look for the tenant folder", err, errlen);
	done = (t->is_active != 0) == op->target_active;
	at_source = (where & op->source) != 0;
	at_target = (where & op->target) != 0;

	if (done && (at_target || !at_source))
		return RESULT_OK;
	if (!done && !at_source && !at_target) {
		error_set(err, errlen, "the tenant folder is missing from "
		    "both the tenants and the archive directory; run "
		    "tenantctl fsck");
		return RESULT_CONFLICT;
	}
	if (!done && at_source && at_target) {
		if (op->target != LIFECYCLE_IN_ARCHIVE) {
			error_set(err, errlen, "a folder named %s is already "
			    "in the tenants directory; run tenantctl fsck",
			    t->subdomain);
			return RESULT_CONFLICT;
		}
		if (folder_move_aside(archive_fd, t->subdomain, archive_fd,
		    ".old-", aside, sizeof(aside)) == -1)
			return folder_failure(t->subdomain, "could not put an "
			    "older archived folder aside", err, errlen);
		log_info("archive: an older folder of %s was put aside as %s",
		    t->subdomain, aside);
		at_target = 0;
	}
	if (at_source && !at_target) {
		status = move_folder(svc, archive_fd, op, t->subdomain, err,
		    errlen);
		if (status != RESULT_OK)
			return status;
		moved = 1;
		crash_point(op->target_active ? "restore.after_rename" :
		    "archive.after_rename");
	}

	if (op->write_config && (status = rewrite_config(svc, t, err,
	    errlen)) != RESULT_OK)
		goto fail;
	if (done)
		return RESULT_OK;

	id = db_int(t->id);
	if (db_exec(svc->db, op->sql, &id, 1, NULL, NULL) == -1 ||
	    audit_record(svc->db, user_id, t->id, op->audit_action,
	    t->subdomain) == -1) {
		status = db_failure_status(svc->db,
		    "could not save the tenant", err, errlen);
		goto fail;
	}
	crash_point(op->target_active ? "restore.before_commit" :
	    "archive.before_commit");
	if (db_commit(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not commit the change", err, errlen);
		goto fail;
	}
	*committed = 1;
	return RESULT_OK;
fail:
	if (moved)
		move_folder_back(svc, archive_fd, op, t->subdomain);
	return status;
}

/*
 * Runs `op` on tenant `id`: existence check, tenant lock, deploy jobs (for
 * archive), then apply() under the row lock.  `out` gets the tenant as
 * it is afterwards.  Returns the status.
 */
static enum result
run(struct service *svc, const struct operation *op, int64_t id,
    int64_t user_id, struct tenant *out, char *err, size_t errlen)
{
	struct tenant_lock	lock;
	struct tenant		t;
	int			archive_fd = -1, in_transaction = 0;
	int			committed = 0, found, active;
	enum result		status = RESULT_FAILED;

	memset(&lock, 0, sizeof(lock));
	tenant_init(&t);
	if (db_ensure(svc->db) == -1) {
		error_set(err, errlen, "the database is unavailable");
		return RESULT_DB_DOWN;
	}
	if ((found = tenant_find_by_id(svc->db, id, &t)) == 0) {
		error_set(err, errlen, "tenant not found");
		status = RESULT_NOT_FOUND;
		goto out;
	}
	if (found == -1) {
		status = db_failure_status(svc->db,
		    "could not load the tenant", err, errlen);
		goto out;
	}

	found = tenant_lock_acquire(svc->db, svc->conf, id, op->lock_name,
	    &lock);
	if (found == 0) {
		error_set(err, errlen, "another deploy, archive or restore of "
		    "this tenant is running");
		status = RESULT_BUSY;
		goto out;
	}
	if (found == -1) {
		status = db_failure_status(svc->db,
		    "could not lock the tenant", err, errlen);
		goto out;
	}
	if (op->check_jobs) {
		active = job_active_for_tenant(svc->db, id, deploy_job_kinds);
		if (active == 1) {
			error_set(err, errlen, "a deploy of this tenant is "
			    "queued or running");
			status = RESULT_BUSY;
			goto out;
		}
		if (active == -1) {
			status = db_failure_status(svc->db,
			    "could not look for deploy jobs", err, errlen);
			goto out;
		}
	}
	if ((archive_fd = folder_open_archive_dir(svc->conf, 1)) == -1) {
		status = folder_failure(t.subdomain,
		    "could not open the archive directory", err, errlen);
		goto out;
	}

	if (db_begin(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not start a transaction", err, errlen);
		goto out;
	}
	in_transaction = 1;
	if ((found = tenant_lock_row(svc->db, id, &t)) == 0) {
		error_set(err, errlen, "tenant not found");
		status = RESULT_NOT_FOUND;
		goto out;
	}
	if (found == -1) {
		status = db_failure_status(svc->db,
		    "could not load the tenant", err, errlen);
		goto out;
	}
	if (validate_subdomain(t.subdomain, strlen(t.subdomain)) != NULL) {
		error_set(err, errlen, "the stored subdomain is not valid");
		goto out;
	}
	status = apply(svc, archive_fd, op, &t, user_id, &committed, err,
	    errlen);
	if (committed)
		in_transaction = 0;
	if (status == RESULT_OK && committed)
		log_info("tenant %lld (%s): %s done", (long long)id,
		    t.subdomain, op->lock_name);
out:
	if (in_transaction)
		db_rollback(svc->db);
	if (tenant_lock_release(svc->db, &lock) == -1)
		log_warning("could not release the lock of tenant %lld: %s",
		    (long long)id, db_error(svc->db));
	if (status == RESULT_OK && out != NULL) {
		tenant_release(out);
		tenant_init(out);
		found = tenant_find_by_id(svc->db, id, out);
		if (found != 1) {
			status = found == 0 ? RESULT_NOT_FOUND :
			    db_failure_status(svc->db,
			    "could not load the tenant", err, errlen);
			if (found == 0)
				error_set(err, errlen, "tenant not found");
		}
	}
	if (archive_fd != -1)
		close(archive_fd);
	tenant_release(&t);
	return status;
}

/*
 * Archives tenant `id` (see lifecycle.h).  Called by POST
 * /api/tenants/{id}/archive/, `tenantctl tenant archive` and fsck.
 */
enum result
lifecycle_archive(struct service *svc, int64_t id, int64_t user_id,
    struct tenant *out, char *err, size_t errlen)
{
	return run(svc, &archive_operation, id, user_id, out, err, errlen);
}

/*
 * Restores tenant `id` (see lifecycle.h).  Called by POST
 * /api/tenants/{id}/restore/, `tenantctl tenant restore` and fsck.
 */
enum result
lifecycle_restore(struct service *svc, int64_t id, int64_t user_id,
    struct tenant *out, char *err, size_t errlen)
{
	return run(svc, &restore_operation, id, user_id, out, err, errlen);
}

/*
 * service.c - opening what one process works with: the tenants directory,
 * libmagic and the database connection.
 *
 * A database that is down at start is not an error: workers must start and
 * answer 503 until it comes back, and db_ensure() reconnects later.  A
 * tenants directory that cannot be created or opened, or a magic database
 * that cannot be loaded, is an error: nothing would work without them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "manifest.h"
#include "template_files.h"
#include "mime.h"
#include "sandbox.h"
#include "service.h"

#define SERVICE_PATH_MAX	4096
/* Directories besides tenants_dir and archive_dir a process may write. */
#define SERVICE_EXTRA_DIRS_MAX	4

/*
 * Creates directory `path` and its missing parents with `mode`, like
 * mkdir -p.  An existing directory is fine.  Returns 0, or -1 with errno.
 */
static int
make_directories(const char *path, mode_t mode)
{
	char copy[SERVICE_PATH_MAX];
	struct stat st;
	size_t len, i;

	len = strlen(path);
	if (len == 0 || len >= sizeof(copy)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(copy, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (copy[i] != '/' && copy[i] != '\0')
			continue;
		if (copy[i - 1] == '/')
			continue;
		copy[i] = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST)
			return -1;
		copy[i] = path[i];
	}
	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/*
 * Creates tenants_dir and archive_dir with their missing parents where
 * they do not exist.  Returns 0, or -1 with a message in `err`.
 */
static int
service_make_directories(const struct conf *c, char *err, size_t errlen)
{
	const char	*dirs[2];
	size_t		 i;

	dirs[0] = c->tenants_dir;
	dirs[1] = c->archive_dir;
	for (i = 0; i < 2; i++) {
		if (dirs[i] == NULL || dirs[i][0] == '\0') {
			snprintf(err, errlen, "%s is not set",
			    i == 0 ? "tenants_dir" : "archive_dir");
			return -1;
		}
		if (make_directories(dirs[i], 0755) == -1) {
			snprintf(err, errlen, "cannot create %s: %s", dirs[i],
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Confines writes to the service's directories (see service.h). */
int
service_confine_writes(const struct conf *c, const char *const *extra,
    size_t extra_count, char *err, size_t errlen)
{
	const char	*dirs[2 + SERVICE_EXTRA_DIRS_MAX];
	size_t		 i;

	if (extra_count > SERVICE_EXTRA_DIRS_MAX) {
		snprintf(err, errlen, "too many directories to allow");
		return -1;
	}
	if (service_make_directories(c, err, errlen) == -1)
		return -1;
	dirs[0] = c->tenants_dir;
	dirs[1] = c->archive_dir;
	for (i = 0; i < extra_count; i++)
		dirs[2 + i] = extra[i];
	return sandbox_confine_writes(dirs, 2 + extra_count, err, errlen);
}

/*
 * Opens everything `c` describes into `svc`.  Called once per process,
 * after fork in the workers.  Returns 0, or -1 with a message in `err` and
 * `svc` closed.
 */
int
service_open(struct service *svc, const struct conf *c, char *err,
    size_t errlen)
{
	memset(svc, 0, sizeof(*svc));
	svc->tenants_dirfd = -1;
	svc->template_store_fd = -1;
	svc->conf = c;

	if (c->tenants_dir == NULL) {
		snprintf(err, errlen, "tenants_dir is not set");
		goto fail;
	}
	if (make_directories(c->tenants_dir, 0755) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", c->tenants_dir,
		    strerror(errno));
		goto fail;
	}
	/*
	 * No O_NOFOLLOW: the configured path may legitimately be a symlink
	 * (e.g. onto a data volume).  What lies below it is opened relative
	 * to this descriptor without following links.
	 */
	if ((svc->tenants_dirfd = open(c->tenants_dir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", c->tenants_dir,
		    strerror(errno));
		goto fail;
	}
	if ((svc->mime = mime_open()) == NULL) {
		snprintf(err, errlen, "cannot load the libmagic database");
		goto fail;
	}
	if ((svc->db = db_open(c)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (db_unavailable(svc->db))
		log_warning("database unavailable at start: %s",
		    db_error(svc->db));
	return 0;
fail:
	service_close(svc);
	return -1;
}

/*
 * Closes the connection, the magic handle, the directories (tenants and
 * template store) and frees the cached template manifests.  Accepts a
 * service that failed to open or was closed already; the conf stays the
 * caller's.
 */
void
service_close(struct service *svc)
{
	size_t	i;

	if (svc == NULL)
		return;
	db_close(svc->db);
	svc->db = NULL;
	mime_close(svc->mime);
	svc->mime = NULL;
	if (svc->tenants_dirfd != -1)
		close(svc->tenants_dirfd);
	svc->tenants_dirfd = -1;
	if (svc->template_store_fd != -1)
		close(svc->template_store_fd);
	svc->template_store_fd = -1;
	for (i = 0; i < SERVICE_TEMPLATE_SLOTS; i++) {
		if (svc->templates[i].files != NULL)
			template_files_release(svc->templates[i].files);
		free(svc->templates[i].files);
		svc->templates[i].files = NULL;
		svc->templates[i].version[0] = '\0';
	}
}

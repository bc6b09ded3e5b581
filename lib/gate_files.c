/*
 * gate_files.c - tenants/<sub>/.gate/, the module gate as files (see
 * gate_files.h for why the order of the steps matters).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_modules.h"
#include "gate_files.h"
#include "validate.h"

/* Readable by the web server, whatever the umask (as the folder's files). */
#define GATE_FILE_MODE	0644
#define GATE_DIR_MODE	0755

/* What to do with the entries of .gate/ (walk_entries()). */
enum gate_walk {
	WALK_REMOVE,		/* remove those that are not enabled files */
	WALK_COUNT		/* count them, change nothing */
};

/*
 * The enabled modules of config.json bytes into *flags / *count (the
 * caller frees *flags).  Bytes without a valid "modules" map enable
 * nothing.  Returns 0, or -1 with errno ENOMEM.
 */
static int
enabled_modules(const char *config, size_t len,
    struct config_module_flag **flags, size_t *count)
{
	int rc;

	*flags = NULL;
	*count = 0;
	if (config == NULL || len == 0)
		return 0;
	rc = config_modules_parse(config, len, flags, count);
	if (rc == -1) {
		errno = ENOMEM;
		return -1;
	}
	if (rc == 0) {
		*flags = NULL;
		*count = 0;
	}
	return 0;
}

/* Is entry `name` of .gate/ the file of an enabled module? */
static int
entry_wanted(int gate_dir, const char *name,
    const struct config_module_flag *flags, size_t count)
{
	struct stat st;

	if (validate_module_key(name, strlen(name)) != NULL ||
	    !config_modules_enabled(flags, count, name))
		return 0;
	return fstatat(gate_dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

/*
 * Walks .gate/ open on `gate_dir` (taken over and closed; -1, a failed
 * dup(), fails with its errno): every entry that
 * is not an enabled module's regular file is removed (an empty directory
 * too; a non-empty one cannot pass for a file and is left) or counted
 * into *stray.  *removed says whether anything went.  Returns 0 or -1.
 */
static int
walk_entries(int gate_dir, const struct config_module_flag *flags,
    size_t count, enum gate_walk walk, size_t *stray, int *removed)
{
	DIR *dir;
	struct dirent *entry;
	int rc = -1, saved;

	*stray = 0;
	*removed = 0;
	if (gate_dir == -1)
		return -1;
	if ((dir = fdopendir(gate_dir)) == NULL) {
		saved = errno;
		close(gate_dir);
		errno = saved;
		return -1;
	}
	errno = 0;
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0 ||
		    entry_wanted(gate_dir, entry->d_name, flags, count))
			continue;
		(*stray)++;
		if (walk == WALK_COUNT)
			continue;
		if (unlinkat(gate_dir, entry->d_name, 0) == 0 ||
		    (errno == EISDIR &&
		    unlinkat(gate_dir, entry->d_name, AT_REMOVEDIR) == 0))
			*removed = 1;
		else if (errno != ENOENT && errno != ENOTEMPTY &&
		    errno != EEXIST)
			goto out;
		errno = 0;
	}
	if (errno != 0)
		goto out;
	rc = 0;
out:
	saved = errno;
	closedir(dir);
	errno = saved;
	return rc;
}

/*
 * Opens .gate/ of `folder` without following a symlink; with `create`,
 * makes it first when it is missing (*made then 1).  Returns the
 * descriptor, or -1 with errno set (ENOENT: none, and not asked to make).
 */
static int
open_gate_dir(int folder, int create, int *made)
{
	int fd;

	*made = 0;
	fd = openat(folder, GATE_FILES_DIR,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1 || errno != ENOENT || !create)
		return fd;
	if (mkdirat(folder, GATE_FILES_DIR, GATE_DIR_MODE) == -1 &&
	    errno != EEXIST)
		return -1;
	*made = 1;
	fd = openat(folder, GATE_FILES_DIR,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1 && fchmod(fd, GATE_DIR_MODE) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Brings .gate/ of `folder` in line with the modules `config` enables:
 * removes every other entry, and with `add` makes .gate/ when missing and
 * adds the missing files.  Without `add` a missing .gate/ is left so.
 * With `sync`, flushes what changed.  Returns 0 or -1.
 */
static int
update_gate_dir(int folder, const char *config, size_t len, int add,
    int sync)
{
	struct config_module_flag *flags = NULL;
	size_t count, stray, i;
	int gate_dir = -1, fd, made, changed, rc = -1, saved;

	if (enabled_modules(config, len, &flags, &count) == -1)
		goto out;
	if ((gate_dir = open_gate_dir(folder, add, &made)) == -1) {
		rc = errno == ENOENT && !add ? 0 : -1;
		goto out;
	}
	if (walk_entries(dup(gate_dir), flags, count, WALK_REMOVE, &stray,
	    &changed) == -1)
		goto out;
	for (i = 0; add && i < count; i++) {
		if (!flags[i].enabled)
			continue;
		fd = openat(gate_dir, flags[i].key, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, GATE_FILE_MODE);
		if (fd == -1 && errno == EEXIST)
			continue;
		if (fd == -1)
			goto out;
		changed = 1;
		if (fchmod(fd, GATE_FILE_MODE) == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			goto out;
		}
		if (close(fd) == -1)
			goto out;
	}
	if (sync && ((changed && fsync(gate_dir) == -1) ||
	    (made && fsync(folder) == -1)))
		goto out;
	rc = 0;
out:
	saved = errno;
	if (gate_dir != -1)
		close(gate_dir);
	free(flags);
	errno = saved;
	return rc;
}

/*
 * See gate_files.h.  Called before config.json is rewritten; a removal
 * must be on disk before a config.json that needs it, so it is flushed.
 */
int
gate_files_withdraw(int folder, const char *config, size_t len)
{
	return update_gate_dir(folder, config, len, 0, 1);
}

/* See gate_files.h.  Called after config.json was written. */
int
gate_files_publish(int folder, const char *config, size_t len, int sync)
{
	return update_gate_dir(folder, config, len, 1, sync);
}

/* See gate_files.h.  Called by fsck. */
int
gate_files_compare(int folder, const char *config, size_t len,
    size_t *missing, size_t *stray)
{
	struct config_module_flag *flags = NULL;
	struct stat st;
	size_t count, i;
	int gate_dir = -1, made, removed, rc = -1, saved;

	*missing = 0;
	*stray = 0;
	if (enabled_modules(config, len, &flags, &count) == -1)
		goto out;
	if ((gate_dir = open_gate_dir(folder, 0, &made)) == -1) {
		if (errno != ENOENT)
			goto out;
	} else if (walk_entries(dup(gate_dir), flags, count, WALK_COUNT, stray,
	    &removed) == -1)
		goto out;
	for (i = 0; i < count; i++)
		if (flags[i].enabled && (gate_dir == -1 ||
		    fstatat(gate_dir, flags[i].key, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode)))
			(*missing)++;
	rc = 0;
out:
	saved = errno;
	if (gate_dir != -1)
		close(gate_dir);
	free(flags);
	errno = saved;
	return rc;
}

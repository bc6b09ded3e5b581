/*
 * sandbox.c - confining writes with Linux Landlock (see sandbox.h).
 *
 * A Landlock ruleset names the kinds of access it "handles"; each rule
 * then grants some of them beneath one directory.  We handle only the
 * write-side rights, so reads and executes are not affected, and grant
 * them all beneath each allowed directory.  Landlock version 1 refuses
 * every rename or link between directories once write rights are
 * handled; deploys swap whole directory trees, so version 2 (REFER) is
 * the minimum.  Truncation became a separate right in version 3 and is
 * handled when the kernel knows it.
 *
 * Debian 12's kernel headers predate some of these constants, hence the
 * fallbacks with the values of the kernel's ABI.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)
#endif

#define WRITE_RIGHTS (LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER)

/*
 * Asks the kernel which Landlock version it speaks.  Returns the version,
 * or -1 with errno set (ENOSYS: not built in; EOPNOTSUPP: disabled).
 */
static long
landlock_version(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
}

/*
 * Adds a rule granting `rights` beneath `dir` to `ruleset_fd`.  Returns
 * 0, or -1 with a message in `err`.
 */
static int
ruleset_allow(int ruleset_fd, const char *dir, unsigned long long rights,
    char *err, size_t errlen)
{
	struct landlock_path_beneath_attr rule;
	int dir_fd, status = -1;

	/* A configured directory may be a symlink onto a data volume. */
	if ((dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	memset(&rule, 0, sizeof(rule));
	rule.allowed_access = rights;
	rule.parent_fd = dir_fd;
	if (syscall(SYS_landlock_add_rule, ruleset_fd,
	    LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == -1) {
		snprintf(err, errlen, "allowing writes beneath %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	status = 0;
fail:
	close(dir_fd);
	return status;
}

/* Confines writes to `dirs`; called by tenantd's main(). */
int
sandbox_confine_writes(const char *const *dirs, size_t count, char *err,
    size_t errlen)
{
	struct landlock_ruleset_attr attr;
	unsigned long long rights = WRITE_RIGHTS;
	long version;
	size_t i;
	int ruleset_fd = -1, status = -1;

	if ((version = landlock_version()) == -1) {
		snprintf(err, errlen, "this kernel has no Landlock (%s)",
		    strerror(errno));
		return 0;
	}
	if (version < 2) {
		snprintf(err, errlen, "this kernel's Landlock (version %ld) "
		    "cannot allow renames between directories", version);
		return 0;
	}
	if (version >= 3)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = rights;
	if ((ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr), 0)) == -1) {
		snprintf(err, errlen, "creating a Landlock ruleset: %s",
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < count; i++)
		if (ruleset_allow(ruleset_fd, dirs[i], rights, err,
		    errlen) == -1)
			goto fail;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "setting no_new_privs: %s",
		    strerror(errno));
		goto fail;
	}
	if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) == -1) {
		snprintf(err, errlen, "enforcing the Landlock ruleset: %s",
		    strerror(errno));
		goto fail;
	}
	status = 1;
fail:
	close(ruleset_fd);
	return status;
}

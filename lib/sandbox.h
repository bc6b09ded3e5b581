/*
 * sandbox.h - confining where tenantd may write.
 *
 * tenantd writes in a few directories only: the tenant folders, the
 * archive, and the directories of its pid file and unix socket.  After
 * start-up the master asks the kernel (Linux Landlock) to refuse every
 * other write, for itself and every process it forks, so a bug that
 * builds a path outside those trees cannot act on it even where file
 * permissions would allow it.  Reading stays unrestricted: the template,
 * the module catalog, libmagic's database and the C library's files are
 * read from wherever the system keeps them.
 */
#ifndef TENANTD_SANDBOX_H
#define TENANTD_SANDBOX_H

#include <stddef.h>

/* Why sandbox_confine_writes() did not confine (when it returns 0). */
#define SANDBOX_UNSUPPORTED_MESSAGE_MAX	160

/*
 * Restricts the calling process, and every process it later forks, so
 * that creating, writing, truncating, renaming, linking or removing
 * anything is refused with EACCES outside the directory trees named in
 * `dirs` (`count` paths from the configuration; a symlink to a directory
 * stands for that directory; the trees below them are writable as
 * usual).  It cannot be
 * undone.  Also sets no_new_privs, which the kernel requires.
 *
 * Returns 1 when the restriction is in force; 0 when this kernel cannot
 * enforce it (no Landlock, or a version too old to allow renames between
 * directories, which deploys need) with the reason in `err`, and nothing
 * changed; -1 with a message in `err` when a directory cannot be opened
 * or the kernel refused the rules.
 */
int	sandbox_confine_writes(const char *const *dirs, size_t count,
	    char *err, size_t errlen);

#endif

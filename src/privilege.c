/*
 * privilege.c - giving up root (see privilege.h).
 *
 * The order matters: supplementary groups and the group id can only be
 * changed while still root, so they go first and the user id last; a
 * final check that root cannot be regained catches a kernel or libc that
 * ignored a call.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privilege.h"

/*
 * Called once by tenantd's main() after the listening socket is open and
 * before the master forks anything.  Returns 0 or -1 (see privilege.h).
 */
int
privilege_drop(const char *user, const char *socket_path, char *err,
    size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user \"%s\": %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user \"%s\" is root; name an "
		    "unprivileged user", user);
		return -1;
	}
	if (socket_path != NULL &&
	    lchown(socket_path, pw->pw_uid, pw->pw_gid) == -1) {
		snprintf(err, errlen, "chown %s: %s", socket_path,
		    strerror(errno));
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		snprintf(err, errlen, "becoming user \"%s\": %s", user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) != -1 || geteuid() == 0) {
		snprintf(err, errlen, "root privileges could be regained "
		    "after becoming \"%s\"", user);
		return -1;
	}
	return 0;
}

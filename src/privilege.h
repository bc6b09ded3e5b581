/*
 * privilege.h - giving up root.
 *
 * Started as root, tenantd requires `user` in tenantd.conf, opens its
 * listening socket as root and then becomes that user (its groups, group
 * and user id) before any worker or job runner exists, so no code that
 * touches a request or a tenant folder ever runs as root.  tenantctl run
 * by root becomes the same user once it has read the configuration.
 */
#ifndef TENANTD_PRIVILEGE_H
#define TENANTD_PRIVILEGE_H

#include <stddef.h>

/*
 * Becomes `user` for good.  A unix socket at `socket_path` (may be NULL)
 * is handed to the user first, so the master can remove it at exit.
 * Returns 0, or -1 with a message in `err`.  Does nothing and returns 0
 * when the process is not root.
 */
int	privilege_drop(const char *user, const char *socket_path, char *err,
	    size_t errlen);

#endif

/*
 * listen.h - the FastCGI listening socket.
 *
 * tenantd either opens the socket itself (a unix path or a loopback
 * host:port) or inherits one: from systemd socket activation (LISTEN_FDS,
 * fd 3) or from spawn-fcgi and similar launchers (fd 0).  Either way the
 * master owns the socket and the workers accept on it.
 */
#ifndef TENANTD_LISTEN_H
#define TENANTD_LISTEN_H

#include <stddef.h>

/*
 * Returns an inherited listening socket (fd 3 under socket activation,
 * fd 0 when it is a listening socket), or -1 if none was passed.
 */
int	listen_inherited(void);

/*
 * Opens `address`: "unix:/path" or "/path" (a stale socket file is
 * replaced, the new one made mode 0660) or "host:port" / "[::1]:port".
 * The socket is non-blocking and close-on-exec.  Returns the fd, or -1 with
 * a message in `err`.
 */
int	listen_open(const char *address, int backlog, char *err, size_t errlen);

#endif

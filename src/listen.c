/*
 * listen.c - opening or inheriting the FastCGI listening socket.
 *
 * The master owns one listening socket and the workers accept on it.  It
 * comes from systemd socket activation (fd 3), from a launcher such as
 * spawn-fcgi (fd 0), or from tenantd itself (a unix path or a numeric
 * host:port).  Whatever its origin, it is made non-blocking, so that of
 * several workers woken for one connection the losers get EAGAIN instead of
 * sleeping in accept(), and close-on-exec.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "validate.h"

/* systemd passes its first socket here (SD_LISTEN_FDS_START). */
#define LISTEN_FDS_START	3

/* The longest "host:port" we accept. */
#define LISTEN_ADDRESS_MAX	256

/*
 * Makes an inherited or new socket non-blocking and close-on-exec.
 * Returns 0 or -1.
 */
static int
socket_prepare(int fd)
{
	int flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	if ((flags = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

/* Is `fd` a socket in the listening state? */
static int
is_listening_socket(int fd)
{
	int accepting = 0;
	socklen_t len = sizeof(accepting);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == -1)
		return 0;
	return accepting == 1;
}

/*
 * Were sockets passed to this very process by systemd?  True when
 * LISTEN_PID names us and LISTEN_FDS is at least 1.  The variables are
 * removed either way when LISTEN_PID names us, so children and reloads do
 * not take them for their own.
 */
static int
socket_activated(void)
{
	const char *pid_text, *fds_text, *errstr;
	int64_t pid, fds;
	int ours;

	if ((pid_text = getenv("LISTEN_PID")) == NULL ||
	    (fds_text = getenv("LISTEN_FDS")) == NULL)
		return 0;
	if (parse_int64(pid_text, 1, INT64_MAX, &pid, &errstr) == -1 ||
	    pid != (int64_t)getpid())
		return 0;
	ours = parse_int64(fds_text, 1, INT32_MAX, &fds, &errstr) == 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return ours;
}

/*
 * Looks for a listening socket handed over by the process that started us:
 * fd 3 under socket activation, else fd 0 when it is a listening socket.
 * Called by main() before opening one itself.  Returns the fd, or -1 when
 * none was passed.
 */
int
listen_inherited(void)
{
	int fd = -1;

	if (socket_activated()) {
		if (!is_listening_socket(LISTEN_FDS_START)) {
			log_warning("LISTEN_FDS is set but fd %d is not a "
			    "listening socket; ignoring it", LISTEN_FDS_START);
			return -1;
		}
		fd = LISTEN_FDS_START;
	} else if (is_listening_socket(STDIN_FILENO))
		fd = STDIN_FILENO;
	if (fd == -1)
		return -1;
	if (socket_prepare(fd) == -1) {
		log_error("inherited socket %d: %s", fd, strerror(errno));
		return -1;
	}
	return fd;
}

/*
 * Clears the way for binding unix socket `path`: a socket file left by an
 * earlier run is removed, unless a server still answers on it; anything
 * that is not a socket is left alone.  Returns 0, or -1 with `err` set.
 */
static int
unix_path_prepare(const struct sockaddr_un *unix_address, char *err,
    size_t errlen)
{
	const char *path = unix_address->sun_path;
	struct stat st;
	int probe = -1, rc = -1;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket", path);
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	if (connect(probe, (const struct sockaddr *)unix_address,
	    sizeof(*unix_address)) == 0 || errno == EAGAIN) {
		snprintf(err, errlen, "%s: another server is listening on it",
		    path);
		goto out;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (probe != -1)
		close(probe);
	return rc;
}

/* Opens a unix socket at `path` (mode 0660).  Returns the fd or -1. */
static int
listen_unix(const char *path, int backlog, char *err, size_t errlen)
{
	struct sockaddr_un unix_address;
	size_t len;
	int fd = -1;

	len = strlen(path);
	memset(&unix_address, 0, sizeof(unix_address));
	unix_address.sun_family = AF_UNIX;
	if (len == 0 || len > sizeof(unix_address.sun_path) - 1) {
		snprintf(err, errlen, "unix socket path too long or empty");
		return -1;
	}
	memcpy(unix_address.sun_path, path, len);
	if (unix_path_prepare(&unix_address, err, errlen) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&unix_address,
	    sizeof(unix_address)) == -1) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto fail;
	}
	if (chmod(path, 0660) == -1) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	if (listen(fd, backlog) == -1) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * Splits "host:port" or "[v6]:port" into its parts, written into `host`
 * (empty for ":port", meaning every address) and `port`.  Returns 0 or -1.
 */
static int
split_host_port(const char *address, char *host, size_t hostlen,
    const char **port)
{
	const char *colon, *close_bracket;
	size_t len;

	if (address[0] == '[') {
		if ((close_bracket = strchr(address, ']')) == NULL ||
		    close_bracket[1] != ':')
			return -1;
		len = (size_t)(close_bracket - address - 1);
		if (len == 0 || len > hostlen - 1)
			return -1;
		memcpy(host, address + 1, len);
		host[len] = '\0';
		*port = close_bracket + 2;
	} else {
		if ((colon = strrchr(address, ':')) == NULL ||
		    memchr(address, ':', (size_t)(colon - address)) != NULL)
			return -1;
		len = (size_t)(colon - address);
		if (len > hostlen - 1)
			return -1;
		memcpy(host, address, len);
		host[len] = '\0';
		*port = colon + 1;
	}
	return (*port)[0] == '\0' ? -1 : 0;
}

/* Opens a TCP socket on numeric "host:port".  Returns the fd or -1. */
static int
listen_tcp(const char *address, int backlog, char *err, size_t errlen)
{
	struct addrinfo hints, *results = NULL, *ai;
	char host[LISTEN_ADDRESS_MAX];
	const char *port, *errstr;
	int64_t port_number;
	int fd = -1, on = 1, rc;

	if (split_host_port(address, host, sizeof(host), &port) == -1 ||
	    parse_int64(port, 1, 65535, &port_number, &errstr) == -1) {
		snprintf(err, errlen, "listen address \"%s\": expected "
		    "unix:/path, /path, host:port or [v6]:port", address);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints,
	    &results)) != 0) {
		snprintf(err, errlen, "listen address \"%s\": %s", address,
		    gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "listen address \"%s\": no usable address",
	    address);
	for (ai = results; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			continue;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1 ||
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
		    listen(fd, backlog) == -1) {
			snprintf(err, errlen, "listen on %s: %s", address,
			    strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		break;
	}
	freeaddrinfo(results);
	return fd;
}

/*
 * Opens the socket described by `address` with room for `backlog` pending
 * connections.  Called by main() when no socket was inherited.  Returns the
 * fd, or -1 with a message in `err`.
 */
int
listen_open(const char *address, int backlog, char *err, size_t errlen)
{
	if (strncmp(address, "unix:", 5) == 0) {
		if (address[5] != '/') {
			snprintf(err, errlen, "listen address \"%s\": a unix "
			    "socket path must be absolute", address);
			return -1;
		}
		return listen_unix(address + 5, backlog, err, errlen);
	}
	if (address[0] == '/')
		return listen_unix(address, backlog, err, errlen);
	return listen_tcp(address, backlog, err, errlen);
}

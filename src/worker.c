/*
 * worker.c - a FastCGI worker: accept, read the request, dispatch, answer.
 *
 * Several workers share the master's listening socket.  Each waits in
 * ppoll() with SIGTERM unblocked; everywhere else SIGTERM stays blocked, so
 * a stop request is acted on at once when the worker is idle and only after
 * the current response when it is busy (that is how the master drains).
 * The socket is non-blocking: when one connection wakes several workers,
 * the ones that lose the race see EAGAIN from FCGX_Accept_r() and go back
 * to waiting.
 *
 * Everything a request allocates is released before the next accept, but
 * the allocator need not give that memory back to the system: after a
 * large request a worker may stay big.  So once a request is answered, a
 * worker whose resident size passed worker_rss_high_water exits and the
 * master starts a fresh one (see worker.h).
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "child_signals.h"
#include "conf.h"
#include "config_cache.h"
#include "db.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "router.h"
#include "service.h"
#include "validate.h"
#include "worker.h"

/* How much of the request body one FCGX_GetStr() call asks for. */
#define WORKER_READ_CHUNK	(64 * 1024)

/* How much of the path a log line shows. */
#define LOG_PATH_MAX		200

/* How much of the method name a log line shows. */
#define LOG_METHOD_MAX		16

/* How much of the tenant's subdomain a log line shows (a label's limit). */
#define LOG_TENANT_MAX		63

static volatile sig_atomic_t worker_stop;

/* Where to announce that this worker can serve; -1 for nowhere. */
static int ready_fd = -1;

/* SIGTERM: finish the current request, then leave the loop. */
static void
on_sigterm(int signo)
{
	worker_stop = 1;
}

/*
 * Replaces the master's signal dispositions with the worker's and blocks
 * SIGTERM; `unblocked` receives the mask ppoll() waits with.  Called first
 * thing after fork.  Returns 0 or -1.
 */
static int
worker_signals(sigset_t *unblocked)
{
	sigset_t blocked;

	if (child_signals_install(on_sigterm) == -1)
		return -1;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	if (sigprocmask(SIG_SETMASK, &blocked, NULL) == -1)
		return -1;
	sigemptyset(unblocked);
	return 0;
}

/* Copies `text` for a log line: bounded, control bytes replaced by '?'. */
static void
log_sanitize(const char *text, size_t len, char *out, size_t outlen)
{
	size_t i, n;

	n = len < outlen - 1 ? len : outlen - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
}

/* Milliseconds from `start` until now on the monotonic clock. */
static double
elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* A FastCGI parameter, or NULL when it is absent. */
static const char *
param(FCGX_Request *request, const char *name)
{
	return FCGX_GetParam(name, request->envp);
}

/*
 * Fills method, path and query from REQUEST_URI (split at '?'), or from
 * DOCUMENT_URI / SCRIPT_NAME and QUERY_STRING when a front end sends no
 * REQUEST_URI.
 */
static void
request_target(FCGX_Request *request, struct http_request *req)
{
	const char *uri, *question;

	if ((uri = param(request, "REQUEST_URI")) != NULL && uri[0] != '\0') {
		if ((question = strchr(uri, '?')) != NULL) {
			req->path_len = (size_t)(question - uri);
			req->query = question + 1;
		} else {
			req->path_len = strlen(uri);
			req->query = "";
		}
		req->path = uri;
		return;
	}
	if ((uri = param(request, "DOCUMENT_URI")) == NULL || uri[0] == '\0')
		uri = param(request, "SCRIPT_NAME");
	if (uri == NULL || uri[0] == '\0')
		uri = "/";
	req->path = uri;
	req->path_len = strlen(uri);
	if ((req->query = param(request, "QUERY_STRING")) == NULL)
		req->query = "";
}

/*
 * Builds `req` from the FastCGI parameters and reads the body into `body`.
 * Returns 0, or the status already written to `res` (400 for a bad or short
 * body, 413 for one over the limit, which is not read at all).
 */
static int
request_read(FCGX_Request *request, const struct conf *c,
    struct http_request *req, struct buf *body, struct http_response *res)
{
	const char *length_text, *remote_addr, *role, *errstr;
	int64_t length = 0;
	size_t want;
	int got;

	req->method_name = param(request, "REQUEST_METHOD");
	if (req->method_name == NULL)
		req->method_name = "";
	req->method = http_method_parse(req->method_name);
	if (req->method == HTTP_HEAD)
		res->head_only = 1;
	request_target(request, req);
	req->content_type = param(request, "CONTENT_TYPE");
	req->cookie = param(request, "HTTP_COOKIE");
	req->authorization = param(request, "HTTP_AUTHORIZATION");
	req->csrf_header = param(request, "HTTP_X_CSRF_TOKEN");
	req->if_none_match = param(request, "HTTP_IF_NONE_MATCH");
	req->if_modified_since = param(request, "HTTP_IF_MODIFIED_SINCE");
	req->host = param(request, "HTTP_HOST");
	req->tenant_subdomain = param(request, "TENANT_SUBDOMAIN");
	req->tenant_domain = param(request, "TENANT_DOMAIN");
	remote_addr = param(request, "REMOTE_ADDR");
	req->remote_addr = remote_addr != NULL ? remote_addr : "";
	req->https = http_scheme_is_https(param(request, "HTTPS"),
	    param(request, "REQUEST_SCHEME"));
	/* libfcgi sets FCGI_ROLE from the record that began the request. */
	role = param(request, "FCGI_ROLE");
	req->authorizer = role != NULL && strcmp(role, "AUTHORIZER") == 0;
	req->max_json_nodes = c->max_json_nodes;
	req->forward_uri = param(request, "REDIRECT_URI");

	/*
	 * GET and HEAD carry no body in this API, so none is read: Caddy's
	 * forward_auth asks the gate with the client's Content-Length but
	 * without the body, which stays for the module's backend.
	 */
	if (req->method == HTTP_GET || req->method == HTTP_HEAD)
		return 0;
	/* nginx sends an empty CONTENT_LENGTH for requests without a body. */
	length_text = param(request, "CONTENT_LENGTH");
	if (length_text != NULL && length_text[0] != '\0' &&
	    parse_int64(length_text, 0, INT64_MAX, &length, &errstr) == -1)
		return http_reply_error(res, 400, "malformed_body",
		    "invalid Content-Length", NULL);
	if ((uint64_t)length > (uint64_t)c->max_body_bytes) {
		char message[96];

		req->body_too_large = 1;
		snprintf(message, sizeof(message),
		    "request body too large (limit %zu bytes)",
		    c->max_body_bytes);
		return http_reply_error(res, 413, "body_too_large", message,
		    NULL);
	}
	while (body->len < (size_t)length) {
		want = (size_t)length - body->len;
		if (want > WORKER_READ_CHUNK)
			want = WORKER_READ_CHUNK;
		if (buf_grow(body, want) == -1)
			return http_reply_error(res, 500, "internal_error",
			    "out of memory", NULL);
		got = FCGX_GetStr(body->data + body->len, (int)want,
		    request->in);
		if (got <= 0)
			break;
		body->len += (size_t)got;
		body->data[body->len] = '\0';
	}
	if (body->len != (size_t)length)
		return http_reply_error(res, 400, "malformed_body",
		    "request body shorter than its Content-Length", NULL);
	req->body = body->data;
	req->body_len = body->len;
	return 0;
}

/* Does the handler's header block already carry header `name`? */
static int
has_header(const struct buf *headers, const char *name)
{
	size_t len = strlen(name);
	const char *line = headers->data;

	while (line != NULL && *line != '\0') {
		if (strncasecmp(line, name, len) == 0 && line[len] == ':')
			return 1;
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	}
	return 0;
}

/*
 * Streams `size` bytes of the file `fd` (a handler's body_fd) to the
 * FastCGI output in WORKER_READ_CHUNK pieces, so a large file never sits
 * in memory.  Returns 0, or -1 when reading fails, the file turns out
 * shorter than announced, or the front end went away.
 */
static int
body_file_write(FCGX_Request *request, int fd, off_t size)
{
	static char chunk[WORKER_READ_CHUNK];
	off_t offset = 0;
	size_t want;
	ssize_t got;

	while (offset < size) {
		want = size - offset > (off_t)sizeof(chunk) ? sizeof(chunk) :
		    (size_t)(size - offset);
		got = pread(fd, chunk, want, offset);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			log_warning("could not read a file being sent: %s",
			    got == 0 ? "it became shorter" : strerror(errno));
			return -1;
		}
		if (FCGX_PutStr(chunk, (int)got, request->out) != (int)got)
			return -1;
		offset += got;
	}
	return 0;
}

/*
 * Writes `res` to the FastCGI output stream: Status, the default JSON
 * headers unless the handler chose its own, Content-Length, the handler's
 * headers and the body (left out for HEAD, 204 and 304): the body buffer,
 * or the file body_fd when the handler set one.  Returns 0, or -1 when the
 * front end went away.
 */
static int
response_write(FCGX_Request *request, struct http_response *res)
{
	struct buf head;
	int no_body, json, rc = -1;

	buf_init(&head, BUF_NO_LIMIT);
	no_body = res->status == 204 || res->status == 304;
	json = !has_header(&res->headers, "Content-Type");
	if (buf_printf(&head, "Status: %d %s\r\n", res->status,
	    http_status_text(res->status)) == -1)
		goto out;
	if (!no_body && json && buf_append_str(&head,
	    "Content-Type: application/json; charset=utf-8\r\n") == -1)
		goto out;
	if (json && !has_header(&res->headers, "Cache-Control") &&
	    buf_append_str(&head, "Cache-Control: no-store\r\n") == -1)
		goto out;
	if (!no_body && !has_header(&res->headers, "Content-Length") &&
	    (res->body_fd != -1 ? buf_printf(&head, "Content-Length: %jd\r\n",
	    (intmax_t)res->body_size) : buf_printf(&head,
	    "Content-Length: %zu\r\n", res->body.len)) == -1)
		goto out;
	if (buf_append(&head, res->headers.data, res->headers.len) == -1 ||
	    buf_append_str(&head, "\r\n") == -1)
		goto out;
	if (head.len > INT_MAX || FCGX_PutStr(head.data, (int)head.len,
	    request->out) != (int)head.len)
		goto out;
	if (!no_body && !res->head_only && res->body_fd != -1) {
		if (body_file_write(request, res->body_fd, res->body_size) == -1)
			goto out;
	} else if (!no_body && !res->head_only && res->body.len > 0) {
		if (res->body.len > INT_MAX ||
		    FCGX_PutStr(res->body.data, (int)res->body.len,
		    request->out) != (int)res->body.len)
			goto out;
	}
	rc = 0;
out:
	buf_release(&head);
	return rc;
}

/*
 * Has the front end sent the whole request?  Then the connection may be
 * closed at once.  Otherwise libfcgi's lingering close stays: it shuts
 * down the sending side and waits (up to 2 s) for the front end to hang
 * up, so that unread input cannot make a TCP close reset the connection
 * under the response.  That wait is a round trip through the front end
 * before the worker can accept again, on every request, which is why it
 * is skipped when nothing is left to read.  A responder request whose
 * body was read (`body_read`) has one record left, the empty FCGI_STDIN
 * that ends it, which the front end sends right behind the body, so
 * reading it does not wait.  A body left unread (413, a bad
 * Content-Length) keeps the lingering close, and so does an authorizer
 * request, for which a front end need not send FCGI_STDIN at all.
 */
static int
request_input_ended(FCGX_Request *request, int body_read, int authorizer)
{
	if (body_read && !authorizer && FCGX_HasSeenEOF(request->in) == 0 &&
	    FCGX_GetChar(request->in) != EOF)
		return 0;
	return FCGX_HasSeenEOF(request->in) == EOF &&
	    FCGX_GetError(request->in) == 0;
}

/*
 * Answers one accepted request from start to finish and logs it.  All
 * memory the request used is released before returning.  Returns 1 when
 * the front end sent the whole request (request_input_ended()), else 0.
 */
static int
request_handle(FCGX_Request *request, struct service *svc)
{
	struct http_request req;
	struct http_response res;
	struct buf body;
	struct timespec start;
	char method[LOG_METHOD_MAX + 1], path[LOG_PATH_MAX + 1];
	char tenant[LOG_TENANT_MAX + 1];
	const char *tenant_source;
	uint64_t cache_hits, cache_misses;
	double duration;
	int status, body_read, input_ended;

	clock_gettime(CLOCK_MONOTONIC, &start);
	http_request_init(&req);
	http_response_init(&res);
	buf_init(&body, svc->conf->max_body_bytes);

	status = request_read(request, svc->conf, &req, &body, &res);
	body_read = status == 0;
	if (status == 0)
		status = router_dispatch(svc, &req, &res);
	if (res.status == 0)
		res.status = status;
	if (response_write(request, &res) == -1)
		log_warning("could not send the response: the front end "
		    "closed the connection");
	input_ended = request_input_ended(request, body_read, req.authorizer);

	duration = elapsed_ms(&start);
	metrics_count_request(req.route, res.status, duration);
	config_cache_stats(handler_config_cache_if_made(), &cache_hits,
	    &cache_misses);
	metrics_set_worker_totals(db_reconnects(svc->db), cache_hits,
	    cache_misses);

	/*
	 * The tenant is the {sub} of a by-subdomain route, else the one the
	 * front end named for a tenant site's request.  The query string,
	 * headers and body are never logged: they carry passwords and tokens.
	 */
	tenant_source = req.route_sub[0] != '\0' ? req.route_sub :
	    req.tenant_subdomain;
	if (tenant_source == NULL || tenant_source[0] == '\0')
		tenant_source = "-";
	log_sanitize(tenant_source, strlen(tenant_source), tenant,
	    sizeof(tenant));
	log_sanitize(req.method_name, strlen(req.method_name), method,
	    sizeof(method));
	log_sanitize(req.path, req.path_len, path, sizeof(path));
	log_info("%s %s %d %.1fms route=%s tenant=%s",
	    method[0] != '\0' ? method : "-", path, res.status, duration,
	    req.route != NULL ? req.route : "-", tenant);

	http_request_release(&req);
	http_response_release(&res);
	buf_release(&body);
	return input_ended;
}

/*
 * Reads this process's resident size from /proc/self/statm, opened once as
 * `statm_fd`.  Returns 0 with *bytes set, or -1.
 */
static int
resident_bytes(int statm_fd, size_t *bytes)
{
	char text[128];
	unsigned long long total_pages, resident_pages;
	long page_size;
	ssize_t got;

	if ((got = pread(statm_fd, text, sizeof(text) - 1, 0)) <= 0)
		return -1;
	text[got] = '\0';
	if (sscanf(text, "%llu %llu", &total_pages, &resident_pages) != 2 ||
	    (page_size = sysconf(_SC_PAGESIZE)) <= 0 ||
	    resident_pages > SIZE_MAX / (unsigned long long)page_size)
		return -1;
	*bytes = (size_t)(resident_pages * (unsigned long long)page_size);
	return 0;
}

/*
 * After a request: is this worker holding more than `high_water` bytes
 * (0: no limit)?  Logs why it is leaving when it is.  Returns 1 or 0.
 */
static int
over_high_water(int statm_fd, size_t high_water)
{
	size_t resident;

	if (high_water == 0 || statm_fd == -1 ||
	    resident_bytes(statm_fd, &resident) == -1 ||
	    resident <= high_water)
		return 0;
	log_info("worker: %zu KiB resident after a request, above "
	    "worker_rss_high_water (%zu KiB); exiting to give the memory "
	    "back", resident / 1024, high_water / 1024);
	return 1;
}

/*
 * Records the master's readiness pipe.  Called by the master's child code
 * before worker_run().
 */
void
worker_set_ready_fd(int fd)
{
	ready_fd = fd;
}

/*
 * Tells the master this worker can serve: its pid, in one write (smaller
 * than PIPE_BUF, so never interleaved with another worker's).  A failure
 * only delays the retirement of an old generation, so it is logged and
 * otherwise ignored.
 */
static void
announce_ready(void)
{
	pid_t pid = getpid();

	if (ready_fd == -1)
		return;
	if (write(ready_fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		log_warning("worker: could not tell the master it is ready: "
		    "%s", strerror(errno));
	close(ready_fd);
	ready_fd = -1;
}

/*
 * The worker's main loop, run in the child right after fork.  Opens the
 * service, then accepts and answers requests until SIGTERM.  Returns the
 * exit status: 0 after SIGTERM, 1 when the worker cannot start or the
 * socket fails.
 */
int
worker_run(const struct conf *c, int listen_fd)
{
	struct service svc;
	FCGX_Request request;
	struct pollfd pfd;
	sigset_t unblocked;
	char err[256];
	int rc, service_opened = 0, status = 1, statm_fd = -1;

	memset(&svc, 0, sizeof(svc));
	svc.tenants_dirfd = -1;
	log_set_level((enum log_level)c->log_level);
	if (worker_signals(&unblocked) == -1) {
		log_error("worker: signal setup: %s", strerror(errno));
		goto out;
	}
	/* A worker outliving a killed master would serve an old config. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1) {
		log_error("worker: prctl: %s", strerror(errno));
		goto out;
	}
	if (service_open(&svc, c, err, sizeof(err)) == -1) {
		log_error("worker: %s", err);
		goto out;
	}
	service_opened = 1;
	/* Opened once: reading it after each request is then one pread(). */
	if (c->worker_rss_high_water != 0 && (statm_fd =
	    open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) == -1)
		log_warning("worker: /proc/self/statm: %s; "
		    "worker_rss_high_water is not enforced", strerror(errno));
	if (FCGX_Init() != 0) {
		log_error("worker: FCGX_Init failed");
		goto out;
	}
	if (FCGX_InitRequest(&request, listen_fd, 0) != 0) {
		log_error("worker: FCGX_InitRequest failed");
		goto out;
	}
	announce_ready();

	while (!worker_stop) {
		pfd.fd = listen_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (ppoll(&pfd, 1, NULL, &unblocked) == -1) {
			if (errno == EINTR)
				continue;
			log_error("worker: ppoll: %s", strerror(errno));
			goto out;
		}
		if (worker_stop)
			break;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			log_error("worker: the listening socket failed");
			goto out;
		}
		if (!(pfd.revents & POLLIN))
			continue;
		rc = FCGX_Accept_r(&request);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			continue;
		if (rc < 0) {
			log_error("worker: accept failed (%d): %s", rc,
			    rc > -4096 ? strerror(-rc) : "libfcgi error");
			goto out;
		}
		if (request_handle(&request, &svc))
			FCGX_Detach(&request);
		FCGX_Finish_r(&request);
		/*
		 * A kept-alive connection would make the next accept block
		 * on it outside ppoll(); close it so waiting stays here.
		 */
		if (request.ipcFd >= 0)
			FCGX_Free(&request, 1);
		if (over_high_water(statm_fd, c->worker_rss_high_water)) {
			status = WORKER_EXIT_RECYCLED;
			goto out;
		}
	}
	status = 0;
out:
	if (statm_fd != -1)
		close(statm_fd);
	if (ready_fd != -1)
		close(ready_fd);
	ready_fd = -1;
	if (service_opened)
		service_close(&svc);
	return status;
}

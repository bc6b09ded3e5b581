/*
 * job_workers.c - one job's work shared by forked processes (see
 * job_workers.h).  Called by the bulk deploy and rollout jobs.
 *
 * A worker writes one status line, then its result, to its pipe:
 *     "ok\n" result | "cancelled\n" result | "failed <message>\n"
 * and exits.  The runner reads every pipe to its end (a result may be
 * larger than a pipe holds) while it relays the workers' progress.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "job_workers.h"
#include "log.h"
#include "service.h"

/* How often the runner relays progress while the workers run. */
#define RELAY_INTERVAL_MS	200

/* The largest result one worker may send. */
#define WORKER_RESULT_MAX	(1024 * 1024)

/* What the runner and its workers share. */
struct shared_progress {
	int		cancel;			/* set by the runner */
	size_t		done[JOB_WORKERS_MAX];	/* each worker's units */
	size_t		total[JOB_WORKERS_MAX];
};

/* A worker's progress callback argument. */
struct worker_progress {
	volatile struct shared_progress	*shared;
	size_t				 index;
};

/* The number of workers for `units` units (job_workers.h). */
size_t
job_workers_count(size_t units, size_t min_units_each)
{
	long	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t	workers = cpus > 0 ? (size_t)cpus : 1;

	if (workers > JOB_WORKERS_MAX)
		workers = JOB_WORKERS_MAX;
	if (min_units_each > 0 && units / min_units_each < workers)
		workers = units / min_units_each;
	return workers > 0 ? workers : 1;
}

/* A worker's progress: into shared memory; answers the job's cancel. */
static int
worker_progress_cb(void *arg, size_t done, size_t total)
{
	struct worker_progress	*p = arg;

	p->shared->done[p->index] = done;
	p->shared->total[p->index] = total;
	return p->shared->cancel;
}

/*
 * The life of worker `index`: a database connection of its own, the
 * job's function on its share, the status and result down `fd`.  Never
 * returns.
 */
static void
worker_main(struct job_context *ctx, job_worker_fn fn, void *arg,
    size_t index, size_t workers, volatile struct shared_progress *shared,
    pid_t runner, int fd)
{
	struct worker_progress	 progress;
	struct job_context	 own;
	struct buf		 out, result;
	struct service		*svc = ctx->svc;
	char			 message[512];
	int			 rc;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != runner)
		_exit(1);
	/* The runner's connection stays the runner's: never used here. */
	if ((svc->db = db_open(svc->conf)) == NULL || db_ensure(svc->db) == -1)
		_exit(1);
	buf_init(&result, WORKER_RESULT_MAX);
	buf_init(&out, WORKER_RESULT_MAX + sizeof(message) + 16);
	message[0] = '\0';
	progress.shared = shared;
	progress.index = index;
	own = *ctx;
	own.progress = worker_progress_cb;
	own.progress_arg = &progress;
	own.cancelled = (const int *)&shared->cancel;
	own.result = &result;
	own.message = message;
	own.messagelen = sizeof(message);
	rc = fn(&own, arg, index, workers, &result);
	if (rc == -1)
		rc = buf_printf(&out, "failed %s\n", message[0] != '\0' ?
		    message : "the worker failed");
	else
		rc = buf_printf(&out, "%s\n", rc == 1 ? "cancelled" : "ok") ||
		    buf_append(&out, result.data, result.len);
	if (rc != 0 || write(fd, out.data, out.len) != (ssize_t)out.len) {
		db_close(svc->db);
		_exit(1);
	}
	db_close(svc->db);
	_exit(0);
}

/*
 * Reads what is there on worker pipe `fd` into `into`.  Returns 1 at the
 * end of the pipe, 0 when more may come, -1 on an error (errno set).
 */
static int
drain(int fd, struct buf *into)
{
	char	chunk[16384];
	ssize_t	n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return 1;
		if (buf_append(into, chunk, (size_t)n) == -1)
			return -1;
	}
}

/*
 * Splits what worker `i` sent into its status and its result (moved to
 * the front of `b`).  Returns 0 ok, 1 cancelled, -1 failed (the message
 * in ctx->message).
 */
static int
worker_status(struct job_context *ctx, size_t i, struct buf *b)
{
	char	*newline;
	size_t	 line;
	int	 cancelled;

	if (b->data == NULL || (newline = memchr(b->data, '\n',
	    b->len)) == NULL) {
		snprintf(ctx->message, ctx->messagelen, "worker %zu of the "
		    "job ended without a result", i);
		return -1;
	}
	line = (size_t)(newline - b->data);
	if (line > 7 && strncmp(b->data, "failed ", 7) == 0) {
		snprintf(ctx->message, ctx->messagelen, "%.*s", (int)(line - 7),
		    b->data + 7);
		return -1;
	}
	cancelled = line == 9 && strncmp(b->data, "cancelled", 9) == 0;
	memmove(b->data, newline + 1, b->len - line - 1);
	b->len -= line + 1;
	b->data[b->len] = '\0';
	return cancelled;
}

/* Runs `fn` in forked workers (job_workers.h). */
int
job_workers_run(struct job_context *ctx, size_t workers, job_worker_fn fn,
    void *arg, struct buf *results)
{
	volatile struct shared_progress	*shared;
	struct pollfd			 fds[JOB_WORKERS_MAX];
	pid_t				 pids[JOB_WORKERS_MAX];
	pid_t				 runner = getpid();
	size_t				 i, open_pipes = 0, done, total;
	int				 pipe_fds[2], status, rc = 0, state;

	if (workers == 0 || workers > JOB_WORKERS_MAX) {
		snprintf(ctx->message, ctx->messagelen, "bad worker count");
		return -1;
	}
	if ((shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		snprintf(ctx->message, ctx->messagelen, "cannot share memory "
		    "with the workers: %s", strerror(errno));
		return -1;
	}
	memset((void *)shared, 0, sizeof(*shared));
	for (i = 0; i < workers; i++) {
		pids[i] = -1;
		fds[i].fd = -1;
		fds[i].events = POLLIN;
	}
	for (i = 0; i < workers; i++) {
		if (pipe2(pipe_fds, O_CLOEXEC) == -1)
			goto start_failed;
		if ((pids[i] = fork()) == -1) {
			close(pipe_fds[0]);
			close(pipe_fds[1]);
			goto start_failed;
		}
		if (pids[i] == 0) {
			close(pipe_fds[0]);
			worker_main(ctx, fn, arg, i, workers, shared, runner,
			    pipe_fds[1]);
		}
		close(pipe_fds[1]);
		fds[i].fd = pipe_fds[0];
		if (fcntl(fds[i].fd, F_SETFL, O_NONBLOCK) == -1)
			goto start_failed;
		open_pipes++;
	}
	while (open_pipes > 0) {
		if (poll(fds, workers, RELAY_INTERVAL_MS) == -1 &&
		    errno != EINTR)
			goto start_failed;
		for (i = 0; i < workers; i++) {
			if (fds[i].fd == -1 || fds[i].revents == 0)
				continue;
			if ((state = drain(fds[i].fd, &results[i])) == 0)
				continue;
			if (state == -1)
				log_warning("job %lld: worker %zu: %s",
				    (long long)ctx->job->id, i, strerror(errno));
			close(fds[i].fd);
			fds[i].fd = -1;
			open_pipes--;
		}
		for (i = 0, done = 0, total = 0; i < workers; i++) {
			done += shared->done[i];
			total += shared->total[i];
		}
		if (total > 0 && ctx->progress(ctx->progress_arg, done,
		    total) != 0)
			shared->cancel = 1;
	}
	goto reap;
start_failed:
	snprintf(ctx->message, ctx->messagelen, "cannot run the job's "
	    "workers: %s", strerror(errno));
	rc = -1;
	shared->cancel = 1;
	for (i = 0; i < workers; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
reap:
	for (i = 0; i < workers; i++) {
		if (fds[i].fd != -1)
			close(fds[i].fd);
		if (pids[i] <= 0)
			continue;
		while (waitpid(pids[i], &status, 0) == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			continue;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			snprintf(ctx->message, ctx->messagelen, "worker %zu of "
			    "the job died", i);
			rc = -1;
			continue;
		}
		if ((state = worker_status(ctx, i, &results[i])) == -1)
			rc = -1;
		else if (state == 1 && rc == 0)
			rc = 1;
	}
	munmap((void *)shared, sizeof(*shared));
	return rc;
}

/*
 * master.c - the tenantd master: forks the workers and job runners, keeps
 * their number up, reloads on SIGHUP and drains on SIGTERM.
 *
 * The master never touches the database or a request; it only watches its
 * children.  Signal handlers set a flag and write a byte to a self-pipe;
 * the main loop sleeps in poll() on that pipe (with a timeout when a
 * respawn is pending) and does the real work outside signal context.
 *
 * Every child has an entry in a table: its pid (0 while waiting to be
 * restarted), its kind (a FastCGI worker or a job runner), the generation
 * it belongs to, when it started and its back-off.  Both kinds are
 * respawned, reloaded and drained alike: a runner, like a worker, finishes
 * what it is doing (its current job) before it obeys SIGTERM; one still
 * busy after the drain timeout is killed and its job is taken over by
 * another runner once its heartbeat times out (job.h).  Runners rename
 * themselves "tenantd-runner" (runner.h), so ps and /proc tell them
 * apart.  A reload marks the current entries as retiring and starts a
 * fresh generation.  The retiring processes are asked to stop only once
 * every new child has reported through the readiness pipe that it can
 * serve (a runner: that it opened its service), so a configuration that
 * loads but cannot run (an unusable directory, say) leaves the old workers
 * serving while the new ones crash and back off.
 * Retiring entries are dropped when their process exits instead of being
 * respawned.  A worker that exits with WORKER_EXIT_RECYCLED (its memory
 * passed worker_rss_high_water) is replaced at once, without back-off.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "metrics.h"
#include "runner.h"
#include "worker.h"

/* Seconds a stopping master waits for in-flight requests and jobs. */
#define MASTER_DRAIN_SECONDS		30

/* A child that dies sooner than this after starting is crash-looping. */
#define MASTER_QUICK_DEATH_MS		1000

/* A child that lived this long has its back-off forgotten. */
#define MASTER_HEALTHY_MS		10000

/* Longest wait before respawning a crash-looping child. */
#define MASTER_BACKOFF_MAX_SECONDS	30

/* Upper bound of the child table (workers plus retiring ones). */
#define MASTER_CHILDREN_MAX		4096

enum child_kind {
	CHILD_WORKER,
	CHILD_JOB_RUNNER
};

struct child {
	pid_t		 pid;		/* 0 while waiting to be (re)started */
	enum child_kind	 kind;
	unsigned	 generation;
	struct timespec	 started_at;
	struct timespec	 respawn_at;	/* an empty entry starts after this */
	int		 backoff;	/* seconds the next quick death waits */
	int		 ready;		/* reported that it can serve */
	int		 retiring;	/* replaced by a reload */
	int		 stop_sent;	/* SIGTERM sent */
	int		 metrics_slot;	/* metrics.h slot, -1 before the
					   first start */
};

struct master {
	const struct master_options *opts;
	struct conf	*conf;
	int		 listen_fd;
	unsigned	 generation;
	int		 stopping;
	struct child	*children;
	size_t		 count;
	size_t		 cap;
};

/* Signal handlers write a byte here to wake the main loop. */
static int signal_pipe[2] = { -1, -1 };

/* Workers write their pid here once they can serve (see worker.h). */
static int ready_pipe[2] = { -1, -1 };

/* What the signal handlers saw, for the main loop to act on. */
static volatile sig_atomic_t got_term, got_hup, got_chld;

/*
 * Signal handler of the master: records the signal and wakes the main
 * loop through the self-pipe.  A full pipe already holds a wake-up.
 */
static void
on_signal(int signo)
{
	int saved_errno = errno;
	char byte = 0;
	ssize_t written;

	if (signo == SIGTERM || signo == SIGINT)
		got_term = 1;
	else if (signo == SIGHUP)
		got_hup = 1;
	else if (signo == SIGCHLD)
		got_chld = 1;
	if (signal_pipe[1] != -1) {
		written = write(signal_pipe[1], &byte, 1);
		(void)written;	/* a full pipe already holds a wake-up */
	}
	errno = saved_errno;
}

/*
 * Creates the self-pipe and the readiness pipe and installs the master's
 * handlers.  Returns 0 or -1.
 */
static int
master_signals(void)
{
	struct sigaction sa;

	if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) == -1 ||
	    pipe2(ready_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		return -1;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		return -1;
	return 0;
}

/* Empties the self-pipe after a wake-up. */
static void
signal_pipe_drain(void)
{
	char bytes[64];

	while (read(signal_pipe[0], bytes, sizeof(bytes)) > 0)
		continue;
}

/* The monotonic clock now. */
static struct timespec
now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* Milliseconds from `from` to `to` (negative when `to` is earlier). */
static long long
ms_between(const struct timespec *from, const struct timespec *to)
{
	return (long long)(to->tv_sec - from->tv_sec) * 1000 +
	    (to->tv_nsec - from->tv_nsec) / 1000000;
}

/* The name of a child kind, for log lines. */
static const char *
kind_name(enum child_kind kind)
{
	switch (kind) {
	case CHILD_WORKER:
		break;
	case CHILD_JOB_RUNNER:
		return "job runner";
	}
	return "worker";
}

/*
 * Adds an empty entry of `kind` to the current generation, due to start at
 * once.  Returns 0, or -1 when the table cannot grow.
 */
static int
child_add(struct master *m, enum child_kind kind)
{
	struct child *grown;
	size_t cap;

	if (m->count == m->cap) {
		if (m->cap >= MASTER_CHILDREN_MAX)
			return -1;
		cap = m->cap == 0 ? 16 : m->cap * 2;
		if (cap > MASTER_CHILDREN_MAX)
			cap = MASTER_CHILDREN_MAX;
		if ((grown = reallocarray(m->children, cap,
		    sizeof(*grown))) == NULL)
			return -1;
		m->children = grown;
		m->cap = cap;
	}
	memset(&m->children[m->count], 0, sizeof(m->children[0]));
	m->children[m->count].kind = kind;
	m->children[m->count].generation = m->generation;
	m->children[m->count].backoff = 1;
	m->children[m->count].respawn_at = now_monotonic();
	m->children[m->count].metrics_slot = -1;
	m->count++;
	return 0;
}

/* Removes entry `i` (the table is unordered) and frees its metrics slot. */
static void
child_remove(struct master *m, size_t i)
{
	metrics_slot_release(m->children[i].metrics_slot);
	m->children[i] = m->children[m->count - 1];
	m->count--;
}

/*
 * The code a new child runs.  Restores default signal handling (workers
 * and runners install their own), lets go of the master's self-pipe, keeps
 * only the write end of the readiness pipe and never returns.  A runner
 * has no use for the listening socket and closes it.
 */
static void
child_main(struct master *m, enum child_kind kind, int metrics_slot)
{
	struct sigaction sa;
	int status = 1;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	signal_pipe[0] = signal_pipe[1] = -1;
	close(ready_pipe[0]);
	ready_pipe[0] = -1;
	metrics_slot_use(metrics_slot);
	switch (kind) {
	case CHILD_WORKER:
		worker_set_ready_fd(ready_pipe[1]);
		status = worker_run(m->conf, m->listen_fd);
		break;
	case CHILD_JOB_RUNNER:
		if (m->listen_fd != -1)
			close(m->listen_fd);
		m->listen_fd = -1;
		status = runner_run(m->conf, ready_pipe[1]);
		break;
	}
	exit(status);
}

/*
 * Forks the process of entry `c`.  Signals stay blocked across fork() so
 * that nothing reaches the child before it has replaced the master's
 * handlers.  Returns 0, or -1 when fork failed (the entry is retried a
 * second later).
 */
static int
child_spawn(struct master *m, struct child *c)
{
	sigset_t all, saved;
	pid_t pid;

	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &saved) == -1)
		return -1;
	/* A respawned child keeps adding to its predecessor's counters. */
	if (c->metrics_slot == -1)
		c->metrics_slot = metrics_slot_take();
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child_main(m, c->kind, c->metrics_slot);
	if (pid == -1) {
		log_error("fork: %s", strerror(errno));
		c->respawn_at = now_monotonic();
		c->respawn_at.tv_sec += 1;
	} else {
		c->pid = pid;
		c->ready = 0;
		c->started_at = now_monotonic();
		log_info("started %s %ld (generation %u)", kind_name(c->kind),
		    (long)pid, c->generation);
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return pid == -1 ? -1 : 0;
}

/*
 * Starts every empty entry whose time has come.  Returns the milliseconds
 * until the next one is due, or -1 when none is waiting.
 */
static int
children_start_due(struct master *m)
{
	struct timespec now;
	long long wait, next = -1;
	size_t i;

	now = now_monotonic();
	for (i = 0; i < m->count; i++) {
		struct child *c = &m->children[i];

		if (c->pid != 0 || c->retiring)
			continue;
		wait = ms_between(&now, &c->respawn_at);
		if (wait <= 0) {
			if (child_spawn(m, c) == 0)
				continue;
			wait = 1000;
		}
		if (next == -1 || wait < next)
			next = wait;
	}
	if (next > MASTER_BACKOFF_MAX_SECONDS * 1000)
		next = MASTER_BACKOFF_MAX_SECONDS * 1000;
	return (int)next;
}

/*
 * Schedules the respawn of entry `c` whose process just died after `lived`
 * milliseconds: at once, or after its back-off when it died young.
 * Returns the delay in seconds.
 */
static int
child_schedule_respawn(struct child *c, long long lived)
{
	int delay = 0;

	if (lived >= MASTER_HEALTHY_MS)
		c->backoff = 1;
	if (lived < MASTER_QUICK_DEATH_MS) {
		delay = c->backoff;
		c->backoff = c->backoff * 2 > MASTER_BACKOFF_MAX_SECONDS ?
		    MASTER_BACKOFF_MAX_SECONDS : c->backoff * 2;
	}
	c->pid = 0;
	c->respawn_at = now_monotonic();
	c->respawn_at.tv_sec += delay;
	return delay;
}

/* Describes a wait status for a log line. */
static void
describe_status(int status, char *out, size_t outlen)
{
	if (WIFEXITED(status))
		snprintf(out, outlen, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, outlen, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, outlen, "stopped with wait status %d", status);
}

/*
 * Collects every child that exited.  Retiring children and, while
 * stopping, all children are dropped from the table; others are scheduled
 * for respawn.
 */
static void
children_reap(struct master *m)
{
	char how[64];
	struct timespec now;
	long long lived;
	size_t i;
	pid_t pid;
	int status, delay;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		describe_status(status, how, sizeof(how));
		for (i = 0; i < m->count; i++)
			if (m->children[i].pid == pid)
				break;
		if (i == m->count) {
			log_warning("unknown child %ld %s", (long)pid, how);
			continue;
		}
		if (m->stopping || m->children[i].retiring) {
			log_info("%s %ld %s", kind_name(m->children[i].kind),
			    (long)pid, how);
			child_remove(m, i);
			continue;
		}
		if (m->children[i].kind == CHILD_WORKER && WIFEXITED(status) &&
		    WEXITSTATUS(status) == WORKER_EXIT_RECYCLED) {
			/* It chose to go (see worker.h): no crash, no wait. */
			m->children[i].pid = 0;
			m->children[i].respawn_at = now_monotonic();
			log_info("worker %ld left to give memory back; starting "
			    "a fresh one", (long)pid);
			continue;
		}
		now = now_monotonic();
		lived = ms_between(&m->children[i].started_at, &now);
		delay = child_schedule_respawn(&m->children[i], lived);
		metrics_count_respawn();
		if (delay > 0)
			log_warning("%s %ld %s; respawning in %d s",
			    kind_name(m->children[i].kind), (long)pid, how,
			    delay);
		else
			log_warning("%s %ld %s; respawning",
			    kind_name(m->children[i].kind), (long)pid, how);
	}
}

/*
 * Applies the command-line overrides to a configuration, as main() did for
 * the first one.  Returns 0, or -1 with `err` set.
 */
static int
apply_overrides(const struct master_options *opts, struct conf *c,
    char *err, size_t errlen)
{
	if (opts->listen_override != NULL &&
	    conf_set(c, "listen", opts->listen_override, err, errlen) == -1)
		return -1;
	if (opts->workers_override > 0)
		c->workers = opts->workers_override;
	if (opts->job_runners_override >= 0)
		c->job_runners = opts->job_runners_override;
	return 0;
}

/* Adds the entries of a new generation of workers and job runners. */
static void
generation_add(struct master *m)
{
	int i;

	for (i = 0; i < m->conf->workers; i++)
		if (child_add(m, CHILD_WORKER) == -1) {
			log_error("too many child processes; not starting "
			    "more workers");
			return;
		}
	for (i = 0; i < m->conf->job_runners; i++)
		if (child_add(m, CHILD_JOB_RUNNER) == -1) {
			log_error("too many child processes; not starting "
			    "more job runners");
			return;
		}
}

/*
 * Logs that setting `name` changed from `was` to `now` (either may be
 * NULL) and that the change waits for a restart.
 */
static void
warn_if_changed(const char *name, const char *was, const char *now)
{
	if (was == now || (was != NULL && now != NULL && strcmp(was, now) == 0))
		return;
	log_warning("reload: %s changed from %s to %s; it takes effect only "
	    "after a restart", name, was != NULL ? was : "(none)",
	    now != NULL ? now : "(none)");
}

/*
 * SIGHUP: loads the configuration file again and starts a generation of
 * workers running it.  The old ones are asked to stop only when all new
 * ones are ready (generation_retire_old()), and they finish the request
 * they are serving, so a reload refuses nothing.  A configuration that
 * fails to load is reported and the running one kept.
 */
static void
master_reload(struct master *m)
{
	struct conf fresh;
	char err[512];
	size_t i;

	if (conf_init(&fresh) == -1) {
		log_error("reload: out of memory; keeping the running "
		    "configuration");
		return;
	}
	err[0] = '\0';
	if ((m->opts->config_path != NULL &&
	    conf_load(&fresh, m->opts->config_path, err, sizeof(err)) == -1) ||
	    apply_overrides(m->opts, &fresh, err, sizeof(err)) == -1) {
		log_error("reload: %s; keeping the running configuration",
		    err);
		conf_release(&fresh);
		return;
	}
	/*
	 * The socket was opened, the user taken and writes confined (see
	 * sandbox.h) at start, so these settings cannot move on a reload.
	 */
	warn_if_changed("listen", m->conf->listen, fresh.listen);
	warn_if_changed("user", m->conf->user, fresh.user);
	warn_if_changed("tenants_dir", m->conf->tenants_dir, fresh.tenants_dir);
	warn_if_changed("archive_dir", m->conf->archive_dir, fresh.archive_dir);
	conf_release(m->conf);
	*m->conf = fresh;
	log_set_level((enum log_level)m->conf->log_level);
	log_set_target((enum log_target)m->conf->log_target);

	for (i = 0; i < m->count; ) {
		if (m->children[i].pid == 0) {
			child_remove(m, i);
			continue;
		}
		m->children[i].retiring = 1;
		i++;
	}
	m->generation++;
	log_info("reloading: starting generation %u", m->generation);
	generation_add(m);
}

/*
 * Reads the pids that workers wrote to the readiness pipe and marks their
 * entries ready.
 */
static void
ready_pipe_read(struct master *m)
{
	pid_t pids[64];
	ssize_t n;
	size_t i, j, count;

	while ((n = read(ready_pipe[0], pids, sizeof(pids))) > 0) {
		count = (size_t)n / sizeof(pids[0]);
		for (i = 0; i < count; i++)
			for (j = 0; j < m->count; j++)
				if (m->children[j].pid == pids[i])
					m->children[j].ready = 1;
	}
}

/*
 * Once every entry of the current generation runs and reported ready,
 * asks the retiring processes to finish their request and exit.  Called
 * on every turn of the main loop.
 */
static void
generation_retire_old(struct master *m)
{
	size_t i, waiting = 0;

	for (i = 0; i < m->count; i++) {
		const struct child *c = &m->children[i];

		if (c->retiring) {
			if (c->pid > 0 && !c->stop_sent)
				waiting++;
		} else if (c->pid == 0 || !c->ready)
			return;
	}
	if (waiting == 0)
		return;
	log_info("generation %u is ready; stopping %zu old processes",
	    m->generation, waiting);
	for (i = 0; i < m->count; i++) {
		struct child *c = &m->children[i];

		if (c->retiring && c->pid > 0 && !c->stop_sent) {
			kill(c->pid, SIGTERM);
			c->stop_sent = 1;
		}
	}
}

/* Writes the master's pid to `path`.  Returns 0 or -1. */
static int
pid_file_write(const char *path)
{
	char text[32];
	int fd, len, rc = -1;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		log_error("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (write(fd, text, (size_t)len) != len)
		log_error("pid file %s: %s", path, strerror(errno));
	else
		rc = 0;
	if (close(fd) == -1 && rc == 0) {
		log_error("pid file %s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* Sends `signo` to every child that is running. */
static void
children_signal(struct master *m, int signo)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (m->children[i].pid > 0) {
			kill(m->children[i].pid, signo);
			m->children[i].stop_sent = 1;
		}
}

/* Counts the children that are running. */
static size_t
children_running(const struct master *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->count; i++)
		if (m->children[i].pid > 0)
			n++;
	return n;
}

/*
 * SIGTERM/SIGINT: stops accepting (the master's copy of the socket is
 * closed and a socket file it created removed, so new clients fail at
 * once), asks every child to stop after its current request, waits up to
 * MASTER_DRAIN_SECONDS and kills what is left.
 */
static void
master_stop(struct master *m)
{
	struct timespec deadline, now;
	struct pollfd pfd;
	long long wait;
	size_t i;
	pid_t pid;

	m->stopping = 1;
	if (m->listen_fd != -1) {
		close(m->listen_fd);
		m->listen_fd = -1;
	}
	if (m->opts->unlink_path != NULL &&
	    unlink(m->opts->unlink_path) == -1 && errno != ENOENT)
		log_warning("%s: %s", m->opts->unlink_path, strerror(errno));
	for (i = 0; i < m->count; )
		if (m->children[i].pid == 0)
			child_remove(m, i);
		else
			i++;
	log_info("stopping: waiting for %zu processes to finish",
	    children_running(m));
	children_signal(m, SIGTERM);

	deadline = now_monotonic();
	deadline.tv_sec += MASTER_DRAIN_SECONDS;
	for (;;) {
		got_chld = 0;
		children_reap(m);
		if (m->count == 0)
			break;
		now = now_monotonic();
		if ((wait = ms_between(&now, &deadline)) <= 0) {
			log_warning("drain timeout: killing %zu processes",
			    m->count);
			children_signal(m, SIGKILL);
			while (m->count > 0) {
				pid = waitpid(m->children[0].pid, NULL, 0);
				if (pid == -1 && errno == EINTR)
					continue;
				child_remove(m, 0);
			}
			break;
		}
		pfd.fd = signal_pipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)wait) == -1 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		signal_pipe_drain();
	}
}

/*
 * Publishes how many workers and job runners are running now, for the
 * metrics.  Called by the main loop after every round of reaping and
 * starting.
 */
static void
metrics_alive_update(const struct master *m)
{
	unsigned workers = 0, job_runners = 0;
	size_t i;

	for (i = 0; i < m->count; i++) {
		if (m->children[i].pid == 0)
			continue;
		if (m->children[i].kind == CHILD_WORKER)
			workers++;
		else
			job_runners++;
	}
	metrics_set_alive(workers, job_runners);
}

/*
 * Runs the master: writes the pid file, starts the first generation of
 * workers, then reaps, respawns and reloads until SIGTERM or SIGINT.
 * Called by main() with the loaded configuration, which the master owns
 * (and replaces on reload) from here on.  Returns the exit status.
 */
int
master_run(const struct master_options *opts, struct conf *c, int listen_fd)
{
	struct master m;
	struct pollfd pfd[2];
	int timeout, status = 1, pid_file_written = 0;

	memset(&m, 0, sizeof(m));
	m.opts = opts;
	m.conf = c;
	m.listen_fd = listen_fd;
	m.generation = 1;

	if (master_signals() == -1) {
		log_error("signal setup: %s", strerror(errno));
		goto out;
	}
	if (opts->pid_file != NULL) {
		if (pid_file_write(opts->pid_file) == -1)
			goto out;
		pid_file_written = 1;
	}
	log_info("tenantd master %ld: starting %d workers and %d job runners",
	    (long)getpid(), c->workers, c->job_runners);
	if (metrics_init() == -1)
		log_warning("metrics: shared memory: %s; /api/metrics will "
		    "show no counters", strerror(errno));
	generation_add(&m);

	for (;;) {
		if (got_term)
			break;
		if (got_hup) {
			got_hup = 0;
			master_reload(&m);
		}
		if (got_chld) {
			got_chld = 0;
			children_reap(&m);
		}
		timeout = children_start_due(&m);
		generation_retire_old(&m);
		metrics_alive_update(&m);
		pfd[0].fd = signal_pipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = ready_pipe[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		signal_pipe_drain();
		ready_pipe_read(&m);
	}
	master_stop(&m);
	log_info("tenantd master %ld: stopped", (long)getpid());
	status = 0;
out:
	if (pid_file_written && unlink(opts->pid_file) == -1)
		log_warning("pid file %s: %s", opts->pid_file, strerror(errno));
	if (m.listen_fd != -1)
		close(m.listen_fd);
	free(m.children);
	if (signal_pipe[0] != -1)
		close(signal_pipe[0]);
	if (signal_pipe[1] != -1)
		close(signal_pipe[1]);
	signal_pipe[0] = signal_pipe[1] = -1;
	if (ready_pipe[0] != -1)
		close(ready_pipe[0]);
	if (ready_pipe[1] != -1)
		close(ready_pipe[1]);
	ready_pipe[0] = ready_pipe[1] = -1;
	conf_release(c);
	return status;
}

/*
 * runner.c - a job runner child of the tenantd master.
 *
 * The runner is a thin shell around job_runner_loop(): it sets up its
 * signals, names itself, opens its own service (a database connection is
 * never shared across fork) and tells the master it is up.  SIGTERM only
 * sets a flag that the loop reads between jobs, so the master's drain and
 * reload wait for a job in progress to finish; a runner killed outright
 * leaves its job to the heartbeat timeout, after which another runner
 * takes it over.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "child_signals.h"
#include "conf.h"
#include "job_runner.h"
#include "log.h"
#include "runner.h"
#include "service.h"

static volatile sig_atomic_t runner_stop;

/* SIGTERM: finish the current job, then leave the loop. */
static void
on_sigterm(int signo)
{
	runner_stop = 1;
}

/*
 * Replaces the master's signal dispositions with the runner's and
 * unblocks everything (the master forks with all signals blocked; a
 * SIGTERM that arrived in between is delivered now, to the new handler).
 * Returns 0 or -1.
 */
static int
runner_signals(void)
{
	sigset_t none;

	if (child_signals_install(on_sigterm) == -1)
		return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Tells the master this runner is up by writing its pid to `fd` (one
 * write, smaller than PIPE_BUF), then closes it.  A failure only delays
 * the retirement of an old generation, so it is logged and ignored.
 */
static void
announce_ready(int fd)
{
	pid_t pid = getpid();

	if (fd == -1)
		return;
	if (write(fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		log_warning("job runner: could not tell the master it is "
		    "ready: %s", strerror(errno));
	close(fd);
}

/*
 * The runner's life, in the child right after fork: set up, run the queue
 * until SIGTERM, close.  Returns the exit status: 0 after SIGTERM, 1 when
 * the runner cannot start.
 */
int
runner_run(const struct conf *c, int ready_fd)
{
	struct service svc;
	char err[256], runner_id[128];
	int status = 1;

	memset(&svc, 0, sizeof(svc));
	svc.tenants_dirfd = -1;
	log_set_level((enum log_level)c->log_level);
	if (runner_signals() == -1) {
		log_error("job runner: signal setup: %s", strerror(errno));
		goto out;
	}
	/* A runner outliving a killed master would run an old config. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
	    prctl(PR_SET_NAME, RUNNER_PROCESS_NAME) == -1) {
		log_error("job runner: prctl: %s", strerror(errno));
		goto out;
	}
	if (service_open(&svc, c, err, sizeof(err)) == -1) {
		log_error("job runner: %s", err);
		goto out;
	}
	job_runner_id(runner_id, sizeof(runner_id));
	log_info("job runner %s started", runner_id);
	announce_ready(ready_fd);
	ready_fd = -1;
	if (job_runner_loop(&svc, runner_id, &runner_stop, 0) == 0)
		status = 0;
	log_info("job runner %s stopped", runner_id);
	service_close(&svc);
out:
	if (ready_fd != -1)
		close(ready_fd);
	return status;
}

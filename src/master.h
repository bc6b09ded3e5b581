/*
 * master.h - the tenantd master process and its pool of workers.
 *
 * The master owns the listening socket and forks `workers` FastCGI workers
 * and `job_runners` job runners (runner.h).  It:
 *   - respawns a process that dies, waiting longer each time one dies
 *     within a second of starting (1 s, 2 s, 4 s ... up to 30 s) so a
 *     crash loop cannot eat the machine;
 *   - on SIGHUP re-reads the configuration, starts a new generation of
 *     workers and runners and then asks the old ones to finish their
 *     current request or job and exit, so no request is refused during a
 *     reload;
 *   - on SIGTERM or SIGINT stops accepting, lets in-flight requests and
 *     jobs finish (up to a drain timeout) and exits 0.
 */
#ifndef TENANTD_MASTER_H
#define TENANTD_MASTER_H

struct conf;

struct master_options {
	const char	*config_path;	/* re-read on SIGHUP; may be NULL */
	const char	*listen_override;
	int		 workers_override;	/* 0: from the config */
	int		 job_runners_override;	/* -1: from the config */
	const char	*pid_file;	/* may be NULL */
	const char	*unlink_path;	/* unix socket tenantd created, removed
					   when the master stops; NULL for an
					   inherited or TCP socket */
};

/*
 * Runs the master until SIGTERM/SIGINT.  `c` is the loaded configuration,
 * which the master owns from here on.  `listen_fd` is the open listening
 * socket.  Returns the process exit status.
 */
int	master_run(const struct master_options *opts, struct conf *c,
	    int listen_fd);

#endif

/*
 * worker.h - a FastCGI worker process.
 *
 * A worker opens its own service (database connection, libmagic, tenants
 * directory) after fork, then accepts connections on the shared listening
 * socket and answers one request at a time until told to stop.  Between
 * requests it waits in ppoll() with SIGTERM unblocked, so a stop request is
 * acted on at once when idle and only after the current response when busy.
 */
#ifndef TENANTD_WORKER_H
#define TENANTD_WORKER_H

struct conf;

/*
 * The exit status of a worker that left on its own after a request because
 * its resident memory passed worker_rss_high_water: the master starts a
 * fresh one at once, without the back-off of a crash.
 */
#define WORKER_EXIT_RECYCLED	3

/*
 * Runs a worker until SIGTERM (exit status 0), a failure (1) or a request
 * after which it holds more memory than worker_rss_high_water
 * (WORKER_EXIT_RECYCLED).  Returns the process exit status.
 */
int	worker_run(const struct conf *c, int listen_fd);

/*
 * Gives the worker the write end of the master's readiness pipe (called in
 * the child before worker_run()).  Once the worker can serve, it writes its
 * pid there and closes the descriptor; the master retires an old
 * generation only after every new worker did so.  -1: nobody to tell.
 */
void	worker_set_ready_fd(int fd);

#endif

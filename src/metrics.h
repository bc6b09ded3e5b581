/*
 * metrics.h - counters of the whole tenantd pool for GET /api/metrics.
 *
 * A worker only sees its own requests, yet Prometheus must see the pool.
 * The master therefore maps one shared, anonymous memory segment before it
 * forks anything, and gives every child a slot of it.  A child writes only
 * its own slot; the metrics handler reads and sums every slot ever handed
 * out.  A respawned child takes over its predecessor's slot and keeps
 * adding to it, so counters never go down while the master lives.
 * Without metrics_init() (tenantctl, unit tests) every call is a no-op.
 */
#ifndef TENANTD_METRICS_H
#define TENANTD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Upper bounds (milliseconds) of the latency histogram buckets. */
#define METRICS_BUCKET_BOUNDS	{ 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500 }
#define METRICS_BUCKETS		10

/* Distinct route patterns counted; the rest share the "other" row. */
#define METRICS_ROUTES_MAX	48

/* Children with a slot at one time (two generations during a reload). */
#define METRICS_SLOTS_MAX	1024

/*
 * Master, before the first fork: maps the segment and learns the route
 * patterns from router_routes().  Returns 0, or -1 (errno set); tenantd
 * runs without metrics then.
 */
int	metrics_init(void);

/*
 * Master: a free slot for a child about to be forked, marked in use and
 * counted from then on.  Returns the slot, or -1 when none is free.
 */
int	metrics_slot_take(void);

/* Master: slot `slot` (from metrics_slot_take()) is free again; -1 is ok. */
void	metrics_slot_release(int slot);

/* Child, right after fork: from now on this process writes to `slot`. */
void	metrics_slot_use(int slot);

/* Master: children alive now, and one more respawn of a dead child. */
void	metrics_set_alive(unsigned workers, unsigned job_runners);
void	metrics_count_respawn(void);

/*
 * Worker, once per answered request: `route` is the matched pattern (NULL
 * for no route), `status` the HTTP status, `ms` the time it took.
 */
void	metrics_count_request(const char *route, int status, double ms);

/*
 * Worker, after each request: the running totals of its database
 * reconnects and config cache hits and misses.  Only the growth since the
 * last call is added to the slot, so a respawned worker starting again at
 * zero does not make the sum go down.
 */
void	metrics_set_worker_totals(uint64_t db_reconnects, uint64_t cache_hits,
	    uint64_t cache_misses);

/*
 * Appends the pool's counters in the Prometheus text format 0.0.4 to
 * `out`.  Returns 0, or -1 when `out` cannot grow.
 */
int	metrics_write(struct buf *out);

#endif

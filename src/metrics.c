/*
 * metrics.c - the pool-wide counters behind GET /api/metrics (metrics.h).
 *
 * Layout of the shared segment: a header the master writes (children
 * alive, respawns, which slots exist) and METRICS_SLOTS_MAX slots, each
 * written by one child at a time.  Every slot has a row per route pattern
 * (requests by status class, latency histogram, latency sum).  Each word
 * has exactly one writer, so relaxed atomic loads and stores are enough:
 * a reader may see a request counted in one row a moment before another,
 * never a torn number.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "metrics.h"
#include "router.h"

/* Rows besides the route table's patterns. */
#define ROUTE_AUTHORIZER	"authorizer"
#define ROUTE_UNMATCHED		"unmatched"

/* HTTP status classes 1xx to 5xx. */
#define STATUS_CLASSES		5

struct route_row {
	uint64_t	 requests[STATUS_CLASSES];
	uint64_t	 buckets[METRICS_BUCKETS + 1];	/* last: +Inf only */
	uint64_t	 duration_us;
};

struct slot {
	uint64_t	 db_reconnects;
	uint64_t	 cache_hits;
	uint64_t	 cache_misses;
	struct route_row rows[METRICS_ROUTES_MAX];
};

struct shared {
	uint64_t	 workers_alive;
	uint64_t	 job_runners_alive;
	uint64_t	 respawns;
	uint8_t		 ever_used[METRICS_SLOTS_MAX];	/* summed */
	uint8_t		 in_use[METRICS_SLOTS_MAX];	/* taken now */
	struct slot	 slots[METRICS_SLOTS_MAX];
};

static const unsigned bucket_bounds_ms[METRICS_BUCKETS] =
    METRICS_BUCKET_BOUNDS;

/* NULL until metrics_init(); inherited by every child. */
static struct shared *shared;

/* The row names: the table's distinct patterns, then the extra rows. */
static const char *row_names[METRICS_ROUTES_MAX];
static size_t row_count;

/* This child's slot, or NULL in the master and outside tenantd. */
static struct slot *own;

/* The totals the worker reported last, to add only their growth. */
static uint64_t last_db_reconnects, last_cache_hits, last_cache_misses;

/* Reads a counter another process may be writing. */
static uint64_t
load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* Adds to a counter this process alone writes. */
static void
add(uint64_t *counter, uint64_t amount)
{
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) +
	    amount, __ATOMIC_RELAXED);
}

/* Adds `name` to the row names unless it is there already or full. */
static void
row_add(const char *name)
{
	size_t i;

	for (i = 0; i < row_count; i++)
		if (strcmp(row_names[i], name) == 0)
			return;
	if (row_count < METRICS_ROUTES_MAX)
		row_names[row_count++] = name;
}

/*
 * Maps the shared segment and names its rows.  Called by the master once,
 * before forking.  Returns 0 or -1.
 */
int
metrics_init(void)
{
	const struct route *routes;
	size_t count, i;
	void *mapped;

	if (shared != NULL)
		return 0;
	mapped = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mapped == MAP_FAILED)
		return -1;
	shared = mapped;
	routes = router_routes(&count);
	/* Keep the last two rows for the authorizer and unmatched paths. */
	for (i = 0; i < count && row_count < METRICS_ROUTES_MAX - 2; i++)
		row_add(routes[i].pattern);
	row_add(ROUTE_AUTHORIZER);
	row_add(ROUTE_UNMATCHED);
	return 0;
}

/*
 * Hands out the first free slot for a child about to be forked.  Called by
 * the master.  Returns the slot or -1.
 */
int
metrics_slot_take(void)
{
	size_t i;

	if (shared == NULL)
		return -1;
	for (i = 0; i < METRICS_SLOTS_MAX; i++)
		if (!shared->in_use[i]) {
			shared->in_use[i] = 1;
			shared->ever_used[i] = 1;
			return (int)i;
		}
	return -1;
}

/* Frees a slot whose child is gone for good.  Called by the master. */
void
metrics_slot_release(int slot)
{
	if (shared == NULL || slot < 0 || slot >= METRICS_SLOTS_MAX)
		return;
	shared->in_use[slot] = 0;
}

/* Makes this (child) process write to `slot`.  Called right after fork. */
void
metrics_slot_use(int slot)
{
	own = NULL;
	if (shared == NULL || slot < 0 || slot >= METRICS_SLOTS_MAX)
		return;
	own = &shared->slots[slot];
	last_db_reconnects = last_cache_hits = last_cache_misses = 0;
}

/* Records how many children are alive.  Called by the master. */
void
metrics_set_alive(unsigned workers, unsigned job_runners)
{
	if (shared == NULL)
		return;
	__atomic_store_n(&shared->workers_alive, workers, __ATOMIC_RELAXED);
	__atomic_store_n(&shared->job_runners_alive, job_runners,
	    __ATOMIC_RELAXED);
}

/* Counts one respawn of a child that died.  Called by the master. */
void
metrics_count_respawn(void)
{
	if (shared != NULL)
		add(&shared->respawns, 1);
}

/* The row of `route`: its pattern's, or the unmatched row. */
static size_t
row_of(const char *route)
{
	size_t i;

	if (route != NULL)
		for (i = 0; i < row_count; i++)
			if (strcmp(row_names[i], route) == 0)
				return i;
	for (i = 0; i < row_count; i++)
		if (strcmp(row_names[i], ROUTE_UNMATCHED) == 0)
			return i;
	return row_count - 1;
}

/* Counts one answered request.  Called by the worker after each one. */
void
metrics_count_request(const char *route, int status, double ms)
{
	struct route_row *row;
	size_t bucket;
	int status_class;

	if (own == NULL || row_count == 0)
		return;
	row = &own->rows[row_of(route)];
	status_class = status / 100 - 1;
	if (status_class < 0 || status_class >= STATUS_CLASSES)
		status_class = STATUS_CLASSES - 1;
	add(&row->requests[status_class], 1);
	if (ms < 0)
		ms = 0;
	for (bucket = 0; bucket < METRICS_BUCKETS; bucket++)
		if (ms <= (double)bucket_bounds_ms[bucket])
			break;
	add(&row->buckets[bucket], 1);
	add(&row->duration_us, (uint64_t)(ms * 1000.0));
}

/* Adds the growth of one running total since the last report. */
static void
add_growth(uint64_t *counter, uint64_t total, uint64_t *last)
{
	if (total > *last)
		add(counter, total - *last);
	*last = total;
}

/* Records the worker's running totals.  Called by the worker. */
void
metrics_set_worker_totals(uint64_t db_reconnects, uint64_t cache_hits,
    uint64_t cache_misses)
{
	if (own == NULL)
		return;
	add_growth(&own->db_reconnects, db_reconnects, &last_db_reconnects);
	add_growth(&own->cache_hits, cache_hits, &last_cache_hits);
	add_growth(&own->cache_misses, cache_misses, &last_cache_misses);
}

/* Appends one "# HELP" and "# TYPE" pair. */
static int
write_header(struct buf *out, const char *name, const char *type,
    const char *help)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/*
 * Appends a label value with '\\', '"' and newlines escaped, as the text
 * format wants.  Returns 0 or -1.
 */
static int
write_label_value(struct buf *out, const char *value)
{
	for (; *value != '\0'; value++) {
		if ((*value == '\\' || *value == '"') &&
		    buf_append_char(out, '\\') == -1)
			return -1;
		if (*value == '\n') {
			if (buf_append_str(out, "\\n") == -1)
				return -1;
		} else if (buf_append_char(out, *value) == -1)
			return -1;
	}
	return 0;
}

/* Sums row `row` over every slot ever used into `sum`. */
static void
row_sum(size_t row, struct route_row *sum)
{
	const struct route_row *r;
	size_t slot, i;

	memset(sum, 0, sizeof(*sum));
	for (slot = 0; slot < METRICS_SLOTS_MAX; slot++) {
		if (!shared->ever_used[slot])
			continue;
		r = &shared->slots[slot].rows[row];
		for (i = 0; i < STATUS_CLASSES; i++)
			sum->requests[i] += load(&r->requests[i]);
		for (i = 0; i <= METRICS_BUCKETS; i++)
			sum->buckets[i] += load(&r->buckets[i]);
		sum->duration_us += load(&r->duration_us);
	}
}

/* Appends the request counters of every route that saw a request. */
static int
write_requests(struct buf *out)
{
	struct route_row sum;
	size_t row, i;

	if (write_header(out, "tenantd_http_requests_total", "counter",
	    "HTTP requests answered, by route pattern and status class.") == -1)
		return -1;
	for (row = 0; row < row_count; row++) {
		row_sum(row, &sum);
		for (i = 0; i < STATUS_CLASSES; i++) {
			if (sum.requests[i] == 0)
				continue;
			if (buf_append_str(out,
			    "tenantd_http_requests_total{route=\"") == -1 ||
			    write_label_value(out, row_names[row]) == -1 ||
			    buf_printf(out, "\",code=\"%zuxx\"} %ju\n", i + 1,
			    (uintmax_t)sum.requests[i]) == -1)
				return -1;
		}
	}
	return 0;
}

/* Appends one histogram line: name suffix, route, optional le, value. */
static int
write_histogram_line(struct buf *out, const char *suffix, const char *route,
    const char *le, const char *value)
{
	if (buf_printf(out, "tenantd_http_request_duration_seconds%s"
	    "{route=\"", suffix) == -1 ||
	    write_label_value(out, route) == -1)
		return -1;
	if (le != NULL && buf_printf(out, "\",le=\"%s", le) == -1)
		return -1;
	return buf_printf(out, "\"} %s\n", value);
}

/* Appends the latency histogram of every route that saw a request. */
static int
write_latency(struct buf *out)
{
	struct route_row sum;
	char le[32], value[48];
	uint64_t cumulative;
	size_t row, i;

	if (write_header(out, "tenantd_http_request_duration_seconds",
	    "histogram", "Time from reading a request to its last byte "
	    "written, by route pattern.") == -1)
		return -1;
	for (row = 0; row < row_count; row++) {
		row_sum(row, &sum);
		cumulative = 0;
		for (i = 0; i <= METRICS_BUCKETS; i++)
			cumulative += sum.buckets[i];
		if (cumulative == 0)
			continue;
		cumulative = 0;
		for (i = 0; i < METRICS_BUCKETS; i++) {
			cumulative += sum.buckets[i];
			snprintf(le, sizeof(le), "%g",
			    bucket_bounds_ms[i] / 1000.0);
			snprintf(value, sizeof(value), "%ju",
			    (uintmax_t)cumulative);
			if (write_histogram_line(out, "_bucket", row_names[row],
			    le, value) == -1)
				return -1;
		}
		cumulative += sum.buckets[METRICS_BUCKETS];
		snprintf(value, sizeof(value), "%ju", (uintmax_t)cumulative);
		if (write_histogram_line(out, "_bucket", row_names[row],
		    "+Inf", value) == -1 ||
		    write_histogram_line(out, "_count", row_names[row], NULL,
		    value) == -1)
			return -1;
		snprintf(value, sizeof(value), "%.6f",
		    (double)sum.duration_us / 1e6);
		if (write_histogram_line(out, "_sum", row_names[row], NULL,
		    value) == -1)
			return -1;
	}
	return 0;
}

/* Appends one metric without labels. */
static int
write_single(struct buf *out, const char *name, const char *type,
    const char *help, uint64_t value)
{
	if (write_header(out, name, type, help) == -1)
		return -1;
	return buf_printf(out, "%s %ju\n", name, (uintmax_t)value);
}

/* Writes the pool's counters (metrics.h).  Called by the metrics handler. */
int
metrics_write(struct buf *out)
{
	uint64_t reconnects = 0, hits = 0, misses = 0;
	size_t slot;

	if (shared == NULL)
		return 0;
	for (slot = 0; slot < METRICS_SLOTS_MAX; slot++) {
		if (!shared->ever_used[slot])
			continue;
		reconnects += load(&shared->slots[slot].db_reconnects);
		hits += load(&shared->slots[slot].cache_hits);
		misses += load(&shared->slots[slot].cache_misses);
	}
	if (write_requests(out) == -1 || write_latency(out) == -1)
		return -1;
	if (write_single(out, "tenantd_workers_alive", "gauge",
	    "FastCGI worker processes running.",
	    load(&shared->workers_alive)) == -1 ||
	    write_single(out, "tenantd_job_runners_alive", "gauge",
	    "Job runner processes of tenantd running.",
	    load(&shared->job_runners_alive)) == -1 ||
	    write_single(out, "tenantd_respawns_total", "counter",
	    "Workers and job runners started again after they died.",
	    load(&shared->respawns)) == -1 ||
	    write_single(out, "tenantd_db_reconnects_total", "counter",
	    "Database connections of workers made again after a loss.",
	    reconnects) == -1 ||
	    write_single(out, "tenantd_config_cache_hits_total", "counter",
	    "Tenant config.json lookups answered from a worker's memory.",
	    hits) == -1 ||
	    write_single(out, "tenantd_config_cache_misses_total", "counter",
	    "Tenant config.json lookups that read the file or found none.",
	    misses) == -1)
		return -1;
	return 0;
}

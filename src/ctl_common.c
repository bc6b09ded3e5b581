/*
 * ctl_common.c - the helpers every tenantctl command file uses: reading a
 * yes/no option, messages on standard error, JSON and listings on standard
 * output (see ctl_common.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "ctl_common.h"
#include "json.h"

/* 1 when option `bit` was given, else 0 (see ctl_common.h). */
int
ctl_option_given(const struct cli_options *o, enum option_bit bit)
{
	return (o->given & (unsigned)bit) != 0;
}

/* "tenantctl: <message>" on standard error (see ctl_common.h). */
void
complain(const char *fmt, ...)
{
	va_list	ap;

	fputs("tenantctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Prints and empties what `g` holds, then a line break if `newline`.
 * 0, or -1 if the generator failed (see ctl_common.h).
 */
int
ctl_json_flush(yajl_gen g, int newline)
{
	const unsigned char	*text;
	size_t			 len;

	if (yajl_gen_get_buf(g, &text, &len) != yajl_gen_status_ok)
		return -1;
	fwrite(text, 1, len, stdout);
	if (newline)
		putchar('\n');
	yajl_gen_clear(g);
	return 0;
}

/*
 * ctl_listing_print() with --json: the items as one JSON array of objects
 * on a line.  CLI_OK, or CLI_FAILED after a message.
 */
static int
json_array_print(const void *items, size_t count, size_t size,
    ctl_json_item_fn write_item)
{
	const char	*item = items;
	yajl_gen	 g;
	size_t		 i;
	int		 rc = CLI_FAILED;

	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < count; i++, item += size) {
		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    write_item(g, item) == -1 ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto out;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    ctl_json_flush(g, 1) == -1)
		goto out;
	rc = CLI_OK;
out:
	if (rc != CLI_OK)
		complain("cannot write JSON");
	if (g != NULL)
		yajl_gen_free(g);
	return rc;
}

/*
 * A listing as JSON with --json, else as lines.  CLI_OK, or CLI_FAILED
 * after a message (see ctl_common.h).
 */
int
ctl_listing_print(const struct cli_options *o, const void *items,
    size_t count, size_t size, ctl_json_item_fn write_item,
    ctl_text_item_fn print_line)
{
	const char	*item = items;
	size_t		 i;

	if (ctl_option_given(o, OPTION_JSON))
		return json_array_print(items, count, size, write_item);
	for (i = 0; i < count; i++, item += size)
		print_line(item);
	return CLI_OK;
}

/* Seconds since `start` on the monotonic clock. */
static double
seconds_since(const struct timespec *start)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Starts a progress display for work that `verb`s things. */
void
ctl_progress_start(struct ctl_progress *p, const char *verb)
{
	memset(p, 0, sizeof(*p));
	p->verb = verb;
	p->tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &p->started);
}

/*
 * Shows `done` of `total`: on a terminal the bar
 * "[#####     ] 4200/10000 420/s ETA 14s" redrawn in place with \r,
 * otherwise one line per call.
 */
void
ctl_progress_show(struct ctl_progress *p, size_t done, size_t total)
{
	char	bar[CTL_PROGRESS_BAR_WIDTH + 1];
	double	elapsed, rate;
	size_t	filled, i;
	long	eta;

	elapsed = seconds_since(&p->started);
	rate = elapsed > 0 ? (double)done / elapsed : 0;
	eta = rate > 0 ? (long)((double)(total - done) / rate + 0.5) : 0;
	if (!p->tty) {
		fprintf(stderr, "progress: %zu/%zu %s, %.0f/s, ETA %lds\n",
		    done, total, p->verb, rate, eta);
		return;
	}
	filled = total > 0 ? done * CTL_PROGRESS_BAR_WIDTH / total : CTL_PROGRESS_BAR_WIDTH;
	for (i = 0; i < CTL_PROGRESS_BAR_WIDTH; i++)
		bar[i] = i < filled ? '#' : ' ';
	bar[CTL_PROGRESS_BAR_WIDTH] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu %.0f/s ETA %lds ", bar, done, total,
	    rate, eta);
	fflush(stderr);
	p->drawn = 1;
}

/* Ends the bar's line on a terminal, so what follows starts afresh. */
void
ctl_progress_end(struct ctl_progress *p)
{
	if (p->drawn)
		fputc('\n', stderr);
	p->drawn = 0;
}

/*
 * ctl_common.c - the helpers every tenantctl command file uses: reading a
 * yes/no option, messages on standard error, JSON and listings on standard
 * output (see ctl_common.h).
 */
#include <stdarg.h>
#include <stdio.h>

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

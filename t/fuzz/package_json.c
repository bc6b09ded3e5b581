/*
 * package_json.c - libFuzzer target: a template's package.json customised
 * for a tenant (lib/package_json.c).
 *
 * Arbitrary bytes must be refused with a message, or turned into a
 * document that yajl's parser reads back as one object whose top-level
 * `name` members, every one, hold "<sub>-app" and `description` members
 * "Application for <name>" (there being at least one of each), for a
 * tenant name full of what needs escaping.  Customising that output again
 * must give the same bytes.  Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "buf.h"
#include "package_json.h"

#define SUBDOMAIN	"fuzz-co"
#define TENANT_NAME	"Q \"quoted\" \\back\\ \x01\x1f\n\x7f \xc3\xa9 " \
			"\xf0\x9f\x98\x80"

/* What the check has seen of the output so far. */
struct check {
	size_t		 depth;		/* containers open */
	const char	*expected;	/* the value the next one must be */
	size_t		 names;		/* top-level names seen */
	size_t		 descriptions;	/* and descriptions */
};

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Judges a value arriving: the document must be an object, and a value of
 * `name` or `description` must be the expected string (`text`, or NULL
 * when the value is no string).  Returns 1 to go on, 0 to stop.
 */
static int
check_value(struct check *c, const unsigned char *text, size_t len,
    int is_object)
{
	const char	*expected = c->expected;

	c->expected = NULL;
	if (c->depth == 0)
		return is_object;
	if (c->depth != 1 || expected == NULL)
		return 1;
	return text != NULL && len == strlen(expected) &&
	    memcmp(text, expected, len) == 0;
}

/* yajl callbacks for the scalars: none may be a replaced member's value. */
static int
check_null(void *ctx)
{
	return check_value(ctx, NULL, 0, 0);
}

static int
check_boolean(void *ctx, int value)
{
	(void)value;
	return check_value(ctx, NULL, 0, 0);
}

static int
check_number(void *ctx, const char *text, size_t len)
{
	(void)text;
	(void)len;
	return check_value(ctx, NULL, 0, 0);
}

static int
check_string(void *ctx, const unsigned char *text, size_t len)
{
	return check_value(ctx, text, len, 0);
}

/* yajl callback for '{': the top level must be one. */
static int
check_start_map(void *ctx)
{
	struct check	*c = ctx;

	if (!check_value(c, NULL, 0, 1))
		return 0;
	c->depth++;
	return 1;
}

/* yajl callback for '['. */
static int
check_start_array(void *ctx)
{
	struct check	*c = ctx;

	if (!check_value(c, NULL, 0, 0))
		return 0;
	c->depth++;
	return 1;
}

/* yajl callback for '}' and ']'. */
static int
check_end(void *ctx)
{
	struct check	*c = ctx;

	c->depth--;
	return 1;
}

/* A top-level `name` or `description` sets the value expected next. */
static int
check_key(void *ctx, const unsigned char *key, size_t len)
{
	struct check	*c = ctx;

	if (c->depth != 1)
		return 1;
	if (len == 4 && memcmp(key, "name", 4) == 0) {
		c->expected = SUBDOMAIN "-app";
		c->names++;
	} else if (len == 11 && memcmp(key, "description", 11) == 0) {
		c->expected = "Application for " TENANT_NAME;
		c->descriptions++;
	}
	return 1;
}

static const yajl_callbacks check_callbacks = {
	check_null, check_boolean, NULL, NULL, check_number, check_string,
	check_start_map, check_key, check_end, check_start_array, check_end
};

/* Aborts unless `len` bytes of `text` pass the checks above. */
static void
check_output(const char *text, size_t len)
{
	struct check	c;
	yajl_handle	h;

	memset(&c, 0, sizeof(c));
	if ((h = yajl_alloc(&check_callbacks, NULL, &c)) == NULL)
		abort();
	if (yajl_parse(h, (const unsigned char *)text, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok ||
	    c.names == 0 || c.descriptions == 0)
		abort();
	yajl_free(h);
}

/* Called by libFuzzer once per input; aborts when a check fails. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	out, again;
	char		err[256] = "";

	buf_init(&out, BUF_NO_LIMIT);
	buf_init(&again, BUF_NO_LIMIT);
	if (package_json_customise((const char *)data, size, SUBDOMAIN,
	    TENANT_NAME, &out, err, sizeof(err)) == 0) {
		if (out.len == 0 || out.data[out.len - 1] != '\n')
			abort();
		check_output(out.data, out.len);
		if (package_json_customise(out.data, out.len, SUBDOMAIN,
		    TENANT_NAME, &again, err, sizeof(err)) != 0 ||
		    again.len != out.len ||
		    memcmp(again.data, out.data, out.len) != 0)
			abort();
	} else if (out.len != 0 || err[0] == '\0')
		abort();
	buf_release(&out);
	buf_release(&again);
	return 0;
}

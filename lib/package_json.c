/*
 * package_json.c - the package.json of a tenant's app (package_json.h):
 * the template's own file with `name` and `description` set for the
 * tenant, or the default one.
 *
 * The template's file is never built into a tree.  yajl's parser hands
 * its events to callbacks that pass them straight on to a generator, so a
 * member keeps its place, a number its source text (the number callback
 * gets the text and yajl_gen_number() writes it back untouched) and a
 * string its value (yajl unescapes it, yajl_gen escapes it again).  The
 * text is read twice: the first pass writes nothing and checks everything
 * (an object at the top, the bounds, strict UTF-8), noting whether `name`
 * and `description` are there; the second writes, and so knows when it
 * opens the object whether those two must be added at the front.
 *
 * yajl_gen prints an empty array or object over three lines, a blank one
 * between the brackets; npm writes "keywords": [] on one.  So the opening
 * of an inner container is held back until the next event: when that is
 * its close, the pair goes out as one atom ("[]" through
 * yajl_gen_number(), which writes its text as it is).
 *
 * The default file is the customisation of a built-in template, so there
 * is one way to write either.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "package_json.h"
#include "validate.h"

#define PACKAGE_DESCRIPTION_PREFIX	"Application for "
#define PACKAGE_NAME_SUFFIX		"-app"
#define PACKAGE_NAME_SIZE		(SUBDOMAIN_MAX + sizeof(PACKAGE_NAME_SUFFIX))
#define PACKAGE_ERROR_PREFIX		"package.json: "

/*
 * The built-in template of package_json_default(): its members in the
 * order tenantd has always written them.
 */
#define PACKAGE_DEFAULT_TEMPLATE \
	"{\"name\": \"\", \"version\": \"1.0.0\", \"private\": true, " \
	"\"description\": \"\"}"

/* The state of one pass over the template's text. */
struct package_rewrite {
	yajl_gen	 gen;		/* NULL in the checking pass */
	struct buf	*text;		/* where gen's output goes */
	const char	*name;		/* the new `name` */
	const char	*description;	/* the new `description` */
	size_t		 depth;		/* containers open */
	size_t		 nodes;		/* values seen */
	int		 skipping;	/* inside a replaced member's value */
	size_t		 skip_depth;	/* containers open inside that value */
	int		 pending_open;	/* '[' or '{' held back, or 0 */
	int		 has_name;	/* the checking pass found `name` */
	int		 has_description;	/* and `description` */
	int		 text_errno;	/* why `text` took no more, or 0 */
	int		 failure;	/* errno of the failure, or 0 */
	char		 message[160];	/* its message */
};

static int	rewrite_fail(struct package_rewrite *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Records why the pass stops: errno value `failure` and a message.
 * Returns 0, which the callbacks return to stop yajl.
 */
static int
rewrite_fail(struct package_rewrite *r, int failure, const char *fmt, ...)
{
	va_list	ap;

	r->failure = failure;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * yajl_gen's print callback: appends to the output buffer and remembers
 * when that failed, since yajl_gen cannot be told.
 */
static void
rewrite_print(void *ctx, const char *data, size_t len)
{
	struct package_rewrite	*r = ctx;

	if (r->text_errno == 0 && buf_append(r->text, data, len) == -1)
		r->text_errno = errno != 0 ? errno : ENOBUFS;
}

/*
 * Judges what a generator call did: `status` and whether its output
 * found room.  Returns 1 to go on, 0 to stop yajl.
 */
static int
rewrite_wrote(struct package_rewrite *r, int status)
{
	if (r->text_errno == ENOMEM)
		return rewrite_fail(r, ENOMEM, "out of memory");
	if (r->text_errno != 0)
		return rewrite_fail(r, ENOBUFS,
		    "package.json would be larger than allowed");
	if (status != yajl_gen_status_ok)
		return rewrite_fail(r, EINVAL,
		    "package.json cannot be written as JSON");
	return 1;
}

/*
 * Counts one more value against the budget and checks that the document
 * is an object at the top; `is_object` says whether this value is one.
 * Returns 1 to go on, 0 to stop yajl.
 */
static int
rewrite_count(struct package_rewrite *r, int is_object)
{
	if (r->nodes == PACKAGE_JSON_NODES_MAX)
		return rewrite_fail(r, E2BIG, "package.json holds more than "
		    "%d values", PACKAGE_JSON_NODES_MAX);
	r->nodes++;
	if (r->depth == 0 && !is_object)
		return rewrite_fail(r, EINVAL,
		    "package.json is not a JSON object");
	return 1;
}

/*
 * Decides whether the event now arriving is written: never in the
 * checking pass, nor inside the old value of a replaced member, which is
 * skipped whole.  `step` is 1 for '{' or '[', -1 for '}' or ']', 0 for a
 * scalar value or a member name.  Before any event but a close, a
 * container opening held back is written.  Returns 1 to write the event,
 * else 0, with r->failure set if writing the opening failed.
 */
static int
rewrite_passes(struct package_rewrite *r, int step)
{
	int	status;

	if (r->skipping) {
		if (step > 0)
			r->skip_depth++;
		else if (step < 0)
			r->skip_depth--;
		if (r->skip_depth == 0)
			r->skipping = 0;
		return 0;
	}
	if (r->gen == NULL)
		return 0;
	if (r->pending_open == 0 || step < 0)
		return 1;
	status = r->pending_open == '{' ? yajl_gen_map_open(r->gen) :
	    yajl_gen_array_open(r->gen);
	r->pending_open = 0;
	return rewrite_wrote(r, status);
}

/*
 * Closes an object (`is_object`) or array.  An empty one's opening is
 * still held back: the pair goes out as one atom.  Returns 1 to go on, 0
 * to stop yajl.
 */
static int
rewrite_close(struct package_rewrite *r, int is_object)
{
	r->depth--;
	if (!rewrite_passes(r, -1))
		return 1;
	if (r->pending_open != 0) {
		r->pending_open = 0;
		return rewrite_wrote(r, yajl_gen_number(r->gen,
		    is_object ? "{}" : "[]", 2));
	}
	return rewrite_wrote(r, is_object ? yajl_gen_map_close(r->gen) :
	    yajl_gen_array_close(r->gen));
}

/*
 * Accounts for a scalar value.  Returns 1 when the caller writes it, else
 * 0, with r->failure set if the pass must stop.
 */
static int
rewrite_scalar(struct package_rewrite *r)
{
	return rewrite_count(r, 0) && rewrite_passes(r, 0);
}

/* yajl callback for null. */
static int
rewrite_on_null(void *ctx)
{
	struct package_rewrite	*r = ctx;

	if (!rewrite_scalar(r))
		return r->failure == 0;
	return rewrite_wrote(r, yajl_gen_null(r->gen));
}

/* yajl callback for true and false. */
static int
rewrite_on_boolean(void *ctx, int value)
{
	struct package_rewrite	*r = ctx;

	if (!rewrite_scalar(r))
		return r->failure == 0;
	return rewrite_wrote(r, yajl_gen_bool(r->gen, value));
}

/* yajl callback for numbers: their source text goes out unchanged. */
static int
rewrite_on_number(void *ctx, const char *text, size_t len)
{
	struct package_rewrite	*r = ctx;

	if (!rewrite_scalar(r))
		return r->failure == 0;
	return rewrite_wrote(r, yajl_gen_number(r->gen, text, len));
}

/* yajl callback for strings (unescaped): re-escaped by yajl_gen. */
static int
rewrite_on_string(void *ctx, const unsigned char *text, size_t len)
{
	struct package_rewrite	*r = ctx;

	if (!json_utf8_valid((const char *)text, len))
		return rewrite_fail(r, EINVAL,
		    "package.json holds a string of invalid UTF-8");
	if (!rewrite_scalar(r))
		return r->failure == 0;
	return rewrite_wrote(r, yajl_gen_string(r->gen, text, len));
}

/*
 * Accounts for an opening object (`is_object`) or array, refusing to nest
 * deeper than PACKAGE_JSON_DEPTH_MAX.  Returns 1 when the caller writes
 * it, else 0, with r->failure set if the pass must stop.
 */
static int
rewrite_open(struct package_rewrite *r, int is_object)
{
	if (!rewrite_count(r, is_object))
		return 0;
	if (r->depth == PACKAGE_JSON_DEPTH_MAX)
		return rewrite_fail(r, E2BIG, "package.json is nested deeper "
		    "than %d levels", PACKAGE_JSON_DEPTH_MAX);
	r->depth++;
	return rewrite_passes(r, 1);
}

/*
 * yajl callback for '{'.  An inner object's opening is held back (see the
 * top of this file).  When the top-level object opens in the writing
 * pass, the members it lacks go first: `name`, then `description`.
 */
static int
rewrite_on_start_map(void *ctx)
{
	struct package_rewrite	*r = ctx;

	if (!rewrite_open(r, 1))
		return r->failure == 0;
	if (r->depth > 1) {
		r->pending_open = '{';
		return 1;
	}
	if (!rewrite_wrote(r, yajl_gen_map_open(r->gen)))
		return 0;
	if (!r->has_name &&
	    !rewrite_wrote(r, json_gen_kv_string(r->gen, "name", r->name)))
		return 0;
	if (!r->has_description &&
	    !rewrite_wrote(r, json_gen_kv_string(r->gen, "description",
	    r->description)))
		return 0;
	return 1;
}

/*
 * yajl callback for '['.  The opening is held back, the top level being
 * no array.
 */
static int
rewrite_on_start_array(void *ctx)
{
	struct package_rewrite	*r = ctx;

	if (!rewrite_open(r, 0))
		return r->failure == 0;
	r->pending_open = '[';
	return 1;
}

/* yajl callback for '}'. */
static int
rewrite_on_end_map(void *ctx)
{
	return rewrite_close(ctx, 1);
}

/* yajl callback for ']'. */
static int
rewrite_on_end_array(void *ctx)
{
	return rewrite_close(ctx, 0);
}

/* Is member name `key` of `len` bytes exactly `name`?  1 or 0. */
static int
rewrite_key_is(const unsigned char *key, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(key, name, len) == 0;
}

/*
 * yajl callback for a member name.  In the top-level object, `name` and
 * `description` are noted, and in the writing pass replaced: the new
 * member is written and the old value skipped.
 */
static int
rewrite_on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct package_rewrite	*r = ctx;
	const char		*member = NULL, *replacement = NULL;

	if (!json_utf8_valid((const char *)key, len))
		return rewrite_fail(r, EINVAL,
		    "package.json holds a member name of invalid UTF-8");
	if (r->skipping)
		return 1;
	if (r->depth == 1 && rewrite_key_is(key, len, "name")) {
		r->has_name = 1;
		member = "name";
		replacement = r->name;
	} else if (r->depth == 1 && rewrite_key_is(key, len, "description")) {
		r->has_description = 1;
		member = "description";
		replacement = r->description;
	}
	if (!rewrite_passes(r, 0))
		return r->failure == 0;
	if (replacement == NULL)
		return rewrite_wrote(r, yajl_gen_string(r->gen, key, len));
	r->skipping = 1;
	r->skip_depth = 0;
	return rewrite_wrote(r, json_gen_kv_string(r->gen, member,
	    replacement));
}

static const yajl_callbacks rewrite_callbacks = {
	rewrite_on_null,
	rewrite_on_boolean,
	NULL,			/* integers arrive through yajl_number */
	NULL,			/* doubles too */
	rewrite_on_number,
	rewrite_on_string,
	rewrite_on_start_map,
	rewrite_on_map_key,
	rewrite_on_end_map,
	rewrite_on_start_array,
	rewrite_on_end_array
};

/*
 * Runs one pass of `r` over `len` bytes of `text`.  Returns 0, or -1 with
 * r->failure and the message in `err` set.
 */
static int
rewrite_pass(struct package_rewrite *r, const char *text, size_t len,
    char *err, size_t errlen)
{
	char	reason[160];
	size_t	offset;
	int	rc;

	r->depth = 0;
	r->nodes = 0;
	r->skipping = 0;
	r->skip_depth = 0;
	r->pending_open = 0;
	rc = json_events_parse(&rewrite_callbacks, r, text, len, &offset,
	    reason, sizeof(reason));
	if (rc == 0)
		return 0;
	if (rc == 1)
		error_set(err, errlen, "%s", r->message);
	else {
		r->failure = errno;
		error_set(err, errlen, PACKAGE_ERROR_PREFIX "%s", reason);
	}
	return -1;
}

/*
 * Writes the new `name` ("<sub>-app") into `name` and the new
 * `description` into `description`, refusing a subdomain that is not one
 * and a tenant name that is not UTF-8 or too long.  Returns 0, or -1 with
 * errno and the message set.
 */
static int
package_values(const char *subdomain, const char *tenant_name,
    char name[PACKAGE_NAME_SIZE], struct buf *description, char *err,
    size_t errlen)
{
	size_t	name_len = strlen(tenant_name);

	if (validate_subdomain(subdomain, strlen(subdomain)) != NULL) {
		error_set(err, errlen, PACKAGE_ERROR_PREFIX "the subdomain is "
		    "not a valid subdomain");
		errno = EINVAL;
		return -1;
	}
	if (name_len > PACKAGE_JSON_TENANT_NAME_MAX ||
	    utf8_length(tenant_name, name_len) < 0) {
		error_set(err, errlen, PACKAGE_ERROR_PREFIX "the tenant name "
		    "is longer than %d bytes or not UTF-8",
		    PACKAGE_JSON_TENANT_NAME_MAX);
		errno = EINVAL;
		return -1;
	}
	snprintf(name, PACKAGE_NAME_SIZE, "%s%s", subdomain,
	    PACKAGE_NAME_SUFFIX);
	if (buf_printf(description, "%s%s", PACKAGE_DESCRIPTION_PREFIX,
	    tenant_name) == -1) {
		error_set(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * The work of both public functions: customises `len` bytes of
 * `template_json` for the tenant, printed with `indent`, and appends the
 * result to `out`.  Returns 0, or -1 with errno and the message set.
 */
static int
package_render(const char *template_json, size_t len, const char *subdomain,
    const char *tenant_name, const char *indent, struct buf *out,
    char *err, size_t errlen)
{
	struct package_rewrite	 r;
	struct buf		 description, text;
	char			 name[PACKAGE_NAME_SIZE];
	int			 rc = -1, saved = EINVAL;

	memset(&r, 0, sizeof(r));
	buf_init(&description, BUF_NO_LIMIT);
	buf_init(&text, out->limit - out->len);
	if (package_values(subdomain, tenant_name, name, &description,
	    err, errlen) == -1) {
		saved = errno;
		goto out;
	}
	if (len > PACKAGE_JSON_INPUT_MAX) {
		error_set(err, errlen, "package.json is larger than 1 MiB");
		saved = E2BIG;
		goto out;
	}

	r.name = name;
	r.description = description.data;
	r.text = &text;
	if (rewrite_pass(&r, template_json, len, err, errlen) == -1) {
		saved = r.failure;
		goto out;
	}
	if ((r.gen = json_gen_new()) == NULL ||
	    !yajl_gen_config(r.gen, yajl_gen_beautify, 1) ||
	    !yajl_gen_config(r.gen, yajl_gen_indent_string, indent) ||
	    !yajl_gen_config(r.gen, yajl_gen_print_callback, rewrite_print,
	    &r)) {
		error_set(err, errlen, "out of memory");
		saved = ENOMEM;
		goto out;
	}
	if (rewrite_pass(&r, template_json, len, err, errlen) == -1) {
		saved = r.failure;
		goto out;
	}
	if (buf_append(out, text.data, text.len) == -1) {
		saved = errno;
		error_set(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (r.gen != NULL)
		yajl_gen_free(r.gen);
	buf_release(&description);
	buf_release(&text);
	if (rc == -1)
		errno = saved;
	return rc;
}

/*
 * Customises the template's package.json for a tenant, for the deploy of
 * a template that carries one (SPEC 10).  Returns 0, or -1 with the
 * message in `err` (see package_json.h).
 */
int
package_json_customise(const char *template_json, size_t len,
    const char *subdomain, const char *tenant_name, struct buf *out,
    char *err, size_t errlen)
{
	return package_render(template_json, len, subdomain, tenant_name,
	    "  ", out, err, errlen);
}

/*
 * Writes the default package.json.  Called by project_files_write().
 * Returns 0, or -1 with errno set.
 */
int
package_json_default(const char *subdomain, const char *tenant_name,
    struct buf *out)
{
	return package_render(PACKAGE_DEFAULT_TEMPLATE,
	    strlen(PACKAGE_DEFAULT_TEMPLATE), subdomain, tenant_name, "    ",
	    out, NULL, 0);
}

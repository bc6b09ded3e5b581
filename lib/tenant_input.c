/*
 * tenant_input.c - the tenant fields a client may send, declared once in a
 * table and validated against SPEC.md sections 3 and 9.
 *
 * Every accepted field is one line of tenant_fields[]: its name (and an
 * alternative spelling), the TENANT_FIELD_* bit it sets, when it applies,
 * and the reader that turns its form values into a typed member of struct
 * tenant_input.  Text fields share one reader driven by a validate.h
 * function and the member's place in the struct; the logo, the module list
 * and the deploy option have readers of their own.  Nothing outside this
 * file reads a tenant field from a form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "form.h"
#include "mime.h"
#include "module.h"
#include "tenant_input.h"
#include "validate.h"

#define DEFAULT_PRIMARY_COLOR	"#3498db"
#define DEFAULT_SECONDARY_COLOR	"#2ecc71"

/* Flags of a table entry. */
#define FIELD_REQUIRED		0x01u	/* CREATE fails without it */
#define FIELD_FIXED		0x02u	/* PATCH may not send it */
#define FIELD_CREATE_ONLY	0x04u	/* read on CREATE, ignored on PATCH */

/* What the readers share while one form is read. */
struct input_reader {
	struct tenant_input		*in;
	enum tenant_input_mode		 mode;
	const struct conf		*conf;
	const struct module_catalog	*catalog;
	struct mime			*mime;
	struct field_errors		*errors;
	int				 from_json;	/* the form is JSON */
	int				 failed;
};

struct tenant_field;

typedef int (*field_reader)(struct input_reader *, const struct tenant_field *,
    const struct form_field *);

struct tenant_field {
	const char	*name;		/* the field name clients send */
	const char	*alias;		/* another accepted name, or NULL */
	unsigned	 bit;		/* TENANT_FIELD_*, 0 for options */
	unsigned	 flags;		/* FIELD_* */
	field_reader	 read;		/* 0: accepted, -1: rejected */
	const char	*(*validate)(const char *, size_t); /* text fields */
	size_t		 offset;	/* text: member of tenant_input */
	size_t		 size;		/* text: size of that member */
};

static int	read_text(struct input_reader *, const struct tenant_field *,
		    const struct form_field *);
static int	read_subdomain(struct input_reader *,
		    const struct tenant_field *, const struct form_field *);
static int	read_logo(struct input_reader *, const struct tenant_field *,
		    const struct form_field *);
static int	read_module_keys(struct input_reader *,
		    const struct tenant_field *, const struct form_field *);
static int	read_deploy(struct input_reader *, const struct tenant_field *,
		    const struct form_field *);

#define TEXT_MEMBER(member) \
	offsetof(struct tenant_input, member), \
	sizeof(((struct tenant_input *)NULL)->member)

static const struct tenant_field tenant_fields[] = {
	{ "name", NULL, TENANT_FIELD_NAME, FIELD_REQUIRED,
	    read_text, validate_name, TEXT_MEMBER(name) },
	{ "subdomain", NULL, TENANT_FIELD_SUBDOMAIN,
	    FIELD_REQUIRED | FIELD_FIXED,
	    read_subdomain, validate_subdomain, TEXT_MEMBER(subdomain) },
	{ "contact_email", NULL, TENANT_FIELD_EMAIL, 0,
	    read_text, validate_email, TEXT_MEMBER(contact_email) },
	{ "primary_color", NULL, TENANT_FIELD_PRIMARY_COLOR, 0,
	    read_text, validate_color, TEXT_MEMBER(primary_color) },
	{ "secondary_color", NULL, TENANT_FIELD_SECONDARY_COLOR, 0,
	    read_text, validate_color, TEXT_MEMBER(secondary_color) },
	{ "logo", NULL, TENANT_FIELD_LOGO, 0,
	    read_logo, NULL, 0, 0 },
	{ "module_keys", "module_keys[]", TENANT_FIELD_MODULES, 0,
	    read_module_keys, NULL, 0, 0 },
	{ "deploy", NULL, 0, FIELD_CREATE_ONLY,
	    read_deploy, NULL, 0, 0 },
};

#define TENANT_FIELD_COUNT (sizeof(tenant_fields) / sizeof(tenant_fields[0]))

/*
 * Records `fmt` for `field` unless the field already has a message or the
 * list is full.  Shared by field_errors_add() and reject().
 */
static void
field_errors_vadd(struct field_errors *e, const char *field, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

static void
field_errors_vadd(struct field_errors *e, const char *field, const char *fmt,
    va_list ap)
{
	size_t	i;

	for (i = 0; i < e->count && i < FIELD_ERRORS_MAX; i++)
		if (strcmp(e->items[i].field, field) == 0)
			return;
	if (e->count >= FIELD_ERRORS_MAX)
		return;
	snprintf(e->items[e->count].field, sizeof(e->items[e->count].field),
	    "%s", field);
	vsnprintf(e->items[e->count].message,
	    sizeof(e->items[e->count].message), fmt, ap);
	e->count++;
}

/*
 * Records an error for `field`; the first message per field wins.  Used by
 * the readers below and by handlers with fields of their own.
 */
void
field_errors_add(struct field_errors *e, const char *field,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	field_errors_vadd(e, field, fmt, ap);
	va_end(ap);
}

/*
 * Records a reader's complaint about `field` and marks the whole input as
 * invalid.  Returns -1 so readers can `return reject(...)`.
 */
static int
reject(struct input_reader *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
reject(struct input_reader *r, const char *field, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	field_errors_vadd(r->errors, field, fmt, ap);
	va_end(ap);
	r->failed = 1;
	return -1;
}

/*
 * The one string value of a scalar field, or NULL after recording why there
 * is none: a JSON array, a repeated form field or a value of another kind
 * (number, boolean, null, object, file).
 */
static const struct form_value *
single_string(struct input_reader *r, const char *name,
    const struct form_field *f)
{
	const struct form_value *v;

	if (f->from_array || f->count == 0) {
		reject(r, name, "must be a string");
		return NULL;
	}
	if (f->count > 1) {
		reject(r, name, "must be given once");
		return NULL;
	}
	v = &f->values[0];
	if (v->kind != FORM_VALUE_STRING) {
		reject(r, name, "must be a string");
		return NULL;
	}
	return v;
}

/*
 * Reads a text field: one string, accepted by the entry's validator, copied
 * into the entry's member of the input.
 */
static int
read_text(struct input_reader *r, const struct tenant_field *tf,
    const struct form_field *f)
{
	const struct form_value	*v;
	const char		*message;
	char			*target;

	if ((v = single_string(r, tf->name, f)) == NULL)
		return -1;
	if ((message = tf->validate(v->data, v->len)) != NULL)
		return reject(r, tf->name, "%s", message);
	if (v->len > tf->size - 1)
		return reject(r, tf->name, "is too long");
	target = (char *)r->in + tf->offset;
	memcpy(target, v->data, v->len);
	target[v->len] = '\0';
	return 0;
}

/*
 * Reads the subdomain: a valid DNS label that is not on the configured
 * reserved list.  Uniqueness is the database's job (provision_create).
 */
static int
read_subdomain(struct input_reader *r, const struct tenant_field *tf,
    const struct form_field *f)
{
	if (read_text(r, tf, f) == -1)
		return -1;
	if (conf_is_reserved(r->conf, r->in->subdomain))
		return reject(r, tf->name, "is reserved");
	return 0;
}

/*
 * Writes a byte count the way an administrator configured it: "2 MiB",
 * "512 KiB" or "1000 bytes".
 */
static void
format_size(size_t bytes, char *out, size_t outlen)
{
	const size_t	kib = 1024, mib = 1024 * 1024;

	if (bytes >= mib && bytes % mib == 0)
		snprintf(out, outlen, "%zu MiB", bytes / mib);
	else if (bytes >= kib && bytes % kib == 0)
		snprintf(out, outlen, "%zu KiB", bytes / kib);
	else
		snprintf(out, outlen, "%zu bytes", bytes);
}

/*
 * Reads the logo.  An uploaded file must be small enough (one message for
 * any size past the limit, whether or not the parser kept the bytes) and,
 * judged by its bytes alone, a PNG, JPEG, GIF or WebP image.  An empty file
 * part, an empty string or JSON null mean "no logo" (on PATCH: remove it),
 * which the caller sees as TENANT_FIELD_LOGO with logo_data NULL.
 */
static int
read_logo(struct input_reader *r, const struct tenant_field *tf,
    const struct form_field *f)
{
	const struct form_value	*v;
	const char		*extension;
	char			 limit[32];

	if (f->count > 1)
		return reject(r, tf->name, "must be given once");
	if (f->from_array || f->count == 0)
		return reject(r, tf->name,
		    "must be uploaded as a file (multipart/form-data)");
	v = &f->values[0];

	if (v->kind == FORM_VALUE_NULL ||
	    (v->kind == FORM_VALUE_STRING && v->len == 0) ||
	    (v->kind == FORM_VALUE_FILE && v->len == 0)) {
		r->in->logo_data = NULL;
		r->in->logo_len = 0;
		r->in->logo_extension = NULL;
		return 0;
	}
	if (v->kind != FORM_VALUE_FILE && v->kind != FORM_VALUE_FILE_TOO_LARGE)
		return reject(r, tf->name,
		    "must be uploaded as a file (multipart/form-data)");

	/* The parser kept no bytes of a file past its part limit. */
	if (v->kind == FORM_VALUE_FILE_TOO_LARGE ||
	    v->len > r->conf->max_logo_bytes) {
		format_size(r->conf->max_logo_bytes, limit, sizeof(limit));
		return reject(r, tf->name, "must be at most %s", limit);
	}
	if (r->mime == NULL)
		return reject(r, tf->name, "could not be checked");
	extension = mime_logo_extension(r->mime, v->data, v->len);
	if (extension == NULL)
		return reject(r, tf->name,
		    "must be a PNG, JPEG, GIF or WebP image");

	r->in->logo_data = v->data;
	r->in->logo_len = v->len;
	r->in->logo_extension = extension;
	return 0;
}

/* Is `key` already in the input's module list? */
static int
module_listed(const struct tenant_input *in, const char *key)
{
	size_t	i;

	for (i = 0; i < in->module_count; i++)
		if (strcmp(in->module_keys[i], key) == 0)
			return 1;
	return 0;
}

/*
 * Reads module keys from repeated form values or a JSON array of strings.
 * Each must be a catalog module; repeats collapse.  An empty value is
 * skipped, so an HTML form can send a lone "module_keys=" to mean "only the
 * core modules".  JSON has arrays, so a lone JSON string is refused like any
 * other JSON value of the wrong type.  Core modules are added later by
 * finish_modules().
 */
static int
read_module_keys(struct input_reader *r, const struct tenant_field *tf,
    const struct form_field *f)
{
	const struct form_value	*v;
	const char		*message;
	size_t			 i;

	if (r->from_json && !f->from_array)
		return reject(r, tf->name, "must be a list of module keys");
	for (i = 0; i < f->count; i++) {
		v = &f->values[i];
		if (v->kind != FORM_VALUE_STRING)
			return reject(r, tf->name,
			    "must be a list of module keys");
		if (v->len == 0)
			continue;
		if ((message = validate_module_key(v->data, v->len)) != NULL)
			return reject(r, tf->name, "%s", message);
		if (module_catalog_find(r->catalog, v->data) == NULL)
			return reject(r, tf->name, "unknown module \"%s\"",
			    v->data);
		if (module_listed(r->in, v->data))
			continue;
		if (r->in->module_count >= TENANT_INPUT_MAX_MODULES)
			return reject(r, tf->name, "lists too many modules");
		memcpy(r->in->module_keys[r->in->module_count], v->data,
		    v->len + 1);
		r->in->module_count++;
	}
	return 0;
}

/*
 * Reads the deploy option: a JSON boolean, or text that parse_bool()
 * understands ("true", "0", "off", ...).
 */
static int
read_deploy(struct input_reader *r, const struct tenant_field *tf,
    const struct form_field *f)
{
	const struct form_value	*v;
	int			 value;

	if (f->count > 1 && !f->from_array)
		return reject(r, tf->name, "must be given once");
	if (f->from_array || f->count == 0)
		return reject(r, tf->name, "must be true or false");
	v = &f->values[0];
	if (v->kind != FORM_VALUE_BOOL && v->kind != FORM_VALUE_STRING)
		return reject(r, tf->name, "must be true or false");
	if (strlen(v->data) != v->len || parse_bool(v->data, &value) == -1)
		return reject(r, tf->name, "must be true or false");
	r->in->deploy = value;
	return 0;
}

/*
 * Replaces the listed modules by the final set: every catalog module that
 * is core or was listed, in catalog order.  Runs on CREATE always (no list
 * means core modules only) and on PATCH when module_keys was sent.
 */
static int
finish_modules(struct input_reader *r)
{
	char	 keys[TENANT_INPUT_MAX_MODULES][MODULE_KEY_MAX + 1];
	size_t	 count = 0, i;
	const struct module_def *def;

	for (i = 0; i < r->catalog->count; i++) {
		def = &r->catalog->modules[i];
		if (!def->is_core && !module_listed(r->in, def->key))
			continue;
		if (count >= TENANT_INPUT_MAX_MODULES)
			return reject(r, "module_keys",
			    "lists too many modules");
		if (strlen(def->key) > MODULE_KEY_MAX)
			return reject(r, "module_keys",
			    "names a module with too long a key");
		snprintf(keys[count], sizeof(keys[count]), "%s", def->key);
		count++;
	}
	memcpy(r->in->module_keys, keys, sizeof(keys[0]) * count);
	r->in->module_count = count;
	return 0;
}

/*
 * Reads one table entry: its field under the main name and the alias.
 * Returns 1 if the client sent it, 0 if not.
 */
static int
read_entry(struct input_reader *r, const struct tenant_field *tf,
    const struct form *form)
{
	const struct form_field	*f;
	const char		*names[2];
	size_t			 i;
	int			 sent = 0, accepted = 1;

	names[0] = tf->name;
	names[1] = tf->alias;
	for (i = 0; i < 2; i++) {
		if (names[i] == NULL ||
		    (f = form_get(form, names[i])) == NULL)
			continue;
		sent = 1;
		if ((tf->flags & FIELD_FIXED) &&
		    r->mode == TENANT_INPUT_PATCH) {
			reject(r, tf->name, "cannot be changed");
			accepted = 0;
			continue;
		}
		if (tf->read(r, tf, f) == -1)
			accepted = 0;
	}
	if (sent && accepted)
		r->in->present |= tf->bit;
	return sent;
}

/*
 * Reads and validates the tenant fields of `form` for `mode` (see
 * tenant_input.h).  Handlers and tenantctl call it.  `errors` must be
 * initialised by the caller (zeroed); messages are appended.  Returns 0 when
 * every field is valid, or -1 with one message per bad field in `errors`.
 */
int
tenant_input_read(struct tenant_input *in, enum tenant_input_mode mode,
    const struct form *form, const struct conf *c,
    const struct module_catalog *cat, struct mime *mime,
    struct field_errors *errors)
{
	struct input_reader	 reader;
	const struct tenant_field *tf;
	size_t			 i;

	memset(in, 0, sizeof(*in));
	snprintf(in->primary_color, sizeof(in->primary_color), "%s",
	    DEFAULT_PRIMARY_COLOR);
	snprintf(in->secondary_color, sizeof(in->secondary_color), "%s",
	    DEFAULT_SECONDARY_COLOR);
	in->deploy = 1;

	memset(&reader, 0, sizeof(reader));
	reader.in = in;
	reader.mode = mode;
	reader.conf = c;
	reader.catalog = cat;
	reader.mime = mime;
	reader.errors = errors;
	reader.from_json = form->from_json;

	for (i = 0; i < TENANT_FIELD_COUNT; i++) {
		tf = &tenant_fields[i];
		if ((tf->flags & FIELD_CREATE_ONLY) &&
		    mode != TENANT_INPUT_CREATE)
			continue;
		if (read_entry(&reader, tf, form))
			continue;
		if ((tf->flags & FIELD_REQUIRED) && mode == TENANT_INPUT_CREATE)
			reject(&reader, tf->name, "this field is required");
	}

	if (mode == TENANT_INPUT_CREATE || (in->present & TENANT_FIELD_MODULES))
		finish_modules(&reader);

	return reader.failed ? -1 : 0;
}

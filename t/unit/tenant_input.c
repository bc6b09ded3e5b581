/*
 * tenant_input.c - unit tests for lib/tenant_input.c: every rule a tenant
 * field obeys on CREATE and PATCH, with forms parsed from real urlencoded,
 * JSON and multipart text, a module catalog built in memory and logos judged
 * by libmagic from small real images built here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "form.h"
#include "mime.h"
#include "module.h"
#include "tap.h"
#include "tenant_input.h"
#include "validate.h"

#define BOUNDARY	"----tenantdTestBoundary7MA4YWxk"

static struct module_def catalog_modules[] = {
	{ "employees", "Employee Management", "Manage your team members",
	    "users", "/employees", 1, 1 },
	{ "attendance", "Attendance Tracking", "Track working hours",
	    "clock", "/attendance", 0, 2 },
	{ "wallet", "Wallet & Salary", "Manage payments", "wallet",
	    "/wallet", 0, 3 },
	{ "tasks", "Task Management", "Assign and track tasks",
	    "clipboard-list", "/tasks", 0, 4 },
};

static struct module_catalog catalog = {
	catalog_modules, sizeof(catalog_modules) / sizeof(catalog_modules[0])
};

static struct conf conf;
static struct mime *mime;

/* A 1x1 PNG. */
static const unsigned char png_image[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
	0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00,
	0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
	0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49,
	0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82
};

/* A 1x1 GIF. */
static const unsigned char gif_image[] = {
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00,
	0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b
};

/* The start of a JFIF file: SOI, an APP0 segment, EOI. */
static const unsigned char jpeg_image[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01,
	0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9
};

/* A RIFF WEBP container with a lossless VP8L chunk for a 1x1 image. */
static const unsigned char webp_image[] = {
	'R', 'I', 'F', 'F', 0x1a, 0x00, 0x00, 0x00, 'W', 'E', 'B', 'P',
	'V', 'P', '8', 'L', 0x0d, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00,
	0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00
};

static const char svg_image[] =
    "<?xml version=\"1.0\"?>\n"
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\">"
    "<script>alert(1)</script></svg>\n";

struct part {
	const char	*name;
	const char	*filename;	/* NULL: a plain field */
	const void	*data;
	size_t		 len;
};

/* The message recorded for `field`, or NULL. */
static const char *
error_for(const struct field_errors *e, const char *field)
{
	size_t	i;

	for (i = 0; i < e->count; i++)
		if (strcmp(e->items[i].field, field) == 0)
			return e->items[i].message;
	return NULL;
}

/* Parses urlencoded `text` into `form` (released first). */
static void
parse_urlencoded(struct form *form, const char *text)
{
	char	err[256];

	form_release(form);
	if (form_parse_urlencoded(form, text, strlen(text),
	    &form_default_limits, err, sizeof(err)) != RESULT_OK)
		diag("urlencoded parse failed: %s", err);
}

/* Parses JSON `text` into `form` (released first). */
static void
parse_json(struct form *form, const char *text)
{
	char	err[256];

	form_release(form);
	if (form_parse_json(form, text, strlen(text), &form_default_limits,
	    err, sizeof(err)) != RESULT_OK)
		diag("JSON parse failed: %s", err);
}

/*
 * Builds a multipart/form-data body of `count` parts and parses it into
 * `form` (released first) with files allowed up to `max_file`.
 */
static void
parse_multipart(struct form *form, const struct part *parts, size_t count,
    size_t max_file)
{
	struct form_limits	limits = form_default_limits;
	struct buf		body;
	char			err[256];
	size_t			i;
	int			failed = 0;

	form_release(form);
	limits.max_file_bytes = max_file;
	buf_init(&body, BUF_NO_LIMIT);
	for (i = 0; i < count; i++) {
		if (buf_printf(&body, "--%s\r\nContent-Disposition: form-data; "
		    "name=\"%s\"", BOUNDARY, parts[i].name) == -1)
			failed = 1;
		if (parts[i].filename != NULL &&
		    buf_printf(&body, "; filename=\"%s\"\r\nContent-Type: "
		    "application/octet-stream", parts[i].filename) == -1)
			failed = 1;
		if (buf_append_str(&body, "\r\n\r\n") == -1 ||
		    buf_append(&body, parts[i].data, parts[i].len) == -1 ||
		    buf_append_str(&body, "\r\n") == -1)
			failed = 1;
	}
	if (buf_printf(&body, "--%s--\r\n", BOUNDARY) == -1)
		failed = 1;
	if (failed)
		diag("could not build the multipart body");
	else if (form_parse_multipart(form, BOUNDARY, body.data, body.len,
	    &limits, err, sizeof(err)) != RESULT_OK)
		diag("multipart parse failed: %s", err);
	buf_release(&body);
}

/* Reads `form` in `mode` with fresh errors. */
static int
read_form(const struct form *form, enum tenant_input_mode mode,
    struct tenant_input *in, struct field_errors *errors)
{
	memset(errors, 0, sizeof(*errors));
	return tenant_input_read(in, mode, form, &conf, &catalog, mime,
	    errors);
}

/* The module list as "a,b,c", for comparisons. */
static const char *
module_list(const struct tenant_input *in)
{
	static char	text[1024];
	size_t		i;

	text[0] = '\0';
	for (i = 0; i < in->module_count; i++) {
		if (i > 0)
			strncat(text, ",", sizeof(text) - strlen(text) - 1);
		strncat(text, in->module_keys[i],
		    sizeof(text) - strlen(text) - 1);
	}
	return text;
}

/* A CREATE with only name and subdomain gets every default. */
static void
test_create_minimal(struct form *form)
{
	struct tenant_input	in;
	struct field_errors	errors;

	parse_urlencoded(form, "name=Acme+Corp&subdomain=acme");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), 0,
	    "create: name and subdomain are enough");
	is_int(errors.count, 0, "create: no errors");
	is_string(in.name, "Acme Corp", "create: name decoded");
	is_string(in.subdomain, "acme", "create: subdomain");
	is_string(in.contact_email, "", "create: email defaults to empty");
	is_string(in.primary_color, "#3498db", "create: primary default");
	is_string(in.secondary_color, "#2ecc71", "create: secondary default");
	is_int(in.deploy, 1, "create: deploy defaults to true");
	ok(in.logo_data == NULL, "create: no logo");
	is_int(in.present, TENANT_FIELD_NAME | TENANT_FIELD_SUBDOMAIN,
	    "create: present bits are the fields sent");
	is_string(module_list(&in), "employees",
	    "create without module_keys: core modules only");
}

/* A CREATE in JSON with every field, unknown fields ignored. */
static void
test_create_full(struct form *form)
{
	struct tenant_input	in;
	struct field_errors	errors;

	parse_json(form, "{\"name\": \"Acme\", \"subdomain\": \"acme-2\", "
	    "\"contact_email\": \"a@acme.com\", \"primary_color\": "
	    "\"#112233\", \"secondary_color\": \"#AABBCC\", "
	    "\"module_keys\": [\"tasks\", \"wallet\", \"tasks\"], "
	    "\"deploy\": false, \"unknown\": {\"x\": 1}}");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), 0,
	    "create JSON: every field valid");
	is_string(in.contact_email, "a@acme.com", "create JSON: email");
	is_string(in.primary_color, "#112233", "create JSON: primary");
	is_string(in.secondary_color, "#AABBCC", "create JSON: secondary");
	is_int(in.deploy, 0, "create JSON: deploy false");
	is_string(module_list(&in), "employees,wallet,tasks",
	    "module_keys: core added, repeats collapse, catalog order");
	is_int(in.present, TENANT_FIELD_NAME | TENANT_FIELD_SUBDOMAIN |
	    TENANT_FIELD_EMAIL | TENANT_FIELD_PRIMARY_COLOR |
	    TENANT_FIELD_SECONDARY_COLOR | TENANT_FIELD_MODULES,
	    "create JSON: present bits");
}

/* CREATE needs name and subdomain; PATCH needs nothing. */
static void
test_required(struct form *form)
{
	struct tenant_input	in;
	struct field_errors	errors;

	parse_urlencoded(form, "contact_email=a%40b.example");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "create without name and subdomain fails");
	is_string(error_for(&errors, "name"), "this field is required",
	    "name is required");
	is_string(error_for(&errors, "subdomain"), "this field is required",
	    "subdomain is required");
	is_int(errors.count, 2, "only the two missing fields are errors");

	parse_urlencoded(form, "");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), 0,
	    "patch: an empty form is valid");
	is_int(in.present, 0, "patch: nothing present");
	is_int(in.module_count, 0, "patch without module_keys: no modules");
}

/* Text fields take exactly one string: no numbers, arrays, files, repeats. */
static void
test_value_kinds(struct form *form)
{
	struct tenant_input	in;
	struct field_errors	errors;

	parse_json(form, "{\"name\": 123, \"subdomain\": true, "
	    "\"contact_email\": null, \"primary_color\": {\"a\": 1}, "
	    "\"secondary_color\": [\"#112233\"]}");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "non-string JSON values fail");
	is_string(error_for(&errors, "name"), "must be a string",
	    "a JSON number is not a name");
	is_string(error_for(&errors, "subdomain"), "must be a string",
	    "a JSON boolean is not a subdomain");
	is_string(error_for(&errors, "contact_email"), "must be a string",
	    "JSON null is not an email");
	is_string(error_for(&errors, "primary_color"), "must be a string",
	    "a JSON object is not a color");
	is_string(error_for(&errors, "secondary_color"), "must be a string",
	    "a JSON array is not a color");

	parse_urlencoded(form, "name=123&subdomain=acme");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), 0,
	    "form text \"123\" is a valid name");

	parse_urlencoded(form, "name=A&name=B&subdomain=acme");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "a repeated name fails");
	is_string(error_for(&errors, "name"), "must be given once",
	    "repeated scalar: must be given once");

	parse_multipart(form, (const struct part[]) {
		{ "name", "name.txt", "Acme", 4 },
		{ "subdomain", NULL, "acme", 4 },
	}, 2, 1024);
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "a file part as name fails");
	is_string(error_for(&errors, "name"), "must be a string",
	    "file part: must be a string");
}

/* Each text field obeys its validate.h rule; reserved subdomains fail. */
static void
test_text_rules(struct form *form)
{
	struct tenant_input	in;
	struct field_errors	errors;

	parse_urlencoded(form, "name=Acme&subdomain=Acme");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "upper-case subdomain fails");
	is_string(error_for(&errors, "subdomain"),
	    validate_subdomain("Acme", 4),
	    "upper-case subdomain: the validator's message");

	parse_urlencoded(form, "name=Acme&subdomain=www");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "reserved subdomain fails");
	is_string(error_for(&errors, "subdomain"), "is reserved",
	    "www is reserved");

	parse_urlencoded(form, "name=Acme&subdomain=-acme");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	ok(error_for(&errors, "subdomain") != NULL,
	    "subdomain starting with a hyphen fails");

	parse_urlencoded(form, "name=A%09B&subdomain=acme");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	is_string(error_for(&errors, "name"), validate_name("A\tB", 3),
	    "a tab in the name fails with the validator's message");

	parse_urlencoded(form, "name=&subdomain=acme");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	ok(error_for(&errors, "name") != NULL, "an empty name fails");

	parse_urlencoded(form, "name=Acme&subdomain=acme&contact_email=nope"
	    "&primary_color=red&secondary_color=%23abc");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "bad email and colors fail");
	is_string(error_for(&errors, "contact_email"),
	    validate_email("nope", 4), "bad email: validator's message");
	is_string(error_for(&errors, "primary_color"),
	    validate_color("red", 3), "bad primary color");
	is_string(error_for(&errors, "secondary_color"),
	    validate_color("#abc", 4), "short secondary color");
	is_int(errors.count, 3, "one error per bad field");

	parse_urlencoded(form, "name=Acme&subdomain=acme&contact_email=");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), 0,
	    "an empty email is valid");
	ok(in.present & TENANT_FIELD_EMAIL, "an empty email is present");
}

/* PATCH refuses the subdomain and replaces the whole module set. */
static void
test_patch(struct form *form)
{
	struct tenant_input	in;
	struct field_errors	errors;

	parse_urlencoded(form, "subdomain=other&name=New");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), -1,
	    "patch with a subdomain fails");
	is_string(error_for(&errors, "subdomain"), "cannot be changed",
	    "patch: subdomain cannot be changed");
	ok(error_for(&errors, "name") == NULL, "patch: the name is fine");

	parse_urlencoded(form, "name=New+Name&deploy=banana");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), 0,
	    "patch: name only (deploy is not read on patch)");
	is_int(in.present, TENANT_FIELD_NAME, "patch: only the name present");
	is_string(in.name, "New Name", "patch: new name");

	parse_json(form, "{\"module_keys\": []}");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), 0,
	    "patch: empty module list");
	ok(in.present & TENANT_FIELD_MODULES, "patch: modules present");
	is_string(module_list(&in), "employees",
	    "patch: empty list means core modules only");

	parse_urlencoded(form, "module_keys=wallet&module_keys=attendance");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), 0,
	    "patch: repeated module_keys");
	is_string(module_list(&in), "employees,attendance,wallet",
	    "patch: full module set in catalog order");

	parse_urlencoded(form, "module_keys%5B%5D=tasks&module_keys%5B%5D="
	    "wallet");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), 0,
	    "patch: module_keys[] accepted");
	is_string(module_list(&in), "employees,wallet,tasks",
	    "module_keys[] gives the same set");

	parse_urlencoded(form, "module_keys=");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), 0,
	    "patch: a lone empty module_keys value");
	is_string(module_list(&in), "employees",
	    "an empty form value means core modules only");
}

/* module_keys: known keys only, core added, either spelling. */
static void
test_modules(struct form *form)
{
	struct tenant_input	in;
	struct field_errors	errors;

	parse_json(form, "{\"name\": \"A\", \"subdomain\": \"acme\", "
	    "\"module_keys\": [\"wallet\", \"payroll\"]}");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "unknown module fails");
	is_string(error_for(&errors, "module_keys"),
	    "unknown module \"payroll\"", "unknown module is named");

	parse_json(form, "{\"name\": \"A\", \"subdomain\": \"acme\", "
	    "\"module_keys\": [\"Wallet\"]}");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	is_string(error_for(&errors, "module_keys"),
	    validate_module_key("Wallet", 6),
	    "a malformed key gets the validator's message");

	parse_json(form, "{\"name\": \"A\", \"subdomain\": \"acme\", "
	    "\"module_keys\": [\"wallet\", 7]}");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	is_string(error_for(&errors, "module_keys"),
	    "must be a list of module keys", "a number in the list fails");

	parse_json(form, "{\"name\": \"A\", \"subdomain\": \"acme\", "
	    "\"module_keys\": \"tasks\"}");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "create: a JSON string instead of a list fails");
	is_string(error_for(&errors, "module_keys"),
	    "must be a list of module keys", "create: module_keys is named");

	parse_json(form, "{\"module_keys\": \"tasks\"}");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), -1,
	    "patch: a JSON string instead of a list fails");
	is_string(error_for(&errors, "module_keys"),
	    "must be a list of module keys", "patch: module_keys is named");
	ok(!(in.present & TENANT_FIELD_MODULES),
	    "patch: the refused list is not taken");

	parse_json(form, "{\"name\": \"A\", \"subdomain\": \"acme\", "
	    "\"module_keys\": \"\"}");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "an empty JSON string is no list either");
	is_string(error_for(&errors, "module_keys"),
	    "must be a list of module keys", "... and module_keys is named");

	parse_urlencoded(form, "name=A&subdomain=acme&module_keys=tasks");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), 0,
	    "a form may send one module_keys value");
	is_string(module_list(&in), "employees,tasks", "single module");

	parse_urlencoded(form, "name=A&subdomain=acme&module_keys%5B%5D=nope");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	is_string(error_for(&errors, "module_keys"),
	    "unknown module \"nope\"",
	    "errors of module_keys[] are reported as module_keys");

	parse_urlencoded(form, "name=A&subdomain=acme&module_keys=employees");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), 0,
	    "listing a core module is fine");
	is_string(module_list(&in), "employees", "core listed once");
}

/* deploy: a JSON boolean or boolean text, once. */
static void
test_deploy(struct form *form)
{
	struct tenant_input	in;
	struct field_errors	errors;

	parse_urlencoded(form, "name=A&subdomain=acme&deploy=false");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	is_int(in.deploy, 0, "deploy=false");
	parse_urlencoded(form, "name=A&subdomain=acme&deploy=on");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	is_int(in.deploy, 1, "deploy=on");
	parse_json(form, "{\"name\": \"A\", \"subdomain\": \"acme\", "
	    "\"deploy\": true}");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	is_int(in.deploy, 1, "deploy JSON true");
	parse_urlencoded(form, "name=A&subdomain=acme&deploy=maybe");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "deploy=maybe fails");
	is_string(error_for(&errors, "deploy"), "must be true or false",
	    "deploy message");
	parse_json(form, "{\"name\": \"A\", \"subdomain\": \"acme\", "
	    "\"deploy\": 1}");
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
	    "deploy as a JSON number fails");
	parse_urlencoded(form, "name=A&subdomain=acme&deploy=1&deploy=0");
	read_form(form, TENANT_INPUT_CREATE, &in, &errors);
	is_string(error_for(&errors, "deploy"), "must be given once",
	    "deploy twice fails");
}

/* Reads a multipart CREATE with `data` as the logo file. */
static int
read_logo(struct form *form, enum tenant_input_mode mode, const void *data,
    size_t len, struct tenant_input *in, struct field_errors *errors)
{
	struct part	parts[3] = {
		{ "logo", "logo.bin", data, len },
		{ "name", NULL, "Acme", 4 },
		{ "subdomain", NULL, "acme", 4 },
	};

	parse_multipart(form, parts, mode == TENANT_INPUT_CREATE ? 3 : 1,
	    8 * 1024 * 1024);
	return read_form(form, mode, in, errors);
}

/*
 * A logo past the parser's file part limit (which handlers set to
 * max_logo_bytes) gets the same field error as one just over the limit,
 * however large it is.
 */
static void
test_logo_part_limit(struct form *form)
{
	struct tenant_input	 in;
	struct field_errors	 errors;
	struct part		 parts[3] = {
		{ "logo", "logo.png", NULL, 0 },
		{ "name", NULL, "Acme", 4 },
		{ "subdomain", NULL, "acme", 4 },
	};
	const size_t		 sizes[] = { 2 * 1024 * 1024 + 1,
				    3 * 1024 * 1024, 5 * 1024 * 1024 };
	const size_t		 limit = 2 * 1024 * 1024;
	char			*big, name[64];
	size_t			 i;

	if ((big = calloc(1, sizes[2])) == NULL) {
		ok(0, "memory for a large logo");
		return;
	}
	memcpy(big, png_image, sizeof(png_image));
	conf.max_logo_bytes = limit;
	parts[0].data = big;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		parts[0].len = sizes[i];
		parse_multipart(form, parts, 3, limit);
		snprintf(name, sizeof(name), "a %zu-byte logo past the part "
		    "limit", sizes[i]);
		is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), -1,
		    name);
		is_string(error_for(&errors, "logo"), "must be at most 2 MiB",
		    "... is refused naming the logo limit");
		ok(error_for(&errors, "name") == NULL &&
		    error_for(&errors, "subdomain") == NULL,
		    "... and the other parts were read");
	}
	parts[0].len = limit;
	parse_multipart(form, parts, 3, limit);
	is_int(read_form(form, TENANT_INPUT_CREATE, &in, &errors), 0,
	    "a logo of exactly the part limit is kept and accepted");
	free(big);
}

/* Logos: accepted image types, removal, JSON strings, size limits. */
static void
test_logo(struct form *form)
{
	struct tenant_input	 in;
	struct field_errors	 errors;
	char			*big;
	const size_t		 two_mib = 2 * 1024 * 1024;

	is_int(read_logo(form, TENANT_INPUT_CREATE, png_image,
	    sizeof(png_image), &in, &errors), 0, "PNG logo accepted");
	is_string(in.logo_extension, "png", "PNG: extension png");
	is_int(in.logo_len, sizeof(png_image), "PNG: length");
	ok(in.logo_data != NULL && memcmp(in.logo_data, png_image,
	    sizeof(png_image)) == 0, "PNG: bytes borrowed from the form");
	ok(in.present & TENANT_FIELD_LOGO, "PNG: logo present");

	is_int(read_logo(form, TENANT_INPUT_CREATE, gif_image,
	    sizeof(gif_image), &in, &errors), 0, "GIF logo accepted");
	is_string(in.logo_extension, "gif", "GIF: extension gif");
	is_int(read_logo(form, TENANT_INPUT_CREATE, jpeg_image,
	    sizeof(jpeg_image), &in, &errors), 0, "JPEG logo accepted");
	is_string(in.logo_extension, "jpg", "JPEG: extension jpg");
	is_int(read_logo(form, TENANT_INPUT_CREATE, webp_image,
	    sizeof(webp_image), &in, &errors), 0, "WebP logo accepted");
	is_string(in.logo_extension, "webp", "WebP: extension webp");

	is_int(read_logo(form, TENANT_INPUT_CREATE, svg_image,
	    strlen(svg_image), &in, &errors), -1, "SVG logo refused");
	is_string(error_for(&errors, "logo"),
	    "must be a PNG, JPEG, GIF or WebP image", "SVG: message");
	is_int(read_logo(form, TENANT_INPUT_CREATE, "hello world\n", 12,
	    &in, &errors), -1, "text logo refused");

	is_int(read_logo(form, TENANT_INPUT_CREATE, "", 0, &in, &errors), 0,
	    "create: an empty file part is no logo");
	ok(in.logo_data == NULL, "empty part: no logo data");
	is_int(read_logo(form, TENANT_INPUT_PATCH, "", 0, &in, &errors), 0,
	    "patch: an empty file part is valid");
	ok((in.present & TENANT_FIELD_LOGO) && in.logo_data == NULL,
	    "patch: empty file part removes the logo");

	parse_urlencoded(form, "logo=");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), 0,
	    "patch: logo= is valid");
	ok((in.present & TENANT_FIELD_LOGO) && in.logo_data == NULL,
	    "patch: logo= removes the logo");
	parse_json(form, "{\"logo\": null}");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), 0,
	    "patch: logo null is valid");
	ok((in.present & TENANT_FIELD_LOGO) && in.logo_data == NULL,
	    "patch: logo null removes the logo");
	parse_json(form, "{\"logo\": \"iVBORw0KGgo=\"}");
	is_int(read_form(form, TENANT_INPUT_PATCH, &in, &errors), -1,
	    "patch: logo as a JSON string fails");
	is_string(error_for(&errors, "logo"),
	    "must be uploaded as a file (multipart/form-data)",
	    "JSON string logo: upload as a file");

	conf.max_logo_bytes = 32;
	is_int(read_logo(form, TENANT_INPUT_CREATE, png_image,
	    sizeof(png_image), &in, &errors), -1, "logo over the limit");
	is_string(error_for(&errors, "logo"), "must be at most 32 bytes",
	    "limit named in bytes");
	conf.max_logo_bytes = 2048;
	if ((big = calloc(1, two_mib + 1)) == NULL) {
		ok(0, "memory for a large logo");
		return;
	}
	memcpy(big, png_image, sizeof(png_image));
	read_logo(form, TENANT_INPUT_CREATE, big, 4096, &in, &errors);
	is_string(error_for(&errors, "logo"), "must be at most 2 KiB",
	    "limit named in KiB");
	conf.max_logo_bytes = two_mib;
	read_logo(form, TENANT_INPUT_CREATE, big, two_mib + 1, &in, &errors);
	is_string(error_for(&errors, "logo"), "must be at most 2 MiB",
	    "2 MiB + 1 byte is over the default limit");
	is_int(read_logo(form, TENANT_INPUT_CREATE, big, two_mib, &in,
	    &errors), 0, "exactly 2 MiB of PNG is accepted");
	free(big);
	test_logo_part_limit(form);
}

/* field_errors keeps the first message per field and stops when full. */
static void
test_field_errors(void)
{
	struct field_errors	errors;
	char			name[16];
	int			i;

	memset(&errors, 0, sizeof(errors));
	field_errors_add(&errors, "name", "first %d", 1);
	field_errors_add(&errors, "name", "second");
	is_int(errors.count, 1, "one message per field");
	is_string(error_for(&errors, "name"), "first 1",
	    "the first message wins");
	for (i = 0; i < FIELD_ERRORS_MAX + 4; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		field_errors_add(&errors, name, "bad");
	}
	is_int(errors.count, FIELD_ERRORS_MAX, "the list stops when full");
}

/* Runs every test group and reports in TAP. */
int
main(void)
{
	struct form	form;

	if (conf_init(&conf) == -1 || (mime = mime_open()) == NULL) {
		printf("1..0 # SKIP cannot set up configuration or libmagic\n");
		return 0;
	}
	form_init(&form);

	test_create_minimal(&form);
	test_create_full(&form);
	test_required(&form);
	test_value_kinds(&form);
	test_text_rules(&form);
	test_patch(&form);
	test_modules(&form);
	test_deploy(&form);
	test_logo(&form);
	test_field_errors();

	form_release(&form);
	mime_close(mime);
	conf_release(&conf);
	done_testing();
	return exit_status();
}

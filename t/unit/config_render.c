/*
 * config_render.c - unit tests for lib/config_render.c: the exact bytes of
 * config.json (SPEC.md section 5) for a fixed tenant, time and catalog;
 * escaping of JSON special characters; core modules always enabled; no
 * contact email in the public document; output
 * appended to what the buffer holds, and left alone on failure.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config_render.h"
#include "module.h"
#include "tap.h"
#include "tenant.h"

/* 2026-11-26T12:00:00Z */
#define FIXED_TIME	((time_t)1795694400)

static struct module_def catalog_modules[] = {
	{ "employees", "Employee Management", "Manage your team members",
	    "users", "/employees", 1, 1 },
	{ "wallet", "Wallet & Salary", "Manage payments", "wallet",
	    "/wallet", 0, 3 },
	{ "tasks", "Task Management", "Assign and track tasks",
	    "clipboard-list", "/tasks", 0, 4 },
};

static struct module_catalog catalog = {
	catalog_modules, sizeof(catalog_modules) / sizeof(catalog_modules[0])
};

static const char expected_acme[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"generated_at\": \"2026-11-26T12:00:00Z\",\n"
    "  \"tenant\": {\n"
    "    \"id\": 7,\n"
    "    \"name\": \"Acme\",\n"
    "    \"subdomain\": \"acme\"\n"
    "  },\n"
    "  \"branding\": {\n"
    "    \"primary_color\": \"#3498db\",\n"
    "    \"secondary_color\": \"#2ecc71\",\n"
    "    \"logo_url\": \"/logo.png\"\n"
    "  },\n"
    "  \"api_url\": \"https://api.myapp.com\",\n"
    "  \"modules\": {\n"
    "    \"employees\": true,\n"
    "    \"wallet\": true,\n"
    "    \"tasks\": false\n"
    "  },\n"
    "  \"module_list\": [\n"
    "    {\n"
    "      \"key\": \"employees\",\n"
    "      \"name\": \"Employee Management\",\n"
    "      \"icon\": \"users\",\n"
    "      \"description\": \"Manage your team members\",\n"
    "      \"route\": \"/employees\",\n"
    "      \"is_core\": true,\n"
    "      \"enabled\": true\n"
    "    },\n"
    "    {\n"
    "      \"key\": \"wallet\",\n"
    "      \"name\": \"Wallet & Salary\",\n"
    "      \"icon\": \"wallet\",\n"
    "      \"description\": \"Manage payments\",\n"
    "      \"route\": \"/wallet\",\n"
    "      \"is_core\": false,\n"
    "      \"enabled\": true\n"
    "    },\n"
    "    {\n"
    "      \"key\": \"tasks\",\n"
    "      \"name\": \"Task Management\",\n"
    "      \"icon\": \"clipboard-list\",\n"
    "      \"description\": \"Assign and track tasks\",\n"
    "      \"route\": \"/tasks\",\n"
    "      \"is_core\": false,\n"
    "      \"enabled\": false\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* Fills `t` as the tenant "acme" of SPEC.md's example. */
static void
make_acme(struct tenant *t, struct tenant_module modules[3])
{
	tenant_init(t);
	t->id = 7;
	t->name = "Acme";
	snprintf(t->subdomain, sizeof(t->subdomain), "acme");
	t->contact_email = "a@acme.com";
	t->logo = "logo.png";
	/* The stored row says employees is off; core wins. */
	snprintf(modules[0].key, sizeof(modules[0].key), "employees");
	modules[0].enabled = 0;
	snprintf(modules[1].key, sizeof(modules[1].key), "wallet");
	modules[1].enabled = 1;
	snprintf(modules[2].key, sizeof(modules[2].key), "tasks");
	modules[2].enabled = 0;
	t->modules = modules;
	t->module_count = 3;
}

/* Does `doc` contain `needle`? */
static int
contains(const char *doc, const char *needle)
{
	return strstr(doc, needle) != NULL;
}

/* The whole document for SPEC.md's example tenant, byte for byte. */
static void
test_exact(void)
{
	struct tenant		t;
	struct tenant_module	modules[3];
	struct buf		out;

	make_acme(&t, modules);
	buf_init(&out, BUF_NO_LIMIT);
	is_int(config_render(&t, &catalog, "https://api.myapp.com", NULL,
	    FIXED_TIME, &out), 0, "render succeeds");
	is_string(out.data, expected_acme, "exact config.json for acme");
	is_int(out.len, strlen(expected_acme), "length matches");
	buf_release(&out);
}

/* Special characters are escaped; missing values have defaults. */
static void
test_escaping_and_defaults(void)
{
	struct tenant		t;
	struct tenant_module	modules[3];
	struct buf		out;

	make_acme(&t, modules);
	t.name = "A \"quoted\" \\ name </script> \x01 \xc3\xa9";
	t.logo = NULL;
	t.module_count = 0;
	buf_init(&out, BUF_NO_LIMIT);
	is_int(config_render(&t, &catalog, "/api", NULL, FIXED_TIME, &out), 0,
	    "render with special characters succeeds");
	ok(contains(out.data, "\"name\": \"A \\\"quoted\\\" \\\\ name "
	    "</script> \\u0001 \xc3\xa9\""),
	    "quotes, backslash and controls escaped; UTF-8 kept");
	ok(contains(out.data, "\"logo_url\": null"), "no logo: logo_url null");
	ok(contains(out.data, "\"api_url\": \"/api\""), "api_url as given");
	ok(contains(out.data, "\"employees\": true,\n"),
	    "core module enabled without a row");
	ok(contains(out.data, "\"wallet\": false,\n"),
	    "module without a row is disabled");
	if (!ok(out.len > 2 && out.data[out.len - 1] == '\n' &&
	    out.data[out.len - 2] == '}', "ends with exactly one newline"))
		diag("output: %s", out.data);
	buf_release(&out);
}

/* The contact email is admin data: it never reaches the public document. */
static void
test_no_contact_email(void)
{
	struct tenant		t;
	struct tenant_module	modules[3];
	struct buf		out;

	make_acme(&t, modules);
	buf_init(&out, BUF_NO_LIMIT);
	is_int(config_render(&t, &catalog, "/api", NULL, FIXED_TIME, &out), 0,
	    "render of a tenant with a contact email succeeds");
	ok(!contains(out.data, "contact_email"), "no contact_email member");
	ok(!contains(out.data, t.contact_email), "the address is not written");
	buf_release(&out);
}

/* Output is appended, and a failure leaves the buffer as it was. */
static void
test_buffer_handling(void)
{
	struct tenant		t;
	struct tenant_module	modules[3];
	struct buf		out;

	make_acme(&t, modules);
	buf_init(&out, BUF_NO_LIMIT);
	buf_append_str(&out, "prefix:");
	is_int(config_render(&t, &catalog, "https://api.myapp.com", NULL,
	    FIXED_TIME, &out), 0, "render appends");
	ok(strncmp(out.data, "prefix:{\n", 9) == 0,
	    "existing content is kept");
	is_string(out.data + 7, expected_acme, "appended document exact");
	buf_release(&out);

	buf_init(&out, 100);
	buf_append_str(&out, "keep");
	is_int(config_render(&t, &catalog, "https://api.myapp.com", NULL,
	    FIXED_TIME, &out), -1, "render fails past the buffer limit");
	is_string(out.data, "keep", "the buffer is unchanged on failure");
	buf_release(&out);

	buf_init(&out, strlen(expected_acme));
	is_int(config_render(&t, &catalog, "https://api.myapp.com", NULL,
	    FIXED_TIME, &out), 0, "a limit of exactly the size is enough");
	buf_release(&out);
}

/* generated_at is written in UTC. */
static void
test_time(void)
{
	struct tenant		t;
	struct tenant_module	modules[3];
	struct buf		out;

	make_acme(&t, modules);
	buf_init(&out, BUF_NO_LIMIT);
	config_render(&t, &catalog, "/api", NULL, (time_t)0, &out);
	ok(contains(out.data, "\"generated_at\": \"1970-01-01T00:00:00Z\""),
	    "generated_at is UTC");
	buf_release(&out);
}

/*
 * logo_url under asset_base_url: the logo's content-named alias when its
 * digest is stored, else the plain path.
 */
static void
test_asset_base_url(void)
{
	struct tenant		t;
	struct tenant_module	modules[3];
	struct buf		out;
	char			alias[64];

	make_acme(&t, modules);
	t.logo = "logo.png";
	memcpy(t.logo_sha256, "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef", 65);
	ok(config_render_logo_alias(&t, alias, sizeof(alias)) == 1,
	    "a logo with a digest has an alias");
	is_string(alias, "logo.0123456789ab.png", "its name");
	buf_init(&out, BUF_NO_LIMIT);
	config_render(&t, &catalog, "/api", "https://cdn.example.com/t",
	    FIXED_TIME, &out);
	ok(contains(out.data, "\"logo_url\": \"https://cdn.example.com/t/"
	    "acme/logo.0123456789ab.png\""), "logo_url is the alias on the CDN");
	buf_reset(&out);
	config_render(&t, &catalog, "/api", NULL, FIXED_TIME, &out);
	ok(contains(out.data, "\"logo_url\": \"/logo.png\""),
	    "without asset_base_url the plain path");
	buf_reset(&out);
	t.logo_sha256[0] = '\0';
	ok(config_render_logo_alias(&t, alias, sizeof(alias)) == 0,
	    "a logo without a stored digest has no alias");
	config_render(&t, &catalog, "/api", "https://cdn.example.com/t",
	    FIXED_TIME, &out);
	ok(contains(out.data, "\"logo_url\": \"/logo.png\""),
	    "  and keeps the plain path");
	buf_release(&out);
	t.logo = NULL;
}

/* Runs every test group and reports in TAP. */
int
main(void)
{
	test_exact();
	test_escaping_and_defaults();
	test_no_contact_email();
	test_buffer_handling();
	test_time();
	test_asset_base_url();
	done_testing();
	return exit_status();
}

/*
 * bulk.c - unit tests for the database-free parts of bulk work: the CSV
 * reader (lib/csv.c), CSV files turned into the bulk JSON shape
 * (bulk_csv_to_json()), keyset cursors (lib/cursor.c, including forged
 * ones) and form_from_json_object() for bulk items.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "bulk.h"
#include "csv.h"
#include "cursor.h"
#include "form.h"
#include "json.h"
#include "tap.h"
#include "tenant.h"

static char	err[512];

/*
 * Reads every record of `text` and writes them as "a|b;c|d;" (fields
 * joined by '|', records ended by ';') into `out`.  Returns what the last
 * csv_next_record() returned (0 at a clean end, -1 on an error).
 */
static int
csv_flatten(const char *text, size_t len, char *out, size_t outlen)
{
	struct csv_reader	reader;
	struct csv_record	rec;
	size_t			used = 0, i;
	int			rc;

	out[0] = '\0';
	csv_reader_init(&reader, text, len);
	csv_record_init(&rec);
	while ((rc = csv_next_record(&reader, &rec, err, sizeof(err))) == 1) {
		for (i = 0; i < rec.count; i++)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", i > 0 ? "|" : "", rec.fields[i]);
		used += (size_t)snprintf(out + used, outlen - used, ";");
	}
	csv_record_release(&rec);
	return rc;
}

/* csv_flatten() of a C string. */
static int
flatten(const char *text, char *out, size_t outlen)
{
	return csv_flatten(text, strlen(text), out, outlen);
}

/* The CSV reader: quoting, line ends, empty lines, and what it refuses. */
static void
test_csv(void)
{
	char	out[1024];
	const char with_nul[] = "a,b\nc,\0d\n";

	is_int(flatten("a,b\nc,d\n", out, sizeof(out)), 0, "csv: ends");
	is_string(out, "a|b;c|d;", "csv: two plain records");
	flatten("a,b\r\nc,d", out, sizeof(out));
	is_string(out, "a|b;c|d;", "csv: CRLF and no final line break");
	flatten("\xef\xbb\xbfx,y\n\n\nz,\n", out, sizeof(out));
	is_string(out, "x|y;z|;", "csv: BOM, empty lines, empty last field");
	flatten("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n", out,
	    sizeof(out));
	is_string(out, "a,b|say \"hi\"|two\nlines;",
	    "csv: quoted comma, doubled quote, line break in quotes");
	is_int(flatten("a,b\"c\n", out, sizeof(out)), -1,
	    "csv: quote inside an unquoted field is refused");
	ok(strstr(err, "line 1") != NULL, "csv: the error names the line");
	is_int(flatten("a\n\"b\"x,c\n", out, sizeof(out)), -1,
	    "csv: text after a closing quote is refused");
	ok(strstr(err, "line 2") != NULL, "csv: ... on line 2 (%s)", err);
	is_int(flatten("a,\"open\n", out, sizeof(out)), -1,
	    "csv: an unterminated quote is refused");
	is_int(csv_flatten(with_nul, sizeof(with_nul) - 1, out, sizeof(out)),
	    -1, "csv: a NUL byte is refused");
}

/*
 * Converts CSV text with bulk_csv_to_json() and parses the result.
 * Returns the tree (to free), or NULL with `err` set.
 */
static struct json_value *
csv_json(const char *text)
{
	struct buf		 out;
	struct json_value	*v = NULL;

	buf_init(&out, BUF_NO_LIMIT);
	if (bulk_csv_to_json(text, strlen(text), &out, err, sizeof(err)) == 0)
		v = json_parse(out.data, out.len, err, sizeof(err));
	buf_release(&out);
	return v;
}

/* A string member of object `obj`, or NULL. */
static const char *
member_text(const struct json_value *obj, const char *key)
{
	const struct json_value	*v = json_object_get(obj, key);

	return v != NULL && v->type == JSON_STRING ? v->text : NULL;
}

/* CSV files in the bulk JSON shape: columns, module lists, errors. */
static void
test_csv_to_json(void)
{
	struct json_value	*v;
	const struct json_value	*tenants, *first, *modules;

	v = csv_json("name,subdomain,contact_email,module_keys\n"
	    "\"Acme, Inc.\",acme,a@acme.com,wallet; tasks|reports\n"
	    "Beta,beta,,\n");
	ok(v != NULL, "csv->json: converts (%s)", v == NULL ? err : "ok");
	tenants = json_object_get(v, "tenants");
	ok(tenants != NULL && tenants->type == JSON_ARRAY &&
	    tenants->count == 2, "csv->json: two tenants");
	if (tenants != NULL && tenants->count == 2) {
		first = tenants->items[0];
		is_string(member_text(first, "name"), "Acme, Inc.",
		    "csv->json: quoted name");
		is_string(member_text(first, "subdomain"), "acme",
		    "csv->json: subdomain");
		modules = json_object_get(first, "module_keys");
		ok(modules != NULL && modules->type == JSON_ARRAY &&
		    modules->count == 3 &&
		    strcmp(modules->items[0]->text, "wallet") == 0 &&
		    strcmp(modules->items[1]->text, "tasks") == 0 &&
		    strcmp(modules->items[2]->text, "reports") == 0,
		    "csv->json: module keys split on ';' and '|', trimmed");
		ok(json_object_get(tenants->items[1], "contact_email") ==
		    NULL && json_object_get(tenants->items[1],
		    "module_keys") == NULL,
		    "csv->json: empty cells leave optional fields out");
	}
	json_free(v);

	v = csv_json("name,subdomain,colour\nA,a,red\n");
	ok(v == NULL && strstr(err, "unknown column") != NULL,
	    "csv->json: unknown column refused (%s)", err);
	json_free(v);
	v = csv_json("name,name,subdomain\n");
	ok(v == NULL && strstr(err, "twice") != NULL,
	    "csv->json: repeated column refused");
	json_free(v);
	v = csv_json("name,contact_email\nA,a@b.c\n");
	ok(v == NULL && strstr(err, "subdomain") != NULL,
	    "csv->json: a header without subdomain is refused");
	json_free(v);
	v = csv_json("name,subdomain\nA,a\nB\n");
	ok(v == NULL && strstr(err, "line 3") != NULL,
	    "csv->json: a short record is refused with its line (%s)", err);
	json_free(v);
	v = csv_json("");
	ok(v == NULL && strstr(err, "header") != NULL,
	    "csv->json: an empty file has no header");
	json_free(v);
	v = csv_json("name,subdomain\nA\xff,a\n");
	ok(v == NULL && strstr(err, "UTF-8") != NULL,
	    "csv->json: invalid UTF-8 refused");
	json_free(v);
}

/* Replaces the text of a cursor by base64url of `json`, for forgeries. */
static void
forge(const char *json, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, (const unsigned char *)json,
	    strlen(json), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Keyset cursors: round trips per ordering and every kind of forgery. */
static void
test_cursor(void)
{
	struct tenant_position	pos, back;
	char			text[CURSOR_TEXT_MAX + 1], forged[512];

	memset(&pos, 0, sizeof(pos));
	snprintf(pos.key, sizeof(pos.key), "%s", "Zürich \"Ltd\"");
	pos.id = 42;
	is_int(cursor_encode(TENANT_ORDER_NAME_ASC, &pos, text, sizeof(text)),
	    0, "cursor: encodes a name place");
	ok(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == strlen(text), "cursor: base64url text only");
	memset(&back, 0, sizeof(back));
	is_int(cursor_decode(text, TENANT_ORDER_NAME_ASC, &back), 0,
	    "cursor: decodes");
	is_string(back.key, pos.key, "cursor: key round trip");
	is_int(back.id, 42, "cursor: id round trip");
	is_int(cursor_decode(text, TENANT_ORDER_NAME_DESC, &back), -1,
	    "cursor: refused for another ordering");

	snprintf(pos.key, sizeof(pos.key), "%s", "2026-11-26 12:00:00.123456");
	is_int(cursor_encode(TENANT_ORDER_CREATED_DESC, &pos, text,
	    sizeof(text)), 0, "cursor: encodes a created_at place");
	is_int(cursor_decode(text, TENANT_ORDER_CREATED_DESC, &back), 0,
	    "cursor: created_at decodes");
	is_string(back.key, "2026-11-26 12:00:00.123456",
	    "cursor: microseconds kept");
	snprintf(pos.key, sizeof(pos.key), "%s", "2026-11-26 12:00:00");
	is_int(cursor_encode(TENANT_ORDER_CREATED_DESC, &pos, text,
	    sizeof(text)), -1, "cursor: a created_at without microseconds "
	    "is no place");
	snprintf(pos.key, sizeof(pos.key), "%s", "Not-A-Subdomain");
	is_int(cursor_encode(TENANT_ORDER_SUBDOMAIN_ASC, &pos, text,
	    sizeof(text)), -1, "cursor: subdomain keys must be subdomains");

	is_int(cursor_decode("", TENANT_ORDER_NAME_ASC, &back), -1,
	    "cursor: empty refused");
	is_int(cursor_decode("!!!!", TENANT_ORDER_NAME_ASC, &back), -1,
	    "cursor: not base64url refused");
	is_int(cursor_decode("eyJ2IjoxfQ==", TENANT_ORDER_NAME_ASC, &back),
	    -1, "cursor: padding refused");
	forge("{\"v\":2,\"o\":\"name\",\"k\":\"a\",\"id\":1}", forged,
	    sizeof(forged));
	is_int(cursor_decode(forged, TENANT_ORDER_NAME_ASC, &back), -1,
	    "cursor: another version refused");
	forge("{\"v\":1,\"o\":\"name\",\"k\":\"a\",\"id\":0}", forged,
	    sizeof(forged));
	is_int(cursor_decode(forged, TENANT_ORDER_NAME_ASC, &back), -1,
	    "cursor: id 0 refused");
	forge("{\"v\":1,\"o\":\"name\",\"k\":\"a\",\"id\":\"1\"}", forged,
	    sizeof(forged));
	is_int(cursor_decode(forged, TENANT_ORDER_NAME_ASC, &back), -1,
	    "cursor: id as a string refused");
	forge("{\"v\":1,\"o\":\"name\",\"k\":\"a\",\"id\":1,\"x\":1}", forged,
	    sizeof(forged));
	is_int(cursor_decode(forged, TENANT_ORDER_NAME_ASC, &back), -1,
	    "cursor: extra members refused");
	forge("{\"v\":1,\"o\":\"subdomain\",\"k\":\"a b\",\"id\":1}", forged,
	    sizeof(forged));
	is_int(cursor_decode(forged, TENANT_ORDER_SUBDOMAIN_ASC, &back), -1,
	    "cursor: a key of the wrong shape refused");
	forge("[1,2,3,4]", forged, sizeof(forged));
	is_int(cursor_decode(forged, TENANT_ORDER_NAME_ASC, &back), -1,
	    "cursor: not an object refused");
	forge("{\"v\":1,\"o\":\"subdomain\",\"k\":\"acme\",\"id\":7}", forged,
	    sizeof(forged));
	is_int(cursor_decode(forged, TENANT_ORDER_SUBDOMAIN_ASC, &back), 0,
	    "cursor: a well-formed hand-made cursor is fine");
}

/* form_from_json_object(): the members of one bulk item as fields. */
static void
test_form_from_object(void)
{
	struct json_value	*v;
	struct form		 f;
	const struct form_field	*modules;
	const char		 text[] = "{\"name\":\"Acme\",\"n\":3,"
	    "\"module_keys\":[\"wallet\",\"tasks\"],\"empty\":[],"
	    "\"nested\":{\"a\":1}}";

	v = json_parse(text, strlen(text), err, sizeof(err));
	form_init(&f);
	is_int(form_from_json_object(&f, v, NULL, err, sizeof(err)), RESULT_OK,
	    "form from object: parses");
	ok(form_first(&f, "name") != NULL &&
	    strcmp(form_first(&f, "name")->data, "Acme") == 0 &&
	    form_first(&f, "name")->kind == FORM_VALUE_STRING,
	    "form from object: string member");
	ok(form_first(&f, "n") != NULL &&
	    form_first(&f, "n")->kind == FORM_VALUE_NUMBER,
	    "form from object: number keeps its kind");
	modules = form_get(&f, "module_keys");
	ok(modules != NULL && modules->count == 2 && modules->from_array,
	    "form from object: array member is one value per element");
	ok(form_get(&f, "empty") != NULL && form_get(&f, "empty")->count == 0 &&
	    form_get(&f, "empty")->from_array, "form from object: empty array");
	ok(form_first(&f, "nested") != NULL &&
	    form_first(&f, "nested")->kind == FORM_VALUE_JSON,
	    "form from object: nested object stays JSON");
	ok(f.json == NULL, "form from object: the tree stays the caller's");
	form_release(&f);
	form_init(&f);
	is_int(form_from_json_object(&f, v->items[1], NULL, err, sizeof(err)),
	    RESULT_MALFORMED, "form from object: a number is no object");
	form_release(&f);
	json_free(v);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_csv();
	test_csv_to_json();
	test_cursor();
	test_form_from_object();
	done_testing();
	return exit_status();
}

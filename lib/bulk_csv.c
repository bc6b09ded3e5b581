/*
 * bulk_csv.c - a bulk CSV file as the API's bulk-create JSON (see
 * bulk_csv_to_json() in bulk.h), for `tenantctl bulk-create FILE.csv`.
 * It is a pure conversion on top of csv.c, kept in lib/ beside the unit
 * tests and fuzz targets that drive it without a database.
 */
#include <stddef.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "bulk.h"
#include "csv.h"
#include "error.h"
#include "json.h"

/* The columns a bulk CSV file may have. */
static const char *const csv_columns[] = {
	"name", "subdomain", "contact_email", "primary_color",
	"secondary_color", "module_keys"
};
#define CSV_COLUMN_COUNT	(sizeof(csv_columns) / sizeof(csv_columns[0]))
#define CSV_COLUMN_MODULES	5

/*
 * Maps the header record onto csv_columns: `map[i]` is the column index
 * of field i.  Returns 0, or -1 with a message for an unknown or repeated
 * column or a missing name or subdomain.
 */
static int
csv_header(const struct csv_record *rec, size_t map[CSV_MAX_FIELDS],
    char *err, size_t errlen)
{
	int	seen[CSV_COLUMN_COUNT] = { 0 };
	size_t	i, c;

	for (i = 0; i < rec->count; i++) {
		for (c = 0; c < CSV_COLUMN_COUNT; c++)
			if (strcmp(rec->fields[i], csv_columns[c]) == 0)
				break;
		if (c == CSV_COLUMN_COUNT) {
			error_set(err, errlen, "line %zu: unknown column "
			    "\"%.64s\" (known: name, subdomain, contact_email, "
			    "primary_color, secondary_color, module_keys)",
			    rec->line, rec->fields[i]);
			return -1;
		}
		if (seen[c]) {
			error_set(err, errlen, "line %zu: column \"%s\" given "
			    "twice", rec->line, csv_columns[c]);
			return -1;
		}
		seen[c] = 1;
		map[i] = c;
	}
	if (!seen[0] || !seen[1]) {
		error_set(err, errlen, "line %zu: the header must name the "
		    "columns name and subdomain", rec->line);
		return -1;
	}
	return 0;
}

/*
 * Writes the module keys of a cell ("a;b|c") as a JSON array, each key
 * trimmed of spaces, empty ones skipped.  Returns 0 or -1.
 */
static int
csv_gen_modules(yajl_gen g, const char *cell)
{
	const char	*p = cell, *end;
	size_t		 len;

	if (yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	while (*p != '\0') {
		len = strcspn(p, ";|");
		end = p + len;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > p && yajl_gen_string(g, (const unsigned char *)p,
		    (size_t)(end - p)) != yajl_gen_status_ok)
			return -1;
		p += strcspn(p, ";|");
		if (*p != '\0')
			p++;
	}
	return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
}

/*
 * Converts a CSV file into the API's JSON shape (see bulk.h).  Called by
 * tenantctl bulk-create.  Returns 0 or -1 with `err` set.
 */
int
bulk_csv_to_json(const char *data, size_t len, struct buf *out, char *err,
    size_t errlen)
{
	struct csv_reader	reader;
	struct csv_record	rec;
	size_t			map[CSV_MAX_FIELDS], columns = 0, i;
	yajl_gen		g = NULL;
	int			got, header = 1, rc = -1;

	csv_reader_init(&reader, data, len);
	csv_record_init(&rec);
	if ((g = json_gen_new()) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_key(g, "tenants") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto gen_fail;
	while ((got = csv_next_record(&reader, &rec, err, errlen)) == 1) {
		if (header) {
			if (csv_header(&rec, map, err, errlen) == -1)
				goto out;
			columns = rec.count;
			header = 0;
			continue;
		}
		if (rec.count != columns) {
			error_set(err, errlen, "line %zu: %zu fields, the "
			    "header has %zu", rec.line, rec.count, columns);
			goto out;
		}
		if (yajl_gen_map_open(g) != yajl_gen_status_ok)
			goto gen_fail;
		for (i = 0; i < rec.count; i++) {
			if (rec.lengths[i] == 0 && map[i] > 1)
				continue;
			if (json_gen_key(g, csv_columns[map[i]]) !=
			    yajl_gen_status_ok)
				goto gen_fail;
			if (map[i] == CSV_COLUMN_MODULES) {
				if (csv_gen_modules(g, rec.fields[i]) == -1)
					goto gen_fail;
			} else if (yajl_gen_string(g,
			    (const unsigned char *)rec.fields[i],
			    rec.lengths[i]) != yajl_gen_status_ok) {
				error_set(err, errlen, "line %zu: not valid "
				    "UTF-8", rec.line);
				goto out;
			}
		}
		if (yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto gen_fail;
		if (json_gen_to_buf(g, out) == -1) {
			error_set(err, errlen, "the file is too large");
			goto out;
		}
		yajl_gen_clear(g);
	}
	if (got == -1)
		goto out;
	if (header) {
		error_set(err, errlen, "the file has no header row");
		goto out;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		goto gen_fail;
	if (json_gen_to_buf(g, out) == -1) {
		error_set(err, errlen, "the file is too large");
		goto out;
	}
	rc = 0;
	goto out;
gen_fail:
	error_set(err, errlen, "line %zu: could not convert the record "
	    "(not valid UTF-8?)", rec.line);
out:
	if (g != NULL)
		yajl_gen_free(g);
	csv_record_release(&rec);
	return rc;
}

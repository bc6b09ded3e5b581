/*
 * csv.c - an RFC 4180 reader (see csv.h).
 *
 * The reader walks the text once with a small state machine: at the start
 * of a field it decides between a quoted and a plain field, copies the
 * field's bytes into a buffer bounded by CSV_MAX_FIELD_BYTES, and ends the
 * record at the first line break outside quotes.  Nothing is read past
 * the given length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"

/* Starts a reader over `len` bytes of `data`, skipping a UTF-8 BOM. */
void
csv_reader_init(struct csv_reader *r, const char *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->line = 1;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		r->pos = 3;
}

/* Sets up an empty record; allocates nothing. */
void
csv_record_init(struct csv_record *rec)
{
	memset(rec, 0, sizeof(*rec));
}

/* Frees the fields of `rec` and empties it.  Accepts NULL. */
void
csv_record_release(struct csv_record *rec)
{
	size_t	i;

	if (rec == NULL)
		return;
	for (i = 0; i < rec->count; i++)
		free(rec->fields[i]);
	csv_record_init(rec);
}

/*
 * Appends the finished field in `field` to `rec`, taking over its bytes.
 * Returns 0, or -1 with a message when the record has too many fields or
 * memory ran out.
 */
static int
add_field(struct csv_record *rec, struct buf *field, char *err,
    size_t errlen)
{
	size_t	len;
	char	*copy;

	if (rec->count >= CSV_MAX_FIELDS) {
		snprintf(err, errlen, "line %zu: more than %d fields",
		    rec->line, CSV_MAX_FIELDS);
		return -1;
	}
	len = field->len;
	if ((copy = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(copy, field->data, len);
	copy[len] = '\0';
	rec->fields[rec->count] = copy;
	rec->lengths[rec->count] = len;
	rec->count++;
	buf_reset(field);
	return 0;
}

/*
 * Appends byte `c` to the field being read.  Returns 0, or -1 with a
 * message for a NUL byte or a field past CSV_MAX_FIELD_BYTES.
 */
static int
add_byte(struct csv_reader *r, struct buf *field, char c, char *err,
    size_t errlen)
{
	if (c == '\0') {
		snprintf(err, errlen, "line %zu: NUL byte", r->line);
		return -1;
	}
	if (buf_append_char(field, c) == -1) {
		snprintf(err, errlen, "line %zu: field longer than %d bytes",
		    r->line, CSV_MAX_FIELD_BYTES);
		return -1;
	}
	return 0;
}

/*
 * Is the reader at a line break?  Sets *width to its length (1 for LF, 2
 * for CRLF).  A lone CR is not a line break.
 */
static int
at_line_break(const struct csv_reader *r, size_t *width)
{
	if (r->pos < r->len && r->data[r->pos] == '\n') {
		*width = 1;
		return 1;
	}
	if (r->pos + 1 < r->len && r->data[r->pos] == '\r' &&
	    r->data[r->pos + 1] == '\n') {
		*width = 2;
		return 1;
	}
	return 0;
}

/*
 * Reads a quoted field, starting just after its opening quote, into
 * `field`.  Stops after the closing quote.  Returns 0, or -1 with a
 * message.
 */
static int
read_quoted(struct csv_reader *r, struct buf *field, size_t start_line,
    char *err, size_t errlen)
{
	char	c;

	for (;;) {
		if (r->pos >= r->len) {
			snprintf(err, errlen, "line %zu: quoted field not "
			    "closed", start_line);
			return -1;
		}
		c = r->data[r->pos++];
		if (c == '"') {
			if (r->pos < r->len && r->data[r->pos] == '"') {
				r->pos++;
				if (add_byte(r, field, '"', err, errlen) == -1)
					return -1;
				continue;
			}
			return 0;
		}
		if (c == '\n')
			r->line++;
		if (add_byte(r, field, c, err, errlen) == -1)
			return -1;
	}
}

/*
 * Reads the next record (see csv.h).  Returns 1, 0 at the end, or -1 with
 * a message in `err`.
 */
int
csv_next_record(struct csv_reader *r, struct csv_record *rec, char *err,
    size_t errlen)
{
	struct buf	field;
	size_t		width;
	char		c;
	int		rc = -1;

	csv_record_release(rec);
	buf_init(&field, CSV_MAX_FIELD_BYTES);
	/* Empty lines are no records. */
	while (at_line_break(r, &width)) {
		r->pos += width;
		r->line++;
	}
	if (r->pos >= r->len) {
		rc = 0;
		goto out;
	}
	rec->line = r->line;
	for (;;) {
		/* The start of a field. */
		if (r->pos < r->len && r->data[r->pos] == '"') {
			r->pos++;
			if (read_quoted(r, &field, r->line, err, errlen) == -1)
				goto out;
			if (r->pos < r->len && r->data[r->pos] != ',' &&
			    !at_line_break(r, &width)) {
				snprintf(err, errlen, "line %zu: text after a "
				    "closing quote", r->line);
				goto out;
			}
		} else {
			while (r->pos < r->len && r->data[r->pos] != ',' &&
			    !at_line_break(r, &width)) {
				c = r->data[r->pos++];
				if (c == '"') {
					snprintf(err, errlen, "line %zu: quote "
					    "inside an unquoted field",
					    r->line);
					goto out;
				}
				if (add_byte(r, &field, c, err, errlen) == -1)
					goto out;
			}
		}
		if (add_field(rec, &field, err, errlen) == -1)
			goto out;
		if (r->pos >= r->len)
			break;
		if (r->data[r->pos] == ',') {
			r->pos++;
			continue;
		}
		/* A line break ends the record. */
		at_line_break(r, &width);
		r->pos += width;
		r->line++;
		break;
	}
	rc = 1;
out:
	buf_release(&field);
	if (rc != 1)
		csv_record_release(rec);
	return rc;
}

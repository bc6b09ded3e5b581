/*
 * csv.h - reading CSV text (RFC 4180) one record at a time.
 *
 * Fields are separated by commas and records by CRLF or LF.  A field may
 * be quoted with '"'; inside quotes, commas and line breaks are data and
 * '""' is one quote.  A quote inside an unquoted field, text after a
 * closing quote and an unterminated quote are errors, reported with the
 * line number, so a file that was mangled by hand is refused rather than
 * misread.  Empty lines are skipped; a UTF-8 byte order mark at the very
 * start is ignored.  NUL bytes are refused.
 *
 * Every field count and field size is bounded (CSV_MAX_FIELDS,
 * CSV_MAX_FIELD_BYTES).
 *
 * Ownership: a struct csv_record owns its field copies;
 * csv_record_release() frees them.  The reader only points into the
 * caller's text, which must outlive it.
 */
#ifndef TENANTD_CSV_H
#define TENANTD_CSV_H

#include <stddef.h>

#define CSV_MAX_FIELDS		64
#define CSV_MAX_FIELD_BYTES	(64 * 1024)

struct csv_reader {
	const char	*data;
	size_t		 len;
	size_t		 pos;
	size_t		 line;		/* of the next byte, from 1 */
};

struct csv_record {
	char	*fields[CSV_MAX_FIELDS];	/* NUL-terminated copies */
	size_t	 lengths[CSV_MAX_FIELDS];
	size_t	 count;
	size_t	 line;				/* where the record starts */
};

/* Starts reading `len` bytes of `data`. */
void	csv_reader_init(struct csv_reader *r, const char *data, size_t len);

/*
 * Reads the next record into `rec` (whose old fields are released first).
 * Returns 1 with a record, 0 at the end of the text, or -1 with a message
 * naming the line in `err`.
 */
int	csv_next_record(struct csv_reader *r, struct csv_record *rec,
	    char *err, size_t errlen);

void	csv_record_init(struct csv_record *rec);
void	csv_record_release(struct csv_record *rec);

#endif

/*
 * csv_read.c - libFuzzer target: the CSV reader of lib/csv.h, which reads
 * the files given to `tenantctl bulk-create`.
 *
 * Every record read must hold 1 to CSV_MAX_FIELDS fields, each within
 * CSV_MAX_FIELD_BYTES and NUL-terminated at its length, and the reader
 * must advance: it ends, or fails, within one call per input byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; aborts on a broken record. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader reader;
	struct csv_record record;
	char err[256];
	size_t calls = 0, i;
	int status;

	csv_reader_init(&reader, (const char *)data, size);
	csv_record_init(&record);
	while ((status = csv_next_record(&reader, &record, err,
	    sizeof(err))) == 1) {
		if (++calls > size)
			abort();
		if (record.count == 0 || record.count > CSV_MAX_FIELDS)
			abort();
		for (i = 0; i < record.count; i++) {
			if (record.lengths[i] > CSV_MAX_FIELD_BYTES ||
			    record.fields[i][record.lengths[i]] != '\0')
				abort();
		}
	}
	if (status == -1 && memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	csv_record_release(&record);
	return 0;
}

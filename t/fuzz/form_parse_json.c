/*
 * form_parse_json.c - libFuzzer target: a request body parsed as JSON.
 *
 * The body parser is the first code an untrusted byte reaches; it must
 * refuse anything (deep nesting, duplicate keys, invalid UTF-8, huge
 * numbers) with a status and never read or write out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "form.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; always returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f;
	char err[256];

	form_init(&f);
	form_parse_json(&f, (const char *)data, size, &form_default_limits,
	    err, sizeof(err));
	form_release(&f);
	return 0;
}

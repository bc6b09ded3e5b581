/*
 * form_parse_urlencoded.c - libFuzzer target: a body or query string in
 * application/x-www-form-urlencoded form.
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
	form_parse_urlencoded(&f, (const char *)data, size,
	    &form_default_limits, err, sizeof(err));
	form_release(&f);
	return 0;
}

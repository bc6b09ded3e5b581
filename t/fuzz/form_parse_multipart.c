/*
 * form_parse_multipart.c - libFuzzer target: a multipart/form-data body.
 *
 * The first line of the input is the boundary (as the Content-Type header
 * would give it), the rest is the body, so the fuzzer varies both.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; always returns 0. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f;
	const uint8_t *newline;
	char err[256], *boundary;
	size_t boundary_len;

	newline = memchr(data, '\n', size);
	if (newline == NULL)
		return 0;
	boundary_len = (size_t)(newline - data);
	if ((boundary = malloc(boundary_len + 1)) == NULL)
		return 0;
	memcpy(boundary, data, boundary_len);
	boundary[boundary_len] = '\0';
	form_init(&f);
	form_parse_multipart(&f, boundary, (const char *)newline + 1,
	    size - boundary_len - 1, &form_default_limits, err, sizeof(err));
	form_release(&f);
	free(boundary);
	return 0;
}

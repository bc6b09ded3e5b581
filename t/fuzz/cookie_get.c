/*
 * cookie_get.c - libFuzzer target: reading the session cookie from the
 * Cookie header (src/http.c), which runs before authentication.
 *
 * The first byte is the size of the caller's buffer (1 to 256), the rest
 * the header.  A value found must fit that buffer with its NUL, carry no
 * ';' and no leading or trailing blank, and stand in the header.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; aborts on a wrong value. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request request;
	char *header, out[256];
	size_t outlen, len;

	if (size == 0)
		return 0;
	outlen = (size_t)data[0] + 1;
	if (outlen > sizeof(out))
		outlen = sizeof(out);
	if ((header = malloc(size)) == NULL)
		return 0;
	memcpy(header, data + 1, size - 1);
	header[size - 1] = '\0';
	memset(&request, 0, sizeof(request));
	request.cookie = header;
	if (http_cookie_get(&request, "tenantd_session", out, outlen) == 1) {
		len = strlen(out);
		if (len >= outlen || strchr(out, ';') != NULL ||
		    (len > 0 && (out[0] == ' ' || out[0] == '\t' ||
		    out[len - 1] == ' ' || out[len - 1] == '\t')) ||
		    strstr(header, out) == NULL)
			abort();
	}
	free(header);
	return 0;
}

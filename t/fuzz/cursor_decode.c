/*
 * cursor_decode.c - libFuzzer target: keyset-paging cursors of lib/cursor.h.
 *
 * Cursors come back from clients in GET /api/tenants/?cursor=..., so the
 * decoder sees anything.  The first byte picks the ordering of the request,
 * the rest is the cursor text.  Whatever is accepted must have a key that
 * fits, a positive id, and must encode again to a cursor that decodes to
 * the same place.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; aborts when a bad cursor is accepted. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[CURSOR_TEXT_MAX + 2], again[CURSOR_TEXT_MAX + 1];
	struct tenant_position pos, pos_again;
	enum tenant_order order;

	if (size == 0 || size - 1 > CURSOR_TEXT_MAX + 1)
		return 0;
	order = (enum tenant_order)(data[0] % 6);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (cursor_decode(text, order, &pos) != 0)
		return 0;
	if (pos.id <= 0 || memchr(pos.key, '\0', sizeof(pos.key)) == NULL)
		abort();
	if (cursor_encode(order, &pos, again, sizeof(again)) != 0)
		abort();
	if (cursor_decode(again, order, &pos_again) != 0 ||
	    pos_again.id != pos.id || strcmp(pos_again.key, pos.key) != 0)
		abort();
	return 0;
}

/*
 * cursor.h - the opaque cursors of keyset paging in GET /api/tenants/.
 *
 * A cursor names a place in one ordering of the tenant list: the ordering,
 * the key of the last row a client has seen and that row's id.  On the
 * wire it is the base64url text (no padding) of a small JSON object,
 * {"v":1,"o":"name","k":"Acme","id":42}, which clients must treat as
 * opaque.  Cursors come back from clients, so decoding checks everything:
 * the encoding, the version, that the ordering is the one of the request,
 * the key's shape for that ordering and the id's range.
 */
#ifndef TENANTD_CURSOR_H
#define TENANTD_CURSOR_H

#include <stddef.h>

#include "tenant.h"

/* Longest cursor text accepted or produced, without the NUL. */
#define CURSOR_TEXT_MAX		4096

/*
 * Writes the cursor for place `pos` of ordering `order` into `out` (of
 * `outlen` bytes, CURSOR_TEXT_MAX + 1 always suffice).  Returns 0, or -1
 * if the key is not valid for the ordering or the text does not fit.
 */
int	cursor_encode(enum tenant_order order,
	    const struct tenant_position *pos, char *out, size_t outlen);

/*
 * Reads cursor `text` for a request in ordering `order` into `pos`.
 * Returns 0, or -1 for anything malformed, of another version or made for
 * another ordering.
 */
int	cursor_decode(const char *text, enum tenant_order order,
	    struct tenant_position *pos);

#endif

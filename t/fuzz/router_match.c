/*
 * router_match.c - libFuzzer target: raw request paths against the route
 * table.
 *
 * The first byte picks the method, the rest is the path as the web server
 * passes it (not decoded).  Besides memory errors the target checks the
 * captures: an {id} is positive, a {sub} is 1 to SUBDOMAIN_MAX bytes
 * and {path*} lies inside the path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "router.h"
#include "validate.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called by libFuzzer once per input; aborts on a broken capture. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request_context ctx;
	const struct route *route;
	const char *path;
	unsigned allowed, method;
	size_t len;

	if (size == 0)
		return 0;
	method = 1u << (data[0] % 7);
	path = (const char *)data + 1;
	len = size - 1;
	memset(&ctx, 0, sizeof(ctx));
	route = router_match(path, len, method, data[0] & 0x80, &allowed,
	    &ctx);
	if (route == NULL)
		return 0;
	if ((allowed & method) == 0)
		abort();
	if ((data[0] & 0x80) && route->access != ROUTE_PUBLIC)
		abort();
	if (strstr(route->pattern, "{id}") != NULL && ctx.id <= 0)
		abort();
	if (strstr(route->pattern, "{sub}") != NULL &&
	    (strlen(ctx.sub) == 0 || strlen(ctx.sub) > SUBDOMAIN_MAX))
		abort();
	if (ctx.rest_len > 0 && (ctx.rest < path ||
	    ctx.rest_len > len - (size_t)(ctx.rest - path)))
		abort();
	return 0;
}

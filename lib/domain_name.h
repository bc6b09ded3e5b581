/*
 * domain_name.h - the rule for a tenant's custom domain (SPEC 11), the
 * one place it is written: the API, tenantctl and domain.c call it.
 */
#ifndef TENANTD_DOMAIN_NAME_H
#define TENANTD_DOMAIN_NAME_H

#include <stddef.h>

#define DOMAIN_NAME_MAX	253

/*
 * Checks `len` bytes of `s` as a custom domain: a lower-case host name
 * of at least two dot-separated labels of 1-63 [a-z0-9-] (no leading or
 * trailing '-', no trailing dot), at most DOMAIN_NAME_MAX bytes; labels
 * starting "xn--" must be valid punycode in its canonical form (checked
 * with libidn2); UTF-8 is refused with a message asking for the punycode
 * form; not an IP address, not "localhost" nor under it, and neither
 * `base_domain` nor a name under it.  Returns NULL when valid, else a
 * static message for the client.
 */
const char *domain_name_check(const char *s, size_t len,
	    const char *base_domain);

#endif
